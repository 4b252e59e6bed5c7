/**
 * NFS (v2, v3 and v4.x COMPOUND) over ONC RPC, on TCP (record marking) and UDP. Default port 2049
 * for both; on other ports the first bytes of a connection or a datagram that are an RPC call to
 * program 100003 are recognised. Port 2049 is declared a server port, so that a flow or a
 * connection picked up mid-stream whose client uses a privileged port (below 1024, as NFS clients
 * do) still gets its roles right. Layout: xdr.ts (bounded reader), parser.ts (record marking, RPC
 * header), codec.ts (procedure arguments, compound walk, reply status), names.ts, session.ts,
 * matcher.ts (xid matching), fields.ts.
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {looksLikeNfsCall} from './parser.js'
import {NfsTcpSession, NfsUdpSession} from './session.js'

/** TCP: a record mark and an NFS call (never throws). */
export function detectTcp(data: Buffer, _dir: Dir): boolean {
  return data.length >= 28 && (data.readUInt32BE(0) & 0x7fffffff) >= 40 && looksLikeNfsCall(data, 4, data.length)
}

/** UDP: an NFS call (never throws). */
export function detectUdp(data: Buffer, _dir: Dir): boolean {
  return looksLikeNfsCall(data, 0, data.length)
}

export const protocol: Protocol = {
  name: 'nfs',
  fields,
  tcp: {
    ports: [2049],
    serverPorts: [2049],
    detect: detectTcp,
    create: (conn, ctx) => new NfsTcpSession(conn, ctx),
  },
  udp: {
    ports: [2049],
    serverPorts: [2049],
    detect: detectUdp,
    create: (conn, ctx) => new NfsUdpSession(conn, ctx),
  },
}
