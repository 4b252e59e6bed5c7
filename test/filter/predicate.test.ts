import {describe, expect, it} from 'vitest'
import {LinkType} from '../../src/capture/types.js'
import {compileFilter} from '../../src/filter/index.js'
import {arp, eth, ipv4, ipv6, nullBE, nullLE, sll, sll2, tcpUdp} from './frames.js'

const E = LinkType.ETHERNET

function m(expr: string, frame: Buffer, linkType: number = E, wireLen?: number): boolean {
  return compileFilter(expr).match(frame, linkType, wireLen)
}

const http = ipv4(tcpUdp(40000, 80), {src: '10.0.0.1', dst: '10.0.0.2'})

describe('packet filter: IPv4 over Ethernet', () => {
  const f = eth(0x0800, http)

  it('protocols, hosts, nets, ports', () => {
    expect(m('ip', f)).toBe(true)
    expect(m('tcp', f)).toBe(true)
    expect(m('udp', f)).toBe(false)
    expect(m('ip6', f)).toBe(false)
    expect(m('host 10.0.0.1', f)).toBe(true)
    expect(m('src host 10.0.0.1', f)).toBe(true)
    expect(m('dst host 10.0.0.1', f)).toBe(false)
    expect(m('src and dst host 10.0.0.1', f)).toBe(false)
    expect(m('src and dst net 10.0.0.0/24', f)).toBe(true)
    expect(m('net 10.0.0.0 mask 255.255.255.252', f)).toBe(true)
    expect(m('net 10.0.0.4/30', f)).toBe(false)
    expect(m('net 10', f)).toBe(true)
    expect(m('tcp port 80', f)).toBe(true)
    expect(m('udp port 80', f)).toBe(false)
    expect(m('src port 80', f)).toBe(false)
    expect(m('dst port 80', f)).toBe(true)
    expect(m('src and dst port 80', f)).toBe(false)
    expect(m('portrange 79-81', f)).toBe(true)
    expect(m('portrange 40001-65535', f)).toBe(false)
    expect(m('src portrange 40000-40000', f)).toBe(true)
    expect(m('ip proto 6', f)).toBe(true)
    expect(m('proto 17', f)).toBe(false)
    expect(m('tcp port 443 or 80', f)).toBe(true)
    expect(m('not tcp port 80', f)).toBe(false)
  })

  it('finds the ports behind IPv4 options (IHL > 5)', () => {
    const opt = eth(0x0800, ipv4(tcpUdp(1, 8080), {optionWords: 3}))
    expect(m('tcp dst port 8080', opt)).toBe(true)
    expect(m('tcp src port 1', opt)).toBe(true)
  })

  it('port tests are false on non-first fragments, true on the first one; protocol tests match all', () => {
    const first = eth(0x0800, ipv4(tcpUdp(53, 53), {proto: 17, moreFragments: true}))
    const later = eth(0x0800, ipv4(tcpUdp(53, 53), {proto: 17, fragOffset: 185}))
    expect(m('udp port 53', first)).toBe(true)
    expect(m('udp port 53', later)).toBe(false)
    expect(m('not port 53', later)).toBe(true)
    expect(m('udp', later)).toBe(true)
  })

  it('udp, icmp, sctp', () => {
    expect(m('udp port 53', eth(0x0800, ipv4(tcpUdp(1234, 53), {proto: 17})))).toBe(true)
    expect(m('sctp port 53', eth(0x0800, ipv4(tcpUdp(1234, 53), {proto: 132})))).toBe(true)
    expect(m('port 53', eth(0x0800, ipv4(tcpUdp(1234, 53), {proto: 132})))).toBe(true)
    expect(m('icmp', eth(0x0800, ipv4([8, 0, 0, 0], {proto: 1})))).toBe(true)
    expect(m('icmp6', eth(0x0800, ipv4([8, 0, 0, 0], {proto: 1})))).toBe(false)
  })

  it('ether addresses', () => {
    expect(m('ether src 00:11:22:33:44:55', f)).toBe(true)
    expect(m('ether dst 00:11:22:33:44:55', f)).toBe(false)
    expect(m('ether host 66:77:88:99:aa:bb', f)).toBe(true)
    expect(m('ether src and dst host 66:77:88:99:aa:bb', f)).toBe(false)
  })

  it('less and greater compare the wire length (default: the captured length)', () => {
    expect(m('less 54', f)).toBe(f.length <= 54)
    expect(m(`less ${f.length}`, f)).toBe(true)
    expect(m(`greater ${f.length}`, f)).toBe(true)
    expect(m(`greater ${f.length + 1}`, f)).toBe(false)
    expect(m('greater 1500', f, E, 1514)).toBe(true)
    expect(m('less 1500', f, E, 1514)).toBe(false)
  })
})

describe('packet filter: ARP', () => {
  const a = eth(0x0806, arp('192.168.1.1', '192.168.1.2'))
  it('host and net without a protocol qualifier also match ARP sender/target addresses, as in libpcap', () => {
    expect(m('arp', a)).toBe(true)
    expect(m('host 192.168.1.1', a)).toBe(true)
    expect(m('src host 192.168.1.1', a)).toBe(true)
    expect(m('dst host 192.168.1.1', a)).toBe(false)
    expect(m('dst net 192.168.1.0/24', a)).toBe(true)
    expect(m('arp host 192.168.1.2', a)).toBe(true)
    expect(m('ip host 192.168.1.1', a)).toBe(false)
    expect(m('rarp host 192.168.1.1', a)).toBe(false)
    expect(m('rarp host 192.168.1.1', eth(0x8035, arp('192.168.1.1', '192.168.1.2')))).toBe(true)
    expect(m('host 192.168.1.1', sll(0x0806, arp('192.168.1.1', '192.168.1.2')), LinkType.LINUX_SLL)).toBe(true)
  })
})

describe('packet filter: IPv6', () => {
  it('hosts, nets and ports in the fixed header', () => {
    const f = eth(0x86dd, ipv6(6, tcpUdp(443, 50000)))
    expect(m('ip6', f)).toBe(true)
    expect(m('ip', f)).toBe(false)
    expect(m('tcp', f)).toBe(true)
    expect(m('tcp src port 443', f)).toBe(true)
    expect(m('host 2001:db8::2', f)).toBe(true)
    expect(m('src host 2001:db8::2', f)).toBe(false)
    expect(m('net 2001:db8::/32', f)).toBe(true)
    expect(m('net 2001:db9::/32', f)).toBe(false)
    expect(m('net 2001:db8::/31', f)).toBe(true)
    expect(m('src and dst net 2001:db8::/126', f)).toBe(true)
    expect(m('net ::/0', f)).toBe(true)
    expect(m('host 10.0.0.1', f)).toBe(false)
  })

  it('protocol tests look through one fragment header; port tests do not (libpcap)', () => {
    const frag = [6, 0, 0, 1, 0, 0, 0, 7] // next header TCP, offset 0, M=1
    const f = eth(0x86dd, ipv6(44, [...frag, ...tcpUdp(443, 50000)]))
    expect(m('tcp', f)).toBe(true)
    expect(m('ip6 proto 6', f)).toBe(true)
    expect(m('tcp port 443', f)).toBe(false)
  })

  it('protocol and port tests do not follow other extension headers (libpcap)', () => {
    const hbh = [6, 0, 1, 4, 0, 0, 0, 0]
    const f = eth(0x86dd, ipv6(0, [...hbh, ...tcpUdp(443, 50000)]))
    expect(m('tcp', f)).toBe(false)
    expect(m('port 443', f)).toBe(false)
    expect(m('ip6 proto 0', f)).toBe(true)
  })

  it('icmp6', () => {
    expect(m('icmp6', eth(0x86dd, ipv6(58, [128, 0, 0, 0])))).toBe(true)
    expect(m('icmp', eth(0x86dd, ipv6(58, [128, 0, 0, 0])))).toBe(false)
  })
})

describe('packet filter: VLAN tags (libpcap semantics)', () => {
  const tagged = eth(0x0800, http, [[0x8100, 100]])
  const qinq = eth(0x0800, http, [
    [0x88a8, 30],
    [0x8100, 100],
  ])

  it('without vlan, tagged frames are not looked into', () => {
    expect(m('tcp', tagged)).toBe(false)
    expect(m('ip', tagged)).toBe(false)
    expect(m('host 10.0.0.1', tagged)).toBe(false)
  })

  it('vlan [id] matches a tag and moves what follows past it', () => {
    expect(m('vlan', tagged)).toBe(true)
    expect(m('vlan 100', tagged)).toBe(true)
    expect(m('vlan 101', tagged)).toBe(false)
    expect(m('vlan and tcp port 80', tagged)).toBe(true)
    expect(m('vlan 100 and host 10.0.0.2', tagged)).toBe(true)
    expect(m('tcp and vlan', tagged)).toBe(false)
    expect(m('vlan and ether src 00:11:22:33:44:55', tagged)).toBe(true)
    expect(m('vlan', eth(0x0800, http))).toBe(false)
  })

  it('stacked tags: one vlan per tag; 802.1ad (0x88a8) and 0x9100 count as tags', () => {
    expect(m('vlan and tcp', qinq)).toBe(false)
    expect(m('vlan 30 and vlan 100 and tcp', qinq)).toBe(true)
    expect(m('vlan and vlan 30', qinq)).toBe(false)
    expect(m('vlan 999 or vlan 100', qinq)).toBe(true) // the second vlan looks at the inner tag
    expect(m('vlan and tcp', eth(0x0800, http, [[0x9100, 7]]))).toBe(true)
  })

  it('the VLAN id is the low 12 bits of the TCI (priority bits ignored)', () => {
    expect(m('vlan 100', eth(0x0800, http, [[0x8100, 0xe000 | 100]]))).toBe(true)
  })
})

describe('packet filter: link types', () => {
  const udp53 = ipv4(tcpUdp(5353, 53), {proto: 17})
  const v6 = ipv6(17, tcpUdp(5353, 53))

  it.each([
    ['Linux SLL', LinkType.LINUX_SLL, sll(0x0800, udp53), sll(0x86dd, v6)],
    ['Linux SLL2', LinkType.LINUX_SLL2, sll2(0x0800, udp53), sll2(0x86dd, v6)],
    ['NULL little-endian', LinkType.NULL, nullLE(2, udp53), nullLE(30, v6)],
    ['NULL big-endian', LinkType.NULL, nullBE(2, udp53), nullBE(24, v6)],
    ['LOOP', LinkType.LOOP, nullBE(2, udp53), nullBE(28, v6)],
    ['RAW', LinkType.RAW, Buffer.from(udp53), Buffer.from(v6)],
    ['BSD DLT_RAW 12', LinkType.RAW_BSD12, Buffer.from(udp53), Buffer.from(v6)],
    ['BSD DLT_RAW 14', LinkType.RAW_BSD14, Buffer.from(udp53), Buffer.from(v6)],
  ])('%s', (_name, lt, four, six) => {
    expect(m('ip and udp port 53', four, lt)).toBe(true)
    expect(m('ip6', four, lt)).toBe(false)
    expect(m('host 10.0.0.2', four, lt)).toBe(true)
    expect(m('ip6 and udp dst port 53', six, lt)).toBe(true)
    expect(m('ip', six, lt)).toBe(false)
    expect(m('host 2001:db8::1', six, lt)).toBe(true)
  })

  it('IPV4 and IPV6 link types need no type field', () => {
    expect(m('ip', Buffer.alloc(0), LinkType.IPV4)).toBe(true)
    expect(m('ip6', Buffer.alloc(0), LinkType.IPV4)).toBe(false)
    expect(m('udp port 53', Buffer.from(udp53), LinkType.IPV4)).toBe(true)
    expect(m('ip6 and udp port 53', Buffer.from(v6), LinkType.IPV6)).toBe(true)
    expect(m('ip', Buffer.from(v6), LinkType.IPV6)).toBe(false)
  })

  it('NULL: Linux AF_INET6 (10) is not IPv6 for libpcap; LOOP is big-endian only', () => {
    expect(m('ip6', nullLE(10, v6), LinkType.NULL)).toBe(false)
    expect(m('ip', nullLE(2, udp53), LinkType.LOOP)).toBe(false)
  })

  it('arp/rarp are false without reading on link types that cannot carry them', () => {
    expect(m('arp', nullLE(2, udp53), LinkType.NULL)).toBe(false)
    expect(m('not arp', Buffer.alloc(0), LinkType.RAW)).toBe(true)
  })

  it('vlan and ether need Ethernet: on other link types nothing matches (libpcap refuses to compile)', () => {
    const f = compileFilter('vlan or udp')
    expect(f.match(sll(0x0800, udp53), LinkType.LINUX_SLL)).toBe(false)
    expect(f.unsupportedOn(LinkType.LINUX_SLL)).toMatch(/need Ethernet/)
    expect(f.unsupportedOn(LinkType.ETHERNET)).toBeNull()
    expect(compileFilter('not ether host 1:2:3:4:5:6').match(nullLE(2, udp53), LinkType.NULL)).toBe(false)
  })

  it('unknown link types match nothing', () => {
    const f = compileFilter('less 10000')
    expect(f.match(Buffer.from(udp53), 105)).toBe(false)
    expect(f.unsupportedOn(105)).toBe('link type 105 is not supported by --filter')
    expect(f.unsupportedOn(LinkType.RAW)).toBeNull()
  })

  it('the empty expression matches everything on supported link types', () => {
    expect(compileFilter('').match(Buffer.alloc(0), E)).toBe(true)
  })
})

describe('packet filter: truncated frames', () => {
  const full = eth(0x0800, ipv4(tcpUdp(1234, 80), {optionWords: 1}))
  const exprs = [
    'tcp port 80',
    'not tcp port 80',
    'not port 443',
    'host 10.0.0.2',
    'not host 10.0.0.9',
    'net ::/0 or ip',
    'vlan or tcp',
    'ether host 1:2:3:4:5:6 or tcp',
    'not (src port 1 and dst port 2)',
    'less 10 or greater 10',
  ]

  it('never throw, at any length', () => {
    for (const e of exprs) {
      const f = compileFilter(e)
      for (const lt of [E, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL, LinkType.LOOP, LinkType.RAW, LinkType.IPV4, LinkType.IPV6]) {
        for (let n = 0; n <= full.length; n++) expect(() => f.match(full.subarray(0, n), lt)).not.toThrow()
      }
    }
  })

  it('a read past the captured bytes rejects the frame, even under not (BPF aborts)', () => {
    const dstPortCut = full.subarray(0, 14 + 24 + 3) // the destination port is cut
    expect(m('tcp src port 1234', dstPortCut)).toBe(true) // the destination port is never read
    expect(m('tcp dst port 80', dstPortCut)).toBe(false)
    expect(m('not tcp dst port 80', dstPortCut)).toBe(false)
    expect(m('not tcp port 1234', dstPortCut)).toBe(false) // source matched: no read of the destination...
    expect(m('not tcp port 9', dstPortCut)).toBe(false) // ...source did not match: the destination read aborts
    expect(m('tcp or port 9', dstPortCut)).toBe(true) // short-circuit: the port is never read
    expect(m('port 9 or tcp', dstPortCut)).toBe(false)
    expect(m('not ip', Buffer.alloc(13), E)).toBe(false)
    expect(m('less 100', Buffer.alloc(0), E, 60)).toBe(true) // no frame byte is read
  })
})
