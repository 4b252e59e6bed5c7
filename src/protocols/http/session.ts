/**
 * The HTTP session: the one StreamHandler of a connection (contract: ../../reassembly/types.ts).
 * It owns a parser per direction (./parser.ts) and the FIFO matcher (./matcher.ts) they feed.
 *
 * Protocol switches (./upgrade.ts): after a 101 answering `Upgrade: <token>` with a registered
 * handler, or when the client's first bytes are the HTTP/2 connection preface (prior knowledge on
 * an HTTP/1 port), the bytes that follow go to that handler instead (with gaps and the end). A CONNECT
 * answered 2xx opens the tunnel's bytes as an inner connection (ProtocolContext.openInner, chosen by
 * content); its events carry pbx.connect.{target,frame}.
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {HttpMatcher} from './matcher.js'
import {bodyContentType, httpOptions, includesBody} from './options.js'
import {type CapturePolicy, type HttpMessage, HttpParser} from './parser.js'
import {upgradeFor} from '../shared/upgrade.js'

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n', 'latin1')

export class HttpSession implements StreamHandler {
  private readonly req: HttpParser
  private readonly resp: HttpParser
  private readonly matcher: HttpMatcher
  /** The handler the connection switched to, if any. */
  private next: StreamHandler | null = null
  private seen = false
  /** The connection started with the HTTP/2 preface: every byte goes to `next`. */
  private priorKnowledge = false
  private readonly timeoutSec: number

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    const o = httpOptions(ctx.options, ctx.limits)
    this.matcher = new HttpMatcher(conn, ctx, o)
    this.timeoutSec = o.transactionTimeoutSec
    // Header fields become strings only where an event can show them (send_headers, real_ip_header).
    const all = o.keepAllHeaders
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
    this.req = new HttpParser(true, ctx.limits, ctx.stats, this.matcher, all, anyReq ? reqCapture : null)
    this.resp = new HttpParser(false, ctx.limits, ctx.stats, this.matcher, all, anyResp ? respCapture : null)
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
      this.resp.tunnelSink = (b, at) => h.data(1, b, at)
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
      this.req.tunnelSink = (b, at) => h.data(0, b, at)
      this.resp.tunnelSink = (b, at) => h.data(1, b, at)
    }
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
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
    if (dir === 0) this.req.push(bytes, at)
    else this.resp.push(bytes, at)
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (this.next !== null) this.next.gap(dir, nbytes, at)
    else if (dir === 0) this.req.gap(nbytes)
    else this.resp.gap(nbytes)
  }

  /** Requests end first (their bodies are never close-delimited), then responses, then the queue. */
  end(reason: EndReason, at: Moment): void {
    this.req.end(reason)
    this.resp.end(reason)
    this.matcher.end()
    this.next?.end(reason, at)
  }
}
