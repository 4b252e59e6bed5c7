/**
 * The protocol plugin contract. A protocol is a folder src/protocols/<name>/ with:
 *   index.ts   exports `const protocol: Protocol` (registered by one line in ../registry.ts)
 *   parser.ts  bytes -> messages (push-style, split-anywhere safe)
 *   matcher.ts messages -> transactions (request/response pairing)
 *   fields.ts  the protocol's schema: FieldSpec[] (single source for CSV columns and `pbx fields`)
 * and tests in test/protocols/<name>/. A protocol imports only shared modules (this file,
 * ../event, ../util, ../limits, ../stats, ../reassembly/types, ../decode/types) — never the
 * pipeline or another protocol.
 */
import type {DecodedPacket} from '../decode/types.js'
import type {Limits} from '../limits.js'
import type {ConnInfo, Dir, Moment, StreamHandler} from '../reassembly/types.js'
import type {Stats} from '../stats.js'

export type {ConnInfo, Dir, Moment, StreamHandler}

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
  /** Anomalies met while building this transaction. */
  notes?: string[]
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

/** What the pipeline gives every protocol instance. */
export interface ProtocolContext {
  readonly limits: Limits
  readonly stats: Stats
  /** Protocol options from config (`protocols.<name>.*`), e.g. {send_headers: true}. */
  readonly options: Readonly<Record<string, unknown>>
  /** Hand a finished transaction to the event stage. Synchronous; `t` may be kept by the callee. */
  emit(t: Transaction): void
}

export interface UdpHandler {
  /** One datagram of this flow. `payload` is valid only during the call. */
  datagram(dir: Dir, payload: Buffer, at: Moment): void
  /** The flow ended (idle timeout on capture time, or end of input). Flush pending requests. */
  end(at: Moment): void
}

/** Sees whole IP packets of the given IP protocols (ICMP, ICMPv6, ...). One instance per run. */
export interface IpHandler {
  packet(p: DecodedPacket): void
  /** End of input: flush everything pending. */
  end(at: Moment): void
}

export interface Protocol {
  /** Lower-case name, used as `type`, `network.protocol` and in `--protocols`. */
  name: string
  fields: FieldSpec[]
  tcp?: {
    /** Server ports that select this protocol without looking at the bytes. */
    ports: number[]
    /**
     * Content detection for connections on other ports: called with the first payload bytes seen
     * (in either direction) until it answers true or the connection is given to another protocol.
     * Must be cheap and must not throw.
     */
    detect?(data: Buffer, dir: Dir): boolean
    create(conn: ConnInfo, ctx: ProtocolContext): StreamHandler
  }
  udp?: {
    ports: number[]
    /**
     * Ports only this protocol's clients send from (DHCP: 68). A new flow with such a port on one
     * side has its client there, whatever the first datagram's direction (RFC 2131 section 4.1).
     */
    clientPorts?: number[]
    detect?(data: Buffer, dir: Dir): boolean
    create(conn: ConnInfo, ctx: ProtocolContext): UdpHandler
  }
  ip?: {
    /** IP protocol numbers (IpProto.ICMP, ...). */
    protos: number[]
    create(ctx: ProtocolContext): IpHandler
  }
}
