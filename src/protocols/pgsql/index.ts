/**
 * PostgreSQL frontend/backend protocol v3 (TCP 5432). See ./matcher.ts for the transaction model and
 * ./parser.ts for the framing.
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {PgsqlSession} from './session.js'
import {CANCEL_REQUEST, GSSENC_REQUEST, PROTOCOL_3, SSL_REQUEST} from './parser.js'

/**
 * Content detection (cheap, never throws): a client's untyped first message, i.e. an SSLRequest /
 * GSSENCRequest / CancelRequest of the fixed length, or a StartupMessage (length then protocol
 * 3.0, followed by a "user" or "database" parameter name).
 */
export function detect(b: Buffer, dir: Dir): boolean {
  if (dir !== 0 || b.length < 8) return false
  const len = b.readUInt32BE(0)
  const code = b.readUInt32BE(4)
  if (code === SSL_REQUEST || code === GSSENC_REQUEST) return len === 8
  if (code === CANCEL_REQUEST) return len === 16
  if (code !== PROTOCOL_3 || len < 9 || len > 10000) return false
  return b.length >= 12 && b[len - 1 < b.length ? len - 1 : 8] !== undefined && b[8] !== 0 && (b[8] as number) >= 0x20
}

export const protocol: Protocol = {
  name: 'pgsql',
  fields,
  tcp: {
    ports: [5432],
    detect,
    create: (conn, ctx) => new PgsqlSession(conn, ctx),
  },
}
