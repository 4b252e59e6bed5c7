/**
 * HTTP request/response matching for one connection, and the Transaction built from each pair.
 *
 * Pairing is FIFO (RFC 9112 §9.3.2: responses come in the order of the requests, with keep-alive
 * and pipelining alike). A request is queued when its header section is complete (onHead), so that
 * a response that arrives before the request body ends (100-continue, early 413) still finds it.
 * Interim 1xx responses (other than 101) are attached to the oldest unanswered request and do not
 * complete it. A pair is emitted once both halves are finished; because both directions are FIFO,
 * pairs finish in queue order. The queue is the shared PendingQueue (limits.maxPendingRequests:
 * beyond it the oldest request is emitted unanswered with the note `limit.pending_requests`).
 *
 * Call order: the parsers call onHead/onMessage/requestMethod while they parse; the stream handler
 * calls end() once, after both parsers have ended. Messages handed over are owned here.
 *
 * Status follows Packetbeat: 'OK' for a final status < 400, 'Error' for >= 400 and for a request
 * without a response or a response without a request.
 */
import {type Note, note, uniqueNotes} from '../../event/anomalies.js'
import {newTransaction, setNotes} from '../../event/transaction.js'
import type {Status, Transaction} from '../../event/types.js'
import type {ConnInfo} from '../../reassembly/types.js'
import {startsWithIgnoreCase} from '../shared/chars.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
// Each header lookup below (HttpMessage.header, always with a literal name) must name a field in
// parser.ts's USED_HEADERS: only those are kept when send_headers is off.
import type {HttpMessage, HttpParser, ParserHooks} from './parser.js'
import {bodyContentType, type HttpOptions, includesBody} from './options.js'
import {decodeBody, encodeParams, hideParams, parseParams, redactAuthorizationLines, splitCookie} from './payload.js'
import {isIP} from 'node:net'

/** The notes of a clean transaction (never written to). */
const NO_NOTES: Note[] = []

interface Pending {
  req: HttpMessage
  reqDone: boolean
  resp: HttpMessage | null
  interim: HttpMessage[] | null
}

export class HttpMatcher implements ParserHooks {
  private readonly queue: PendingQueue<Pending>
  /** Index in `queue` of the oldest request without a final response. */
  private unanswered = 0
  private reqParser: HttpParser | null = null

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
    private readonly o: HttpOptions,
  ) {
    this.queue = new PendingQueue<Pending>(ctx.limits, ctx.stats, (old, n) => {
      if (this.unanswered > 0) this.unanswered--
      this.emit(old, n)
    })
  }

  /** Told of a 101 Switching Protocols (before parsing stops), with the request and its Upgrade value. */
  onSwitch: ((req: HttpMessage, upgrade: string | undefined) => void) | null = null
  /** Told of a CONNECT answered 2xx (before parsing stops), with the request and the response. */
  onConnect: ((req: HttpMessage, resp: HttpMessage) => void) | null = null

  /** The request-direction parser, told to stop on a tunnel or to resume after a refused CONNECT. */
  attach(reqParser: HttpParser): void {
    this.reqParser = reqParser
  }

  onHead(_p: HttpParser, m: HttpMessage): void {
    if (!m.isRequest) return
    this.queue.push({req: m, reqDone: false, resp: null, interim: null})
  }

  requestMethod(): string | undefined {
    const p = this.queue.at(this.unanswered)
    return p === undefined ? undefined : p.req.method
  }

  requestVersion(): string | undefined {
    const p = this.queue.at(this.unanswered)
    return p === undefined ? undefined : p.req.version
  }

  onMessage(_p: HttpParser, m: HttpMessage): void {
    if (m.isRequest) {
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const p = this.queue.at(i)!
        if (p.req === m) {
          p.reqDone = true
          break
        }
      }
      this.drain()
      return
    }
    const p = this.queue.at(this.unanswered)
    if (!m.simple && m.statusCode < 200 && m.statusCode !== 101) {
      // Interim response (RFC 9110 §15.2): recorded on the request it precedes.
      if (p !== undefined) {
        if (p.interim === null) p.interim = [m]
        else p.interim.push(m)
      } else {
        this.emitResponseOnly(m)
      }
      return
    }
    if (p === undefined) {
      this.emitResponseOnly(m)
      return
    }
    p.resp = m
    this.unanswered++
    if (p.req.method === 'CONNECT') {
      if (m.tunnel) {
        m.note(note('http.tunnel', 'CONNECT tunnel established: HTTP parsing stopped'))
        this.onConnect?.(p.req, m)
        this.reqParser?.enterTunnel()
      } else {
        this.reqParser?.release()
      }
    } else if (m.tunnel) {
      const up = m.header('upgrade')
      m.note(note('http.tunnel', up === undefined ? 'switching protocols: HTTP parsing stopped' : `switching protocols to ${up}: HTTP parsing stopped`))
      this.onSwitch?.(p.req, up)
      this.reqParser?.enterTunnel()
    }
    this.drain()
  }

  /**
   * transaction_timeout: requests at the head of the queue still without a response whose last byte
   * is more than o.transactionTimeoutSec of capture time before `nowSec` are emitted unanswered; a
   * response that comes later is reported alone (as Packetbeat's expired transactions are).
   */
  expire(nowSec: number): void {
    const limit = this.o.transactionTimeoutSec
    while (this.queue.length > 0) {
      const p = this.queue.peek()!
      if (p.resp !== null || !p.reqDone || nowSec - p.req.endSec <= limit) return
      this.queue.shift()
      this.emit(p, null)
    }
  }

  /** End of connection: everything still queued is emitted (unanswered or incomplete). */
  end(): void {
    for (const p of this.queue.drain()) this.emit(p, null)
    this.unanswered = 0
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const p = this.queue.peek()!
      if (!p.reqDone || p.resp === null) return
      this.queue.shift()
      this.unanswered--
      this.emit(p, null)
    }
  }

  private emit(p: Pending, extraNote: Note | null): void {
    if (p.reqDone && p.resp !== null && extraNote === null && p.req.notes === null && p.interim === null && p.resp.notes === null) {
      this.ctx.emit(this.build(p.req, null, p.resp, NO_NOTES))
      return
    }
    const notes: Note[] = []
    if (p.req.notes !== null) notes.push(...p.req.notes)
    if (!p.reqDone) notes.push(note('http.request_incomplete'))
    if (p.interim !== null) for (const i of p.interim) if (i.notes !== null) notes.push(...i.notes)
    if (p.resp === null) {
      notes.push(note('http.no_response'))
      this.ctx.stats.unmatchedRequests++
    } else if (p.resp.notes !== null) {
      notes.push(...p.resp.notes)
    }
    if (extraNote !== null) notes.push(extraNote)
    // Both halves may carry the same anomaly (a gap cutting both heads): report it once.
    this.ctx.emit(this.build(p.req, p.interim, p.resp, uniqueNotes(notes)))
  }

  private emitResponseOnly(m: HttpMessage): void {
    this.ctx.stats.unmatchedResponses++
    const notes = m.notes === null ? [] : [...m.notes]
    notes.push(note('http.unmatched_response'))
    this.ctx.emit(this.build(null, null, m, notes))
  }

  /**
   * Headers as Packetbeat sends them: lower-cased names, repeated fields joined with ", ",
   * content-length as a number; with a send_headers list only those names plus content-type and
   * content-length; split_cookie turns cookie (request) / set-cookie (response) into objects;
   * redact_headers values become 'REDACTED', redact_authorization ones '*' (requests). A
   * prototype-less object, so names such as __proto__ from the wire become plain own properties.
   */
  private headerObject(m: HttpMessage): Record<string, unknown> {
    const opt = this.o
    const list = opt.headerList
    const joined = Object.create(null) as Record<string, string>
    for (const h of m.headers) {
      if (list !== null && h.name !== 'content-type' && !list.has(h.name)) continue
      const prev = joined[h.name]
      joined[h.name] = prev === undefined ? h.value : `${prev}, ${h.value}`
    }
    const o = Object.create(null) as Record<string, unknown>
    const cookie = m.isRequest ? 'cookie' : 'set-cookie'
    for (const name of Object.keys(joined)) {
      let v: unknown = joined[name]
      if (opt.redactHeaders.has(name)) v = 'REDACTED'
      if (m.isRequest && opt.redactAuthorization && (name === 'authorization' || name === 'proxy-authorization')) v = '*'
      else if (opt.splitCookie && name === cookie && v !== 'REDACTED') v = splitCookie(v as string)
      o[name] = v
    }
    if (m.contentLength >= 0) o['content-length'] = m.contentLength
    return o
  }

  /**
   * The body bytes kept for `m` (null when none were), decoded when decode_body is on and the body
   * is gzip/deflate-coded; a body cut by max_message_size or a gap gets a note.
   */
  private keptBody(m: HttpMessage, notes: Note[]): Buffer | null {
    if (m.bodyParts === null) return null
    let b = m.bodyParts.length === 1 ? m.bodyParts[0] : Buffer.concat(m.bodyParts)
    if (m.bodyCut) notes.push(note('limit.message_bytes', `${m.isRequest ? 'request' : 'response'} body kept truncated: beyond max_message_size or cut by a gap`))
    if (this.o.decodeBody) {
      const d = decodeBody(b, m.header('content-encoding'), this.o.maxMessageSize)
      if (d.failed && !m.bodyCut) notes.push(note('http.bad_compressed_body', `${m.isRequest ? 'request' : 'response'} body does not decode: not included`))
      if (d.capped) notes.push(note('limit.message_bytes', `decoded ${m.isRequest ? 'request' : 'response'} body beyond max_message_size: not included`))
      b = d.body
    }
    return b
  }

  private build(req: HttpMessage | null, interim: HttpMessage[] | null, resp: HttpMessage | null, notes: Note[]): Transaction {
    const first = (req ?? resp)!
    const last = (resp ?? req)!
    let interimBytes = 0
    if (interim !== null) for (const i of interim) interimBytes += i.bytes
    const status: Status = resp !== null && req !== null && resp.statusCode < 400 ? 'OK' : 'Error'
    const http: Record<string, unknown> = {}
    if (first.version !== '') http.version = first.version
    const fields: Record<string, unknown> = {http}
    const pbxHttp: Record<string, unknown> = {}
    const extra: Note[] = []
    const t = newTransaction({
      type: 'http',
      conn: this.conn,
      status,
      start: {tsSec: first.startSec, tsNsec: first.startNsec, frame: first.startFrame},
      end: {tsSec: last.endSec, tsNsec: last.endNsec, frame: last.endFrame},
      requestBytes: req === null ? 0 : req.bytes,
      responseBytes: (resp === null ? 0 : resp.bytes) + interimBytes,
      fields,
      notes,
    })
    if (req !== null) {
      const url = buildUrl(req, this.conn)
      t.method = req.method
      t.path = url.path ?? req.target
      t.query = `${req.method} ${t.path}`
      const o = this.o
      const body: Record<string, unknown> = {bytes: req.bodyBytes}
      const r: Record<string, unknown> = {method: req.method, bytes: req.bytes, body}
      const referrer = req.header('referer')
      if (referrer !== undefined) r.referrer = referrer
      const mt = mimeType(req)
      if (mt !== undefined) r.mime_type = mt
      if (o.sendHeaders) r.headers = this.headerObject(req)
      http.request = r
      const kept = this.keptBody(req, extra)
      const ct = bodyContentType(req)
      const shown = kept !== null && includesBody(ct, o.includeRequestBodyFor) ? kept : null
      if (shown !== null && shown.length > 0) body.content = shown.toString('utf8')
      if (o.hideKeywords.size > 0) hideQuery(url, req.target, kept !== null && req.contentLength > 0 && ct?.includes('urlencoded') ? kept : null, o.hideKeywords)
      fields.url = url.fields
      // destination.domain / server.domain: the requested host when it is a name (Packetbeat's rule)
      const domain = url.fields.domain
      if (typeof domain === 'string' && domain !== '' && !isIpAddress(domain)) fields.destination = {domain}
      const ua = req.header('user-agent')
      if (ua !== undefined) fields.user_agent = {original: ua}
      const user = o.redactAuthorization ? undefined : basicAuthUser(req.header('authorization'))
      if (user !== undefined) fields.user = {name: user}
      if (o.realIpHeader !== null) {
        const ip = realIp(req, o.realIpHeader)
        if (ip !== undefined) fields.network = {forwarded_ip: ip}
      }
      if (o.sendRequest && req.head !== null) {
        const head = o.redactAuthorization ? redactAuthorizationLines(req.head) : req.head
        fields.request = rawText(head, shown, o.maxMessageSize)
      }
      if (req.decodedBytes >= 0) pbxHttp.request = {body: {decoded_bytes: req.decodedBytes}}
    }
    if (resp !== null) {
      // An HTTP/0.9 simple response has no status line: no status_code / status_phrase.
      const r: Record<string, unknown> = resp.simple
        ? {bytes: resp.bytes, body: {bytes: resp.bodyBytes}}
        : {status_code: resp.statusCode, status_phrase: resp.statusPhrase, bytes: resp.bytes, body: {bytes: resp.bodyBytes}}
      const mt = mimeType(resp)
      if (mt !== undefined) r.mime_type = mt
      if (this.o.sendHeaders) r.headers = this.headerObject(resp)
      http.response = r
      const kept = this.keptBody(resp, extra)
      const shown = kept !== null && includesBody(bodyContentType(resp), this.o.includeResponseBodyFor) ? kept : null
      if (shown !== null && shown.length > 0) (r.body as Record<string, unknown>).content = shown.toString('utf8')
      if (this.o.sendResponse && resp.head !== null) fields.response = rawText(resp.head, shown, this.o.maxMessageSize)
      if (resp.decodedBytes >= 0) pbxHttp.response = {body: {decoded_bytes: resp.decodedBytes}}
    }
    if (interim !== null) pbxHttp.interim_status_codes = interim.map((i) => i.statusCode)
    if (pbxHttp.request !== undefined || pbxHttp.response !== undefined || pbxHttp.interim_status_codes !== undefined) fields.pbx = {http: pbxHttp}
    if (extra.length > 0) setNotes(t, uniqueNotes([...notes, ...extra]))
    return t
  }
}

/**
 * `request` / `response`: the head as sent, then the included body, at most `max` characters (the
 * head is latin1, one character per byte; the body is shown as UTF-8 text).
 */
function rawText(head: string, body: Buffer | null, max: number): string {
  const t = body === null || body.length === 0 ? head : head + body.toString('utf8')
  return t.length > max ? t.slice(0, max) : t
}

/**
 * real_ip_header: the first comma-separated value of the first such header, trimmed (Packetbeat's
 * parser), kept only when it is an IP address (network.forwarded_ip is an ip field).
 */
function realIp(m: HttpMessage, name: string): string | undefined {
  for (const h of m.headers) {
    if (h.name !== name) continue
    const comma = h.value.indexOf(',')
    const v = (comma === -1 ? h.value : h.value.slice(0, comma)).trim()
    return isIpAddress(v) ? v : undefined
  }
  return undefined
}

/**
 * hide_keywords: url.query (and url.full) rebuilt as Packetbeat builds them: the query's parameters,
 * then those of an urlencoded request body (replacing same-named ones), hidden values as 'xxxxx',
 * names sorted and re-encoded (Go's url.Values.Encode). An empty result leaves url.query out.
 * url.original becomes the target before its '?' and that query (it must not show hidden values).
 */
function hideQuery(url: UrlParts, target: string, form: Buffer | null, keywords: ReadonlySet<string>): void {
  const f = url.fields
  const q = typeof f.query === 'string' ? f.query : ''
  const params = hideParams(parseParams(q), keywords)
  if (form !== null) for (const [k, v] of hideParams(parseParams(form.toString('latin1')), keywords)) params.set(k, v)
  const enc = encodeParams(params)
  if (enc === q && form === null) return
  if (enc === '') delete f.query
  else f.query = enc
  // url.original would still show the hidden values: it becomes the path and the rebuilt query.
  if (target !== '*') {
    const qm = target.indexOf('?')
    f.original = (qm === -1 ? target : target.slice(0, qm)) + (enc === '' ? '' : '?' + enc)
  }
  if (typeof f.full === 'string' && target !== '*') {
    const full = f.full
    const qm = full.indexOf('?')
    f.full = (qm === -1 ? full : full.slice(0, qm)) + (enc === '' ? '' : '?' + enc)
  }
}

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09
const isBase64 = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f || c === 0x3d

/**
 * The base64 token of `Basic <token>` (scheme case-insensitive, blanks around the token), or
 * undefined: the group of `/^basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i`.
 */
export function basicCredentials(auth: string): string | undefined {
  if (!startsWithIgnoreCase(auth, 'basic') || !isBlank(auth.charCodeAt(5))) return undefined
  let i = 6
  while (isBlank(auth.charCodeAt(i))) i++
  const start = i
  while (isBase64(auth.charCodeAt(i))) i++
  const end = i
  while (isBlank(auth.charCodeAt(i))) i++
  return end > start && i === auth.length ? auth.slice(start, end) : undefined
}

/**
 * The user name of `Authorization: Basic <base64(user:password)>` (RFC 7617 §2), as Packetbeat's
 * user.name; the password is never kept. Undefined for other schemes or undecodable credentials.
 */
function basicAuthUser(auth: string | undefined): string | undefined {
  if (auth === undefined) return undefined
  const b64 = basicCredentials(auth)
  if (b64 === undefined) return undefined
  const cred = Buffer.from(b64, 'base64').toString('utf8')
  const colon = cred.indexOf(':')
  const user = colon === -1 ? '' : cred.slice(0, colon)
  return user === '' ? undefined : user
}

/**
 * isIP(s) !== 0 of node:net, with its regular expressions run only when `s` could be an address:
 * every IPv6 form has a ':', and an IPv4 one is digits and dots only.
 */
function isIpAddress(s: string): boolean {
  if (s.indexOf(':') === -1) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c !== 0x2e && (c < 0x30 || c > 0x39)) return false
    }
  }
  return isIP(s) !== 0
}

/** The latest mimeType() argument and result (Content-Type values repeat; the parser shares their strings). */
let lastContentType = ''
let lastMimeType: string | undefined

/** Content-Type without parameters, lower-cased (RFC 9110 §8.3.1). */
function mimeType(m: HttpMessage): string | undefined {
  const ct = m.header('content-type')
  if (ct === undefined) return undefined
  if (ct === lastContentType) return lastMimeType
  const semi = ct.indexOf(';')
  const v = (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase()
  lastContentType = ct
  lastMimeType = v === '' ? undefined : v
  return lastMimeType
}


interface UrlParts {
  path?: string
  fields: Record<string, unknown>
}

/**
 * url.* from the request-target (RFC 9112 §3.2: origin-, absolute-, authority- or asterisk-form)
 * and the Host header. The port is the explicit one (Host or absolute target), else the
 * connection's server port; url.port is set, and url.full (scheme://host[:port]path[?query], the
 * server address when there is no Host) shows it, only when it is not the scheme's default.
 */
export function buildUrl(req: HttpMessage, conn: ConnInfo): UrlParts {
  const target = req.target
  const fields: Record<string, unknown> = {original: target}
  let scheme = 'http'
  let authority: string | undefined
  let rest: string | undefined
  if (target.charCodeAt(0) === 0x2f) {
    rest = target
  } else if (target === '*') {
    fields.path = '*'
    return {path: '*', fields}
  } else {
    const sep = target.indexOf('://')
    if (sep > 0 && isScheme(target, sep)) {
      scheme = target.slice(0, sep).toLowerCase()
      let e = sep + 3
      while (e < target.length) {
        const c = target.charCodeAt(e)
        if (c === 0x2f || c === 0x3f || c === 0x23) break
        e++
      }
      authority = target.slice(sep + 3, e)
      const at = authority.lastIndexOf('@')
      if (at !== -1) authority = authority.slice(at + 1)
      rest = target.slice(e)
      if (rest === '' || rest.charCodeAt(0) !== 0x2f) rest = '/' + rest
    } else {
      // authority-form (CONNECT host:port); an empty target leaves the Host header to name the host
      authority = target === '' ? undefined : target
    }
  }
  if (authority === undefined) authority = req.header('host')
  let host: string
  let port: number | undefined
  if (authority !== undefined && authority !== '') {
    const hp = splitHostPort(authority)
    host = hp.host
    port = hp.port
  } else host = conn.serverIp
  // The port the request went to: the explicit one, else the connection's (Packetbeat's rule);
  // shown (url.port, url.full) only when it is not the scheme's default.
  if (port === undefined && conn.serverPort > 0) port = conn.serverPort
  if (port === DEFAULT_PORT[scheme]) port = undefined
  fields.scheme = scheme
  if (host !== '') fields.domain = host
  if (port !== undefined) fields.port = port
  const hostInUrl = host.includes(':') ? `[${host}]` : host
  const origin = `${scheme}://${hostInUrl}${port !== undefined ? ':' + port : ''}`
  if (rest === undefined) {
    fields.full = origin
    return {fields}
  }
  let path = rest
  let query: string | undefined
  const hash = path.indexOf('#')
  if (hash !== -1) path = path.slice(0, hash)
  const q = path.indexOf('?')
  if (q !== -1) {
    query = path.slice(q + 1)
    path = path.slice(0, q)
  }
  fields.full = origin + path + (query !== undefined ? '?' + query : '')
  fields.path = path
  if (query !== undefined && query !== '') fields.query = query
  return {path, fields}
}

/** Default ports of the schemes url.port and url.full leave out. */
const DEFAULT_PORT: Readonly<Record<string, number>> = {http: 80, https: 443, ws: 80, wss: 443}

function isScheme(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i)
    const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    if (i === 0 ? !alpha : !(alpha || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return false
  }
  return end > 0
}

/** The latest splitHostPort() argument and result (Host values repeat; the parser shares their strings). */
let lastAuthority = ''
let lastHostPort: {readonly host: string; readonly port: number | undefined} = {host: '', port: undefined}

/** "host", "host:port", "[v6]", "[v6]:port" -> host (lower-cased, brackets removed) and port. */
function splitHostPort(a: string): {readonly host: string; readonly port: number | undefined} {
  if (a === lastAuthority) return lastHostPort
  lastAuthority = a
  lastHostPort = hostPort(a)
  return lastHostPort
}

function hostPort(a: string): {host: string; port: number | undefined} {
  a = a.trim()
  let host = a
  let portStr: string | undefined
  if (a.charCodeAt(0) === 0x5b) {
    const close = a.indexOf(']')
    if (close !== -1) {
      host = a.slice(1, close)
      if (a.charCodeAt(close + 1) === 0x3a) portStr = a.slice(close + 2)
    }
  } else {
    const colon = a.lastIndexOf(':')
    if (colon !== -1 && a.indexOf(':') === colon) {
      host = a.slice(0, colon)
      portStr = a.slice(colon + 1)
    }
  }
  let port: number | undefined
  if (portStr !== undefined && portStr.length > 0 && portStr.length <= 5) {
    let n = 0
    for (let i = 0; i < portStr.length; i++) {
      const c = portStr.charCodeAt(i) - 0x30
      if (c < 0 || c > 9) {
        n = -1
        break
      }
      n = n * 10 + c
    }
    if (n >= 0 && n <= 65535) port = n
  }
  return {host: host.toLowerCase(), port}
}
