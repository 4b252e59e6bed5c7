/**
 * Makes samples/tunnels/*.pcap: the HTTP conversations of samples/http/nginx.pcap (IPv4) and one
 * synthetic IPv6 HTTP conversation, each wrapped in a tunnel encapsulation, frame for frame (same
 * timestamps, same frame numbers), so that the inner transactions must equal the un-encapsulated
 * ones except for pbx.tunnel. Deterministic: the same bytes every run.
 *
 * Usage: npx tsx scripts/samples/make-tunnels.ts   (then `npm run golden:update` and review the
 * .ndjson files beside them; test/decode/tunnel-samples.test.ts compares them with the plain
 * captures and with tshark).
 *
 * The packet builders are the test support synthesis code (test/support/synth/).
 */
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {TcpFlag} from '../../src/decode/types.js'
import {ethernet, ipv4, ipv6, pcapFile, type SynthFrame, TcpConversation, udp} from '../../test/support/synth/packets.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const OUT = path.join(ROOT, 'samples/tunnels')

/** The records of a little-endian microsecond pcap with Ethernet frames (as nginx.pcap is). */
function readPcap(file: string): SynthFrame[] {
  const b = readFileSync(file)
  if (b.readUInt32LE(0) !== 0xa1b2c3d4 || b.readUInt32LE(20) !== 1) throw new Error(`${file}: expected a little-endian microsecond Ethernet pcap`)
  const out: SynthFrame[] = []
  for (let o = 24; o + 16 <= b.length; ) {
    const caplen = b.readUInt32LE(o + 8)
    out.push({tsSec: b.readUInt32LE(o), tsNsec: b.readUInt32LE(o + 4) * 1000, data: Buffer.from(b.subarray(o + 16, o + 16 + caplen))})
    o += 16 + caplen
  }
  return out
}

/** An inner frame: the whole Ethernet frame, its IP packet, and whether the client sent it. */
interface Inner {
  frame: Buffer
  ip: Buffer
  fromClient: boolean
}

function inners(frames: SynthFrame[], serverPort: number): Inner[] {
  return frames.map((f) => {
    const ip = f.data.subarray(14)
    const ihl = ip[0] >> 4 === 4 ? (ip[0] & 15) * 4 : 40
    return {frame: f.data, ip, fromClient: ip.readUInt16BE(ihl + 2) === serverPort}
  })
}

// Tunnel endpoints: the client-side one sends what the client sends.
const A4 = '192.0.2.1'
const B4 = '192.0.2.2'
const A6 = '2001:db8:ffff::1'
const B6 = '2001:db8:ffff::2'

const eth4 = (p: Buffer) => ethernet({etherType: 0x0800, payload: p})
const eth6 = (p: Buffer) => ethernet({etherType: 0x86dd, payload: p})

function outer4(i: Inner, proto: number, payload: Buffer, id: number): Buffer {
  const [s, d] = i.fromClient ? [A4, B4] : [B4, A4]
  return ipv4({src: s, dst: d, proto, payload, id})
}

function udp4(i: Inner, sport: number, dport: number, payload: Buffer, id: number): Buffer {
  const [s, d] = i.fromClient ? [A4, B4] : [B4, A4]
  return ipv4({src: s, dst: d, proto: 17, id, payload: udp({srcPort: sport, dstPort: dport, payload}, s, d)})
}

/** RFC 7348 VXLAN header. */
function vxlanHeader(vni: number): Buffer {
  const h = Buffer.alloc(8)
  h[0] = 0x08
  h.writeUInt32BE((vni << 8) >>> 0, 4)
  return h
}

/** GRE (RFC 2784/2890) with optional checksum, key and sequence number. */
function greHeader(proto: number, o: {key?: number; seq?: number; checksum?: boolean}): Buffer {
  let flags = 0
  const parts: Buffer[] = []
  if (o.checksum) {
    flags |= 0x8000
    parts.push(Buffer.alloc(4)) // checksum left 0: pbx and tshark (by default) do not verify it
  }
  if (o.key !== undefined) {
    flags |= 0x2000
    const k = Buffer.alloc(4)
    k.writeUInt32BE(o.key >>> 0)
    parts.push(k)
  }
  if (o.seq !== undefined) {
    flags |= 0x1000
    const s = Buffer.alloc(4)
    s.writeUInt32BE(o.seq >>> 0)
    parts.push(s)
  }
  const h = Buffer.alloc(4)
  h.writeUInt16BE(flags, 0)
  h.writeUInt16BE(proto, 2)
  return Buffer.concat([h, ...parts])
}

function mplsStack(labels: number[]): Buffer {
  const b = Buffer.alloc(4 * labels.length)
  for (let i = 0; i < labels.length; i++) b.writeUInt32BE(((labels[i] << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64) >>> 0, 4 * i)
  return b
}

type Wrap = (i: Inner, n: number) => Buffer

const wraps: Record<string, Wrap> = {
  // Cloud traffic mirroring style: outer UDP source port from a flow hash, VNI 5001.
  vxlan: (i, n) => eth4(udp4(i, i.fromClient ? 49321 : 50111, 4789, Buffer.concat([vxlanHeader(5001), i.frame]), n)),
  // Geneve with one 8-byte option TLV, bridged Ethernet payload, VNI 77.
  geneve: (i, n) => {
    const h = Buffer.alloc(16)
    h[0] = 2 // ver 0, option length 2 words
    h.writeUInt16BE(0x6558, 2)
    h.writeUInt32BE((77 << 8) >>> 0, 4)
    h.writeUInt16BE(0x0102, 8) // option class
    h[10] = 0x80 // type
    h[11] = 1 // length: 1 word of data
    h.writeUInt32BE(0xdeadbeef, 12)
    return eth4(udp4(i, 40000 + (i.fromClient ? 1 : 2), 6081, Buffer.concat([h, i.frame]), n))
  },
  // GRE with key and sequence number carrying the IPv4 packet.
  gre: (i, n) => eth4(outer4(i, 47, Buffer.concat([greHeader(0x0800, {key: i.fromClient ? 0x1001 : 0x1002, seq: n}), i.ip]), n)),
  // Transparent Ethernet bridging (0x6558) with the checksum-present bit.
  'gre-teb': (i, n) => eth4(outer4(i, 47, Buffer.concat([greHeader(0x6558, {checksum: true, key: 42}), i.frame]), n)),
  // ERSPAN type II: GRE with a sequence number, 0x88BE, 8-byte header (session 42).
  erspan2: (i, n) => {
    const h = Buffer.alloc(8)
    h.writeUInt16BE(0x1000 | 0, 0) // ver 1, vlan 0
    h.writeUInt16BE(42, 2) // cos 0 en 0 t 0, session 42
    h.writeUInt32BE(3, 4) // index
    return eth4(outer4(i, 47, Buffer.concat([greHeader(0x88be, {seq: n}), h, i.frame]), n))
  },
  // ERSPAN type III: 0x22EB, 12-byte header plus the 8-byte platform sub-header (session 7).
  erspan3: (i, n) => {
    const h = Buffer.alloc(20)
    h.writeUInt16BE(0x2000, 0) // ver 2, vlan 0
    h.writeUInt16BE(7, 2) // session 7
    h.writeUInt32BE(n * 1000, 4) // timestamp
    h.writeUInt16BE(0, 8) // SGT
    h[10] = 0 // P 0, FT 0 (Ethernet), hw id high bits
    h[11] = 0x01 // O: platform sub-header present
    h.writeUInt32BE(0x18000000, 12) // platform id 3 etc. (opaque to both pbx and tshark's framing)
    return eth4(outer4(i, 47, Buffer.concat([greHeader(0x22eb, {seq: n}), h, i.frame]), n))
  },
  // MPLS over Ethernet: a two-label stack (transport 16004, service 300), IPv4 payload.
  mpls: (i) => ethernet({etherType: 0x8847, payload: Buffer.concat([mplsStack([16004, i.fromClient ? 300 : 301]), i.ip])}),
  // Ethernet pseudowire with a control word (RFC 4448 / RFC 4385).
  'mpls-pw': (i, n) => {
    const cw = Buffer.alloc(4)
    cw.writeUInt16BE(n & 0xffff, 2)
    return ethernet({etherType: 0x8847, payload: Buffer.concat([mplsStack([17000, 900]), cw, i.frame])})
  },
  // GTP-U G-PDU with the E flag and one PDU Session Container extension header (TS 38.415).
  gtpu: (i, n) => {
    const ext = Buffer.from([0x01, i.fromClient ? 0x10 : 0x00, 0x09, 0x00]) // length 1, UL/DL, QFI 9, next 0
    const opt = Buffer.alloc(4)
    opt.writeUInt16BE(0, 0) // sequence
    opt[3] = 0x85 // next extension header: PDU session container
    const body = Buffer.concat([opt, ext, i.ip])
    const h = Buffer.alloc(8)
    h[0] = 0x34 // version 1, PT 1, E
    h[1] = 0xff
    h.writeUInt16BE(body.length, 2)
    h.writeUInt32BE(i.fromClient ? 0x0000a001 : 0x0000b002, 4)
    return eth4(udp4(i, 2152, 2152, Buffer.concat([h, body]), n))
  },
  ipip: (i, n) => eth4(outer4(i, 4, i.ip, n)),
  // PPPoE session (code 0, session 0x1234), PPP IPv4.
  pppoe: (i) => {
    const h = Buffer.alloc(8)
    h[0] = 0x11
    h.writeUInt16BE(0x1234, 2)
    h.writeUInt16BE(i.ip.length + 2, 4)
    h.writeUInt16BE(0x0021, 6)
    return ethernet({etherType: 0x8864, payload: Buffer.concat([h, i.ip])})
  },
  // Nested: Ethernet / MPLS / IPv4 / GRE / IPv4 / UDP / VXLAN / Ethernet / IPv4 / TCP (depth 3).
  nested: (i, n) => {
    const vx = udp4(i, 50000, 4789, Buffer.concat([vxlanHeader(9), i.frame]), n)
    const [s, d] = i.fromClient ? ['198.51.100.1', '198.51.100.2'] : ['198.51.100.2', '198.51.100.1']
    const gre = ipv4({src: s, dst: d, proto: 47, id: n, payload: Buffer.concat([greHeader(0x0800, {}), vx])})
    return ethernet({etherType: 0x8847, payload: Buffer.concat([mplsStack([2000]), gre])})
  },
}

/** IPv6-carrying tunnels, over the synthetic IPv6 conversation. */
const wraps6: Record<string, Wrap> = {
  // RFC 4213 6in4: IPv4 protocol 41.
  '6in4': (i, n) => eth4(outer4(i, 41, i.ip, n)),
  // RFC 2473 IPv6-in-IPv6.
  '6in6': (i) => {
    const [s, d] = i.fromClient ? [A6, B6] : [B6, A6]
    return eth6(ipv6({src: s, dst: d, nextHeader: 41, payload: i.ip}))
  },
  // Teredo (RFC 4380): the relay's packets to the client carry an origin indication.
  teredo: (i, n) => {
    const origin = Buffer.from([0x00, 0x00, 0xc7, 0x49, 0x3f, 0xff, 0xfd, 0xfe]) // port/address obfuscated
    const payload = i.fromClient ? i.ip : Buffer.concat([origin, i.ip])
    return eth4(udp4(i, i.fromClient ? 40001 : 3544, i.fromClient ? 3544 : 40001, payload, n))
  },
}

/** A keep-alive HTTP/1.1 exchange over IPv6 (Teredo addresses, so that it suits all three wraps). */
function ipv6Conversation(): SynthFrame[] {
  const c = new TcpConversation({client: '2001:0:4136:e378:8000:63bf:3fff:fdd2', server: '2001:db8:80::80', clientPort: 51000, serverPort: 80, mss: 1200})
  c.handshake()
  c.send('client', 'GET /v6/index.html HTTP/1.1\r\nHost: v6.example\r\nUser-Agent: pbx-synth\r\n\r\n')
  c.send('server', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello over 6')
  c.send('client', 'GET /v6/missing HTTP/1.1\r\nHost: v6.example\r\n\r\n')
  c.send('server', 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
  c.segment('client', {flags: TcpFlag.ACK})
  c.close()
  return c.frames
}

function write(name: string, frames: SynthFrame[], list: Inner[], wrap: Wrap): void {
  const out = frames.map((f, n) => ({tsSec: f.tsSec, tsNsec: f.tsNsec, data: wrap(list[n], n + 1)}))
  writeFileSync(path.join(OUT, `${name}.pcap`), pcapFile(out))
}

const nginx = readPcap(path.join(ROOT, 'samples/http/nginx.pcap'))
const nginxInner = inners(nginx, 18080)
for (const [name, wrap] of Object.entries(wraps)) write(`${name}-nginx`, nginx, nginxInner, wrap)

const v6 = ipv6Conversation()
const v6Inner = inners(v6, 80)
writeFileSync(path.join(OUT, 'ipv6-plain.pcap'), pcapFile(v6))
for (const [name, wrap] of Object.entries(wraps6)) write(`${name}-http`, v6, v6Inner, wrap)

// Two VXLAN networks carrying the same inner 5-tuple at the same time: two connections, not one.
{
  const c1 = new TcpConversation({client: '10.0.0.5', server: '10.0.0.80', clientPort: 40000, serverPort: 80})
  const c2 = new TcpConversation({client: '10.0.0.5', server: '10.0.0.80', clientPort: 40000, serverPort: 80, clientIsn: 777000, serverIsn: 999000, startNsec: 500_000})
  for (const [c, tenant] of [
    [c1, 'a'],
    [c2, 'b'],
  ] as const) {
    c.handshake()
    c.send('client', `GET /tenant-${tenant} HTTP/1.1\r\nHost: ${tenant}.example\r\n\r\n`)
    c.send('server', `HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${tenant}`)
    c.close()
  }
  const merged = [
    ...c1.frames.map((f) => ({f, vni: 1001})),
    ...c2.frames.map((f) => ({f, vni: 1002})),
  ].sort((x, y) => x.f.tsSec - y.f.tsSec || x.f.tsNsec - y.f.tsNsec)
  const list = inners(
    merged.map((m) => m.f),
    80,
  )
  const out = merged.map((m, n) => ({
    tsSec: m.f.tsSec,
    tsNsec: m.f.tsNsec,
    data: eth4(udp4(list[n], 49999, 4789, Buffer.concat([vxlanHeader(m.vni), m.f.data]), n + 1)),
  }))
  writeFileSync(path.join(OUT, 'vxlan-two-vnis.pcap'), pcapFile(out))
}
