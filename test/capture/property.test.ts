/** Property: random packets written by the writers read back identically, however the bytes are chunked. */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {PcapngWriter, PcapWriter} from '../support/synth/pcap-writer.js'
import {parse, splitAt} from './collect.js'

const packetArb = fc.record({
  tsSec: fc.integer({min: 0, max: 2 ** 31 - 1}),
  tsNsec: fc.integer({min: 0, max: 999_999_999}),
  data: fc.uint8Array({minLength: 0, maxLength: 300}),
  extra: fc.integer({min: 0, max: 2000}),
})

const formatArb = fc.record({
  kind: fc.constantFrom('pcap', 'pcapng'),
  nanosecond: fc.boolean(),
  bigEndian: fc.boolean(),
  linkType: fc.constantFrom(0, 1, 101, 113, 276),
})

describe('write -> read round trip (property)', () => {
  it('random packets, formats and chunkings', () => {
    fc.assert(
      fc.property(
        formatArb,
        fc.array(packetArb, {maxLength: 30}),
        fc.array(fc.nat(), {maxLength: 6}),
        (fmt, pkts, rawCuts) => {
          let file: Buffer
          if (fmt.kind === 'pcap') {
            const w = new PcapWriter({nanosecond: fmt.nanosecond, bigEndian: fmt.bigEndian, linkType: fmt.linkType})
            for (const p of pkts) w.add(p.tsSec, p.tsNsec, Buffer.from(p.data), p.data.length + p.extra)
            file = w.toBuffer()
          } else {
            const w = new PcapngWriter({bigEndian: fmt.bigEndian})
            w.addInterface(fmt.linkType, fmt.nanosecond ? {tsresol: 9} : {})
            for (const p of pkts) w.addEnhanced(0, p.tsSec, p.tsNsec, Buffer.from(p.data), p.data.length + p.extra)
            file = w.toBuffer()
          }
          // Expected record offsets from the format's layout.
          const offsets: number[] = []
          let at = fmt.kind === 'pcap' ? 24 : 28 + (fmt.nanosecond ? 32 : 20)
          for (const p of pkts) {
            offsets.push(at)
            at += fmt.kind === 'pcap' ? 16 + p.data.length : 32 + ((p.data.length + 3) & ~3)
          }
          expect(at).toBe(file.length)
          const cuts = [...new Set(rawCuts.map((c) => c % (file.length + 1)))].sort((a, b) => a - b)
          const run = parse(file, splitAt(file, ...cuts))
          expect(run.error).toBeNull()
          expect(run.packets).toEqual(
            pkts.map((p, i) => ({
              frame: i + 1,
              tsSec: p.tsSec,
              tsNsec: fmt.nanosecond ? p.tsNsec : Math.floor(p.tsNsec / 1000) * 1000,
              linkType: fmt.linkType,
              origLen: p.data.length + p.extra,
              offset: offsets[i],
              data: Buffer.from(p.data).toString('hex'),
            })),
          )
          expect(run.stats.packets).toBe(pkts.length)
          expect(run.stats.bytes).toBe(pkts.reduce((s, p) => s + p.data.length, 0))
          expect(run.stats.truncatedRecords).toBe(pkts.filter((p) => p.extra > 0).length)
        },
      ),
      {numRuns: 500},
    )
  })
})
