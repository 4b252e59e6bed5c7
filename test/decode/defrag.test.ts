import {describe, expect, it} from 'vitest'
import {TcpFlag} from '../../src/decode/types.js'
import {EtherType, ethernet, fragmentIpv4, fragmentIpv6, icmpEcho, ipv4, ipv6, ipv6FragmentHeader, ipv6OptionsHeader, tcp, udp} from '../support/synth/packets.js'
import {badCount, harness} from './helpers.js'

const A = '10.1.0.1'
const B = '10.2.0.2'
const A6 = '2001:db8::1'
const B6 = '2001:db8::2'
const eth4 = (ip: Buffer) => ethernet({etherType: EtherType.IPV4, payload: ip})
const eth6 = (ip: Buffer) => ethernet({etherType: EtherType.IPV6, payload: ip})
const bytes = (n: number, seed = 0) => Buffer.from(Array.from({length: n}, (_, i) => (i * 7 + seed) & 0xff))

function udpDatagram4(n: number, id = 77): Buffer {
  return ipv4({src: A, dst: B, proto: 17, id, payload: udp({srcPort: 5000, dstPort: 53, payload: bytes(n)}, A, B)})
}

/** A raw IPv4 fragment with explicit data (for overlap tests). */
function frag4(id: number, offset: number, more: boolean, data: Buffer, proto = 17): Buffer {
  return ipv4({src: A, dst: B, proto, id, flags: more ? 1 : 0, fragOffset: offset, payload: data})
}

describe('IPv4 reassembly', () => {
  it.each([
    ['in order', [0, 1, 2, 3]],
    ['reversed', [3, 2, 1, 0]],
    ['shuffled', [2, 0, 3, 1]],
    ['duplicated', [0, 0, 1, 2, 1, 3]],
  ])('%s', (_name, order) => {
    const h = harness()
    const dg = udpDatagram4(1000)
    const frags = fragmentIpv4(dg, 300)
    expect(frags).toHaveLength(4)
    const delivered = order.map((i, k) => h.feed(eth4(frags[i]), {tsSec: 100, tsNsec: k}))
    const last = delivered.findIndex((s) => s !== undefined)
    // delivered exactly once, by the fragment that completed the set
    expect(delivered.filter((s) => s !== undefined)).toHaveLength(1)
    const firstComplete = order.findIndex((_, k) => new Set(order.slice(0, k + 1)).size === 4)
    expect(last).toBe(firstComplete)
    const s = delivered[last]!
    expect([s.frame, s.tsNsec]).toEqual([last + 1, last])
    expect([s.src, s.dst, s.proto, s.srcPort, s.dstPort]).toEqual([A, B, 17, 5000, 53])
    expect(s.payload).toEqual(bytes(1000))
    expect(s.ipLength).toBe(dg.length)
    expect(h.stats.fragments).toBe(order.length)
    expect(h.stats.fragmentsReassembled).toBe(1)
    expect(h.stats.udpPackets).toBe(1)
    expect(h.stats.ipv4).toBe(order.length)
    expect(h.dec.pendingFragmentSets).toBe(0)
  })

  it('large TCP segment reassembled from MTU-sized fragments, with options on the first', () => {
    const h = harness()
    const seg = tcp({srcPort: 80, dstPort: 3333, seq: 42, flags: TcpFlag.ACK, payload: bytes(4000, 3)}, A, B)
    const dg = ipv4({src: A, dst: B, proto: 6, payload: seg, id: 9, options: Buffer.from([0x83, 7, 4, 1, 2, 3, 4])})
    const frags = fragmentIpv4(dg, 1500)
    const seen = frags.map((f) => h.feed(eth4(f)))
    expect(seen.slice(0, -1).every((s) => s === undefined)).toBe(true)
    expect(seen.at(-1)?.payload).toEqual(bytes(4000, 3))
    expect(seen.at(-1)?.seq).toBe(42)
    expect(seen.at(-1)?.ipLength).toBe(dg.length)
  })

  it('overlaps: the first data received wins, in either arrival order', () => {
    // UDP header (8) + 40 bytes; fragment X covers [0,24), fragment Y covers [16,48) with other bytes
    const whole = udp({srcPort: 1, dstPort: 2, payload: Buffer.alloc(40, 0x11)}, A, B)
    const x = whole.subarray(0, 24)
    const y = Buffer.alloc(32, 0x22)
    const run = (first: Buffer, second: Buffer, firstOffset: number, secondOffset: number) => {
      const h = harness()
      h.feed(eth4(frag4(5, firstOffset, firstOffset === 0, first)))
      return h.feed(eth4(frag4(5, secondOffset, secondOffset === 0, second)))
    }
    const xy = run(x, y, 0, 16)!
    // bytes 16..23 come from X (UDP payload 8..15 = 0x11), then Y
    expect(xy.payload).toEqual(Buffer.concat([Buffer.alloc(16, 0x11), Buffer.alloc(24, 0x22)]))
    const yx = run(y, x, 16, 0)!
    expect(yx.payload).toEqual(Buffer.concat([Buffer.alloc(8, 0x11), Buffer.alloc(32, 0x22)]))
    expect([yx.srcPort, yx.dstPort]).toEqual([1, 2])
  })

  it('a fragment fully inside held data adds nothing; a conflicting last fragment is counted', () => {
    const h = harness()
    const head = udp({srcPort: 7, dstPort: 8, payload: Buffer.alloc(24, 0xaa)}, A, B) // 32 bytes
    h.feed(eth4(frag4(6, 0, true, head.subarray(0, 16))))
    h.feed(eth4(frag4(6, 8, true, Buffer.alloc(8, 0xff)))) // inside [0,16): ignored
    h.feed(eth4(frag4(6, 16, false, head.subarray(16, 32)))) // completes: total 32
    expect(h.sink.seen).toHaveLength(1)
    expect(h.sink.seen[0].payload).toEqual(Buffer.alloc(24, 0xaa))
    // another set: two different "last" fragments
    h.feed(eth4(frag4(7, 16, false, Buffer.alloc(16))))
    h.feed(eth4(frag4(7, 24, false, Buffer.alloc(16))))
    expect(h.stats.malformed.get('ipv4: inconsistent fragment')).toBeGreaterThanOrEqual(1)
  })

  it('non-first fragments alone never yield a delivery (no ports)', () => {
    const h = harness()
    const frags = fragmentIpv4(udpDatagram4(600), 200)
    for (const f of frags.slice(1)) expect(h.feed(eth4(f))).toBeUndefined()
    h.dec.end()
    expect(h.sink.seen).toHaveLength(0)
    expect(h.stats.fragmentsDropped).toBe(frags.length - 1)
    expect(h.stats.malformed.get('ipv4: fragment set incomplete at end of input')).toBe(1)
  })

  it('different ids, protocols or addresses are different sets', () => {
    const h = harness()
    const a = fragmentIpv4(udpDatagram4(100, 1), 68)
    const b = fragmentIpv4(udpDatagram4(100, 2), 68)
    h.feed(eth4(a[0]))
    h.feed(eth4(b[1]))
    h.feed(eth4(b[0]))
    expect(h.sink.seen).toHaveLength(0) // b is still missing its last fragment
    for (const f of a.slice(1)) h.feed(eth4(f))
    expect(h.sink.seen).toHaveLength(1)
    expect(h.dec.pendingFragmentSets).toBe(1)
  })

  it('a fragment reaching past 65535 bytes is dropped and counted', () => {
    const h = harness()
    expect(h.feed(eth4(frag4(9, 8184 * 8, false, Buffer.alloc(100))))).toBeUndefined()
    expect(h.stats.malformed.get('ipv4: fragment beyond 65535 bytes')).toBe(1)
    expect(h.dec.pendingFragmentSets).toBe(0)
  })

  it('ICMP echo fragmented (ping -s 3000)', () => {
    const h = harness()
    const echo = icmpEcho(8, 1, 1, bytes(3000))
    const frags = fragmentIpv4(ipv4({src: A, dst: B, proto: 1, payload: echo, id: 3}), 1500)
    for (const f of frags) h.feed(eth4(f))
    expect(h.sink.seen).toHaveLength(1)
    expect(h.sink.seen[0].payload).toEqual(echo)
    expect(h.stats.icmpPackets).toBe(1)
  })
})

describe('IPv6 reassembly', () => {
  it('out of order, with a destination options header in the fragmentable part', () => {
    const h = harness()
    const u = udp({srcPort: 546, dstPort: 547, payload: bytes(700)}, A6, B6)
    const p = ipv6({src: A6, dst: B6, nextHeader: 17, payload: u, extHeaders: [ipv6OptionsHeader(0), ipv6OptionsHeader(60)]})
    const frags = fragmentIpv6(p, 300, 0x01020304)
    expect(frags.length).toBeGreaterThanOrEqual(3)
    const order = frags.map((_, i) => i).reverse()
    for (const i of order) h.feed(eth6(frags[i]))
    expect(h.sink.seen).toHaveLength(1)
    const s = h.sink.seen[0]
    expect([s.ipVersion, s.src, s.dst, s.proto, s.srcPort, s.dstPort]).toEqual([6, A6, B6, 17, 546, 547])
    expect(s.payload).toEqual(bytes(700))
    expect(s.ipLength).toBe(p.length) // 40 + hop-by-hop 8 + (dest opts 8 + udp)
    expect(h.stats.fragments).toBe(frags.length)
    expect(h.stats.fragmentsReassembled).toBe(1)
  })

  it('the next header of the offset-0 fragment decides the protocol', () => {
    const h = harness()
    const seg = tcp({srcPort: 1, dstPort: 2, seq: 3, flags: TcpFlag.ACK, payload: bytes(30)}, A6, B6)
    // second fragment claims next header 17 (ignored per RFC 8200 section 4.5)
    h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: 17, payload: seg.subarray(48), extHeaders: [ipv6FragmentHeader(48, false, 5)]})))
    const s = h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: 6, payload: seg.subarray(0, 48), extHeaders: [ipv6FragmentHeader(0, true, 5)]})))
    expect([s?.proto, s?.seq, s?.payload.length]).toEqual([6, 3, 30])
  })

  it('a fragment header inside a reassembled packet is malformed', () => {
    const h = harness()
    const inner = Buffer.concat([Buffer.from([17, 0, 0, 9, 0, 0, 0, 1]), Buffer.alloc(16)]) // nested fragment header (M=1)
    h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: 44, payload: inner.subarray(0, 8), extHeaders: [ipv6FragmentHeader(0, true, 6)]})))
    h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: 44, payload: inner.subarray(8), extHeaders: [ipv6FragmentHeader(8, false, 6)]})))
    expect(h.sink.seen).toHaveLength(0)
    expect(h.stats.malformed.get('ipv6: fragment header inside reassembled packet')).toBe(1)
  })
})

describe('fragment bounds and timeout (capture time)', () => {
  it('maxFragmentSets evicts the oldest set', () => {
    const h = harness({maxFragmentSets: 2})
    const sets = [1, 2, 3].map((id) => fragmentIpv4(udpDatagram4(100, id), 68))
    for (const s of sets) h.feed(eth4(s[0]))
    expect(h.dec.pendingFragmentSets).toBe(2)
    expect(h.stats.fragmentsDropped).toBe(1)
    expect(h.stats.limitsHit.get('maxFragmentSets')).toBe(1)
    // set 1 was evicted: its remaining fragments start a new set that cannot complete
    for (const f of sets[0].slice(1)) h.feed(eth4(f))
    expect(h.sink.seen).toHaveLength(0)
    // set 1's restart evicted set 2; set 3 is still held and completes
    for (const f of sets[2].slice(1)) h.feed(eth4(f))
    expect(h.sink.seen).toHaveLength(1)
    expect(h.sink.seen[0].payload).toEqual(bytes(100))
  })

  it('maxFragmentSetBytes drops a set that grows too large', () => {
    const h = harness({maxFragmentSetBytes: 200})
    const frags = fragmentIpv4(udpDatagram4(400), 100)
    for (const f of frags) h.feed(eth4(f))
    expect(h.sink.seen).toHaveLength(0)
    expect(h.stats.limitsHit.get('maxFragmentSetBytes')).toBeGreaterThanOrEqual(1)
    expect(h.stats.fragmentsDropped).toBeGreaterThan(0)
  })

  it.each([
    [29, 1, 0],
    [31, 0, 1],
  ])('second fragment %d s later: %d reassembled, %d timed out', (delay, reassembled, timedOut) => {
    const h = harness({fragmentTimeoutSec: 30})
    const frags = fragmentIpv4(udpDatagram4(60), 68)
    expect(frags).toHaveLength(2)
    h.feed(eth4(frags[0]), {tsSec: 1000, tsNsec: 500})
    h.feed(eth4(frags[1]), {tsSec: 1000 + delay, tsNsec: 500})
    expect(h.stats.fragmentsReassembled).toBe(reassembled)
    expect(h.stats.malformed.get('ipv4: fragment set timed out') ?? 0).toBe(timedOut)
    expect(h.stats.fragmentsDropped).toBe(timedOut)
  })

  it('truncated fragments are not reassembled', () => {
    const h = harness()
    const frags = fragmentIpv4(udpDatagram4(100), 68)
    const f0 = eth4(frags[0])
    h.feed(f0.subarray(0, f0.length - 4), {origLen: f0.length})
    h.feed(eth4(frags[1]))
    expect(h.sink.seen).toHaveLength(0)
    expect(h.stats.malformed.get('ipv4: truncated fragment')).toBe(1)
    expect(badCount(h.stats)).toBe(1)
  })
})
