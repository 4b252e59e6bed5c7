/**
 * AMQP 0-9-1 matching: frames (from ./session.ts) -> transactions, after Packetbeat's amqp module.
 *
 *   - Synchronous methods (exchange/queue declare, bind, delete, purge, basic.consume/cancel/get/
 *     recover, confirm.select, tx.*, connection/channel close) are paired with their -ok reply on
 *     the same channel, sent by the other side (a server-sent channel.close is answered by the
 *     client's close-ok; the event is then sent by the server). Fields of the reply (queue name of
 *     an anonymous queue.declare, message-count, consumer-count, consumer-tag) are merged in.
 *   - Requests with no-wait set, basic.ack / nack / reject / recover-async are emitted at once.
 *   - Content-carrying methods are one-message events once header and body frames are complete:
 *     basic.publish (client), basic.deliver and basic.return (server). basic.get-ok completes the
 *     basic.get transaction; basic.get-empty completes it as method basic.get-empty (Packetbeat).
 *   - Connection set-up and flow control (connection.start/tune/open/secure/blocked, channel.open/
 *     flow, basic.qos) and closes with a reply code below 300 are not reported while the option
 *     hide_connection_information is true (the default, as Packetbeat).
 *   - A channel.close / connection.close takes the requests still waiting on that channel (all
 *     channels) out: a reported close lists them in a note (the server closed the channel because
 *     of one of them, named by class-id / method-id); a hidden one emits them unanswered.
 * Status is Error for basic.return, basic.reject, closes with a reply code >= 300 and requests that
 * got no reply. Bytes are the wire bytes of the frames of each side.
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction, type Stamp} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo, Dir, Moment} from '../../reassembly/types.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {decodeArgs, decodeHeader, type MethodSpec, methodSpec, Reader, type Value} from './codec.js'
import {FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD} from './parser.js'

export interface AmqpOptions {
  parseHeaders: boolean
  parseArguments: boolean
  hideConnectionInformation: boolean
  maxBodyLength: number
}

/** Reads protocols.amqp.* options (Packetbeat's defaults when absent). */
export function amqpOptions(o: Readonly<Record<string, unknown>>): AmqpOptions {
  const bool = (k: string, d: boolean) => (typeof o[k] === 'boolean' ? (o[k] as boolean) : d)
  const n = o.max_body_length
  return {
    parseHeaders: bool('parse_headers', true),
    parseArguments: bool('parse_arguments', true),
    hideConnectionInformation: bool('hide_connection_information', true),
    maxBodyLength: typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : 1000,
  }
}

interface Pending {
  spec: MethodSpec
  classId: number
  methodId: number
  channel: number
  /** Side that sent the request. */
  dir: Dir
  fields: Record<string, Value>
  start: Stamp
  bytes: [number, number]
  notes: Note[] | undefined
}

/** A content-carrying method waiting for its header and body frames (one per channel). */
interface Content {
  p: Pending
  bodySize: number
  got: number
  header: boolean
}

const stamp = (at: Moment): Stamp => ({tsSec: at.tsSec, tsNsec: at.tsNsec, frame: at.frame})

export class AmqpMatcher {
  private readonly pending: PendingQueue<Pending>
  /** Per direction: channel -> content being assembled. */
  private readonly content: [Map<number, Content>, Map<number, Content>] = [new Map(), new Map()]
  private readonly o: AmqpOptions
  private carry: Note[] | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.o = amqpOptions(ctx.options)
    this.pending = new PendingQueue<Pending>(ctx.limits, ctx.stats, (old, n) => {
      ctx.stats.unmatchedRequests++
      this.emit(old, null, 'Error', [n])
    })
  }

  /** A note for the next transaction emitted. */
  note(n: Note): void {
    if (this.carry === undefined) this.carry = []
    if (this.carry.length < 16) this.carry.push(n)
  }

  frame(dir: Dir, type: number, channel: number, buf: Buffer, off: number, size: number, at: Moment): void {
    const wire = size + 8
    if (type === FRAME_HEARTBEAT) return
    if (type === FRAME_METHOD) {
      this.method(dir, channel, buf, off, size, wire, at)
      return
    }
    const c = this.content[dir].get(channel)
    if (c === undefined) {
      this.ctx.stats.bad('amqp: content frame without a content method')
      this.note(note('amqp.unexpected_frame', `${type === FRAME_HEADER ? 'content header' : 'body'} frame on channel ${channel} without a content method skipped`))
      return
    }
    c.p.bytes[dir] += wire
    if (type === FRAME_HEADER) {
      const r = new Reader(buf, off, off + size)
      const h = decodeHeader(r, c.p.fields, this.o.parseHeaders)
      if (h === null || r.bad !== '') {
        this.ctx.stats.bad('amqp: malformed content header')
        ;(c.p.notes ??= []).push(note('amqp.malformed', `malformed content header: ${r.bad}`))
      }
      if (r.cut > 0) (c.p.notes ??= []).push(note('amqp.table_cut'))
      c.header = true
      c.bodySize = h?.bodySize ?? 0
      if (c.bodySize === 0) this.contentDone(dir, channel, c, at)
      return
    }
    if (type === FRAME_BODY) {
      if (!c.header) {
        this.ctx.stats.bad('amqp: body frame before the content header')
        ;(c.p.notes ??= []).push(note('amqp.unexpected_frame', 'body frame before the content header'))
      }
      c.got += size
      if (c.got >= c.bodySize) this.contentDone(dir, channel, c, at)
    }
  }

  private method(dir: Dir, channel: number, buf: Buffer, off: number, size: number, wire: number, at: Moment): void {
    const r = new Reader(buf, off, off + size)
    const classId = r.u16()
    const methodId = r.u16()
    const spec = methodSpec(classId, methodId)
    if (r.bad !== '' || spec === undefined) {
      this.ctx.stats.bad('amqp: unknown method')
      this.note(note('amqp.unknown_method', `unknown method ${classId}.${methodId} on channel ${channel} skipped`))
      return
    }
    // A content method still open on this channel is cut short by a new method.
    const open = this.content[dir].get(channel)
    if (open !== undefined) {
      this.content[dir].delete(channel)
      this.emitContent(open, at, [note('amqp.content_incomplete')])
    }
    const fields: Record<string, Value> = {}
    decodeArgs(spec, r, fields, {parseArguments: this.o.parseArguments})
    let notes: Note[] | undefined
    if (r.bad !== '') {
      this.ctx.stats.bad('amqp: malformed method arguments')
      notes = [note('amqp.malformed', `malformed ${spec.name} arguments: ${r.bad}`)]
    }
    if (r.cut > 0) (notes ??= []).push(note('amqp.table_cut'))
    const bytes: [number, number] = [0, 0]
    bytes[dir] = wire
    const p: Pending = {spec, classId, methodId, channel, dir, fields, start: stamp(at), bytes, notes}

    if (spec.content) {
      // basic.get-ok answers a pending basic.get of the other side
      if (classId === 60 && methodId === 71) {
        const get = this.findRequest(dir, channel, 60, 71)
        if (get !== undefined) {
          this.pending.remove(get)
          Object.assign(get.fields, fields)
          get.bytes[dir] += wire
          if (notes !== undefined) get.notes = (get.notes ?? []).concat(notes)
          this.content[dir].set(channel, {p: get, bodySize: 0, got: 0, header: false})
          return
        }
      }
      this.content[dir].set(channel, {p, bodySize: 0, got: 0, header: false})
      return
    }
    // A reply?
    const req = this.findRequest(dir, channel, classId, methodId)
    if (req !== undefined) {
      this.pending.remove(req)
      req.bytes[dir] += wire
      Object.assign(req.fields, fields)
      if (notes !== undefined) req.notes = (req.notes ?? []).concat(notes)
      if (this.hidden(req)) return
      this.emit(req, at, this.statusOf(req), undefined, classId === 60 && methodId === 72 ? 'basic.get-empty' : undefined)
      return
    }
    if (spec.reply === undefined && isReplyName(spec.name)) {
      if (spec.connInfo && this.o.hideConnectionInformation) return
      this.ctx.stats.unmatchedResponses++
      this.emit(p, at, 'Error', [note('amqp.unmatched_response')])
      return
    }
    if (classId === 20 && methodId === 40) this.closePending(p, (q) => q.channel === channel)
    else if (classId === 10 && methodId === 50) this.closePending(p, () => true)
    if (spec.reply !== undefined && fields['no-wait'] !== true) {
      this.pending.push(p)
      return
    }
    if (this.hidden(p)) return
    this.emit(p, null, this.statusOf(p), undefined)
  }

  /** A pending request of the other side on `channel` that the method classId.methodId answers. */
  private findRequest(dir: Dir, channel: number, classId: number, methodId: number): Pending | undefined {
    return this.pending.find((q) => q.dir !== dir && q.channel === channel && q.classId === classId && (q.spec.reply === methodId || q.spec.altReply === methodId))
  }

  /** A close takes the requests waiting on its channel (or connection) out; see the file comment. */
  private closePending(close: Pending, which: (q: Pending) => boolean): void {
    const taken: Pending[] = []
    this.pending.retain((q) => {
      if (q.classId === close.classId && q.methodId === close.methodId) return true
      if (!which(q)) return true
      taken.push(q)
      return false
    })
    if (taken.length === 0) return
    if (this.hidden(close)) {
      for (const q of taken) {
        this.ctx.stats.unmatchedRequests++
        this.emit(q, null, 'Error', [note('amqp.closed_before_reply')])
      }
      return
    }
    for (const q of taken) {
      this.ctx.stats.unmatchedRequests++
      ;(close.notes ??= []).push(note('amqp.closed_before_reply', `${q.spec.name} on channel ${q.channel} got no reply: closed by this ${close.spec.name}`))
    }
  }

  private hidden(p: Pending): boolean {
    if (!this.o.hideConnectionInformation) return false
    if (p.spec.connInfo) return true
    if ((p.classId === 10 && p.methodId === 50) || (p.classId === 20 && p.methodId === 40)) return !closeError(p.fields)
    return false
  }

  private statusOf(p: Pending): Status {
    const n = p.spec.name
    if (n === 'basic.return' || n === 'basic.reject') return 'Error'
    if ((n === 'connection.close' || n === 'channel.close') && closeError(p.fields)) return 'Error'
    return 'OK'
  }

  private contentDone(dir: Dir, channel: number, c: Content, at: Moment): void {
    this.content[dir].delete(channel)
    this.emitContent(c, at, undefined)
  }

  private emitContent(c: Content, at: Moment, notes: Note[] | undefined): void {
    const st = notes !== undefined ? 'Error' : this.statusOf(c.p)
    // a basic.get completed by its get-ok ends at the last body frame; one-message events too
    this.emit(c.p, at, st, notes)
  }

  /** End of connection, or a gap in `dir`: open contents are emitted incomplete; pending requests unanswered. */
  flush(at: Moment, n: Note, onlyDir?: Dir): void {
    for (const d of [0, 1] as const) {
      if (onlyDir !== undefined && d !== onlyDir) continue
      for (const c of this.content[d].values()) this.emitContent(c, at, [note('amqp.content_incomplete')])
      this.content[d].clear()
    }
    for (const p of this.pending.drain()) {
      if (this.hidden(p)) continue
      this.ctx.stats.unmatchedRequests++
      this.emit(p, null, 'Error', [n])
    }
  }

  private emit(p: Pending, end: Moment | null, status: Status, notes: Note[] | undefined, method?: string): void {
    let all = p.notes === undefined ? notes : notes === undefined ? p.notes : p.notes.concat(notes)
    if (this.carry !== undefined) {
      all = all === undefined ? this.carry : all.concat(this.carry)
      this.carry = undefined
    }
    const name = method ?? p.spec.name
    const q = p.fields.queue
    const x = p.fields.exchange
    const resource = typeof q === 'string' && q !== '' ? q : typeof x === 'string' && x !== '' ? x : undefined
    this.ctx.emit(
      newTransaction({
        type: 'amqp',
        conn: this.conn,
        status,
        start: p.start,
        end: end ?? p.start,
        requestBytes: p.bytes[0],
        responseBytes: p.bytes[1],
        fields: {amqp: p.fields},
        notes: all,
        method: name,
        resource,
        sentByServer: p.dir === 1,
        event: {action: `amqp.${name}`},
      }),
    )
  }
}

function closeError(f: Record<string, Value>): boolean {
  const c = f['reply-code']
  return typeof c === 'number' && c >= 300
}

function isReplyName(n: string): boolean {
  return n.endsWith('-ok') || n === 'basic.get-empty'
}
