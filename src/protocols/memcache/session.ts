/**
 * The memcache sessions: McTcpSession (the StreamHandler of a TCP connection) and McUdpSession
 * (the UdpHandler of a UDP flow): framing, then ./matcher.ts for pairing.
 *
 * TCP call order (src/reassembly/types.ts): data/gap per direction, then one end(). Each message
 * is text or binary by its first byte (0x80 request / 0x81 response magic), so a connection may mix
 * both. A malformed message is counted and skipped to the next line (text) or to the end of the
 * segment (binary); a gap drops the partial message and does the same.
 *
 * UDP (memcached protocol.txt "UDP protocol"): every datagram starts with an 8-byte frame header:
 * request id, sequence number, datagram count, reserved. Single-datagram messages are parsed in
 * place; multi-datagram messages are collected (copied: they outlive the call) until complete.
 * Requests are paired with responses by request id (one matcher per id, the ids in the shared
 * PendingQueue: limits.maxPendingRequests); a request unanswered after
 * limits.udpTransactionTimeoutSec of capture time is emitted alone.
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, Moment, StreamHandler, UdpHandler} from '../../reassembly/types.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {McMatcher} from './matcher.js'
import {BAD, NEED, newParseState, parseBinary, parseTextRequest, parseTextResponse, type ParseState} from './parser.js'
import {StreamBuffer} from '../../util/stream-buffer.js'

function parseOne(dir: Dir, buf: Buffer, off: number, st: ParseState): number {
  const b = buf[off]
  if (b === 0x80 || b === 0x81) return parseBinary(buf, off, st)
  return dir === 0 ? parseTextRequest(buf, off, st) : parseTextResponse(buf, off, st)
}

export class McTcpSession implements StreamHandler {
  private readonly bufs = [new StreamBuffer(), new StreamBuffer()]
  private readonly need = [0, 0]
  private readonly st: ParseState
  private readonly m: McMatcher

  constructor(conn: ConnInfo, private readonly ctx: ProtocolContext) {
    this.st = newParseState(ctx.limits.maxMessageBytes)
    this.m = new McMatcher(conn, ctx)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    const sb = this.bufs[dir]
    const carried = sb.pending
    if (carried > 0 && carried + bytes.length < this.need[dir]) {
      if (carried + bytes.length > this.ctx.limits.maxMessageBytes + 64) {
        this.overflow(dir)
        return
      }
      sb.view(bytes)
      return
    }
    const buf = sb.view(bytes)
    let off = 0
    while (off < buf.length) {
      const r = parseOne(dir, buf, off, this.st)
      if (r === NEED) {
        this.need[dir] = this.st.need
        break
      }
      const inCarry = off < carried
      if (r === BAD) {
        const binary = buf[off] === 0x80 || buf[off] === 0x81
        this.ctx.stats.bad('memcache: ' + this.st.reason)
        this.m.note(note('memcache.malformed', `malformed ${dir === 0 ? 'request' : 'response'} skipped: ${this.st.reason}`))
        if (binary) off = buf.length
        else {
          const lf = buf.indexOf(10, off)
          off = lf < 0 ? buf.length : lf + 1
        }
        continue
      }
      const msg = this.st.msg!
      if (dir === 0) this.m.request(msg, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
      else this.m.response(msg, at)
      off = r
      this.need[dir] = 0
    }
    if (off < buf.length) {
      if (buf.length - off > this.ctx.limits.maxMessageBytes + 64) {
        this.overflow(dir)
        return
      }
      const inCarry = off < carried
      sb.keep(buf, off, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
    } else sb.clear()
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    this.bufs[dir].clear()
    this.need[dir] = 0
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`))
    if (dir === 1) this.m.flush(at.tsSec, Number.POSITIVE_INFINITY, note('memcache.no_response', 'no response (gap in the server stream)'))
  }

  end(_reason: string, _at: Moment): void {
    for (const d of [0, 1] as const) {
      if (this.bufs[d].pending > 0) {
        this.ctx.stats.bad('memcache: incomplete message at end of stream')
        this.m.note(note('tcp.end_inside_message', `incomplete ${d === 0 ? 'request' : 'response'} at end of stream`))
        this.bufs[d].clear()
      }
    }
    this.m.flush(0, Number.POSITIVE_INFINITY)
  }

  private overflow(dir: Dir): void {
    this.ctx.stats.limit('maxMessageBytes')
    this.ctx.stats.bad('memcache: message larger than maxMessageBytes')
    this.m.note(note('limit.message_bytes', 'message larger than maxMessageBytes skipped'))
    this.bufs[dir].clear()
    this.need[dir] = 0
  }
}

interface Partial {
  count: number
  got: number
  parts: (Buffer | undefined)[]
  bytes: number
  sec: number
  nsec: number
  frame: number
}

const MAX_DATAGRAMS = 256

/** One UDP exchange: the requests and responses of one request id. */
interface Exchange {
  id: number
  m: McMatcher
}

export class McUdpSession implements UdpHandler {
  private readonly st: ParseState
  /** The open exchanges, oldest first (each request id is one exchange). */
  private readonly byId: PendingQueue<Exchange, number>
  /** Capture seconds of the datagram being handled (an exchange pushed out is flushed at it). */
  private nowSec = 0
  private readonly partial = [new Map<number, Partial>(), new Map<number, Partial>()]
  private readonly orphans: McMatcher

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.st = newParseState(ctx.limits.maxMessageBytes)
    this.orphans = new McMatcher(conn, ctx)
    this.byId = new PendingQueue<Exchange, number>(
      ctx.limits,
      ctx.stats,
      (old, n) => old.m.flush(this.nowSec, Number.POSITIVE_INFINITY, n),
      (e) => e.id,
    )
  }

  datagram(dir: Dir, payload: Buffer, at: Moment): void {
    this.expire(at)
    if (payload.length < 8) {
      this.ctx.stats.bad('memcache: UDP datagram shorter than the frame header')
      this.orphans.note(note('memcache.bad_udp_frame', 'UDP datagram shorter than the 8-byte frame header'))
      return
    }
    const id = payload.readUInt16BE(0)
    const seq = payload.readUInt16BE(2)
    const count = payload.readUInt16BE(4)
    const body = payload.subarray(8)
    if (count <= 1) {
      this.message(dir, id, body, at.tsSec, at.tsNsec, at.frame, at)
      return
    }
    if (count > MAX_DATAGRAMS || seq >= count) {
      this.ctx.stats.bad('memcache: bad UDP frame header')
      this.orphans.note(note('memcache.bad_udp_frame', 'bad UDP frame header (sequence / count)'))
      return
    }
    const map = this.partial[dir]
    let p = map.get(id)
    if (p === undefined || p.count !== count) {
      p = {count, got: 0, parts: new Array(count), bytes: 0, sec: at.tsSec, nsec: at.tsNsec, frame: at.frame}
      map.set(id, p)
    }
    if (p.parts[seq] !== undefined) return // duplicate datagram
    if (p.bytes + body.length > this.ctx.limits.maxMessageBytes) {
      this.ctx.stats.limit('maxMessageBytes')
      map.delete(id)
      return
    }
    // Copy: the datagram view is valid only during this call and the message is not complete yet.
    p.parts[seq] = Buffer.from(body)
    p.got++
    p.bytes += body.length
    if (p.got < p.count) return
    map.delete(id)
    this.message(dir, id, Buffer.concat(p.parts as Buffer[]), p.sec, p.nsec, p.frame, at)
  }

  end(at: Moment): void {
    for (const d of [0, 1]) {
      if (this.partial[d].size > 0) {
        this.ctx.stats.bad('memcache: incomplete multi-datagram message')
        this.orphans.note(note('memcache.udp_incomplete', 'incomplete multi-datagram UDP message dropped'))
        this.partial[d].clear()
      }
    }
    for (const e of this.byId.drain()) e.m.flush(at.tsSec, Number.POSITIVE_INFINITY)
    this.orphans.flush(at.tsSec, Number.POSITIVE_INFINITY)
  }

  private expire(at: Moment): void {
    if (this.byId.length === 0) return
    const to = this.ctx.limits.udpTransactionTimeoutSec
    this.byId.retain((e) => {
      e.m.flush(at.tsSec, to)
      return e.m.pendingCount > 0
    })
  }

  private message(dir: Dir, id: number, body: Buffer, sec: number, nsec: number, frame: number, at: Moment): void {
    let e = this.byId.get(id)
    if (dir === 0 && e === undefined) {
      e = {id, m: new McMatcher(this.conn, this.ctx)}
      this.nowSec = at.tsSec
      this.byId.push(e)
    }
    const m = e?.m
    const target = m ?? this.orphans
    let off = 0
    while (off < body.length) {
      const r = parseOne(dir, body, off, this.st)
      if (r < 0) {
        const why = r === NEED ? 'truncated message' : this.st.reason
        this.ctx.stats.bad('memcache: ' + why)
        target.note(note('memcache.malformed', `malformed UDP ${dir === 0 ? 'request' : 'response'}: ${why}`))
        break
      }
      if (dir === 0) target.request(this.st.msg!, sec, nsec, frame)
      else target.response(this.st.msg!, at)
      off = r
    }
    if (e !== undefined && dir === 1 && e.m.pendingCount === 0) this.byId.remove(e)
  }
}
