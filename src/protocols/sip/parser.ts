/**
 * SIP message parsing (RFC 3261 sections 7, 18.3, 20; SDP RFC 8866): one message from a view
 * [off, end). `parseMessage` never throws and never reads past `end`.
 *
 *   - start line: a request ("METHOD uri SIP/2.0") or a status line ("SIP/2.0 code phrase");
 *   - headers: names are case-insensitive, compact forms (i f t v m l c k e s) are expanded,
 *     folded lines (leading whitespace) are joined; only the headers pbx reports are kept, the
 *     first of each (Via: the topmost);
 *   - framing: over TCP a message ends after Content-Length body bytes (RFC 3261 18.3: required on
 *     streams); over UDP a datagram is one message and a missing Content-Length means the rest of
 *     the datagram.
 * Bounds: the header section is at most limits.maxHeaderBytes; values are cut at MAX_VALUE
 * characters.
 */
import {RE2JS} from 're2js'
import {isDigitCode, isDigits, isOneLine, isSpaceCode, splitLines, splitSpace, unquote} from '../shared/chars.js'

export const NEED = -1
export const BAD = -2
export const MAX_VALUE = 1024

export interface SipMessage {
  isRequest: boolean
  method?: string
  uri?: string
  code?: number
  phrase?: string
  version: string
  /** Lower-case full header name -> first value. */
  headers: Map<string, string>
  /** Offset of the body in the buffer and its length. */
  bodyOff: number
  bodyLen: number
  /** Problems met (the matcher turns them into notes). */
  bad: string[]
}

const COMPACT: Record<string, string> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  v: 'via',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  e: 'content-encoding',
  s: 'subject',
}

/** Headers kept (the rest are skipped). */
const KEEP = new Set([
  'via', 'from', 'to', 'call-id', 'cseq', 'contact', 'content-length', 'content-type', 'max-forwards',
  'user-agent', 'server', 'accept', 'allow', 'supported', 'authorization', 'proxy-authorization',
  'www-authenticate', 'proxy-authenticate', 'expires', 'p-preferred-identity', 'p-asserted-identity',
])

export interface ParseResult {
  msg: SipMessage | null
  reason: string
}

/** Whether buf[off..] starts with a SIP request or status line (cheap; for detection and resync). */
export function looksLikeStart(buf: Buffer, off: number, end: number): boolean {
  const n = Math.min(end - off, 512)
  if (n < 8) return false
  const line = buf.toString('latin1', off, off + n)
  const eol = line.indexOf('\r\n')
  const first = eol < 0 ? line : line.slice(0, eol)
  return isStatusStart(first) || isRequestStart(first)
}

/** `/^SIP\/2\.0 [1-6]\d\d /.test(first + ' ')`: "SIP/2.0", a 1xx-6xx code, then a space or the end. */
export function isStatusStart(first: string): boolean {
  const c = first.charCodeAt(8)
  return (
    first.startsWith('SIP/2.0 ') && c >= 0x31 && c <= 0x36 && isDigitCode(first.charCodeAt(9)) && isDigitCode(first.charCodeAt(10)) &&
    (first.length === 11 || first.charCodeAt(11) === 0x20)
  )
}

/** `/^[A-Z]{2,16} \S+ SIP\/2\.0$/.test(first)`: an upper-case method, a target without white space, "SIP/2.0". */
export function isRequestStart(first: string): boolean {
  const sp = first.indexOf(' ')
  if (sp < 2 || sp > 16 || !first.endsWith(' SIP/2.0')) return false
  for (let i = 0; i < sp; i++) {
    const c = first.charCodeAt(i)
    if (c < 0x41 || c > 0x5a) return false
  }
  return noSpace(first, sp + 1, first.length - 8)
}

/** s[from, to) is not empty and holds no white space (`\S+`). */
function noSpace(s: string, from: number, to: number): boolean {
  if (to <= from) return false
  for (let i = from; i < to; i++) if (isSpaceCode(s.charCodeAt(i))) return false
  return true
}

/** A SIP version at s[at..]: digit '.' digit. */
const isVersionAt = (s: string, at: number): boolean => isDigitCode(s.charCodeAt(at)) && s.charCodeAt(at + 1) === 0x2e && isDigitCode(s.charCodeAt(at + 2))

/** The groups of `/^SIP\/(\d\.\d) (\d{3})(?: (.*))?$/` (version, code, phrase), or undefined. */
export function statusLine(line: string): [version: string, code: string, phrase: string | undefined] | undefined {
  if (!line.startsWith('SIP/') || !isVersionAt(line, 4) || line.charCodeAt(7) !== 0x20) return undefined
  if (!isDigitCode(line.charCodeAt(8)) || !isDigitCode(line.charCodeAt(9)) || !isDigitCode(line.charCodeAt(10))) return undefined
  const version = line.slice(4, 7)
  const code = line.slice(8, 11)
  if (line.length === 11) return [version, code, undefined]
  return line.charCodeAt(11) === 0x20 && isOneLine(line, 12) ? [version, code, line.slice(12)] : undefined
}

/** RFC 3261 token characters allowed in a method: alphanumerics and ! % * _ + ` ' ~ . - */
function isMethodChar(c: number): boolean {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true
  return c === 0x21 || c === 0x25 || c === 0x2a || c === 0x5f || c === 0x2b || c === 0x60 || c === 0x27 || c === 0x7e || c === 0x2e || c === 0x2d
}

/** The groups of `/^([A-Za-z!%*_+\`'~.-]+) (\S+) SIP\/(\d\.\d)$/` (method, target, version), or undefined. */
export function requestLine(line: string): [method: string, target: string, version: string] | undefined {
  const sp = line.indexOf(' ')
  if (sp < 1 || line.length - sp < 10) return undefined
  for (let i = 0; i < sp; i++) if (!isMethodChar(line.charCodeAt(i))) return undefined
  const v = line.length - 3
  if (!line.startsWith(' SIP/', v - 5) || !isVersionAt(line, v) || !noSpace(line, sp + 1, v - 5)) return undefined
  return [line.slice(0, sp), line.slice(sp + 1, v - 5), line.slice(v)]
}

/** The groups of `/^(\d+)\s+(\S+)/` (a number, white space, a word), or undefined. */
export function numberThenWord(s: string, at = 0): [number: string, word: string] | undefined {
  let i = at
  while (isDigitCode(s.charCodeAt(i))) i++
  const n = i
  while (i < s.length && isSpaceCode(s.charCodeAt(i))) i++
  const w = i
  while (i < s.length && !isSpaceCode(s.charCodeAt(i))) i++
  return n > at && w > n && i > w ? [s.slice(at, n), s.slice(w, i)] : undefined
}

/**
 * Parses one message starting at `off`. Returns the offset just past it (body included), NEED
 * (stream only: the header section or the body is not complete yet) or BAD (`r.reason`).
 * `stream` selects TCP framing; `maxHeader` bounds the header section.
 */
export function parseMessage(buf: Buffer, off: number, end: number, stream: boolean, maxHeader: number, r: ParseResult): number {
  r.msg = null
  r.reason = ''
  const hdrEnd = buf.indexOf('\r\n\r\n', off, 'latin1')
  if (hdrEnd < 0 || hdrEnd + 4 > end) {
    if (end - off > maxHeader) {
      r.reason = 'header section exceeds maxHeaderBytes'
      return BAD
    }
    if (stream) return NEED
    // a datagram without the empty line: headers to the end
  }
  const hEnd = hdrEnd < 0 || hdrEnd + 4 > end ? end : hdrEnd
  if (hEnd - off > maxHeader) {
    r.reason = 'header section exceeds maxHeaderBytes'
    return BAD
  }
  const text = buf.toString('latin1', off, hEnd)
  const lines = splitLines(text)
  const start = lines[0]
  const m: SipMessage = {isRequest: false, version: '', headers: new Map(), bodyOff: 0, bodyLen: 0, bad: []}
  const st = statusLine(start)
  if (st !== undefined) {
    m.version = st[0]
    m.code = Number(st[1])
    m.phrase = (st[2] ?? '').trim()
  } else {
    const rq = requestLine(start)
    if (rq === undefined) {
      r.reason = 'not a SIP request or status line'
      return BAD
    }
    m.isRequest = true
    m.method = rq[0].toUpperCase()
    m.uri = rq[1].slice(0, MAX_VALUE)
    m.version = rq[2]
  }
  let last = ''
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]
    if (line === '') continue
    if (line[0] === ' ' || line[0] === '\t') {
      // folded continuation of the previous header (RFC 3261 7.3.1)
      if (last !== '' && m.headers.has(last)) m.headers.set(last, (m.headers.get(last)! + ' ' + line.trim()).slice(0, MAX_VALUE))
      continue
    }
    const c = line.indexOf(':')
    if (c <= 0) {
      m.bad.push(`header line without a colon: ${line.slice(0, 40)}`)
      last = ''
      continue
    }
    let name = line.slice(0, c).trim().toLowerCase()
    name = COMPACT[name] ?? name
    last = name
    if (!KEEP.has(name) || m.headers.has(name)) {
      last = '' // only the first value of a kept header is reported
      continue
    }
    m.headers.set(name, line.slice(c + 1).trim().slice(0, MAX_VALUE))
  }
  const bodyOff = hdrEnd < 0 || hdrEnd + 4 > end ? end : hdrEnd + 4
  const clText = m.headers.get('content-length')
  let cl = -1
  if (clText !== undefined) {
    if (isDigits(clText, 1, 10)) cl = Number(clText)
    else m.bad.push(`bad Content-Length: ${clText.slice(0, 20)}`)
  }
  if (stream) {
    if (cl < 0) {
      if (clText === undefined) m.bad.push('no Content-Length on a stream: body taken as empty')
      cl = 0
    }
    if (bodyOff + cl > end) {
      if (cl > maxHeader * 64) {
        r.reason = `Content-Length ${cl} too large`
        return BAD
      }
      return NEED
    }
  } else if (cl < 0 || bodyOff + cl > end) {
    if (cl >= 0) m.bad.push(`Content-Length ${cl} exceeds the datagram (${end - bodyOff} body bytes)`)
    cl = end - bodyOff
  }
  m.bodyOff = bodyOff
  m.bodyLen = cl
  r.msg = m
  return bodyOff + cl
}

// --- header values --------------------------------------------------------------------------------

export interface SipUri {
  original: string
  scheme?: string
  username?: string
  host?: string
  port?: number
}

/**
 * JavaScript's `\s` as an RE2 class body, and its `.` (anything but a line terminator): the SIP
 * grammars below are written with these so that they match exactly what the JavaScript patterns
 * they replaced matched (RE2's own `\s` and `.` are narrower / wider).
 */
/** A pattern compiled on its first use (compiling all three costs ~15 ms of every run's start-up). */
function lazyRe(source: string): () => RE2JS {
  let re: RE2JS | null = null
  return () => (re ??= RE2JS.compile(source))
}
const WS = '\\x{09}-\\x{0d} \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}'
const DOT = '[^\\n\\r\\x{2028}\\x{2029}]'
/** scheme ":" [user "@"] host [":" port], anchored at the start (RE2: linear time on packet data). */
const URI = lazyRe('^([a-zA-Z][a-zA-Z0-9+.-]*):(?:([^@;?]*)@)?(\\[[^\\]]+\\]|[^:;?>]*)(?::([0-9]+))?')
/** "SIP/2.0/" transport, sent-by host [":" port], the rest (parameters). */
const VIA = lazyRe(`^SIP[${WS}]*/[${WS}]*2\\.0[${WS}]*/[${WS}]*([A-Za-z]+)[${WS}]+(\\[[^\\]]+\\]|[^:;${WS}]+)(?::([0-9]+))?(${DOT}*)$`)
/** One auth parameter: name "=" quoted-string or token. */
const AUTH_PARAM = lazyRe(`([A-Za-z0-9_-]+)[${WS}]*=[${WS}]*("(?:[^"\\\\]|\\\\${DOT})*"|[^,${WS}]*)`)

/** sip:user@host:port;params (or tel:, sips:). */
export function parseUri(s: string): SipUri {
  const u: SipUri = {original: s}
  const m = URI().matcher(s)
  if (!m.lookingAt()) return u
  u.scheme = m.group(1)!.toLowerCase()
  const user = m.group(2)
  if (user !== null && user !== '') u.username = user.split(':')[0]
  const host = m.group(3)!
  if (u.scheme === 'tel') {
    u.username = host
    return u
  }
  if (host !== '') u.host = host
  const port = m.group(4)
  if (port !== null) u.port = Number(port)
  return u
}

export interface NameAddr {
  display?: string
  uri: SipUri
  params: Map<string, string>
}

/** From / To / Contact: ["display"] <uri>;params or uri;params. */
export function parseNameAddr(s: string): NameAddr {
  let display: string | undefined
  let uri: string
  let rest: string
  const lt = s.indexOf('<')
  const gt = s.indexOf('>', lt + 1)
  if (lt >= 0 && gt > lt) {
    const d = s.slice(0, lt).trim()
    if (d !== '') display = unquote(d)
    uri = s.slice(lt + 1, gt)
    rest = s.slice(gt + 1)
  } else {
    const semi = s.indexOf(';')
    uri = (semi < 0 ? s : s.slice(0, semi)).trim()
    rest = semi < 0 ? '' : s.slice(semi)
  }
  const out: NameAddr = {uri: parseUri(uri), params: params(rest)}
  if (display !== undefined) out.display = display
  return out
}

/** ;a=b;c parameters (lower-case names). */
export function params(s: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const p of s.split(';')) {
    const t = p.trim()
    if (t === '') continue
    const e = t.indexOf('=')
    if (e < 0) out.set(t.toLowerCase(), '')
    else out.set(t.slice(0, e).trim().toLowerCase(), unquote(t.slice(e + 1).trim()))
  }
  return out
}

export interface Via {
  transport?: string
  host?: string
  port?: number
  branch?: string
  received?: string
  rport?: string
}

/** The first value of a Via header: SIP/2.0/UDP host:port;branch=...;received=... */
export function parseVia(s: string): Via {
  const first = s.split(',')[0].trim()
  const m = VIA().matcher(first)
  if (!m.matches()) return {}
  const v: Via = {transport: m.group(1)!.toUpperCase(), host: m.group(2)!}
  const port = m.group(3)
  if (port !== null) v.port = Number(port)
  const p = params(m.group(4)!)
  if (p.has('branch')) v.branch = p.get('branch')
  if (p.has('received')) v.received = p.get('received')
  if (p.has('rport') && p.get('rport') !== '') v.rport = p.get('rport')
  return v
}

/** Authorization / WWW-Authenticate: scheme k="v", ... */
export function parseAuth(s: string): {scheme: string; params: Map<string, string>} {
  const sp = s.indexOf(' ')
  const scheme = sp < 0 ? s : s.slice(0, sp)
  const out = new Map<string, string>()
  const rest = sp < 0 ? '' : s.slice(sp + 1)
  const m = AUTH_PARAM().matcher(rest)
  while (m.find()) out.set(m.group(1)!.toLowerCase(), unquote(m.group(2)!))
  return {scheme, params: out}
}

export interface Sdp {
  version?: string
  owner?: {username: string; session_id: string; version: string; ip: string}
  sessionName?: string
  connection?: {info: string; address: string}
  start?: string
  stop?: string
  media: {description: string; port: number; protocol: string; format: string[]; attributes: string[]; codecs: string[]; connection?: string}[]
}

const MAX_MEDIA = 16
const MAX_ATTRS = 32

/** An SDP body (RFC 8866): v o s c t m a lines; bounded media and attribute lists. */
export function parseSdp(text: string): Sdp {
  const sdp: Sdp = {media: []}
  let cur: Sdp['media'][number] | undefined
  for (const raw of splitLines(text)) {
    if (raw.length < 2 || raw[1] !== '=') continue
    const k = raw[0]
    const v = raw.slice(2).trim().slice(0, MAX_VALUE)
    if (k === 'v') sdp.version = v
    else if (k === 'o') {
      const f = splitSpace(v)
      if (f.length >= 6) sdp.owner = {username: f[0], session_id: f[1], version: f[2], ip: f[5]}
    } else if (k === 's') sdp.sessionName = v
    else if (k === 'c') {
      const f = splitSpace(v)
      const c = {info: v, address: (f[2] ?? '').split('/')[0]}
      if (cur !== undefined) cur.connection = c.address
      else sdp.connection = c
    } else if (k === 't') {
      const f = splitSpace(v)
      sdp.start = f[0]
      sdp.stop = f[1]
    } else if (k === 'm') {
      const f = splitSpace(v)
      if (sdp.media.length >= MAX_MEDIA) {
        cur = undefined
        continue
      }
      cur = {description: f[0], port: Number.parseInt(f[1] ?? '0', 10) || 0, protocol: f[2] ?? '', format: f.slice(3, 3 + MAX_ATTRS), attributes: [], codecs: []}
      sdp.media.push(cur)
    } else if (k === 'a' && cur !== undefined) {
      if (cur.attributes.length < MAX_ATTRS) cur.attributes.push(v)
      const rm = v.startsWith('rtpmap:') ? numberThenWord(v, 7) : undefined
      if (rm !== undefined && cur.codecs.length < MAX_ATTRS) cur.codecs.push(rm[1])
    }
  }
  return sdp
}
