/**
 * The packet builders are trusted by every other test suite, so their checksums are re-verified here
 * with an independent implementation (summing whole headers must give 0xffff).
 */
import {describe, expect, it} from 'vitest'
import {TcpFlag} from '../../../src/decode/types.js'
import {
  fragmentIpv4,
  fragmentIpv6,
  icmpEcho,
  ipv4,
  ipv6,
  ipv6OptionsHeader,
  pcapFile,
  TcpConversation,
  tcp,
  tcpFrame,
  udp,
  udpFrame,
} from './packets.js'

/** Independent one's-complement sum over byte arrays, folded to 16 bits. */
function fold(...chunks: number[][]): number {
  let s = 0
  for (const c of chunks) {
    const bytes = c.length % 2 ? [...c, 0] : c
    for (let i = 0; i < bytes.length; i += 2) {
      s += bytes[i] * 256 + bytes[i + 1]
      s = (s & 0xffff) + (s >> 16)
    }
  }
  return s
}
const v4 = (s: string) => s.split('.').map(Number)
function v6(s: string): number[] {
  // only full-form test addresses are used with this helper: 8 groups
  return s.split(':').flatMap((g) => [Number.parseInt(g, 16) >> 8, Number.parseInt(g, 16) & 0xff])
}
function pseudo4(src: string, dst: string, proto: number, len: number): number[] {
  return [...v4(src), ...v4(dst), 0, proto, len >> 8, len & 0xff]
}
function pseudo6(src: string, dst: string, nh: number, len: number): number[] {
  return [...v6(src), ...v6(dst), 0, 0, len >> 8, len & 0xff, 0, 0, 0, nh]
}

describe('checksums', () => {
  it('IPv4 header checksum (with options) verifies', () => {
    const p = ipv4({src: '192.0.2.1', dst: '198.51.100.7', proto: 17, payload: Buffer.from('abc'), options: Buffer.from([0x94, 4, 0, 0]), id: 0xbeef})
    const ihl = (p[0] & 15) * 4
    expect(ihl).toBe(24)
    expect(fold([...p.subarray(0, ihl)])).toBe(0xffff)
    expect(p.readUInt16BE(10)).not.toBe(0)
  })

  it.each([0, 1, 2, 3, 1000, 1001])('TCP over IPv4 with %d payload bytes verifies', (n) => {
    const payload = Buffer.alloc(n, 0x5a)
    const seg = tcp({srcPort: 1234, dstPort: 80, seq: 0xfffffff0, ack: 7, flags: TcpFlag.ACK, payload, options: Buffer.from([2, 4, 5, 0xb4, 1])}, '10.0.0.1', '10.0.0.2')
    expect(seg[12] >> 4).toBe(7) // (20 + 5 option bytes padded to 8) / 4
    expect(fold(pseudo4('10.0.0.1', '10.0.0.2', 6, seg.length), [...seg])).toBe(0xffff)
  })

  it.each([0, 1, 513])('TCP and UDP over IPv6 with %d payload bytes verify', (n) => {
    const a = '2001:db8:0:0:0:0:0:1'
    const b = 'fe80:0:0:0:1:2:3:4'
    const payload = Buffer.alloc(n, 0xa5)
    const t = tcp({srcPort: 5, dstPort: 6, seq: 1, flags: TcpFlag.SYN, payload}, a, b)
    expect(fold(pseudo6(a, b, 6, t.length), [...t])).toBe(0xffff)
    const u = udp({srcPort: 53, dstPort: 5353, payload}, a, b)
    expect(fold(pseudo6(a, b, 17, u.length), [...u])).toBe(0xffff)
  })

  it('UDP over IPv4 and ICMPv6 echo verify', () => {
    const u = udp({srcPort: 53, dstPort: 40000, payload: Buffer.from('hello')}, '10.1.1.1', '10.2.2.2')
    expect(fold(pseudo4('10.1.1.1', '10.2.2.2', 17, u.length), [...u])).toBe(0xffff)
    const a = '2001:db8:0:0:0:0:0:1'
    const b = '2001:db8:0:0:0:0:0:2'
    const e = icmpEcho(128, 1, 2, Buffer.from('ping'), {src: a, dst: b})
    expect(fold(pseudo6(a, b, 58, e.length), [...e])).toBe(0xffff)
    const e4 = icmpEcho(8, 1, 2, Buffer.from('ping'))
    expect(fold([...e4])).toBe(0xffff)
  })

  it('tcpFrame and udpFrame carry valid IP and transport checksums', () => {
    const f = tcpFrame({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 3, flags: TcpFlag.PSH | TcpFlag.ACK, payload: Buffer.from('xyz'), vlan: [5], ipId: 99})
    expect(f.readUInt16BE(12)).toBe(0x8100)
    const ip = f.subarray(18)
    expect(ip.readUInt16BE(4)).toBe(99)
    expect(fold([...ip.subarray(0, 20)])).toBe(0xffff)
    expect(fold(pseudo4('10.0.0.1', '10.0.0.2', 6, ip.length - 20), [...ip.subarray(20)])).toBe(0xffff)
    const g = udpFrame({src: '2001:db8:0:0:0:0:0:1', dst: '2001:db8:0:0:0:0:0:2', srcPort: 1, dstPort: 2, payload: Buffer.from('q')})
    expect(g.readUInt16BE(12)).toBe(0x86dd)
    const u = g.subarray(14 + 40)
    expect(fold(pseudo6('2001:db8:0:0:0:0:0:1', '2001:db8:0:0:0:0:0:2', 17, u.length), [...u])).toBe(0xffff)
  })
})

describe('fragment builders', () => {
  it('fragmentIpv4 cuts at multiples of 8, keeps only copied options after the first, valid checksums', () => {
    // option 0x83 (LSRR, copied) and 0x07 (record route, not copied)
    const opts = Buffer.from([0x83, 7, 4, 1, 2, 3, 4, 0x07, 7, 4, 0, 0, 0, 0])
    const data = Buffer.from(Array.from({length: 300}, (_, i) => i & 0xff))
    const p = ipv4({src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: data, options: opts, id: 7})
    const frags = fragmentIpv4(p, 100)
    const rebuilt: Buffer[] = []
    let expectOffset = 0
    frags.forEach((f, i) => {
      const ihl = (f[0] & 15) * 4
      expect(f.length).toBeLessThanOrEqual(100)
      expect(fold([...f.subarray(0, ihl)])).toBe(0xffff)
      expect(f.readUInt16BE(2)).toBe(f.length)
      expect(f.readUInt16BE(4)).toBe(7)
      const ff = f.readUInt16BE(6)
      expect((ff & 0x1fff) * 8).toBe(expectOffset)
      expect((ff & 0x2000) !== 0).toBe(i < frags.length - 1)
      if (i === 0) expect(ihl).toBe(36)
      else {
        expect(ihl).toBe(28) // 7 bytes of LSRR padded to 8
        expect(f[20]).toBe(0x83)
      }
      if (i < frags.length - 1) expect((f.length - ihl) % 8).toBe(0)
      rebuilt.push(f.subarray(ihl))
      expectOffset += f.length - ihl
    })
    expect(Buffer.concat(rebuilt)).toEqual(data)
  })

  it('fragmentIpv6 repeats the unfragmentable part and inserts fragment headers', () => {
    const data = Buffer.alloc(200, 7)
    const p = ipv6({src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17, payload: data, extHeaders: [ipv6OptionsHeader(0), ipv6OptionsHeader(60)]})
    const frags = fragmentIpv6(p, 120, 0xdeadbeef)
    expect(frags.length).toBeGreaterThan(1)
    const pieces: Buffer[] = []
    frags.forEach((f, i) => {
      expect(f.length).toBeLessThanOrEqual(120)
      expect(f.readUInt16BE(4)).toBe(f.length - 40)
      expect(f[6]).toBe(0) // hop-by-hop stays first (unfragmentable)
      expect(f[40]).toBe(44) // hop-by-hop now points at the fragment header
      expect(f[48]).toBe(60) // fragment header's next header: the destination options (fragmentable)
      expect(f.readUInt32BE(52)).toBe(0xdeadbeef)
      expect((f.readUInt16BE(50) & 1) === 1).toBe(i < frags.length - 1)
      pieces.push(f.subarray(56))
    })
    // fragmentable part = dest options (8) + data
    expect(Buffer.concat(pieces)).toEqual(p.subarray(48))
  })
})

describe('TcpConversation', () => {
  it('produces consistent seq/ack numbers, MSS splits and timestamps', () => {
    const c = new TcpConversation({client: '10.0.0.1', server: '10.0.0.2', serverPort: 8080, mss: 10, clientIsn: 0xfffffffe, serverIsn: 100, startSec: 50, stepNs: 600_000_000})
    c.handshake().send('client', 'x'.repeat(25)).send('server', 'ok').close()
    const f = c.frames
    const hdr = (b: Buffer) => ({
      sport: b.readUInt16BE(34),
      dport: b.readUInt16BE(36),
      seq: b.readUInt32BE(38),
      ack: b.readUInt32BE(42),
      flags: b[47],
      len: b.length - 54,
    })
    const h = f.map((x) => hdr(x.data))
    // SYN, SYN-ACK, ACK, 3 client segments, 1 server segment, FIN, FIN, ACK
    expect(h.map((x) => x.flags)).toEqual([0x02, 0x12, 0x10, 0x10, 0x10, 0x18, 0x18, 0x11, 0x11, 0x10])
    expect(h.map((x) => x.len)).toEqual([0, 0, 0, 10, 10, 5, 2, 0, 0, 0])
    expect(h[0].seq).toBe(0xfffffffe)
    expect(h[1].ack).toBe(0xffffffff)
    expect(h[3].seq).toBe(0xffffffff)
    expect(h[4].seq).toBe(9) // wrapped: 0xffffffff + 10
    expect(h[5].seq).toBe(19)
    expect(h[6].seq).toBe(101)
    expect(h[6].ack).toBe(24)
    expect(h[7].seq).toBe(24) // client FIN
    expect(h[8].ack).toBe(25) // server acks FIN
    expect(h[9].seq).toBe(25)
    expect(h[9].ack).toBe(104)
    expect(h[0].dport).toBe(8080)
    expect(h[1].sport).toBe(8080)
    expect(f.map((x) => [x.tsSec, x.tsNsec]).slice(0, 3)).toEqual([
      [50, 0],
      [50, 600_000_000],
      [51, 200_000_000],
    ])
    expect(c.nextSeq('client')).toBe(25)
  })

  it('autoAck, wait, segment and drain', () => {
    const c = new TcpConversation({client: '2001:db8::1', server: '2001:db8::2', autoAck: true, startSec: 10, stepNs: 1})
    c.send('client', 'abc').wait(2.5)
    const s0 = c.nextSeq('client')
    c.segment('client', {flags: TcpFlag.ACK, payload: 'abc', seq: s0 - 3}) // retransmission
    const f = c.drain()
    expect(c.frames).toEqual([])
    expect(f).toHaveLength(3)
    expect(f[1].data[14 + 40 + 13]).toBe(TcpFlag.ACK) // the automatic pure ACK
    expect(f[1].data.length).toBe(14 + 40 + 20)
    expect(f[2].data.readUInt32BE(14 + 40 + 4)).toBe(s0 - 3)
    expect(f[2].tsSec).toBe(12)
    expect(f[2].tsNsec).toBe(500_000_002)
    expect(c.nextSeq('client')).toBe(s0)
  })
})

describe('pcapFile', () => {
  it('writes a classic pcap with snaplen-cut records', () => {
    const frames = [
      {data: Buffer.alloc(100, 1), tsSec: 5, tsNsec: 123_456_789},
      {data: Buffer.alloc(10, 2), tsSec: 6, tsNsec: 0},
    ]
    const f = pcapFile(frames, {snaplen: 64})
    expect(f.readUInt32LE(0)).toBe(0xa1b2c3d4)
    expect(f.readUInt32LE(16)).toBe(64)
    expect(f.readUInt32LE(20)).toBe(1)
    expect([f.readUInt32LE(24), f.readUInt32LE(28), f.readUInt32LE(32), f.readUInt32LE(36)]).toEqual([5, 123456, 64, 100])
    expect(f.length).toBe(24 + 16 + 64 + 16 + 10)
    const n = pcapFile(frames, {nanosecond: true, bigEndian: true, linkType: 101})
    expect(n.readUInt32BE(0)).toBe(0xa1b23c4d)
    expect(n.readUInt32BE(20)).toBe(101)
    expect(n.readUInt32BE(28)).toBe(123_456_789)
  })
})
