/** Memcache (text and binary protocols) over TCP and UDP, port 11211. */
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {McTcpSession, McUdpSession} from './session.js'

export const protocol: Protocol = {
  name: 'memcache',
  fields,
  tcp: {ports: [11211], create: (conn, ctx) => new McTcpSession(conn, ctx)},
  udp: {ports: [11211], create: (conn, ctx) => new McUdpSession(conn, ctx)},
}
