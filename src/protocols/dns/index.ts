/**
 * DNS (RFC 1035, 3596, 6891, 4034, 5155, 9460, ...) over UDP (53, mDNS 5353, LLMNR 5355) and TCP
 * (53, length-prefixed, RFC 7766). Layout: codec.ts (message decoding), names.ts (mnemonics),
 * parser.ts (transport framing), session.ts (the TCP and UDP handlers), matcher.ts (query/response pairing, decisions documented there),
 * fields.ts (schema).
 *
 * Options (`protocols.dns.*`): include_authorities, include_additionals (false: those records are
 * not listed; unset or true: listed, pbx's default), send_request / send_response (the `request` /
 * `response` text in Packetbeat's dnsToString layout, see matcher.ts messageText).
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {decodeMessage, HEADER_BYTES, plausibleHeader} from './codec.js'
import {fields} from './fields.js'
import {DnsTcpSession, DnsUdpSession} from './session.js'

/**
 * Content detection for UDP flows on other ports: a plausible header (cheap checks first), then the
 * datagram must decode as one well-formed message with a question. Never throws.
 */
export function detect(data: Buffer, _dir: Dir): boolean {
  if (!plausibleHeader(data)) return false
  // the whole datagram must decode as exactly one well-formed message with a question
  const d = decodeMessage(data, 0, data.length)
  if (d === null || d.message.errors.length > 0 || d.bytes !== data.length || d.message.questions.length === 0) return false
  // NetBIOS name service (UDP 137) uses the DNS format with types NB (32) / NBSTAT (33), which are
  // also DNS's NIMLOC / SRV: NetBIOS is told apart by its name, one 32-character label of 'A'..'P'
  // (RFC 1001 section 14.1 first-level encoding), so an `_http._tcp` SRV query stays DNS.
  const q = d.message.questions[0]
  return !((q.type === 32 || q.type === 33) && isNetbiosName(q.name))
}

/** A NetBIOS first-level encoded name (RFC 1001 14.1): 32 of 'A'..'P' (any case), then the end or '.' and a scope. */
export function isNetbiosName(name: string): boolean {
  if (name.length < 32 || (name.length > 32 && name.charCodeAt(32) !== 0x2e)) return false
  for (let i = 0; i < 32; i++) {
    const c = name.charCodeAt(i) | 0x20
    if (c < 0x61 || c > 0x70) return false
  }
  return true
}

/**
 * TCP content detection: a 2-byte length (RFC 1035 4.2.2) followed by a plausible header; when
 * the whole message is in the first delivery it must decode cleanly with one question.
 */
export function detectTcp(data: Buffer, _dir: Dir): boolean {
  if (data.length < 2 + HEADER_BYTES) return false
  const len = data.readUInt16BE(0)
  if (len < HEADER_BYTES + 5) return false
  const body = data.subarray(2, 2 + Math.min(len, data.length - 2))
  if (!plausibleHeader(body.length === len ? body : Buffer.concat([body, Buffer.alloc(len - body.length)]))) return false
  if (body.length < len) return body.readUInt16BE(4) === 1
  return detect(body, _dir)
}

export const protocol: Protocol = {
  name: 'dns',
  fields,
  udp: {
    ports: [53, 5353, 5355],
    detect,
    create: (conn, ctx) => new DnsUdpSession(conn, ctx),
  },
  tcp: {
    ports: [53],
    detect: detectTcp,
    create: (conn, ctx) => new DnsTcpSession(conn, ctx),
  },
}
