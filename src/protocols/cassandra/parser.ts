/**
 * CQL framing for one direction: bytes -> envelopes (native_protocol_v4.spec section 2,
 * native_protocol_v5.spec sections 2 and 3). Push-style and split-anywhere safe: a partial frame is
 * carried over (StreamBuffer, the only copy) until it is whole; envelopes are handed out as views
 * valid only during the callback.
 *
 * Legacy framing (v1-v4, and v5 before the STARTUP / READY handshake): a header of version byte
 * (bit 7 = response), flags, stream (1 byte signed in v1/v2, 2 bytes signed from v3), opcode and a
 * 4-byte body length, then the body. A header that is not plausible for this direction (version
 * 1..6, direction bit, an opcode this side sends, length <= limits.maxMessageBytes) makes the
 * framer scan for the next plausible header (also after a gap).
 *
 * v5 framing (switched on by useV5() once the handshake chose v5): outer frames of a little-endian
 * header (6 bytes: 17-bit payload length, self-contained bit, CRC24; with LZ4: 8 bytes: 17-bit
 * compressed and uncompressed lengths, self-contained bit, CRC24), the payload (LZ4 block unless
 * the uncompressed length is 0) and a CRC32 trailer. A self-contained payload holds whole
 * envelopes; otherwise consecutive payloads are the parts of one large envelope, assembled here
 * (copied, bounded by limits.maxMessageBytes). A header whose CRC24 does not match makes the framer
 * scan for the next offset whose CRC24 does; a payload whose CRC32 does not match is dropped.
 */
import type {Moment} from '../../reassembly/types.js'
import {StreamBuffer} from '../../util/stream-buffer.js'
import {REQUEST_OPS, RESPONSE_OPS} from './codec.js'
import {crc24, crc32, lz4Block} from './decompress.js'

export interface Envelope {
  /** Protocol version (the version byte without the direction bit). */
  version: number
  flags: number
  stream: number
  op: number
  /** Body length as the header gives it (on the wire: compressed when the flag is set). */
  length: number
  /** Bytes on the wire this envelope stands for (header + body, plus v5 frame overhead). */
  wire: number
}

export type FrameFault = 'malformed' | 'bad_crc' | 'decompress'

export interface EnvelopeSink {
  /**
   * One whole envelope: body is buf[off, off + h.length). `at` is the Moment of its first byte,
   * `end` that of the packet that completed it. `h`, `at` and `end` are reused objects.
   */
  envelope(h: Envelope, buf: Buffer, off: number, at: Moment, end: Moment): void
  /** Bytes skipped; `why` says what was wrong. */
  bad(fault: FrameFault, why: string): void
}

/** Whether buf[i..] starts a legacy header this direction could send (needs 9 bytes, or 8 for v1/v2). */
export function plausibleHeader(buf: Buffer, i: number, response: boolean, maxBody: number): boolean {
  if (buf.length - i < 8) return false
  const vb = buf[i]
  const v = vb & 0x7f
  if (v < 1 || v > 6 || (vb & 0x80) !== (response ? 0x80 : 0)) return false
  if (buf[i + 1] & 0xe0) return false
  const hl = v >= 3 ? 9 : 8
  if (buf.length - i < hl) return false
  const op = buf[i + hl - 5]
  if (!(response ? RESPONSE_OPS : REQUEST_OPS).has(op)) return false
  return buf.readUInt32BE(i + hl - 4) <= maxBody
}

export class Framer {
  private readonly sb = new StreamBuffer()
  private readonly inner = new StreamBuffer()
  private resync = false
  private v5 = false
  private lz4 = false
  /** Bytes needed (from the carried-over start) before the next frame is whole. */
  private need = 0
  /** Frame overhead (v5 header + trailer) not yet counted in an envelope's wire bytes. */
  private overhead = 0
  private readonly stamp: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  private readonly h: Envelope = {version: 0, flags: 0, stream: 0, op: 0, length: 0, wire: 0}
  /** The Moment of the data() call in progress. */
  private cur: Moment = this.stamp

  constructor(
    private readonly sink: EnvelopeSink,
    private readonly response: boolean,
    private readonly maxBody: number,
  ) {}

  get pending(): number {
    return this.sb.pending + this.inner.pending
  }

  /** From the next byte on, this direction uses v5 framing (LZ4-compressed frames when `lz4`). */
  useV5(lz4: boolean): void {
    this.v5 = true
    this.lz4 = lz4
    this.need = 0
  }

  get framedV5(): boolean {
    return this.v5
  }

  data(bytes: Buffer, at: Moment): void {
    this.cur = at
    const sb = this.sb
    const carried = sb.pending
    if (carried > 0 && carried + bytes.length < this.need) {
      sb.view(bytes)
      return
    }
    const buf = sb.view(bytes)
    let off = 0
    while (off < buf.length) {
      const inCarry = off < carried
      if (this.resync) {
        const s = this.v5 ? this.findV5(buf, off) : this.findLegacy(buf, off)
        if (s < 0) {
          off = Math.max(off, buf.length - (this.v5 ? 7 : 8))
          break
        }
        off = s
        this.resync = false
      }
      this.stampOf(inCarry, at)
      const used = this.v5 ? this.v5Frame(buf, off) : this.legacyFrame(buf, off, this.stamp)
      if (used === 0) break
      if (used < 0) {
        this.resync = true
        off++
        continue
      }
      off += used
      this.need = 0
    }
    if (off < buf.length) {
      const inCarry = off < carried
      sb.keep(buf, off, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
    } else sb.clear()
  }

  /** Bytes of this direction were lost: drop partial frames and resynchronise. */
  gap(): void {
    this.clear()
    this.resync = true
  }

  clear(): void {
    this.sb.clear()
    this.inner.clear()
    this.need = 0
    this.overhead = 0
  }

  private stampOf(inCarry: boolean, at: Moment): void {
    const st = this.stamp
    if (inCarry) {
      st.frame = this.sb.frame
      st.tsSec = this.sb.sec
      st.tsNsec = this.sb.nsec
    } else {
      st.frame = at.frame
      st.tsSec = at.tsSec
      st.tsNsec = at.tsNsec
    }
  }

  /**
   * One legacy envelope at buf[off]: bytes used, 0 when it is not whole yet (need is set), -1 when
   * the header is not plausible (reported).
   */
  private legacyFrame(buf: Buffer, off: number, at: Moment): number {
    const left = buf.length - off
    const v = buf[off] & 0x7f
    const hl = v === 1 || v === 2 ? 8 : 9
    if (left < hl) {
      this.need = hl
      return 0
    }
    if (!plausibleHeader(buf, off, this.response, this.maxBody)) {
      const big = buf.readUInt32BE(off + hl - 4) > this.maxBody
      this.sink.bad('malformed', big ? `frame body of ${buf.readUInt32BE(off + hl - 4)} bytes exceeds limits.maxMessageBytes` : `implausible frame header (version byte 0x${buf[off].toString(16)})`)
      return -1
    }
    const len = buf.readUInt32BE(off + hl - 4)
    if (left < hl + len) {
      this.need = hl + len
      return 0
    }
    const h = this.h
    h.version = v
    h.flags = buf[off + 1]
    h.stream = hl === 9 ? buf.readInt16BE(off + 2) : buf.readInt8(off + 2)
    h.op = buf[off + hl - 5]
    h.length = len
    h.wire = hl + len + this.overhead
    this.overhead = 0
    this.sink.envelope(h, buf, off + hl, at, this.cur)
    return hl + len
  }

  /** One v5 outer frame at buf[off]: as legacyFrame. */
  private v5Frame(buf: Buffer, off: number): number {
    const hl = this.lz4 ? 8 : 6
    if (buf.length - off < hl) {
      this.need = hl
      return 0
    }
    const hd = this.v5Header(buf, off)
    if (hd === null) {
      this.sink.bad('bad_crc', 'v5 frame header CRC24 mismatch')
      return -1
    }
    const total = hl + hd.len + 4
    if (buf.length - off < total) {
      this.need = total
      return 0
    }
    const ps = off + hl
    const pe = ps + hd.len
    if (buf.readUInt32LE(pe) !== crc32(buf, ps, pe)) {
      this.sink.bad('bad_crc', 'v5 frame payload CRC32 mismatch: payload dropped')
      this.inner.clear()
      return total
    }
    this.overhead += hl + 4
    let payload = buf.subarray(ps, pe)
    if (this.lz4 && hd.raw > 0) {
      const d = lz4Block(buf, ps, pe, hd.raw, this.maxBody)
      if (typeof d === 'string') {
        this.sink.bad('decompress', `v5 frame: ${d}`)
        this.inner.clear()
        return total
      }
      payload = d
    }
    this.envelopes(payload, hd.self)
    return total
  }

  /** The v5 header at buf[off] (length fields), or null when its CRC24 does not match. */
  private v5Header(buf: Buffer, off: number): {len: number; raw: number; self: boolean} | null {
    if (this.lz4) {
      const lo = buf.readUInt32LE(off)
      const b4 = buf[off + 4]
      if ((buf[off + 5] | (buf[off + 6] << 8) | (buf[off + 7] << 16)) !== crc24(buf, off, off + 5)) return null
      return {len: lo & 0x1ffff, raw: ((lo >>> 17) | (b4 << 15)) & 0x1ffff, self: (b4 & 0x04) !== 0}
    }
    const v = buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16)
    if ((buf[off + 3] | (buf[off + 4] << 8) | (buf[off + 5] << 16)) !== crc24(buf, off, off + 3)) return null
    return {len: v & 0x1ffff, raw: 0, self: (v & 0x20000) !== 0}
  }

  /** Envelopes of one v5 payload (whole ones, or a part of one large envelope). */
  private envelopes(payload: Buffer, self: boolean): void {
    const inner = this.inner
    if (self && inner.pending > 0) {
      this.sink.bad('malformed', `v5: self-contained frame while ${inner.pending} bytes of a large envelope were pending: dropped`)
      inner.clear()
    }
    const carried = inner.pending
    const buf = inner.view(payload)
    let off = 0
    const at = this.stamp
    const f0 = at.frame
    const s0 = at.tsSec
    const n0 = at.tsNsec
    while (off < buf.length) {
      if (!plausibleHeader(buf, off, this.response, this.maxBody)) {
        if (buf.length - off < 9) break
        this.sink.bad('malformed', `v5: implausible envelope header (version byte 0x${buf[off].toString(16)}): rest of the payload dropped`)
        off = buf.length
        break
      }
      const len = buf.readUInt32BE(off + 5)
      if (buf.length - off < 9 + len) break
      const c = off < carried
      at.frame = c ? inner.frame : f0
      at.tsSec = c ? inner.sec : s0
      at.tsNsec = c ? inner.nsec : n0
      this.legacyFrame(buf, off, at)
      off += 9 + len
    }
    if (off < buf.length) {
      if (self) {
        this.sink.bad('malformed', 'v5: self-contained frame ends inside an envelope: dropped')
        inner.clear()
        return
      }
      const inCarry = off < carried
      inner.keep(buf, off, inCarry ? inner.sec : s0, inCarry ? inner.nsec : n0, inCarry ? inner.frame : f0)
    } else inner.clear()
  }

  private findLegacy(buf: Buffer, off: number): number {
    for (let i = off; i + 9 <= buf.length; i++) if (plausibleHeader(buf, i, this.response, this.maxBody)) return i
    return -1
  }

  private findV5(buf: Buffer, off: number): number {
    const hl = this.lz4 ? 8 : 6
    for (let i = off; i + hl <= buf.length; i++) if (this.v5Header(buf, i) !== null) return i
    return -1
  }
}
