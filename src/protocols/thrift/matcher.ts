/**
 * Thrift matching: messages (from ./parser.ts) -> transactions, after Packetbeat's thrift module.
 *
 *   - A call waits in the shared PendingQueue until the other side's reply or exception with the
 *     same seqid and method name. A new call with the seqid of a waiting one ends the waiting one
 *     unanswered (clients that always send seqid 0 do so once its call is over). A oneway call (message type oneway, or a call of a function the IDL
 *     declares oneway) is an event at once, with no response.
 *   - A reply's field 0 is the return value (`thrift.return_value`, "" for void), its other fields
 *     are the declared exceptions (`thrift.exceptions`, status Error). An exception message
 *     (TApplicationException) sets `thrift.exceptions` to its struct and status Error.
 *   - A reply with no call waiting is emitted alone (status Error, thrift.unmatched_response);
 *     calls still waiting at a gap of the server stream or at the end are emitted unanswered
 *     (status Error, thrift.no_response).
 * Fields: method, query (`method(params)`, as Packetbeat), thrift.params / service / return_value /
 * exceptions, thrift.protocol and thrift.transport, and with send_request / send_response the
 * Packetbeat texts `request` (the query) and `response` (the return value, or "Exceptions: ...").
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction, type Stamp} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo, Moment} from '../../reassembly/types.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import type {ThriftOptions} from './options.js'
import {MSG_CALL, MSG_EXCEPTION, MSG_ONEWAY, type ThriftMessage} from './parser.js'

interface Pending {
  m: ThriftMessage
  start: Stamp
  notes: Note[] | undefined
}

const stamp = (at: Moment): Stamp => ({tsSec: at.tsSec, tsNsec: at.tsNsec, frame: at.frame})

export class ThriftMatcher {
  private readonly pending: PendingQueue<Pending>
  private carry: Note[] | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
    private readonly o: ThriftOptions,
  ) {
    this.pending = new PendingQueue<Pending>(ctx.limits, ctx.stats, (old, n) => {
      ctx.stats.unmatchedRequests++
      this.emit(old, null, null, [n])
    })
  }

  /** A note for the next transaction emitted. */
  note(n: Note): void {
    if (this.carry === undefined) this.carry = []
    if (this.carry.length < 16) this.carry.push(n)
  }

  /** A message of the client (dir 0) or the server (dir 1); `at` is its first byte's Moment. */
  message(m: ThriftMessage, at: Moment): void {
    const notes = messageNotes(m)
    if (m.type === MSG_CALL || m.type === MSG_ONEWAY) {
      const p: Pending = {m, start: stamp(at), notes}
      if (m.type === MSG_ONEWAY || m.oneway) {
        this.emit(p, null, null, undefined)
        return
      }
      // A client reuses a seqid only once its call is over: the waiting call got no reply (a
      // oneway function called with message type call, or a lost reply).
      const old = this.pending.find((q) => q.m.seqid === m.seqid)
      if (old !== undefined) {
        this.pending.remove(old)
        this.ctx.stats.unmatchedRequests++
        this.emit(old, null, null, [note('thrift.no_response', `no response before seqid ${m.seqid} was used again`)])
      }
      this.pending.push(p)
      return
    }
    const req = this.pending.find((q) => q.m.seqid === m.seqid && q.m.name === m.name)
    if (req === undefined) {
      this.ctx.stats.unmatchedResponses++
      this.emit(null, m, at, [...(notes ?? []), note('thrift.unmatched_response')], at)
      return
    }
    this.pending.remove(req)
    this.emit(req, m, at, notes)
  }

  /** End of connection or a gap: the calls still waiting are emitted unanswered. */
  flush(n: Note): void {
    for (const p of this.pending.drain()) {
      this.ctx.stats.unmatchedRequests++
      this.emit(p, null, null, [n])
    }
  }

  private emit(req: Pending | null, res: ThriftMessage | null, end: Moment | null, extra: Note[] | undefined, resStart?: Moment): void {
    let notes: Note[] | undefined = req?.notes
    if (extra !== undefined) notes = notes === undefined ? extra : notes.concat(extra)
    if (this.carry !== undefined) {
      notes = notes === undefined ? this.carry : notes.concat(this.carry)
      this.carry = undefined
    }
    const m = (req?.m ?? res) as ThriftMessage
    const thrift: Record<string, unknown> = {}
    if (req !== null && req.m.params !== undefined) thrift.params = req.m.params
    const service = req?.m.service ?? res?.service
    if (service !== undefined) thrift.service = service
    if (res !== null) {
      if (res.returnValue !== undefined) thrift.return_value = res.returnValue
      if (res.exceptions !== undefined) thrift.exceptions = res.exceptions
    }
    thrift.protocol = m.compact ? 'compact' : 'binary'
    thrift.transport = m.framed ? 'framed' : 'socket'
    let status: Status = 'OK'
    if (res !== null && (res.exceptions !== undefined || res.type === MSG_EXCEPTION)) status = 'Error'
    if (req === null || (res === null && req.m.type !== MSG_ONEWAY && !req.m.oneway)) status = 'Error'
    if (req?.m.bodyBad || res?.bodyBad) status = 'Error'
    const fields: Record<string, unknown> = {thrift}
    const query = req !== null && req.m.params !== undefined ? `${req.m.name}${req.m.params}` : undefined
    const max = this.ctx.limits.maxCapturedMessageBytes
    if (this.o.sendRequest && query !== undefined) fields.request = query.length > max ? query.slice(0, max) : query
    if (this.o.sendResponse && res !== null) {
      const text = res.exceptions !== undefined ? `Exceptions: ${res.exceptions}` : res.returnValue
      if (text !== undefined) fields.response = text.length > max ? text.slice(0, max) : text
    }
    const start = req?.start ?? (resStart as Moment)
    this.ctx.emit(
      newTransaction({
        type: 'thrift',
        conn: this.conn,
        status,
        start,
        end: end ?? start,
        requestBytes: req?.m.wire ?? 0,
        responseBytes: res?.wire ?? 0,
        fields,
        notes,
        method: m.name,
        query,
        sentByServer: req === null,
      }),
    )
  }
}

function messageNotes(m: ThriftMessage): Note[] | undefined {
  let out: Note[] | undefined
  if (m.bodyBad !== '') (out ??= []).push(note('thrift.malformed', `malformed ${m.name} message body: ${m.bodyBad}`))
  if (m.dropped) (out ??= []).push(note('thrift.fields_dropped'))
  else if (m.cut) (out ??= []).push(note('thrift.value_cut'))
  return out
}
