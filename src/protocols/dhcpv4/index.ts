/**
 * DHCPv4 / BOOTP (RFC 2131, 2132) on UDP 67/68: one event per message (see matcher.ts).
 */
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {DhcpSession} from './session.js'

export const protocol: Protocol = {
  name: 'dhcpv4',
  fields,
  udp: {
    ports: [67, 68],
    clientPorts: [68],
    create: (conn, ctx) => new DhcpSession(conn, ctx),
  },
}
