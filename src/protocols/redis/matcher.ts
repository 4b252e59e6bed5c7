/**
 * Redis connection handler: RESP messages -> transactions.
 *
 * Call order (src/reassembly/types.ts): data/gap per direction, then exactly one end(). Requests
 * are paired with replies in FIFO order (Redis answers in order, pipelining included), bounded by
 * limits.maxPendingRequests. Exceptions to one-reply-per-request:
 *   - pub/sub: SUBSCRIBE a b c is answered by one "subscribe" confirmation per channel; messages
 *     pushed by the server (RESP2 "message"/"pmessage"/"smessage" arrays once the client has
 *     subscribed, any RESP3 '>' push that is not a confirmation) are events of their own (method
 *     MESSAGE / PMESSAGE / ..., no request);
 *   - CLIENT REPLY OFF / SKIP: the server sends no reply; such requests are emitted at once, OK,
 *     with a note.
 * A gap drops the partial message of that direction and resynchronises on the next line that
 * starts with a RESP type byte; a gap in the server direction also flushes the pending requests
 * (their replies may be lost).
 */
import type {ConnInfo, Dir, Moment, StreamHandler} from '../../reassembly/types.js'
import type {Status, Transaction} from '../../event/types.js'
import type {ProtocolContext} from '../types.js'
import {BAD, isRespType, NEED, newParseState, parseReply, parseRequest, type ParseState, type RespValue, render, scalar} from './parser.js'
import {StreamBuffer} from '../../util/stream-buffer.js'

const MAX_QUERY = 1024

interface Pending {
  method: string
  resource?: string
  query: string
  bytes: number
  sec: number
  nsec: number
  frame: number
  /** Replies still expected (subscribe-family commands get one per channel). */
  expect: number
  /** For argument-less UNSUBSCRIBE-family commands: done when the reply count reaches 0. */
  untilZero: boolean
  replyBytes: number
  lastReply: RespValue | null
  notes: string[] | undefined
}

const SUB_REPLIES = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe'])
const PUSH_KINDS = new Set(['message', 'pmessage', 'smessage', 'invalidate'])

export class RedisConn implements StreamHandler {
  private readonly bufs = [new StreamBuffer(), new StreamBuffer()]
  /** Per direction: bytes (from the carried-over start) needed before a re-parse can succeed. */
  private readonly need = [0, 0]
  /** Per direction: skipping to the next plausible message start (after a gap or bad bytes). */
  private readonly resync = [false, false]
  private readonly st: ParseState
  private readonly pending: Pending[] = []
  private subscribed = false
  private replyOff = false
  private skipNext = false
  /** Notes waiting for the next transaction (gaps, resynchronisation). */
  private carryNotes: string[] | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.st = newParseState(ctx.limits.maxMessageBytes)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    const sb = this.bufs[dir]
    const carried = sb.pending
    if (carried > 0 && carried + bytes.length < this.need[dir]) {
      // Still short of the known message length: just append (bounded below).
      if (!this.bound(dir, carried + bytes.length)) return
      sb.view(bytes)
      return
    }
    const buf = sb.view(bytes)
    let off = 0
    while (off < buf.length) {
      // Stray line ends between messages (keep-alive newlines) carry nothing.
      if (buf[off] === 0x0d || buf[off] === 0x0a) {
        off++
        continue
      }
      if (this.resync[dir]) {
        const s = this.findStart(dir, buf, off)
        if (s < 0) {
          off = buf.length
          break
        }
        off = s
        this.resync[dir] = false
      }
      const r = dir === 0 ? parseRequest(buf, off, this.st) : parseReply(buf, off, this.st)
      if (r === NEED) {
        this.need[dir] = this.st.need
        break
      }
      const inCarry = off < carried
      const sec = inCarry ? sb.sec : at.tsSec
      const nsec = inCarry ? sb.nsec : at.tsNsec
      const frame = inCarry ? sb.frame : at.frame
      if (r === BAD) {
        this.ctx.stats.bad('redis: ' + this.st.reason)
        this.addNote('malformed ' + (dir === 0 ? 'request' : 'reply') + ' skipped: ' + this.st.reason)
        this.resync[dir] = true
        off++
        continue
      }
      if (dir === 0) this.onRequest(this.st.value!, r - off, sec, nsec, frame, at)
      else this.onReply(this.st.value!, r - off, at)
      off = r
      this.need[dir] = 0
    }
    if (off < buf.length) {
      if (!this.bound(dir, buf.length - off)) {
        sb.clear()
        return
      }
      const inCarry = off < carried
      sb.keep(buf, off, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
    } else sb.clear()
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    this.bufs[dir].clear()
    this.need[dir] = 0
    this.resync[dir] = true
    this.addNote(`gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`)
    if (dir === 1) this.flushPending(at, 'no response (gap in the server stream)')
  }

  end(_reason: string, at: Moment): void {
    for (const d of [0, 1] as const) {
      if (this.bufs[d].pending > 0) {
        this.ctx.stats.bad('redis: incomplete message at end of stream')
        this.addNote(`incomplete ${d === 0 ? 'request' : 'reply'} at end of stream (${this.bufs[d].pending} bytes)`)
        this.bufs[d].clear()
      }
    }
    this.flushPending(at, 'no response')
  }

  /** Checks the carry-over bound; on overflow drops the partial message and resynchronises. */
  private bound(dir: Dir, n: number): boolean {
    if (n <= this.ctx.limits.maxMessageBytes) return true
    this.ctx.stats.limit('maxMessageBytes')
    this.ctx.stats.bad('redis: message larger than maxMessageBytes')
    this.addNote('message larger than maxMessageBytes skipped')
    this.bufs[dir].clear()
    this.need[dir] = 0
    this.resync[dir] = true
    return false
  }

  /** Next offset >= off at a line start holding a plausible message start, or -1. */
  private findStart(dir: Dir, buf: Buffer, off: number): number {
    for (let i = off; i < buf.length; i++) {
      if (i > 0 && buf[i - 1] !== 0x0a) continue
      const b = buf[i]
      if (dir === 0 ? b === 0x2a : isRespType(b)) return i
    }
    return -1
  }

  private addNote(n: string): void {
    if (this.carryNotes === undefined) this.carryNotes = []
    if (this.carryNotes.length < 16) this.carryNotes.push(n)
  }

  private takeNotes(into: string[] | undefined): string[] | undefined {
    if (this.carryNotes === undefined) return into
    const out = into === undefined ? this.carryNotes : into.concat(this.carryNotes)
    this.carryNotes = undefined
    return out
  }

  private onRequest(v: RespValue, bytes: number, sec: number, nsec: number, frame: number, at: Moment): void {
    const items = v.items
    if (items === undefined) {
      this.ctx.stats.bad('redis: request is not an array')
      this.addNote('request that is not an array of strings skipped')
      return
    }
    if (items.length === 0) return // empty inline line (keep-alive newline)
    if (v.bad !== undefined) this.ctx.stats.bad('redis: ' + v.bad)
    let query = ''
    for (let i = 0; i < items.length && query.length < MAX_QUERY; i++) {
      const s = scalar(items[i]) ?? render(items[i], 64)
      query += (i > 0 ? ' ' : '') + s
    }
    if (query.length > MAX_QUERY) query = query.slice(0, MAX_QUERY) + '...'
    const name = (scalar(items[0]) ?? '').toUpperCase()
    const arg1 = scalar(items[1])
    const nargs = v.count ?? items.length
    const p: Pending = {
      method: name,
      query,
      bytes,
      sec,
      nsec,
      frame,
      expect: 1,
      untilZero: false,
      replyBytes: 0,
      lastReply: null,
      notes: v.bad !== undefined ? [v.bad] : undefined,
    }
    if (arg1 !== undefined) p.resource = arg1
    if (name === 'SUBSCRIBE' || name === 'PSUBSCRIBE' || name === 'SSUBSCRIBE') {
      this.subscribed = true
      p.expect = Math.max(1, nargs - 1)
    } else if (name === 'UNSUBSCRIBE' || name === 'PUNSUBSCRIBE' || name === 'SUNSUBSCRIBE') {
      if (nargs > 1) p.expect = nargs - 1
      else p.untilZero = true
    }
    // CLIENT REPLY OFF|ON|SKIP (https://redis.io/docs/latest/commands/client-reply/)
    let noReply = this.replyOff || this.skipNext
    this.skipNext = false
    if (name === 'CLIENT' && arg1 !== undefined && arg1.toUpperCase() === 'REPLY') {
      const mode = (scalar(items[2]) ?? '').toUpperCase()
      if (mode === 'ON') {
        this.replyOff = false
        noReply = false
      } else if (mode === 'OFF') {
        this.replyOff = true
        noReply = true
      } else if (mode === 'SKIP') {
        noReply = true
        this.skipNext = !this.replyOff
      }
    }
    if (noReply) {
      this.emit(p, null, at, 'OK', ['no reply expected (CLIENT REPLY OFF/SKIP)'])
      return
    }
    if (this.pending.length >= this.ctx.limits.maxPendingRequests) {
      this.ctx.stats.limit('maxPendingRequests')
      const old = this.pending.shift()!
      this.ctx.stats.unmatchedRequests++
      this.emit(old, null, at, 'Error', ['no response (maxPendingRequests reached)'])
    }
    this.pending.push(p)
  }

  private onReply(v: RespValue, bytes: number, at: Moment): void {
    const head = this.pending.length > 0 ? this.pending[0] : undefined
    // Pub/sub: confirmations belong to the (UN)SUBSCRIBE request at the head; other pushes stand alone.
    if (v.items !== undefined && (v.type === 0x3e || (this.subscribed && v.type === 0x2a))) {
      const kind = (scalar(v.items[0]) ?? '').toLowerCase()
      if (SUB_REPLIES.has(kind)) {
        if (head !== undefined && head.method.toLowerCase() === kind) {
          head.replyBytes += bytes
          head.lastReply = v
          head.expect--
          const cnt = v.items[2]?.int
          if (head.untilZero ? cnt === undefined || cnt <= 0 : head.expect <= 0) {
            this.pending.shift()
            this.emit(head, v, at, 'OK', undefined)
          }
          return
        }
        this.emitPush(kind, v, bytes, at)
        return
      }
      if (v.type === 0x3e || PUSH_KINDS.has(kind)) {
        this.emitPush(kind, v, bytes, at)
        return
      }
    }
    if (head === undefined) {
      this.ctx.stats.unmatchedResponses++
      const p: Pending = {
        method: '',
        query: '',
        bytes: 0,
        sec: at.tsSec,
        nsec: at.tsNsec,
        frame: at.frame,
        expect: 0,
        untilZero: false,
        replyBytes: bytes,
        lastReply: v,
        notes: undefined,
      }
      this.emit(p, v, at, 'Error', ['response without request'])
      return
    }
    this.pending.shift()
    head.replyBytes += bytes
    this.emit(head, v, at, isError(v) ? 'Error' : 'OK', undefined)
  }

  private emitPush(kind: string, v: RespValue, bytes: number, at: Moment): void {
    const p: Pending = {
      method: kind.toUpperCase() || 'PUSH',
      query: '',
      bytes: 0,
      sec: at.tsSec,
      nsec: at.tsNsec,
      frame: at.frame,
      expect: 0,
      untilZero: false,
      replyBytes: bytes,
      lastReply: v,
      notes: undefined,
    }
    const ch = scalar(v.items?.[kind === 'pmessage' ? 2 : 1])
    if (ch !== undefined) p.resource = ch
    // sent by the server: source/destination describe the push (server -> client); its bytes are
    // the response bytes (no request)
    this.emit(p, v, at, 'OK', ['server push (pub/sub or client tracking), not a reply to a request'], true)
  }

  private flushPending(at: Moment, note: string): void {
    while (this.pending.length > 0) {
      const p = this.pending.shift()!
      if (p.lastReply !== null) {
        // A subscribe whose confirmations were partly seen: report what arrived.
        this.emit(p, p.lastReply, at, 'OK', ['fewer subscribe confirmations than channels'])
        continue
      }
      this.ctx.stats.unmatchedRequests++
      this.emit(p, null, at, 'Error', [note])
    }
  }

  private emit(
    p: Pending,
    reply: RespValue | null,
    at: Moment,
    status: Status,
    notes: string[] | undefined,
    sentByServer = false,
  ): void {
    const redis: Record<string, unknown> = {}
    if (reply !== null) {
      if (isError(reply)) redis.error = reply.str ?? ''
      else redis.return_value = render(reply)
    }
    const t: Transaction = {
      type: 'redis',
      conn: this.conn,
      status,
      startSec: p.sec,
      startNsec: p.nsec,
      startFrame: p.frame,
      endSec: reply !== null ? at.tsSec : p.sec,
      endNsec: reply !== null ? at.tsNsec : p.nsec,
      endFrame: reply !== null ? at.frame : p.frame,
      requestBytes: p.bytes,
      responseBytes: p.replyBytes,
      fields: {redis},
    }
    if (sentByServer) t.sentByServer = true
    if (p.method !== '') t.method = p.method
    if (p.resource !== undefined) t.resource = p.resource
    if (p.query !== '') t.query = p.query
    const all = this.takeNotes(p.notes === undefined ? notes : notes === undefined ? p.notes : p.notes.concat(notes))
    if (all !== undefined && all.length > 0) t.notes = all
    this.ctx.emit(t)
  }
}

function isError(v: RespValue): boolean {
  return v.type === 0x2d || v.type === 0x21
}
