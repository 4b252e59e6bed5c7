import {describe, expect, it} from 'vitest'
import {TcpFlag} from '../../src/decode/types.js'
import {EtherType, ethernet, ipv4, ipv6, tcp, tcpFrame, udp} from '../support/synth/packets.js'
import {badCount, harness} from './helpers.js'

const payload = Buffer.from('hello')
const seg4 = tcp({srcPort: 1111, dstPort: 80, seq: 0x80000001, ack: 0xfffffffe, flags: TcpFlag.PSH | TcpFlag.ACK, window: 1234, payload}, '10.0.0.1', '10.0.0.2')
const ip4 = ipv4({src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: seg4})
const seg6 = udp({srcPort: 5353, dstPort: 53, payload}, '2001:db8::1', '2001:db8::2')
const ip6 = ipv6({src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17, payload: seg6})

function sll(protocol: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16)
  h.writeUInt16BE(0, 0) // to us
  h.writeUInt16BE(1, 2) // ARPHRD_ETHER
  h.writeUInt16BE(6, 4)
  h.writeUInt16BE(protocol, 14)
  return Buffer.concat([h, body])
}
function sll2(protocol: number, body: Buffer): Buffer {
  const h = Buffer.alloc(20)
  h.writeUInt16BE(protocol, 0)
  h.writeUInt32BE(3, 4) // ifindex
  h.writeUInt16BE(1, 8)
  h[11] = 6
  return Buffer.concat([h, body])
}
function nullHdr(family: number, le: boolean, body: Buffer): Buffer {
  const h = Buffer.alloc(4)
  if (le) h.writeUInt32LE(family, 0)
  else h.writeUInt32BE(family, 0)
  return Buffer.concat([h, body])
}

function nflog(family: number, body: Buffer, le: boolean): Buffer {
  const tlv = (type: number, value: Buffer) => {
    const b = Buffer.alloc((4 + value.length + 3) & ~3)
    if (le) {
      b.writeUInt16LE(4 + value.length, 0)
      b.writeUInt16LE(type, 2)
    } else {
      b.writeUInt16BE(4 + value.length, 0)
      b.writeUInt16BE(type, 2)
    }
    value.copy(b, 4)
    return b
  }
  return Buffer.concat([Buffer.from([family, 0, 0, 42]), tlv(1, Buffer.from([8, 0, 3, 0])), tlv(10, Buffer.from('p\0')), tlv(9, body)])
}
const fddi = (body: Buffer) => Buffer.concat([Buffer.from([0x50]), Buffer.alloc(12, 1), Buffer.from([0xaa, 0xaa, 3, 0, 0, 0, 0x86, 0xdd]), body])

describe('link layers', () => {
  const cases: [string, number, Buffer, 4 | 6][] = [
    ['Ethernet IPv4', 1, ethernet({etherType: EtherType.IPV4, payload: ip4}), 4],
    ['Ethernet IPv6', 1, ethernet({etherType: EtherType.IPV6, payload: ip6}), 6],
    ['SLL IPv4', 113, sll(0x0800, ip4), 4],
    ['SLL IPv6', 113, sll(0x86dd, ip6), 6],
    ['SLL 802.1Q IPv4', 113, sll(0x8100, Buffer.concat([Buffer.from([0, 42, 8, 0]), ip4])), 4],
    ['SLL2 IPv4', 276, sll2(0x0800, ip4), 4],
    ['SLL2 IPv6', 276, sll2(0x86dd, ip6), 6],
    ['Null LE AF_INET', 0, nullHdr(2, true, ip4), 4],
    ['Null BE AF_INET', 0, nullHdr(2, false, ip4), 4],
    ['Null LE AF_INET6 (BSD 24)', 0, nullHdr(24, true, ip6), 6],
    ['Null BE AF_INET6 (FreeBSD 28)', 0, nullHdr(28, false, ip6), 6],
    ['Null LE AF_INET6 (Darwin 30)', 0, nullHdr(30, true, ip6), 6],
    ['LOOP BE AF_INET', 108, nullHdr(2, false, ip4), 4],
    ['LOOP LE AF_INET6', 108, nullHdr(30, true, ip6), 6],
    ['RAW 101 v4', 101, ip4, 4],
    ['RAW 101 v6', 101, ip6, 6],
    ['RAW 12 v4', 12, ip4, 4],
    ['RAW 14 v6', 14, ip6, 6],
    ['IPV4 228', 228, ip4, 4],
    ['IPV6 229', 229, ip6, 6],
    ['802.3 LLC/SNAP IPv4', 1, Buffer.concat([ethernet({etherType: ip4.length + 8, payload: Buffer.from([0xaa, 0xaa, 3, 0, 0, 0, 8, 0])}), ip4]), 4],
    ['PPPoE session IPv6', 1, ethernet({etherType: 0x8864, payload: Buffer.concat([Buffer.from([0x11, 0, 0, 1, 0, ip6.length + 2, 0, 0x57]), ip6])}), 6],
    ['NFLOG LE IPv4', 239, nflog(2, ip4, true), 4],
    ['NFLOG BE IPv6', 239, nflog(10, ip6, false), 6],
    ['FDDI SNAP IPv6', 10, fddi(ip6), 6],
    ['VN-Tag then 802.1Q IPv4', 1, ethernet({etherType: 0x8926, payload: Buffer.concat([Buffer.from([0x80, 1, 0, 2, 0x81, 0, 0, 5, 8, 0]), ip4])}), 4],
    ['MPLS (2 labels) IPv4', 1, ethernet({etherType: 0x8847, payload: Buffer.concat([Buffer.from([0, 0x10, 0x00, 64, 0, 0x20, 0x01, 64]), ip4])}), 4],
  ]
  it.each(cases)('%s', (_name, linkType, frame, version) => {
    const h = harness()
    const s = h.feed(frame, {linkType, tsSec: 77, tsNsec: 5})
    expect(badCount(h.stats)).toBe(0)
    expect(h.stats.linkTypes.get(linkType)).toBe(1)
    expect(s).toBeDefined()
    if (!s) return
    expect([s.frame, s.tsSec, s.tsNsec]).toEqual([1, 77, 5])
    expect(s.ipVersion).toBe(version)
    expect(s.payload.toString()).toBe('hello')
    expect(s.payloadTruncated).toBe(0)
    if (version === 4) {
      expect([s.src, s.dst, s.proto, s.srcPort, s.dstPort]).toEqual(['10.0.0.1', '10.0.0.2', 6, 1111, 80])
      expect([s.seq, s.ack, s.tcpFlags, s.window]).toEqual([0x80000001, 0xfffffffe, 0x18, 1234])
      expect(s.ipLength).toBe(ip4.length)
      expect(h.stats.ipv4).toBe(1)
      expect(h.stats.tcpPackets).toBe(1)
    } else {
      expect([s.src, s.dst, s.proto, s.srcPort, s.dstPort]).toEqual(['2001:db8::1', '2001:db8::2', 17, 5353, 53])
      expect([s.seq, s.ack, s.tcpFlags]).toEqual([0, 0, 0])
      expect(s.ipLength).toBe(ip6.length)
      expect(h.stats.ipv6).toBe(1)
      expect(h.stats.udpPackets).toBe(1)
    }
  })

  it.each([
    [1, [7], [0x8100]],
    [2, [100, 200], [0x88a8, 0x8100]],
    [2, [300, 400], [0x9100, 0x8100]],
    [3, [4095, 2, 3], [0x88a8, 0x88a8, 0x8100]],
  ])('VLAN depth %d: outermost id, counted once', (_depth, vlan, vlanTpids) => {
    const h = harness()
    const f = tcpFrame({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 1, flags: TcpFlag.SYN, vlan, vlanTpids})
    expect(f.readUInt16BE(12)).toBe(vlanTpids[0])
    const s = h.feed(f)
    expect(s?.vlan).toBe(vlan[0])
    expect(s?.srcPort).toBe(1)
    expect(h.stats.vlanTagged).toBe(1)
    // an untagged frame afterwards resets vlan to -1
    const u = h.feed(tcpFrame({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 1, flags: TcpFlag.SYN}))
    expect(u?.vlan).toBe(-1)
    expect(h.stats.vlanTagged).toBe(1)
  })

  it('non-IP ethertypes are counted as nonIp, not as errors', () => {
    const h = harness()
    expect(h.feed(ethernet({etherType: EtherType.ARP, payload: Buffer.alloc(28)}))).toBeUndefined()
    expect(h.feed(ethernet({etherType: EtherType.LLDP, payload: Buffer.alloc(20)}))).toBeUndefined()
    expect(h.feed(ethernet({etherType: EtherType.ARP, vlan: [9], payload: Buffer.alloc(28)}))).toBeUndefined()
    expect(h.feed(ethernet({etherType: 46, payload: Buffer.from([0x42, 0x42, 0x03, 0, 0, 0, 0, 0])}))).toBeUndefined() // STP over LLC
    expect(h.feed(nullHdr(7, true, Buffer.alloc(20)), {linkType: 0})).toBeUndefined()
    expect(h.stats.nonIp).toBe(5)
    expect(h.stats.vlanTagged).toBe(1)
    expect(badCount(h.stats)).toBe(0)
  })

  it('unknown link types and bad raw versions are counted with a reason', () => {
    const h = harness()
    expect(h.feed(ip4, {linkType: 147})).toBeUndefined()
    expect(h.feed(ip4, {linkType: 147})).toBeUndefined()
    const bogus = Buffer.from(ip4)
    bogus[0] = 0x55
    expect(h.feed(bogus, {linkType: 101})).toBeUndefined()
    expect(h.stats.malformed.get('link: unsupported link type 147')).toBe(2)
    expect(h.stats.malformed.get('raw: unknown IP version 5')).toBe(1)
    expect(h.stats.linkTypes.get(147)).toBe(2)
  })

  it('an Ethernet IPv4 frame whose packet has version 6 is malformed', () => {
    const h = harness()
    expect(h.feed(ethernet({etherType: EtherType.IPV4, payload: ip6}))).toBeUndefined()
    expect(h.stats.malformed.get('ipv4: version is not 4')).toBe(1)
  })
})
