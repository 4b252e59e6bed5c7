/**
 * Community ID v1 flow hashing (https://github.com/corelight/community-id-spec).
 *
 * Hash input, all in network byte order (spec "Pseudo code" and reference community-id.py):
 *   seed (2) . saddr (4|16) . daddr (4|16) . proto (1) . 0 (1) [. sport (2) . dport (2)]
 * The ports are present only for the port-carrying protocols TCP, UDP, SCTP, ICMP and ICMPv6.
 * The endpoints are ordered so that the numerically smaller (address, port) pair comes first, which
 * makes both directions of a flow hash alike. For ICMP/ICMPv6 the "ports" are the message type and
 * either the counterpart type (request/reply pairs, two-way) or the code (one-way messages, which
 * are never flipped) - the mapping Zeek uses, reproduced from the spec's reference implementation.
 * Result: "1:" + base64(SHA-1(input)).
 *
 * Computed once per connection or event, never per packet: it builds a string and a hash object.
 */
import {createHash, hash as oneShotHash} from 'node:crypto'
import {tryParseIp} from './ip.js'

const PROTO_ICMP = 1
const PROTO_TCP = 6
const PROTO_UDP = 17
const PROTO_ICMP6 = 58
const PROTO_SCTP = 132

function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP || proto === PROTO_ICMP || proto === PROTO_ICMP6
}

/** ICMPv4 request/reply counterparts (type -> counterpart type). Others are one-way. */
const ICMP4_COUNTERPART: ReadonlyMap<number, number> = new Map([
  [8, 0], // echo -> echo reply
  [0, 8],
  [13, 14], // timestamp -> timestamp reply
  [14, 13],
  [15, 16], // information request -> reply
  [16, 15],
  [10, 9], // router solicitation -> advertisement
  [9, 10],
  [17, 18], // address mask request -> reply
  [18, 17],
])

/** ICMPv6 request/reply counterparts. Others are one-way. */
const ICMP6_COUNTERPART: ReadonlyMap<number, number> = new Map([
  [128, 129], // echo request -> reply
  [129, 128],
  [130, 131], // MLD listener query -> report
  [131, 130],
  [133, 134], // router solicitation -> advertisement
  [134, 133],
  [135, 136], // neighbor solicitation -> advertisement
  [136, 135],
  [139, 140], // node information (who-are-you) query -> reply
  [140, 139],
  [144, 145], // home agent address discovery request -> reply
  [145, 144],
])

// Scratch for the hash input: at most 2 + 16 + 16 + 1 + 1 + 2 + 2 = 40 bytes. Used synchronously.
const input = Buffer.alloc(40)

/**
 * Community ID v1 of a flow given in the DecodedPacket word layout (IPv4: word 0 only).
 * For ICMP (proto 1) and ICMPv6 (58) pass the message type as srcPort and the code as dstPort.
 * For protocols without ports the port arguments are ignored.
 */
export function communityId(
  ipVersion: 4 | 6,
  proto: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  srcPort: number,
  dstPort: number,
  seed = 0,
): string {
  const sport = srcPort & 0xffff
  let dport = dstPort & 0xffff
  let oneWay = false
  if (proto === PROTO_ICMP || proto === PROTO_ICMP6) {
    const other = (proto === PROTO_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART).get(sport)
    if (other === undefined) oneWay = true
    else dport = other
  }
  const ports = hasPorts(proto)
  // Order endpoints: smaller address first; on equal addresses the smaller port first.
  let cmp = 0
  const nw = ipVersion === 4 ? 1 : 4
  for (let i = 0; i < nw && cmp === 0; i++) {
    const a = (i === 0 ? s0 : i === 1 ? s1 : i === 2 ? s2 : s3) >>> 0
    const b = (i === 0 ? d0 : i === 1 ? d1 : i === 2 ? d2 : d3) >>> 0
    cmp = a < b ? -1 : a > b ? 1 : 0
  }
  if (cmp === 0 && ports) cmp = sport < dport ? -1 : sport > dport ? 1 : 0
  const flip = !oneWay && cmp > 0
  let o = 0
  input.writeUInt16BE(seed & 0xffff, o)
  o += 2
  for (let side = 0; side < 2; side++) {
    const useSrc = (side === 0) !== flip
    for (let i = 0; i < nw; i++) {
      const w = useSrc ? (i === 0 ? s0 : i === 1 ? s1 : i === 2 ? s2 : s3) : i === 0 ? d0 : i === 1 ? d1 : i === 2 ? d2 : d3
      input.writeUInt32BE(w >>> 0, o)
      o += 4
    }
  }
  input[o++] = proto & 0xff
  input[o++] = 0
  if (ports) {
    input.writeUInt16BE(flip ? dport : sport, o)
    input.writeUInt16BE(flip ? sport : dport, o + 2)
    o += 4
  }
  return '1:' + sha1Base64(input.subarray(0, o))
}

/**
 * The same from address text (IPv4 dotted quad or IPv6), for tests, configuration and ICMP events.
 * Returns '' when an address does not parse or the two addresses are of different families (the
 * spec allows an empty value for flows it cannot represent).
 */
export function communityIdFromStrings(
  srcIp: string,
  dstIp: string,
  proto: number,
  srcPort: number,
  dstPort: number,
  seed = 0,
): string {
  const s = tryParseIp(srcIp)
  const d = tryParseIp(dstIp)
  if (s === null || d === null || s.version !== d.version) return ''
  const sw = s.words
  const dw = d.words
  return communityId(s.version, proto, sw[0], sw[1], sw[2], sw[3], dw[0], dw[1], dw[2], dw[3], srcPort, dstPort, seed)
}

/**
 * SHA-1 of `b` in base64. crypto.hash (Node >= 20.12) hashes in one call without a Hash object per
 * connection; older Node falls back to createHash. Same bytes either way.
 */
const sha1Base64: (b: Uint8Array) => string =
  typeof oneShotHash === 'function'
    ? (b) => oneShotHash('sha1', b, 'base64')
    : (b) => createHash('sha1').update(b).digest('base64')
