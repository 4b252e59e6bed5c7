/**
 * PostgreSQL frontend/backend protocol v3: message framing and field decoders.
 * Reference: PostgreSQL documentation, chapter "Frontend/Backend Protocol" (53.7 Message Formats).
 *
 * A message is a type byte, an Int32 length (counting itself, not the type byte) and a body. The
 * client's first message (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest) has no type
 * byte. The server answers SSLRequest / GSSENCRequest with one unframed byte ('S'/'G' or 'N').
 */

import {BoundedStash} from '../../util/bounded-stash.js'
import {utf8Escaped} from '../shared/text.js'

export const PROTOCOL_3 = 196608
export const SSL_REQUEST = 80877103
export const GSSENC_REQUEST = 80877104
export const CANCEL_REQUEST = 80877102

export interface MessageSink {
  /**
   * One message: `type` is the type byte (0 for an untyped startup-phase message, or for the single
   * byte answer to SSLRequest, which arrives as type = that byte and an empty body). `body` is a
   * view valid only during the call; when `truncated`, only body.length of `total` body bytes were
   * kept (limits.maxMessageBytes, or a body the parser does not need: DataRow, CopyData).
   */
  message(type: number, body: Buffer, total: number, truncated: boolean): void
}

/** Message types whose body is only counted, never buffered. */
function skipBody(type: number): boolean {
  return type === 0x44 /* D DataRow */ || type === 0x64 /* d CopyData */
}

/**
 * Push-style framer for one direction. Views for messages inside one data() call; a message split
 * across calls is copied into a stash (its bytes must outlive the call), grown by doubling up to
 * `maxBytes`; the rest of a longer body is skipped and the message flagged truncated.
 */
export class PgFramer {
  /** Next message has no type byte (the client's first message). */
  untyped = false
  /** Next server byte is the single-byte answer to SSLRequest / GSSENCRequest. */
  singleByte = false
  private readonly hdr = Buffer.alloc(5)
  private hdrFill = 0
  private hdrNeed = 5
  private inBody = false
  private type = 0
  private total = 0
  private remain = 0
  private skip = false
  private readonly empty = Buffer.alloc(0)
  /** Deliver DataRow bodies (send_response wants rows) instead of only counting them. */
  keepRows = false
  /**
   * The client's first message: look at its first 8 bytes to decide whether it is untyped (a
   * length then a known startup code) or a typed message (a capture that starts mid-session).
   */
  auto = false
  private readonly autoBuf = Buffer.alloc(8)
  private autoFill = 0
  /** Set when a length field is impossible (< 4): the direction cannot be framed any more. */
  broken = false

  /** A message split across data() calls (copied: it outlives the call), bounded by maxBytes. */
  private readonly stash: BoundedStash

  constructor(
    private readonly maxBytes: number,
    private readonly sink: MessageSink,
  ) {
    this.stash = new BoundedStash(maxBytes)
  }

  reset(): void {
    this.hdrFill = 0
    this.inBody = false
    this.remain = 0
    this.broken = false
    this.keepRows = false
    this.stash.reset()
  }

  get idle(): boolean {
    return !this.inBody && this.hdrFill === 0
  }

  push(b: Buffer): void {
    let off = 0
    const n = b.length
    if (this.auto) {
      while (this.autoFill < 8 && off < n) this.autoBuf[this.autoFill++] = b[off++] as number
      if (this.autoFill < 8) return
      this.auto = false
      const len = this.autoBuf.readUInt32BE(0)
      const code = this.autoBuf.readUInt32BE(4)
      this.untyped =
        len >= 8 && len <= 10000 && (code === PROTOCOL_3 || code === SSL_REQUEST || code === GSSENC_REQUEST || code === CANCEL_REQUEST)
      this.push(this.autoBuf)
    }
    while (off < n && !this.broken) {
      if (!this.inBody) {
        if (this.singleByte && this.hdrFill === 0) {
          this.singleByte = false
          this.sink.message(b[off++] as number, this.empty, 0, false)
          continue
        }
        this.hdrNeed = this.untyped ? 4 : 5
        let len: number
        if (this.hdrFill === 0 && n - off >= this.hdrNeed) {
          if (this.untyped) {
            this.type = 0
            len = b.readUInt32BE(off)
          } else {
            this.type = b[off] as number
            len = b.readUInt32BE(off + 1)
          }
          off += this.hdrNeed
        } else {
          while (this.hdrFill < this.hdrNeed && off < n) this.hdr[this.hdrFill++] = b[off++] as number
          if (this.hdrFill < this.hdrNeed) return
          this.hdrFill = 0
          if (this.untyped) {
            this.type = 0
            len = this.hdr.readUInt32BE(0)
          } else {
            this.type = this.hdr[0] as number
            len = this.hdr.readUInt32BE(1)
          }
        }
        if (len < 4) {
          this.broken = true
          return
        }
        this.untyped = false
        this.total = len - 4
        this.remain = this.total
        this.stash.clear()
        this.skip = skipBody(this.type) && !(this.keepRows && this.type === 0x44)
        this.inBody = true
        if (this.remain === 0) {
          this.inBody = false
          this.sink.message(this.type, this.empty, 0, false)
          continue
        }
      }
      const avail = n - off
      if (this.stash.len === 0 && this.remain <= avail && (this.skip || this.remain <= this.maxBytes)) {
        const body = this.skip ? this.empty : b.subarray(off, off + this.remain)
        off += this.remain
        this.remain = 0
        this.inBody = false
        this.sink.message(this.type, body, this.total, this.skip)
        continue
      }
      const take = Math.min(avail , this.remain)
      if (!this.skip) this.stash.append(b, off, take)
      off += take
      this.remain -= take
      if (this.remain === 0) {
        this.inBody = false
        const body = this.skip ? this.empty : this.stash.bytes(this.empty)
        const tr = this.skip || this.stash.truncated
        this.stash.len = 0
        this.sink.message(this.type, body, this.total, tr)
      }
    }
  }

}

/** Bounded cursor over a message body: reads past the end set `bad` instead of throwing. */
export class Cursor {
  pos = 0
  bad = false
  constructor(public buf: Buffer) {}
  reset(buf: Buffer): this {
    this.buf = buf
    this.pos = 0
    this.bad = false
    return this
  }
  /** String (NUL-terminated); a missing NUL takes the rest and sets `bad`. */
  cstr(): string {
    const e = this.buf.indexOf(0, this.pos)
    if (e < 0) {
      this.bad = true
      const s = this.buf.toString('utf8', this.pos)
      this.pos = this.buf.length
      return s
    }
    const s = this.buf.toString('utf8', this.pos, e)
    this.pos = e + 1
    return s
  }
  i16(): number {
    if (this.pos + 2 > this.buf.length) {
      this.bad = true
      this.pos = this.buf.length
      return 0
    }
    const v = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return v
  }
  i32(): number {
    if (this.pos + 4 > this.buf.length) {
      this.bad = true
      this.pos = this.buf.length
      return 0
    }
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }
  u8(): number {
    if (this.pos >= this.buf.length) {
      this.bad = true
      return 0
    }
    return this.buf[this.pos++] as number
  }
}

/** RowDescription (53.7 'T'): the column names. */
export function rowDescriptionNames(body: Buffer, c: Cursor): string[] {
  c.reset(body)
  const n = c.i16()
  const names: string[] = []
  for (let i = 0; i < n && !c.bad; i++) {
    names.push(c.cstr())
    c.pos += 18 // table oid, attnum, type oid, typlen, typmod, format
  }
  return names
}

/** DataRow (53.7 'D'): the column values as text (null for NULL; bytes not UTF-8 as \xNN). */
export function dataRowCells(body: Buffer, c: Cursor): (string | null)[] {
  c.reset(body)
  const n = c.i16()
  const cells: (string | null)[] = []
  for (let i = 0; i < n && !c.bad; i++) {
    const len = c.i32()
    if (c.bad) break
    if (len < 0) {
      cells.push(null)
      continue
    }
    if (c.pos + len > body.length) break
    cells.push(utf8Escaped(body, c.pos, c.pos + len))
    c.pos += len
  }
  return cells
}

export interface PgError {
  severity?: string
  code?: string
  message?: string
}

/** ErrorResponse / NoticeResponse fields (53.8): S (localised) and V (non-localised) severity, C, M. */
export function parseErrorFields(body: Buffer, c: Cursor): PgError {
  c.reset(body)
  const e: PgError = {}
  while (c.pos < body.length) {
    const t = c.u8()
    if (t === 0) break
    const v = c.cstr()
    if (t === 0x56 /* V */) e.severity = v
    else if (t === 0x53 /* S */ && e.severity === undefined) e.severity = v
    else if (t === 0x43 /* C */) e.code = v
    else if (t === 0x4d /* M */) e.message = v
  }
  return e
}

/**
 * Rows of a CommandComplete tag (53.7): "INSERT oid rows", "SELECT rows", "UPDATE rows", "COPY rows",
 * ...; -1 when the tag carries no count ("CREATE TABLE", "BEGIN").
 */
export function tagRows(tag: string): number {
  const sp = tag.lastIndexOf(' ')
  if (sp < 0) return -1
  const verb = tag.slice(0, tag.indexOf(' '))
  if (
    verb !== 'INSERT' &&
    verb !== 'SELECT' &&
    verb !== 'UPDATE' &&
    verb !== 'DELETE' &&
    verb !== 'MERGE' &&
    verb !== 'FETCH' &&
    verb !== 'MOVE' &&
    verb !== 'COPY'
  )
    return -1
  let v = 0
  for (let i = sp + 1; i < tag.length; i++) {
    const d = tag.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return sp + 1 < tag.length ? v : -1
}

/** First SQL keyword upper-cased (Packetbeat's `method`); comments and '(' skipped. */
export function sqlMethod(sql: string): string {
  let i = 0
  const n = sql.length
  for (;;) {
    while (i < n) {
      const c = sql.charCodeAt(i)
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 40) i++
      else break
    }
    if (sql.startsWith('/*', i)) {
      const e = sql.indexOf('*/', i + 2)
      if (e < 0) return ''
      i = e + 2
      continue
    }
    if (sql.startsWith('--', i)) {
      const e = sql.indexOf('\n', i)
      if (e < 0) return ''
      i = e + 1
      continue
    }
    break
  }
  let j = i
  while (j < n && j - i < 32) {
    const c = sql.charCodeAt(j)
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) j++
    else break
  }
  return sql.slice(i, j).toUpperCase()
}
