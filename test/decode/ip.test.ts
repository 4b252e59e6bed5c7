import {describe, expect, it} from 'vitest'
import {ipToString, ipv4ToString, ipv6ToString, parseIp, tryParseIp} from '../../src/util/ip.js'

/** Words from eight 16-bit groups, built independently of parseIp. */
function words(g: number[]): [number, number, number, number] {
  return [0, 1, 2, 3].map((i) => ((g[2 * i] << 16) | g[2 * i + 1]) >>> 0) as [number, number, number, number]
}

describe('ipv6ToString (RFC 5952)', () => {
  const cases: [number[], string][] = [
    // section 4.1 leading zeros, 4.2.1 longest run
    [[0x2001, 0x0db8, 0, 0, 0, 0, 0, 1], '2001:db8::1'],
    // 4.2.2: a single 16-bit 0 field is not shortened
    [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'],
    // 4.2.3: the longest run wins, ties go to the first run
    [[0x2001, 0, 0, 1, 0, 0, 0, 1], '2001:0:0:1::1'],
    [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'],
    [[0xfe80, 0, 0, 0, 1, 0, 0, 0], 'fe80::1:0:0:0'],
    // 4.3 lower case
    [[0x2001, 0xdb8, 0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0xaaaa], '2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa'],
    // edges
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[1, 0, 0, 0, 0, 0, 0, 0], '1::'],
    [[0, 0, 1, 0, 0, 0, 0, 0], '0:0:1::'],
    [[0, 1, 0, 1, 0, 1, 0, 1], '0:1:0:1:0:1:0:1'],
    // section 5: IPv4-mapped
    [[0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], '::ffff:192.0.2.1'],
    // IPv4-compatible (deprecated) is NOT printed dotted
    [[0, 0, 0, 0, 0, 0, 0xc000, 0x0201], '::c000:201'],
  ]
  it.each(cases)('%j -> %s', (g, text) => {
    const w = words(g)
    expect(ipv6ToString(w[0], w[1], w[2], w[3])).toBe(text)
    expect(ipToString(6, w[0], w[1], w[2], w[3])).toBe(text)
    // and the text parses back to the same words
    expect(parseIp(text)).toEqual({version: 6, words: w})
  })

  it('parses non-canonical forms to the same words', () => {
    expect(parseIp('2001:0DB8:0000:0000:0000:0000:0000:0001').words).toEqual(words([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]))
    expect(parseIp('2001:db8:0:0:1:0:0:1').words).toEqual(words([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]))
    expect(parseIp('::192.0.2.1').words).toEqual(words([0, 0, 0, 0, 0, 0, 0xc000, 0x201]))
    expect(parseIp('64:ff9b::10.1.2.3').words).toEqual(words([0x64, 0xff9b, 0, 0, 0, 0, 0x0a01, 0x0203]))
  })
})

describe('ipv4ToString / parseIp', () => {
  it.each([
    [0, '0.0.0.0'],
    [0xffffffff, '255.255.255.255'],
    [0xc0a80001, '192.168.0.1'],
    [0x0a000102, '10.0.1.2'],
  ])('%d <-> %s', (w, s) => {
    expect(ipv4ToString(w)).toBe(s)
    expect(ipToString(4, w, 0, 0, 0)).toBe(s)
    expect(parseIp(s)).toEqual({version: 4, words: [w, 0, 0, 0]})
  })

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-4', 'a.b.c.d', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:2:3:4:5:6:7', '::1.2.3'])(
    'rejects %j',
    (s) => {
      expect(tryParseIp(s)).toBeNull()
      expect(() => parseIp(s)).toThrow(/not an IP address/)
    },
  )
})
