import {describe, expect, it} from 'vitest'
import {LinkType} from '../../src/capture/types.js'
import {makeLimits} from '../../src/limits.js'
import {PcapngWriter} from '../support/synth/pcap-writer.js'
import {parse, payload} from './collect.js'

const hex = (b: Buffer) => b.toString('hex')

describe('pcapng round trip', () => {
  for (const bigEndian of [false, true]) {
    it(`EPBs on two interfaces (${bigEndian ? 'big' : 'little'}-endian)`, () => {
      const w = new PcapngWriter({bigEndian})
      w.addInterface(LinkType.ETHERNET, {snaplen: 65535})
      w.addInterface(LinkType.RAW, {tsresol: 9})
      w.addEnhanced(0, 1700000000, 123456000, payload(60, 1))
      w.addEnhanced(1, 1700000000, 123456789, payload(40, 2), 1500)
      w.addEnhanced(0, 1700000001, 0, payload(3, 3)) // needs padding
      const run = parse(w.toBuffer())
      expect(run.error).toBeNull()
      expect(run.info).toEqual({format: 'pcapng', gzip: false, precision: 'ns', linkTypes: [1, 101], snaplen: 65535})
      expect(run.packets.map((p) => [p.frame, p.linkType, p.tsSec, p.tsNsec, p.origLen, p.data])).toEqual([
        [1, 1, 1700000000, 123456000, 60, hex(payload(60, 1))],
        [2, 101, 1700000000, 123456789, 1500, hex(payload(40, 2))],
        [3, 1, 1700000001, 0, 3, hex(payload(3, 3))],
      ])
      // offsets: SHB 28, IDB 20, IDB 20+8+4, then EPBs of 32 + padded data
      expect(run.packets.map((p) => p.offset)).toEqual([80, 80 + 92, 80 + 92 + 72])
      expect(run.stats.packets).toBe(3)
      expect(run.stats.bytes).toBe(103)
      expect(run.stats.truncatedRecords).toBe(1)
    })
  }

  it('precision stays us with microsecond interfaces; info is announced before the first packet', () => {
    const w = new PcapngWriter()
    w.addInterface(LinkType.ETHERNET)
    w.addInterface(LinkType.ETHERNET, {tsresol: 0x80 | 19})
    w.addEnhanced(0, 1, 0, payload(1))
    const run = parse(w.toBuffer())
    expect(run.info?.precision).toBe('us')
    expect(run.info?.linkTypes).toEqual([1])
    expect(run.infoCalls).toBe(1)
    expect(run.infoAt).toBe(0)
  })

  it('header-only file (SHB, IDB): zero packets, info at end()', () => {
    const w = new PcapngWriter()
    w.addInterface(LinkType.LINUX_SLL2)
    const run = parse(w.toBuffer())
    expect(run.error).toBeNull()
    expect(run.packets).toEqual([])
    expect(run.info?.linkTypes).toEqual([276])
    expect(run.infoCalls).toBe(1)
  })
})

describe('pcapng timestamps', () => {
  it('tsresol 9 is exact to the nanosecond', () => {
    const w = new PcapngWriter()
    w.addInterface(1, {tsresol: 9})
    w.addEnhanced(0, 1700000000, 123456789, payload(1))
    w.addEnhanced(0, 1700000000, 999999999, payload(1))
    const run = parse(w.toBuffer())
    expect(run.packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [1700000000, 123456789],
      [1700000000, 999999999],
    ])
  })

  it.each([0x80 | 20, 0x80 | 30, 0x80 | 32, 0x80 | 10])('power-of-two resolution (raw tsresol %i)', (raw) => {
    const n = BigInt(raw & 0x7f)
    const w = new PcapngWriter()
    w.addInterface(1, {tsresol: raw})
    const ticks = (1700000000n << n) + ((123456789n << n) / 1_000_000_000n)
    w.addEnhancedTicks(0, ticks, payload(1))
    const run = parse(w.toBuffer())
    const expectedNs = Number(((ticks & ((1n << n) - 1n)) * 1_000_000_000n) >> n)
    expect([run.packets[0].tsSec, run.packets[0].tsNsec]).toEqual([1700000000, expectedNs])
    expect(Math.abs(expectedNs - 123456789)).toBeLessThanOrEqual(Number(1_000_000_000n >> n) + 1)
    expect(run.info?.precision).toBe((raw & 0x7f) >= 20 ? 'ns' : 'us')
  })

  it('finer than nanoseconds (tsresol 12) floors to the nanosecond', () => {
    const w = new PcapngWriter()
    w.addInterface(1, {tsresol: 12})
    w.addEnhancedTicks(0, 12345678_123456789_987n, payload(1)) // 2^64 ps is only ~213 days
    const run = parse(w.toBuffer())
    expect([run.packets[0].tsSec, run.packets[0].tsNsec]).toEqual([12345678, 123456789])
  })

  it('if_tsoffset is added (positive and negative)', () => {
    const w = new PcapngWriter()
    w.addInterface(1, {tsoffset: 1600000000})
    w.addInterface(1, {tsoffset: -100, tsresol: 9})
    w.addEnhancedTicks(0, 100_000_000n * 1_000_000n + 250n, payload(1))
    w.addEnhancedTicks(1, 150n * 1_000_000_000n + 7n, payload(1))
    w.addEnhanced(0, 1700000000, 5000, payload(1)) // the writer subtracts the offset
    const run = parse(w.toBuffer())
    expect(run.packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [1700000000, 250000],
      [50, 7],
      [1700000000, 5000],
    ])
  })
})

describe('pcapng structure', () => {
  it('two sections with different byte orders reset the interfaces', () => {
    const w = new PcapngWriter({bigEndian: false})
    w.addInterface(LinkType.ETHERNET)
    w.addEnhanced(0, 10, 0, payload(20, 1))
    w.newSection({bigEndian: true})
    w.addInterface(LinkType.RAW, {tsresol: 9})
    w.addEnhanced(0, 20, 5, payload(21, 2))
    w.newSection({bigEndian: false})
    w.addEnhancedTicks(0, 30_000_000n, payload(22, 3)) // no interface in this section yet
    w.addInterface(LinkType.LINUX_SLL)
    w.addEnhanced(0, 40, 0, payload(23, 4))
    const run = parse(w.toBuffer())
    expect(run.error).toBeNull()
    expect(run.packets.map((p) => [p.frame, p.linkType, p.tsSec, p.tsNsec, p.data])).toEqual([
      [1, 1, 10, 0, hex(payload(20, 1))],
      [2, 101, 20, 5, hex(payload(21, 2))],
      [3, 113, 40, 0, hex(payload(23, 4))],
    ])
    expect(run.stats.malformed.get('pcapng: unknown interface id')).toBe(1)
    expect(run.info?.linkTypes).toEqual([1, 101, 113])
    expect(run.info?.precision).toBe('ns')
  })

  it('skips unknown, statistics, name-resolution and decryption-secrets blocks; custom blocks take a frame number as in tshark', () => {
    const w = new PcapngWriter({bigEndian: true})
    w.addInterface(1)
    w.addCustomBlock(0x0a, payload(33)) // DSB
    w.addEnhanced(0, 1, 0, payload(5, 1))
    w.addCustomBlock(4, payload(16)) // NRB
    w.addCustomBlock(5, Buffer.alloc(0)) // ISB, empty body
    w.addCustomBlock(0x12345678, payload(400))
    w.addCustomBlock(0xbad, payload(12)) // custom block: tshark shows it as a frame
    w.addEnhanced(0, 2, 0, payload(6, 2))
    const run = parse(w.toBuffer())
    expect(run.error).toBeNull()
    expect(run.packets.map((p) => [p.frame, p.data])).toEqual([
      [1, hex(payload(5, 1))],
      [3, hex(payload(6, 2))],
    ])
    expect(run.stats.packets).toBe(2)
  })

  it('simple packet blocks use interface 0, timestamp 0, caplen = min(origLen, block data, snaplen)', () => {
    const w = new PcapngWriter()
    w.addInterface(LinkType.ETHERNET, {snaplen: 100})
    w.addSimple(payload(61, 1)) // padded to 64; origLen 61 limits
    w.addSimple(payload(100, 2), 1500) // snaplen 100, origLen 1500
    const run = parse(w.toBuffer())
    expect(run.packets.map((p) => [p.frame, p.linkType, p.tsSec, p.tsNsec, p.origLen, p.data])).toEqual([
      [1, 1, 0, 0, 61, hex(payload(61, 1))],
      [2, 1, 0, 0, 1500, hex(payload(100, 2))],
    ])
    expect(run.stats.truncatedRecords).toBe(1)
  })

  it('simple packet block without interface is counted and skipped', () => {
    const w = new PcapngWriter()
    w.addSimple(payload(8))
    const run = parse(w.toBuffer())
    expect(run.packets).toEqual([])
    expect(run.stats.malformed.get('pcapng: simple packet block without interface')).toBe(1)
  })

  it('obsolete packet blocks (type 2)', () => {
    const w = new PcapngWriter({bigEndian: true})
    w.addInterface(1)
    w.addInterface(LinkType.NULL, {tsresol: 9})
    w.addObsoletePacket(1, 99, 123456789, payload(9))
    const run = parse(w.toBuffer())
    expect(run.packets.map((p) => [p.linkType, p.tsSec, p.tsNsec, p.data])).toEqual([[0, 99, 123456789, hex(payload(9))]])
  })

  it('EPB caplen > snaplen is delivered and counted; caplen beyond the block is counted and skipped', () => {
    const w = new PcapngWriter()
    w.addInterface(1, {snaplen: 10})
    w.addEnhanced(0, 1, 0, payload(20))
    const good = w.toBuffer()
    const w2 = new PcapngWriter()
    w2.addInterface(1)
    w2.addEnhanced(0, 1, 0, payload(20))
    w2.addEnhanced(0, 2, 0, payload(4))
    const bad = w2.toBuffer()
    bad.writeUInt32LE(21, 48 + 20) // first EPB caplen 21 > 20 bytes of data in its block
    const r1 = parse(good)
    expect(r1.packets).toHaveLength(1)
    expect(r1.stats.malformed.get('pcapng: caplen > snaplen')).toBe(1)
    const r2 = parse(bad)
    expect(r2.packets.map((p) => p.tsSec)).toEqual([2])
    expect(r2.stats.malformed.get('pcapng: caplen exceeds block')).toBe(1)
  })

  it('EPB caplen beyond maxRecordBytes is corrupt', () => {
    const w = new PcapngWriter()
    w.addInterface(1)
    w.addEnhanced(0, 1, 0, payload(600))
    const run = parse(w.toBuffer(), undefined, makeLimits({maxRecordBytes: 500}))
    expect(run.error?.kind).toBe('corrupt')
    expect(run.error?.offset).toBe(48)
  })

  const base = () => {
    const w = new PcapngWriter()
    w.addInterface(1)
    w.addEnhanced(0, 1, 0, payload(8, 1))
    w.addEnhanced(0, 2, 0, payload(8, 2))
    w.addCustomBlock(0x999, payload(8))
    return w.toBuffer()
  }
  // SHB 0..28, IDB 28..48, EPB 48..88, EPB 88..128, unknown 128..148
  it.each([
    ['length not a multiple of 4', 88 + 4, 42, 88, [1]],
    ['length below 12', 88 + 4, 8, 88, [1]],
    ['EPB length below its minimum', 88 + 4, 28, 88, [1]],
    ['EPB trailer differs', 128 - 4, 44, 88, [1]],
    ['unknown block trailer differs', 148 - 4, 24, 128, [1, 2]],
    ['unknown block length not a multiple of 4', 128 + 4, 22, 128, [1, 2]],
  ])('bad block length: %s', (_name, at, value, offset, delivered) => {
    const buf = base()
    buf.writeUInt32LE(value, at)
    const run = parse(buf)
    expect(run.error?.kind).toBe('corrupt')
    expect(run.error?.offset).toBe(offset)
    expect(run.packets.map((p) => p.tsSec)).toEqual(delivered)
  })

  it('section of an unsupported major version stops the read (as tshark)', () => {
    const w = new PcapngWriter()
    w.addInterface(1)
    w.addEnhanced(0, 1, 0, payload(4))
    w.newSection()
    const buf = w.toBuffer()
    buf.writeUInt16LE(2, 84 + 12) // SHB 28 + IDB 20 + EPB 36
    const run = parse(buf)
    expect(run.packets).toHaveLength(1)
    expect(run.error?.kind).toBe('corrupt')
    expect(run.error?.offset).toBe(84)
  })

  it('SHB magic with a bad byte-order magic is not a capture', () => {
    const buf = new PcapngWriter().toBuffer()
    buf.writeUInt32LE(0x11223344, 8)
    const run = parse(buf)
    expect(run.error?.kind).toBe('not-capture')
  })

  it('truncated inside a skipped block reports that block', () => {
    const buf = base()
    for (const cut of [130, 140, 146]) {
      const run = parse(buf.subarray(0, cut))
      expect(run.packets).toHaveLength(2)
      expect(run.error?.kind).toBe('corrupt')
      expect(run.error?.offset).toBe(128)
    }
  })

  it('every truncation point of a pcapng file', () => {
    const buf = base()
    const blockStarts = [0, 28, 48, 88, 128, 148]
    for (let cut = 4; cut < buf.length; cut++) {
      const run = parse(buf.subarray(0, cut))
      const complete = blockStarts.filter((s) => s <= cut).length - 1 // index of the block containing cut
      const epbsComplete = [2, 3].filter((i) => blockStarts[i + 1] <= cut).length
      expect(run.packets.length, `cut ${cut}`).toBe(epbsComplete)
      if (blockStarts.includes(cut)) expect(run.error, `cut ${cut}`).toBeNull()
      else {
        expect(run.error?.kind, `cut ${cut}`).toBe('corrupt')
        expect(run.error?.offset, `cut ${cut}`).toBe(blockStarts[complete])
      }
    }
  })
})
