/**
 * The shared transaction builder (after Packetbeat's applayer transaction initializer): every
 * protocol's matcher turns a request/response pair into a Transaction through newTransaction(), so
 * the common fields are filled in one place: type, conn, status, start and end times and frames
 * (copied out of the Moments, which may be reused objects), bytes per side, and the notes with
 * their stable anomaly codes (notes[i] is the text of anomalies[i], see ./anomalies.ts). Optional
 * members are set only when given, never as undefined. Called once per transaction, not per packet.
 */
import type {Note} from './anomalies.js'
import type {ConnInfo} from '../reassembly/types.js'
import type {Status, Transaction} from './types.js'

/** A point in capture time: a Moment, or the copy a matcher kept of one. Read, never kept. */
export interface Stamp {
  readonly tsSec: number
  readonly tsNsec: number
  readonly frame: number
}

export interface TxInit {
  type: string
  conn: ConnInfo
  status: Status
  /** First packet of the transaction (the request's, or the response's when there is none). */
  start: Stamp
  /** Last packet of the response (or of the request when there is none). */
  end: Stamp
  requestBytes: number
  responseBytes: number
  fields: Record<string, unknown>
  /** In order; empty or undefined for none. */
  notes?: readonly Note[]
  method?: string
  query?: string
  resource?: string
  path?: string
  sentByServer?: boolean
  event?: Record<string, unknown>
}

export function newTransaction(i: TxInit): Transaction {
  const t: Transaction = {
    type: i.type,
    conn: i.conn,
    status: i.status,
    startSec: i.start.tsSec,
    startNsec: i.start.tsNsec,
    startFrame: i.start.frame,
    endSec: i.end.tsSec,
    endNsec: i.end.tsNsec,
    endFrame: i.end.frame,
    requestBytes: i.requestBytes,
    responseBytes: i.responseBytes,
    fields: i.fields,
  }
  if (i.method !== undefined) t.method = i.method
  if (i.query !== undefined) t.query = i.query
  if (i.resource !== undefined) t.resource = i.resource
  if (i.path !== undefined) t.path = i.path
  if (i.sentByServer === true) t.sentByServer = true
  if (i.event !== undefined) t.event = i.event
  if (i.notes !== undefined && i.notes.length > 0) setNotes(t, i.notes)
  return t
}

/** Sets t.notes and t.anomalies from `notes` (replacing both), index for index. */
export function setNotes(t: Transaction, notes: readonly Note[]): void {
  const text: string[] = new Array(notes.length)
  const codes: string[] = new Array(notes.length)
  for (let k = 0; k < notes.length; k++) {
    text[k] = notes[k]!.text
    codes[k] = notes[k]!.code
  }
  t.notes = text
  t.anomalies = codes
}
