/**
 * HTTP/2 framing (RFC 9113 section 4): bytes of one direction -> frames.
 *
 * One FrameReader per direction. The client direction starts with the 24-byte connection preface
 * (section 3.4), checked byte by byte. Then every frame is a 9-byte header (24-bit length, type,
 * flags, reserved bit + 31-bit stream id) and its payload. push() is split-anywhere safe: a frame
 * cut between deliveries is carried over (../../util/stream-buffer.ts, the only copy), bounded by
 * limits.maxMessageBytes (a longer frame stops the direction). Whole frames are handed to the
 * callback as views valid only during the call, with the capture time of their first byte.
 *
 * A reader that meets bytes it cannot frame (bad preface, oversized frame) stops: `dead` is set
 * with `reason`, and later bytes are ignored (HTTP/2 has no resynchronisation point, and the HPACK
 * context would be lost anyway). Never throws.
 */
import type {Stamp} from '../../event/transaction.js'
import type {Moment} from '../../reassembly/types.js'
import {StreamBuffer} from '../../util/stream-buffer.js'

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

export enum FrameType {
  DATA = 0x0,
  HEADERS = 0x1,
  PRIORITY = 0x2,
  RST_STREAM = 0x3,
  SETTINGS = 0x4,
  PUSH_PROMISE = 0x5,
  PING = 0x6,
  GOAWAY = 0x7,
  WINDOW_UPDATE = 0x8,
  CONTINUATION = 0x9,
}

export enum Flag {
  /** END_STREAM on DATA / HEADERS; the same bit is ACK on SETTINGS / PING. */
  END_STREAM = 0x1,
  END_HEADERS = 0x4,
  PADDED = 0x8,
  PRIORITY = 0x20,
}

/** Error code names (RFC 9113 section 7). */
const ERRORS = [
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED',
  'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
]

export function errorName(code: number): string {
  return ERRORS[code] ?? `0x${code.toString(16)}`
}

/** One frame; a reused object whose payload is a view valid only during the callback. */
export interface Frame {
  type: number
  flags: number
  stream: number
  payload: Buffer
  /** Bytes on the wire: 9 + payload length. */
  size: number
}

export type FrameSink = (f: Frame, start: Stamp) => void

export class FrameReader {
  private readonly sb = new StreamBuffer()
  /** Preface bytes matched so far (PREFACE.length when done or not expected). */
  private prefaceAt: number
  private readonly frame: Frame = {type: 0, flags: 0, stream: 0, payload: Buffer.alloc(0), size: 0}
  private readonly stamp = {tsSec: 0, tsNsec: 0, frame: 0}
  dead = false
  reason = ''

  constructor(
    expectPreface: boolean,
    private readonly maxFrameBytes: number,
  ) {
    this.prefaceAt = expectPreface ? 0 : PREFACE.length
  }

  /** Whether the whole preface has been seen (always true for the server direction). */
  get prefaceDone(): boolean {
    return this.prefaceAt === PREFACE.length
  }

  push(bytes: Buffer, at: Moment, sink: FrameSink): void {
    if (this.dead) return
    let start = 0
    while (this.prefaceAt < PREFACE.length && start < bytes.length) {
      if (bytes[start] !== PREFACE[this.prefaceAt]) {
this.die('bad connection preface')
return
}
      this.prefaceAt++
      start++
    }
    if (start === bytes.length) return
    const carried = this.sb.pending
    const buf = this.sb.view(start === 0 ? bytes : bytes.subarray(start))
    let off = 0
    while (buf.length - off >= 9) {
      const len = (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!
      if (len > this.maxFrameBytes) {
        this.sb.clear()
this.die(`frame of ${len} bytes larger than maxMessageBytes`)
return
      }
      if (buf.length - off < 9 + len) break
      const inCarry = off < carried
      const f = this.frame
      f.type = buf[off + 3]!
      f.flags = buf[off + 4]!
      f.stream = buf.readUInt32BE(off + 5) & 0x7fffffff
      f.payload = buf.subarray(off + 9, off + 9 + len)
      f.size = 9 + len
      this.stamp.tsSec = inCarry ? this.sb.sec : at.tsSec
      this.stamp.tsNsec = inCarry ? this.sb.nsec : at.tsNsec
      this.stamp.frame = inCarry ? this.sb.frame : at.frame
      off += 9 + len
      sink(f, this.stamp)
      if (this.dead) return
    }
    const inCarry = off < carried
    this.sb.keep(buf, off, inCarry ? this.sb.sec : at.tsSec, inCarry ? this.sb.nsec : at.tsNsec, inCarry ? this.sb.frame : at.frame)
  }

  /** Bytes of an unfinished frame (end of stream inside a frame). */
  get pending(): number {
    return this.sb.pending
  }

  /** Stops the reader (gap, error): later bytes are ignored. */
  die(reason: string): void {
    this.dead = true
    this.reason = reason
    this.sb.clear()
  }
}

/**
 * The fragment of a HEADERS / PUSH_PROMISE / DATA payload without padding (and priority fields,
 * promised stream id): [start, end) in `p`, or null when the padding is longer than the payload
 * (a PROTOCOL_ERROR). `skip` = bytes after the pad length that precede the fragment.
 */
export function unpad(p: Buffer, flags: number, skip: number): [number, number] | null {
  let start = 0
  let end = p.length
  if (flags & Flag.PADDED) {
    if (p.length < 1) return null
    end -= p[0]!
    start = 1
  }
  start += skip
  if (end < start) return null
  return [start, end]
}
