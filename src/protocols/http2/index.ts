/**
 * HTTP/2 over cleartext TCP (h2c, RFC 9113) with gRPC on top. One Http2Session (./session.ts) per
 * connection; each stream is a transaction (./matcher.ts). gRPC lives in this folder (./grpc.ts)
 * rather than in a protocol of its own: a gRPC call is an HTTP/2 stream whose content-type is
 * application/grpc, found only after its HEADERS are decoded, on the same connection as plain
 * HTTP/2 streams, so it is the HTTP/2 stream's transaction that carries the grpc.* fields.
 *
 * Detection: the client connection preface (prior knowledge, RFC 9113 section 3.3) on any port.
 * On HTTP/1 ports, and after `Upgrade: h2c`, the HTTP/1 session hands the connection over
 * (../http/upgrade.ts). h2 inside TLS (ALPN "h2") needs decryption and is not handled here. Options
 * (`protocols.http2.*`): send_headers (boolean) adds http.request.headers and http.response.headers.
 */
import type {Dir} from '../../reassembly/types.js'
import {registerUpgrade} from '../shared/upgrade.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {PREFACE} from './parser.js'
import {Http2Session} from './session.js'

/** The first client bytes are (a prefix of, at least 4 bytes of) the connection preface. Never throws. */
export function detect(data: Buffer, dir: Dir): boolean {
  if (dir !== 0 || data.length < 4) return false
  const n = Math.min(data.length, PREFACE.length)
  return data.compare(PREFACE, 0, n, 0, n) === 0
}

// The HTTP/1 session hands over connections that switch to h2c (101 after `Upgrade: h2c`) or that
// start with the preface on a port given to HTTP/1.
registerUpgrade('h2c', (conn, ctx, req) => new Http2Session(conn, ctx, req))

export const protocol: Protocol = {
  name: 'http2',
  fields,
  tcp: {
    ports: [],
    detect,
    create: (conn, ctx) => new Http2Session(conn, ctx),
  },
}
