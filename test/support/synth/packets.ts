/**
 * Packet builders for tests, sample-generation scripts and the benchmark.
 *
 * Layers compose bottom-up: build the transport segment, wrap it in IP, wrap that in Ethernet:
 *
 *   const seg = tcp({srcPort: 40000, dstPort: 80, seq: 1, flags: TcpFlag.ACK, payload}, '10.0.0.1', '10.0.0.2')
 *   const frame = ethernet({etherType: 0x0800, payload: ipv4({src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: seg})})
 *
 * or in one call: `tcpFrame({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, ...})`.
 * For whole TCP exchanges use `TcpConversation` (below); `pcapFile()` turns frames into a classic
 * pcap file for samples/ and golden tests.
 *
 * Every checksum (IPv4 header, TCP/UDP with the RFC 9293 / RFC 8200 section 8.1 pseudo header) is
 * computed correctly unless a field is explicitly overridden. Builders THROW on misuse (bad address
 * text, MTU too small): they craft inputs, they never parse captured data.
 */
import {TcpFlag} from '../../../src/decode/types.js'
import {parseIp} from '../../../src/util/ip.js'
import {PcapWriter} from './pcap-writer.js'

/** A frame with its capture timestamp, as TcpConversation and pcapFile use them. */
export interface SynthFrame {
  data: Buffer
  tsSec: number
  tsNsec: number
}

// ---------------------------------------------------------------------------------- checksums

/** Unfolded one's-complement sum of buf[start, end) as big-endian 16-bit words (odd byte padded). */
export function onesSum(buf: Buffer, start = 0, end = buf.length, initial = 0): number {
  let sum = initial
  let i = start
  const even = end - ((end - start) & 1)
  for (; i < even; i += 2) sum += (buf[i] << 8) | buf[i + 1]
  if (i < end) sum += buf[i] << 8
  return sum
}

/** RFC 1071 Internet checksum of buf[start, end) with an initial (pseudo-header) sum. */
export function internetChecksum(buf: Buffer, start = 0, end = buf.length, initial = 0): number {
  let sum = onesSum(buf, start, end, initial)
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536)
  return ~sum & 0xffff
}

function wordSum(w: number): number {
  return (w >>> 16) + (w & 0xffff)
}

/** Pseudo-header sum without the length (RFC 9293 section 3.1 for IPv4, RFC 8200 section 8.1 for IPv6). */
function pseudoSum(src: number[], dst: number[], version: 4 | 6, proto: number): number {
  let s = proto
  const n = version === 4 ? 1 : 4
  for (let i = 0; i < n; i++) s += wordSum(src[i]) + wordSum(dst[i])
  return s
}

function addr(ip: string | number): {version: 4 | 6; words: number[]} {
  if (typeof ip === 'number') return {version: 4, words: [ip >>> 0, 0, 0, 0]}
  return parseIp(ip)
}

// ---------------------------------------------------------------------------------- Ethernet

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  IPV6: 0x86dd,
  LLDP: 0x88cc,
} as const

function mac(s: string | undefined, fallback: string): Buffer {
  const t = s ?? fallback
  const parts = t.split(/[:-]/)
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`bad MAC address "${t}"`)
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)))
}

export interface EthernetSpec {
  /** MAC addresses as "aa:bb:cc:dd:ee:ff"; defaults 02:00:00:00:00:01 / 02:00:00:00:00:02. */
  src?: string
  dst?: string
  /** VLAN ids, outermost first. */
  vlan?: number[]
  /** TPID per tag (same order as vlan); default 0x8100 for every tag (use 0x88a8 for an 802.1ad outer tag). */
  vlanTpids?: number[]
  etherType: number
  payload: Buffer
}

/** Ethernet II header (+ tags) as a standalone buffer, without payload. */
function ethernetHeader(spec: Omit<EthernetSpec, 'payload'>): Buffer {
  const tags = spec.vlan ?? []
  const h = Buffer.allocUnsafe(14 + 4 * tags.length)
  mac(spec.dst, '02:00:00:00:00:02').copy(h, 0)
  mac(spec.src, '02:00:00:00:00:01').copy(h, 6)
  let off = 12
  for (let i = 0; i < tags.length; i++) {
    h.writeUInt16BE(spec.vlanTpids?.[i] ?? EtherType.VLAN, off)
    h.writeUInt16BE(tags[i] & 0x0fff, off + 2)
    off += 4
  }
  h.writeUInt16BE(spec.etherType, off)
  return h
}

/** An Ethernet II frame (no FCS). Short frames are NOT padded; append padding yourself to test trimming. */
export function ethernet(spec: EthernetSpec): Buffer {
  return Buffer.concat([ethernetHeader(spec), spec.payload])
}

// ---------------------------------------------------------------------------------- IPv4

export interface Ipv4Spec {
  src: string | number
  dst: string | number
  proto: number
  payload: Buffer
  /** Identification; default 1. */
  id?: number
  ttl?: number
  tos?: number
  /** The 3 flag bits: 0b010 = DF, 0b001 = MF. */
  flags?: number
  /** Fragment offset in BYTES (a multiple of 8). */
  fragOffset?: number
  /** Option bytes; padded with EOL (0) to a multiple of 4. */
  options?: Buffer
  /** Override the total length field (to craft corrupt packets); the checksum still matches. */
  totalLength?: number
}

/** An IPv4 datagram with a correct header checksum. */
export function ipv4(spec: Ipv4Spec): Buffer {
  const opt = spec.options ?? Buffer.alloc(0)
  const optLen = (opt.length + 3) & ~3
  const ihl = 20 + optLen
  const b = Buffer.alloc(ihl + spec.payload.length)
  b[0] = 0x40 | (ihl >> 2)
  b[1] = spec.tos ?? 0
  b.writeUInt16BE(spec.totalLength ?? b.length, 2)
  b.writeUInt16BE((spec.id ?? 1) & 0xffff, 4)
  b.writeUInt16BE((((spec.flags ?? 0) & 7) << 13) | (((spec.fragOffset ?? 0) >> 3) & 0x1fff), 6)
  b[8] = spec.ttl ?? 64
  b[9] = spec.proto
  b.writeUInt32BE(addr(spec.src).words[0], 12)
  b.writeUInt32BE(addr(spec.dst).words[0], 16)
  opt.copy(b, 20)
  b.writeUInt16BE(internetChecksum(b, 0, ihl), 10)
  spec.payload.copy(b, ihl)
  return b
}

// ---------------------------------------------------------------------------------- IPv6

/**
 * One IPv6 extension header. `body` is everything after the Next Header and length bytes; the
 * builder fills those two bytes (length per the header's type: 8-octet units for most, 4-octet
 * units for AH (51), none for the fragment header (44), whose body must be 6 bytes).
 */
export interface Ipv6ExtHeader {
  type: number
  body: Buffer
}

/** Hop-by-hop (0) or destination options (60) header, padded with PadN to a multiple of 8 bytes. */
export function ipv6OptionsHeader(type: 0 | 60, options: Buffer = Buffer.alloc(0)): Ipv6ExtHeader {
  const total = (options.length + 2 + 7) & ~7
  const body = Buffer.alloc(total - 2)
  options.copy(body, 0)
  const pad = body.length - options.length
  if (pad === 1) body[options.length] = 0 // Pad1
  else if (pad >= 2) {
    body[options.length] = 1 // PadN
    body[options.length + 1] = pad - 2
  }
  return {type, body}
}

/** Routing header (43), type 0-style layout with `addresses` (text) as segments; segmentsLeft default 0. */
export function ipv6RoutingHeader(addresses: string[], routingType = 0, segmentsLeft = 0): Ipv6ExtHeader {
  const body = Buffer.alloc(6 + 16 * addresses.length)
  body[0] = routingType
  body[1] = segmentsLeft
  addresses.forEach((a, i) => {
    const w = parseIp(a).words
    for (let k = 0; k < 4; k++) body.writeUInt32BE(w[k], 6 + 16 * i + 4 * k)
  })
  return {type: 43, body}
}

/** Fragment header (44): offset in BYTES (multiple of 8), M flag, identification. */
export function ipv6FragmentHeader(offset: number, more: boolean, id: number): Ipv6ExtHeader {
  const body = Buffer.alloc(6)
  body.writeUInt16BE((offset & 0xfff8) | (more ? 1 : 0), 0)
  body.writeUInt32BE(id >>> 0, 2)
  return {type: 44, body}
}

function extBytes(h: Ipv6ExtHeader, next: number): Buffer {
  const b = Buffer.alloc(2 + h.body.length)
  b[0] = next
  if (h.type === 44) {
    if (h.body.length !== 6) throw new Error('fragment header body must be 6 bytes')
  } else if (h.type === 51) {
    if (b.length % 4 !== 0) throw new Error('AH length must be a multiple of 4')
    b[1] = b.length / 4 - 2
  } else {
    if (b.length % 8 !== 0) throw new Error(`extension header ${h.type} length must be a multiple of 8`)
    b[1] = b.length / 8 - 1
  }
  h.body.copy(b, 2)
  return b
}

export interface Ipv6Spec {
  src: string
  dst: string
  /** Protocol of `payload` (the last Next Header of the chain). */
  nextHeader: number
  payload: Buffer
  /** Extension headers in order; their Next Header / length bytes are filled in. */
  extHeaders?: Ipv6ExtHeader[]
  hopLimit?: number
  trafficClass?: number
  flowLabel?: number
  /** Override the payload length field (to craft corrupt packets). */
  payloadLength?: number
}

export function ipv6(spec: Ipv6Spec): Buffer {
  const exts = spec.extHeaders ?? []
  const parts: Buffer[] = []
  for (let i = 0; i < exts.length; i++) parts.push(extBytes(exts[i], i + 1 < exts.length ? exts[i + 1].type : spec.nextHeader))
  parts.push(spec.payload)
  const body = Buffer.concat(parts)
  const h = Buffer.alloc(40)
  h.writeUInt32BE(((6 << 28) | ((spec.trafficClass ?? 0) << 20) | ((spec.flowLabel ?? 0) & 0xfffff)) >>> 0, 0)
  h.writeUInt16BE(spec.payloadLength ?? body.length, 4)
  h[6] = exts.length > 0 ? exts[0].type : spec.nextHeader
  h[7] = spec.hopLimit ?? 64
  const s = parseIp(spec.src).words
  const d = parseIp(spec.dst).words
  for (let k = 0; k < 4; k++) {
    h.writeUInt32BE(s[k], 8 + 4 * k)
    h.writeUInt32BE(d[k], 24 + 4 * k)
  }
  return Buffer.concat([h, body])
}

// ---------------------------------------------------------------------------------- TCP / UDP

export interface TcpSpec {
  srcPort: number
  dstPort: number
  seq: number
  ack?: number
  /** TcpFlag bits. */
  flags: number
  window?: number
  urgent?: number
  payload?: Buffer
  /** Option bytes, padded with EOL (0) to a multiple of 4. */
  options?: Buffer
  /** Override the data offset (in bytes) to craft corrupt headers. */
  dataOffset?: number
}

/** Writes a TCP header + payload at `off` in `b` and its checksum; returns bytes written. */
function writeTcp(b: Buffer, off: number, spec: TcpSpec, pseudo: number): number {
  const opt = spec.options
  const optLen = opt === undefined ? 0 : (opt.length + 3) & ~3
  const hlen = 20 + optLen
  const payload = spec.payload
  const plen = payload === undefined ? 0 : payload.length
  b.writeUInt16BE(spec.srcPort, off)
  b.writeUInt16BE(spec.dstPort, off + 2)
  b.writeUInt32BE(spec.seq >>> 0, off + 4)
  b.writeUInt32BE((spec.ack ?? 0) >>> 0, off + 8)
  b[off + 12] = ((spec.dataOffset ?? hlen) >> 2) << 4
  b[off + 13] = spec.flags
  b.writeUInt16BE(spec.window ?? 65535, off + 14)
  b.writeUInt32BE(spec.urgent ?? 0, off + 16) // checksum 0 for now + urgent pointer
  if (opt !== undefined) {
    b.fill(0, off + 20, off + hlen)
    opt.copy(b, off + 20)
  }
  if (payload !== undefined) payload.copy(b, off + hlen)
  const n = hlen + plen
  b.writeUInt16BE(internetChecksum(b, off, off + n, pseudo + n), off + 16)
  return n
}

function tcpLength(spec: TcpSpec): number {
  return 20 + (spec.options === undefined ? 0 : (spec.options.length + 3) & ~3) + (spec.payload?.length ?? 0)
}

/** A TCP segment (header + payload) with a correct checksum over the IPv4 or IPv6 pseudo header. */
export function tcp(spec: TcpSpec, srcIp: string, dstIp: string): Buffer {
  const s = parseIp(srcIp)
  const d = parseIp(dstIp)
  const b = Buffer.allocUnsafe(tcpLength(spec))
  writeTcp(b, 0, spec, pseudoSum(s.words, d.words, s.version, 6))
  return b
}

export interface UdpSpec {
  srcPort: number
  dstPort: number
  payload: Buffer
  /** Override the length field (to craft corrupt datagrams). */
  length?: number
}

/** A UDP datagram with a correct checksum (0 is sent as 0xffff, RFC 768). */
export function udp(spec: UdpSpec, srcIp: string, dstIp: string): Buffer {
  const s = parseIp(srcIp)
  const d = parseIp(dstIp)
  const b = Buffer.allocUnsafe(8 + spec.payload.length)
  b.writeUInt16BE(spec.srcPort, 0)
  b.writeUInt16BE(spec.dstPort, 2)
  b.writeUInt16BE(spec.length ?? b.length, 4)
  b.writeUInt16BE(0, 6)
  spec.payload.copy(b, 8)
  const c = internetChecksum(b, 0, b.length, pseudoSum(s.words, d.words, s.version, 17) + b.length)
  b.writeUInt16BE(c === 0 ? 0xffff : c, 6)
  return b
}

/** ICMP / ICMPv6 echo request or reply (type/code given), checksum included (ICMPv6 over the pseudo header). */
export function icmpEcho(type: number, id: number, seq: number, data: Buffer, v6?: {src: string; dst: string}): Buffer {
  const b = Buffer.alloc(8 + data.length)
  b[0] = type
  b.writeUInt16BE(id, 4)
  b.writeUInt16BE(seq, 6)
  data.copy(b, 8)
  let init = 0
  if (v6 !== undefined) init = pseudoSum(parseIp(v6.src).words, parseIp(v6.dst).words, 6, 58) + b.length
  b.writeUInt16BE(internetChecksum(b, 0, b.length, init), 2)
  return b
}

// ---------------------------------------------------------------------------------- fragmentation

/**
 * Splits an IPv4 datagram into fragments of at most `mtu` bytes each (RFC 791 section 3.2): data is
 * cut at multiples of 8, the first fragment keeps all options, later ones only options with the
 * copied flag. Fragmenting a fragment works (offsets and MF are carried over). Returns the fragments
 * in order; shuffle them yourself to test reordering.
 */
export function fragmentIpv4(packet: Buffer, mtu: number): Buffer[] {
  const ihl = (packet[0] & 0x0f) * 4
  const total = packet.readUInt16BE(2)
  const ff = packet.readUInt16BE(6)
  const baseOffset = (ff & 0x1fff) * 8
  const origMore = (ff & 0x2000) !== 0
  const df = ff & 0x4000
  const data = packet.subarray(ihl, total)
  // Options kept in non-first fragments.
  const copied: number[] = []
  for (let i = 20; i < ihl; ) {
    const t = packet[i]
    if (t === 0) break
    if (t === 1) {
      i++
      continue
    }
    const len = packet[i + 1]
    if (len < 2) break
    if (t & 0x80) for (let k = 0; k < len; k++) copied.push(packet[i + k])
    i += len
  }
  const laterOptions = Buffer.from(copied)
  const laterIhl = 20 + ((laterOptions.length + 3) & ~3)
  const out: Buffer[] = []
  let pos = 0
  while (pos < data.length || (pos === 0 && data.length === 0)) {
    const first = pos === 0
    const h = first ? ihl : laterIhl
    const room = Math.floor((mtu - h) / 8) * 8
    if (room <= 0) throw new Error(`MTU ${mtu} too small for an IPv4 header of ${h} bytes`)
    const n = Math.min(room, data.length - pos)
    const last = pos + n >= data.length
    const b = Buffer.alloc(h + n)
    packet.copy(b, 0, 0, 20)
    b[0] = 0x40 | (h >> 2)
    if (first) packet.copy(b, 20, 20, ihl)
    else laterOptions.copy(b, 20)
    b.writeUInt16BE(h + n, 2)
    b.writeUInt16BE(df | (last && !origMore ? 0 : 0x2000) | (((baseOffset + pos) >> 3) & 0x1fff), 6)
    b.writeUInt16BE(0, 10)
    b.writeUInt16BE(internetChecksum(b, 0, h), 10)
    data.copy(b, h, pos, pos + n)
    out.push(b)
    pos += n
    if (data.length === 0) break
  }
  return out
}

/**
 * Splits an IPv6 packet into fragments of at most `mtu` bytes (RFC 8200 section 4.5). The
 * unfragmentable part is the IPv6 header plus leading hop-by-hop / routing headers (and destination
 * options that precede a routing header); it is repeated in every fragment, followed by a fragment
 * header with `id` and a piece of the rest cut at multiples of 8.
 */
export function fragmentIpv6(packet: Buffer, mtu: number, id = 0x1234abcd): Buffer[] {
  const end = 40 + packet.readUInt16BE(4)
  let nhField = 6
  let pos = 40
  let unfragEnd = 40
  let unfragNhField = 6
  while (packet[nhField] === 0 || packet[nhField] === 43 || packet[nhField] === 60) {
    const t = packet[nhField]
    const len = (packet[pos + 1] + 1) * 8
    nhField = pos
    pos += len
    if (t !== 60) {
      unfragEnd = pos
      unfragNhField = nhField
    }
  }
  const nextHeader = packet[unfragNhField]
  const rest = packet.subarray(unfragEnd, end)
  const room = Math.floor((mtu - unfragEnd - 8) / 8) * 8
  if (room <= 0) throw new Error(`MTU ${mtu} too small for ${unfragEnd} bytes of unfragmentable headers`)
  const out: Buffer[] = []
  for (let off = 0; off < rest.length; off += room) {
    const n = Math.min(room, rest.length - off)
    const more = off + n < rest.length
    const b = Buffer.alloc(unfragEnd + 8 + n)
    packet.copy(b, 0, 0, unfragEnd)
    b[unfragNhField] = 44
    b.writeUInt16BE(b.length - 40, 4)
    b[unfragEnd] = nextHeader
    b.writeUInt16BE((off & 0xfff8) | (more ? 1 : 0), unfragEnd + 2)
    b.writeUInt32BE(id >>> 0, unfragEnd + 4)
    rest.copy(b, unfragEnd + 8, off, off + n)
    out.push(b)
  }
  return out
}

// ---------------------------------------------------------------------------------- whole frames

/**
 * Precomputed Ethernet + IP header for one direction of a flow, so that frames are built with one
 * allocation and no parsing (used by tcpFrame/udpFrame and TcpConversation).
 */
class FlowTemplate {
  readonly version: 4 | 6
  readonly l2: Buffer
  readonly ipHeader: Buffer
  private readonly pseudo: number

  constructor(src: string, dst: string, proto: number, l2: {vlan?: number[]; vlanTpids?: number[]; srcMac?: string; dstMac?: string}, ttl: number) {
    const s = parseIp(src)
    const d = parseIp(dst)
    if (s.version !== d.version) throw new Error(`address families differ: ${src} / ${dst}`)
    this.version = s.version
    this.l2 = ethernetHeader({
      src: l2.srcMac,
      dst: l2.dstMac,
      vlan: l2.vlan,
      vlanTpids: l2.vlanTpids,
      etherType: s.version === 4 ? EtherType.IPV4 : EtherType.IPV6,
    })
    if (s.version === 4) {
      this.ipHeader = ipv4({src, dst, proto, payload: Buffer.alloc(0), ttl})
    } else {
      this.ipHeader = ipv6({src, dst, nextHeader: proto, payload: Buffer.alloc(0), hopLimit: ttl})
    }
    this.pseudo = pseudoSum(s.words, d.words, s.version, proto)
  }

  /** Allocates the frame, writes L2 + IP headers for `l4Len` transport bytes; returns [frame, l4 offset]. */
  frame(l4Len: number, ipId: number): Buffer {
    const l2n = this.l2.length
    const ipn = this.ipHeader.length
    const b = Buffer.allocUnsafe(l2n + ipn + l4Len)
    this.l2.copy(b, 0)
    this.ipHeader.copy(b, l2n)
    if (this.version === 4) {
      b.writeUInt16BE(ipn + l4Len, l2n + 2)
      b.writeUInt16BE(ipId & 0xffff, l2n + 4)
      b.writeUInt16BE(0, l2n + 10)
      b.writeUInt16BE(internetChecksum(b, l2n, l2n + ipn), l2n + 10)
    } else {
      b.writeUInt16BE(l4Len, l2n + 4)
    }
    return b
  }

  get l4Offset(): number {
    return this.l2.length + this.ipHeader.length
  }

  get pseudoSum(): number {
    return this.pseudo
  }
}

export interface FrameL2Spec {
  /** VLAN ids, outermost first, and optional TPIDs (see EthernetSpec). */
  vlan?: number[]
  vlanTpids?: number[]
  srcMac?: string
  dstMac?: string
  ttl?: number
  ipId?: number
}

export interface TcpFrameSpec extends TcpSpec, FrameL2Spec {
  /** IPv4 or IPv6 text; both must be the same family. */
  src: string
  dst: string
}

/** A complete Ethernet frame carrying one TCP segment (IPv4 or IPv6 by the address text). */
export function tcpFrame(spec: TcpFrameSpec): Buffer {
  const t = new FlowTemplate(spec.src, spec.dst, 6, spec, spec.ttl ?? 64)
  const n = tcpLength(spec)
  const b = t.frame(n, spec.ipId ?? 1)
  writeTcp(b, t.l4Offset, spec, t.pseudoSum)
  return b
}

export interface UdpFrameSpec extends UdpSpec, FrameL2Spec {
  src: string
  dst: string
}

/** A complete Ethernet frame carrying one UDP datagram. */
export function udpFrame(spec: UdpFrameSpec): Buffer {
  const seg = udp(spec, spec.src, spec.dst)
  const t = new FlowTemplate(spec.src, spec.dst, 17, spec, spec.ttl ?? 64)
  const b = t.frame(seg.length, spec.ipId ?? 1)
  seg.copy(b, t.l4Offset)
  return b
}

// ---------------------------------------------------------------------------------- conversations

export type Side = 'client' | 'server'

export interface TcpConversationOptions extends Omit<FrameL2Spec, 'ipId' | 'srcMac' | 'dstMac'> {
  /** Client and server IP (same family). */
  client: string
  server: string
  /** Default 40000 and 80. */
  clientPort?: number
  serverPort?: number
  /** Largest payload per segment; longer sends are split. Default 1460. */
  mss?: number
  /** Initial sequence numbers; defaults 1000 and 5000 (try 0xfffffff0 to test wrap-around). */
  clientIsn?: number
  serverIsn?: number
  /** Capture time of the first frame; default 1_700_000_000 s, 0 ns. */
  startSec?: number
  startNsec?: number
  /** Time between consecutive frames in nanoseconds; default 1_000_000 (1 ms). */
  stepNs?: number
  /** When true, every send() is followed by a pure ACK from the receiver. Default false. */
  autoAck?: boolean
  window?: number
  clientMac?: string
  serverMac?: string
}

/**
 * Generates a TCP exchange with consistent sequence and acknowledgement numbers and timestamps.
 *
 *   const c = new TcpConversation({client: '10.0.0.1', server: '10.0.0.2', serverPort: 80})
 *   c.handshake()
 *    .send('client', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
 *    .send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi')
 *    .close()
 *   const pcap = pcapFile(c.frames)           // or feed c.frames to a Decoder directly
 *
 * Every method appends frames to `frames` (chainable). Each frame is stamped with the current clock,
 * which then advances by `stepNs`; `wait(s)` adds idle time. `segment()` is the escape hatch for
 * crafted anomalies (retransmissions, out-of-order, gaps): it writes one segment with an explicit
 * sequence number and does not advance the sender's next sequence unless asked. For long
 * generations (benchmarks) call `drain()` periodically to take the frames collected so far.
 * Cost: one Buffer allocation per frame; addresses are parsed once per conversation.
 */
export class TcpConversation {
  frames: SynthFrame[] = []
  /** Next sequence number each side will send (unsigned 32-bit). */
  private nxt: [number, number]
  private readonly isn: [number, number]
  private readonly tpl: [FlowTemplate, FlowTemplate]
  private readonly port: [number, number]
  private readonly mss: number
  private readonly step: number
  private readonly autoAck: boolean
  private readonly window: number
  private sec: number
  private nsec: number
  private ipId: [number, number] = [1, 1]

  constructor(o: TcpConversationOptions) {
    const ttl = o.ttl ?? 64
    const cMac = o.clientMac ?? '02:00:00:00:00:01'
    const sMac = o.serverMac ?? '02:00:00:00:00:02'
    this.tpl = [
      new FlowTemplate(o.client, o.server, 6, {vlan: o.vlan, vlanTpids: o.vlanTpids, srcMac: cMac, dstMac: sMac}, ttl),
      new FlowTemplate(o.server, o.client, 6, {vlan: o.vlan, vlanTpids: o.vlanTpids, srcMac: sMac, dstMac: cMac}, ttl),
    ]
    this.port = [o.clientPort ?? 40000, o.serverPort ?? 80]
    this.isn = [(o.clientIsn ?? 1000) >>> 0, (o.serverIsn ?? 5000) >>> 0]
    this.nxt = [this.isn[0], this.isn[1]]
    this.mss = o.mss ?? 1460
    if (this.mss <= 0) throw new Error('mss must be positive')
    this.step = o.stepNs ?? 1_000_000
    this.autoAck = o.autoAck ?? false
    this.window = o.window ?? 65535
    this.sec = o.startSec ?? 1_700_000_000
    this.nsec = o.startNsec ?? 0
  }

  /** Next sequence number `side` will use. */
  nextSeq(side: Side): number {
    return this.nxt[side === 'client' ? 0 : 1]
  }

  /** SYN, SYN-ACK, ACK. Sequence numbers start at the ISNs; SYNs consume one number each. */
  handshake(): this {
    this.nxt = [this.isn[0], this.isn[1]]
    this.emit(0, TcpFlag.SYN, undefined, this.nxt[0], 0)
    this.nxt[0] = (this.nxt[0] + 1) >>> 0
    this.emit(1, TcpFlag.SYN | TcpFlag.ACK, undefined, this.nxt[1], this.nxt[0])
    this.nxt[1] = (this.nxt[1] + 1) >>> 0
    return this.ack('client')
  }

  /** Sends `data` from `side`, split into segments of at most mss bytes (PSH on the last one). */
  send(side: Side, data: Buffer | string): this {
    const s = side === 'client' ? 0 : 1
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data
    for (let off = 0; off < buf.length; off += this.mss) {
      const end = Math.min(buf.length, off + this.mss)
      const flags = TcpFlag.ACK | (end === buf.length ? TcpFlag.PSH : 0)
      this.emit(s, flags, buf.subarray(off, end), this.nxt[s], this.nxt[1 - s])
      this.nxt[s] = (this.nxt[s] + (end - off)) >>> 0
    }
    if (this.autoAck && buf.length > 0) this.ack(s === 0 ? 'server' : 'client')
    return this
  }

  /** A pure ACK from `side` acknowledging everything the peer sent. */
  ack(side: Side): this {
    const s = side === 'client' ? 0 : 1
    this.emit(s, TcpFlag.ACK, undefined, this.nxt[s], this.nxt[1 - s])
    return this
  }

  /** Orderly close: FIN-ACK from `first`, FIN-ACK from the other side, final ACK from `first`. */
  close(first: Side = 'client'): this {
    const a = first === 'client' ? 0 : 1
    const b = 1 - a
    this.emit(a, TcpFlag.FIN | TcpFlag.ACK, undefined, this.nxt[a], this.nxt[b])
    this.nxt[a] = (this.nxt[a] + 1) >>> 0
    this.emit(b, TcpFlag.FIN | TcpFlag.ACK, undefined, this.nxt[b], this.nxt[a])
    this.nxt[b] = (this.nxt[b] + 1) >>> 0
    this.emit(a, TcpFlag.ACK, undefined, this.nxt[a], this.nxt[b])
    return this
  }

  /** Abort: RST-ACK from `side`. */
  rst(side: Side): this {
    const s = side === 'client' ? 0 : 1
    this.emit(s, TcpFlag.RST | TcpFlag.ACK, undefined, this.nxt[s], this.nxt[1 - s])
    return this
  }

  /**
   * One segment with explicit fields, for crafting anomalies. `seq` defaults to the side's next
   * sequence number, `ack` to the peer's; `advance` (default false) moves the side's next sequence
   * past this segment's payload (and SYN/FIN).
   */
  segment(side: Side, o: {flags: number; payload?: Buffer | string; seq?: number; ack?: number; advance?: boolean}): this {
    const s = side === 'client' ? 0 : 1
    const p = typeof o.payload === 'string' ? Buffer.from(o.payload, 'latin1') : o.payload
    const seq = o.seq ?? this.nxt[s]
    this.emit(s, o.flags, p, seq, o.ack ?? this.nxt[1 - s])
    if (o.advance) {
      const n = (p?.length ?? 0) + (o.flags & TcpFlag.SYN ? 1 : 0) + (o.flags & TcpFlag.FIN ? 1 : 0)
      this.nxt[s] = (seq + n) >>> 0
    }
    return this
  }

  /** Advances the clock by `seconds` (fractions allowed) before the next frame. */
  wait(seconds: number): this {
    this.advance(Math.round(seconds * 1e9))
    return this
  }

  /** Takes the frames generated so far (the conversation keeps its state). */
  drain(): SynthFrame[] {
    const f = this.frames
    this.frames = []
    return f
  }

  private advance(ns: number): void {
    let n = this.nsec + ns
    if (n >= 1e9 || n < 0) {
      const carry = Math.floor(n / 1e9)
      this.sec += carry
      n -= carry * 1e9
    }
    this.nsec = n
  }

  private emit(s: number, flags: number, payload: Buffer | undefined, seq: number, ack: number): void {
    const t = this.tpl[s]
    const spec: TcpSpec = {
      srcPort: this.port[s],
      dstPort: this.port[1 - s],
      seq,
      ack: flags & TcpFlag.ACK ? ack : 0,
      flags,
      window: this.window,
      payload,
    }
    const b = t.frame(20 + (payload?.length ?? 0), this.ipId[s]++)
    writeTcp(b, t.l4Offset, spec, t.pseudoSum)
    this.frames.push({data: b, tsSec: this.sec, tsNsec: this.nsec})
    this.advance(this.step)
  }
}

// ---------------------------------------------------------------------------------- pcap file

export interface PcapFileOptions {
  /** LINKTYPE_* (default 1, Ethernet). */
  linkType?: number
  /** Default 262144. Frames longer than snaplen are cut, with the original length kept. */
  snaplen?: number
  /** Write the nanosecond-resolution magic (0xa1b23c4d). Default false (microseconds). */
  nanosecond?: boolean
  /** Byte order of the file; default little-endian. */
  bigEndian?: boolean
}

/** A classic libpcap file (https://www.tcpdump.org/manpages/pcap-savefile.5.html) of `frames`. */
export function pcapFile(frames: Iterable<SynthFrame | Buffer>, o: PcapFileOptions = {}): Buffer {
  const snap = o.snaplen ?? 262144
  const w = new PcapWriter({linkType: o.linkType ?? 1, snaplen: snap, nanosecond: o.nanosecond, bigEndian: o.bigEndian})
  let i = 0
  for (const f of frames) {
    const fr: SynthFrame = Buffer.isBuffer(f) ? {data: f, tsSec: 1_700_000_000 + i, tsNsec: 0} : f
    // frames longer than snaplen are cut, keeping their original length
    w.add(fr.tsSec, fr.tsNsec, fr.data.subarray(0, Math.min(fr.data.length, snap)), fr.data.length)
    i++
  }
  return w.toBuffer()
}
