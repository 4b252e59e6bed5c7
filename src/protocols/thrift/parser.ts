/**
 * Thrift message framing for one direction of a connection: bytes -> messages. Push-style and
 * split-anywhere safe: a partial message is carried over (StreamBuffer, the only copy) until it is
 * whole; messages are handed out with their text already rendered (no views kept).
 *
 * Transports: framed (TFramedTransport: a 4-byte big-endian length before each message) and
 * socket (unframed: the message's end is found by walking its struct). Protocols: binary with the
 * strict header (i32 0x8001_00TT, name, seqid) or the old one (name, type byte, seqid), and compact
 * (0x82, type << 5 | version 1, varint seqid, varint name length, name). Both are detected at the
 * start of the direction (./index.ts sniff()) unless the options fix them (transport_type,
 * protocol_type). Bytes that fit no header make the reader resynchronise: it scans for the next
 * offset where a header of the known (or any) variant starts. A message larger than
 * limits.maxMessageBytes is skipped the same way.
 *
 * Call order: data()* with gap() between, then end (the session calls pending / clear()).
 */
import type {Moment} from '../../reassembly/types.js'
import {StreamBuffer} from '../../util/stream-buffer.js'
import {type RenderOptions, Walker} from './codec.js'
import {findFunction, type Idl} from './idl.js'

export const MSG_CALL = 1
export const MSG_REPLY = 2
export const MSG_EXCEPTION = 3
export const MSG_ONEWAY = 4

export interface ThriftMessage {
  type: number
  name: string
  seqid: number
  compact: boolean
  framed: boolean
  /** Call / oneway: the arguments struct as text. */
  params: string | undefined
  /** Reply: text of field 0 ('' for a void reply); undefined when capture_reply is off. */
  returnValue: string | undefined
  /** Reply: the declared exceptions (fields other than 0) as struct text; exception: the TApplicationException. */
  exceptions: string | undefined
  /** The service the IDL declares the function in. */
  service: string | undefined
  /** The IDL declares the function oneway (some clients send its calls as type call). */
  oneway: boolean
  /** Bytes on the wire, frame header included. */
  wire: number
  /** A struct had more than drop_after_n_struct_fields fields: the texts are left out. */
  dropped: boolean
  /** A string or collection was cut at its bound. */
  cut: boolean
  /** Why the body could not be read (header fine); '' when it could. */
  bodyBad: string
}

export interface MessageSink {
  /** One message; `at` is the Moment of its first byte (read during the call only). */
  message(m: ThriftMessage, at: Moment): void
  /** Bytes skipped (bad header, oversized message, resynchronisation); `why` says what was wrong. */
  bad(why: string): void
}

export interface FramingOptions {
  /** undefined: detected per direction. */
  framed: boolean | undefined
  compact: boolean | undefined
  captureReply: boolean
  render: RenderOptions
  idl: Idl | null
  maxMessage: number
}

/** What a header at an offset looks like: framed / compact / strict, or why not. */
export const SNIFF_NO = 0
export const SNIFF_WAIT = 1
export const SNIFF_YES = 2

export interface Sniffed {
  framed: boolean
  compact: boolean
}

const isNameByte = (c: number) => (c >= 48 && c <= 58) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46

/** A message header (no frame length) at buf[i]: SNIFF_YES / SNIFF_NO / SNIFF_WAIT (too few bytes). */
function headerAt(buf: Buffer, i: number, compact: boolean | undefined, out: Sniffed): number {
  const left = buf.length - i
  if (left < 2) return SNIFF_WAIT
  const a = buf[i]!
  const b = buf[i + 1]!
  if (compact !== false && a === 0x82) {
    const t = b >> 5
    if ((b & 0x1f) === 1 && t >= 1 && t <= 4) {
      out.compact = true
      return SNIFF_YES
    }
    return SNIFF_NO
  }
  if (compact === true) return SNIFF_NO
  if (a === 0x80) {
    if (left < 4) return SNIFF_WAIT
    if (b === 0x01 && buf[i + 2] === 0 && buf[i + 3]! >= 1 && buf[i + 3]! <= 4) {
      out.compact = false
      return SNIFF_YES
    }
    return SNIFF_NO
  }
  // old (non-strict) binary: i32 name length 1..255, a name, the type byte 1..4
  if (a !== 0) return SNIFF_NO
  if (left < 4) return buf[i + 1] === 0 ? SNIFF_WAIT : SNIFF_NO
  const n = buf.readInt32BE(i)
  if (n < 1 || n > 255) return SNIFF_NO
  const stop = Math.min(buf.length, i + 4 + n)
  for (let k = i + 4; k < stop; k++) if (!isNameByte(buf[k]!)) return SNIFF_NO
  if (left < 4 + n + 1) return SNIFF_WAIT
  const t = buf[i + 4 + n]!
  if (t < 1 || t > 4) return SNIFF_NO
  out.compact = false
  return SNIFF_YES
}

/**
 * Whether a Thrift message (framed or not) starts at buf[i], within the variants the options
 * allow. Fills `out`. Never throws.
 */
export function sniff(buf: Buffer, i: number, framed: boolean | undefined, compact: boolean | undefined, out: Sniffed): number {
  let wait = false
  if (framed !== true) {
    const r = headerAt(buf, i, compact, out)
    if (r === SNIFF_YES) {
      out.framed = false
      return r
    }
    if (r === SNIFF_WAIT) wait = true
  }
  if (framed !== false) {
    if (buf.length - i < 4) return SNIFF_WAIT
    const len = buf.readUInt32BE(i)
    // any length counts here: an oversized frame is skipped whole by its length (MessageReader)
    if (len >= 2 && len <= 0x7fffffff) {
      const r = headerAt(buf, i + 4, compact, out)
      if (r === SNIFF_YES) {
        out.framed = true
        return r
      }
      if (r === SNIFF_WAIT) wait = true
    }
  }
  return wait ? SNIFF_WAIT : SNIFF_NO
}

export class MessageReader {
  private readonly sb = new StreamBuffer()
  private readonly w: Walker
  private framed: boolean | undefined
  private compact: boolean | undefined
  /** Transport and protocol known for this direction. */
  private known = false
  private resync = false
  /** Bytes of an oversized frame still to be skipped. */
  private skip = 0
  /** Bytes needed (from the carried-over start) before the next attempt can succeed. */
  private need = 0
  private readonly stamp: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  private readonly sn: Sniffed = {framed: false, compact: false}

  constructor(
    private readonly sink: MessageSink,
    private readonly o: FramingOptions,
  ) {
    this.w = new Walker(o.render, o.idl)
    this.framed = o.framed
    this.compact = o.compact
  }

  get pending(): number {
    return this.sb.pending
  }

  data(bytes: Buffer, at: Moment): void {
    const sb = this.sb
    const carried = sb.pending
    if (carried > 0 && carried + bytes.length < this.need) {
      sb.view(bytes)
      if (sb.pending > this.o.maxMessage + 4) this.oversized()
      return
    }
    const buf = sb.view(bytes)
    let off = 0
    while (off < buf.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, buf.length - off)
        this.skip -= take
        off += take
        continue
      }
      if (!this.known || this.resync) {
        const s = this.findStart(buf, off)
        if (s < 0) {
          // no offset can start a message (sniff() waits on a tail that might)
          off = buf.length
          break
        }
        if (s > off) {
          if (!this.resync) this.sink.bad(`${s - off} bytes before the first message skipped`)
          off = s
        }
        const r = sniff(buf, off, this.framed, this.compact, this.sn)
        if (r === SNIFF_WAIT) break
        this.framed = this.sn.framed
        this.compact = this.sn.compact
        this.known = true
        this.resync = false
      }
      const n = this.message(buf, off, off < carried ? null : at)
      if (n === 0) break
      off += n
      this.need = 0
    }
    if (off < buf.length) {
      const inCarry = off < carried
      sb.keep(buf, off, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
      if (sb.pending > this.o.maxMessage + 4) this.oversized()
    } else sb.clear()
  }

  /** Bytes of this direction were lost: drop the partial message and resynchronise. */
  gap(): void {
    this.sb.clear()
    this.need = 0
    this.skip = 0
    if (this.known) this.resync = true
  }

  clear(): void {
    this.sb.clear()
    this.need = 0
  }

  /** Starts skipping an oversized frame at buf[off]: the bytes of it already here. */
  private skipNow(buf: Buffer, off: number): number {
    const take = Math.min(this.skip, buf.length - off)
    this.skip -= take
    return take
  }

  private oversized(): void {
    this.sink.bad(`message larger than limits.maxMessageBytes (${this.o.maxMessage}) skipped`)
    this.sb.clear()
    this.need = 0
    this.resync = true
  }

  /**
   * The first offset >= off where a message of the allowed variants starts (or may start: too few
   * bytes to tell), or -1. A resynchronising reader keeps to the variant it knew.
   */
  private findStart(buf: Buffer, off: number): number {
    for (let i = off; i < buf.length; i++) {
      const r = sniff(buf, i, this.framed, this.compact, this.sn)
      if (r !== SNIFF_NO) return i
    }
    return -1
  }

  /**
   * Reads one message at buf[off]; returns the bytes it took, or 0 when it is not whole yet.
   * `at` null: the message started in carried-over bytes (its stamp is the buffer's).
   */
  private message(buf: Buffer, off: number, at: Moment | null): number {
    let start = off
    let end = buf.length
    if (this.framed) {
      if (buf.length - off < 4) return 0
      const len = buf.readUInt32BE(off)
      if (len < 2 || len > 0x7fffffff) {
        this.sink.bad(`bad frame length ${len}`)
        this.resync = true
        return 1
      }
      if (len > this.o.maxMessage) {
        // skipped whole: the framing stays in step
        this.sink.bad(`frame of ${len} bytes exceeds limits.maxMessageBytes`)
        this.skip = 4 + len
        return this.skipNow(buf, off)
      }
      if (buf.length - off < 4 + len) {
        this.need = 4 + len
        return 0
      }
      start = off + 4
      end = start + len
    }
    const w = this.w
    w.reset(buf, start, end, this.compact === true)
    const m = this.header(w)
    if (m === null || w.failed) {
      if (w.short && !this.framed) {
        this.need = Math.max(w.need, buf.length + 1) - off
        return 0
      }
      this.sink.bad(`bad message header${w.bad !== '' ? `: ${w.bad}` : ''}`)
      this.resync = true
      return this.framed ? end - off : 1
    }
    this.body(w, m)
    if (w.short && !this.framed) {
      this.need = Math.max(w.need, buf.length + 1) - off
      return 0
    }
    if (w.failed) m.bodyBad = w.short ? 'message body shorter than its frame' : w.bad
    m.wire = (this.framed ? end : w.pos) - off
    if (at === null) {
      this.stamp.frame = this.sb.frame
      this.stamp.tsSec = this.sb.sec
      this.stamp.tsNsec = this.sb.nsec
    } else {
      this.stamp.frame = at.frame
      this.stamp.tsSec = at.tsSec
      this.stamp.tsNsec = at.tsNsec
    }
    this.sink.message(m, this.stamp)
    if (m.bodyBad !== '' && !this.framed) {
      // the end of an unreadable unframed body is unknown: look for the next header
      this.resync = true
      return Math.max(1, w.pos - off)
    }
    return this.framed ? end - off : w.pos - off
  }

  private header(w: Walker): ThriftMessage | null {
    let type: number
    let name: string
    let seqid: number
    if (this.compact) {
      w.u8() // 0x82
      const tv = w.u8()
      type = tv >> 5
      seqid = w.varint32() | 0
      const n = w.bytesLen()
      if (n < 0) return null
      name = w.buf.toString('utf8', w.pos, w.pos + n)
      w.pos += n
    } else {
      const v = w.i32be()
      if (w.failed) return null
      if (v < 0) {
        if ((v & 0xffff0000) !== (0x80010000 | 0)) {
          w.fail('bad version')
          return null
        }
        type = v & 0xff
        const n = w.bytesLen()
        if (n < 0) return null
        name = w.buf.toString('utf8', w.pos, w.pos + n)
        w.pos += n
      } else {
        if (v > 0xffff) {
          w.fail(`bad name length ${v}`)
          return null
        }
        if (w.pos + v > w.end) {
          w.need = w.pos + v
          w.short = true
          return null
        }
        name = w.buf.toString('utf8', w.pos, w.pos + v)
        w.pos += v
        type = w.u8()
      }
      seqid = w.i32be()
    }
    if (w.failed) return null
    if (type < MSG_CALL || type > MSG_ONEWAY) {
      w.fail(`bad message type ${type}`)
      return null
    }
    return {
      type,
      name,
      seqid,
      compact: this.compact === true,
      framed: this.framed === true,
      params: undefined,
      returnValue: undefined,
      exceptions: undefined,
      service: undefined,
      oneway: false,
      wire: 0,
      dropped: false,
      cut: false,
      bodyBad: '',
    }
  }

  private body(w: Walker, m: ThriftMessage): void {
    const fn = this.o.idl !== null ? findFunction(this.o.idl, m.name) : undefined
    if (fn !== undefined) {
      m.service = fn.service
      m.oneway = fn.oneway
    } else {
      const colon = m.name.indexOf(':')
      if (colon > 0) m.service = m.name.slice(0, colon)
    }
    if (m.type === MSG_CALL || m.type === MSG_ONEWAY) {
      m.params = w.struct(fn?.params, 0)
    } else if (m.type === MSG_REPLY) {
      w.render = this.o.captureReply
      const exc = w.struct(fn?.reply, 0, 0)
      if (this.o.captureReply) {
        m.returnValue = w.skipped ?? ''
        if (exc !== '()') m.exceptions = exc
      }
    } else {
      // TApplicationException {1: string message, 2: i32 type}
      const exc = w.struct(undefined, 0)
      m.exceptions = exc
    }
    m.dropped = w.dropped
    m.cut = w.cut
    if (m.dropped) {
      m.params = undefined
      m.returnValue = undefined
      m.exceptions = undefined
    }
  }
}
