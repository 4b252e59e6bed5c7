/**
 * Memcache (text and binary protocols) over TCP and UDP, port 11211. On other ports the first bytes
 * are recognised (detectTcp / detectUdp): a binary header with the request/response magic and
 * consistent lengths, or a well-formed text command line (client) / reply line (server); over UDP
 * after the 8-byte frame header.
 */
import type {Dir} from '../../reassembly/types.js'
import {isMemcacheRequestLine, isMemcacheResponseLine} from '../shared/memcache-text.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {McTcpSession, McUdpSession} from './session.js'

/** Highest binary opcode memcached defines (BinaryProtocolRevamped; 0x48 is the last SASL/range one). */
const MAX_OPCODE = 0x48

/** A binary message header at `off`: magic by direction, raw data type, lengths that add up. */
function binaryHeader(data: Buffer, off: number, dir: Dir): boolean {
  if (data.length - off < 24) return false
  if (data[off] !== (dir === 0 ? 0x80 : 0x81) || data[off + 1] > MAX_OPCODE || data[off + 5] !== 0) return false
  const keyLen = data.readUInt16BE(off + 2)
  const extras = data[off + 4]
  const body = data.readUInt32BE(off + 8)
  if (dir === 1 && data.readUInt16BE(off + 6) > 0xff) return false // response status codes are small
  return keyLen <= 250 && keyLen + extras <= body && body <= 1 << 24
}

/** The first line of data[off..] (printable ASCII, ending in CR LF within 512 bytes), or null. */
function firstLine(data: Buffer, off: number): string | null {
  const end = Math.min(data.length, off + 512)
  for (let i = off; i < end; i++) {
    const c = data[i]
    if (c === 13) return i + 1 < data.length && data[i + 1] === 10 && i > off ? data.toString('latin1', off, i) : null
    if (c < 0x20 || c > 0x7e) return null
  }
  return null
}

function detectAt(data: Buffer, off: number, dir: Dir): boolean {
  if (data[off] === 0x80 || data[off] === 0x81) return binaryHeader(data, off, dir)
  const line = firstLine(data, off)
  if (line === null) return false
  return dir === 0 ? isMemcacheRequestLine(line) : isMemcacheResponseLine(line)
}

/** TCP content detection (never throws). */
export function detectTcp(data: Buffer, dir: Dir): boolean {
  return data.length >= 4 && detectAt(data, 0, dir)
}

/**
 * UDP content detection: the frame header (request id, sequence number < datagram count, reserved
 * 0; protocol.txt "UDP protocol"), then a message start in the first datagram of a message.
 */
export function detectUdp(data: Buffer, dir: Dir): boolean {
  if (data.length < 12) return false
  const seq = data.readUInt16BE(2)
  const count = data.readUInt16BE(4)
  if (count === 0 || seq >= count || data.readUInt16BE(6) !== 0) return false
  return seq === 0 && detectAt(data, 8, dir)
}

export const protocol: Protocol = {
  name: 'memcache',
  fields,
  tcp: {ports: [11211], detect: detectTcp, create: (conn, ctx) => new McTcpSession(conn, ctx)},
  udp: {ports: [11211], detect: detectUdp, create: (conn, ctx) => new McUdpSession(conn, ctx)},
}
