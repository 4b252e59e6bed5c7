/**
 * Records straddling chunk boundaries: the same file fed split at every byte offset (two pieces),
 * in 1-byte chunks, and in pieces of several odd sizes must give exactly the same packets.
 */
import {describe, expect, it} from 'vitest'
import {CaptureParser} from '../../src/capture/parser.js'
import {makeLimits} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'
import {PcapngWriter, PcapWriter} from '../support/synth/pcap-writer.js'
import {chunksOf, parse, payload, splitAt} from './collect.js'

function pcapFile(opts: {nanosecond?: boolean; bigEndian?: boolean; modified?: boolean}): Buffer {
  const w = new PcapWriter(opts)
  w.add(1700000000, 123456789, payload(60, 1))
  w.add(1700000000, 223456789, payload(0, 2))
  w.add(1700000001, 1000, payload(301, 3), 1500)
  w.add(1700000002, 999999000, payload(7, 4))
  return w.toBuffer()
}

function pcapngFile(): Buffer {
  const w = new PcapngWriter()
  w.addInterface(1, {tsresol: 9, snaplen: 4096})
  w.addCustomBlock(0x999, payload(10))
  w.addEnhanced(0, 1700000000, 123456789, payload(61, 1))
  w.addSimple(payload(17, 2))
  w.newSection({bigEndian: true})
  w.addInterface(113, {tsresol: 0x80 | 30, tsoffset: 1000})
  w.addCustomBlock(5, Buffer.alloc(0))
  w.addEnhanced(0, 1700000000, 500000000, payload(250, 3), 1000)
  w.addObsoletePacket(0, 1700000001, 0, payload(5, 4))
  w.addCustomBlock(0xbad, payload(3))
  w.addEnhanced(0, 1700000002, 0, payload(0, 5))
  return w.toBuffer()
}

const files: [string, Buffer][] = [
  ['pcap us LE', pcapFile({})],
  ['pcap ns BE', pcapFile({nanosecond: true, bigEndian: true})],
  ['pcap modified', pcapFile({modified: true})],
  ['pcapng two sections', pcapngFile()],
]

describe('records straddling chunks', () => {
  for (const [name, file] of files) {
    describe(name, () => {
      const whole = parse(file)

      it('parses whole', () => {
        expect(whole.error).toBeNull()
        expect(whole.packets.length).toBeGreaterThanOrEqual(4)
      })

      it('split at every byte offset gives identical packets, stats and info', () => {
        for (let cut = 0; cut <= file.length; cut++) {
          const run = parse(file, splitAt(file, cut))
          expect(run.error, `cut ${cut}`).toBeNull()
          expect(run.packets, `cut ${cut}`).toEqual(whole.packets)
          expect(run.stats, `cut ${cut}`).toEqual(whole.stats)
          expect(run.info, `cut ${cut}`).toEqual(whole.info)
        }
      })

      it('split at every pair of offsets around record boundaries', () => {
        for (let a = 0; a <= file.length; a += 3) {
          for (let b = a; b <= Math.min(file.length, a + 40); b++) {
            expect(parse(file, splitAt(file, a, b)).packets, `cuts ${a},${b}`).toEqual(whole.packets)
          }
        }
      })

      it.each([1, 2, 3, 5, 7, 13, 64])('chunks of %i bytes', (n) => {
        const run = parse(file, chunksOf(file, n))
        expect(run.error).toBeNull()
        expect(run.packets).toEqual(whole.packets)
        expect(run.stats).toEqual(whole.stats)
      })

      it('empty chunks in between change nothing', () => {
        const pieces = chunksOf(file, 9).flatMap((c) => [Buffer.alloc(0), c])
        expect(parse(file, pieces).packets).toEqual(whole.packets)
      })

      it('every truncation point in 1-byte chunks agrees with the whole-buffer run', () => {
        for (let cut = 1; cut < file.length; cut++) {
          const a = parse(file.subarray(0, cut))
          const b = parse(file.subarray(0, cut), chunksOf(file.subarray(0, cut), 1))
          expect(b.packets, `cut ${cut}`).toEqual(a.packets)
          expect(b.error?.kind, `cut ${cut}`).toEqual(a.error?.kind)
          expect(b.error?.offset, `cut ${cut}`).toEqual(a.error?.offset)
        }
      })
    })
  }

  it('data is a view into the chunk when the record lies inside it, a scratch copy when it straddles', () => {
    const w = new PcapWriter()
    w.add(1, 0, payload(60, 1))
    w.add(2, 0, payload(60, 2))
    w.add(3, 0, payload(60, 3))
    const file = w.toBuffer()
    // Separate allocations, so that buffer identity tells where a view points.
    // (Buffer.alloc never uses the shared pool.) header, record 1, part of record 2 | the rest
    const first = Buffer.alloc(24 + 76 + 30)
    const second = Buffer.alloc(file.length - first.length)
    file.copy(first, 0, 0, first.length)
    file.copy(second, 0, first.length)
    const where: string[] = []
    const parser = new CaptureParser('t', {
      packet: (p) => where.push(p.data.buffer === first.buffer ? 'first' : p.data.buffer === second.buffer ? 'second' : 'scratch'),
    }, makeLimits(), new Stats())
    parser.push(first)
    parser.push(second)
    parser.end()
    expect(where).toEqual(['first', 'scratch', 'second'])
    expect(parser.offset).toBe(file.length)
  })
})
