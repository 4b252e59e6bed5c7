/**
 * Memcache request/response pairing, shared by the TCP stream handler and the UDP handler.
 *
 * Text protocol: replies come in request order (FIFO). A retrieval (get/gets/gat) is answered by
 * VALUE units closed by END, stats by STAT lines closed by END; any other command by one line. An
 * error line (ERROR, CLIENT_ERROR, SERVER_ERROR) closes any reply. `noreply` requests and `quit`
 * have no reply: they are emitted at once.
 * Binary protocol: a response names its request by `opaque`. Quiet requests (GetQ, SetQ, ...) are
 * answered only on hit (gets) or on error (others); a later response (typically to NOOP) implies
 * that the quiet requests before it completed silently. A Stat request is answered by one response
 * per statistic, closed by a response with an empty key.
 * Requests wait in the shared PendingQueue (limits.maxPendingRequests; the oldest is emitted alone
 * when exceeded).
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo, Moment} from '../../reassembly/types.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import type {McMsg} from './parser.js'

interface Pending {
  req: McMsg
  sec: number
  nsec: number
  frame: number
  /** Aggregated response (text multi-unit replies, binary stats). */
  resp: McMsg | null
  respBytes: number
  notes: Note[] | undefined
}

const NO_RESPONSE = note('memcache.no_response')
const UNMATCHED = note('memcache.unmatched_response')
const BAD_CHUNK = note('memcache.bad_data_chunk')

export class McMatcher {
  private readonly pending: PendingQueue<Pending>
  /** Response units that arrived with no request (VALUE/STAT until END). */
  private orphan: Pending | null = null
  private carryNotes: Note[] | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.pending = new PendingQueue<Pending>(ctx.limits, ctx.stats, (old, n) => this.noResponse(old, n))
  }

  get pendingCount(): number {
    return this.pending.length
  }

  note(n: Note): void {
    if (this.carryNotes === undefined) this.carryNotes = []
    if (this.carryNotes.length < 16) this.carryNotes.push(n)
  }

  request(m: McMsg, sec: number, nsec: number, frame: number): void {
    const p: Pending = {req: m, sec, nsec, frame, resp: null, respBytes: 0, notes: undefined}
    if (m.noreply || (m.command === 'quit' && (!m.binary || m.quiet === true))) {
      // No reply by design: text noreply / quit, binary QuitQ.
      this.emit(p, sec, nsec, frame, 'OK')
      return
    }
    this.pending.push(p)
  }

  response(m: McMsg, at: Moment): void {
    if (m.binary) this.binaryResponse(m, at)
    else this.textResponse(m, at)
  }

  /** Emits requests older than `olderThanSec` (UDP timeout) or all of them (olderThanSec = Infinity). */
  flush(nowSec: number, olderThanSec: number, reason: Note = NO_RESPONSE): void {
    while (this.pending.length > 0) {
      const p = this.pending.peek()!
      if (olderThanSec !== Number.POSITIVE_INFINITY && nowSec - p.sec < olderThanSec) break
      this.pending.shift()
      if (p.resp !== null) this.emit(p, p.sec, p.nsec, p.frame, statusOf(p), [note('memcache.response_incomplete')])
      else this.noResponse(p, reason)
    }
    if (olderThanSec === Number.POSITIVE_INFINITY && this.orphan !== null) {
      const o = this.orphan
      this.orphan = null
      this.ctx.stats.unmatchedResponses++
      this.emit(o, o.sec, o.nsec, o.frame, 'Error', [UNMATCHED])
    }
  }

  private noResponse(p: Pending, reason: Note): void {
    if (p.req.quiet) {
      // A quiet request answered by silence: success (stores) or miss (gets).
      this.emit(p, p.sec, p.nsec, p.frame, 'OK', [note('memcache.quiet_no_response')])
      return
    }
    this.ctx.stats.unmatchedRequests++
    this.emit(p, p.sec, p.nsec, p.frame, 'Error', [reason])
  }

  private textResponse(m: McMsg, at: Moment): void {
    // Quiet meta requests before a meta no-op ("MN") completed silently.
    while (m.line === 'MN' && this.pending.length > 0 && this.pending.peek()!.req.quiet) this.noResponse(this.pending.shift()!, NO_RESPONSE)
    const head = this.pending.peek() ?? this.orphanFor(m, at)
    if (head === null) {
      this.ctx.stats.unmatchedResponses++
      const p: Pending = {req: m, sec: at.tsSec, nsec: at.tsNsec, frame: at.frame, resp: m, respBytes: m.wireBytes, notes: undefined}
      this.emit(p, at.tsSec, at.tsNsec, at.frame, 'Error', [UNMATCHED], true)
      return
    }
    const multi = head === this.orphan || ((head.req.command === 'get' || head.req.command === 'gets' || head.req.command === 'gat' || head.req.command === 'gats' || head.req.type === 'Stats') && !head.req.binary)
    head.respBytes += m.wireBytes
    if (head.resp === null) {
      head.resp = {...m, keys: m.keys ? [...m.keys] : undefined}
      if (m.line === 'STAT') head.resp.countValues = 1
    } else if (m.line === 'VALUE') {
      const r = head.resp
      if (r.keys === undefined) r.keys = []
      if (m.keys && r.keys.length < 64) r.keys.push(m.keys[0])
      r.countValues = (r.countValues ?? 0) + 1
      r.bytes = (r.bytes ?? 0) + (m.bytes ?? 0)
      if (r.type !== 'Load') r.type = 'Load'
    } else if (m.line === 'STAT') head.resp.countValues = (head.resp.countValues ?? 0) + 1
    else if (m.type === 'Fail') {
      head.resp.type = 'Fail'
      head.resp.errorMsg = m.errorMsg
    }
    const done = !multi || m.line === 'END' || m.type === 'Fail'
    if (!done) return
    if (head === this.orphan) {
      this.orphan = null
      this.ctx.stats.unmatchedResponses++
      this.emit(head, at.tsSec, at.tsNsec, at.frame, 'Error', [UNMATCHED], true)
      return
    }
    this.pending.shift()
    this.emit(head, at.tsSec, at.tsNsec, at.frame, statusOf(head))
  }

  /** With no request pending, VALUE/STAT units collect into an orphan reply closed by END. */
  private orphanFor(m: McMsg, at: Moment): Pending | null {
    if (this.orphan !== null) return this.orphan
    if (m.line !== 'VALUE' && m.line !== 'STAT') return null
    this.orphan = {req: m, sec: at.tsSec, nsec: at.tsNsec, frame: at.frame, resp: null, respBytes: 0, notes: undefined}
    return this.orphan
  }

  private binaryResponse(m: McMsg, at: Moment): void {
    let i = this.pending.findIndex((p) => p.req.binary && p.req.opaque === m.opaque && p.req.opcodeValue === m.opcodeValue)
    if (i < 0) i = this.pending.findIndex((p) => p.req.binary && p.req.opaque === m.opaque)
    if (i < 0) {
      this.ctx.stats.unmatchedResponses++
      const p: Pending = {req: m, sec: at.tsSec, nsec: at.tsNsec, frame: at.frame, resp: m, respBytes: m.wireBytes, notes: undefined}
      this.emit(p, at.tsSec, at.tsNsec, at.frame, 'Error', [UNMATCHED], true)
      return
    }
    // Requests before the matched one got no response: quiet ones completed silently.
    for (let k = 0; k < i; k++) this.noResponse(this.pending.shift()!, NO_RESPONSE)
    const head = this.pending.peek()!
    head.respBytes += m.wireBytes
    if (m.statName !== undefined && head.req.opcodeValue === 0x10) {
      // Stat: one response per statistic, then one with an empty key.
      if (head.resp === null) head.resp = {...m, statName: undefined, countValues: 0}
      if (m.statName !== '') {
        head.resp.countValues = (head.resp.countValues ?? 0) + 1
        if (m.statusCode === 0) return
      }
      head.resp.statusCode = m.statusCode
      head.resp.status = m.status
    } else head.resp = m
    this.pending.shift()
    this.emit(head, at.tsSec, at.tsNsec, at.frame, statusOf(head))
  }

  private emit(p: Pending, endSec: number, endNsec: number, endFrame: number, status: Status, notes?: Note[], noRequest = false): void {
    const req = noRequest ? null : p.req
    const resp = p.resp
    const mc: Record<string, unknown> = {protocol_type: (req ?? resp ?? p.req).binary ? 'binary' : 'text'}
    if (req !== null) mc.request = requestFields(req)
    if (resp !== null) mc.response = responseFields(resp, req)
    let all = notes
    if (req?.badChunk) all = all === undefined ? [BAD_CHUNK] : all.concat(BAD_CHUNK)
    if (this.carryNotes !== undefined) {
      all = all === undefined ? this.carryNotes : all.concat(this.carryNotes)
      this.carryNotes = undefined
    }
    this.ctx.emit(
      newTransaction({
        type: 'memcache',
        conn: this.conn,
        status,
        start: {tsSec: p.sec, tsNsec: p.nsec, frame: p.frame},
        end: {tsSec: endSec, tsNsec: endNsec, frame: endFrame},
        requestBytes: req !== null ? req.wireBytes : 0,
        responseBytes: p.respBytes,
        fields: {memcache: mc},
        event: req !== null ? {action: 'memcache.' + req.type.toLowerCase()} : undefined,
        notes: all,
      }),
    )
  }
}

function statusOf(p: Pending): Status {
  const r = p.resp
  if (r === null) return 'Error'
  if (r.binary) return r.statusCode === 0 ? 'OK' : 'Error'
  return r.type === 'Fail' ? 'Error' : 'OK'
}

function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (v !== undefined) o[k] = v
}

function requestFields(m: McMsg): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  put(o, 'command', m.command)
  put(o, 'type', m.type)
  put(o, 'opcode', m.opcode)
  put(o, 'opcode_value', m.opcodeValue)
  put(o, 'keys', m.keys)
  put(o, 'count_values', m.countValues)
  put(o, 'bytes', m.bytes)
  put(o, 'flags', m.flags)
  put(o, 'exptime', m.exptime)
  put(o, 'delta', m.delta)
  put(o, 'initial', m.initial)
  put(o, 'verbosity', m.verbosity)
  put(o, 'raw_args', m.rawArgs)
  put(o, 'cas_unique', m.cas)
  put(o, 'opaque', m.opaque)
  put(o, 'vbucket', m.vbucket)
  if (m.noreply) o.noreply = true
  if (m.quiet) o.quiet = true
  return o
}

function responseFields(m: McMsg, req: McMsg | null): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  // Binary responses mirror the request's command and type; text ones name their reply line.
  put(o, 'command', m.binary ? m.command : m.line)
  put(o, 'type', m.binary ? (req?.type ?? m.type) : m.type)
  put(o, 'opcode', m.opcode)
  put(o, 'opcode_value', m.opcodeValue)
  put(o, 'status', m.status)
  put(o, 'status_code', m.statusCode)
  put(o, 'keys', m.keys)
  put(o, 'count_values', m.countValues)
  put(o, 'bytes', m.bytes)
  put(o, 'flags', m.flags)
  put(o, 'value', m.value)
  put(o, 'cas_unique', m.cas)
  put(o, 'opaque', m.opaque)
  put(o, 'error_msg', m.errorMsg)
  put(o, 'version', m.version)
  return o
}
