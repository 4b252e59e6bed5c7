import {describe, expect, it} from 'vitest'
import fc from 'fast-check'
import {ipToString, ipv4ToString, ipv6ToString, networkDirection, parseIp, tryParseIp} from '../../src/util/ip.js'

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

/**
 * The split-and-regex parser tryParseIp replaced (same accepted language, same words), as an
 * oracle for the character scanner.
 */
function referenceParse(s: string): {version: 4 | 6; words: number[]} | null {
  const v4 = (t: string): number => {
    const parts = t.split('.')
    if (parts.length !== 4) return Number.NaN
    let w = 0
    for (const part of parts) {
      if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return Number.NaN
      w = w * 256 + Number(part)
    }
    return w
  }
  if (s.indexOf(':') < 0) {
    const w = v4(s)
    return Number.isNaN(w) ? null : {version: 4, words: [w, 0, 0, 0]}
  }
  const side = (t: string, out: number[], allowV4: boolean): boolean => {
    if (t === '') return true
    const parts = t.split(':')
    for (let i = 0; i < parts.length; i++) {
      if (allowV4 && i === parts.length - 1 && parts[i].indexOf('.') >= 0) {
        const w = v4(parts[i])
        if (Number.isNaN(w)) return false
        out.push(Math.floor(w / 65536), w % 65536)
      } else if (/^[0-9a-fA-F]{1,4}$/.test(parts[i])) out.push(Number.parseInt(parts[i], 16))
      else return false
    }
    return true
  }
  const g: number[] = []
  const dbl = s.indexOf('::')
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null
    const head: number[] = []
    const tail: number[] = []
    if (!side(s.slice(0, dbl), head, false) || !side(s.slice(dbl + 2), tail, true) || head.length + tail.length > 7) return null
    g.push(...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail)
  } else if (!side(s, g, true) || g.length !== 8) return null
  return {version: 6, words: words(g)}
}

describe('tryParseIp agrees with the reference parser', () => {
  // Strings built from address-like tokens, so that most are near misses of valid forms.
  const part = fc.constantFrom('0', '1', '00', '255', '256', '0255', '999', 'ff', 'FFFF', 'fffff', 'g', 'db8', '12', '', '-1', ' ')
  const quad = fc.array(part, {minLength: 3, maxLength: 5}).map((a) => a.join('.'))
  // Groups joined by ':' with '::' in at most one or two places, and maybe a dotted tail.
  const v6 = fc
    .tuple(fc.array(part, {maxLength: 9}), fc.array(fc.nat(9), {maxLength: 2}), fc.option(quad))
    .map(([gs, dbl, tail]) => {
      let t = gs.map((g, i) => (i === 0 ? g : (dbl.includes(i) ? '::' : ':') + g)).join('')
      if (dbl.includes(0)) t = `::${t}`
      if (tail !== null) t += `:${tail}`
      return t
    })
  const sep = fc.constantFrom('.', ':', '::', '')
  const soup = fc.array(fc.tuple(part, sep), {maxLength: 10}).map((t) => t.map(([p, s]) => p + s).join(''))
  const text = fc.oneof(quad, v6, soup)
  const valid = fc.tuple(fc.array(fc.integer({min: 0, max: 0xffff}), {minLength: 8, maxLength: 8}), fc.boolean(), fc.boolean()).map(([g, upper, pad]) => {
    const parts = g.map((x) => (pad ? x.toString(16).padStart(4, '0') : x.toString(16)))
    const w = words(g)
    const t = ipv6ToString(w[0], w[1], w[2], w[3])
    return [upper ? t.toUpperCase() : t, parts.join(':'), `${parts.slice(0, 6).join(':')}:${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`]
  })
  it('on address-like text', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(tryParseIp(s)).toEqual(referenceParse(s))
      }),
      {numRuns: 20_000},
    )
  })
  it('on valid IPv6 text forms (canonical, upper case, full, dotted tail)', () => {
    fc.assert(
      fc.property(valid, (forms) => {
        for (const s of forms) {
          const r = tryParseIp(s)
          expect(r).not.toBeNull()
          expect(r).toEqual(referenceParse(s))
        }
      }),
    )
  })
})

describe('network direction', () => {
  it.each([
    ['10.0.0.1', '192.168.1.1', 'internal'],
    ['172.16.0.1', '8.8.8.8', 'outbound'],
    ['8.8.8.8', '100.64.0.1', 'inbound'],
    ['8.8.8.8', '172.32.0.1', 'external'],
    ['fd00::1', '::ffff:10.1.1.1', 'internal'],
    ['2001:db8::1', 'fe80::1', 'inbound'],
    ['::1', '2001:db8::1', 'outbound'],
    ['not-an-ip', '10.0.0.1', 'unknown'],
  ])('%s -> %s is %s', (src, dst, dir) => {
    expect(networkDirection(src, dst)).toBe(dir)
  })

})
