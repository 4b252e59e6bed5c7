/**
 * One connection of a STARTTLS protocol: scans the plaintext lines of both directions for the
 * upgrade command (client) and its reply (server); after a positive reply the rest of both
 * directions is handed to a TLS handler (ProtocolContext.openInner, prefer tls). A connection that
 * starts with a TLS record instead (implicit TLS on these ports) is handed over at once.
 *
 * Bounds: only an incomplete last line is carried between chunks (at most MAX_LINE bytes, a copy);
 * after MAX_PLAIN bytes per direction without an upgrade, or a gap before it, the connection is
 * left alone.
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {upgradedEmit} from './matcher.js'
import {type Upgrade, upgradeCommand, upgradeReply, xmppCommand} from './parser.js'

const MAX_LINE = 512
const MAX_PLAIN = 256 * 1024

export class StarttlsSession implements StreamHandler {
  private readonly tail: [string, string] = ['', '']
  private readonly seen: [number, number] = [0, 0]
  private pending: Upgrade | undefined
  private tls: StreamHandler | null | undefined
  private done = false

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {}

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.tls) {
      this.tls.data(dir, bytes, at)
      return
    }
    if (this.done) return
    if (this.seen[0] + this.seen[1] === 0 && dir === 0 && bytes.length >= 3 && bytes[0] === 22 && bytes[1] === 3) {
      this.switchTo(dir, bytes, 0, at, {kind: guessKind(this.conn.serverPort), command: '(implicit TLS)'})
      return
    }
    this.seen[dir] += bytes.length
    if (this.seen[dir] > MAX_PLAIN) {
      this.done = true
      return
    }
    const text = this.tail[dir] + bytes.toString('latin1')
    const carried = this.tail[dir].length
    if (dir === 0 || this.pending?.kind !== 'xmpp') {
      if (dir === 0) {
        const x = xmppCommand(text)
        if (x) {
          this.pending = x
          this.tail[0] = ''
          return
        }
      }
    } else if (upgradeReply(this.pending, text) !== undefined) {
      // XMPP: <proceed/> ends the chunk's plaintext (the TLS ClientHello comes from the client)
      const ok = upgradeReply(this.pending, text)
      if (ok) this.switchTo(dir, bytes, bytes.length, at, this.pending)
      this.pending = undefined
      return
    }
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      if (nl < 0) break
      const line = text.slice(start, nl).replace(/\r$/, '')
      start = nl + 1
      if (dir === 0) {
        const u = upgradeCommand(line)
        if (u) this.pending = u
      } else if (this.pending) {
        const ok = upgradeReply(this.pending, line)
        if (ok === true) {
          this.switchTo(dir, bytes, start - carried, at, this.pending)
          return
        }
        if (ok === false) this.pending = undefined
      }
    }
    const rest = text.slice(start)
    this.tail[dir] = rest.length > MAX_LINE ? '' : rest
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (this.tls) this.tls.gap(dir, nbytes, at)
    else this.done = true
  }

  end(reason: EndReason, at: Moment): void {
    this.tls?.end(reason, at)
  }

  /** From byte `from` of `bytes` (direction `dir`) on, the connection is TLS. */
  private switchTo(dir: Dir, bytes: Buffer, from: number, at: Moment, u: Upgrade): void {
    this.tail[0] = this.tail[1] = ''
    this.tls = this.ctx.openInner?.(this.conn, {self: 'starttls', prefer: 'tls', emit: upgradedEmit(this.ctx, u, at.frame)}) ?? null
    if (this.tls === null) {
      this.done = true
      return
    }
    if (from < bytes.length) this.tls.data(dir, from === 0 ? bytes : bytes.subarray(from), at)
  }
}

function guessKind(port: number): Upgrade['kind'] {
  if (port === 143) return 'imap'
  if (port === 110) return 'pop3'
  if (port === 21) return 'ftp'
  if (port === 5222 || port === 5269) return 'xmpp'
  return 'smtp'
}
