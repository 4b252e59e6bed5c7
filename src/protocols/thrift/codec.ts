/**
 * Thrift value codecs: the binary protocol (TBinaryProtocol, big-endian, strict and old headers)
 * and the compact protocol (TCompactProtocol: zigzag varints, field-id deltas, little-endian
 * doubles), read from a view and rendered as text the way Packetbeat prints them:
 *   struct `(1: 42, 2: "hello")` (field names from the IDL when known), list and set `[1, 2]`,
 *   map `{"k": 1}`, strings quoted (binary that is not printable UTF-8 as hex), doubles shortest.
 *
 * Contract: a Walker reads buf[pos, end) and never reads outside it or throws. Running out of
 * bytes sets `short` (with `need`, the absolute offset known to be needed, when a length said so);
 * bytes that cannot be a Thrift value set `bad` (the reason). Rendering is bounded by the
 * options: string_max_size bytes per string (then "..."), collection_max_size elements per list,
 * set, map and struct (then "..."), nesting MAX_DEPTH, and drop_after_n_struct_fields fields in
 * one struct (then the walk goes on without rendering and `dropped` is set). Elements beyond a
 * bound are still walked, so the message end is found.
 */
import {type Idl, type IdlStruct, type IdlType, resolveType, structOf} from './idl.js'

export const T_STOP = 0
export const T_BOOL = 2
export const T_BYTE = 3
export const T_DOUBLE = 4
export const T_I16 = 6
export const T_I32 = 8
export const T_I64 = 10
export const T_STRING = 11
export const T_STRUCT = 12
export const T_MAP = 13
export const T_SET = 14
export const T_LIST = 15
export const T_UUID = 16

/** Nesting of structs and containers the walker follows. */
export const MAX_DEPTH = 64

/** Compact type nibble -> binary type id (0 stop; 1/2 are booleans true/false in fields). */
const COMPACT_TO_BINARY = [T_STOP, T_BOOL, T_BOOL, T_BYTE, T_I16, T_I32, T_I64, T_DOUBLE, T_STRING, T_LIST, T_SET, T_MAP, T_STRUCT, T_UUID]

export interface RenderOptions {
  stringMaxSize: number
  collectionMaxSize: number
  dropAfterNStructFields: number
  obfuscateStrings: boolean
}

const HEX = '0123456789abcdef'

export class Walker {
  buf: Buffer = Buffer.alloc(0)
  pos = 0
  end = 0
  compact = false
  /** Render text (false: only walk, e.g. capture_reply false). */
  render = true
  short = false
  need = 0
  bad = ''
  /** A struct had more than dropAfterNStructFields fields. */
  dropped = false
  /** A string, collection or struct was cut at its bound. */
  cut = false
  /** The text of the field struct() was asked to leave out, when there was one. */
  skipped: string | undefined

  constructor(
    readonly o: RenderOptions,
    readonly idl: Idl | null,
  ) {}

  reset(buf: Buffer, pos: number, end: number, compact: boolean): void {
    this.buf = buf
    this.pos = pos
    this.end = end
    this.compact = compact
    this.render = true
    this.short = false
    this.need = 0
    this.bad = ''
    this.dropped = false
    this.cut = false
    this.skipped = undefined
  }

  get failed(): boolean {
    return this.short || this.bad !== ''
  }

  private avail(n: number): boolean {
    if (this.pos + n <= this.end) return true
    if (!this.short) {
      this.short = true
      this.need = Math.max(this.need, this.pos + n)
    }
    return false
  }

  fail(why: string): void {
    if (this.bad === '' && !this.short) this.bad = why
  }

  u8(): number {
    if (!this.avail(1)) return 0
    return this.buf[this.pos++]!
  }

  i16be(): number {
    if (!this.avail(2)) return 0
    const v = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return v
  }

  i32be(): number {
    if (!this.avail(4)) return 0
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }

  /** Unsigned LEB128 varint of at most `maxBytes` bytes (5 for 32 bits, 10 for 64). */
  varint(maxBytes: number): bigint {
    let v = 0n
    let shift = 0n
    for (let i = 0; i < maxBytes; i++) {
      if (!this.avail(1)) return 0n
      const b = this.buf[this.pos++]!
      v |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return v
      shift += 7n
    }
    this.fail('varint too long')
    return 0n
  }

  /** A 32-bit varint as a number (fast path, no BigInt for one-byte values). */
  varint32(): number {
    if (this.pos < this.end && this.buf[this.pos]! < 0x80) return this.buf[this.pos++]!
    return Number(BigInt.asUintN(32, this.varint(5)))
  }

  zigzag32(): number {
    const n = this.varint32()
    return (n >>> 1) ^ -(n & 1)
  }

  zigzag64(): bigint {
    const n = this.varint(10)
    return BigInt.asIntN(64, (n >> 1n) ^ -(n & 1n))
  }

  /** A length-prefixed string or binary: [start, end) of its bytes, or -1 on failure. */
  bytesLen(): number {
    let n: number
    if (this.compact) n = this.varint32()
    else n = this.i32be()
    if (this.failed) return -1
    if (n < 0) {
      this.fail(`negative string length ${n}`)
      return -1
    }
    if (!this.avail(n)) return -1
    return n
  }

  /**
   * A struct: returns its text ('' when not rendering). The field with id `skipId` is left out of
   * the text and its value's text put in `skipped` (a reply's return value, field 0).
   */
  struct(names: IdlStruct | undefined, depth: number, skipId = -1): string {
    if (depth > MAX_DEPTH) {
      this.fail('nesting deeper than MAX_DEPTH')
      return ''
    }
    let out = this.render ? '(' : ''
    let n = 0
    let shown = 0
    let lastId = 0
    for (;;) {
      let type: number
      let id: number
      let boolVal = -1
      if (this.compact) {
        const h = this.u8()
        if (this.failed) return ''
        if (h === 0) break
        const nib = h & 0x0f
        if (nib >= COMPACT_TO_BINARY.length) {
          this.fail(`bad compact field type ${nib}`)
          return ''
        }
        type = COMPACT_TO_BINARY[nib]!
        if (nib === 1 || nib === 2) boolVal = nib === 1 ? 1 : 0
        const delta = h >> 4
        id = delta === 0 ? this.zigzag32() : lastId + delta
        lastId = id
      } else {
        type = this.u8()
        if (this.failed) return ''
        if (type === T_STOP) break
        id = this.i16be()
      }
      if (this.failed) return ''
      n++
      if (this.render && n > this.o.dropAfterNStructFields) {
        this.dropped = true
        this.render = false
      }
      const wasRender = this.render
      const isSkip = id === skipId
      const showThis = wasRender && (isSkip || shown < this.o.collectionMaxSize)
      this.render = showThis
      const f = names?.get(id)
      const v = boolVal >= 0 ? (showThis ? (boolVal === 1 ? 'true' : 'false') : '') : this.value(type, f?.type, depth + 1)
      this.render = wasRender
      if (this.failed) return ''
      if (isSkip) {
        if (showThis) this.skipped = v
      } else if (showThis) {
        if (shown > 0) out += ', '
        out += `${f?.name ?? id}: ${v}`
        shown++
      } else if (wasRender && shown === this.o.collectionMaxSize) {
        out += ', ...'
        shown++
        this.cut = true
      }
    }
    return this.render ? `${out})` : ''
  }

  /** One value of wire type `type` (binary type ids; compact already mapped). */
  value(type: number, decl: IdlType | undefined, depth: number): string {
    const r = this.render
    switch (type) {
      case T_BOOL: {
        const b = this.u8()
        return r ? (this.compact ? b === 1 : b !== 0) ? 'true' : 'false' : ''
      }
      case T_BYTE: {
        const b = this.u8()
        return r ? String((b << 24) >> 24) : ''
      }
      case T_I16:
      case T_I32: {
        if (this.compact) {
          const v = this.zigzag32()
          return r ? String(type === T_I16 ? (v << 16) >> 16 : v) : ''
        }
        const v = type === T_I16 ? this.i16be() : this.i32be()
        return r ? String(v) : ''
      }
      case T_I64: {
        if (this.compact) {
          const v = this.zigzag64()
          return r ? v.toString() : ''
        }
        if (!this.avail(8)) return ''
        const v = this.buf.readBigInt64BE(this.pos)
        this.pos += 8
        return r ? v.toString() : ''
      }
      case T_DOUBLE: {
        if (!this.avail(8)) return ''
        const v = this.compact ? this.buf.readDoubleLE(this.pos) : this.buf.readDoubleBE(this.pos)
        this.pos += 8
        return r ? String(v) : ''
      }
      case T_UUID: {
        if (!this.avail(16)) return ''
        const s = r ? this.buf.toString('hex', this.pos, this.pos + 16) : ''
        this.pos += 16
        return s
      }
      case T_STRING: {
        const n = this.bytesLen()
        if (n < 0) return ''
        const start = this.pos
        this.pos += n
        return r ? this.str(start, n) : ''
      }
      case T_STRUCT: {
        const s = this.idl !== null ? structOf(this.idl, decl) : undefined
        return this.struct(s, depth)
      }
      case T_LIST:
      case T_SET:
        return this.list(decl, depth)
      case T_MAP:
        return this.map(decl, depth)
      default:
        this.fail(`bad field type ${type}`)
        return ''
    }
  }

  private elemType(): number {
    if (this.compact) {
      const nib = this.u8() & 0x0f
      if (nib === 0 || nib >= COMPACT_TO_BINARY.length) {
        this.fail(`bad compact element type ${nib}`)
        return -1
      }
      return COMPACT_TO_BINARY[nib]!
    }
    return this.u8()
  }

  private list(decl: IdlType | undefined, depth: number): string {
    if (depth > MAX_DEPTH) {
      this.fail('nesting deeper than MAX_DEPTH')
      return ''
    }
    let size: number
    let et: number
    if (this.compact) {
      if (!this.avail(1)) return ''
      const h = this.buf[this.pos]!
      const nib = h & 0x0f
      if (nib === 0 || nib >= COMPACT_TO_BINARY.length) {
        this.fail(`bad compact element type ${nib}`)
        return ''
      }
      this.pos++
      et = COMPACT_TO_BINARY[nib]!
      size = h >> 4 === 15 ? this.varint32() : h >> 4
    } else {
      et = this.elemType()
      size = this.i32be()
    }
    if (this.failed) return ''
    if (!this.sizeOk(size)) return ''
    const d = this.idl !== null ? resolveType(this.idl, decl) : undefined
    const elem = d !== undefined && (d.kind === 'list' || d.kind === 'set') ? d.elem : undefined
    return this.elements(size, () => this.value(et, elem, depth + 1), '[', ']')
  }

  private map(decl: IdlType | undefined, depth: number): string {
    if (depth > MAX_DEPTH) {
      this.fail('nesting deeper than MAX_DEPTH')
      return ''
    }
    let size: number
    let kt: number
    let vt: number
    if (this.compact) {
      size = this.varint32()
      if (this.failed) return ''
      if (size === 0) return this.render ? '{}' : ''
      const kv = this.u8()
      const kn = kv >> 4
      const vn = kv & 0x0f
      if (kn === 0 || vn === 0 || kn >= COMPACT_TO_BINARY.length || vn >= COMPACT_TO_BINARY.length) {
        this.fail('bad compact map types')
        return ''
      }
      kt = COMPACT_TO_BINARY[kn]!
      vt = COMPACT_TO_BINARY[vn]!
    } else {
      kt = this.u8()
      vt = this.u8()
      size = this.i32be()
    }
    if (this.failed) return ''
    if (!this.sizeOk(size)) return ''
    const d = this.idl !== null ? resolveType(this.idl, decl) : undefined
    const kd = d?.kind === 'map' ? d.key : undefined
    const vd = d?.kind === 'map' ? d.val : undefined
    return this.elements(
      size,
      () => {
        const k = this.value(kt, kd, depth + 1)
        if (this.failed) return ''
        const v = this.value(vt, vd, depth + 1)
        return this.render ? `${k}: ${v}` : ''
      },
      '{',
      '}',
    )
  }

  /** A container's size must not be negative (each element takes at least one byte: the walk ends). */
  private sizeOk(size: number): boolean {
    if (size < 0) {
      this.fail(`negative collection size ${size}`)
      return false
    }
    return true
  }

  private elements(size: number, one: () => string, open: string, close: string): string {
    const r = this.render
    let out = r ? open : ''
    const max = this.o.collectionMaxSize
    for (let i = 0; i < size; i++) {
      const show = r && i < max
      this.render = show
      const v = one()
      this.render = r
      if (this.failed) return ''
      if (show) out += i > 0 ? `, ${v}` : v
      else if (r && i === max) {
        out += ', ...'
        this.cut = true
      }
    }
    return r ? out + close : ''
  }

  /** A string value: quoted when printable UTF-8, else hex; bounded; "*" when obfuscated. */
  private str(start: number, n: number): string {
    if (this.o.obfuscateStrings) return '"*"'
    const max = this.o.stringMaxSize
    const take = Math.min(n, max)
    const more = n > max
    if (more) this.cut = true
    if (printable(this.buf, start, start + n)) {
      let s = this.buf.toString('utf8', start, start + take)
      // a cut inside a multi-byte character leaves U+FFFD at the end: drop it
      if (more && s.endsWith('\ufffd')) s = s.slice(0, -1)
      return `${JSON.stringify(s).slice(0, -1)}${more ? '...' : ''}"`
    }
    let h = ''
    for (let i = start; i < start + take; i++) {
      const b = this.buf[i]!
      h += HEX[b >> 4]! + HEX[b & 15]!
    }
    return more ? `${h}...` : h
  }
}

/** Valid UTF-8 without control characters other than tab, CR and LF. */
export function printable(b: Buffer, start: number, end: number): boolean {
  let i = start
  while (i < end) {
    const c = b[i]!
    if (c < 0x80) {
      if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f) return false
      i++
      continue
    }
    let n: number
    if (c >= 0xc2 && c <= 0xdf) n = 1
    else if (c >= 0xe0 && c <= 0xef) n = 2
    else if (c >= 0xf0 && c <= 0xf4) n = 3
    else return false
    if (i + n >= end) return false
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return false
    i += n + 1
  }
  return true
}
