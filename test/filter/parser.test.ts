import {describe, expect, it} from 'vitest'
import {compileFilter, explainFilter, FilterError} from '../../src/filter/index.js'

const x = explainFilter

describe('filter grammar: primitives', () => {
  it.each([
    ['tcp', 'proto 6'],
    ['udp', 'proto 17'],
    ['sctp', 'proto 132'],
    ['icmp', 'ip proto 1'],
    ['icmp6', 'ip6 proto 58'],
    ['ip', 'ip'],
    ['ip6', 'ip6'],
    ['arp', 'arp'],
    ['rarp', 'rarp'],
    ['ip proto 50', 'ip proto 50'],
    ['ip6 proto 0x11', 'ip6 proto 17'],
    ['proto 6', 'proto 6'],
    ['host 10.1.2.3', 'ip|arp|rarp or 10.1.2.3/255.255.255.255'],
    ['src host 10.1.2.3', 'ip|arp|rarp src 10.1.2.3/255.255.255.255'],
    ['dst 10.1.2.3', 'ip|arp|rarp dst 10.1.2.3/255.255.255.255'],
    ['src or dst host 10.1.2.3', 'ip|arp|rarp or 10.1.2.3/255.255.255.255'],
    ['dst or src host 10.1.2.3', 'ip|arp|rarp or 10.1.2.3/255.255.255.255'],
    ['src and dst host 10.1.2.3', 'ip|arp|rarp and 10.1.2.3/255.255.255.255'],
    ['dst and src host 10.1.2.3', 'ip|arp|rarp and 10.1.2.3/255.255.255.255'],
    ['ip host 10.1.2.3', 'ip or 10.1.2.3/255.255.255.255'],
    ['arp src 10.1.2.3', 'arp src 10.1.2.3/255.255.255.255'],
    ['rarp host 10.1.2.3', 'rarp or 10.1.2.3/255.255.255.255'],
    // libpcap's short forms: a dotted prefix is masked, a bare number is the low bits (host) or promoted (net).
    ['host 10.1.2', 'ip|arp|rarp or 10.1.2.0/255.255.255.0'],
    ['host 10', 'ip|arp|rarp or 0.0.0.10/255.255.255.255'],
    ['net 10', 'ip|arp|rarp or 10.0.0.0/255.0.0.0'],
    ['net 172.16', 'ip|arp|rarp or 172.16.0.0/255.255.0.0'],
    ['net 10.0.0.0/8', 'ip|arp|rarp or 10.0.0.0/255.0.0.0'],
    ['net 0.0.0.0/0', 'ip|arp|rarp or 0.0.0.0/0.0.0.0'],
    ['net 10.0.0.0 mask 255.0.255.0', 'ip|arp|rarp or 10.0.0.0/255.0.255.0'],
    ['host ::1', 'ip6 or 0:0:0:0:0:0:0:1/128'],
    ['ip6 host 2001:db8::1', 'ip6 or 2001:db8:0:0:0:0:0:1/128'],
    ['host ::ffff:1.2.3.4', 'ip6 or 0:0:0:0:0:ffff:102:304/128'],
    ['host 1:2:3:4:5:6:7:8', 'ip6 or 1:2:3:4:5:6:7:8/128'],
    ['net 2001:db8::/33', 'ip6 or 2001:db8:0:0:0:0:0:0/33'],
    ['src net fe80::/10', 'ip6 src fe80:0:0:0:0:0:0:0/10'],
    ['net ::/0', 'ip6 or 0:0:0:0:0:0:0:0/0'],
    ['port 80', 'port or 80 [6,17,132]'],
    ['tcp port 0x50', 'port or 80 [6]'],
    ['udp src port 053', 'port src 43 [17]'],
    ['sctp dst port 9', 'port dst 9 [132]'],
    ['tcp src or dst port 1', 'port or 1 [6]'],
    ['tcp src and dst port 1', 'port and 1 [6]'],
    ['portrange 1000-2000', 'port or 1000-2000 [6,17,132]'],
    ['portrange 2000-1000', 'port or 1000-2000 [6,17,132]'],
    ['portrange 80', 'port or 80 [6,17,132]'],
    ['udp dst portrange 0-65535', 'port dst 0-65535 [17]'],
    ['ether host 00:1A:2b:3c:4d:5e', 'ether or 00:1a:2b:3c:4d:5e'],
    ['ether src 0-1a-2b-3c-4d-5e', 'ether src 00:1a:2b:3c:4d:5e'],
    ['ether dst host 001a.2b3c.4d5e', 'ether dst 00:1a:2b:3c:4d:5e'],
    ['ether host 001a2b3c4d5e', 'ether or 00:1a:2b:3c:4d:5e'],
    ['vlan', 'vlan'],
    ['vlan 100', 'vlan 100'],
    ['vlan 0x0fff', 'vlan 4095'],
    ['less 100', 'less 100'],
    ['greater 1500', 'greater 1500'],
    ['', 'true'],
    ['  ', 'true'],
  ])('%s', (expr, tree) => {
    expect(x(expr)).toBe(tree)
  })
})

describe('filter grammar: operators and precedence', () => {
  it('and and or have equal precedence and associate left to right (libpcap, unlike C)', () => {
    expect(x('tcp or udp and icmp')).toBe('((proto 6 or proto 17) and ip proto 1)')
    expect(x('tcp and udp or icmp')).toBe('((proto 6 and proto 17) or ip proto 1)')
    expect(x('tcp && udp || icmp && arp')).toBe('(((proto 6 and proto 17) or ip proto 1) and arp)')
  })

  it('not binds tighter than and/or; parentheses group', () => {
    expect(x('not tcp and udp')).toBe('(not proto 6 and proto 17)')
    expect(x('! tcp || ! udp')).toBe('(not proto 6 or not proto 17)')
    expect(x('not (tcp or udp)')).toBe('not (proto 6 or proto 17)')
    expect(x('tcp or (udp and icmp)')).toBe('(proto 6 or (proto 17 and ip proto 1))')
    expect(x('not not tcp')).toBe('not not proto 6')
    expect(x('((tcp))')).toBe('proto 6')
  })

  it('repeats the last qualifiers for a bare value after and/or/not', () => {
    expect(x('host 1.1.1.1 or 2.2.2.2')).toBe('(ip|arp|rarp or 1.1.1.1/255.255.255.255 or ip|arp|rarp or 2.2.2.2/255.255.255.255)')
    expect(x('tcp port 80 or 443')).toBe('(port or 80 [6] or port or 443 [6])')
    expect(x('tcp port 80 or 443 or 8080')).toBe('((port or 80 [6] or port or 443 [6]) or port or 8080 [6])')
    expect(x('src host 1.1.1.1 and not 2.2.2.2')).toBe('(ip|arp|rarp src 1.1.1.1/255.255.255.255 and not ip|arp|rarp src 2.2.2.2/255.255.255.255)')
    expect(x('udp dst port 53 or 5353 and host ::1')).toBe('((port dst 53 [17] or port dst 5353 [17]) and ip6 or 0:0:0:0:0:0:0:1/128)')
    expect(x('net 10.0.0.0/8 or 192.168.0.0/16')).toBe('(ip|arp|rarp or 10.0.0.0/255.0.0.0 or ip|arp|rarp or 192.168.0.0/255.255.0.0)')
    expect(x('ether src 1:2:3:4:5:6 or 6:5:4:3:2:1')).toBe('(ether src 01:02:03:04:05:06 or ether src 06:05:04:03:02:01)')
  })

  it('repeats qualifiers into parenthesised values and after them', () => {
    expect(x('port 80 and (443 or not 8080)')).toBe('(port or 80 [6,17,132] and (port or 443 [6,17,132] or not port or 8080 [6,17,132]))')
    expect(x('host (1.1.1.1 or 2.2.2.2)')).toBe('(ip|arp|rarp or 1.1.1.1/255.255.255.255 or ip|arp|rarp or 2.2.2.2/255.255.255.255)')
    expect(x('host 1.1.1.1 and (2.2.2.2 or 3.3.3.3) or 4.4.4.4')).toMatch(/ or ip\|arp\|rarp or 4\.4\.4\.4\/255\.255\.255\.255\)$/)
    expect(x('host 1.1.1.1 and not (2.2.2.2 or 3.3.3.3)')).toBe(
      '(ip|arp|rarp or 1.1.1.1/255.255.255.255 and not (ip|arp|rarp or 2.2.2.2/255.255.255.255 or ip|arp|rarp or 3.3.3.3/255.255.255.255))',
    )
    // After `( expr )` the qualifiers are those in force before the parenthesis.
    expect(x('port 1 and (tcp) or 2')).toBe('((port or 1 [6,17,132] and proto 6) or port or 2 [6,17,132])')
  })

  it('vlan shifts the link-layer offsets of everything after it in the text', () => {
    expect(x('vlan and tcp')).toBe('(vlan and proto 6@4)')
    expect(x('tcp and vlan')).toBe('(proto 6 and vlan)')
    expect(x('vlan 100 and vlan 200 and host ::1')).toBe('((vlan 100 and vlan 200@4) and ip6 or 0:0:0:0:0:0:0:1/128@8)')
    // Even across `or` and `not`, as libpcap does.
    expect(x('tcp or vlan and udp')).toBe('((proto 6 or vlan) and proto 17@4)')
    expect(x('not vlan and port 53')).toBe('(not vlan and port or 53 [6,17,132]@4)')
    // Link-header fields (ether addresses, length) are not shifted.
    expect(x('vlan and ether host 1:2:3:4:5:6 and less 64')).toBe('((vlan and ether or 01:02:03:04:05:06) and less 64)')
  })
})

/** The error for `expr`: its reason and 1-based column. */
function err(expr: string): {reason: string; column: number} {
  try {
    compileFilter(expr)
  } catch (e) {
    if (e instanceof FilterError) return {reason: e.reason, column: e.column}
    throw e
  }
  throw new Error(`"${expr}" compiled`)
}

describe('filter errors carry the column', () => {
  it.each([
    ['tcp port http', 10, 'expected a port number after "port"'],
    ['tcp port 80 or http', 16, 'expected a port number (repeating "port")'],
    ['tcp port', 9, 'expected a port number after "port"'],
    ['port 99999', 6, 'illegal port number 99999 > 65535'],
    ['portrange 1-70000', 11, 'illegal port number 70000 > 65535'],
    ['portrange 1-x', 11, 'expected a port range such as 1000-2000 after "portrange"'],
    ['port 080', 6, 'number 080 contains non-octal digit'],
    ['ip port 80', 9, '"ip" cannot qualify "port" (only tcp, udp or sctp can)'],
    ['host example.com', 6, '"example.com" is not an IP address (host names are not resolved)'],
    ['host 1.2.3.256', 6, 'invalid IPv4 address "1.2.3.256"'],
    ['host 4294967296', 6, 'number 4294967296 overflows 32 bits'],
    ['host 10.0.0.0/8', 6, 'a mask or prefix length needs "net" (e.g. "net 10.0.0.0/8")'],
    ['host ::1/64', 6, 'a prefix length needs "net" (e.g. "net 2001:db8::/32")'],
    ['net 10.0.0.1/8', 5, 'non-network bits set in "10.0.0.1/8"'],
    ['net 10.1.0.0 mask 255.0.0.0', 5, 'non-network bits set in "10.1.0.0 mask 255.0.0.0"'],
    ['net 2001:db8::1/32', 5, 'non-network bits set in "2001:db8::1/32"'],
    ['net 10.0.0.0/33', 14, 'prefix length must be <= 32'],
    ['net 2001:db8::/129', 16, 'prefix length must be <= 128'],
    ['net 10/8', 5, 'expected a dotted IPv4 network such as 10.0.0.0 before "/"'],
    ['net 10.0.0.0/', 14, 'expected a prefix length after "/"'],
    ['net 10.0.0.0 mask', 18, 'expected a dotted netmask such as 255.255.0.0 after "mask"'],
    ['net 2001:db8:: mask 255.0.0.0', 16, '"mask" is for IPv4 networks: write ADDRESS/LENGTH for IPv6'],
    ['ip6 host 1.2.3.4', 10, '"ip6" cannot qualify an IPv4 host'],
    ['ip host ::1', 9, '"ip" cannot qualify an IPv6 host'],
    ['tcp host 1.2.3.4', 10, '"tcp" cannot qualify a host'],
    ['udp net 10', 9, '"udp" cannot qualify a net'],
    ['host aa:bb:cc:dd:ee:ff', 6, '"aa:bb:cc:dd:ee:ff" is a MAC address: write "ether host aa:bb:cc:dd:ee:ff"'],
    ['ether host 1.2.3.4', 12, 'expected a MAC address such as 00:11:22:33:44:55 after "host"'],
    ['ether', 1, '"ether" needs host, src or dst after it'],
    ['vlan 4096', 6, 'VLAN id 4096 greater than maximum 4095'],
    ['vlan x', 6, 'expected a VLAN id after "vlan"'],
    ['less', 5, 'expected a length after "less"'],
    ['proto 256', 7, 'protocol number 256 greater than 255'],
    ['src proto 6', 1, '"proto" takes no src/dst qualifier'],
    ['1.2.3.4', 1, '"1.2.3.4" needs a qualifier before it (host, net, port, portrange, src, dst, ...)'],
    ['not 80', 5, '"80" needs a qualifier before it (host, net, port, portrange, src, dst, ...)'],
    ['tcp or 1.2.3.4', 8, '"1.2.3.4" has no qualifier to repeat: write e.g. "host 1.2.3.4" or "port 1.2.3.4"'],
    ['vlan 100 or 200', 13, '"200" has no qualifier to repeat: write e.g. "host 200" or "port 200"'],
    ['(host 1.1.1.1) or 2.2.2.2', 19, '"2.2.2.2" has no qualifier to repeat: write e.g. "host 2.2.2.2" or "port 2.2.2.2"'],
    ['host 1.1.1.1 and ((2.2.2.2))', 19, 'expected an address, port or number after "(" (nested parentheses need a qualifier)'],
    ['host 1.1.1.1 or (2.2.2.2 or host 3.3.3.3)', 29, 'expected an address, port or number, found "host"'],
    ['tcp and', 8, 'expression ends too early'],
    ['and tcp', 1, 'expected a primitive (host, net, port, tcp, ...), found "and"'],
    ['tcp tcp', 5, 'expected "and" or "or" before "tcp"'],
    ['(tcp', 5, 'missing ")"'],
    ['tcp)', 4, 'unbalanced ")"'],
    ['()', 2, 'expected a primitive (host, net, port, tcp, ...), found ")"'],
    ['TCP', 1, '"TCP" needs a qualifier before it (host, net, port, portrange, src, dst, ...)'],
    ['mask 255.0.0.0', 1, '"mask" must follow "net ADDRESS"'],
    ['tcp[13] & 2 != 0', 4, 'arithmetic and byte-offset expressions (e.g. tcp[13] & 2 != 0) are not supported'],
    ['host fe80::1%eth0', 13, 'IPv6 zone indexes (%eth0) and the % operator are not supported'],
    ['ip broadcast', 4, '"broadcast" is not supported by pbx\'s filter'],
    ['gateway 1.2.3.4', 1, '"gateway" is not supported by pbx\'s filter'],
    ['tcp proto 6', 11, '"tcp proto" is not supported'],
    ['host \\tcp', 6, 'backslash-escaped names are not supported (write protocol numbers)'],
    ['host 1.2.3.4 ; tcp', 14, 'unexpected character ";"'],
  ])('%s', (expr, column, reason) => {
    expect(err(expr)).toEqual({reason, column})
  })

  it('format() prints the expression with a caret under the column', () => {
    let e: unknown
    try {
      compileFilter('tcp port http')
    } catch (caught) {
      e = caught
    }
    expect(e).toBeInstanceOf(FilterError)
    expect((e as FilterError).format()).toBe('pbx: bad --filter: expected a port number after "port"\n  tcp port http\n           ^')
    expect((e as FilterError).offset).toBe(9)
    expect((e as FilterError).message).toBe('expected a port number after "port" (at column 10)')
  })

  it('format() puts the caret after the end when the expression stops early, and prints tabs as spaces', () => {
    let e: unknown
    try {
      compileFilter('tcp\tand')
    } catch (caught) {
      e = caught
    }
    expect((e as FilterError).format('')).toBe('expression ends too early\n  tcp and\n         ^')
  })
})
