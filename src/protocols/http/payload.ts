/**
 * What the http options do to the text an event shows (./options.ts): parameter hiding,
 * cookie splitting, header redaction, body decoding. Called once per emitted transaction, never per
 * packet. Strings here are latin1 (one code unit per wire byte), as the parser makes them.
 */
import zlib from 'node:zlib'
import {codingOf} from './inflate.js'

/** The value Packetbeat puts in place of a hidden parameter. */
export const HIDDEN = 'xxxxx'

/**
 * Parameters of a query string or an application/x-www-form-urlencoded body, as Go's
 * url.ParseQuery reads them: pairs split on '&', name and value split at the first '=', '+' and
 * %XX decoded; a pair with a ';' or a bad escape is left out. Values are latin1 strings (bytes).
 */
export function parseParams(s: string, into: Map<string, string[]> = new Map()): Map<string, string[]> {
  for (const pair of s.split('&')) {
    if (pair === '' || pair.includes(';')) continue
    const eq = pair.indexOf('=')
    const k = queryUnescape(eq === -1 ? pair : pair.slice(0, eq))
    const v = eq === -1 ? '' : queryUnescape(pair.slice(eq + 1))
    if (k === null || v === null) continue
    const list = into.get(k)
    if (list === undefined) into.set(k, [v])
    else list.push(v)
  }
  return into
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  return -1
}

/** Go's QueryUnescape over latin1 text: null on a malformed %-escape. */
function queryUnescape(s: string): string | null {
  if (!s.includes('%') && !s.includes('+')) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x2b) out += ' '
    else if (c === 0x25) {
      const h = i + 2 < s.length ? hexDigit(s.charCodeAt(i + 1)) : -1
      const l = h >= 0 ? hexDigit(s.charCodeAt(i + 2)) : -1
      if (l < 0) return null
      out += String.fromCharCode(h * 16 + l)
      i += 2
    } else out += s[i]
  }
  return out
}

/** Go's QueryEscape of latin1 text: unreserved bytes kept, space as '+', the rest %XX. */
function queryEscape(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const keep = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2e || c === 0x7e
    if (keep) out += s[i]
    else if (c === 0x20) out += '+'
    else {
      // Code units above 0xff cannot come from latin1 text; encode their low byte (never happens).
      const b = c & 0xff
      out += '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase()
    }
  }
  return out
}

/** Go's url.Values.Encode: names sorted, each name's values in order, all escaped. */
export function encodeParams(params: Map<string, string[]>): string {
  const names = [...params.keys()].sort()
  const parts: string[] = []
  for (const k of names) for (const v of params.get(k)!) parts.push(`${queryEscape(k)}=${queryEscape(v)}`)
  return parts.join('&')
}

/** Replaces the values of the parameters named in `keywords` (lower-cased names) by HIDDEN. */
export function hideParams(params: Map<string, string[]>, keywords: ReadonlySet<string>): Map<string, string[]> {
  for (const [k, vs] of params) if (keywords.has(k.toLowerCase())) params.set(k, vs.map(() => HIDDEN))
  return params
}

/**
 * Packetbeat's splitCookiesHeader: "a=1; b=\"2\"" -> {a: '1', b: '2'}: pairs split on ';', the name
 * trimmed and lower-cased, the value trimmed and unquoted; pieces without '=' are left out. A
 * prototype-less object (names from the wire such as __proto__ become own properties).
 */
export function splitCookie(v: string): Record<string, string> {
  const o = Object.create(null) as Record<string, string>
  for (const piece of v.split(';')) {
    const eq = piece.indexOf('=')
    if (eq === -1) continue
    let val = piece.slice(eq + 1).trim()
    if (val.length > 1 && val.charCodeAt(0) === 0x22 && val.charCodeAt(val.length - 1) === 0x22) val = val.slice(1, -1)
    o[piece.slice(0, eq).trim().toLowerCase()] = val
  }
  return o
}

/**
 * The raw head with the values of Authorization and Proxy-Authorization lines replaced by '*', one
 * per character, as Packetbeat's redact_authorization does to the raw request. Line by line, no
 * regular expression on wire text.
 */
export function redactAuthorizationLines(head: string): string {
  let out = ''
  let p = 0
  while (p < head.length) {
    let lf = head.indexOf('\n', p)
    if (lf === -1) lf = head.length
    let e = lf
    if (e > p && head.charCodeAt(e - 1) === 0x0d) e--
    const colon = head.indexOf(':', p)
    const name = colon !== -1 && colon < e ? head.slice(p, colon).toLowerCase() : ''
    if (name === 'authorization' || name === 'proxy-authorization') out += head.slice(p, colon + 1) + '*'.repeat(e - colon - 1) + head.slice(e, lf + 1)
    else out += head.slice(p, lf + 1)
    p = lf + 1
  }
  return out
}

export interface DecodedBody {
  body: Buffer
  /** The coded body did not decode: `body` is empty. */
  failed: boolean
  /** It decodes to more than `max` bytes: `body` is empty. */
  capped: boolean
}

/**
 * Decodes a kept gzip / x-gzip / deflate body (the Content-Encoding value) into at most `max`
 * bytes; other codings and identity are returned as they are. A partial (cut) or malformed body
 * yields what decoded, with failed set. Never throws.
 */
export function decodeBody(body: Buffer, contentEncoding: string | undefined, max: number): DecodedBody {
  const coding = codingOf(contentEncoding)
  if (coding === null || body.length === 0) return {body, failed: false, capped: false}
  const opts: zlib.ZlibOptions = {maxOutputLength: Math.max(1, max), finishFlush: zlib.constants.Z_SYNC_FLUSH}
  try {
    if (coding === 'gzip') return {body: zlib.gunzipSync(body, opts), failed: false, capped: false}
    // "deflate" is meant to be zlib-wrapped (RFC 9110 section 8.4.1.2); some servers send it raw.
    const raw = (body[0] & 0x0f) !== 8
    return {body: raw ? zlib.inflateRawSync(body, opts) : zlib.inflateSync(body, opts), failed: false, capped: false}
  } catch (e) {
    // zlib boundary: malformed input or output beyond maxOutputLength becomes a flag.
    const capped = (e as {code?: string}).code === 'ERR_BUFFER_TOO_LARGE'
    return {body: Buffer.alloc(0), failed: !capped, capped}
  }
}
