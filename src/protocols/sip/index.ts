/**
 * SIP (RFC 3261) over UDP and TCP, default port 5060; on other ports a datagram or the first bytes
 * of a connection that start with a request line ("INVITE sip:... SIP/2.0") or a status line
 * ("SIP/2.0 200 OK") are recognised. Layout: parser.ts (message, header values, SDP),
 * session.ts (UDP and TCP handlers), matcher.ts (one event per message, transaction tracking),
 * fields.ts (schema).
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {looksLikeStart} from './parser.js'
import {SipTcpSession, SipUdpSession} from './session.js'

/** A SIP request or status line at the start (never throws). */
export function detect(data: Buffer, _dir: Dir): boolean {
  return looksLikeStart(data, 0, data.length)
}

export const protocol: Protocol = {
  name: 'sip',
  fields,
  udp: {
    ports: [5060],
    detect,
    create: (conn, ctx) => new SipUdpSession(conn, ctx),
  },
  tcp: {
    ports: [5060],
    detect,
    create: (conn, ctx) => new SipTcpSession(conn, ctx),
  },
}
