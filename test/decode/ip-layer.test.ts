import {describe, expect, it} from 'vitest'
import {TcpFlag} from '../../src/decode/types.js'
import {EtherType, ethernet, icmpEcho, ipv4, ipv6, ipv6FragmentHeader, ipv6OptionsHeader, ipv6RoutingHeader, tcp, udp} from '../support/synth/packets.js'
import {badCount, harness} from './helpers.js'

const A = '192.0.2.10'
const B = '198.51.100.20'
const A6 = '2001:db8::a'
const B6 = '2001:db8::b'
const eth4 = (ip: Buffer) => ethernet({etherType: EtherType.IPV4, payload: ip})
const eth6 = (ip: Buffer) => ethernet({etherType: EtherType.IPV6, payload: ip})

describe('IPv4', () => {
  it('honours the header length (options) and reports ipLength', () => {
    const h = harness()
    const seg = tcp({srcPort: 10, dstPort: 20, seq: 5, flags: TcpFlag.ACK, payload: Buffer.from('data')}, A, B)
    // Router alert (4 bytes) + timestamp option (12 bytes)
    const options = Buffer.from([0x94, 4, 0, 0, 0x44, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    const ip = ipv4({src: A, dst: B, proto: 6, payload: seg, options})
    const s = h.feed(eth4(ip))
    expect(s?.payload.toString()).toBe('data')
    expect(s?.ipLength).toBe(36 + seg.length)
    expect([s?.srcPort, s?.dstPort]).toEqual([10, 20])
  })

  it('trims Ethernet padding and FCS using the total length', () => {
    const h = harness()
    const seg = tcp({srcPort: 10, dstPort: 20, seq: 5, flags: TcpFlag.ACK}, A, B)
    const frame = Buffer.concat([eth4(ipv4({src: A, dst: B, proto: 6, payload: seg})), Buffer.alloc(6), Buffer.from([0xde, 0xad, 0xbe, 0xef])])
    const s = h.feed(frame)
    expect(s?.payload.length).toBe(0)
    const u = udp({srcPort: 53, dstPort: 9, payload: Buffer.from('x')}, A, B)
    const s2 = h.feed(Buffer.concat([eth4(ipv4({src: A, dst: B, proto: 17, payload: u})), Buffer.alloc(17, 0xee)]))
    expect(s2?.payload.toString()).toBe('x')
    expect(badCount(h.stats)).toBe(0)
  })

  it('total length 0 (segmentation offload) uses the captured length, and counts it', () => {
    const h = harness()
    const seg = tcp({srcPort: 10, dstPort: 20, seq: 5, flags: TcpFlag.ACK, payload: Buffer.alloc(3000, 1)}, A, B)
    const s = h.feed(eth4(ipv4({src: A, dst: B, proto: 6, payload: seg, totalLength: 0})))
    expect(s?.payload.length).toBe(3000)
    expect(s?.payloadTruncated).toBe(0)
    expect(h.stats.malformed.get('ipv4: total length 0, using captured length')).toBe(1)
  })

  it.each([
    [19, 'ipv4: total length < header length'],
    [5, 'ipv4: total length < header length'],
  ])('total length %d is malformed and not delivered', (totalLength, reason) => {
    const h = harness()
    const seg = tcp({srcPort: 10, dstPort: 20, seq: 5, flags: TcpFlag.ACK}, A, B)
    expect(h.feed(eth4(ipv4({src: A, dst: B, proto: 6, payload: seg, totalLength})))).toBeUndefined()
    expect(h.stats.malformed.get(reason)).toBe(1)
  })

  it('header length < 20 is malformed', () => {
    const h = harness()
    const ip = ipv4({src: A, dst: B, proto: 6, payload: Buffer.alloc(20)})
    ip[0] = 0x44
    expect(h.feed(eth4(ip))).toBeUndefined()
    expect(h.stats.malformed.get('ipv4: header length < 20')).toBe(1)
  })

  it('a total length beyond the frame: snaplen cut is normal, a full frame is a lie (both delivered)', () => {
    const seg = tcp({srcPort: 10, dstPort: 20, seq: 5, flags: TcpFlag.ACK, payload: Buffer.alloc(100, 9)}, A, B)
    const frame = eth4(ipv4({src: A, dst: B, proto: 6, payload: seg}))
    const cut = frame.subarray(0, frame.length - 40)
    const h = harness()
    const s = h.feed(cut, {origLen: frame.length})
    expect([s?.payload.length, s?.payloadTruncated, s?.ipLength]).toEqual([60, 40, 140])
    expect(badCount(h.stats)).toBe(0)
    const s2 = h.feed(cut)
    expect([s2?.payload.length, s2?.payloadTruncated]).toEqual([60, 40])
    expect(h.stats.malformed.get('ipv4: total length exceeds frame')).toBe(1)
  })

  it('ICMP and other protocols deliver the whole IP payload with ports 0', () => {
    const h = harness()
    const echo = icmpEcho(8, 7, 1, Buffer.from('ping'))
    const s = h.feed(eth4(ipv4({src: A, dst: B, proto: 1, payload: echo})))
    expect([s?.proto, s?.srcPort, s?.dstPort]).toEqual([1, 0, 0])
    expect(s?.payload).toEqual(echo)
    // GRE with a protocol type that is not opened (0x88b5, local experimental) stays the outer packet
    const gre = Buffer.from([0, 0, 0x88, 0xb5, 0x45])
    const g = h.feed(eth4(ipv4({src: A, dst: B, proto: 47, payload: gre})))
    expect([g?.proto, g?.payload.length]).toEqual([47, 5])
    expect(h.stats.icmpPackets).toBe(1)
    expect(h.stats.otherIpProto).toBe(1)
  })
})

describe('IPv6', () => {
  it('walks hop-by-hop, routing, destination options and AH to TCP', () => {
    const h = harness()
    const seg = tcp({srcPort: 443, dstPort: 5000, seq: 1, flags: TcpFlag.ACK, payload: Buffer.from('tls')}, A6, B6)
    const ah = {type: 51, body: Buffer.alloc(22)} // 24 bytes: payload len field = 24/4 - 2 = 4
    const ip = ipv6({
      src: A6,
      dst: B6,
      nextHeader: 6,
      payload: seg,
      extHeaders: [ipv6OptionsHeader(0, Buffer.from([5, 2, 0, 0])), ipv6RoutingHeader(['2001:db8::c'], 4), ipv6OptionsHeader(60, Buffer.alloc(9, 1)), ah],
    })
    const s = h.feed(eth6(ip))
    expect(badCount(h.stats)).toBe(0)
    expect([s?.proto, s?.srcPort, s?.dstPort, s?.payload.toString()]).toEqual([6, 443, 5000, 'tls'])
    expect(s?.ipLength).toBe(ip.length)
    expect([s?.src, s?.dst]).toEqual([A6, B6])
  })

  it.each([
    [50, 'ESP'],
    [59, 'no next header'],
  ])('next header %d (%s) ends the chain and is delivered as another protocol', (nh) => {
    const h = harness()
    const s = h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: nh, payload: Buffer.alloc(16, 3), extHeaders: [ipv6OptionsHeader(60)]})))
    expect([s?.proto, s?.payload.length, s?.srcPort]).toEqual([nh, 16, 0])
    expect(h.stats.otherIpProto).toBe(1)
  })

  it('mobility header (135) is skipped', () => {
    const h = harness()
    const u = udp({srcPort: 1, dstPort: 2, payload: Buffer.from('m')}, A6, B6)
    const s = h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: 17, payload: u, extHeaders: [{type: 135, body: Buffer.alloc(14)}]})))
    expect([s?.proto, s?.payload.toString()]).toEqual([17, 'm'])
  })

  it('an extension header longer than the payload is malformed', () => {
    const h = harness()
    const ip = ipv6({src: A6, dst: B6, nextHeader: 59, payload: Buffer.alloc(0), extHeaders: [ipv6OptionsHeader(60)]})
    ip[41] = 5 // claims 48 bytes
    expect(h.feed(eth6(ip))).toBeUndefined()
    expect(h.stats.malformed.get('ipv6: extension header exceeds payload')).toBe(1)
  })

  it('atomic fragments (offset 0, M=0) are processed as whole packets', () => {
    const h = harness()
    const u = udp({srcPort: 1, dstPort: 2, payload: Buffer.from('atomic')}, A6, B6)
    const s = h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: 17, payload: u, extHeaders: [ipv6FragmentHeader(0, false, 9)]})))
    expect(s?.payload.toString()).toBe('atomic')
    expect(h.stats.fragments).toBe(0)
  })

  it('ICMPv6 is delivered whole; payload length 0 uses the captured length', () => {
    const h = harness()
    const echo = icmpEcho(128, 1, 1, Buffer.from('x'), {src: A6, dst: B6})
    const s = h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: 58, payload: echo})))
    expect([s?.proto, s?.payload.length]).toEqual([58, echo.length])
    const z = h.feed(eth6(ipv6({src: A6, dst: B6, nextHeader: 58, payload: echo, payloadLength: 0})))
    expect(z?.payload.length).toBe(echo.length)
    expect(h.stats.icmpPackets).toBe(2)
    expect(h.stats.malformed.get('ipv6: payload length 0, using captured length')).toBe(1)
  })
})

describe('TCP and UDP headers', () => {
  it('skips TCP options (MSS, SACK-permitted, timestamps, window scale)', () => {
    const h = harness()
    const options = Buffer.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7])
    const seg = tcp({srcPort: 80, dstPort: 1024, seq: 0xffffffff, ack: 0x80000000, flags: TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE, window: 29200, options, payload: Buffer.from('after-options')}, A, B)
    const s = h.feed(eth4(ipv4({src: A, dst: B, proto: 6, payload: seg})))
    expect(s?.payload.toString()).toBe('after-options')
    expect([s?.seq, s?.ack, s?.tcpFlags, s?.window]).toEqual([0xffffffff, 0x80000000, 0x52, 29200])
  })

  it.each([
    [16, 'tcp: bad data offset'],
    [0, 'tcp: bad data offset'],
    [60, 'tcp: data offset beyond segment'],
  ])('data offset %d bytes is malformed and not delivered', (dataOffset, reason) => {
    const h = harness()
    const seg = tcp({srcPort: 1, dstPort: 2, seq: 1, flags: TcpFlag.ACK, dataOffset, payload: Buffer.alloc(8)}, A, B)
    expect(h.feed(eth4(ipv4({src: A, dst: B, proto: 6, payload: seg})))).toBeUndefined()
    expect(h.stats.malformed.get(reason)).toBe(1)
    expect(h.stats.tcpPackets).toBe(1)
  })

  it.each([
    // [udp length field, expected payload bytes, bad reason or null]
    [8 + 5, 5, null],
    [8 + 2, 2, null], // shorter than the IP payload: trimmed by the UDP length
    [4, 5, 'udp: bad length field'],
    [200, 5, 'udp: bad length field'],
  ])('UDP length %d -> %d payload bytes', (length, n, reason) => {
    const h = harness()
    const u = udp({srcPort: 1, dstPort: 2, payload: Buffer.from('abcde'), length}, A, B)
    const s = h.feed(eth4(ipv4({src: A, dst: B, proto: 17, payload: u})))
    expect(s?.payload.toString()).toBe('abcde'.slice(0, n))
    expect(s?.payloadTruncated).toBe(0)
    if (reason) expect(h.stats.malformed.get(reason)).toBe(1)
    else expect(badCount(h.stats)).toBe(0)
  })

  it('UDP snaplen-cut payload reports the missing count from the UDP length', () => {
    const h = harness()
    const u = udp({srcPort: 1, dstPort: 2, payload: Buffer.alloc(50, 1)}, A6, B6)
    const f = eth6(ipv6({src: A6, dst: B6, nextHeader: 17, payload: u}))
    const s = h.feed(f.subarray(0, f.length - 20), {origLen: f.length})
    expect([s?.payload.length, s?.payloadTruncated]).toEqual([30, 20])
  })
})
