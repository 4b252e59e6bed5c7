/**
 * AMQP 0-9-1 framing (spec 4.2.3): bytes of one direction -> frames. Push-style and split-anywhere
 * safe: a partial frame is carried over (StreamBuffer, the only copy) until it is whole; frames are
 * handed out as views valid only during the callback.
 *
 * Frame: type (1 method, 2 header, 3 body, 8 heartbeat), channel (2), size (4), payload, frame-end
 * 0xCE. The client's 8-byte protocol header "AMQP\0\0\x09\x01" (or a server's version reply) at
 * the start of a direction is skipped. A frame larger than limits.maxMessageBytes, a bad type or a
 * bad frame-end byte makes the framer resynchronise: it scans for the next offset that starts a
 * whole, well-formed frame (also after a gap).
 */
import type {Moment} from '../../reassembly/types.js'
import {StreamBuffer} from '../../util/stream-buffer.js'
import {methodSpec} from './codec.js'

export const FRAME_METHOD = 1
export const FRAME_HEADER = 2
export const FRAME_BODY = 3
export const FRAME_HEARTBEAT = 8
export const FRAME_END = 0xce

/** The client's protocol header for 0-9-1. */
export const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')

export interface FrameSink {
  /**
   * One whole frame: payload is buf[off, off + size). `at` is the Moment of the frame's first byte
   * (the carried-over stamp when it started in an earlier segment). `wire` = size + 8.
   */
  frame(type: number, channel: number, buf: Buffer, off: number, size: number, at: Moment): void
  /** Bytes skipped (bad frame, resynchronisation); `why` says what was wrong. */
  bad(why: string): void
}

/** Whether a frame payload's first bytes fit its type (a known method, basic content, empty heartbeat). */
function plausiblePayload(type: number, buf: Buffer, off: number, size: number): boolean {
  if (type === FRAME_METHOD) return size >= 4 && methodSpec(buf.readUInt16BE(off), buf.readUInt16BE(off + 2)) !== undefined
  if (type === FRAME_HEADER) return size >= 14 && buf.readUInt16BE(off) === 60
  if (type === FRAME_HEARTBEAT) return size === 0
  return true
}

function plausibleType(t: number): boolean {
  return t === FRAME_METHOD || t === FRAME_HEADER || t === FRAME_BODY || t === FRAME_HEARTBEAT
}

export class Framer {
  private readonly sb = new StreamBuffer()
  /** At the start of the direction (a protocol header may come first). */
  private start = true
  private resync = false
  /** Bytes needed (from the carried-over start) before the next frame is whole. */
  private need = 0
  private readonly stamp: Moment = {frame: 0, tsSec: 0, tsNsec: 0}

  constructor(
    private readonly sink: FrameSink,
    private readonly maxFrame: number,
  ) {}

  get pending(): number {
    return this.sb.pending
  }

  data(bytes: Buffer, at: Moment): void {
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
      if (this.start) {
        // "AMQP" + 4 version bytes; anything else is a frame stream picked up without it.
        if (buf[off] === 0x41) {
          if (buf.length - off < 8) break
          if (buf.toString('latin1', off, off + 4) === 'AMQP') {
            off += 8
            this.start = false
            continue
          }
        }
        this.start = false
      }
      if (this.resync) {
        const s = this.findFrame(buf, off)
        if (s === -1) {
          // keep the last 7 bytes: a frame header may start there
          off = Math.max(off, buf.length - 7)
          break
        }
        if (s === -2) break // a candidate at `off` waits for more bytes
        off = s
        this.resync = false
      }
      if (buf.length - off < 7) break
      const type = buf[off]
      const size = buf.readUInt32BE(off + 3)
      if (!plausibleType(type) || size > this.maxFrame) {
        this.sink.bad(!plausibleType(type) ? `bad frame type ${type}` : `frame of ${size} bytes exceeds limits.maxMessageBytes`)
        this.resync = true
        off++
        continue
      }
      if (buf.length - off < size + 8) {
        this.need = size + 8 // counted from `off`, the start of what is kept
        break
      }
      if (buf[off + 7 + size] !== FRAME_END) {
        this.sink.bad('bad frame-end octet')
        this.resync = true
        off++
        continue
      }
      this.stampOf(inCarry, at)
      this.sink.frame(type, buf.readUInt16BE(off + 1), buf, off + 7, size, this.stamp)
      off += size + 8
      this.need = 0
    }
    if (off < buf.length) {
      const inCarry = off < carried
      sb.keep(buf, off, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
    } else sb.clear()
  }

  /** Bytes of this direction were lost: drop the partial frame and resynchronise. */
  gap(): void {
    this.sb.clear()
    this.need = 0
    this.start = false
    this.resync = true
  }

  clear(): void {
    this.sb.clear()
    this.need = 0
  }

  private stampOf(inCarry: boolean, at: Moment): void {
    if (inCarry) {
      this.stamp.frame = this.sb.frame
      this.stamp.tsSec = this.sb.sec
      this.stamp.tsNsec = this.sb.nsec
    } else {
      this.stamp.frame = at.frame
      this.stamp.tsSec = at.tsSec
      this.stamp.tsNsec = at.tsNsec
    }
  }

  /**
   * The first offset >= off where a whole well-formed frame starts, or where a plausible frame
   * header starts whose frame is not whole yet (the caller keeps from there; -2 when that is `off`
   * itself), or -1 when there is none.
   */
  private findFrame(buf: Buffer, off: number): number {
    for (let i = off; i + 7 <= buf.length; i++) {
      const type = buf[i]
      if (!plausibleType(type)) continue
      const size = buf.readUInt32BE(i + 3)
      if (size > this.maxFrame) continue
      if (i + 8 + size <= buf.length) {
        if (buf[i + 7 + size] === FRAME_END && plausiblePayload(type, buf, i + 7, size)) return i
        continue
      }
      // Not whole yet: wait for it only when its start says more than the type byte does (a known
      // method, a content header of class basic); a body frame must be whole to be believed.
      if (type === FRAME_METHOD && size >= 4 && i + 11 <= buf.length && plausiblePayload(type, buf, i + 7, size)) return i === off ? -2 : i
      if (type === FRAME_HEADER && size >= 14 && i + 9 <= buf.length && plausiblePayload(type, buf, i + 7, size)) return i === off ? -2 : i
      if (i + 11 > buf.length) return i === off ? -2 : i // too few bytes to judge yet
    }
    return -1
  }
}
