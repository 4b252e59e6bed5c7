/**
 * The hand-off of a plaintext connection to TLS in the middle of its bytes: a protocol that has
 * recognised its own upgrade exchange (PostgreSQL SSLRequest answered 'S', MySQL's SSL Request
 * packet, LDAP StartTLS, SMTP STARTTLS, ...) opens a TLS handler for the rest of the connection
 * through ProtocolContext.openInner and feeds it every byte after the switch, in both directions.
 * The TLS session's transactions get `pbx.starttls.{protocol,command,frame}` (declared by the
 * starttls protocol's fields.ts) so the event says where the TLS started.
 */
import type {Transaction} from '../../event/types.js'
import type {ConnInfo, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'

export interface TlsSwitch {
  /** The plaintext protocol: smtp, pgsql, mysql, ldap, ... */
  protocol: string
  /** The upgrade request as sent or named (bounded by the caller). */
  command: string
  /** Frame of the positive reply (or of the request, where there is no reply). */
  frame: number
}

/** An emit that adds `pbx.starttls` from `sw` to each transaction before handing it to `ctx`. */
export function switchedEmit(ctx: ProtocolContext, sw: TlsSwitch): (t: Transaction) => void {
  return (t) => {
    const pbx = (t.fields.pbx as Record<string, unknown> | undefined) ?? {}
    pbx.starttls = {protocol: sw.protocol, command: sw.command, frame: sw.frame}
    t.fields.pbx = pbx
    ctx.emit(t)
  }
}

/**
 * A TLS handler for the rest of `conn` (prefer tls; any other selected protocol by content when tls
 * is not selected), or null when nothing can parse it (no dispatch stage, nothing selected).
 */
export function openTlsAfter(conn: ConnInfo, ctx: ProtocolContext, self: string, sw: TlsSwitch): StreamHandler | null {
  return ctx.openInner?.(conn, {self, prefer: 'tls', emit: switchedEmit(ctx, sw)}) ?? null
}
