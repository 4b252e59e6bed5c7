/**
 * The HTTP session: the one StreamHandler of a connection (contract: ../../reassembly/types.ts).
 * It owns a parser per direction (./parser.ts) and the FIFO matcher (./matcher.ts) they feed.
 *
 * Protocol switches (./upgrade.ts): after a 101 answering `Upgrade: <token>` with a registered
 * handler, or when the client's first bytes are the HTTP/2 connection preface (prior knowledge on
 * an HTTP/1 port), the bytes that follow go to that handler instead (with gaps and the end).
 *
 * Reversed roles: when the connection's first bytes come from the TCP server and are a request
 * (a request carried on the SYN-ACK, or sent by the side that answered the SYN), the directions
 * are swapped for parsing: that side's bytes are requests, the other's responses. Its events are
 * then oriented as sent (sentByServer: source = the requester; client/server keep the TCP roles)
 * and the requested host name goes on the answering side (source.domain).
 *
 * CONNECT: a CONNECT answered 2xx opens the tunnel's bytes as an inner connection (ProtocolContext.openInner, chosen by
 * content); its events carry pbx.connect.{target,frame}.
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {HttpMatcher} from './matcher.js'
import {bodyContentType, type HttpOptions, httpOptions, includesBody} from './options.js'
import {type CapturePolicy, type HttpMessage, HttpParser, METHODS} from './parser.js'
import {upgradeFor} from '../shared/upgrade.js'

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n', 'latin1')

export class HttpSession implements StreamHandler {
  private readonly req: HttpParser
  /**
   * The response-direction parser, made on the first bytes or gap of that direction (a connection
   * whose server never sends, e.g. a flood or a capture of one side, does not carry it).
   */
  private resp: HttpParser | null = null
  private readonly keepAll: boolean
  private readonly respCapture: CapturePolicy | null
  private readonly matcher: HttpMatcher
  /** The handler the connection switched to, if any. */
  private next: StreamHandler | null = null
  private seen = false
  /** Roles decided (first bytes seen), reversed (see above); the server's first bytes held until then. */
  private decided = false
  private swapped = false
  private held: Buffer | null = null
  /** The connection started with the HTTP/2 preface: every byte goes to `next`. */
  private priorKnowledge = false
  private readonly timeoutSec: number

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    const o = httpOptions(ctx.options, ctx.limits)
    // Events of a reversed session are oriented as sent (see the file comment).
    const mctx: ProtocolContext = Object.create(ctx)
    mctx.emit = (t) => {
      if (this.swapped) {
        t.sentByServer = true
        const d = t.fields.destination
        if (d !== undefined) {
          t.fields.source = d
          delete t.fields.destination
        }
      }
      ctx.emit(t)
    }
    this.matcher = new HttpMatcher(conn, mctx, o)
    this.timeoutSec = o.transactionTimeoutSec
    // Header fields become strings only where an event can show them (send_headers, real_ip_header).
    const all = o.keepAllHeaders
    const cap = capturePolicies(o)
    this.req = new HttpParser(true, ctx.limits, ctx.stats, this.matcher, all, cap.req)
    this.keepAll = all
    this.respCapture = cap.resp
    this.matcher.attach(this.req)
    this.matcher.onConnect = (req, resp) => {
      // the tunnel's bytes are a connection of their own, chosen by content (TLS usually, plaintext
      // HTTP possible: `self` names no protocol so http stays a candidate)
      const connect = {target: req.target.slice(0, 256), frame: resp.startFrame}
      const h = ctx.openInner?.(conn, {
        self: 'http-connect',
        emit: (t) => {
          const pbx = (t.fields.pbx as Record<string, unknown> | undefined) ?? {}
          pbx.connect = connect
          t.fields.pbx = pbx
          ctx.emit(t)
        },
      })
      if (h == null) return
      this.next = h
      this.req.tunnelSink = (b, at) => h.data(0, b, at)
      this.respParser().tunnelSink = (b, at) => h.data(1, b, at)
    }
    this.matcher.onSwitch = (m, up) => {
      const f = upgradeFor(up)
      if (f === undefined) return
      const h = f(conn, ctx, {
        method: m.method,
        target: m.target,
        host: m.header('host'),
        userAgent: m.header('user-agent'),
        startSec: m.startSec,
        startNsec: m.startNsec,
        startFrame: m.startFrame,
      })
      this.next = h
      this.req.tunnelSink = (b, at) => h.data(this.swapped ? 1 : 0, b, at)
      this.respParser().tunnelSink = (b, at) => h.data(this.swapped ? 0 : 1, b, at)
    }
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (!this.decided) {
      if (dir === 0) this.decide(false, at)
      else {
        const b = this.held === null ? bytes : Buffer.concat([this.held, bytes])
        const v = requestLineVerdict(b)
        if (v === undefined) {
          this.held = this.held === null ? Buffer.from(b) : b // copy: `bytes` is a view
          return
        }
        this.held = null
        this.decided = true
        this.swapped = v
        bytes = b
      }
    }
    if (!this.seen && dir === 0) {
      this.seen = true
      // HTTP/2 with prior knowledge on a port given to HTTP/1: the whole connection is HTTP/2.
      const n = Math.min(bytes.length, H2_PREFACE.length)
      const f = n >= 4 && bytes.compare(H2_PREFACE, 0, n, 0, n) === 0 ? upgradeFor('h2c') : undefined
      if (f !== undefined) {
        this.next = f(this.conn, this.ctx, null)
        this.priorKnowledge = true
      }
    }
    if (this.priorKnowledge) {
      this.next!.data(dir, bytes, at)
      return
    }
    if (this.timeoutSec > 0) this.matcher.expire(at.tsSec)
    if ((dir === 0) !== this.swapped) this.req.push(bytes, at)
    else this.respParser().push(bytes, at)
  }

  private respParser(): HttpParser {
    if (this.resp === null) {
      const c = this.ctx
      this.resp = new HttpParser(false, c.limits, c.stats, this.matcher, this.keepAll, this.respCapture)
    }
    return this.resp
  }

  /** Fixes the roles before anything else is parsed; held server bytes go to the response parser. */
  private decide(swapped: boolean, at: Moment): void {
    this.decided = true
    this.swapped = swapped
    const h = this.held
    this.held = null
    if (h !== null) this.data(1, h, at)
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (!this.decided) this.decide(false, at)
    if (this.next !== null) this.next.gap(dir, nbytes, at)
    else if ((dir === 0) !== this.swapped) this.req.gap(nbytes)
    else this.respParser().gap(nbytes)
  }

  /** Requests end first (their bodies are never close-delimited), then responses, then the queue. */
  end(reason: EndReason, at: Moment): void {
    if (!this.decided) this.decide(false, at)
    this.req.end(reason)
    this.resp?.end(reason) // a parser never fed has nothing to end
    this.matcher.end()
    this.next?.end(reason, at)
  }
}

/** Capture policies per (cached) options object: they depend on the options only, not the session. */
const POLICIES = new WeakMap<HttpOptions, {req: CapturePolicy | null; resp: CapturePolicy | null}>()

function capturePolicies(o: HttpOptions): {req: CapturePolicy | null; resp: CapturePolicy | null} {
  let p = POLICIES.get(o)
  if (p !== undefined) return p
  // Bytes kept beyond counting: heads for send_request/send_response, bodies for include_*_body_for
  // and, with hide_keywords, urlencoded request bodies (their parameters are hidden in url.query).
  const budget = (m: HttpMessage) => Math.max(0, o.maxMessageSize - m.bytes)
  const reqCapture: CapturePolicy = {
    keepHead: o.sendRequest,
    bodyBytes: (m) => {
      const ct = bodyContentType(m)
      const form = o.hideKeywords.size > 0 && m.contentLength > 0 && ct?.includes('urlencoded')
      return form || includesBody(ct, o.includeRequestBodyFor) ? budget(m) : 0
    },
  }
  const respCapture: CapturePolicy = {
    keepHead: o.sendResponse,
    bodyBytes: (m) => (includesBody(bodyContentType(m), o.includeResponseBodyFor) ? budget(m) : 0),
  }
  const anyReq = o.sendRequest || o.hideKeywords.size > 0 || o.includeRequestBodyFor.length > 0
  const anyResp = o.sendResponse || o.includeResponseBodyFor.length > 0
  p = {req: anyReq ? reqCapture : null, resp: anyResp ? respCapture : null}
  POLICIES.set(o, p)
  return p
}

/**
 * Whether the first bytes from the TCP server start a request line (a known method, one space, a
 * request-target's first byte): true / false, or undefined while too few bytes decide it.
 */
function requestLineVerdict(b: Buffer): boolean | undefined {
  let i = 0
  const n = Math.min(b.length, 18)
  while (i < n && ((b[i] >= 0x41 && b[i] <= 0x5a) || b[i] === 0x2d || b[i] === 0x5f)) i++
  if (i === b.length && i < 18) return undefined
  if (i < 3 || b[i] !== 0x20) return false
  if (i + 1 >= b.length) return undefined
  const t = b[i + 1]
  return (t === 0x2f || t === 0x2a || (t >= 0x61 && t <= 0x7a) || (t >= 0x41 && t <= 0x5a)) && METHODS.has(b.toString('latin1', 0, i))
}
