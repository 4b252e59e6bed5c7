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
import {isLdapStartTls, LDAP_MAX_MESSAGE, ldapMessage, type Upgrade, upgradeCommand, upgradeReply, xmppCommand} from './parser.js'

const MAX_LINE = 512
const MAX_PLAIN = 256 * 1024

export class StarttlsSession implements StreamHandler {
  private readonly tail: [string, string] = ['', '']
  private readonly seen: [number, number] = [0, 0]
  private pending: Upgrade | undefined
  private tls: StreamHandler | null | undefined
  private done = false
  /** LDAP (port 389): bytes of an incomplete message per direction (a copy), bytes to skip. */
  private readonly ldapHeld: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)]
  private readonly ldapSkip: [number, number] = [0, 0]
  private ldapId = -1

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
    if (this.conn.serverPort === 389) {
      this.ldap(dir, bytes, at)
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
      const line = text.slice(start, nl > start && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl)
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

  /**
   * LDAP: whole LDAPMessages are read (held up to LDAP_MAX_MESSAGE bytes; larger ones skipped);
   * an ExtendedRequest for StartTLS and the ExtendedResponse with its messageID and resultCode 0
   * switch to TLS from the byte after that response.
   */
  private ldap(dir: Dir, bytes: Buffer, at: Moment): void {
    let b = bytes
    if (this.ldapSkip[dir] > 0) {
      const k = Math.min(this.ldapSkip[dir], b.length)
      this.ldapSkip[dir] -= k
      b = b.subarray(k)
      if (b.length === 0) return
    }
    const held = this.ldapHeld[dir]
    let cur = held.length === 0 ? b : Buffer.concat([held, b])
    for (;;) {
      const m = ldapMessage(cur)
      if (m === -1) {
        this.done = true
        return
      }
      if (m === 0) {
        if (cur.length > LDAP_MAX_MESSAGE) this.done = true
        this.ldapHeld[dir] = Buffer.from(cur) // copy: it outlives the call
        return
      }
      if (m.len > cur.length) {
        this.ldapSkip[dir] = m.len - cur.length
        this.ldapHeld[dir] = Buffer.alloc(0)
        return
      }
      const rest = cur.subarray(m.len)
      if (dir === 0 && isLdapStartTls(m)) this.ldapId = m.id
      else if (dir === 1 && m.op === 0x78 && m.id === this.ldapId) {
        this.ldapId = -1
        if (m.resultCode === 0) {
          this.ldapHeld[0] = this.ldapHeld[1] = Buffer.alloc(0)
          this.switchTo(dir, rest, 0, at, {kind: 'ldap', command: 'ExtendedRequest 1.3.6.1.4.1.1466.20037'})
          return
        }
      }
      cur = rest
      if (cur.length === 0) {
        this.ldapHeld[dir] = Buffer.alloc(0)
        return
      }
    }
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
  if (port === 389) return 'ldap'
  return 'smtp'
}
