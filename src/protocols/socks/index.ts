/**
 * SOCKS proxies (SOCKS4, 4a, 5 with RFC 1929 authentication), port 1080 or by content: the
 * handshake is followed and a granted CONNECT's tunnel is analysed as a connection of its own (its
 * events carry pbx.socks.*, ./fields.ts); the handshake is not an event of its own.
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {SocksSession} from './session.js'

/**
 * Content detection (client's first bytes only, never throws): a SOCKS5 greeting whose methods are
 * all known (0 none, 1 GSSAPI, 2 username/password, 3..9 IANA) and that is the whole first
 * message, or a SOCKS4 CONNECT whose user id is printable and NUL-terminated.
 */
export function detect(b: Buffer, dir: Dir): boolean {
  if (dir !== 0 || b.length < 3) return false
  if (b[0] === 5) {
    const n = b[1]!
    if (n === 0 || n > 9 || b.length !== 2 + n) return false
    for (let i = 2; i < 2 + n; i++) if (b[i]! > 9) return false
    return true
  }
  if (b[0] === 4 && b[1] === 1 && b.length >= 9) {
    for (let i = 8; i < b.length; i++) {
      if (b[i] === 0) return i === b.length - 1 || (b[4] === 0 && b[5] === 0 && b[6] === 0)
      if (b[i]! < 0x20 || b[i]! > 0x7e) return false
    }
  }
  return false
}

export const protocol: Protocol = {
  name: 'socks',
  fields,
  tcp: {
    ports: [1080],
    detect,
    create: (conn, ctx) => new SocksSession(conn, ctx),
  },
}
