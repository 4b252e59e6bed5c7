/**
 * The HTTP session: the one StreamHandler of a connection (contract: ../../reassembly/types.ts).
 * It owns a parser per direction (./parser.ts) and the FIFO matcher (./matcher.ts) they feed.
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {HttpMatcher} from './matcher.js'
import {HttpParser} from './parser.js'

export class HttpSession implements StreamHandler {
  private readonly req: HttpParser
  private readonly resp: HttpParser
  private readonly matcher: HttpMatcher

  constructor(conn: ConnInfo, ctx: ProtocolContext) {
    this.matcher = new HttpMatcher(conn, ctx)
    // Header fields become strings only where an event can show them (send_headers).
    const all = ctx.options.send_headers === true
    this.req = new HttpParser(true, ctx.limits, ctx.stats, this.matcher, all)
    this.resp = new HttpParser(false, ctx.limits, ctx.stats, this.matcher, all)
    this.matcher.attach(this.req)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
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

