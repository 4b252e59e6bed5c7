/**
 * Bounds-checked BSON walking (https://bsonspec.org/spec.html) without building objects: used to
 * validate a document (size and nesting depth) BEFORE handing it to the `bson` package, and to read
 * the few fields pbx needs (first key, ok, errmsg, cursor.id, ...) from documents that are only
 * counted, never rendered. Every function returns -1 / undefined on malformed input; none throws.
 */

export const MAX_BSON_DEPTH = 64

/** Length of the document at `off` if it is well-framed within [off, end), else -1. */
export function docLength(buf: Buffer, off: number, end: number): number {
  if (off < 0 || end - off < 5) return -1
  const len = buf.readInt32LE(off)
  if (len < 5 || len > end - off || buf[off + len - 1] !== 0) return -1
  return len
}

/** End of the C string starting at `off` (index of its NUL), or -1. */
function cstringEnd(buf: Buffer, off: number, end: number): number {
  const i = buf.indexOf(0, off)
  return i < 0 || i >= end ? -1 : i
}

/** Size of an element value of `type` at `off` (within [off, end)), or -1. */
function valueSize(buf: Buffer, type: number, off: number, end: number, depth: number, deep: boolean): number {
  const room = end - off
  switch (type) {
    case 0x01: // double
    case 0x09: // UTC datetime
    case 0x11: // timestamp
    case 0x12: // int64
      return room >= 8 ? 8 : -1
    case 0x10: // int32
      return room >= 4 ? 4 : -1
    case 0x08: // boolean
      return room >= 1 ? 1 : -1
    case 0x06: // undefined
    case 0x0a: // null
    case 0x7f: // max key
    case 0xff: // min key
      return 0
    case 0x07: // ObjectId
      return room >= 12 ? 12 : -1
    case 0x13: // decimal128
      return room >= 16 ? 16 : -1
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: {
      // symbol
      if (room < 5) return -1
      const n = buf.readInt32LE(off)
      return n >= 1 && n <= room - 4 && buf[off + 4 + n - 1] === 0 ? 4 + n : -1
    }
    case 0x0c: {
      // DBPointer: string + 12-byte ObjectId
      const s = valueSize(buf, 0x02, off, end, depth, deep)
      return s >= 0 && s + 12 <= room ? s + 12 : -1
    }
    case 0x05: {
      // binary: int32 length, subtype, bytes
      if (room < 5) return -1
      const n = buf.readInt32LE(off)
      return n >= 0 && n <= room - 5 ? 5 + n : -1
    }
    case 0x0b: {
      // regex: two C strings
      const a = cstringEnd(buf, off, end)
      if (a < 0) return -1
      const b = cstringEnd(buf, a + 1, end)
      return b < 0 ? -1 : b + 1 - off
    }
    case 0x03: // document
    case 0x04: {
      // array
      if (deep) return scanDocument(buf, off, end, depth + 1)
      return docLength(buf, off, end)
    }
    case 0x0f: {
      // code with scope: int32 total, string, document
      if (room < 4) return -1
      const n = buf.readInt32LE(off)
      if (n < 14 || n > room) return -1
      const s = valueSize(buf, 0x02, off + 4, off + n, depth, deep)
      if (s < 0) return -1
      const d = deep ? scanDocument(buf, off + 4 + s, off + n, depth + 1) : docLength(buf, off + 4 + s, off + n)
      return d < 0 || 4 + s + d !== n ? -1 : n
    }
    default:
      return -1
  }
}

export interface ScanError {
  reason: string
}

/**
 * Validates the whole document at `off`, nested documents included, to depth MAX_BSON_DEPTH.
 * Returns its length, or -1 (malformed) / -2 (too deep).
 */
export function scanDocument(buf: Buffer, off: number, end: number, depth = 0): number {
  if (depth > MAX_BSON_DEPTH) return -2
  const len = docLength(buf, off, end)
  if (len < 0) return -1
  const dEnd = off + len - 1 // the terminating NUL
  let p = off + 4
  while (p < dEnd) {
    const type = buf[p]
    const nameEnd = cstringEnd(buf, p + 1, dEnd)
    if (nameEnd < 0) return -1
    const s = valueSize(buf, type, nameEnd + 1, dEnd, depth, true)
    if (s < 0) return s === -2 ? -2 : -1
    p = nameEnd + 1 + s
  }
  return p === dEnd ? len : -1
}

/** One top-level element: its type, name and value offset. */
export interface Elem {
  type: number
  name: string
  off: number
  size: number
}

/** Iterates the top-level elements of the (framed) document at `off`; stops at the first bad one. */
export function* elements(buf: Buffer, off: number, len: number): Generator<Elem> {
  const dEnd = off + len - 1
  let p = off + 4
  while (p < dEnd) {
    const type = buf[p]
    const nameEnd = cstringEnd(buf, p + 1, dEnd)
    if (nameEnd < 0) return
    const s = valueSize(buf, type, nameEnd + 1, dEnd, 0, false)
    if (s < 0) return
    yield {type, name: buf.toString('utf8', p + 1, nameEnd), off: nameEnd + 1, size: s}
    p = nameEnd + 1 + s
  }
}

export function firstElem(buf: Buffer, off: number, len: number): Elem | undefined {
  for (const e of elements(buf, off, len)) return e
  return undefined
}

export function findElem(buf: Buffer, off: number, len: number, name: string): Elem | undefined {
  for (const e of elements(buf, off, len)) if (e.name === name) return e
  return undefined
}

export function elemString(buf: Buffer, e: Elem | undefined, max = 512): string | undefined {
  if (e === undefined || e.type !== 0x02) return undefined
  const n = buf.readInt32LE(e.off)
  return buf.toString('utf8', e.off + 4, e.off + 4 + Math.min(n - 1, max))
}

/** Numeric value of a double / int32 / int64 / boolean element (int64 may lose precision). */
export function elemNumber(buf: Buffer, e: Elem | undefined): number | undefined {
  if (e === undefined) return undefined
  switch (e.type) {
    case 0x01:
      return buf.readDoubleLE(e.off)
    case 0x10:
      return buf.readInt32LE(e.off)
    case 0x12:
      return Number(buf.readBigInt64LE(e.off))
    case 0x08:
      return buf[e.off]
    default:
      return undefined
  }
}

/** An int64 as a number when exactly representable, else as a decimal string. */
export function int64(buf: Buffer, off: number): number | string {
  const v = buf.readBigInt64LE(off)
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
}

/** Number of top-level elements of a framed document / array. */
export function countElems(buf: Buffer, off: number, len: number): number {
  let n = 0
  for (const _ of elements(buf, off, len)) n++
  return n
}
