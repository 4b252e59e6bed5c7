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
  return /^SIP\/2\.0 [1-6]\d\d /.test(first + ' ') || /^[A-Z]{2,16} \S+ SIP\/2\.0$/.test(first)
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
  const lines = text.split(/\r?\n/)
  const start = lines[0]
  const m: SipMessage = {isRequest: false, version: '', headers: new Map(), bodyOff: 0, bodyLen: 0, bad: []}
  let sm = /^SIP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(start)
  if (sm !== null) {
    m.version = sm[1]
    m.code = Number(sm[2])
    m.phrase = (sm[3] ?? '').trim()
  } else {
    sm = /^([A-Za-z!%*_+`'~.-]+) (\S+) SIP\/(\d\.\d)$/.exec(start)
    if (sm === null) {
      r.reason = 'not a SIP request or status line'
      return BAD
    }
    m.isRequest = true
    m.method = sm[1].toUpperCase()
    m.uri = sm[2].slice(0, MAX_VALUE)
    m.version = sm[3]
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
    if (/^\d{1,10}$/.test(clText)) cl = Number(clText)
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

/** sip:user@host:port;params (or tel:, sips:). */
export function parseUri(s: string): SipUri {
  const u: SipUri = {original: s}
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?>]*)(?::(\d+))?/.exec(s)
  if (m === null) return u
  u.scheme = m[1].toLowerCase()
  if (m[2] !== undefined && m[2] !== '') u.username = m[2].split(':')[0]
  if (u.scheme === 'tel') {
    u.username = m[3]
    return u
  }
  if (m[3] !== '') u.host = m[3]
  if (m[4] !== undefined) u.port = Number(m[4])
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
    if (d !== '') display = d.replace(/^"(.*)"$/, '$1')
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
    else out.set(t.slice(0, e).trim().toLowerCase(), t.slice(e + 1).trim().replace(/^"(.*)"$/, '$1'))
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
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^:;\s]+)(?::(\d+))?(.*)$/.exec(first)
  if (m === null) return {}
  const v: Via = {transport: m[1].toUpperCase(), host: m[2]}
  if (m[3] !== undefined) v.port = Number(m[3])
  const p = params(m[4])
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
  const re = /([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)/g
  const rest = sp < 0 ? '' : s.slice(sp + 1)
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) out.set(m[1].toLowerCase(), m[2].replace(/^"(.*)"$/, '$1'))
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
  for (const raw of text.split(/\r?\n/)) {
    if (raw.length < 2 || raw[1] !== '=') continue
    const k = raw[0]
    const v = raw.slice(2).trim().slice(0, MAX_VALUE)
    if (k === 'v') sdp.version = v
    else if (k === 'o') {
      const f = v.split(/\s+/)
      if (f.length >= 6) sdp.owner = {username: f[0], session_id: f[1], version: f[2], ip: f[5]}
    } else if (k === 's') sdp.sessionName = v
    else if (k === 'c') {
      const f = v.split(/\s+/)
      const c = {info: v, address: (f[2] ?? '').split('/')[0]}
      if (cur !== undefined) cur.connection = c.address
      else sdp.connection = c
    } else if (k === 't') {
      const f = v.split(/\s+/)
      sdp.start = f[0]
      sdp.stop = f[1]
    } else if (k === 'm') {
      const f = v.split(/\s+/)
      if (sdp.media.length >= MAX_MEDIA) {
        cur = undefined
        continue
      }
      cur = {description: f[0], port: Number.parseInt(f[1] ?? '0', 10) || 0, protocol: f[2] ?? '', format: f.slice(3, 3 + MAX_ATTRS), attributes: [], codecs: []}
      sdp.media.push(cur)
    } else if (k === 'a' && cur !== undefined) {
      if (cur.attributes.length < MAX_ATTRS) cur.attributes.push(v)
      const rm = /^rtpmap:\d+\s+(\S+)/.exec(v)
      if (rm !== null && cur.codecs.length < MAX_ATTRS) cur.codecs.push(rm[1])
    }
  }
  return sdp
}
