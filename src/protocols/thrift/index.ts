/**
 * Apache Thrift RPC over TCP: binary (strict and old headers) and compact protocols, socket and
 * framed transports. Port 9090 (Packetbeat's reference configuration; Thrift has no assigned
 * port); on other ports a strict binary header (0x8001) or a compact one (0x82) with a plausible
 * method name is recognised, bare or after a frame length. Layout: codec.ts (values and their
 * text), idl.ts (the idl_files reader), parser.ts (framing and message headers), session.ts (the
 * StreamHandler), matcher.ts (call/reply pairing by seqid), options.ts, fields.ts.
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {checkThriftOptions} from './options.js'
import {ThriftSession} from './session.js'

const isNameByte = (c: number) => (c >= 48 && c <= 58) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46

/** A strict binary or compact message header with a 1..255-byte method name at data[i]. */
function headerAt(data: Buffer, i: number): boolean {
  let nameAt: number
  let n: number
  if (data[i] === 0x80) {
    if (data.length < i + 8 || data[i + 1] !== 0x01 || data[i + 2] !== 0 || data[i + 3]! < 1 || data[i + 3]! > 4) return false
    const len = data.readInt32BE(i + 4)
    if (len < 1 || len > 255) return false
    nameAt = i + 8
    n = len
  } else if (data[i] === 0x82) {
    if (data.length < i + 3) return false
    const tv = data[i + 1]!
    if ((tv & 0x1f) !== 1 || tv >> 5 < 1 || tv >> 5 > 4) return false
    // varint seqid (at most 5 bytes), then a varint name length (one byte for 1..127)
    let k = i + 2
    while (k < data.length && k < i + 7 && data[k]! & 0x80) k++
    k++
    if (k >= data.length) return false
    n = data[k]!
    if (n < 1 || n > 127) return false
    nameAt = k + 1
  } else return false
  const stop = Math.min(data.length, nameAt + n)
  if (stop <= nameAt) return false
  for (let k = nameAt; k < stop; k++) if (!isNameByte(data[k]!)) return false
  return true
}

/** Content detection (never throws): a message header, bare or after a 4-byte frame length. */
export function detect(data: Buffer, _dir: Dir): boolean {
  if (headerAt(data, 0)) return true
  if (data.length >= 8 && data[0] === 0 && data.readUInt32BE(0) >= 8) return headerAt(data, 4)
  return false
}

export const protocol: Protocol = {
  name: 'thrift',
  fields,
  checkOptions: checkThriftOptions,
  tcp: {
    ports: [9090],
    detect,
    create: (conn, ctx) => new ThriftSession(conn, ctx),
  },
}
