/**
 * Redis matching: RESP messages (from ./session.ts) -> transactions.
 *
 * Requests are paired with replies in FIFO order (Redis answers in order, pipelining included), in
 * the shared PendingQueue (limits.maxPendingRequests). Exceptions to one-reply-per-request:
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
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo, Moment} from '../../reassembly/types.js'
import {PENDING_OVERFLOW, PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {type RespValue, render, scalar} from './parser.js'

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
  notes: Note[] | undefined
}

const SUB_REPLIES = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe'])
const PUSH_KINDS = new Set(['message', 'pmessage', 'smessage', 'invalidate'])

/** Pairs the parsed requests and replies of one connection (fed by ./session.ts). */
export class RedisMatcher {
  private readonly pending: PendingQueue<Pending>
  private subscribed = false
  private replyOff = false
  private skipNext = false
  /** Notes waiting for the next transaction (gaps, resynchronisation). */
  private carryNotes: Note[] | undefined
  /**
   * Packetbeat's queue_max_bytes / queue_max_messages: request bytes and requests waiting for a
   * reply on this connection. queue_max_messages lowers limits.maxPendingRequests for redis; beyond
   * queue_max_bytes the oldest requests are emitted unanswered (note limit.pending_requests), the
   * newest always stays. Unset: limits.maxPendingRequests only.
   */
  private readonly maxQueuedBytes: number
  private queuedBytes = 0

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    const qm = ctx.options.queue_max_messages
    const qb = ctx.options.queue_max_bytes
    const limits = typeof qm === 'number' && qm > 0 ? {...ctx.limits, maxPendingRequests: Math.min(ctx.limits.maxPendingRequests, qm)} : ctx.limits
    this.maxQueuedBytes = typeof qb === 'number' && qb > 0 ? qb : Number.POSITIVE_INFINITY
    this.pending = new PendingQueue<Pending>(limits, ctx.stats, (old, n) => {
      this.queuedBytes -= old.bytes
      this.ctx.stats.unmatchedRequests++
      this.emit(old, null, this.now, 'Error', [n])
    })
  }

  /** Takes the oldest pending request out (keeping queuedBytes). */
  private take(): Pending | undefined {
    const p = this.pending.shift()
    if (p !== undefined) this.queuedBytes -= p.bytes
    return p
  }

  /** The Moment of the message being handled (the overflow callback emits at it). */
  private now: Moment = {frame: 0, tsSec: 0, tsNsec: 0}

  /** A note for the next transaction emitted. */
  note(n: Note): void {
    if (this.carryNotes === undefined) this.carryNotes = []
    if (this.carryNotes.length < 16) this.carryNotes.push(n)
  }

  private takeNotes(into: Note[] | undefined): Note[] | undefined {
    if (this.carryNotes === undefined) return into
    const out = into === undefined ? this.carryNotes : into.concat(this.carryNotes)
    this.carryNotes = undefined
    return out
  }

  onRequest(v: RespValue, bytes: number, sec: number, nsec: number, frame: number, at: Moment): void {
    const items = v.items
    if (items === undefined) {
      this.ctx.stats.bad('redis: request is not an array')
      this.note(note('redis.bad_request'))
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
      notes: v.bad !== undefined ? [note('redis.malformed', v.bad)] : undefined,
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
      this.emit(p, null, at, 'OK', [note('redis.no_reply_expected')])
      return
    }
    this.now = at
    this.pending.push(p)
    this.queuedBytes += p.bytes
    while (this.queuedBytes > this.maxQueuedBytes && this.pending.length > 1) {
      const old = this.take()!
      this.ctx.stats.limit('maxPendingRequests')
      this.ctx.stats.unmatchedRequests++
      this.emit(old, null, at, 'Error', [PENDING_OVERFLOW])
    }
  }

  onReply(v: RespValue, bytes: number, at: Moment): void {
    const head = this.pending.peek()
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
            this.take()
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
      this.emit(p, v, at, 'Error', [note('redis.unmatched_response')])
      return
    }
    this.take()
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
    this.emit(p, v, at, 'OK', [note('redis.server_push')], true)
  }

  /** Emits every pending request unanswered, with `n` (end of stream, gap in the replies). */
  flushPending(at: Moment, n: Note): void {
    this.queuedBytes = 0
    for (const p of this.pending.drain()) {
      if (p.lastReply !== null) {
        // A subscribe whose confirmations were partly seen: report what arrived.
        this.emit(p, p.lastReply, at, 'OK', [note('redis.partial_subscribe')])
        continue
      }
      this.ctx.stats.unmatchedRequests++
      this.emit(p, null, at, 'Error', [n])
    }
  }

  private emit(
    p: Pending,
    reply: RespValue | null,
    at: Moment,
    status: Status,
    notes: Note[] | undefined,
    sentByServer = false,
  ): void {
    const redis: Record<string, unknown> = {}
    if (reply !== null) {
      if (isError(reply)) redis.error = reply.str ?? ''
      else redis.return_value = render(reply)
    }
    const start = {tsSec: p.sec, tsNsec: p.nsec, frame: p.frame}
    this.ctx.emit(
      newTransaction({
        type: 'redis',
        conn: this.conn,
        status,
        start,
        end: reply !== null ? at : start,
        requestBytes: p.bytes,
        responseBytes: p.replyBytes,
        fields: {redis},
        notes: this.takeNotes(p.notes === undefined ? notes : notes === undefined ? p.notes : p.notes.concat(notes)),
        sentByServer,
        method: p.method !== '' ? p.method : undefined,
        resource: p.resource,
        query: p.query !== '' ? p.query : undefined,
      }),
    )
  }
}

function isError(v: RespValue): boolean {
  return v.type === 0x2d || v.type === 0x21
}
