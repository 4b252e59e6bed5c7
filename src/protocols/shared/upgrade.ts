/**
 * The hand-off of a connection from HTTP/1.1 to the protocol it switches to (RFC 9110 section
 * 7.8: a 101 Switching Protocols answering a request with `Upgrade: <token>`; and HTTP/2 with prior
 * knowledge met on a port given to HTTP/1, RFC 9113 section 3.3). A protocol that can take a
 * connection over registers a factory for its upgrade token; the HTTP session (./session.ts) then
 * creates that handler and feeds it every byte after the switch in both directions, its gaps and
 * its end. Registration happens once, at module load; lookups are per connection switch, not per
 * packet.
 */
import type {ConnInfo, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'

/** The HTTP/1.1 request that asked for the upgrade (absent for prior knowledge). */
export interface UpgradeRequest {
  method: string
  target: string
  host: string | undefined
  userAgent: string | undefined
  /** Capture time of the request's first byte. */
  startSec: number
  startNsec: number
  startFrame: number
}

export type UpgradeFactory = (conn: ConnInfo, ctx: ProtocolContext, req: UpgradeRequest | null) => StreamHandler

const factories = new Map<string, UpgradeFactory>()

/** Registers the handler for upgrade token `token` (case-insensitive, e.g. "h2c"). */
export function registerUpgrade(token: string, f: UpgradeFactory): void {
  factories.set(token.toLowerCase(), f)
}

/** The factory for the first token of an Upgrade header value that has one. */
export function upgradeFor(upgrade: string | undefined): UpgradeFactory | undefined {
  if (upgrade === undefined) return undefined
  for (const t of upgrade.split(',')) {
    const f = factories.get(t.trim().toLowerCase())
    if (f !== undefined) return f
  }
  return undefined
}
