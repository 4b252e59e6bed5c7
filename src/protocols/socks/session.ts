/**
 * One connection to a SOCKS proxy: follows the handshake (SOCKS4/4a request and reply; SOCKS5
 * method selection, optional RFC 1929 username/password, request and reply) and, when a CONNECT is
 * granted, hands every later byte of both directions to an inner connection whose protocol is
 * chosen by content (ProtocolContext.openInner), its events carrying pbx.socks (./matcher.ts).
 *
 * Bounds: handshake bytes not yet consumed are held per direction (a copy: messages span
 * segments), at most MAX_HELD bytes; more, a gap, a malformed message, a refusal or a command other
 * than CONNECT leaves the connection alone (counted in the statistics).
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {type SocksTunnel, tunnelEmit} from './matcher.js'
import {COMMANDS, type Parsed, socks4Reply, socks4Request, socks5Auth, socks5Greeting, socks5Message, twoByte} from './parser.js'

const MAX_HELD = 1024

const St = {Start: 0, V4Reply: 1, V5Method: 2, V5Auth: 3, V5AuthStatus: 4, V5Request: 5, V5Reply: 6, Done: 7, Tunnel: 8} as const
type St = (typeof St)[keyof typeof St]

export class SocksSession implements StreamHandler {
  private st: St = St.Start
  private readonly held: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)]
  private inner: StreamHandler | null = null
  private readonly t: SocksTunnel = {version: '5', command: 'connect', target: '', frame: 0}

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {}

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.st === St.Tunnel) {
      this.inner!.data(dir, bytes, at)
      return
    }
    if (this.st === St.Done || bytes.length === 0) return
    const h = this.held[dir]
    if (h.length + bytes.length > MAX_HELD) {
      this.give('socks: handshake too long')
      return
    }
    this.held[dir] = h.length === 0 ? Buffer.from(bytes) : Buffer.concat([h, bytes])
    while (this.step(at)) {
      // each step consumes one handshake message
    }
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (this.st === St.Tunnel) this.inner!.gap(dir, nbytes, at)
    else if (this.st !== St.Done) this.give('socks: gap in handshake')
  }

  end(reason: EndReason, at: Moment): void {
    this.inner?.end(reason, at)
  }

  private give(reason: string): void {
    this.ctx.stats.bad(reason)
    this.st = St.Done
    this.held[0] = this.held[1] = Buffer.alloc(0)
  }

  /** Consumes one message of `dir` with `parse`: its value, null while incomplete, undefined if bad. */
  private take<T>(dir: Dir, parse: (b: Buffer) => Parsed<T>): T | null | undefined {
    const r = parse(this.held[dir])
    if (r === 0) return null
    if (r === -1) return undefined
    this.held[dir] = this.held[dir].subarray(r.len)
    return r.v
  }

  /** One transition; true when another may follow. */
  private step(at: Moment): boolean {
    switch (this.st) {
      case St.Start: {
        const b = this.held[0]
        if (b.length === 0) return false
        if (b[0] === 4) {
          const r = this.take(0, socks4Request)
          if (r === null) return false
          if (r === undefined) return this.bad()
          this.t.version = r.v4a ? '4a' : '4'
          this.t.command = COMMANDS[r.command] ?? String(r.command)
          this.t.target = `${r.host}:${r.port}`
          if (r.user !== '') this.t.user = r.user
          this.st = St.V4Reply
          return true
        }
        const r = this.take(0, socks5Greeting)
        if (r === null) return false
        if (r === undefined) return this.bad()
        this.st = St.V5Method
        return true
      }
      case St.V4Reply: {
        const r = this.take(1, socks4Reply)
        if (r === null) return false
        if (r === undefined) return this.bad()
        return this.granted(r, at)
      }
      case St.V5Method: {
        const r = this.take(1, (b) => twoByte(b, 5))
        if (r === null) return false
        if (r === undefined || r === 0xff) return this.bad()
        this.st = r === 2 ? St.V5Auth : St.V5Request
        return true
      }
      case St.V5Auth: {
        const r = this.take(0, socks5Auth)
        if (r === null) return false
        if (r === undefined) return this.bad()
        if (r !== '') this.t.user = r
        this.st = St.V5AuthStatus
        return true
      }
      case St.V5AuthStatus: {
        const r = this.take(1, (b) => twoByte(b, 1))
        if (r === null) return false
        if (r === undefined || r !== 0) return this.bad()
        this.st = St.V5Request
        return true
      }
      case St.V5Request: {
        const r = this.take(0, socks5Message)
        if (r === null) return false
        if (r === undefined) return this.bad()
        this.t.command = COMMANDS[r.code] ?? String(r.code)
        this.t.target = `${r.host}:${r.port}`
        this.st = St.V5Reply
        return true
      }
      case St.V5Reply: {
        const r = this.take(1, socks5Message)
        if (r === null) return false
        if (r === undefined) return this.bad()
        return this.granted(r.code === 0, at)
      }
      default:
        return false
    }
  }

  private bad(): boolean {
    this.give(`socks: malformed or refused SOCKS${this.t.version} handshake`)
    return false
  }

  /** The proxy answered the request: a granted CONNECT becomes a tunnel. */
  private granted(ok: boolean, at: Moment): boolean {
    if (!ok) return this.bad()
    if (this.t.command !== 'connect') {
      this.give('socks: command not followed')
      return false
    }
    this.t.frame = at.frame
    this.inner = this.ctx.openInner?.(this.conn, {self: 'socks', emit: tunnelEmit(this.ctx, this.t)}) ?? null
    if (this.inner === null) {
      this.st = St.Done
      return false
    }
    this.st = St.Tunnel
    const [c, s] = this.held
    this.held[0] = this.held[1] = Buffer.alloc(0)
    if (c.length > 0) this.inner.data(0, c, at)
    if (s.length > 0) this.inner.data(1, s, at)
    return false
  }
}
