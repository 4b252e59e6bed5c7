/**
 * MySQL client/server protocol: packet framing and the decoders of the few packets pbx reads.
 * Reference: MySQL Internals "Client/Server Protocol" (Protocol::Packet, Protocol::HandshakeV10,
 * Protocol::HandshakeResponse41, OK_Packet, ERR_Packet, EOF_Packet, Protocol::LengthEncodedInteger).
 *
 * Framing (Protocol::Packet): 3-byte little-endian payload length, 1-byte sequence id, payload. A
 * payload of exactly 0xffffff bytes is continued by the next packet (and so on; a shorter packet,
 * possibly empty, ends the message): the payloads are joined by length only.
 */

/** A packet payload of this length is continued by the next packet. */
import {BoundedStash} from '../../util/bounded-stash.js'

export const MAX_PACKET = 0xffffff

/** What the framer hands on for each logical message. */
export interface PacketSink {
  /**
   * One logical message (continuations joined). `payload` is a view valid only during the call:
   * either into the caller's bytes (zero copy) or into the framer's stash. When `truncated`, only
   * the first payload.length of `total` bytes were kept (limits.maxMessageBytes, or a skipped row
   * body: then payload holds just the first byte).
   */
  packet(payload: Buffer, seq: number, total: number, truncated: boolean): void
}

/**
 * Push-style framer for one direction. Messages wholly inside one data() call are delivered as
 * views; only a message split across calls is copied into a stash (bytes must outlive the call),
 * grown by doubling up to `maxBytes`; bytes past `maxBytes` are skipped and counted.
 * `skipBodies`: when set (result-set rows), a packet whose first byte is not 0xfe/0xff is not
 * buffered at all: it is delivered as its first byte (truncated) once fully skipped.
 */
export class MysqlFramer {
  private readonly hdr = Buffer.alloc(4)
  private hdrFill = 0
  private inBody = false
  /** Bytes still to come of the current packet's payload. */
  private remain = 0
  /** The current packet is 0xffffff long: another packet continues the message. */
  private more = false
  /** A continuation packet is being read (message started in an earlier packet). */
  private cont = false
  private seq = 0
  private total = 0
  /** Skipping a row body (see skipBodies); the first byte is kept in `first`. */
  private skipping = false
  private first = -1
  private readonly one = Buffer.alloc(1)
  skipBodies = false

  /** A message split across data() calls (copied: it outlives the call), bounded by maxBytes. */
  private readonly stash: BoundedStash

  constructor(
    private readonly maxBytes: number,
    private readonly sink: PacketSink,
  ) {
    this.stash = new BoundedStash(maxBytes)
  }

  /** Drops any partial message (after a gap or a protocol switch). */
  reset(): void {
    this.hdrFill = 0
    this.inBody = false
    this.remain = 0
    this.more = false
    this.cont = false
    this.total = 0
    this.skipping = false
    this.first = -1
    this.stash.reset()
  }

  /** True when no partial message is held (the next byte starts a packet header). */
  get idle(): boolean {
    return !this.inBody && this.hdrFill === 0 && !this.cont
  }

  /**
   * Set by the sink during a packet callback when the bytes after that packet are not MySQL any
   * more (TLS after the SSL Request): push() then returns at once with the offset reached.
   */
  halted = false

  /** Frames `b`; returns how many of its bytes were read (all, unless halted). */
  push(b: Buffer): number {
    let off = 0
    const n = b.length
    while (off < n && !this.halted) {
      if (!this.inBody) {
        let len: number
        let seq: number
        if (this.hdrFill === 0 && n - off >= 4) {
          len = (b[off] as number) | ((b[off + 1] as number) << 8) | ((b[off + 2] as number) << 16)
          seq = b[off + 3] as number
          off += 4
        } else {
          while (this.hdrFill < 4 && off < n) this.hdr[this.hdrFill++] = b[off++] as number
          if (this.hdrFill < 4) return off
          this.hdrFill = 0
          len = this.hdr.readUIntLE(0, 3)
          seq = this.hdr[3] as number
        }
        if (!this.cont) {
          this.seq = seq
          this.total = 0
          this.stash.clear()
          this.skipping = false
          this.first = -1
        }
        this.total += len
        this.remain = len
        this.more = len === MAX_PACKET
        this.inBody = true
        if (len === 0) {
          this.endPacket()
          continue
        }
        if (off >= n) return off
      }
      const avail = n - off
      // Zero-copy fast path: a whole single-packet message inside this call.
      if (!this.cont && !this.more && this.stash.len === 0 && this.remain <= avail && !this.skipping) {
        const first = b[off] as number
        if (this.skipBodies && first !== 0xfe && first !== 0xff) {
          this.one[0] = first
          off += this.remain
          this.remain = 0
          this.inBody = false
          this.sink.packet(this.one, this.seq, this.total, true)
          continue
        }
        if (this.remain <= this.maxBytes) {
          const p = b.subarray(off, off + this.remain)
          off += this.remain
          this.remain = 0
          this.inBody = false
          this.sink.packet(p, this.seq, this.total, false)
          continue
        }
      }
      const take = Math.min(avail , this.remain)
      if (this.first < 0) {
        this.first = b[off] as number
        if (this.skipBodies && this.first !== 0xfe && this.first !== 0xff) this.skipping = true
      }
      if (!this.skipping) this.stash.append(b, off, take)
      off += take
      this.remain -= take
      if (this.remain === 0) this.endPacket()
    }
    return off
  }

  private endPacket(): void {
    this.inBody = false
    if (this.more) {
      this.cont = true
      return
    }
    this.cont = false
    if (this.skipping || (this.first >= 0 && this.skipBodies && this.first !== 0xfe && this.first !== 0xff)) {
      this.one[0] = this.first
      this.skipping = false
      this.sink.packet(this.one, this.seq, this.total, true)
      return
    }
    const p = this.stash.bytes(this.one.subarray(0, 0))
    const t = this.stash.truncated
    this.stash.len = 0
    this.sink.packet(p, this.seq, this.total, t)
  }

}

/** A bounds-checked reader over one payload (Wireshark-style: reads past the end set `bad`). */
export class Reader {
  pos = 0
  bad = false
  constructor(public buf: Buffer) {}

  reset(buf: Buffer): this {
    this.buf = buf
    this.pos = 0
    this.bad = false
    return this
  }

  get left(): number {
    return this.buf.length - this.pos
  }

  u8(): number {
    if (this.pos + 1 > this.buf.length) return this.fail()
    return this.buf[this.pos++] as number
  }
  u16(): number {
    if (this.pos + 2 > this.buf.length) return this.fail()
    const v = this.buf.readUInt16LE(this.pos)
    this.pos += 2
    return v
  }
  u32(): number {
    if (this.pos + 4 > this.buf.length) return this.fail()
    const v = this.buf.readUInt32LE(this.pos)
    this.pos += 4
    return v
  }
  skip(n: number): void {
    if (this.pos + n > this.buf.length) {
      this.fail()
      return
    }
    this.pos += n
  }
  /** Protocol::LengthEncodedInteger; -1 for the NULL marker 0xfb. Values above 2^53 lose precision. */
  lenenc(): number {
    const c = this.u8()
    if (c < 0xfb) return c
    if (c === 0xfb) return -1
    if (c === 0xfc) return this.u16()
    if (c === 0xfd) {
      if (this.pos + 3 > this.buf.length) return this.fail()
      const v = this.buf.readUIntLE(this.pos, 3)
      this.pos += 3
      return v
    }
    if (c === 0xfe) {
      if (this.pos + 8 > this.buf.length) return this.fail()
      const lo = this.buf.readUInt32LE(this.pos)
      const hi = this.buf.readUInt32LE(this.pos + 4)
      this.pos += 8
      return hi * 0x100000000 + lo
    }
    return this.fail()
  }
  /** Protocol::LengthEncodedString (latin1-safe utf8 decoding). */
  lenencStr(): string {
    const len = this.lenenc()
    if (len < 0 || this.bad) return ''
    return this.fixedStr(len)
  }
  fixedStr(len: number): string {
    if (this.pos + len > this.buf.length) {
      this.fail()
      return ''
    }
    const s = this.buf.toString('utf8', this.pos, this.pos + len)
    this.pos += len
    return s
  }
  /** Protocol::NulTerminatedString; a missing NUL takes the rest of the payload. */
  cstr(): string {
    let e = this.buf.indexOf(0, this.pos)
    const end = e < 0 ? this.buf.length : e
    const s = this.buf.toString('utf8', this.pos, end)
    if (e < 0) e = this.buf.length - 1
    this.pos = e + 1
    return s
  }
  restStr(): string {
    const s = this.buf.toString('utf8', this.pos)
    this.pos = this.buf.length
    return s
  }
  private fail(): number {
    this.bad = true
    this.pos = this.buf.length
    return 0
  }
}

// Capability flags (Protocol::CapabilityFlags)
export const CLIENT_CONNECT_WITH_DB = 0x8
export const CLIENT_COMPRESS = 0x20
export const CLIENT_PROTOCOL_41 = 0x200
export const CLIENT_SSL = 0x800
export const CLIENT_SECURE_CONNECTION = 0x8000
export const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000
export const CLIENT_DEPRECATE_EOF = 0x1000000
export const CLIENT_QUERY_ATTRIBUTES = 0x8000000
/** Server status flag: another result set follows (OK/EOF packets). */
export const SERVER_MORE_RESULTS_EXISTS = 0x8
/** Capability bit 0: CLIENT_LONG_PASSWORD for MySQL; MariaDB clears it (CLIENT_MYSQL unset) to say
 * that extended MariaDB capabilities follow in the handshake. */
export const CLIENT_MYSQL = 0x1
/** MariaDB extended capability (bit 36 of the 64-bit set, bit 4 of the extended 32): the column
 * count packet carries a "metadata follows" byte (MariaDB docs, "Result Set Packets"). */
export const MARIADB_CLIENT_CACHE_METADATA = 1 << 4

export interface Greeting {
  protocolVersion: number
  serverVersion: string
  capabilities: number
  /** MariaDB extended capabilities (upper 32 bits), 0 when absent (MySQL: CLIENT_MYSQL set). */
  extCapabilities: number
}

/** Protocol::HandshakeV10 (and V9: version only). Returns null when the payload is not one. */
export function parseGreeting(p: Buffer, r: Reader): Greeting | null {
  r.reset(p)
  const v = r.u8()
  if (v !== 10 && v !== 9) return null
  const serverVersion = r.cstr()
  if (v === 9) return {protocolVersion: v, serverVersion, capabilities: 0, extCapabilities: 0}
  r.skip(4 + 8 + 1)
  let caps = r.u16()
  let ext = 0
  if (r.left >= 5) {
    r.skip(3)
    caps |= r.u16() << 16
    // auth-plugin-data length (1), then 10 reserved bytes; MariaDB (CLIENT_MYSQL unset): 6 filler
    // bytes and the 4-byte extended capabilities
    if (r.left >= 11 && (caps & CLIENT_MYSQL) === 0) {
      r.skip(1 + 6)
      ext = r.u32() >>> 0
    }
  }
  if (r.bad) return null
  return {protocolVersion: v, serverVersion, capabilities: caps >>> 0, extCapabilities: ext}
}

export interface HandshakeResponse {
  capabilities: number
  /** MariaDB extended capabilities (last 4 of the 23 filler bytes when CLIENT_MYSQL is unset), else 0. */
  extCapabilities: number
  /** True for an SSLRequest (a short response with CLIENT_SSL: TLS follows). */
  sslRequest: boolean
  user: string
  database?: string
}

/** Protocol::HandshakeResponse41 / HandshakeResponse320 / SSLRequest. */
export function parseHandshakeResponse(p: Buffer, r: Reader): HandshakeResponse | null {
  r.reset(p)
  if (p.length < 4) return null
  let caps = p.readUInt16LE(0)
  if (caps & CLIENT_PROTOCOL_41) {
    caps = r.u32()
    r.skip(4 + 1 + 19)
    const extRaw = r.u32()
    const ext = (caps & CLIENT_MYSQL) === 0 ? extRaw >>> 0 : 0
    if (r.bad) return null
    const ssl = (caps & CLIENT_SSL) !== 0
    if (r.left === 0) return {capabilities: caps >>> 0, extCapabilities: ext, sslRequest: ssl, user: ''}
    const user = r.cstr()
    if (caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
      const n = r.lenenc()
      if (n > 0) r.skip(n)
    } else if (caps & CLIENT_SECURE_CONNECTION) r.skip(r.u8())
    else r.cstr()
    let database: string | undefined
    if (caps & CLIENT_CONNECT_WITH_DB && r.left > 0 && !r.bad) database = r.cstr()
    const out: HandshakeResponse = {capabilities: caps >>> 0, extCapabilities: ext, sslRequest: false, user}
    if (database) out.database = database
    return out
  }
  // HandshakeResponse320: 2 bytes caps, 3 bytes max packet, user, auth
  r.skip(5)
  if (r.bad) return null
  if (r.left === 0) return {capabilities: caps, extCapabilities: 0, sslRequest: (caps & CLIENT_SSL) !== 0, user: ''}
  const user = r.cstr()
  return {capabilities: caps, extCapabilities: 0, sslRequest: false, user}
}

export interface OkPacket {
  affectedRows: number
  insertId: number
  status: number
}

/** OK_Packet (header 0x00, or 0xfe in CLIENT_DEPRECATE_EOF mode) after the header byte. */
export function parseOk(p: Buffer, r: Reader, protocol41: boolean): OkPacket | null {
  r.reset(p)
  r.u8()
  const affectedRows = r.lenenc()
  const insertId = r.lenenc()
  let status = 0
  if (protocol41 && r.left >= 2) status = r.u16()
  if (r.bad) return null
  return {affectedRows, insertId, status}
}

/** EOF_Packet (0xfe, payload < 9 bytes): status flags when present (protocol 4.1). */
export function eofStatus(p: Buffer): number {
  return p.length >= 5 ? p.readUInt16LE(3) : 0
}

export interface ErrPacket {
  code: number
  sqlState?: string
  message: string
}

/** ERR_Packet: 0xff, code, ['#' + 5-byte SQL state], message. */
export function parseErr(p: Buffer, r: Reader): ErrPacket | null {
  r.reset(p)
  r.u8()
  const code = r.u16()
  if (r.bad) return null
  let sqlState: string | undefined
  if (r.left >= 6 && p[r.pos] === 0x23) {
    r.skip(1)
    sqlState = r.fixedStr(5)
  }
  const message = r.restStr()
  const e: ErrPacket = {code, message}
  if (sqlState !== undefined) e.sqlState = sqlState
  return e
}

/** Protocol::ColumnDefinition41: returns "schema.table" (or the table, or '') for `path`. */
export function columnTable(p: Buffer, r: Reader): string {
  r.reset(p)
  r.lenencStr() // catalog
  const schema = r.lenencStr()
  const table = r.lenencStr()
  if (r.bad || table === '') return ''
  return schema ? `${schema}.${table}` : table
}

/** The column name (`name`, the alias) of a Protocol::ColumnDefinition41 packet; '' when malformed. */
export function columnName(p: Buffer, r: Reader): string {
  r.reset(p)
  for (let i = 0; i < 4; i++) r.lenencStr() // catalog, schema, table, org_table
  const name = r.lenencStr()
  return r.bad ? '' : name
}

/** The cells of a text-protocol result row (Protocol::ResultsetRow); null for NULL. */
export function textRow(p: Buffer, r: Reader): (string | null)[] {
  r.reset(p)
  const cells: (string | null)[] = []
  while (r.left > 0) {
    const len = r.lenenc()
    if (r.bad) break
    if (len < 0) {
      cells.push(null)
      continue
    }
    const v = r.fixedStr(len)
    if (r.bad) break
    cells.push(v)
  }
  return cells
}

/** Command bytes (Protocol::COM_*) -> method names used when there is no SQL text. */
export const COMMANDS: Record<number, string> = {
  0: 'SLEEP',
  1: 'QUIT',
  2: 'USE',
  3: 'QUERY',
  4: 'FIELD_LIST',
  5: 'CREATE_DB',
  6: 'DROP_DB',
  7: 'REFRESH',
  8: 'SHUTDOWN',
  9: 'STATISTICS',
  10: 'PROCESS_INFO',
  11: 'CONNECT',
  12: 'PROCESS_KILL',
  13: 'DEBUG',
  14: 'PING',
  15: 'TIME',
  16: 'DELAYED_INSERT',
  17: 'CHANGE_USER',
  18: 'BINLOG_DUMP',
  19: 'TABLE_DUMP',
  20: 'CONNECT_OUT',
  21: 'REGISTER_SLAVE',
  22: 'STMT_PREPARE',
  23: 'STMT_EXECUTE',
  24: 'STMT_SEND_LONG_DATA',
  25: 'STMT_CLOSE',
  26: 'STMT_RESET',
  27: 'SET_OPTION',
  28: 'STMT_FETCH',
  29: 'DAEMON',
  30: 'BINLOG_DUMP_GTID',
  31: 'RESET_CONNECTION',
}

/**
 * First SQL keyword, upper-cased (Packetbeat's `method`): leading whitespace, comments and '('
 * skipped; at most 32 characters looked at past them. '' when there is none.
 */
export function sqlMethod(sql: string): string {
  let i = 0
  const n = sql.length
  for (;;) {
    while (i < n) {
      const c = sql.charCodeAt(i)
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 40) i++
      else break
    }
    if (sql.startsWith('/*', i) && !sql.startsWith('/*!', i)) {
      const e = sql.indexOf('*/', i + 2)
      if (e < 0) return ''
      i = e + 2
      continue
    }
    if (sql.startsWith('--', i) || sql.startsWith('#', i)) {
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

/** Skips one binary-protocol value (ProtocolBinary::*) of column type `t`; false when unknown. */
function skipBinaryValue(t: number, r: Reader): boolean {
  switch (t) {
    case 0x06: // NULL
      return true
    case 0x01: // TINY
      r.skip(1)
      return true
    case 0x02: // SHORT
    case 0x0d: // YEAR
      r.skip(2)
      return true
    case 0x03: // LONG
    case 0x09: // INT24
    case 0x04: // FLOAT
      r.skip(4)
      return true
    case 0x05: // DOUBLE
    case 0x08: // LONGLONG
      r.skip(8)
      return true
    case 0x07: // TIMESTAMP
    case 0x0a: // DATE
    case 0x0b: // TIME
    case 0x0c: // DATETIME
      r.skip(r.u8())
      return true
    default: {
      // strings, blobs, decimals, json, enum, set, bit, geometry: length-encoded
      const n = r.lenenc()
      if (n > 0) r.skip(n)
      return !r.bad
    }
  }
}

/**
 * Offset of the SQL text in a COM_QUERY payload when CLIENT_QUERY_ATTRIBUTES was negotiated
 * (MySQL 8.0.23+): parameter_count, parameter_set_count, [null bitmap, new_params_bind_flag,
 * types and names, values], then the query. -1 when the prefix cannot be decoded.
 */
export function queryAttributesEnd(p: Buffer, r: Reader): number {
  r.reset(p)
  r.u8()
  const count = r.lenenc()
  r.lenenc() // parameter_set_count (always 1)
  if (r.bad || count < 0 || count > 4096) return -1
  if (count === 0) return r.pos
  const bitmap = r.pos
  r.skip((count + 7) >> 3)
  if (r.u8() !== 1 || r.bad) return -1
  const typesAt = r.pos
  for (let i = 0; i < count; i++) {
    r.skip(2)
    const n = r.lenenc()
    if (n > 0) r.skip(n)
  }
  if (r.bad) return -1
  let tp = typesAt
  const rt = new Reader(p)
  for (let i = 0; i < count; i++) {
    const t = p[tp] as number
    rt.reset(p)
    rt.pos = tp + 2
    const n = rt.lenenc()
    tp = rt.pos + (Math.max(n , 0))
    if (((p[bitmap + (i >> 3)] as number) >> (i & 7)) & 1) continue
    if (!skipBinaryValue(t, r)) return -1
  }
  return r.bad ? -1 : r.pos
}

/**
 * A prepared statement as pbx knows it: its SQL text, its parameter count (COM_STMT_PREPARE_OK
 * num_params) and, once a COM_STMT_EXECUTE bound them, its parameter types (type byte | flags << 8),
 * which later executes may omit (new_params_bound_flag 0).
 */
export interface PreparedStatement {
  sql: string
  numParams: number
  types?: number[]
}

/** COM_STMT_EXECUTE flag PARAMETER_COUNT_AVAILABLE (with CLIENT_QUERY_ATTRIBUTES). */
const PARAMETER_COUNT_AVAILABLE = 0x08

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`)

/** The shortest decimal text that reads back as the same 32-bit float (as Go's FormatFloat(.., 32)). */
function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p)
    if (Math.fround(Number(s)) === v) return String(Number(s))
  }
  return String(v)
}

/**
 * The parameter values of a COM_STMT_EXECUTE payload (`p`, command byte first) of statement `st`,
 * appended to `out` as text, at most st.numParams of them (query attributes after them are not
 * values), strings cut so that all values together hold at most `maxChars` characters.
 * Rendering: integers in decimal (signed unless the type's unsigned flag 0x80 is set), FLOAT/DOUBLE
 * as the shortest round-trip decimal, strings/blobs/decimals as sent (utf8), DATE/DATETIME/TIMESTAMP
 * as Packetbeat writes them ("Y/M/D h:m:s", unpadded, the parts the value has), TIME as
 * [-]H:MM:SS[.ffffff], NULL (bitmap bit or MYSQL_TYPE_NULL) as "NULL".
 * Binding: `st.types` is set when the packet binds types. With no types bound now or before, nothing
 * is appended. Returns undefined, or the reason the payload is malformed (the values before the fault
 * stay in `out`). Never reads outside `p`.
 */
export function executeParams(p: Buffer, r: Reader, st: PreparedStatement, queryAttrs: boolean, maxChars: number, out: string[]): string | undefined {
  r.reset(p)
  r.skip(5) // command, statement id
  const flags = r.u8()
  r.skip(4) // iteration count
  if (r.bad) return 'short COM_STMT_EXECUTE'
  let n = st.numParams
  if (queryAttrs) {
    if (n === 0 && (flags & PARAMETER_COUNT_AVAILABLE) === 0) return undefined
    n = r.lenenc()
    if (r.bad || n < 0 || n > p.length * 8) return 'bad parameter count in COM_STMT_EXECUTE'
  }
  if (n === 0) return undefined
  const bitmapAt = r.pos
  r.skip(Math.ceil(n / 8))
  const bound = r.u8()
  if (r.bad) return 'short COM_STMT_EXECUTE'
  let types: number[] | undefined
  if (bound === 1) {
    if (r.left < 2 * n) return 'short COM_STMT_EXECUTE parameter types'
    types = new Array<number>(n)
    for (let i = 0; i < n; i++) {
      types[i] = r.u16()
      if (queryAttrs) {
        const len = r.lenenc() // parameter name
        if (len > 0) r.skip(len)
        if (r.bad || len < 0) return 'bad parameter name in COM_STMT_EXECUTE'
      }
    }
    st.types = types
  } else {
    types = st.types
    if (types === undefined || types.length !== n) return undefined
  }
  let budget = maxChars
  const count = Math.min(n, st.numParams)
  for (let i = 0; i < count; i++) {
    if (((p[bitmapAt + (i >>> 3)] as number) & (1 << (i & 7))) !== 0) {
      out.push('NULL')
      continue
    }
    const t = types[i] as number
    const unsigned = ((t >>> 8) & 0x80) !== 0
    const at = r.pos
    let v: string
    switch (t & 0xff) {
      case 0x01: // TINY
        if (r.left < 1) return 'short parameter value'
        v = String(unsigned ? p.readUInt8(at) : p.readInt8(at))
        r.pos += 1
        break
      case 0x02: // SHORT
      case 0x0d: // YEAR
        if (r.left < 2) return 'short parameter value'
        v = String(unsigned || (t & 0xff) === 0x0d ? p.readUInt16LE(at) : p.readInt16LE(at))
        r.pos += 2
        break
      case 0x03: // LONG
      case 0x09: // INT24
        if (r.left < 4) return 'short parameter value'
        v = String(unsigned ? p.readUInt32LE(at) : p.readInt32LE(at))
        r.pos += 4
        break
      case 0x08: // LONGLONG
        if (r.left < 8) return 'short parameter value'
        v = (unsigned ? p.readBigUInt64LE(at) : p.readBigInt64LE(at)).toString()
        r.pos += 8
        break
      case 0x04: // FLOAT
        if (r.left < 4) return 'short parameter value'
        v = float32Text(p.readFloatLE(at))
        r.pos += 4
        break
      case 0x05: // DOUBLE
        if (r.left < 8) return 'short parameter value'
        v = String(p.readDoubleLE(at))
        r.pos += 8
        break
      case 0x06: // NULL
        v = 'NULL'
        break
      case 0x07: // TIMESTAMP
      case 0x0a: // DATE
      case 0x0c: {
        // DATETIME: length, year(2) month day [hour minute second [microseconds(4)]]
        const len = r.u8()
        if (r.bad || r.left < len) return 'short parameter value'
        const d = r.pos
        const year = len >= 2 ? String(p.readUInt16LE(d)) : ''
        const md = len >= 4 ? [String(p[d + 2]), String(p[d + 3])] : ['', '']
        const hms = len >= 7 ? [String(p[d + 4]), String(p[d + 5]), String(p[d + 6])] : ['', '', '']
        v = `${year}/${md[0]}/${md[1]} ${hms[0]}:${hms[1]}:${hms[2]}`
        r.pos += len
        break
      }
      case 0x0b: {
        // TIME: length, [negative days(4) hour minute second [microseconds(4)]]
        const len = r.u8()
        if (r.bad || r.left < len) return 'short parameter value'
        const d = r.pos
        if (len >= 8) {
          const hours = p.readUInt32LE(d + 1) * 24 + (p[d + 5] as number)
          v = `${p[d] ? '-' : ''}${pad2(hours)}:${pad2(p[d + 6] as number)}:${pad2(p[d + 7] as number)}`
          if (len >= 12) v += `.${String(p.readUInt32LE(d + 8)).padStart(6, '0')}`
        } else v = '00:00:00'
        r.pos += len
        break
      }
      case 0x00: // DECIMAL
      case 0x0f: // VARCHAR
      case 0x10: // BIT
      case 0xf5: // JSON
      case 0xf6: // NEWDECIMAL
      case 0xf7: // ENUM
      case 0xf8: // SET
      case 0xf9: // TINY_BLOB
      case 0xfa: // MEDIUM_BLOB
      case 0xfb: // LONG_BLOB
      case 0xfc: // BLOB
      case 0xfd: // VAR_STRING
      case 0xfe: // STRING
      case 0xff: {
        // GEOMETRY
        const len = r.lenenc()
        if (r.bad || len < 0 || r.left < len) return 'short parameter value'
        v = p.toString('utf8', r.pos, r.pos + Math.min(len, budget))
        r.pos += len
        break
      }
      default:
        return `unknown parameter type 0x${(t & 0xff).toString(16)}`
    }
    if (v.length > budget) v = v.slice(0, budget)
    budget -= v.length
    out.push(v)
  }
  return undefined
}
