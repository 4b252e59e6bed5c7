/**
 * MySQL / MariaDB client-server protocol (TCP 3306). See ./matcher.ts for the transaction model and
 * ./parser.ts for the framing.
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {MysqlSession} from './session.js'

/**
 * Content detection (cheap, never throws): a server greeting (seq 0, protocol version 10 followed
 * by a printable version string and a NUL) or a client command packet (seq 0, plausible length,
 * COM_QUERY / COM_PING / ... whose length matches the bytes seen when short).
 */
export function detect(b: Buffer, dir: Dir): boolean {
  if (b.length < 5) return false
  const len = (b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16)
  const seq = b[3] as number
  if (len === 0) return false
  if (dir === 1) {
    if (seq !== 0 || b[4] !== 10 || len < 20 || len > 1024) return false
    const end = Math.min(b.length, 4 + len)
    let i = 5
    while (i < end && (b[i] as number) >= 0x20 && (b[i] as number) < 0x7f) i++
    return i > 5 && i < end && b[i] === 0
  }
  if (seq === 0) {
    const cmd = b[4] as number
    if (cmd === 0x03 || cmd === 0x16) {
      if (len < 2) return false
      // SQL text: printable first character
      const c = b[5]
      return c !== undefined && ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) && (len + 4 >= b.length)
    }
    if (cmd === 0x0e || cmd === 0x01) return len === 1 && b.length === 5
    return false
  }
  return false
}

export const protocol: Protocol = {
  name: 'mysql',
  fields,
  tcp: {
    ports: [3306],
    detect,
    create: (conn, ctx) => new MysqlSession(conn, ctx),
  },
}
