/**
 * CQL matching: envelopes (from ./parser.ts via ./session.ts) -> transactions, after Packetbeat's
 * cassandra module but paired as the spec says (native_protocol_v4.spec 2.3): a response carries
 * the stream id of its request, and responses may come in any order, so pending requests are kept
 * by stream id (PendingQueue keyed by stream, limits.maxPendingRequests). A request on a stream id
 * that is still pending ends the older one unanswered. EVENT pushes (stream -1) are one-message
 * events sent by the server (cassandra.no_request: true). Status is Error for ERROR responses and
 * requests that got no response.
 *
 * Bodies with the compression flag (v1-v4) are decompressed with the algorithm the STARTUP's
 * COMPRESSION option chose (or the `compressor` option when the STARTUP was not captured), bounded
 * by limits.maxMessageBytes; a body that cannot be decompressed keeps its header fields and gets a
 * note. A v5 STARTUP answered by READY / AUTHENTICATE switches both directions to v5 framing
 * (with LZ4 when negotiated): the matcher tells the session through `onV5`.
 *
 * Options (protocols.cassandra.*, Packetbeat's): send_request / send_response (default true:
 * cassandra.request / cassandra.response are reported), send_request_header /
 * send_response_header (default true: their `headers`), compressor ("snappy" or "lz4"),
 * ignored_ops (opcode names whose transactions are not reported, e.g. [OPTIONS, REGISTER]).
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction, type Stamp} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo, Moment} from '../../reassembly/types.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {
  decodeBatch,
  decodeError,
  decodeEvent,
  decodeResult,
  FLAG_COMPRESSION,
  FLAG_CUSTOM_PAYLOAD,
  FLAG_TRACING,
  FLAG_WARNING,
  headFlags,
  type Obj,
  OP,
  opByName,
  opName,
  Reader,
} from './codec.js'
import {lz4Body, snappyBody} from './decompress.js'
import type {Envelope} from './parser.js'

export interface CassandraOptions {
  sendRequest: boolean
  sendResponse: boolean
  sendRequestHeader: boolean
  sendResponseHeader: boolean
  compressor: 'snappy' | 'lz4' | ''
  ignoredOps: ReadonlySet<number>
}

/** Reads protocols.cassandra.* options (Packetbeat's defaults when absent). */
export function cassandraOptions(o: Readonly<Record<string, unknown>>): CassandraOptions {
  const bool = (k: string, d: boolean) => (typeof o[k] === 'boolean' ? (o[k] as boolean) : d)
  const c = typeof o.compressor === 'string' ? o.compressor.toLowerCase() : ''
  const ignored = new Set<number>()
  if (Array.isArray(o.ignored_ops)) {
    for (const x of o.ignored_ops) {
      const op = typeof x === 'string' ? opByName(x) : -1
      if (op >= 0) ignored.add(op)
    }
  }
  return {
    sendRequest: bool('send_request', true),
    sendResponse: bool('send_response', true),
    sendRequestHeader: bool('send_request_header', true),
    sendResponseHeader: bool('send_response_header', true),
    compressor: c === 'snappy' || c === 'lz4' ? c : '',
    ignoredOps: ignored,
  }
}

interface Msg {
  op: number
  stream: number
  version: number
  headers: Obj
  data: Obj
  start: Stamp
  wire: number
  notes: Note[] | undefined
  /** PREPARE / QUERY / EXECUTE / BATCH text. */
  query?: string
}

const stamp = (at: Moment): Stamp => ({tsSec: at.tsSec, tsNsec: at.tsNsec, frame: at.frame})

export class CassandraMatcher {
  private readonly pending: PendingQueue<Msg, number>
  private readonly o: CassandraOptions
  /** Compression chosen by the STARTUP (or the compressor option). */
  private compression: 'snappy' | 'lz4' | ''
  /** Prepared statement id (hex) -> query text, from PREPARE / RESULT prepared pairs. */
  private readonly prepared = new Map<string, string>()
  private readonly maxPrepared: number
  private carry: Note[] | undefined
  private startupV5 = false

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
    /** Called once the handshake chose v5 framing. */
    private readonly onV5: (lz4: boolean) => void,
  ) {
    this.o = cassandraOptions(ctx.options)
    this.compression = this.o.compressor
    // the statements remembered are bounded by the same limit as the requests waiting
    this.maxPrepared = Math.max(1, ctx.limits.maxPendingRequests)
    this.pending = new PendingQueue<Msg, number>(
      ctx.limits,
      ctx.stats,
      (old, n) => {
        ctx.stats.unmatchedRequests++
        this.emit(old, null, [n])
      },
      (m) => m.stream,
    )
  }

  /** A note for the next transaction emitted. */
  note(n: Note): void {
    if (this.carry === undefined) this.carry = []
    if (this.carry.length < 16) this.carry.push(n)
  }

  envelope(response: boolean, h: Envelope, buf: Buffer, off: number, at: Moment, end: Moment): void {
    const headers: Obj = {version: String(h.version), flags: headFlags(h.flags), stream: h.stream, op: opName(h.op), length: h.length}
    const m: Msg = {op: h.op, stream: h.stream, version: h.version, headers, data: {}, start: stamp(at), wire: h.wire, notes: undefined}
    let body = buf
    let s = off
    let e = off + h.length
    if (h.flags & FLAG_COMPRESSION && h.version < 5 && h.length > 0) {
      const algo = this.compression
      if (algo === '') {
        this.ctx.stats.bad('cassandra: compressed body, algorithm unknown')
        m.notes = [note('cassandra.compressed')]
        e = s
      } else {
        const d = algo === 'lz4' ? lz4Body(buf, s, e, this.ctx.limits.maxMessageBytes) : snappyBody(buf, s, e, this.ctx.limits.maxMessageBytes)
        if (typeof d === 'string') {
          this.ctx.stats.bad('cassandra: decompression failed')
          m.notes = [note('cassandra.decompress_failed', `${algo} body of ${opName(h.op)} not decoded: ${d}`)]
          e = s
        } else {
          body = d
          s = 0
          e = d.length
        }
      }
    }
    if (e > s) this.decodeBody(response, h, m, new Reader(body, s, e))
    if (response) this.response(m, end)
    else this.request(m)
  }

  private decodeBody(response: boolean, h: Envelope, m: Msg, r: Reader): void {
    if (response && h.flags & FLAG_TRACING) m.data.trace_id = r.uuid()
    if (response && h.flags & FLAG_WARNING) m.data.warnings = r.stringList()
    if (h.flags & FLAG_CUSTOM_PAYLOAD) {
      const n = r.short()
      for (let i = 0; i < n && r.bad === ''; i++) {
        r.skip(r.short(), 'custom payload key')
        r.skipBytes()
      }
    }
    const d = m.data
    switch (h.op) {
      case OP.STARTUP: {
        const opts = r.stringMap()
        const c = (opts.COMPRESSION ?? '').toLowerCase()
        if (c === 'lz4' || c === 'snappy') this.compression = c
        else if (c === '') this.compression = this.o.compressor
        if (h.version >= 5) this.startupV5 = true
        break
      }
      case OP.QUERY:
      case OP.PREPARE:
        m.query = r.longString()
        d.query = m.query
        break
      case OP.EXECUTE: {
        const id = r.shortBytesHex()
        const q = this.prepared.get(id)
        if (q !== undefined) {
          m.query = q
          d.query = q
        } else (m.notes ??= []).push(note('cassandra.unknown_statement', `EXECUTE of prepared statement ${id.slice(0, 32)} whose PREPARE is not in this capture`))
        break
      }
      case OP.BATCH: {
        const b = decodeBatch(r, (id) => this.prepared.get(id))
        if (b.queries.length > 0) {
          m.query = b.queries.join('; ')
          d.query = m.query
        }
        if (b.unknown > 0) (m.notes ??= []).push(note('cassandra.unknown_statement', `BATCH: ${b.unknown} prepared statements whose PREPARE is not in this capture`))
        break
      }
      case OP.RESULT:
        d.result = decodeResult(r, h.version)
        break
      case OP.ERROR:
        d.error = decodeError(r, h.version)
        break
      case OP.SUPPORTED:
        d.supported = r.stringMultimap()
        break
      case OP.AUTHENTICATE:
        d.authentication = {class: r.string()}
        break
      case OP.EVENT:
        d.event = decodeEvent(r, h.version)
        break
    }
    if (r.bad !== '') {
      this.ctx.stats.bad('cassandra: malformed body')
      ;(m.notes ??= []).push(note('cassandra.malformed', `malformed ${opName(h.op)} body: ${r.bad}`))
    }
    if (r.cut > 0) (m.notes ??= []).push(note('cassandra.list_cut', `${r.cut} list entries of ${opName(h.op)} not listed`))
  }

  private request(m: Msg): void {
    const old = this.pending.get(m.stream)
    if (old !== undefined) {
      this.pending.remove(old)
      this.ctx.stats.unmatchedRequests++
      this.emit(old, null, [note('cassandra.no_response', `no response before stream id ${m.stream} was used again`)])
    }
    this.pending.push(m)
  }

  private response(m: Msg, at: Moment): void {
    if (m.op === OP.EVENT || m.stream < 0) {
      this.emitPush(m, at)
      return
    }
    const req = this.pending.get(m.stream)
    if (req === undefined) {
      this.ctx.stats.unmatchedResponses++
      this.emitAlone(m, at, [note('cassandra.unmatched_response')])
      return
    }
    this.pending.remove(req)
    if (req.op === OP.STARTUP && this.startupV5 && m.version >= 5 && (m.op === OP.READY || m.op === OP.AUTHENTICATE)) {
      this.startupV5 = false
      this.onV5(this.compression === 'lz4')
    }
    if (req.op === OP.PREPARE && req.query !== undefined) {
      const p = (m.data.result as Obj | undefined)?.prepared as Obj | undefined
      const id = p?.prepared_id
      if (typeof id === 'string' && id !== '') {
        if (this.prepared.size >= this.maxPrepared && !this.prepared.has(id)) this.prepared.delete(this.prepared.keys().next().value as string)
        this.prepared.set(id, req.query)
      }
    }
    this.emit(req, {m, at})
  }

  /** End of connection, or a gap in the server stream: requests still pending are emitted unanswered. */
  flush(n: Note): void {
    for (const p of this.pending.drain()) {
      this.ctx.stats.unmatchedRequests++
      this.emit(p, null, [n])
    }
  }

  private takeNotes(...lists: (Note[] | undefined)[]): Note[] | undefined {
    let all: Note[] | undefined
    for (const l of lists) if (l !== undefined && l.length > 0) all = all === undefined ? l.slice() : all.concat(l)
    if (this.carry !== undefined) {
      all = all === undefined ? this.carry : all.concat(this.carry)
      this.carry = undefined
    }
    return all
  }

  private requestObj(req: Msg): Obj | undefined {
    if (!this.o.sendRequest) return undefined
    const o: Obj = {}
    if (this.o.sendRequestHeader) o.headers = req.headers
    if (req.data.query !== undefined) o.query = req.data.query
    return Object.keys(o).length > 0 ? o : undefined
  }

  private responseObj(resp: Msg): Obj | undefined {
    if (!this.o.sendResponse) return undefined
    const o: Obj = {}
    if (this.o.sendResponseHeader) o.headers = resp.headers
    Object.assign(o, resp.data)
    return Object.keys(o).length > 0 ? o : undefined
  }

  private ignored(op: number): boolean {
    return this.o.ignoredOps.has(op)
  }

  private emit(req: Msg, resp: {m: Msg; at: Moment} | null, notes?: Note[]): void {
    const all = this.takeNotes(req.notes, resp?.m.notes, notes)
    if (this.ignored(req.op) || (resp !== null && this.ignored(resp.m.op))) return
    const cassandra: Obj = {}
    const rq = this.requestObj(req)
    if (rq !== undefined) cassandra.request = rq
    if (resp !== null) {
      const rs = this.responseObj(resp.m)
      if (rs !== undefined) cassandra.response = rs
    }
    const status: Status = resp === null || resp.m.op === OP.ERROR ? 'Error' : 'OK'
    this.ctx.emit(
      newTransaction({
        type: 'cassandra',
        conn: this.conn,
        status,
        start: req.start,
        end: resp === null ? req.start : resp.at,
        requestBytes: req.wire,
        responseBytes: resp === null ? 0 : resp.m.wire,
        fields: {cassandra},
        notes: all,
        method: opName(req.op),
        query: req.query,
      }),
    )
  }

  /** A response with no request (unmatched): reported alone, status Error. */
  private emitAlone(m: Msg, at: Moment, notes: Note[]): void {
    const all = this.takeNotes(m.notes, notes)
    if (this.ignored(m.op)) return
    const cassandra: Obj = {}
    const rs = this.responseObj(m)
    if (rs !== undefined) cassandra.response = rs
    this.ctx.emit(
      newTransaction({type: 'cassandra', conn: this.conn, status: 'Error', start: m.start, end: at, requestBytes: 0, responseBytes: m.wire, fields: {cassandra}, notes: all, sentByServer: true}),
    )
  }

  /** An EVENT push: one message from the server. */
  private emitPush(m: Msg, at: Moment): void {
    const all = this.takeNotes(m.notes)
    if (this.ignored(m.op)) return
    const cassandra: Obj = {no_request: true}
    const rs = this.responseObj(m)
    if (rs !== undefined) cassandra.response = rs
    this.ctx.emit(
      newTransaction({
        type: 'cassandra',
        conn: this.conn,
        status: 'OK',
        start: m.start,
        end: at,
        requestBytes: 0,
        responseBytes: m.wire,
        fields: {cassandra},
        notes: all,
        method: opName(m.op),
        sentByServer: true,
      }),
    )
  }
}
