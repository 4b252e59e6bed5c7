/**
 * IP address text <-> words.
 *
 * Addresses travel through pbx as four unsigned 32-bit words (see src/decode/types.ts): IPv4 uses
 * word 0 only, IPv6 uses words 0..3 in network order. These helpers build the text form once per
 * connection or event (never per packet) and parse literals for tests, configuration and the
 * packet builders in test/support/synth.
 */

/** Dotted quad of an IPv4 address held in one 32-bit word (network order: first octet = top byte). */
export function ipv4ToString(word: number): string {
  return `${(word >>> 24) & 0xff}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}.${word & 0xff}`
}

// Scratch for the eight 16-bit groups; ipv6ToString is synchronous and not re-entrant-sensitive.
const groups = new Uint16Array(8)

/**
 * RFC 5952 canonical text of an IPv6 address given as four network-order words:
 * - section 4.1: no leading zeros in a group; 4.3: lower-case hex digits;
 * - section 4.2: the longest run of two or more all-zero groups is replaced by "::" (a single zero
 *   group is never compressed); on a tie the first run wins;
 * - section 5: IPv4-mapped addresses (::ffff:0:0/96) end in dotted-quad notation.
 */
export function ipv6ToString(a0: number, a1: number, a2: number, a3: number): string {
  if (a0 === 0 && a1 === 0 && (a2 >>> 0) === 0xffff) return `::ffff:${ipv4ToString(a3)}`
  groups[0] = a0 >>> 16
  groups[1] = a0
  groups[2] = a1 >>> 16
  groups[3] = a1
  groups[4] = a2 >>> 16
  groups[5] = a2
  groups[6] = a3 >>> 16
  groups[7] = a3
  let bestStart = -1
  let bestLen = 1 // runs of length 1 are not compressed (RFC 5952 section 4.2.2)
  let runStart = -1
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && groups[i] === 0) {
      if (runStart < 0) runStart = i
    } else if (runStart >= 0) {
      const len = i - runStart
      if (len > bestLen) {
        bestLen = len
        bestStart = runStart
      }
      runStart = -1
    }
  }
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::'
      i += bestLen - 1
      continue
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':'
    out += groups[i].toString(16)
  }
  return out
}

/** Text form of an address in the DecodedPacket word layout. */
export function ipToString(version: 4 | 6, a0: number, a1: number, a2: number, a3: number): string {
  return version === 4 ? ipv4ToString(a0) : ipv6ToString(a0, a1, a2, a3)
}

export interface ParsedIp {
  version: 4 | 6
  /** Four unsigned 32-bit words; IPv4 uses words[0] only (the others are 0). */
  words: [number, number, number, number]
}

/**
 * Parses s[from, to) as a dotted quad (exactly four decimal octets of one to three digits, each at
 * most 255; no sign, no spaces); NaN when invalid. Scans character codes: no substrings, no regex.
 */
function parseV4Word(s: string, from: number, to: number): number {
  let w = 0
  let octets = 0
  let i = from
  for (;;) {
    const start = i
    let n = 0
    while (i < to) {
      const c = s.charCodeAt(i)
      if (c < 48 || c > 57) break
      n = n * 10 + (c - 48)
      i++
    }
    const digits = i - start
    if (digits === 0 || digits > 3 || n > 255) return Number.NaN
    w = w * 256 + n
    octets++
    if (i === to) return octets === 4 ? w : Number.NaN
    if (octets === 4 || s.charCodeAt(i) !== 46) return Number.NaN // '.'
    i++
  }
}

/** Value of one hexadecimal digit's character code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/**
 * Parses s[from, to), one side of an IPv6 literal's "::" (or the whole literal), into 16-bit
 * groups appended to g from index gi: colon-separated groups of one to four hex digits, the last
 * of which may be a dotted quad when `allowV4` (two groups). An empty range is no groups. Returns
 * the new group count, or -1 when invalid or beyond eight groups.
 */
function parseGroups(s: string, from: number, to: number, g: number[], gi: number, allowV4: boolean): number {
  if (from === to) return gi
  let i = from
  for (;;) {
    const start = i
    let v = 0
    while (i < to) {
      const h = hexDigit(s.charCodeAt(i))
      if (h < 0) break
      v = v * 16 + h
      i++
    }
    if (i < to && s.charCodeAt(i) === 46) {
      // '.': the rest of the side is a dotted quad, which must be its last part
      if (!allowV4 || gi > 6) return -1
      const w = parseV4Word(s, start, to)
      if (Number.isNaN(w)) return -1
      g[gi++] = Math.floor(w / 65536)
      g[gi++] = w % 65536
      return gi
    }
    const digits = i - start
    if (digits === 0 || digits > 4 || gi >= 8) return -1
    g[gi++] = v
    if (i === to) return gi
    if (s.charCodeAt(i) !== 58) return -1 // ':'
    i++ // (a trailing colon leaves an empty last group: invalid above)
  }
}

/**
 * Parses an IPv4 or IPv6 literal (RFC 4291 section 2.2 text forms, including "::" and a trailing
 * dotted quad; no zone id, no brackets). Returns null when the text is not an address.
 */
export function tryParseIp(s: string): ParsedIp | null {
  const n = s.length
  const dbl = s.indexOf('::')
  if (dbl < 0 && s.indexOf(':') < 0) {
    const w = parseV4Word(s, 0, n)
    return Number.isNaN(w) ? null : {version: 4, words: [w, 0, 0, 0]}
  }
  const g = [0, 0, 0, 0, 0, 0, 0, 0]
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null
    const head: number[] = []
    const tail: number[] = []
    const hn = parseGroups(s, 0, dbl, head, 0, false)
    if (hn < 0) return null
    const tn = parseGroups(s, dbl + 2, n, tail, 0, true)
    if (tn < 0 || hn + tn > 7) return null
    for (let i = 0; i < hn; i++) g[i] = head[i]
    for (let i = 0; i < tn; i++) g[8 - tn + i] = tail[i]
  } else if (parseGroups(s, 0, n, g, 0, true) !== 8) return null
  return {
    version: 6,
    words: [(g[0] * 65536 + g[1]) >>> 0, (g[2] * 65536 + g[3]) >>> 0, (g[4] * 65536 + g[5]) >>> 0, (g[6] * 65536 + g[7]) >>> 0],
  }
}

/** Like tryParseIp, but throws on text that is not an address (for tests and configuration). */
export function parseIp(s: string): ParsedIp {
  const r = tryParseIp(s)
  if (r === null) throw new Error(`not an IP address: "${s}"`)
  return r
}

/**
 * Whether an address counts as internal for network.direction: RFC 1918 (10/8, 172.16/12,
 * 192.168/16) and RFC 4193 unique-local (fc00::/7), which is Packetbeat 8's named network
 * `private`, plus loopback (127/8, ::1), link-local (169.254/16, fe80::/10) and the IPv4 shared
 * address space (100.64/10), which cannot be reached from outside either. IPv4-mapped IPv6
 * addresses are judged by their IPv4 part. Words as in ParsedIp.
 */
export function isInternalAddress(version: 4 | 6, a0: number, a1: number, a2: number, a3: number): boolean {
  if (version === 6) {
    if (a0 === 0 && a1 === 0 && (a2 >>> 0) === 0xffff) return isInternalAddress(4, a3, 0, 0, 0)
    if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 1) return true
    const top = a0 >>> 16
    return (top & 0xfe00) === 0xfc00 || (top & 0xffc0) === 0xfe80
  }
  const w = a0 >>> 0
  const b0 = w >>> 24
  const b1 = (w >>> 16) & 0xff
  return b0 === 10 || b0 === 127 || (b0 === 172 && (b1 & 0xf0) === 16) || (b0 === 192 && b1 === 168) || (b0 === 169 && b1 === 254) || (b0 === 100 && (b1 & 0xc0) === 64)
}

export type NetworkDirection = 'internal' | 'outbound' | 'inbound' | 'external' | 'unknown'

/**
 * network.direction of traffic from `src` to `dst` (address text), with Packetbeat 8's
 * `internal_networks` semantics applied to isInternalAddress: both internal -> internal, only the
 * source -> outbound, only the destination -> inbound, neither -> external; unknown when either
 * text is not an address. Call once per connection (it parses the text).
 */
export function networkDirection(src: string, dst: string): NetworkDirection {
  const s = tryParseIp(src)
  const d = tryParseIp(dst)
  if (s === null || d === null) return 'unknown'
  const si = isInternalAddress(s.version, ...s.words)
  const di = isInternalAddress(d.version, ...d.words)
  return si ? (di ? 'internal' : 'outbound') : di ? 'inbound' : 'external'
}
