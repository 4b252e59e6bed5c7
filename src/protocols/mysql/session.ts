/**
 * The MySQL session: the one StreamHandler of a connection (data/gap per direction in order, then
 * one end(); dir 0 is the client). It owns one MysqlFramer per direction (./parser.ts) and the
 * per-direction resynchronisation state, and hands every packet to the matcher (./matcher.ts),
 * which steers the framers (skipBodies, reset) and `lost` as the conversation requires.
 * Gaps: the message in progress is dropped and that direction is ignored until it can be
 * resynchronised (the server at the next client command, the client after the server finished
 * answering).
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {openTlsAfter} from '../shared/tls-switch.js'
import {MysqlMatcher} from './matcher.js'
import {MysqlFramer} from './parser.js'

export class MysqlSession implements StreamHandler {
  readonly framers: [MysqlFramer, MysqlFramer]
  /** Direction whose bytes are ignored until resynchronised (after a gap). */
  readonly lost: [boolean, boolean] = [false, false]
  /** Bytes of the current data() call, and the Moment, for per-packet accounting. */
  at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  /** Start of the message being read per direction (copied numbers). */
  readonly msgStart: [number, number, number][] = [
    [0, 0, 0],
    [0, 0, 0],
  ]
  private readonly m: MysqlMatcher
  /** After the client's SSL Request: the TLS handler that gets every later byte. */
  private tls: StreamHandler | null = null

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.m = new MysqlMatcher(conn, ctx, this)
    const max = Math.max(16, ctx.limits.maxMessageBytes)
    this.framers = [
      new MysqlFramer(max, {packet: (p, seq, total, tr) => this.m.client(p, seq, total, tr)}),
      new MysqlFramer(max, {packet: (p, seq, total, tr) => this.m.server(p, seq, total, tr)}),
    ]
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.tls !== null) {
      this.tls.data(dir, bytes, at)
      return
    }
    if (this.m.stopped || bytes.length === 0) return
    this.at = at
    if (this.lost[dir]) {
      if (!this.resync(dir, bytes)) return
    }
    const f = this.framers[dir]
    if (f.idle) {
      const s = this.msgStart[dir] as [number, number, number]
      s[0] = at.tsSec
      s[1] = at.tsNsec
      s[2] = at.frame
    }
    const used = f.push(bytes)
    const tls = this.tls as StreamHandler | null // set by switchToTls during push()
    if (tls !== null && used < bytes.length) tls.data(dir, bytes.subarray(used), at)
  }

  /**
   * The client sent the SSL Request packet (frame `frame`): every later byte goes to a TLS handler.
   * False when none can be opened (the caller then reports the connection as encrypted).
   */
  switchToTls(frame: number): boolean {
    this.tls = openTlsAfter(this.conn, this.ctx, 'mysql', {protocol: 'mysql', command: 'SSL Request', frame})
    if (this.tls !== null) this.framers[0].halted = this.framers[1].halted = true
    return this.tls !== null
  }

  /**
   * After a gap: the server is trusted again at the first data after a new client command was
   * read; the client when no request is in flight and the bytes look like a command packet (seq 0).
   */
  private resync(dir: Dir, b: Buffer): boolean {
    if (dir === 1) return false
    if (this.m.pendingCount > 0) return false
    if (b.length >= 5 && b[3] === 0 && (b[4] as number) <= 0x1f) {
      this.lost[0] = false
      this.framers[0].reset()
      return true
    }
    return false
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (this.tls !== null) {
      this.tls.gap(dir, nbytes, at)
      return
    }
    if (this.m.stopped) return
    this.framers[dir].reset()
    this.lost[dir] = true
    if (dir === 1) {
      this.m.responseGap(nbytes)
      this.ctx.stats.bad('mysql: gap in response')
    } else {
      this.ctx.stats.bad('mysql: gap in request')
    }
  }

  end(reason: EndReason, at: Moment): void {
    this.tls?.end(reason, at)
    this.at = at
    this.m.end()
  }
}
