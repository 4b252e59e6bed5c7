/**
 * DNS transport framing (used by ./session.ts).
 *
 * UDP: one datagram = one message (RFC 1035 4.2.1); the matcher is told of each.
 * TCP: each message is preceded by a 2-byte length (RFC 1035 4.2.2, RFC 7766); several messages
 * per connection, in either direction, split anywhere across segments.
 *
 * Ownership: the reassembler's `bytes` are views valid only during data(). A message wholly inside
 * one delivery is decoded from that view (no copy). Only a message split across deliveries is
 * copied into a per-direction buffer sized to that message (bounded by limits.maxMessageBytes);
 * a longer message is skipped (counted, noted) without buffering.
 *
 * Gaps: inside a message whose remaining length covers the gap, the message is dropped and framing
 * continues after it. Otherwise framing is lost: the direction resynchronises at the first
 * delivery that starts with a length prefix followed by a plausible DNS header.
 */
import {note} from '../../event/anomalies.js'
import type {Moment} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {HEADER_BYTES, plausibleHeader} from './codec.js'
import type {DnsMatcher} from './matcher.js'

export enum St {
  /** Reading the 2-byte length prefix (`have` of 2 bytes read, in `lenHi`). */
  Len,
  /** Collecting a message into `buf`. */
  Body,
  /** Skipping `skip` bytes of a message that will not be decoded. */
  Skip,
  /** Framing lost after a gap: waiting for a plausible message start. */
  Lost,
}

/** The framing of one direction of a DNS-over-TCP connection (see the file comment). */
export class Framer {
  st = St.Len
  lenHave = 0
  lenHi = 0
  /** Message being assembled (copy: it spans deliveries). */
  buf: Buffer | null = null
  need = 0
  have = 0
  skip = 0

  constructor(
    private readonly matcher: DnsMatcher,
    private readonly ctx: ProtocolContext,
  ) {}

  data(bytes: Buffer, at: Moment): void {
    let p = 0
    const n = bytes.length
    if (this.st === St.Lost) {
      if (n >= 2 + HEADER_BYTES && bytes.readUInt16BE(0) >= HEADER_BYTES && plausibleHeader(bytes.subarray(2, 2 + Math.min(n - 2, bytes.readUInt16BE(0))))) {
        this.st = St.Len
        this.lenHave = 0
      } else return
    }
    while (p < n) {
      switch (this.st as St) {
        case St.Len: {
          if (this.lenHave === 0 && n - p >= 2) {
            this.startMessage(bytes.readUInt16BE(p))
            p += 2
            // fast path: the whole message is in this delivery
            if ((this.st as St) === St.Body && n - p >= this.need) {
              this.matcher.message(bytes, p, p + this.need, at)
              p += this.need
              this.st = St.Len
            }
          } else if (this.lenHave === 0) {
            this.lenHi = bytes[p++]
            this.lenHave = 1
          } else {
            const len = (this.lenHi << 8) | bytes[p++]
            this.lenHave = 0
            this.startMessage(len)
          }
          break
        }
        case St.Body: {
          if (this.buf === null) {
            // first bytes of a message that does not fit this delivery: copy from here on
            if (n - p >= this.need) {
              this.matcher.message(bytes, p, p + this.need, at)
              p += this.need
              this.st = St.Len
              break
            }
            this.buf = Buffer.allocUnsafe(this.need)
            this.have = 0
          }
          const take = Math.min(this.need - this.have, n - p)
          bytes.copy(this.buf, this.have, p, p + take)
          this.have += take
          p += take
          if (this.have === this.need) {
            const b = this.buf
            this.buf = null
            this.st = St.Len
            this.matcher.message(b, 0, b.length, at)
          }
          break
        }
        case St.Skip: {
          const take = Math.min(this.skip, n - p)
          this.skip -= take
          p += take
          if (this.skip === 0) this.st = St.Len
          break
        }
        case St.Lost:
          return
      }
    }
  }

  private startMessage(len: number): void {
    if (len < HEADER_BYTES) {
      this.ctx.stats.bad('dns: TCP message length shorter than the header')
      this.matcher.note(note('dns.bad_tcp_length', `TCP message of ${len} bytes skipped`))
      this.skip = len
      this.st = len === 0 ? St.Len : St.Skip
      return
    }
    if (len > this.ctx.limits.maxMessageBytes) {
      this.ctx.stats.limit('maxMessageBytes')
      this.matcher.note(note('limit.message_bytes', `TCP message of ${len} bytes over maxMessageBytes skipped`))
      this.skip = len
      this.st = St.Skip
      return
    }
    this.need = len
    this.have = 0
    this.buf = null
    this.st = St.Body
  }

  gap(n: number): void {
    this.ctx.stats.bad('dns: gap in TCP stream')
    if (this.st === St.Body) {
      const remaining = this.need - (this.buf === null ? 0 : this.have)
      this.buf = null
      this.matcher.note(note('tcp.gap', 'message lost in a gap of the TCP stream'))
      if (n < remaining) {
        this.skip = remaining - n
        this.st = St.Skip
        return
      }
    } else if (this.st === St.Skip && n < this.skip) {
      this.skip -= n
      return
    } else if (this.st !== St.Lost) {
      this.matcher.note(note('tcp.gap'))
    }
    this.buf = null
    this.lenHave = 0
    this.st = St.Lost
  }
}
