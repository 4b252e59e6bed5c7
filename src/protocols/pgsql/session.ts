/**
 * The PostgreSQL session: the one StreamHandler of a connection (data/gap per direction in order,
 * then one end(); dir 0 = client). It owns one PgFramer per direction (./parser.ts) and the
 * per-direction resynchronisation state, and hands every message to the matcher (./matcher.ts),
 * which steers the framers and `lost` as the conversation requires. After a gap or a framing error a
 * direction is ignored until it can be trusted again (the client at a plausible message start, the
 * server when the client starts a new cycle).
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {openTlsAfter} from '../shared/tls-switch.js'
import {PgsqlMatcher} from './matcher.js'
import {PgFramer} from './parser.js'

export class PgsqlSession implements StreamHandler {
  readonly framers: [PgFramer, PgFramer]
  /** Direction whose bytes are ignored until resynchronised. */
  readonly lost: [boolean, boolean] = [false, false]
  /** The Moment of the current call, for per-message accounting. */
  at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  /** Start of the client message being read (copied numbers). */
  readonly msgStart: [number, number, number] = [0, 0, 0]
  private started = false
  private readonly m: PgsqlMatcher
  /** After SSLRequest answered 'S': the TLS handler that gets every later byte. */
  private tls: StreamHandler | null = null

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.m = new PgsqlMatcher(conn, ctx, this)
    const max = Math.max(64, ctx.limits.maxMessageBytes)
    this.framers = [
      new PgFramer(max, {message: (t, b, total, tr) => this.m.client(t, b, total, tr)}),
      new PgFramer(max, {message: (t, b, total, tr) => this.m.server(t, b, total, tr)}),
    ]
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.tls !== null) {
      this.tls.data(dir, bytes, at)
      return
    }
    if (this.m.stopped || bytes.length === 0) return
    this.at = at
    if (dir === 1 && bytes.length > 1 && this.framers[1].singleByte && this.framers[1].idle) {
      // the one-byte answer to SSLRequest / GSSENCRequest; after 'S' the bytes that follow are TLS
      this.data(1, bytes.subarray(0, 1), at)
      this.data(1, bytes.subarray(1), at)
      return
    }
    if (!this.started && dir === 0) {
      this.started = true
      this.framers[0].auto = true
    }
    if (dir === 1) this.started = true
    if (this.lost[dir] && !this.resync(dir, bytes)) return
    const f = this.framers[dir]
    if (dir === 0 && f.idle) this.mark()
    f.push(bytes)
    if (f.broken) {
      this.ctx.stats.bad(`pgsql: bad message length (${dir === 0 ? 'client' : 'server'})`)
      f.reset()
      this.lost[dir] = true
    }
  }

  /** The client message being read starts at the current Moment. */
  mark(): void {
    this.msgStart[0] = this.at.tsSec
    this.msgStart[1] = this.at.tsNsec
    this.msgStart[2] = this.at.frame
  }

  /** After a gap or framing error: trust a direction again when its bytes start a plausible message. */
  private resync(dir: Dir, b: Buffer): boolean {
    if (dir === 1) return false // the server is re-trusted when the client starts a new cycle
    if (b.length < 5) return false
    const t = b[0] as number
    const len = b.readUInt32BE(1)
    if ('QPBEDSCHXF'.includes(String.fromCharCode(t)) && len >= 4 && len < 1 << 24) {
      this.lost[0] = false
      this.framers[0].reset()
      return true
    }
    return false
  }

  /**
   * The server accepted SSLRequest at frame `frame`: every later byte goes to a TLS handler. False
   * when none can be opened (the caller then reports the connection as encrypted).
   */
  switchToTls(frame: number): boolean {
    this.tls = openTlsAfter(this.conn, this.ctx, 'pgsql', {protocol: 'pgsql', command: 'SSLRequest', frame})
    return this.tls !== null
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (this.tls !== null) {
      this.tls.gap(dir, nbytes, at)
      return
    }
    if (this.m.stopped) return
    this.framers[dir].reset()
    this.lost[dir] = true
    this.ctx.stats.bad(dir === 1 ? 'pgsql: gap in response' : 'pgsql: gap in request')
    if (dir === 1) this.m.responseGap(nbytes)
  }

  end(reason: EndReason, at: Moment): void {
    this.tls?.end(reason, at)
    this.at = at
    this.m.end()
  }
}
