/**
 * The event stage's input types: the Transaction every protocol hands over (built with the shared
 * builder of ./transaction.ts) and the FieldSpec schema entries (./fields.ts and each protocol's
 * fields.ts) that drive CSV columns, `pbx fields` and the store mappings.
 */
import type {ConnInfo} from '../reassembly/types.js'

/** Packetbeat's status values. */
export type Status = 'OK' | 'Error' | 'Client Error' | 'Server Error'

export interface FieldSpec {
  /** Dotted ECS name as it appears in NDJSON (nested) and as the CSV column. */
  name: string
  type: 'keyword' | 'long' | 'double' | 'boolean' | 'date' | 'ip' | 'text' | 'object'
  description: string
  /** True for arrays (CSV joins them with ';'). */
  array?: boolean
}

/**
 * One request/response transaction (or a single message where a protocol has no reply). Protocols
 * build it; src/event/build.ts turns it into the ECS event. Times are copied numbers, not Moments.
 */
export interface Transaction {
  type: string
  conn: ConnInfo
  status: Status
  startSec: number
  startNsec: number
  startFrame: number
  endSec: number
  endNsec: number
  endFrame: number
  /** Application bytes sent by the client / the server within this transaction. */
  requestBytes: number
  responseBytes: number
  method?: string
  query?: string
  resource?: string
  path?: string
  /** Anomalies met while building this transaction: human text (`notes` in the event). */
  notes?: string[]
  /**
   * The stable code of each note (./anomalies.ts), index for index: anomalies[i] is the code of
   * notes[i] (same length, same order, not deduplicated). Set by ./transaction.ts.
   */
  anomalies?: string[]
  /**
   * Protocol-specific top-level objects, nested as they will appear in the event, e.g.
   * `{http: {...}, url: {...}, user_agent: {...}}`. Keys must be the ECS names from fields.ts.
   * Leave fields out rather than setting them to undefined or null.
   */
  fields: Record<string, unknown>
  /**
   * For one-message events sent by the server (a DHCP OFFER/ACK): source.* and destination.* then
   * describe the packet as sent (server -> client), while client.* and server.* keep their roles.
   */
  sentByServer?: boolean
  /** Optional override of event.action etc: merged into `event`. */
  event?: Record<string, unknown>
}

