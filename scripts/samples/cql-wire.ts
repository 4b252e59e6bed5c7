/**
 * A small CQL native protocol encoder (native_protocol_v4/v5.spec), written for pbx's sample
 * generator (./make-cassandra.ts), its unit tests and the fuzzer's synthetic streams: envelopes,
 * the body notations, RESULT / ERROR / EVENT bodies, greedy LZ4-block and Snappy compressors, and
 * v5 outer frames (CRC24 header, CRC32 trailer, optional LZ4). Not used by the analyzer.
 */
import {crc24, crc32} from '../../src/protocols/cassandra/decompress.js'

export const u8 = (n: number) => Buffer.from([n & 255])
export const u16 = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n & 0xffff)
  return b
}
export const i32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
export const str = (s: string) => Buffer.concat([u16(Buffer.byteLength(s)), Buffer.from(s)])
export const lstr = (s: string) => Buffer.concat([i32(Buffer.byteLength(s)), Buffer.from(s)])
export const strList = (l: string[]) => Buffer.concat([u16(l.length), ...l.map(str)])
export const strMap = (m: Record<string, string>) => Buffer.concat([u16(Object.keys(m).length), ...Object.entries(m).flatMap(([k, v]) => [str(k), str(v)])])
export const multimap = (m: Record<string, string[]>) => Buffer.concat([u16(Object.keys(m).length), ...Object.entries(m).flatMap(([k, v]) => [str(k), strList(v)])])
export const bytes = (b: Buffer | null) => (b === null ? i32(-1) : Buffer.concat([i32(b.length), b]))
export const shortBytes = (b: Buffer) => Buffer.concat([u16(b.length), b])

/** One envelope: version (direction bit added for responses), flags, stream, opcode, body. */
export function envelope(version: number, response: boolean, flags: number, stream: number, op: number, body: Buffer): Buffer {
  const h = Buffer.alloc(9)
  h[0] = (response ? 0x80 : 0) | version
  h[1] = flags
  h.writeInt16BE(stream, 2)
  h[4] = op
  h.writeUInt32BE(body.length, 5)
  return Buffer.concat([h, body])
}

export const OPS = {ERROR: 0, STARTUP: 1, READY: 2, AUTHENTICATE: 3, OPTIONS: 5, SUPPORTED: 6, QUERY: 7, RESULT: 8, PREPARE: 9, EXECUTE: 10, REGISTER: 11, EVENT: 12, BATCH: 13} as const

/** QUERY body: the text, consistency ONE, no flags (v5: 4-byte flags). */
export const queryBody = (q: string, version = 4) => Buffer.concat([lstr(q), u16(1), version >= 5 ? i32(0) : u8(0)])
/** RESULT Void. */
export const voidResult = () => i32(1)
/** RESULT Rows with a global table spec: columns of type varchar, rows of text cells. */
export function rowsResult(ks: string, table: string, cols: string[], rows: string[][]): Buffer {
  const spec = Buffer.concat(cols.flatMap((c) => [str(c), u16(0x000d)]))
  const data = Buffer.concat(rows.flatMap((r) => r.map((v) => bytes(Buffer.from(v)))))
  return Buffer.concat([i32(2), i32(1), i32(cols.length), str(ks), str(table), spec, i32(rows.length), data])
}
export const setKeyspaceResult = (ks: string) => Buffer.concat([i32(3), str(ks)])
export const schemaChangeResult = (change: string, target: string, ks: string, obj?: string) => Buffer.concat([i32(5), str(change), str(target), str(ks), ...(obj === undefined ? [] : [str(obj)])])
/** RESULT Prepared (v4 layout): id, one bound varchar variable (pk index 0), no result metadata. */
export function preparedResult(id: Buffer, ks: string, table: string, col: string, version = 4): Buffer {
  return Buffer.concat([i32(4), shortBytes(id), ...(version >= 5 ? [shortBytes(Buffer.from([1, 2]))] : []), i32(1), i32(1), i32(1), u16(0), str(ks), str(table), str(col), u16(0x000d), i32(4), i32(0)])
}
export const errorBody = (code: number, msg: string, extra: Buffer = Buffer.alloc(0)) => Buffer.concat([i32(code), str(msg), extra])
export const executeBody = (id: Buffer, values: string[]) => Buffer.concat([shortBytes(id), u16(1), u8(0x01), u16(values.length), ...values.map((v) => bytes(Buffer.from(v)))])
export const statusEvent = (change: string, ip: number[], port: number) => Buffer.concat([str('STATUS_CHANGE'), str(change), u8(ip.length), Buffer.from(ip), i32(port)])

// --- compressors (greedy, 4-byte hash matches; correct, not tuned) -------------------------------

function matches(src: Buffer, minMatch: number, maxOff: number, maxLen: number, lastLiterals: number): {lit: [number, number]; off: number; len: number}[] {
  const out: {lit: [number, number]; off: number; len: number}[] = []
  const table = new Map<number, number>()
  let anchor = 0
  let i = 0
  const end = src.length - lastLiterals
  while (i + minMatch <= end) {
    const key = src.readUInt32LE(i)
    const cand = table.get(key)
    table.set(key, i)
    if (cand !== undefined && i - cand <= maxOff && i - cand > 0) {
      let len = 4
      while (i + len < end && len < maxLen && src[cand + len] === src[i + len]) len++
      if (len >= minMatch) {
        out.push({lit: [anchor, i], off: i - cand, len})
        i += len
        anchor = i
        continue
      }
    }
    i++
  }
  out.push({lit: [anchor, src.length], off: 0, len: 0})
  return out
}

function lz4Len(n: number): number[] {
  const b: number[] = []
  while (n >= 255) {
    b.push(255)
    n -= 255
  }
  b.push(n)
  return b
}

/** An LZ4 block (no size prefix). */
export function lz4Compress(src: Buffer): Buffer {
  if (src.length === 0) return Buffer.from([0])
  const out: number[] = []
  for (const m of src.length < 13 ? [{lit: [0, src.length] as [number, number], off: 0, len: 0}] : matches(src, 4, 65535, 1 << 20, 5)) {
    const lit = m.lit[1] - m.lit[0]
    const ml = m.len === 0 ? 0 : m.len - 4
    out.push((Math.min(lit, 15) << 4) | (m.len === 0 ? 0 : Math.min(ml, 15)))
    if (lit >= 15) out.push(...lz4Len(lit - 15))
    for (let k = m.lit[0]; k < m.lit[1]; k++) out.push(src[k])
    if (m.len === 0) break
    out.push(m.off & 255, m.off >> 8)
    if (ml >= 15) out.push(...lz4Len(ml - 15))
  }
  return Buffer.from(out)
}

/** A v3/v4 LZ4 frame body: 4-byte big-endian length, then the block. */
export const lz4FrameBody = (src: Buffer) => Buffer.concat([i32(src.length), lz4Compress(src)])

/** Snappy raw format. */
export function snappyCompress(src: Buffer): Buffer {
  const out: number[] = []
  let n = src.length
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0))
    n = Math.floor(n / 128)
  } while (n > 0)
  const lit = (s: number, e: number) => {
    const len = e - s
    if (len === 0) return
    if (len <= 60) out.push((len - 1) << 2)
    else if (len <= 256) out.push(60 << 2, len - 1)
    else out.push(61 << 2, (len - 1) & 255, (len - 1) >> 8)
    for (let k = s; k < e; k++) out.push(src[k])
  }
  for (const m of src.length < 8 ? [{lit: [0, src.length] as [number, number], off: 0, len: 0}] : matches(src, 4, 65535, 64, 0)) {
    lit(m.lit[0], m.lit[1])
    if (m.len === 0) break
    if (m.len <= 11 && m.off < 2048) out.push(1 | ((m.len - 4) << 2) | ((m.off >> 8) << 5), m.off & 255)
    else out.push(2 | ((m.len - 1) << 2), m.off & 255, m.off >> 8)
  }
  return Buffer.from(out)
}

/** One v5 outer frame around `payload` (LZ4-compressed when `lz4`). */
export function v5Frame(payload: Buffer, selfContained: boolean, lz4 = false): Buffer {
  if (!lz4) {
    const h = Buffer.alloc(6)
    const v = payload.length | (selfContained ? 0x20000 : 0)
    h[0] = v & 255
    h[1] = (v >> 8) & 255
    h[2] = (v >> 16) & 255
    const c = crc24(h, 0, 3)
    h[3] = c & 255
    h[4] = (c >> 8) & 255
    h[5] = (c >> 16) & 255
    const t = Buffer.alloc(4)
    t.writeUInt32LE(crc32(payload, 0, payload.length))
    return Buffer.concat([h, payload, t])
  }
  const comp = lz4Compress(payload)
  const h = Buffer.alloc(8)
  // 17-bit compressed length, 17-bit uncompressed length, self-contained bit (bit 34)
  const lo = (comp.length | ((payload.length & 0x7fff) << 17)) >>> 0
  h.writeUInt32LE(lo, 0)
  h[4] = ((payload.length >> 15) & 3) | (selfContained ? 4 : 0)
  const c = crc24(h, 0, 5)
  h[5] = c & 255
  h[6] = (c >> 8) & 255
  h[7] = (c >> 16) & 255
  const t = Buffer.alloc(4)
  t.writeUInt32LE(crc32(comp, 0, comp.length))
  return Buffer.concat([h, comp, t])
}
