import {describe, expect, it} from 'vitest'
import {LinkType} from '../../src/capture/types.js'
import {makeLimits} from '../../src/limits.js'
import {PcapWriter} from '../support/synth/pcap-writer.js'
import {parse, payload} from './collect.js'

const variants = [
  {name: 'us little-endian', nanosecond: false, bigEndian: false, modified: false, format: 'pcap'},
  {name: 'us big-endian', nanosecond: false, bigEndian: true, modified: false, format: 'pcap'},
  {name: 'ns little-endian', nanosecond: true, bigEndian: false, modified: false, format: 'pcap-ns'},
  {name: 'ns big-endian', nanosecond: true, bigEndian: true, modified: false, format: 'pcap-ns'},
  {name: 'modified (Kuznetzov) little-endian', nanosecond: false, bigEndian: false, modified: true, format: 'pcap'},
  {name: 'modified (Kuznetzov) big-endian', nanosecond: false, bigEndian: true, modified: true, format: 'pcap'},
] as const

describe('pcap round trip', () => {
  for (const v of variants) {
    it(v.name, () => {
      const w = new PcapWriter({linkType: LinkType.LINUX_SLL, nanosecond: v.nanosecond, bigEndian: v.bigEndian, modified: v.modified, snaplen: 65535})
      w.add(1700000000, 123456789, payload(60, 1))
      w.add(1700000001, 999999999, payload(0, 2))
      w.add(1700000002, 5000, payload(1514, 3), 9000)
      const run = parse(w.toBuffer())
      expect(run.error).toBeNull()
      expect(run.info).toEqual({format: v.format, gzip: false, precision: v.nanosecond ? 'ns' : 'us', linkTypes: [113], snaplen: 65535})
      const hdr = v.modified ? 24 : 16
      const nsec = (n: number) => (v.nanosecond ? n : Math.floor(n / 1000) * 1000)
      expect(run.packets).toEqual([
        {frame: 1, tsSec: 1700000000, tsNsec: nsec(123456789), linkType: 113, origLen: 60, offset: 24, data: payload(60, 1).toString('hex')},
        {frame: 2, tsSec: 1700000001, tsNsec: nsec(999999999), linkType: 113, origLen: 0, offset: 24 + hdr + 60, data: ''},
        {frame: 3, tsSec: 1700000002, tsNsec: nsec(5000), linkType: 113, origLen: 9000, offset: 24 + 2 * hdr + 60, data: payload(1514, 3).toString('hex')},
      ])
      expect(run.stats.packets).toBe(3)
      expect(run.stats.bytes).toBe(60 + 1514)
      expect(run.stats.truncatedRecords).toBe(1)
      expect(run.infoCalls).toBe(1)
      expect(run.infoAt).toBe(0)
    })
  }

  it('nanosecond timestamps are exact', () => {
    const w = new PcapWriter({nanosecond: true})
    w.add(1700000000, 123456789, payload(10))
    w.add(4294967295, 1, payload(10)) // largest unsigned second
    const run = parse(w.toBuffer())
    expect(run.packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [1700000000, 123456789],
      [4294967295, 1],
    ])
  })

  it('reads ts_sec as unsigned, as libpcap, wiretap and capinfos do', () => {
    const w = new PcapWriter()
    w.add(3250535428, 71610000, payload(4)) // year 2073, as in nfs_v3.pcap of the corpus
    expect(parse(w.toBuffer()).packets[0].tsSec).toBe(3250535428)
  })

  it('masks FCS bits out of the link type', () => {
    const w = new PcapWriter({linkType: 0x10000000 | LinkType.ETHERNET})
    w.add(1, 0, payload(14))
    const run = parse(w.toBuffer())
    expect(run.info?.linkTypes).toEqual([1])
    expect(run.packets[0].linkType).toBe(1)
  })

  it('header only: zero packets, no error, info announced', () => {
    const run = parse(new PcapWriter().toBuffer())
    expect(run.error).toBeNull()
    expect(run.packets).toEqual([])
    expect(run.infoCalls).toBe(1)
  })

  it('carries an out-of-range microsecond fraction into the seconds and counts it', () => {
    const w = new PcapWriter()
    w.add(10, 0, payload(4))
    const buf = w.toBuffer()
    buf.writeUInt32LE(2_500_000, 24 + 4)
    const run = parse(buf)
    expect([run.packets[0].tsSec, run.packets[0].tsNsec]).toEqual([12, 500_000_000])
    expect(run.stats.malformed.get('pcap: timestamp fraction out of range')).toBe(1)
  })
})

describe('pcap caplen bounds', () => {
  it('caplen > snaplen but within maxRecordBytes: delivered and counted', () => {
    const w = new PcapWriter({snaplen: 100})
    w.add(1, 0, payload(200))
    const run = parse(w.toBuffer())
    expect(run.error).toBeNull()
    expect(run.packets).toHaveLength(1)
    expect(run.stats.malformed.get('pcap: caplen > snaplen')).toBe(1)
  })

  it('caplen > origLen: delivered and counted', () => {
    const w = new PcapWriter()
    w.add(1, 0, payload(100), 50)
    const run = parse(w.toBuffer())
    expect(run.packets[0].origLen).toBe(50)
    expect(run.stats.malformed.get('pcap: caplen > origlen')).toBe(1)
    expect(run.stats.truncatedRecords).toBe(0)
  })

  it('caplen > maxRecordBytes: corrupt at the record offset, earlier records delivered', () => {
    const limits = makeLimits({maxRecordBytes: 1000})
    const w = new PcapWriter()
    w.add(1, 0, payload(1000))
    w.add(2, 0, payload(1001))
    w.add(3, 0, payload(10))
    const run = parse(w.toBuffer(), undefined, limits)
    expect(run.packets.map((p) => p.frame)).toEqual([1])
    expect(run.error?.kind).toBe('corrupt')
    expect(run.error?.offset).toBe(24 + 16 + 1000)
    expect(run.error?.message).toContain('maxRecordBytes')
  })
})

describe('pcap truncation and garbage', () => {
  const w = new PcapWriter()
  for (let i = 0; i < 3; i++) w.add(100 + i, i * 1000, payload(50, i))
  const full = w.toBuffer()
  const recordOffsets = [24, 24 + 66, 24 + 132]

  // Every truncation point: all complete records delivered, then 'corrupt' at the incomplete one.
  it('every truncation point', () => {
    for (let cut = 0; cut < full.length; cut++) {
      const run = parse(full.subarray(0, cut))
      if (cut === 0) {
        expect(run.error?.kind).toBe('not-capture')
        continue
      }
      if (cut < 4) {
        expect(run.error?.kind, `cut ${cut}`).toBe('not-capture')
        expect(run.error?.offset).toBe(0)
        continue
      }
      const complete = recordOffsets.filter((o) => o + 66 <= cut).length
      expect(run.packets.length, `cut ${cut}`).toBe(complete)
      if (cut === 24 || recordOffsets.some((o) => o + 66 === cut)) {
        expect(run.error, `cut ${cut}`).toBeNull()
      } else {
        expect(run.error?.kind, `cut ${cut}`).toBe('corrupt')
        expect(run.error?.offset, `cut ${cut}`).toBe(cut < 24 ? 0 : recordOffsets[complete])
      }
    }
  })

  it.each([
    ['empty input', Buffer.alloc(0)],
    ['text', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['two bytes', Buffer.from([0xd4, 0xc3])],
    ['swapped halves of a magic', Buffer.from('c3d4a1b2020004000000000000000000ffff000001000000', 'hex')],
  ])('not a capture: %s', (_name, input) => {
    const run = parse(input)
    expect(run.packets).toEqual([])
    expect(run.error?.kind).toBe('not-capture')
    expect(run.error?.offset).toBe(0)
  })

  it('rejects unknown magic from the first push, before end()', () => {
    const run = parse(Buffer.from('hello world, this is text'), [Buffer.from('hell'), Buffer.from('o')])
    expect(run.error?.message).toContain('not a capture file')
    expect(run.error?.message).toContain('0x68656c6c')
  })
})
