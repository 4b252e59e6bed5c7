/** Memcache (text and binary protocols) over TCP and UDP, port 11211. */
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {McTcpConn, McUdpFlow} from './handler.js'

export const protocol: Protocol = {
  name: 'memcache',
  fields,
  tcp: {ports: [11211], create: (conn, ctx) => new McTcpConn(conn, ctx)},
  udp: {ports: [11211], create: (conn, ctx) => new McUdpFlow(conn, ctx)},
}
