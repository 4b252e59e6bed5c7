/**
 * The compression codecs and checksums of the CQL native protocol, written for pbx and bounded:
 *   - LZ4 block format (lz4 doc/lz4_Block_format.md): the body of a v3/v4 frame with the
 *     compression flag and COMPRESSION lz4 is a 4-byte big-endian uncompressed length followed by
 *     one LZ4 block; a v5 outer frame carries a bare block (its length is in the frame header).
 *   - Snappy raw format (snappy format_description.txt): a varint uncompressed length, then
 *     literal and copy elements (v3/v4 COMPRESSION snappy).
 *   - CRC24 (v5 frame header; init 0x875060, polynomial 0x1974F0B, bytes in wire order) and the v5
 *     payload CRC32 (IEEE CRC32 primed with the bytes FA 2D 55 CA).
 * Every decoder refuses to produce more than `max` bytes and never reads outside its input: a
 * malformed or oversized input gives a string naming the fault (never a throw). Output is one new
 * Buffer per decoded body (it must outlive the segment that carried it).
 */
import {crc32 as zcrc32} from 'node:zlib'

/** The decoded bytes, or why they could not be decoded. */
export type Decoded = Buffer | string

/** One LZ4 block src[s, e) into exactly `size` bytes (size <= max). */
export function lz4Block(src: Buffer, s: number, e: number, size: number, max: number): Decoded {
  if (size > max) return `lz4: uncompressed size ${size} exceeds the bound ${max}`
  const out = Buffer.allocUnsafe(size)
  let i = s
  let o = 0
  while (i < e) {
    const token = src[i++]
    let lit = token >> 4
    if (lit === 15) {
      let b = 255
      while (b === 255) {
        if (i >= e) return 'lz4: truncated literal length'
        b = src[i++]
        lit += b
      }
    }
    if (lit > e - i) return 'lz4: literals run past the input'
    if (lit > size - o) return 'lz4: output larger than declared'
    src.copy(out, o, i, i + lit)
    i += lit
    o += lit
    if (i === e) break // the last sequence has literals only
    if (e - i < 2) return 'lz4: truncated match offset'
    const off = src[i] | (src[i + 1] << 8)
    i += 2
    if (off === 0 || off > o) return `lz4: match offset ${off} outside the output`
    let len = (token & 15) + 4
    if ((token & 15) === 15) {
      let b = 255
      while (b === 255) {
        if (i >= e) return 'lz4: truncated match length'
        b = src[i++]
        len += b
      }
    }
    if (len > size - o) return 'lz4: output larger than declared'
    let from = o - off
    // byte by byte: a match may overlap the bytes it produces
    for (let k = 0; k < len; k++) out[o++] = out[from++]
  }
  if (o !== size) return `lz4: ${o} bytes decoded, ${size} declared`
  return out
}

/** A v3/v4 LZ4 frame body: 4-byte big-endian uncompressed length, then the block. */
export function lz4Body(src: Buffer, s: number, e: number, max: number): Decoded {
  if (e - s < 4) return 'lz4: body shorter than its length prefix'
  const size = src.readUInt32BE(s)
  return lz4Block(src, s + 4, e, size, max)
}

/** A Snappy raw-format body src[s, e). */
export function snappyBody(src: Buffer, s: number, e: number, max: number): Decoded {
  let i = s
  let size = 0
  let shift = 0
  for (;;) {
    if (i >= e) return 'snappy: truncated length'
    if (shift > 28) return 'snappy: length varint too long'
    const b = src[i++]
    size += (b & 0x7f) * 2 ** shift
    if (b < 0x80) break
    shift += 7
  }
  if (size > max) return `snappy: uncompressed size ${size} exceeds the bound ${max}`
  const out = Buffer.allocUnsafe(size)
  let o = 0
  while (i < e) {
    const tag = src[i++]
    const kind = tag & 3
    if (kind === 0) {
      let len = (tag >> 2) + 1
      if (len > 60) {
        const n = len - 60 // 1..4 little-endian length bytes
        if (e - i < n) return 'snappy: truncated literal length'
        len = 0
        for (let k = 0; k < n; k++) len += src[i + k] * 2 ** (8 * k)
        len += 1
        i += n
      }
      if (len > e - i) return 'snappy: literal runs past the input'
      if (len > size - o) return 'snappy: output larger than declared'
      src.copy(out, o, i, i + len)
      i += len
      o += len
      continue
    }
    let len: number
    let off: number
    if (kind === 1) {
      if (i >= e) return 'snappy: truncated copy'
      len = ((tag >> 2) & 7) + 4
      off = ((tag >> 5) << 8) | src[i++]
    } else if (kind === 2) {
      if (e - i < 2) return 'snappy: truncated copy'
      len = (tag >> 2) + 1
      off = src[i] | (src[i + 1] << 8)
      i += 2
    } else {
      if (e - i < 4) return 'snappy: truncated copy'
      len = (tag >> 2) + 1
      off = src.readUInt32LE(i)
      i += 4
    }
    if (off === 0 || off > o) return `snappy: copy offset ${off} outside the output`
    if (len > size - o) return 'snappy: output larger than declared'
    let from = o - off
    for (let k = 0; k < len; k++) out[o++] = out[from++]
  }
  if (o !== size) return `snappy: ${o} bytes decoded, ${size} declared`
  return out
}

/** CRC24 of buf[s, e) as the v5 frame header uses it. */
export function crc24(buf: Buffer, s: number, e: number): number {
  let crc = 0x875060
  for (let i = s; i < e; i++) {
    crc ^= buf[i] << 16
    for (let k = 0; k < 8; k++) {
      crc <<= 1
      if (crc & 0x1000000) crc ^= 0x1974f0b
    }
  }
  return crc & 0xffffff
}

const CRC32_PRIME = Buffer.from([0xfa, 0x2d, 0x55, 0xca])
const CRC32_START = zcrc32(CRC32_PRIME)

/** The v5 payload CRC32 of buf[s, e). */
export function crc32(buf: Buffer, s: number, e: number): number {
  return zcrc32(buf.subarray(s, e), CRC32_START) >>> 0
}
