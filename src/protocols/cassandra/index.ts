/**
 * Cassandra: the CQL native protocol v3-v5 (v1/v2 headers too) over TCP. Default port 9042; on
 * other ports a client's first frame is recognised when it is a plausible OPTIONS or STARTUP
 * request header (version 1..6 request, flags within the known bits, stream >= 0, length
 * consistent: OPTIONS has an empty body, STARTUP a string map). Layout: decompress.ts (LZ4,
 * Snappy, CRC24/CRC32), codec.ts (bodies), parser.ts (legacy and v5 framing), session.ts (the
 * StreamHandler), matcher.ts (stream-id pairing, options), fields.ts (schema).
 * Options (protocols.cassandra.*): send_request, send_response, send_request_header,
 * send_response_header, compressor, ignored_ops (see ./matcher.ts).
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {OP} from './codec.js'
import {fields} from './fields.js'
import {CassandraSession} from './session.js'

/** A client's OPTIONS or STARTUP header at the start of the connection (never throws). */
export function detect(data: Buffer, dir: Dir): boolean {
  if (dir !== 0 || data.length < 9) return false
  const v = data[0]
  if (v < 3 || v > 6 || data[1] & 0xe0 || data[2] & 0x80) return false
  const op = data[4]
  const len = data.readUInt32BE(5)
  if (op === OP.OPTIONS) return len === 0
  if (op !== OP.STARTUP || len < 2 || len > 4096) return false
  // a string map with at least one entry whose first key is a known STARTUP option
  if (data.length < 11) return false
  const n = data.readUInt16BE(9)
  if (n < 1 || n > 16) return false
  if (data.length < 13) return true
  const kl = data.readUInt16BE(11)
  if (kl < 1 || kl > 64 || data.length < 13 + kl) return kl >= 1 && kl <= 64
  // STARTUP option names are upper-case ASCII with underscores (CQL_VERSION, COMPRESSION, ...)
  for (let i = 13; i < 13 + kl; i++) {
    const c = data[i]
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x5f)) return false
  }
  return true
}

export const protocol: Protocol = {
  name: 'cassandra',
  fields,
  tcp: {
    ports: [9042],
    detect,
    create: (conn, ctx) => new CassandraSession(conn, ctx),
  },
}
