/**
 * The Decoder reads a capture RecordPacket in place (buf[start, start + caplen), no view made)
 * instead of through `data`. Both ways must decode alike: the same records, embedded at an offset
 * with garbage on both sides, give the same deliveries (payload bytes included) and the same
 * counters as plain Packets, under every link type, for valid, truncated and corrupted frames.
 */
import {describe, expect, it} from 'vitest'
import {RecordPacket} from '../../src/capture/record.js'
import type {Packet} from '../../src/capture/types.js'
import {Decoder} from '../../src/decode/decoder.js'
import {TcpFlag} from '../../src/decode/types.js'
import {DEFAULT_LIMITS} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'
import {EtherType, ethernet, fragmentIpv4, fragmentIpv6, ipv4, ipv6, ipv6OptionsHeader, tcpFrame, udp} from '../support/synth/packets.js'
import {CollectSink} from './helpers.js'

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const LINK_TYPES = [0, 1, 10, 12, 14, 101, 108, 113, 228, 229, 239, 276]

/** NFLOG record (LINKTYPE_NFLOG): header, one prefix TLV, the payload TLV, optional trailing TLV. */
function nflog(family: number, ip: Buffer, trailing = false): Buffer {
  const tlv = (type: number, v: Buffer) => {
    const h = Buffer.alloc(4)
    h.writeUInt16LE(4 + v.length, 0)
    h.writeUInt16LE(type, 2)
    return Buffer.concat([h, v, Buffer.alloc((4 - (v.length % 4)) % 4)])
  }
  const tlvs = [tlv(10, Buffer.from('pfx\0')), tlv(9, ip)]
  if (trailing) tlvs.push(tlv(11, Buffer.alloc(12, 0x77)))
  return Buffer.concat([Buffer.from([family, 0, 0, 0]), ...tlvs])
}

const v4 = ipv4({src: '1.1.1.1', dst: '2.2.2.2', proto: 17, id: 5, payload: udp({srcPort: 1, dstPort: 2, payload: Buffer.alloc(300, 2)}, '1.1.1.1', '2.2.2.2')})
const v6 = ipv6({src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17, extHeaders: [ipv6OptionsHeader(0)], payload: udp({srcPort: 1, dstPort: 2, payload: Buffer.alloc(300, 3)}, '2001:db8::1', '2001:db8::2')})
const seeds: [number, Buffer][] = [
  [1, tcpFrame({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 3, flags: TcpFlag.ACK, payload: Buffer.alloc(40, 1), vlan: [3, 4]})],
  ...fragmentIpv4(v4, 100).map((f): [number, Buffer] => [1, ethernet({etherType: EtherType.IPV4, payload: f})]),
  ...fragmentIpv6(v6, 120).map((f): [number, Buffer] => [1, ethernet({etherType: EtherType.IPV6, payload: f})]),
  [101, v4],
  [229, v6],
  [239, nflog(2, v4)],
  [239, nflog(10, v6)],
  // The IP header claims 8 bytes more than its TLV holds: they must not be taken from the next TLV.
  [239, nflog(2, longer(v4, 8), true)],
]

/** An IPv4 packet whose total length field says `n` bytes more than it has. */
function longer(ip: Buffer, n: number): Buffer {
  const b = Buffer.from(ip)
  b.writeUInt16BE(b.readUInt16BE(2) + n, 2)
  return b
}

interface Run {
  dec: Decoder
  sink: CollectSink
  stats: Stats
}

function decoder(): Run {
  const stats = new Stats()
  const sink = new CollectSink()
  return {dec: new Decoder(sink, {...DEFAULT_LIMITS, maxFragmentSets: 8}, stats), sink, stats}
}

describe('Decoder over RecordPacket (in place) vs plain Packet', () => {
  it('decodes valid, cut and corrupted records alike under every link type', () => {
    const r = rng(9)
    const plain = decoder()
    const inPlace = decoder()
    const pkt: Packet = {frame: 0, tsSec: 0, tsNsec: 0, linkType: 1, data: Buffer.alloc(0), origLen: 0, offset: 0}
    const rec = new RecordPacket()
    for (let i = 0; i < 6000; i++) {
      let [lt, frame] = seeds[i % seeds.length]
      frame = Buffer.from(frame)
      const mode = r()
      if (mode < 0.3) {
        for (let k = 0; k < 3; k++) frame[Math.floor(r() * frame.length)] = Math.floor(r() * 256)
      } else if (mode < 0.5) {
        frame = frame.subarray(0, Math.floor(r() * frame.length))
      } else if (mode < 0.6) {
        lt = LINK_TYPES[Math.floor(r() * LINK_TYPES.length)]
      }
      const origLen = frame.length + (r() < 0.3 ? 17 : 0)
      pkt.frame = rec.frame = i + 1
      pkt.tsSec = rec.tsSec = 1_700_000_000 + i
      pkt.linkType = rec.linkType = lt
      pkt.origLen = rec.origLen = origLen
      pkt.data = frame
      plain.dec.packet(pkt)
      // The same bytes in the middle of a bigger buffer, garbage on both sides.
      const before = Math.floor(r() * 64)
      const big = Buffer.alloc(before + frame.length + 64, 0x45)
      frame.copy(big, before)
      rec.setBytes(big, before, frame.length)
      inPlace.dec.packet(rec)
    }
    plain.dec.end()
    inPlace.dec.end()
    expect(plain.sink.seen.length).toBeGreaterThan(1000)
    expect(inPlace.sink.seen).toEqual(plain.sink.seen)
    expect([...inPlace.stats.malformed].sort()).toEqual([...plain.stats.malformed].sort())
    expect([inPlace.stats.nonIp, inPlace.stats.fragmentsReassembled, inPlace.stats.ipv4, inPlace.stats.ipv6]).toEqual([
      plain.stats.nonIp,
      plain.stats.fragmentsReassembled,
      plain.stats.ipv4,
      plain.stats.ipv6,
    ])
  })

  it('ends an NFLOG payload at its TLV, not at the record end, read in place too', () => {
    const rec = nflog(2, longer(v4, 8), true)
    for (const start of [0, 13]) {
      const run = decoder()
      const big = Buffer.alloc(start + rec.length + 8, 0x45)
      rec.copy(big, start)
      const p = new RecordPacket()
      p.linkType = 239
      p.origLen = rec.length
      p.setBytes(big, start, rec.length)
      run.dec.packet(p)
      expect(run.sink.seen).toHaveLength(1)
      expect(run.stats.malformed.get('ipv4: total length exceeds frame')).toBe(1)
      expect(run.sink.seen[0].payload).toEqual(Buffer.alloc(300, 2))
    }
  })

  it('makes the data view only when asked, with the record bytes', () => {
    const rec = new RecordPacket()
    const big = Buffer.from('xxhello worldyy')
    rec.setBytes(big, 2, 11)
    expect(rec.data.toString()).toBe('hello world')
    expect(rec.data).toBe(rec.data)
    rec.setBytes(big, 0, 2)
    expect(rec.data.toString()).toBe('xx')
    rec.data = Buffer.from('abc')
    expect([rec.start, rec.caplen, rec.buf.toString()]).toEqual([0, 3, 'abc'])
  })
})
