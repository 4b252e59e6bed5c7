/**
 * The Redis session: the one StreamHandler of a connection (call order: ../../reassembly/types.ts,
 * data/gap per direction, then exactly one end()). It frames RESP per direction (./parser.ts),
 * carrying a partial message over between deliveries (bounded by limits.maxMessageBytes), and hands
 * whole requests and replies to the matcher (./matcher.ts). A gap drops the partial message of that
 * direction and resynchronises on the next line that starts with a RESP type byte.
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, Moment, StreamHandler} from '../../reassembly/types.js'
import {StreamBuffer} from '../../util/stream-buffer.js'
import type {ProtocolContext} from '../types.js'
import {RedisMatcher} from './matcher.js'
import {BAD, isRespType, NEED, newParseState, parseReply, parseRequest, type ParseState} from './parser.js'

export class RedisSession implements StreamHandler {
  private readonly bufs = [new StreamBuffer(), new StreamBuffer()]
  /** Per direction: bytes (from the carried-over start) needed before a re-parse can succeed. */
  private readonly need = [0, 0]
  /** Per direction: skipping to the next plausible message start (after a gap or bad bytes). */
  private readonly resync = [false, false]
  private readonly st: ParseState
  private readonly m: RedisMatcher

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.st = newParseState(ctx.limits.maxMessageBytes)
    this.m = new RedisMatcher(conn, ctx)
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
        this.m.note(note('redis.malformed', 'malformed ' + (dir === 0 ? 'request' : 'reply') + ' skipped: ' + this.st.reason))
        this.resync[dir] = true
        off++
        continue
      }
      if (dir === 0) this.m.onRequest(this.st.value!, r - off, sec, nsec, frame, at)
      else this.m.onReply(this.st.value!, r - off, at)
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
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`))
    if (dir === 1) this.m.flushPending(at, note('redis.no_response', 'no response (gap in the server stream)'))
  }

  end(_reason: string, at: Moment): void {
    for (const d of [0, 1] as const) {
      if (this.bufs[d].pending > 0) {
        this.ctx.stats.bad('redis: incomplete message at end of stream')
        this.m.note(note('tcp.end_inside_message', `incomplete ${d === 0 ? 'request' : 'reply'} at end of stream (${this.bufs[d].pending} bytes)`))
        this.bufs[d].clear()
      }
    }
    this.m.flushPending(at, note('redis.no_response'))
  }

  /** Checks the carry-over bound; on overflow drops the partial message and resynchronises. */
  private bound(dir: Dir, n: number): boolean {
    if (n <= this.ctx.limits.maxMessageBytes) return true
    this.ctx.stats.limit('maxMessageBytes')
    this.ctx.stats.bad('redis: message larger than maxMessageBytes')
    this.m.note(note('limit.message_bytes', 'message larger than maxMessageBytes skipped'))
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
}
