import {closeSync, mkdtempSync, openSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {afterAll, describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/reader.js'
import {type CaptureInfo, CaptureError} from '../../src/capture/types.js'
import {makeLimits} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'
import {fileSink, PcapngWriter, PcapWriter} from '../support/synth/pcap-writer.js'
import {payload, type SeenPacket, snapshot} from './collect.js'

const dir = mkdtempSync(join(tmpdir(), 'pbx-capture-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function tmp(name: string, content: Buffer): string {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

async function read(source: string, extra: {afterChunk?: () => void | Promise<void>; onWarning?: (m: string) => void} = {}) {
  const packets: SeenPacket[] = []
  const stats = new Stats()
  const infos: CaptureInfo[] = []
  let error: CaptureError | null = null
  let info: CaptureInfo | null = null
  try {
    info = await readCapture(source, {packet: (p) => packets.push(snapshot(p))}, {
      limits: makeLimits(),
      stats,
      onInfo: (i) => infos.push({...i}),
      ...extra,
    })
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e
    error = e
  }
  return {packets, stats, infos, error, info}
}

function smallPcap(n = 5): Buffer {
  const w = new PcapWriter({nanosecond: true})
  for (let i = 0; i < n; i++) w.add(1700000000 + i, i * 7, payload(100 + i, i))
  return w.toBuffer()
}

describe('readCapture', () => {
  it('reads a pcap file', async () => {
    const r = await read(tmp('a.pcap', smallPcap()))
    expect(r.error).toBeNull()
    expect(r.packets.map((p) => p.frame)).toEqual([1, 2, 3, 4, 5])
    expect(r.info).toEqual({format: 'pcap-ns', gzip: false, precision: 'ns', linkTypes: [1], snaplen: 262144})
    expect(r.infos).toEqual([r.info])
    expect(r.stats.packets).toBe(5)
  })

  it('detects gzip by magic, not by name, and reports info.gzip', async () => {
    const raw = smallPcap()
    const r = await read(tmp('no-extension', gzipSync(raw)))
    expect(r.error).toBeNull()
    expect(r.info?.gzip).toBe(true)
    expect(r.infos[0].gzip).toBe(true)
    const plain = await read(tmp('plain.pcap.gz', raw))
    expect(r.packets).toEqual(plain.packets)
    expect(plain.info?.gzip).toBe(false)
  })

  it('gzip pcapng', async () => {
    const w = new PcapngWriter({bigEndian: true})
    w.addInterface(1, {tsresol: 9})
    w.addEnhanced(0, 1700000000, 123456789, payload(50))
    const r = await read(tmp('b.pcapng.gz', gzipSync(w.toBuffer())))
    expect(r.packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([[1700000000, 123456789]])
    expect(r.info?.format).toBe('pcapng')
  })

  it('truncated gzip: earlier packets delivered, then corrupt', async () => {
    const gz = gzipSync(smallPcap(2000))
    const r = await read(tmp('t.gz', gz.subarray(0, Math.floor(gz.length / 2))))
    expect(r.packets.length).toBeGreaterThan(100)
    expect(r.packets.length).toBeLessThan(2000)
    expect(r.error?.kind).toBe('corrupt')
    expect(r.error?.message).toContain('decompressed')
    // damage starts right after the last delivered record
    const last = r.packets[r.packets.length - 1]
    expect(r.error?.offset).toBe(last.offset + 16 + last.data.length / 2)
  })

  it('corrupt gzip data', async () => {
    const gz = gzipSync(smallPcap(50))
    for (let i = 20; i < 60; i++) gz[i] ^= 0x5a
    const r = await read(tmp('c.gz', gz))
    expect(r.error?.kind).toBe('corrupt')
  })

  it('gzip with trailing garbage: every packet, no error, one warning naming the file and the count', async () => {
    const raw = smallPcap(300)
    const gz = gzipSync(raw)
    const warnings: string[] = []
    const f = tmp('trail.gz', Buffer.concat([gz, Buffer.from('junk!')]))
    const r = await read(f, {onWarning: (m) => warnings.push(m)})
    expect(r.error).toBeNull()
    expect(r.packets).toHaveLength(300)
    expect(warnings).toEqual([
      `${f}: ignored 5 bytes after the end of the gzip data, from compressed byte ${gz.length} (not another gzip member); everything before them was read`,
    ])
    expect(r.stats.malformed.get('gzip: bytes after the end of the compressed data ignored')).toBe(1)
  })

  it('gzip with a bad CRC-32: every packet, then corrupt at the decompressed end', async () => {
    const raw = smallPcap(300)
    const gz = gzipSync(raw)
    gz[gz.length - 7] ^= 0x10
    const r = await read(tmp('crc.gz', gz))
    expect(r.packets).toHaveLength(300)
    expect(r.error?.kind).toBe('corrupt')
    expect(r.error?.offset).toBe(raw.length)
    expect(r.error?.message).toContain('fails its CRC-32 check')
  })

  it('concatenated gzip members are one capture', async () => {
    const raw = smallPcap(300)
    const parts = [raw.subarray(0, 1000), raw.subarray(1000, 1001), raw.subarray(1001)]
    const r = await read(tmp('multi.gz', Buffer.concat(parts.map((p) => gzipSync(p)))))
    const plain = await read(tmp('multi.pcap', raw))
    expect(r.error).toBeNull()
    expect(r.packets).toEqual(plain.packets)
  })

  it('gzip of something that is not a capture', async () => {
    const r = await read(tmp('text.gz', gzipSync(Buffer.from('hello, world\n'.repeat(10)))))
    expect(r.error?.kind).toBe('not-capture')
  })

  it.each([
    ['missing file', () => join(dir, 'does-not-exist.pcap'), 'no such file'],
    ['directory', () => dir, 'is a directory'],
  ])('I/O error: %s', async (_n, path, msg) => {
    const r = await read(path())
    expect(r.error?.kind).toBe('io')
    expect(r.error?.message).toContain(msg)
  })

  it('empty file is not a capture', async () => {
    const r = await read(tmp('empty', Buffer.alloc(0)))
    expect(r.error?.kind).toBe('not-capture')
    expect(r.error?.offset).toBe(0)
  })

  it('truncated plain file: all complete records, then corrupt at the incomplete one', async () => {
    const full = smallPcap(3)
    const r = await read(tmp('trunc.pcap', full.subarray(0, full.length - 10)))
    expect(r.packets).toHaveLength(2)
    expect(r.error?.kind).toBe('corrupt')
    expect(r.error?.offset).toBe(24 + 116 + 117)
  })

  it('streams a multi-chunk file: afterChunk once per chunk, awaited when it returns a promise', async () => {
    // ~5 MiB: several 1 MiB reads, with records straddling the read boundaries.
    const path = join(dir, 'big.pcap')
    const fd = openSync(path, 'w')
    const w = new PcapWriter({onFlush: fileSink(fd)})
    const n = 5000
    for (let i = 0; i < n; i++) w.add(i, 0, payload(1000 + (i % 37), i))
    w.finish()
    closeSync(fd)
    let chunks = 0
    let delivered = 0
    const seenAtChunk: number[] = []
    const events: string[] = []
    const packets: number[] = []
    await readCapture(path, {packet: (p) => packets.push(p.tsSec)}, {
      limits: makeLimits(),
      stats: new Stats(),
      afterChunk: () => {
        chunks++
        seenAtChunk.push(packets.length)
        if (chunks % 2 === 0) return undefined
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            // No packet may be delivered while the reader awaits this promise.
            events.push(`resolved at ${packets.length}`)
            delivered = packets.length
            resolve()
          }, 5),
        )
      },
    })
    expect(packets).toHaveLength(n)
    expect(packets.every((t, i) => t === i)).toBe(true)
    expect(chunks).toBeGreaterThanOrEqual(5)
    expect(seenAtChunk.every((v, i) => i === 0 || v >= seenAtChunk[i - 1])).toBe(true)
    for (let i = 0; i < events.length; i++) expect(events[i]).toBe(`resolved at ${seenAtChunk[i * 2]}`)
    expect(delivered).toBeGreaterThan(0)
  })
})
