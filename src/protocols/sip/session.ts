/**
 * The SIP sessions: SipUdpSession (a UDP flow: one datagram is one message, RFC 3261 18.3) and
 * SipTcpSession (a TCP connection: messages framed by Content-Length per direction, carried over
 * between deliveries in a StreamBuffer, bounded by limits.maxHeaderBytes for the header section
 * and limits.maxMessageBytes overall). Both feed one SipMatcher (./matcher.ts). On TCP, bytes that
 * do not start a message (after a gap, or garbage) are skipped up to the next line that starts a
 * request or status line; CRLF keep-alives (RFC 5626) between messages are skipped.
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler, UdpHandler} from '../../reassembly/types.js'
import {StreamBuffer} from '../../util/stream-buffer.js'
import type {ProtocolContext} from '../types.js'
import {SipMatcher} from './matcher.js'
import {BAD, looksLikeStart, NEED, type ParseResult, parseMessage} from './parser.js'

export class SipUdpSession implements UdpHandler {
  private readonly m: SipMatcher
  private readonly r: ParseResult = {msg: null, reason: ''}

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.m = new SipMatcher(conn, ctx)
  }

  datagram(dir: Dir, payload: Buffer, at: Moment): void {
    let off = 0
    while (off < payload.length && (payload[off] === 0x0d || payload[off] === 0x0a || payload[off] === 0)) off++
    if (off >= payload.length) return // keep-alive
    const e = parseMessage(payload, off, payload.length, false, this.ctx.limits.maxHeaderBytes, this.r)
    if (e === BAD || e === NEED || this.r.msg === null) {
      this.ctx.stats.bad('sip: ' + this.r.reason)
      this.m.note(note('sip.bad_message', `datagram skipped: ${this.r.reason}`))
      return
    }
    this.m.message(dir, this.r.msg, payload, payload.length, at)
  }

  end(_at: Moment): void {
    this.m.end()
  }
}

export class SipTcpSession implements StreamHandler {
  private readonly m: SipMatcher
  private readonly bufs = [new StreamBuffer(), new StreamBuffer()]
  private readonly resync = [false, false]
  private readonly r: ParseResult = {msg: null, reason: ''}
  private readonly stamp: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  private ended = false

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.m = new SipMatcher(conn, ctx)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.ended) return
    const sb = this.bufs[dir]
    const carried = sb.pending
    const buf = sb.view(bytes)
    let off = 0
    while (off < buf.length) {
      if (buf[off] === 0x0d || buf[off] === 0x0a) {
        off++
        continue
      }
      // the start line is not complete yet: wait for its end (start lines are short)
      if (buf.indexOf(0x0a, off) < 0 && buf.length - off < 512) break
      if (this.resync[dir] || !looksLikeStart(buf, off, buf.length)) {
        const s = this.resync[dir] && looksLikeStart(buf, off, buf.length) ? off : this.nextStart(buf, off)
        if (!this.resync[dir]) {
          this.ctx.stats.bad('sip: bytes that are not a SIP message')
          this.m.note(note('sip.bad_message'))
        }
        if (s < 0) {
          this.resync[dir] = true
          // keep a partial last line: a start line may be arriving
          const nl = buf.lastIndexOf(0x0a)
          off = nl < off ? off : nl + 1
          break
        }
        this.resync[dir] = false
        off = s
      }
      const e = parseMessage(buf, off, buf.length, true, this.ctx.limits.maxHeaderBytes, this.r)
      if (e === NEED) break
      if (e === BAD || this.r.msg === null) {
        this.ctx.stats.bad('sip: ' + this.r.reason)
        this.m.note(note('sip.bad_message', `skipped: ${this.r.reason}`))
        this.resync[dir] = true
        off++
        continue
      }
      const inCarry = off < carried
      this.stamp.frame = inCarry ? sb.frame : at.frame
      this.stamp.tsSec = inCarry ? sb.sec : at.tsSec
      this.stamp.tsNsec = inCarry ? sb.nsec : at.tsNsec
      this.m.message(dir, this.r.msg, buf, e - off, this.stamp)
      off = e
    }
    if (off < buf.length) {
      if (buf.length - off > this.ctx.limits.maxMessageBytes) {
        this.ctx.stats.limit('maxMessageBytes')
        this.m.note(note('limit.message_bytes'))
        sb.clear()
        this.resync[dir] = true
        return
      }
      const inCarry = off < carried
      sb.keep(buf, off, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
    } else sb.clear()
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    this.bufs[dir].clear()
    this.resync[dir] = true
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`))
  }

  end(_reason: EndReason, _at: Moment): void {
    if (this.ended) return
    this.ended = true
    for (const d of [0, 1] as const) {
      if (this.bufs[d].pending > 0 && !this.resync[d]) {
        this.ctx.stats.bad('sip: incomplete message at end of stream')
        this.m.note(note('tcp.end_inside_message'))
      }
      this.bufs[d].clear()
    }
    this.m.end()
  }

  /** The next offset > off at a line start that starts a SIP message, or -1. */
  private nextStart(buf: Buffer, off: number): number {
    for (let i = buf.indexOf(0x0a, off); i >= 0 && i + 1 < buf.length; i = buf.indexOf(0x0a, i + 1)) {
      if (looksLikeStart(buf, i + 1, buf.length)) return i + 1
    }
    return -1
  }
}
