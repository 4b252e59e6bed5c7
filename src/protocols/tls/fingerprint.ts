/**
 * TLS client/server fingerprints, computed once per hello (never per packet).
 *
 * JA3 / JA3S (github.com/salesforce/ja3): the decimal values of
 *   client: SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
 *   server: SSLVersion,Cipher,Extensions
 * with list items joined by '-' and fields by ','; GREASE values (RFC 8701) are removed from every
 * list; an absent list is an empty field. The hash is the MD5 of that string, lower-case hex.
 *
 * JA4 (github.com/FoxIO-LLC/ja4, technical_details/JA4.md), TLS over TCP ("t") and DTLS ("d"):
 *   a = t + version + (d|i) + 2-digit cipher count + 2-digit extension count + ALPN chars
 *   b = sha256(sorted cipher hex list)[0:12]            ("000000000000" when empty)
 *   c = sha256(sorted ext hex list minus SNI/ALPN [+ "_" + sigalgs in wire order])[0:12]
 * GREASE ignored everywhere; version is the highest supported_versions value, else legacy_version.
 */
import {createHash} from 'node:crypto'
import {isGrease} from './names.js'
import type {Hello} from './parser.js'

const noGrease = (v: number) => !isGrease(v)

export function ja3String(h: Hello): string {
  return [
    String(h.version),
    h.ciphers.filter(noGrease).join('-'),
    h.extensions.filter(noGrease).join('-'),
    (h.groups ?? []).filter(noGrease).join('-'),
    (h.ecPointFormats ?? []).join('-'),
  ].join(',')
}

export function ja3sString(h: Hello): string {
  return [String(h.version), h.ciphers.filter(noGrease).join('-'), h.extensions.filter(noGrease).join('-')].join(',')
}

export function md5Hex(s: string): string {
  return createHash('md5').update(s).digest('hex')
}

const JA4_VERSIONS: ReadonlyMap<number, string> = new Map([
  [0x0304, '13'],
  [0x0303, '12'],
  [0x0302, '11'],
  [0x0301, '10'],
  [0x0300, 's3'],
  [0x0002, 's2'],
  [0x0100, 's1'],
  [0xfeff, 'd1'],
  [0xfefd, 'd2'],
  [0xfefc, 'd3'],
])

const hex4l = (v: number) => v.toString(16).padStart(4, '0')

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

/** JA4 ALPN part: first/last character of the first ALPN value (hex digits when not alnum). */
export function ja4Alpn(first: string | undefined): string {
  if (first === undefined || first.length === 0) return '00'
  const bytes = Buffer.from(first, 'latin1')
  const f = bytes[0]!
  const l = bytes[bytes.length - 1]!
  if (isAlnum(f) && isAlnum(l)) return String.fromCharCode(f) + String.fromCharCode(l)
  const hex = bytes.toString('hex')
  return hex[0]! + hex[hex.length - 1]!
}

function sha12(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12)
}

const two = (n: number) => (n > 99 ? '99' : String(n).padStart(2, '0'))

export function ja4(h: Hello, transport: 't' | 'q' | 'd' = 't'): string {
  const sv = (h.supportedVersions ?? []).filter(noGrease)
  // DTLS version numbers count down (1.3 = 0xfefc < 1.2 = 0xfefd): the highest is the smallest
  const v = sv.length > 0 ? (transport === 'd' ? Math.min(...sv) : Math.max(...sv)) : h.version
  const ver = JA4_VERSIONS.get(v) ?? '00'
  const ciphers = h.ciphers.filter(noGrease)
  const exts = h.extensions.filter(noGrease)
  const sni = exts.includes(0) ? 'd' : 'i'
  const a = transport + ver + sni + two(ciphers.length) + two(exts.length) + ja4Alpn(h.alpn?.[0])
  const b = ciphers.length === 0 ? '000000000000' : sha12(ciphers.map(hex4l).sort().join(','))
  const extList = exts.filter((e) => e !== 0 && e !== 16).map(hex4l).sort()
  const sig = (h.sigAlgs ?? []).filter(noGrease).map(hex4l)
  let c = '000000000000'
  if (extList.length > 0) c = sha12(sig.length > 0 ? extList.join(',') + '_' + sig.join(',') : extList.join(','))
  return `${a}_${b}_${c}`
}
