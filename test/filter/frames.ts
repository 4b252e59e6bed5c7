/** Frame builders for filter tests (network byte order), and a synthetic capture per link type. */
import {LinkType} from '../../src/capture/types.js'


const be16 = (n: number) => [n >> 8, n & 0xff]
const v4 = (s: string) => s.split('.').map(Number)

export function tcpUdp(sport: number, dport: number, extra = 16): number[] {
  return [...be16(sport), ...be16(dport), ...new Array(extra).fill(0)]
}

export interface V4 {
  proto?: number
  src?: string
  dst?: string
  /** 32-bit words of options. */
  optionWords?: number
  /** Fragment offset in 8-byte units, and the MF flag. */
  fragOffset?: number
  moreFragments?: boolean
}

export function ipv4(payload: number[], o: V4 = {}): number[] {
  const ihl = 5 + (o.optionWords ?? 0)
  const total = ihl * 4 + payload.length
  const frag = ((o.moreFragments ? 0x2000 : 0) | (o.fragOffset ?? 0)) & 0xffff
  const h = [0x40 | ihl, 0, ...be16(total), 0, 1, ...be16(frag), 64, o.proto ?? 6, 0, 0, ...v4(o.src ?? '10.0.0.1'), ...v4(o.dst ?? '10.0.0.2')]
  for (let i = 0; i < (o.optionWords ?? 0); i++) h.push(1, 1, 1, 1) // NOPs
  return [...h, ...payload]
}

export function ipv6(nextHeader: number, payload: number[], src = '2001:db8::1', dst = '2001:db8::2'): number[] {
  const addr = (s: string) => {
    const [hi, lo] = s.split('::')
    const g = [...hi.split(':').filter(Boolean), ...new Array(8 - hi.split(':').filter(Boolean).length - (lo ? lo.split(':').length : 0)).fill('0'), ...(lo ? lo.split(':') : [])]
    return g.flatMap((x) => be16(Number.parseInt(x, 16)))
  }
  return [0x60, 0, 0, 0, ...be16(payload.length), nextHeader, 64, ...addr(src), ...addr(dst), ...payload]
}

const MAC_A = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]
const MAC_B = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb]

/** Ethernet frame; `tags` are [TPID, VID] pairs, outermost first. */
export function eth(etherType: number, payload: number[], tags: [number, number][] = []): Buffer {
  const t = tags.flatMap(([tpid, vid]) => [...be16(tpid), ...be16(vid)])
  return Buffer.from([...MAC_B, ...MAC_A, ...t, ...be16(etherType), ...payload])
}

export const sll = (proto: number, payload: number[]) => Buffer.from([0, 0, 0, 1, 0, 6, ...MAC_A, 0, 0, ...be16(proto), ...payload])
export const sll2 = (proto: number, payload: number[]) => Buffer.from([...be16(proto), 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, ...MAC_A, 0, 0, ...payload])
export const nullLE = (af: number, payload: number[]) => Buffer.from([af, 0, 0, 0, ...payload])
export const nullBE = (af: number, payload: number[]) => Buffer.from([0, 0, 0, af, ...payload])

export function arp(spa: string, tpa: string): number[] {
  return [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...v4(spa), 0, 0, 0, 0, 0, 0, ...v4(tpa)]
}


/** A synthetic frame: captured bytes and wire length. */
export interface SynthFrame {
  data: Buffer
  wireLen: number
}

/** `frame` cut at every length from 0 to its own (wire length: the whole frame). */
function truncations(frame: Buffer): SynthFrame[] {
  const out: SynthFrame[] = []
  for (let n = 0; n <= frame.length; n++) out.push({data: frame.subarray(0, n), wireLen: frame.length})
  return out
}

const whole = (data: Buffer): SynthFrame => ({data, wireLen: data.length})

/**
 * Frames that exercise what the corpus lacks (IPv4 options, SCTP, RARP, 0x9100 and 802.1ad tags,
 * IPv6 fragment and hop-by-hop headers, both NULL byte orders) and every truncation of a few of
 * them, per link type; for comparison with tcpdump.
 */
export function syntheticCaptures(): {linkType: number; name: string; frames: SynthFrame[]}[] {
  const tcp80 = ipv4(tcpUdp(40000, 80), {src: '10.0.0.1', dst: '10.0.0.2', optionWords: 2})
  const dns = ipv4(tcpUdp(5353, 53), {proto: 17, src: '192.168.1.1', dst: '10.0.0.2'})
  const dnsFirst = ipv4(tcpUdp(5353, 53), {proto: 17, moreFragments: true})
  const dnsLater = ipv4(tcpUdp(5353, 53), {proto: 17, fragOffset: 185})
  const sctp = ipv4(tcpUdp(9, 80), {proto: 132})
  const icmp = ipv4([8, 0, 0, 0, 0, 1, 0, 1], {proto: 1, src: '127.0.0.1', dst: '127.0.0.1'})
  const v6tcp = ipv6(6, tcpUdp(443, 80))
  const v6frag = ipv6(44, [17, 0, 0, 1, 0, 0, 0, 7, ...tcpUdp(53, 5353)], 'fe80::1', 'ff02::fb')
  const v6hbh = ipv6(0, [6, 0, 1, 4, 0, 0, 0, 0, ...tcpUdp(443, 80)], '::1', '::1')
  const icmp6 = ipv6(58, [128, 0, 0, 0, 0, 1, 0, 1])
  const l3 = [tcp80, dns, dnsFirst, dnsLater, sctp, icmp]
  const l6 = [v6tcp, v6frag, v6hbh, icmp6]
  const ether: SynthFrame[] = [
    ...l3.map((p) => whole(eth(0x0800, p))),
    ...l6.map((p) => whole(eth(0x86dd, p))),
    whole(eth(0x0806, arp('192.168.1.1', '10.0.0.2'))),
    whole(eth(0x8035, arp('10.0.0.1', '192.168.1.2'))),
    whole(eth(0x0800, tcp80, [[0x8100, 100]])),
    whole(eth(0x86dd, v6frag, [[0x8100, 200]])),
    whole(eth(0x0800, dns, [[0x9100, 101], [0x8100, 600]])),
    whole(eth(0x0800, tcp80, [[0x88a8, 30], [0x8100, 100]])),
    whole(eth(0x0806, arp('192.168.1.1', '10.0.0.2'), [[0x8100, 100]])),
    ...truncations(eth(0x0800, tcp80, [[0x8100, 100]])),
    ...truncations(eth(0x86dd, v6frag)),
    ...truncations(eth(0x0806, arp('192.168.1.1', '10.0.0.2'))),
  ]
  const wrap = (w: (proto: number, p: number[]) => Buffer, four: number, six: number): SynthFrame[] => [
    ...l3.map((p) => whole(w(four, p))),
    ...l6.map((p) => whole(w(six, p))),
    ...truncations(w(four, tcp80)),
    ...truncations(w(six, v6frag)),
  ]
  const raw = (_: number, p: number[]) => Buffer.from(p)
  return [
    {linkType: LinkType.ETHERNET, name: 'ethernet', frames: ether},
    {
      linkType: LinkType.LINUX_SLL,
      name: 'sll',
      frames: [...wrap(sll, 0x0800, 0x86dd), whole(sll(0x0806, arp('192.168.1.1', '10.0.0.2')))],
    },
    {linkType: LinkType.LINUX_SLL2, name: 'sll2', frames: [...wrap(sll2, 0x0800, 0x86dd), whole(sll2(0x0806, arp('192.168.1.1', '10.0.0.2')))]},
    {linkType: LinkType.NULL, name: 'null-le', frames: [...wrap(nullLE, 2, 30), whole(nullLE(24, v6tcp)), whole(nullLE(28, v6tcp)), whole(nullLE(10, v6tcp))]},
    {linkType: LinkType.NULL, name: 'null-be', frames: wrap(nullBE, 2, 24)},
    {linkType: LinkType.LOOP, name: 'loop', frames: [...wrap(nullBE, 2, 28), whole(nullLE(2, tcp80))]},
    {linkType: LinkType.RAW, name: 'raw', frames: wrap(raw, 0, 0)},
    {linkType: LinkType.IPV4, name: 'ipv4', frames: [...l3.map((p) => whole(Buffer.from(p))), ...truncations(Buffer.from(tcp80))]},
    {linkType: LinkType.IPV6, name: 'ipv6', frames: [...l6.map((p) => whole(Buffer.from(p))), ...truncations(Buffer.from(v6frag))]},
  ]
}
