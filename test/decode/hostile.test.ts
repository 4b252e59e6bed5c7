/**
 * Hostile input: random bytes and randomly corrupted valid frames (fragments included) under every
 * supported link type. The decoder must never throw, every record must end up delivered, counted
 * as non-IP, or counted as malformed, and fragment state must stay within its bounds.
 */
import {describe, expect, it} from 'vitest'
import {TcpFlag} from '../../src/decode/types.js'
import {EtherType, ethernet, fragmentIpv4, fragmentIpv6, ipv4, ipv6, ipv6OptionsHeader, tcpFrame, udp} from '../support/synth/packets.js'
import {badCount, harness} from './helpers.js'

/** Deterministic PRNG (mulberry32) so failures reproduce. */
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

const seeds: Buffer[] = [
  tcpFrame({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 3, flags: TcpFlag.ACK, payload: Buffer.alloc(40, 1), vlan: [3, 4]}),
  ...fragmentIpv4(ipv4({src: '1.1.1.1', dst: '2.2.2.2', proto: 17, id: 5, payload: udp({srcPort: 1, dstPort: 2, payload: Buffer.alloc(300, 2)}, '1.1.1.1', '2.2.2.2')}), 100).map((f) =>
    ethernet({etherType: EtherType.IPV4, payload: f}),
  ),
  ...fragmentIpv6(
    ipv6({src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17, extHeaders: [ipv6OptionsHeader(0)], payload: udp({srcPort: 1, dstPort: 2, payload: Buffer.alloc(300, 3)}, '2001:db8::1', '2001:db8::2')}),
    120,
  ).map((f) => ethernet({etherType: EtherType.IPV6, payload: f})),
]

describe('hostile input', () => {
  it('random bytes under every link type', () => {
    const r = rng(1)
    const h = harness({maxFragmentSets: 8})
    let records = 0
    for (let i = 0; i < 20000; i++) {
      const len = Math.floor(r() * 120)
      const b = Buffer.alloc(len)
      for (let k = 0; k < len; k++) b[k] = Math.floor(r() * 256)
      // bias towards plausible IP: set a version nibble where IP might start
      if (len > 20 && r() < 0.5) b[0] = r() < 0.5 ? 0x45 : 0x60
      h.feed(b, {linkType: LINK_TYPES[i % LINK_TYPES.length], origLen: len + (r() < 0.3 ? 10 : 0)})
      records++
      expect(h.dec.pendingFragmentSets).toBeLessThanOrEqual(8)
    }
    h.dec.end()
    expect(h.dec.pendingFragmentSets).toBe(0)
    const accounted = h.sink.seen.length + h.stats.nonIp + badCount(h.stats)
    expect(accounted).toBeGreaterThanOrEqual(records - h.stats.fragments)
  })

  it('corrupted valid frames (byte flips), fragments included', () => {
    const r = rng(2)
    const h = harness({maxFragmentSets: 4, maxFragmentSetBytes: 1000})
    for (let i = 0; i < 20000; i++) {
      const src = seeds[i % seeds.length]
      const b = Buffer.from(src)
      const flips = 1 + Math.floor(r() * 3)
      for (let k = 0; k < flips; k++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8)
      const cut = r() < 0.2 ? Math.floor(r() * b.length) : b.length
      const s = h.feed(b.subarray(0, cut), {origLen: b.length, tsSec: 1000 + Math.floor(i / 100)})
      if (s) {
        expect(s.payload.length).toBeLessThanOrEqual(65535)
        expect(s.payloadTruncated).toBeGreaterThanOrEqual(0)
      }
      expect(h.dec.pendingFragmentSets).toBeLessThanOrEqual(4)
    }
    h.dec.end()
    expect(h.stats.fragmentsReassembled).toBeGreaterThan(0)
    expect(h.sink.seen.length).toBeGreaterThan(1000)
  })
})
