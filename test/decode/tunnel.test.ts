/**
 * Tunnel decapsulation in the decoder: each encapsulation delivers the inner packet with the
 * tunnel description; malformed tunnel headers are counted and the outer packet is delivered as
 * before; the nesting bound; the VNI as part of the connection key; truncation at every length never
 * throws.
 */
import {describe, expect, it} from 'vitest'
import type {Packet} from '../../src/capture/types.js'
import {Decoder} from '../../src/decode/decoder.js'
import {snapshotTunnel, type TunnelInfo} from '../../src/decode/tunnel.js'
import type {DecodedPacket} from '../../src/decode/types.js'
import {DEFAULT_LIMITS, type Limits} from '../../src/limits.js'
import {ConnTable} from '../../src/reassembly/conn-table.js'
import {Conn} from '../../src/reassembly/conn.js'
import {Stats} from '../../src/stats.js'
import {ethernet, fragmentIpv4, ipv4, ipv6, tcpFrame, udp} from '../support/synth/packets.js'
import {ipToString} from '../../src/util/ip.js'

interface Got {
  src: string
  dst: string
  proto: number
  srcPort: number
  dstPort: number
  payload: string
  tunnel: TunnelInfo | undefined
  zone: number
}

function run(frames: Buffer[], limits: Partial<Limits> = {}) {
  const stats = new Stats()
  const got: Got[] = []
  const dps: DecodedPacket[] = []
  const dec = new Decoder(
    {
      ip(p) {
        dps.push(p)
        got.push({
          src: ipToString(p.ipVersion, p.src0, p.src1, p.src2, p.src3),
          dst: ipToString(p.ipVersion, p.dst0, p.dst1, p.dst2, p.dst3),
          proto: p.proto,
          srcPort: p.srcPort,
          dstPort: p.dstPort,
          payload: p.payload.toString('latin1'),
          tunnel: snapshotTunnel(p.tunnel, true),
          zone: p.tunnel?.depth ? p.tunnel.zone : 0,
        })
      },
    },
    {...DEFAULT_LIMITS, ...limits},
    stats,
  )
  const pkt: Packet = {frame: 0, tsSec: 1, tsNsec: 0, linkType: 1, data: Buffer.alloc(0), origLen: 0, offset: 0}
  for (const f of frames) {
    pkt.frame++
    pkt.data = f
    pkt.origLen = f.length
    dec.packet(pkt)
  }
  return {got, stats, dps}
}

const INNER = tcpFrame({src: '10.1.1.1', dst: '10.1.1.2', srcPort: 40000, dstPort: 80, seq: 1, ack: 1, flags: 0x18, payload: Buffer.from('GET / HTTP/1.1\r\n\r\n')})
const INNER_IP = INNER.subarray(14)
const INNER6 = tcpFrame({src: '2001:db8::a', dst: '2001:db8::b', srcPort: 40000, dstPort: 443, seq: 1, ack: 1, flags: 0x18, payload: Buffer.from('hi')})
const INNER6_IP = INNER6.subarray(14)

const eth4 = (p: Buffer) => ethernet({etherType: 0x0800, payload: p})
const overIp = (proto: number, payload: Buffer) => eth4(ipv4({src: '192.0.2.1', dst: '192.0.2.2', proto, payload}))
const overUdp = (sport: number, dport: number, payload: Buffer) =>
  eth4(ipv4({src: '192.0.2.1', dst: '192.0.2.2', proto: 17, payload: udp({srcPort: sport, dstPort: dport, payload}, '192.0.2.1', '192.0.2.2')}))
const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex')

function vxlan(vni: number, inner = INNER, flags = 0x08): Buffer {
  const h = Buffer.alloc(8)
  h[0] = flags
  h.writeUInt32BE((vni << 8) >>> 0, 4)
  return overUdp(50000, 4789, Buffer.concat([h, inner]))
}

function expectInner(g: Got | undefined, tunnel: Partial<TunnelInfo>): void {
  expect(g).toBeDefined()
  expect(g).toMatchObject({src: '10.1.1.1', dst: '10.1.1.2', proto: 6, srcPort: 40000, dstPort: 80, payload: 'GET / HTTP/1.1\r\n\r\n'})
  expect(g?.tunnel).toMatchObject(tunnel)
}

describe('tunnel decapsulation', () => {
  it('VXLAN: inner Ethernet frame, VNI, outer addresses and ports, zone', () => {
    const {got, stats} = run([vxlan(5001)])
    expectInner(got[0], {type: 'vxlan', id: 5001, depth: 1, sourceIp: '192.0.2.1', destinationIp: '192.0.2.2', sourcePort: 50000, destinationPort: 4789})
    expect(got[0].zone).not.toBe(0)
    expect(stats.tunnels.get('vxlan')).toBe(1)
    expect(stats.malformed.size).toBe(0)
  })

  it('Geneve with options, Ethernet and IP protocol types', () => {
    const h = hex('02 00 6558 00004d00 0102 80 01 deadbeef')
    const ipH = hex('00 00 0800 00004e00')
    const {got} = run([overUdp(1, 6081, Buffer.concat([h, INNER])), overUdp(1, 6081, Buffer.concat([ipH, INNER_IP]))])
    expectInner(got[0], {type: 'geneve', id: 77})
    expectInner(got[1], {type: 'geneve', id: 78})
  })

  it('GRE: plain, key + sequence + checksum, TEB, MPLS, PPTP (v1) with PPP', () => {
    const frames = [
      overIp(47, Buffer.concat([hex('0000 0800'), INNER_IP])),
      overIp(47, Buffer.concat([hex('b000 0800 00000000 00001234 00000009'), INNER_IP])),
      overIp(47, Buffer.concat([hex('2000 6558 0000002a'), INNER])),
      overIp(47, Buffer.concat([hex('0000 8847 00064140'), INNER_IP])),
      overIp(47, Buffer.concat([hex('3001 880b'), Buffer.from([0, INNER_IP.length + 4, 0, 9]), hex('00000001 ff03 0021'), INNER_IP])),
    ]
    const {got} = run(frames)
    expectInner(got[0], {type: 'gre', depth: 1, sourceIp: '192.0.2.1'})
    expect(got[0].tunnel?.id).toBeUndefined()
    expectInner(got[1], {type: 'gre', id: 0x1234})
    expectInner(got[2], {type: 'gre', id: 42})
    // MPLS inside GRE: the innermost layer is MPLS, the outer addresses are GRE's
    expectInner(got[3], {type: 'mpls', id: 100, depth: 2, sourceIp: '192.0.2.1', mplsLabels: [100]})
    expectInner(got[4], {type: 'gre', id: 9})
  })

  it('ERSPAN types I, II and III (with and without the platform sub-header, IP frame type)', () => {
    const frames = [
      overIp(47, Buffer.concat([hex('0000 88be'), INNER])),
      overIp(47, Buffer.concat([hex('1000 88be 00000001'), hex('1000 002a 00000003'), INNER])),
      overIp(47, Buffer.concat([hex('1000 22eb 00000001'), hex('2000 0007 00000000 0000 00 00'), INNER])),
      overIp(47, Buffer.concat([hex('1000 22eb 00000001'), hex('2000 0008 00000000 0000 00 01 1800000000000000'), INNER])),
      overIp(47, Buffer.concat([hex('1000 22eb 00000001'), hex('2000 0009 00000000 0000 08 00'), INNER_IP])),
    ]
    const {got, stats} = run(frames)
    expectInner(got[0], {type: 'erspan', depth: 1})
    expect(got[0].tunnel?.id).toBeUndefined()
    expectInner(got[1], {type: 'erspan', id: 42})
    expectInner(got[2], {type: 'erspan', id: 7})
    expectInner(got[3], {type: 'erspan', id: 8})
    expectInner(got[4], {type: 'erspan', id: 9})
    expect(stats.tunnels.get('erspan')).toBe(5)
  })

  it('MPLS: label stack, IPv4/IPv6 by nibble, pseudowire control word; non-IP payload is nonIp', () => {
    const stack = hex('003e8040 0012c140') // 1000, 300 (bottom)
    const frames = [
      ethernet({etherType: 0x8847, payload: Buffer.concat([stack, INNER_IP])}),
      ethernet({etherType: 0x8847, payload: Buffer.concat([hex('0012c140'), INNER6_IP])}),
      ethernet({etherType: 0x8847, payload: Buffer.concat([stack, hex('00000005'), INNER])}),
      ethernet({etherType: 0x8847, payload: Buffer.concat([stack, hex('00000005'), Buffer.alloc(20)])}),
    ]
    const {got, stats} = run(frames)
    expect(got).toHaveLength(3)
    expectInner(got[0], {type: 'mpls', id: 300, mplsLabels: [1000, 300]})
    expect(got[0].tunnel?.sourceIp).toBeUndefined()
    expect(got[1]).toMatchObject({src: '2001:db8::a', dstPort: 443, tunnel: {type: 'mpls', id: 300}})
    expectInner(got[2], {type: 'mpls', id: 300})
    expect(stats.nonIp).toBe(1)
  })

  it('GTP-U G-PDU with sequence number and extension headers; signalling stays plain UDP', () => {
    const body = Buffer.concat([hex('0000 00 85'), hex('01 10 09 00'), INNER_IP])
    const h = Buffer.alloc(8)
    h[0] = 0x34
    h[1] = 0xff
    h.writeUInt16BE(body.length, 2)
    h.writeUInt32BE(0xa001, 4)
    const echo = hex('32 01 0004 00000000 0001 0000')
    const {got, stats} = run([overUdp(2152, 2152, Buffer.concat([h, body])), overUdp(2152, 2152, echo)])
    expectInner(got[0], {type: 'gtpu', id: 0xa001, sourcePort: 2152})
    expect(got[1]).toMatchObject({src: '192.0.2.1', proto: 17, dstPort: 2152, tunnel: undefined})
    expect(stats.tunnels.get('gtpu')).toBe(1)
  })

  it('IP-in-IP, 6in4, 6in6 and 4in6', () => {
    const v6 = (nh: number, p: Buffer) => ethernet({etherType: 0x86dd, payload: ipv6({src: '2001:db8:f::1', dst: '2001:db8:f::2', nextHeader: nh, payload: p})})
    const {got} = run([overIp(4, INNER_IP), overIp(41, INNER6_IP), v6(41, INNER6_IP), v6(4, INNER_IP)])
    expectInner(got[0], {type: 'ipv4-in-ip', sourceIp: '192.0.2.1'})
    expect(got[1]).toMatchObject({src: '2001:db8::a', tunnel: {type: 'ipv6-in-ip', sourceIp: '192.0.2.1'}})
    expect(got[2]).toMatchObject({src: '2001:db8::a', tunnel: {type: 'ipv6-in-ip', sourceIp: '2001:db8:f::1'}})
    expectInner(got[3], {type: 'ipv4-in-ip', sourceIp: '2001:db8:f::1'})
  })

  it('PPPoE session with IPv4 and IPv6; PPP control protocols are nonIp; padding trimmed', () => {
    const pppoe = (proto: number, p: Buffer) => {
      const h = Buffer.alloc(8)
      h[0] = 0x11
      h.writeUInt16BE(0x1234, 2)
      h.writeUInt16BE(p.length + 2, 4)
      h.writeUInt16BE(proto, 6)
      return ethernet({etherType: 0x8864, payload: Buffer.concat([h, p])})
    }
    const {got, stats} = run([pppoe(0x21, INNER_IP), pppoe(0x57, INNER6_IP), pppoe(0xc021, Buffer.alloc(10)), Buffer.concat([pppoe(0x21, INNER_IP), Buffer.alloc(6)])])
    expectInner(got[0], {type: 'pppoe', id: 0x1234, depth: 1})
    expect(got[1]).toMatchObject({src: '2001:db8::a', tunnel: {type: 'pppoe'}})
    expectInner(got[2], {type: 'pppoe'})
    expect(got).toHaveLength(3)
    expect(stats.nonIp).toBe(1)
    expect(stats.malformed.size).toBe(0)
  })

  it('Teredo with authentication and origin indications; non-IPv6 payload stays plain UDP', () => {
    const auth = hex('0001 00 00 0102030405060708 00')
    const origin = hex('0000 c749 3ffffdfe')
    const {got} = run([
      overUdp(40001, 3544, INNER6_IP),
      overUdp(3544, 40001, Buffer.concat([origin, INNER6_IP])),
      overUdp(3544, 40001, Buffer.concat([auth, origin, INNER6_IP])),
      overUdp(3544, 40001, Buffer.from('not ipv6 at all, long enough to hold a header..........')),
    ])
    for (const g of got.slice(0, 3)) expect(g).toMatchObject({src: '2001:db8::a', dstPort: 443, payload: 'hi', tunnel: {type: 'teredo', sourcePort: expect.any(Number)}})
    expect(got[3]).toMatchObject({proto: 17, srcPort: 3544, tunnel: undefined})
  })

  it('malformed tunnel headers are counted and the outer packet is delivered as before', () => {
    const cases: [Buffer, string][] = [
      [vxlan(1, INNER, 0x00), 'vxlan: VNI flag not set'],
      [overUdp(1, 4789, Buffer.alloc(4)), 'vxlan: truncated header'],
      [overUdp(1, 6081, hex('40006558 00000100')), 'geneve: unknown version'],
      [overUdp(1, 6081, hex('0f006558 00000100')), 'geneve: truncated options'],
      [overUdp(2152, 2152, hex('30ff0000 00000001')), 'gtpu: empty G-PDU'],
      [overUdp(2152, 2152, Buffer.concat([hex('34ff000d 00000001 0000 00 85 00'), Buffer.alloc(8)])), 'gtpu: extension header length 0'],
      [overUdp(2152, 2152, hex('50ff0000 00000001')), 'gtpu: not GTPv1'],
      [overIp(47, hex('00')), 'gre: truncated header'],
      [overIp(47, hex('2000 0800 0000')), 'gre: truncated header'],
      [overIp(47, hex('0002 0800')), 'gre: unknown version'],
      [overIp(47, Buffer.concat([hex('1000 88be 00000001'), hex('3000 002a')])), 'erspan: truncated type II header'],
      [overIp(47, Buffer.concat([hex('1000 22eb 00000001'), hex('1000 0007 00000000 0000 00 00'), INNER])), 'erspan: bad type III version'],
    ]
    for (const [frame, reason] of cases) {
      const {got, stats} = run([frame])
      expect(stats.malformed.get(reason), reason).toBe(1)
      expect(got, reason).toHaveLength(1)
      expect(got[0], reason).toMatchObject({src: '192.0.2.1', dst: '192.0.2.2', tunnel: undefined})
    }
    // truncated inner headers once a tunnel is open: counted by the inner layer, nothing delivered
    const {got, stats} = run([ethernet({etherType: 0x8864, payload: hex('1100 0001 0004 0021 45')})])
    expect(got).toHaveLength(0)
    expect(stats.malformed.get('ipv4: truncated header')).toBe(1)
  })

  it('bounds the nesting depth (Limits.maxTunnelDepth)', () => {
    // ipip(ipip(ipip(ipip(ipip(tcp))))): 5 layers
    let p = INNER_IP
    for (let i = 0; i < 5; i++) p = ipv4({src: `192.0.2.${i + 1}`, dst: '192.0.2.100', proto: 4, payload: p})
    const frame = eth4(p)
    const deep = run([frame])
    expect(deep.got).toHaveLength(0)
    expect(deep.stats.malformed.get('tunnel: nesting deeper than maxTunnelDepth')).toBe(1)
    expect(deep.stats.limitsHit.get('maxTunnelDepth')).toBe(1)
    const ok = run([frame], {maxTunnelDepth: 5})
    expectInner(ok.got[0], {type: 'ipv4-in-ip', depth: 5, sourceIp: '192.0.2.1'})
    expect(ok.stats.tunnels.get('ipv4-in-ip')).toBe(5)
    expect(run([vxlan(1)], {maxTunnelDepth: 0}).got).toHaveLength(0)
  })

  it('untunneled packets: depth 0 and no tunnel state left over from the previous packet', () => {
    const {got, dps} = run([vxlan(9), INNER])
    expect(got[1]).toMatchObject({src: '10.1.1.1', tunnel: undefined, zone: 0})
    expect(dps[0]).toBe(dps[1]) // one reused DecodedPacket
    expect(dps[0].tunnel).toBe(dps[1].tunnel) // and one reused TunnelState
  })

  it('the VXLAN VNI is part of the connection key; GRE keys and GTP TEIDs are not', () => {
    const table = new ConnTable<Conn>()
    const conns: Conn[] = []
    // Key the delivered packets as the reassembler does (the DecodedPacket is reused)
    const stats = new Stats()
    const dec = new Decoder(
      {
        ip(p) {
          if (table.find(p) !== null) return
          const c = new Conn(conns.length + 1, 'tcp', p, true, 'first-packet')
          c.hash = table.lastHash
          table.insert(c)
          conns.push(c)
        },
      },
      DEFAULT_LIMITS,
      stats,
    )
    const pkt: Packet = {frame: 0, tsSec: 1, tsNsec: 0, linkType: 1, data: Buffer.alloc(0), origLen: 0, offset: 0}
    const key = (k: number) => overIp(47, Buffer.concat([hex('2000 0800'), Buffer.from([0, 0, 0, k]), INNER_IP]))
    for (const f of [vxlan(1), vxlan(2), vxlan(1), INNER, key(1), key(2)]) {
      pkt.frame++
      pkt.data = f
      pkt.origLen = f.length
      dec.packet(pkt)
    }
    // VNI 1, VNI 2, then the untunneled/GRE packets share one zone-0 connection
    expect(conns.map((c) => c.tunnel?.id ?? null)).toEqual([1, 2, null])
    expect(conns[0].zone).not.toBe(conns[1].zone)
  })

  it('opens a tunnel after the outer datagram is reassembled, and inner fragments inside a tunnel', () => {
    const big = tcpFrame({src: '10.1.1.1', dst: '10.1.1.2', srcPort: 40000, dstPort: 80, seq: 1, ack: 1, flags: 0x18, payload: Buffer.alloc(1200, 0x61)})
    const h = Buffer.alloc(8)
    h[0] = 0x08
    h.writeUInt32BE(7 << 8, 4)
    const outer = ipv4({src: '192.0.2.1', dst: '192.0.2.2', proto: 17, id: 99, payload: udp({srcPort: 5, dstPort: 4789, payload: Buffer.concat([h, big])}, '192.0.2.1', '192.0.2.2')})
    const innerFrags = fragmentIpv4(big.subarray(14), 600).map((f) => overIp(4, f))
    const {got, stats} = run([...fragmentIpv4(outer, 500).map(eth4), ...innerFrags])
    expect(got).toHaveLength(2)
    expect(got[0]).toMatchObject({src: '10.1.1.1', dstPort: 80, tunnel: {type: 'vxlan', id: 7, sourceIp: '192.0.2.1'}})
    expect(got[0].payload).toBe('a'.repeat(1200))
    expect(got[1]).toMatchObject({src: '10.1.1.1', dstPort: 80, tunnel: {type: 'ipv4-in-ip'}})
    expect(got[1].payload).toBe('a'.repeat(1200))
    expect(stats.fragmentsReassembled).toBe(2)
  })

  it('never throws on any truncation of tunneled frames', () => {
    const frames = [
      vxlan(1),
      overUdp(1, 6081, Buffer.concat([hex('02006558 00004d00 01028001 deadbeef'), INNER])),
      overIp(47, Buffer.concat([hex('b000 0800 00000000 00001234 00000009'), INNER_IP])),
      overIp(47, Buffer.concat([hex('1000 22eb 00000001'), hex('2000 0008 00000000 0000 00 01 1800000000000000'), INNER])),
      overIp(47, Buffer.concat([hex('4000 0800 00000000 0001 00 04 01020304 0000 00 00'), INNER_IP])),
      overUdp(2152, 2152, Buffer.concat([hex('34ff0030 0000a001 0000 00 85 01 10 09 00'), INNER_IP])),
      overUdp(3544, 1, Buffer.concat([hex('0001 02 02 aabb ccdd 0102030405060708 00 0000 c749 3ffffdfe'), INNER6_IP])),
      ethernet({etherType: 0x8847, payload: Buffer.concat([hex('003e8040 0012c140 00000005'), INNER])}),
    ]
    const cuts: Buffer[] = []
    for (const f of frames) for (let n = 0; n <= f.length; n++) cuts.push(f.subarray(0, n))
    const {stats} = run(cuts)
    expect(stats.malformed.size).toBeGreaterThan(0)
    // and on random byte corruption of the tunnel headers (deterministic xorshift)
    let x = 0x9e3779b9
    const rnd = (n: number) => {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      return (x >>> 0) % n
    }
    const bad: Buffer[] = []
    for (let i = 0; i < 4000; i++) {
      const f = Buffer.from(frames[i % frames.length])
      for (let k = 0; k < 3; k++) f[14 + rnd(Math.min(80, f.length - 14))] = rnd(256)
      bad.push(f)
    }
    expect(() => run(bad)).not.toThrow()
    // corruption is seen: some frames are counted as malformed, some still deliver an inner packet
    const r = run(bad)
    expect(r.stats.malformed.size).toBeGreaterThan(0)
    expect(r.got.some((g) => g.tunnel !== undefined)).toBe(true)
  })
})
