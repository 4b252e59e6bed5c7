/**
 * HTTP/2 streams -> transactions. Unlike HTTP/1 there is no FIFO pairing: each stream is one
 * request/response exchange (RFC 9113 section 8.1), so the pending streams are kept in the shared
 * PendingQueue keyed by stream id (limits.maxPendingRequests bounds the streams open at once on a
 * connection; beyond it the oldest is emitted as it is, with `limit.pending_requests`).
 *
 * A stream's first HEADERS from the client holds the request; from the server the first HEADERS
 * with a final :status holds the response (1xx ones are interim, listed like HTTP/1's), a later
 * HEADERS on the same side is the trailer section (gRPC puts grpc-status there). A stream is
 * emitted when both sides have ended it (END_STREAM), when it is reset (RST_STREAM, with the
 * note `http2.rst_stream`) or at the end of the connection. Fields are HTTP/1's http.* and url.*
 * (../http/fields.ts names) with http.version "2", plus pbx.http2.stream_id and, for gRPC
 * (content-type application/grpc*), grpc.* (service, method, status, message counts and sizes).
 *
 * Status: OK for a response < 400 without a reset and, for gRPC, with grpc-status 0 (or none);
 * Error otherwise, and for a stream with no request or no response.
 */
import {type Note, note, uniqueNotes} from '../../event/anomalies.js'
import {newTransaction, type Stamp} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo} from '../../reassembly/types.js'
import {isDigits, isSpaceCode, startsWithIgnoreCase} from '../shared/chars.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {decodeGrpcMessage, GrpcCounter, splitGrpcPath} from './grpc.js'
import type {HeaderField} from './hpack.js'
import {errorName} from './parser.js'

/** The HTTP/1.1 request of an h2c upgrade (structurally ../http/upgrade.ts's UpgradeRequest). */
export interface UpgradedRequest {
  method: string
  target: string
  host: string | undefined
  userAgent: string | undefined
  startSec: number
  startNsec: number
  startFrame: number
}

interface Stream {
  id: number
  req: HeaderField[] | null
  resp: HeaderField[] | null
  /** Trailer sections: [client, server]. */
  trailers: [HeaderField[] | null, HeaderField[] | null]
  interim: number[] | null
  bytes: [number, number]
  body: [number, number]
  ended: [boolean, boolean]
  start: Stamp
  end: Stamp
  notes: Note[] | null
  /** Message counters per direction once the stream is known to be gRPC. */
  grpc: [GrpcCounter, GrpcCounter] | null
  pushed: boolean
  reset: boolean
}

const MAX_NOTES = 16

export class Http2Matcher {
  private readonly streams: PendingQueue<Stream, number>
  private readonly sendHeaders: boolean
  /** Connection-level notes for the next stream emitted (GOAWAY with an error, gaps). */
  private carry: Note[] | null = null

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.sendHeaders = ctx.options.send_headers === true
    this.streams = new PendingQueue<Stream, number>(
      ctx.limits,
      ctx.stats,
      (old, n) => this.emit(old, n),
      (s) => s.id,
    )
  }

  /** A HEADERS block (already HPACK-decoded) on `id` from side `dir`. */
  onHeaders(dir: 0 | 1, id: number, fields: HeaderField[], endStream: boolean, size: number, start: Stamp, at: Stamp): void {
    let s = this.streams.get(id)
    if (s === undefined) {
      s = this.open(id, start)
      if (dir === 1) this.addNote(s, note('http2.unmatched_response'))
    }
    s.bytes[dir] += size
    copyStamp(s.end, at)
    if (dir === 0) {
      if (s.req === null && !s.pushed) {
        s.req = fields
        if (isGrpc(fields)) s.grpc = [new GrpcCounter(), new GrpcCounter()]
      } else s.trailers[0] = fields
    } else if (s.resp === null) {
      const code = Number(header(fields, ':status') ?? '0')
      if (code >= 100 && code < 200 && !endStream) {
        if (s.interim === null) s.interim = [code]
        else s.interim.push(code)
      } else {
        s.resp = fields
        if (s.grpc === null && isGrpc(fields)) s.grpc = [new GrpcCounter(), new GrpcCounter()]
      }
    } else {
      s.trailers[1] = fields
    }
    if (endStream) this.endSide(s, dir)
  }

  /**
   * Stream 1 of a connection upgraded from HTTP/1.1: the request was sent as HTTP/1.1 (its bytes
   * are in the HTTP/1 transaction of the 101), the response comes as HTTP/2 on stream 1.
   */
  onUpgraded(r: UpgradedRequest): void {
    const s = this.open(1, {tsSec: r.startSec, tsNsec: r.startNsec, frame: r.startFrame})
    const h: HeaderField[] = [
      {name: ':method', value: r.method},
      {name: ':scheme', value: 'http'},
      {name: ':path', value: r.target},
    ]
    if (r.host !== undefined) h.push({name: ':authority', value: r.host})
    if (r.userAgent !== undefined) h.push({name: 'user-agent', value: r.userAgent})
    s.req = h
    s.ended[0] = true
    this.addNote(s, note('http2.upgraded'))
  }

  /** A PUSH_PROMISE: the promised stream's request comes from the server (RFC 9113 section 8.4). */
  onPushPromise(promised: number, fields: HeaderField[], size: number, start: Stamp): void {
    if (this.streams.get(promised) !== undefined) return
    const s = this.open(promised, start)
    s.req = fields
    s.pushed = true
    s.bytes[1] += size
    // The client sends nothing on a pushed stream.
    s.ended[0] = true
  }

  onData(dir: 0 | 1, id: number, p: Buffer, from: number, to: number, endStream: boolean, size: number, at: Stamp): void {
    const s = this.streams.get(id)
    if (s === undefined) return // a stream already emitted (reset, or mid-stream capture)
    s.bytes[dir] += size
    s.body[dir] += to - from
    copyStamp(s.end, at)
    if (s.grpc !== null) s.grpc[dir].push(p, from, to)
    if (endStream) this.endSide(s, dir)
  }

  /** Other frames of a stream (PRIORITY, WINDOW_UPDATE): counted in its bytes. */
  onFrame(dir: 0 | 1, id: number, size: number): void {
    const s = this.streams.get(id)
    if (s !== undefined) s.bytes[dir] += size
  }

  onReset(dir: 0 | 1, id: number, code: number, size: number, at: Stamp): void {
    const s = this.streams.get(id)
    if (s === undefined) return
    s.bytes[dir] += size
    copyStamp(s.end, at)
    s.reset = code !== 0
    this.addNote(s, note('http2.rst_stream', `stream reset by the ${dir === 0 ? 'client' : 'server'}: ${errorName(code)}`))
    this.streams.remove(s)
    this.emit(s, null)
  }

  /** GOAWAY: streams above `last` were not processed; a non-zero code is a connection error. */
  onGoaway(dir: 0 | 1, last: number, code: number): void {
    const who = dir === 0 ? 'client' : 'server'
    if (code !== 0) this.connNote(note('http2.goaway', `connection closed by the ${who} with GOAWAY ${errorName(code)}`))
    for (const s of this.streams) {
      // Streams initiated by the receiver of the GOAWAY with ids above `last` are refused.
      const byReceiver = dir === 1 ? s.id % 2 === 1 : s.id % 2 === 0
      if (byReceiver && s.id > last) this.addNote(s, note('http2.goaway', `stream not processed: GOAWAY from the ${who} with last stream ${last}`))
    }
  }

  /** A note for every open stream, or for the next one emitted when none is open. */
  connNote(n: Note): void {
    if (this.streams.length === 0) {
      if (this.carry === null) this.carry = []
      if (this.carry.length < MAX_NOTES) this.carry.push(n)
      return
    }
    for (const s of this.streams) this.addNote(s, n)
  }

  /** End of connection: every open stream is emitted as it is. */
  end(): void {
    for (const s of this.streams.drain()) {
      if (s.req !== null && s.resp !== null && !(s.ended[0] && s.ended[1])) this.addNote(s, note('http2.stream_incomplete'))
      this.emit(s, null)
    }
  }

  private open(id: number, start: Stamp): Stream {
    const s: Stream = {
      id,
      req: null,
      resp: null,
      trailers: [null, null],
      interim: null,
      bytes: [0, 0],
      body: [0, 0],
      ended: [false, false],
      start: {tsSec: start.tsSec, tsNsec: start.tsNsec, frame: start.frame},
      end: {tsSec: start.tsSec, tsNsec: start.tsNsec, frame: start.frame},
      notes: this.carry,
      grpc: null,
      pushed: false,
      reset: false,
    }
    this.carry = null
    this.streams.push(s)
    return s
  }

  private endSide(s: Stream, dir: 0 | 1): void {
    s.ended[dir] = true
    if (s.ended[0] && s.ended[1]) {
      this.streams.remove(s)
      this.emit(s, null)
    }
  }

  private addNote(s: Stream, n: Note): void {
    if (s.notes === null) s.notes = [n]
    else if (s.notes.length < MAX_NOTES) s.notes.push(n)
  }

  private emit(s: Stream, extra: Note | null): void {
    const notes: Note[] = s.notes === null ? [] : [...s.notes]
    if (extra !== null) notes.push(extra)
    const req = s.req
    const resp = s.resp
    if (req === null && !notes.some((n) => n.code === 'http2.unmatched_response')) notes.push(note('http2.unmatched_response'))
    if (req === null) this.ctx.stats.unmatchedResponses++
    if (resp === null && req !== null) {
      if (!s.reset) notes.push(note('http2.no_response'))
      this.ctx.stats.unmatchedRequests++
    }
    const code = resp === null ? 0 : Number(header(resp, ':status') ?? '0')
    let status: Status = req !== null && resp !== null && code < 400 && !s.reset ? 'OK' : 'Error'

    const http: Record<string, unknown> = {version: '2'}
    const fields: Record<string, unknown> = {http}
    const pbx: Record<string, unknown> = {http2: {stream_id: s.id}}
    fields.pbx = pbx
    let method: string | undefined
    let path: string | undefined
    if (req !== null) {
      method = header(req, ':method') ?? ''
      const r: Record<string, unknown> = {method, bytes: s.bytes[0], body: {bytes: s.body[0]}}
      const referrer = header(req, 'referer')
      if (referrer !== undefined) r.referrer = referrer
      const mt = mimeType(req)
      if (mt !== undefined) r.mime_type = mt
      if (this.sendHeaders) r.headers = headerObject(req)
      http.request = r
      const url = buildUrl(req, this.conn)
      fields.url = url
      path = (url.path as string | undefined) ?? (url.original as string | undefined)
      const ua = header(req, 'user-agent')
      if (ua !== undefined) fields.user_agent = {original: ua}
      const user = basicAuthUser(header(req, 'authorization'))
      if (user !== undefined) fields.user = {name: user}
    }
    if (resp !== null) {
      const r: Record<string, unknown> = {status_code: code, bytes: s.bytes[1], body: {bytes: s.body[1]}}
      const mt = mimeType(resp)
      if (mt !== undefined) r.mime_type = mt
      if (this.sendHeaders) r.headers = headerObject(resp)
      http.response = r
    }
    if (s.interim !== null) pbx.http = {interim_status_codes: s.interim}
    if (s.grpc !== null) {
      const g: Record<string, unknown> = {}
      const sm = path === undefined ? null : splitGrpcPath(path)
      if (sm !== null) {
        g.service = sm[0]
        g.method = sm[1]
      }
      // grpc-status is in the trailers, or in the headers of a trailers-only response.
      const t = s.trailers[1] ?? resp
      const gs = t === null ? undefined : header(t, 'grpc-status')
      if (gs !== undefined) {
        g.status_code = Number(gs)
        if (g.status_code !== 0) status = 'Error'
        const gm = header(t!, 'grpc-message')
        if (gm !== undefined && gm !== '') g.message = decodeGrpcMessage(gm)
      }
      const enc = req === null ? undefined : header(req, 'grpc-encoding')
      if (enc !== undefined) g.encoding = enc
      const [c, sv] = s.grpc
      g.request = {messages: c.messages, message_bytes: c.bytes, compressed_messages: c.compressed}
      g.response = {messages: sv.messages, message_bytes: sv.bytes, compressed_messages: sv.compressed}
      if (c.partial || sv.partial) notes.push(note('http2.grpc_truncated'))
      fields.grpc = g
    }
    this.ctx.emit(
      newTransaction({
        type: 'http2',
        conn: this.conn,
        status,
        start: s.start,
        end: s.end,
        requestBytes: s.bytes[0],
        responseBytes: s.bytes[1],
        fields,
        notes: uniqueNotes(notes),
        method: method !== undefined && method !== '' ? method : undefined,
        path,
        query: method !== undefined && path !== undefined ? `${method} ${path}` : undefined,
      }),
    )
  }
}

function copyStamp(to: Stamp & {tsSec: number; tsNsec: number; frame: number}, from: Stamp): void {
  to.tsSec = from.tsSec
  to.tsNsec = from.tsNsec
  to.frame = from.frame
}

/** The first field named `name` (names are lower-case in HTTP/2). */
export function header(h: readonly HeaderField[], name: string): string | undefined {
  for (const f of h) if (f.name === name) return f.value
  return undefined
}

function isGrpc(h: readonly HeaderField[]): boolean {
  const ct = header(h, 'content-type')
  return ct?.toLowerCase().startsWith('application/grpc') === true
}

function mimeType(h: readonly HeaderField[]): string | undefined {
  const ct = header(h, 'content-type')
  if (ct === undefined) return undefined
  const semi = ct.indexOf(';')
  const v = (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase()
  return v === '' ? undefined : v
}

/** Regular fields (pseudo-headers left out), repeated names joined with ", ", as HTTP/1's. */
function headerObject(h: readonly HeaderField[]): Record<string, string | number> {
  const o: Record<string, string | number> = {}
  for (const f of h) {
    if (f.name.startsWith(':')) continue
    const prev = o[f.name]
    o[f.name] = prev === undefined ? f.value : `${prev}, ${f.value}`
  }
  const cl = o['content-length']
  if (typeof cl === 'string' && isDigits(cl)) o['content-length'] = Number(cl)
  return o
}

/** What follows "Basic" (any case) and the white space after it, or undefined: `auth.replace(/^basic\s+/i, '')` when that matches. */
export function afterBasicScheme(auth: string): string | undefined {
  if (!startsWithIgnoreCase(auth, 'basic') || !isSpaceCode(auth.charCodeAt(5))) return undefined
  let i = 6
  while (i < auth.length && isSpaceCode(auth.charCodeAt(i))) i++
  return auth.slice(i)
}

function basicAuthUser(auth: string | undefined): string | undefined {
  const rest = auth === undefined ? undefined : afterBasicScheme(auth)
  if (rest === undefined) return undefined
  const dec = Buffer.from(rest.trim(), 'base64').toString('latin1')
  const colon = dec.indexOf(':')
  return colon > 0 ? dec.slice(0, colon) : undefined
}

/**
 * An authority (userinfo removed) as [host, port digits]: a bracketed IPv6 literal or a name
 * without ':', then optionally ':' and digits to the end; undefined when it is neither. The
 * groups of `/^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/`.
 */
export function splitAuthority(a: string): [host: string, port: string | undefined] | undefined {
  if (a.startsWith('[')) {
    const close = a.indexOf(']')
    if (close !== -1) {
      if (close === a.length - 1) return [a, undefined]
      if (a.charCodeAt(close + 1) === 0x3a && isDigits(a.slice(close + 2))) return [a.slice(0, close + 1), a.slice(close + 2)]
    }
  }
  const c = a.indexOf(':')
  if (c === -1) return [a, undefined]
  const port = a.slice(c + 1)
  return isDigits(port) ? [a.slice(0, c), port] : undefined
}

/**
 * url.* from the pseudo-headers (RFC 9113 section 8.3.1): :scheme, :authority (else Host), :path
 * (the origin-form target: url.original). url.port only when explicit in the authority; url.full
 * as scheme://host[:port]path, with the server address when there is no authority.
 */
function buildUrl(req: readonly HeaderField[], conn: ConnInfo): Record<string, unknown> {
  const u: Record<string, unknown> = {}
  const scheme = header(req, ':scheme')
  const target = header(req, ':path')
  const authority = header(req, ':authority') ?? header(req, 'host')
  if (scheme !== undefined) u.scheme = scheme
  let host = conn.serverIp
  let port: number | undefined
  if (authority !== undefined && authority !== '') {
    const at = authority.lastIndexOf('@')
    const a = at >= 0 ? authority.slice(at + 1) : authority
    const m = splitAuthority(a)
    if (m !== undefined) {
      host = m[0].startsWith('[') ? m[0].slice(1, -1) : m[0]
      if (m[1] !== undefined) port = Number(m[1])
    } else host = a
  } else if (conn.serverPort !== 80 && conn.serverPort !== 443) port = conn.serverPort
  u.domain = host
  if (port !== undefined) u.port = port
  if (target !== undefined) {
    u.original = target
    const q = target.indexOf('?')
    u.path = q < 0 ? target : target.slice(0, q)
    if (q >= 0 && q < target.length - 1) u.query = target.slice(q + 1)
    const h = host.includes(':') ? `[${host}]` : host
    u.full = `${scheme ?? 'http'}://${h}${port !== undefined ? `:${port}` : ''}${target}`
  }
  return u
}
