/**
 * HTTP/1.x (RFC 9110, RFC 9112). One HttpStream per TCP connection: a parser per direction
 * (requests on dir 0, responses on dir 1) feeding one FIFO matcher that emits transactions.
 *
 * Options (`protocols.http.*`): send_headers (boolean) adds http.request.headers and
 * http.response.headers.
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {Protocol, ProtocolContext} from '../types.js'
import {fields} from './fields.js'
import {HttpMatcher} from './matcher.js'
import {HttpParser, METHODS} from './parser.js'


/**
 * Cheap content test on the first payload bytes of a connection: a status line "HTTP/1." or a
 * known method followed by one space and the first byte of a request-target. Never throws.
 */
export function detect(data: Buffer, _dir: Dir): boolean {
  if (data.length >= 7 && data.toString('latin1', 0, 7) === 'HTTP/1.') return true
  let i = 0
  const n = Math.min(data.length, 18)
  while (i < n && ((data[i] >= 0x41 && data[i] <= 0x5a) || data[i] === 0x2d)) i++
  if (i < 3 || i + 1 >= data.length || data[i] !== 0x20) return false
  const t = data[i + 1]
  // origin-form '/', asterisk-form '*', absolute-form / authority-form start with a letter or digit.
  const targetStart = t === 0x2f || t === 0x2a || (t >= 0x30 && t <= 0x39) || (t >= 0x41 && t <= 0x5a) || (t >= 0x61 && t <= 0x7a)
  return targetStart && METHODS.has(data.toString('latin1', 0, i))
}

/** The StreamHandler of one connection (contract: ../../reassembly/types.ts). */
export class HttpStream implements StreamHandler {
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

export const protocol: Protocol = {
  name: 'http',
  fields,
  tcp: {
    ports: [80, 8080, 8000, 5000, 8002],
    detect,
    create: (conn, ctx) => new HttpStream(conn, ctx),
  },
}
