/**
 * gunzipChunks: every decompressed byte is yielded before a gzip error is raised; members are
 * concatenated; bytes after the last member are reported, not fatal. Inputs are built here with
 * zlib and fed in chunks of several sizes (1 byte, odd sizes, whole 1 MiB reads).
 */
import zlib from 'node:zlib'
import {describe, expect, it} from 'vitest'
import {GZIP_PIECE_BYTES, GzipError, gunzipChunks} from '../../src/capture/gunzip.js'

/** Deterministic bytes that compress about 2:1 (so members span several zlib pieces). */
function data(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    b[i] = (x >>> 24) & 0x0f
  }
  return b
}

interface Result {
  out: Buffer
  error: GzipError | null
  trailing: [number, number, boolean][]
}

async function run(input: Buffer, chunk: number): Promise<Result> {
  async function* src() {
    for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk)
  }
  const it = src()
  const first = (await it.next()).value as Buffer
  const parts: Buffer[] = []
  const trailing: [number, number, boolean][] = []
  let error: GzipError | null = null
  try {
    for await (const c of gunzipChunks(first, it, {chunkBytes: 1 << 20, onTrailing: (n, at, z) => trailing.push([n, at, z])})) parts.push(c)
  } catch (e) {
    if (!(e instanceof GzipError)) throw e
    error = e
  }
  return {out: Buffer.concat(parts), error, trailing}
}

const CHUNKS = [1 << 20, 4096 + 7, 61]

/** A gzip member with every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC), built by hand. */
function fancyMember(payload: Buffer): Buffer {
  const extra = Buffer.from('AB\x03\x00xyz', 'latin1')
  const header = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]),
    Buffer.from([extra.length, 0]),
    extra,
    Buffer.from('capture.pcap\0a comment\0', 'latin1'),
  ])
  const hcrc = Buffer.alloc(2)
  hcrc.writeUInt16LE(zlib.crc32(header) & 0xffff)
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(zlib.crc32(payload), 0)
  trailer.writeUInt32LE(payload.length, 4)
  return Buffer.concat([header, hcrc, zlib.deflateRawSync(payload), trailer])
}

describe('gunzipChunks', () => {
  const a = data(300_000, 1)
  const b = data(200_000, 2)
  const gzA = zlib.gzipSync(a)

  it('the test data spans several zlib pieces', () => {
    expect(gzA.length).toBeGreaterThan(2 * GZIP_PIECE_BYTES)
  })

  it.each(CHUNKS)('decompresses a plain member (input chunks of %i bytes)', async (chunk) => {
    const r = await run(gzA, chunk)
    expect(r.error).toBeNull()
    expect(r.out.equals(a)).toBe(true)
    expect(r.trailing).toEqual([])
  })

  it.each(CHUNKS)('reads concatenated members as one stream, with every header field and an empty member (chunks of %i)', async (chunk) => {
    const input = Buffer.concat([gzA, zlib.gzipSync(Buffer.alloc(0)), fancyMember(b), zlib.gzipSync(a, {level: 1})])
    const r = await run(input, chunk)
    expect(r.error).toBeNull()
    expect(r.out.equals(Buffer.concat([a, b, a]))).toBe(true)
  })

  it.each(CHUNKS)('keeps everything before trailing garbage and reports it (chunks of %i)', async (chunk) => {
    const r = await run(Buffer.concat([gzA, Buffer.from('garbage after the member\n')]), chunk)
    expect(r.error).toBeNull()
    expect(r.out.equals(a)).toBe(true)
    expect(r.trailing).toEqual([[25, gzA.length, false]])
  })

  it('reads input delivered one byte at a time (stdin may)', async () => {
    const small = data(3000, 3)
    const r = await run(Buffer.concat([fancyMember(small), zlib.gzipSync(small), Buffer.from('x')]), 1)
    expect(r.error).toBeNull()
    expect(r.out.equals(Buffer.concat([small, small]))).toBe(true)
    expect(r.trailing).toHaveLength(1)
  })

  it('reports zero padding as such, and a single stray byte', async () => {
    expect((await run(Buffer.concat([gzA, Buffer.alloc(512)]), 1000)).trailing).toEqual([[512, gzA.length, true]])
    const one = await run(Buffer.concat([gzA, Buffer.from([0x1f])]), 1 << 20)
    expect(one.error).toBeNull()
    expect(one.trailing).toEqual([[1, gzA.length, false]])
  })

  it.each(CHUNKS)('bad CRC-32: all data first, then an error at the end of the member (chunks of %i)', async (chunk) => {
    const bad = Buffer.concat([zlib.gzipSync(b), gzA])
    bad[bad.length - 8] ^= 0x01 // CRC of the second member
    const r = await run(bad, chunk)
    expect(r.out.equals(Buffer.concat([b, a]))).toBe(true)
    expect(r.error?.message).toContain(`gzip member 2 (decompressed bytes ${b.length}..${b.length + a.length}) fails its CRC-32 check`)
    expect(r.error?.message).toContain('offset counts decompressed bytes')
    expect(r.error?.decompressedOffset).toBe(b.length + a.length)
  })

  it('bad length in the trailer: all data first, then an error', async () => {
    const bad = Buffer.from(gzA)
    bad[bad.length - 1] ^= 0x40
    const r = await run(bad, 1 << 20)
    expect(r.out.equals(a)).toBe(true)
    expect(r.error?.message).toContain('has the wrong length')
    expect(r.error?.decompressedOffset).toBe(a.length)
  })

  it.each([
    ['inside the header', 5],
    ['inside the compressed data', 2000],
    ['inside the trailer', 4],
  ])('truncated %s: what was decompressed, then an error', async (where, cut) => {
    const input = where === 'inside the trailer' ? gzA.subarray(0, gzA.length - cut) : where === 'inside the header' ? Buffer.concat([gzA, gzA.subarray(0, cut)]) : gzA.subarray(0, gzA.length - cut)
    const r = await run(input, 4096 + 7)
    expect(r.error?.message).toContain(`gzip data truncated: the file ends ${where}`)
    expect(r.error?.decompressedOffset).toBeUndefined()
    if (where === 'inside the compressed data') {
      expect(r.out.length).toBeGreaterThan(a.length / 2)
      expect(r.out.length).toBeLessThan(a.length)
      expect(r.out.equals(a.subarray(0, r.out.length))).toBe(true)
    } else {
      expect(r.out.equals(a)).toBe(true)
    }
  })

  it('damaged deflate data: the members before it, then an error naming the compressed range', async () => {
    const bad = Buffer.concat([zlib.gzipSync(b), gzA])
    bad[zlib.gzipSync(b).length + 10] = 0x07 // first block of member 2: BFINAL, reserved block type 3
    const r = await run(bad, 1 << 20)
    expect(r.out.equals(b)).toBe(true)
    expect(r.error?.message).toMatch(/^gzip member 2: compressed data damaged within compressed bytes \d+\.\.\d+ \(invalid block type\)/)
  })

  it('a member header that is not deflate, or has reserved flags, is an error', async () => {
    const cm = Buffer.concat([gzA, Buffer.from([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3])])
    const r1 = await run(cm, 1 << 20)
    expect(r1.out.equals(a)).toBe(true)
    expect(r1.error?.message).toContain(`gzip member 2 at compressed byte ${gzA.length}: compression method 7 is not deflate`)
    const flags = Buffer.from(gzA)
    flags[3] = 0x80
    expect((await run(flags, 1 << 20)).error?.message).toContain('reserved header flags set (0x80)')
  })
})
