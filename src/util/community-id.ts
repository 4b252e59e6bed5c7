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
import {createHash} from 'node:crypto'
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
  sha1Digest(input, o)
  return base64Text(0)
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

/** One SHA-1 message block (16 words) and the message schedule, reused (synchronous use only). */
const W = new Int32Array(80)
/** The base64 alphabet as byte values. */
const B64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1')
/** Where base64Text writes: the Community ID prefix `1:`, then the 28 base64 characters (reused). */
const text = Buffer.from('1:' + ' '.repeat(28), 'latin1')
const ID_PREFIX = 2
const digest = new Uint8Array(20)

/**
 * SHA-1 (FIPS 180-4) of `b` in base64 (with padding), as crypto would print it. Inputs of at most
 * 55 bytes (one block: every Community ID input, 40 bytes at most) are hashed here without any
 * allocation besides the result string - about ten times cheaper than a crypto call for such a
 * short input; longer ones go to node:crypto.
 */
export function sha1Base64(b: Uint8Array): string {
  const n = b.length
  if (n > 55) return createHash('sha1').update(b).digest('base64')
  sha1Digest(b, n)
  return base64Text(ID_PREFIX)
}

/** SHA-1 of b[0, n) (n at most 55) into `digest`. */
function sha1Digest(b: Uint8Array, n: number): void {
  const w = W
  w.fill(0, 0, 16)
  for (let i = 0; i < n; i++) w[i >> 2] |= b[i] << (24 - 8 * (i & 3))
  w[n >> 2] |= 0x80 << (24 - 8 * (n & 3))
  w[15] = n * 8
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]
    w[t] = (x << 1) | (x >>> 31)
  }
  let a = 0x67452301
  let bb = 0xefcdab89 | 0
  let c = 0x98badcfe | 0
  let d = 0x10325476
  let e = 0xc3d2e1f0 | 0
  for (let t = 0; t < 80; t++) {
    let f: number
    let k: number
    if (t < 20) {
      f = (bb & c) | (~bb & d)
      k = 0x5a827999
    } else if (t < 40) {
      f = bb ^ c ^ d
      k = 0x6ed9eba1
    } else if (t < 60) {
      f = (bb & c) | (bb & d) | (c & d)
      k = 0x8f1bbcdc | 0
    } else {
      f = bb ^ c ^ d
      k = 0xca62c1d6 | 0
    }
    const tmp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0
    e = d
    d = c
    c = (bb << 30) | (bb >>> 2)
    bb = a
    a = tmp
  }
  word(0, (0x67452301 + a) | 0)
  word(4, (0xefcdab89 + bb) | 0)
  word(8, (0x98badcfe + c) | 0)
  word(12, (0x10325476 + d) | 0)
  word(16, (0xc3d2e1f0 + e) | 0)
}

function word(at: number, h: number): void {
  digest[at] = h >>> 24
  digest[at + 1] = (h >>> 16) & 255
  digest[at + 2] = (h >>> 8) & 255
  digest[at + 3] = h & 255
}

/**
 * `digest` in base64 (28 characters with the padding) from `text[from]`: from 0 with the `1:` prefix,
 * from ID_PREFIX without. One flat string, written as bytes and decoded once (a chain of
 * concatenations left ~30 rope pieces per Community ID to flatten and collect).
 */
function base64Text(from: number): string {
  const out = text
  let o = ID_PREFIX
  for (let i = 0; i < 18; i += 3) {
    const v = (digest[i] << 16) | (digest[i + 1] << 8) | digest[i + 2]
    out[o++] = B64[v >>> 18]
    out[o++] = B64[(v >>> 12) & 63]
    out[o++] = B64[(v >>> 6) & 63]
    out[o++] = B64[v & 63]
  }
  const v = (digest[18] << 16) | (digest[19] << 8)
  out[o++] = B64[v >>> 18]
  out[o++] = B64[(v >>> 12) & 63]
  out[o++] = B64[(v >>> 6) & 63]
  out[o++] = 0x3d
  return out.toString('latin1', from, o)
}
