/**
 * The HTTP session: the one StreamHandler of a connection (contract: ../../reassembly/types.ts).
 * It owns a parser per direction (./parser.ts) and the FIFO matcher (./matcher.ts) they feed.
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {HttpMatcher} from './matcher.js'
import {bodyContentType, httpOptions, includesBody} from './options.js'
import {type CapturePolicy, type HttpMessage, HttpParser} from './parser.js'

export class HttpSession implements StreamHandler {
  private readonly req: HttpParser
  private readonly resp: HttpParser
  private readonly matcher: HttpMatcher
  private readonly timeoutSec: number

  constructor(conn: ConnInfo, ctx: ProtocolContext) {
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
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.timeoutSec > 0) this.matcher.expire(at.tsSec)
    if (dir === 0) this.req.push(bytes, at)
    else this.resp.push(bytes, at)
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    if (dir === 0) this.req.gap(nbytes)
    else this.resp.gap(nbytes)
  }

  /** Requests end first (their bodies are never close-delimited), then responses, then the queue. */
  end(reason: EndReason, _at: Moment): void {
    this.req.end(reason)
    this.resp.end(reason)
    this.matcher.end()
  }
}

