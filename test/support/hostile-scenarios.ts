/**
 * Hostile captures, generated in code and streamed straight into the pipeline (never written to
 * disk, never held whole in memory): frames go through the streaming PcapWriter (1 MiB buffer)
 * into CaptureParser.push(), so the memory measured is pbx's own state.
 *
 * Each scenario floods one mechanism with traffic designed to make it grow without end, and
 * interleaves "witness" transactions (client addresses 192.168.77.x) that must still come out
 * whole: pbx degrades at its bounds, notes it, and keeps producing the other transactions.
 * `scale` is the flood size: tests use counts that run in seconds, scripts/fuzz/hostile-bench.ts
 * the full sizes (1,000,000 SYNs, ...) and prints peak RSS.
 */
import {createRequire} from 'node:module'
import type * as Bson from 'bson'
import {CaptureParser} from '../../src/capture/parser.js'
import {TcpFlag} from '../../src/decode/types.js'
import {buildEvent, type PbxEvent} from '../../src/event/build.js'
import {type Limits, makeLimits} from '../../src/limits.js'
import {Engine} from '../../src/engine/engine.js'
import type {ConnObserver} from '../../src/reassembly/conn.js'
import {protocols} from '../../src/protocols/registry.js'
import type {Transaction} from '../../src/event/types.js'
import type {Protocol, ProtocolContext} from '../../src/protocols/types.js'
import {Stats} from '../../src/stats.js'
import {internetChecksum, TcpConversation, tcpFrame, udpFrame} from './synth/packets.js'
import {PcapWriter} from './synth/pcap-writer.js'

/** Receives generated frames in capture order. */
export interface FrameSink {
  frame(data: Buffer, tsSec: number, tsNsec: number): void
  /** The capture clock, advanced 10 us per frame by frame(); scenarios may jump it. */
  readonly clock: {sec: number; nsec: number}
}

export interface HostileResult {
  stats: Stats
  packets: number
  /** Transactions by `type status`, e.g. "redis Error". */
  byTypeStatus: Map<string, number>
  /** Notes of all transactions (digits replaced by N), with counts. */
  notes: Map<string, number>
  /** Events of witness connections (client 192.168.77.x), in emission order. */
  witnesses: PbxEvent[]
  /** Peak process RSS sampled at every 1 MiB of capture, in bytes. */
  peakRss: number
  /** Peak V8 heap used sampled likewise, in bytes. */
  peakHeap: number
  /** Every event as JSON, in emission order (only with `keepEvents`). */
  events: string[]
}

export interface HostileOptions {
  /** Passed to the engine (a ConnObserver keeps every UDP flow an object: no flat records). */
  observer?: ConnObserver & {end(): void}
  /** Keep every event's JSON in `events`. */
  keepEvents?: boolean
}

const WITNESS = '192.168.77.'

/** Runs a generator's capture through decode -> reassembly -> all protocols -> event. */
export function runHostile(gen: (s: FrameSink) => void, limitOverrides: Record<string, number> = {}, opts: HostileOptions = {}): HostileResult {
  const limits: Limits = makeLimits(limitOverrides)
  const stats = new Stats()
  const res: HostileResult = {stats, packets: 0, byTypeStatus: new Map(), notes: new Map(), witnesses: [], peakRss: 0, peakHeap: 0, events: []}
  const emit = (t: Transaction) => {
    stats.transactions++
    const k = `${t.type} ${t.status}`
    res.byTypeStatus.set(k, (res.byTypeStatus.get(k) ?? 0) + 1)
    for (const n of t.notes ?? []) {
      const key = `${t.type}: ${n.replace(/\d+/g, 'N')}`
      res.notes.set(key, (res.notes.get(key) ?? 0) + 1)
    }
    const ev = buildEvent(t, {precision: 'us'})
    if (t.conn.clientIp.startsWith(WITNESS)) res.witnesses.push(ev)
    const json = JSON.stringify(ev) // serialised like the NDJSON output would, then dropped (counted, not stored)
    if (opts.keepEvents) res.events.push(json)
  }
  const engine = new Engine({protocols, limits, stats, emit, observer: opts.observer})
  const parser = new CaptureParser('hostile', engine, limits, stats)
  const sample = () => {
    const m = process.memoryUsage()
    if (m.rss > res.peakRss) res.peakRss = m.rss
    if (m.heapUsed > res.peakHeap) res.peakHeap = m.heapUsed
  }
  // The writer's flush view is pushed synchronously; the parser copies what it must keep.
  const writer = new PcapWriter({
    onFlush: (chunk) => {
      parser.push(chunk)
      sample()
    },
  })
  const clock = {sec: 1_700_000_000, nsec: 0}
  const sink: FrameSink = {
    clock,
    frame(data, tsSec, tsNsec) {
      res.packets++
      writer.add(tsSec, tsNsec, data)
      clock.nsec += 10_000
      if (clock.nsec >= 1e9) {
        clock.sec++
        clock.nsec -= 1e9
      }
    },
  }
  gen(sink)
  writer.finish()
  parser.end()
  engine.end()
  sample()
  return res
}

// ------------------------------------------------------------------------------ witnesses

/** Emits every frame of a finished TcpConversation at the sink's clock. */
function emitConversation(s: FrameSink, c: TcpConversation): void {
  for (const f of c.drain()) s.frame(f.data, s.clock.sec, s.clock.nsec)
}

/** One complete HTTP exchange from 192.168.77.x: GET /witness/<n> -> 200 "ok". */
export function witnessHttp(s: FrameSink, n: number): void {
  const c = new TcpConversation({client: `${WITNESS}${(n % 250) + 1}`, server: '10.9.9.80', clientPort: 30000 + (n % 30000), serverPort: 80})
  c.handshake()
    .send('client', `GET /witness/${n} HTTP/1.1\r\nHost: witness\r\n\r\n`)
    .send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    .close()
  emitConversation(s, c)
}

/** Paths of the witness HTTP transactions that came out with status OK. */
export function okWitnessPaths(r: HostileResult): string[] {
  return r.witnesses
    .filter((e) => e.type === 'http' && e.status === 'OK')
    .map((e) => String((e.url as {path?: string} | undefined)?.path ?? ''))
}

// ------------------------------------------------------------------------------ scenarios

/**
 * SYN flood: `n` connections (distinct client address/port, server port 80) that send one SYN
 * and nothing else. Bounded by maxConnections: the least recently active is evicted.
 * A witness HTTP exchange every n/`witnesses` SYNs.
 */
export function synFlood(n: number, witnesses = 20) {
  return (s: FrameSink) => {
    const f = tcpFrame({src: '10.0.0.1', dst: '10.9.0.1', srcPort: 1024, dstPort: 80, seq: 1, flags: TcpFlag.SYN})
    const every = Math.max(1, Math.floor(n / witnesses))
    let w = 0
    for (let i = 0; i < n; i++) {
      // client 10.x.y.z (from i), port 1024 + (i % 60000); IPv4 header checksum recomputed
      const h = (i / 60000) | 0
      f[26] = 10
      f[27] = (h >> 16) & 255
      f[28] = (h >> 8) & 255
      f[29] = h & 255
      f.writeUInt16BE(1024 + (i % 60000), 34)
      f.writeUInt32BE((i * 7919) >>> 0, 38)
      f.writeUInt16BE(0, 24)
      f.writeUInt16BE(internetChecksum(f, 14, 34), 24)
      s.frame(f, s.clock.sec, s.clock.nsec)
      if (i % every === every - 1 && w < witnesses) witnessHttp(s, w++)
    }
  }
}

/**
 * Out-of-order flood: `conns` connections to port 80 each send `segments` data segments of 1000
 * bytes that all lie beyond a 1000-byte hole that is never filled (and never acknowledged past).
 * Bounded by tcpOooSegmentsPerDir / tcpOooBytesPerConn / tcpOooBytesTotal: at the bound the hole is
 * reported as a gap and delivery goes on.
 */
export function oooFlood(conns: number, segments: number, witnesses = 10) {
  return (s: FrameSink) => {
    const payload = Buffer.alloc(1000, 0x41)
    const every = Math.max(1, Math.floor((conns * segments) / witnesses))
    let k = 0
    let w = 0
    const cs: TcpConversation[] = []
    for (let c = 0; c < conns; c++) {
      const conv = new TcpConversation({client: `10.3.${(c >> 8) & 255}.${c & 255}`, server: '10.9.9.81', clientPort: 40000, serverPort: 80})
      conv.handshake()
      emitConversation(s, conv)
      cs.push(conv)
    }
    // round-robin over connections so that all of them hold out-of-order bytes at once
    for (let i = 0; i < segments; i++) {
      for (let c = 0; c < conns; c++) {
        const conv = cs[c]
        conv.segment('client', {flags: TcpFlag.ACK | TcpFlag.PSH, payload, seq: (conv.nextSeq('client') + 1000 + i * 1000) >>> 0})
        emitConversation(s, conv)
        if (++k % every === 0 && w < witnesses) witnessHttp(s, w++)
      }
    }
  }
}

/**
 * One endless HTTP header line: `bytes` of header value without a line end, in 1460-byte
 * segments; then the line ends and a second, valid request follows on the same connection and is
 * answered. Bounded by maxHeaderBytes: the message is dropped with a note and parsing resumes.
 */
export function endlessHeader(bytes: number, witnesses = 5) {
  return (s: FrameSink) => {
    const c = new TcpConversation({client: '10.4.0.1', server: '10.9.9.82', clientPort: 40001, serverPort: 80})
    c.handshake().send('client', 'GET /endless HTTP/1.1\r\nHost: x\r\nX-Endless: ')
    emitConversation(s, c)
    const chunk = Buffer.alloc(1460, 0x61)
    const every = Math.max(1460, Math.floor(bytes / witnesses))
    let w = 0
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      c.send('client', chunk)
      emitConversation(s, c)
      if (sent % every < chunk.length && w < witnesses) witnessHttp(s, w++)
    }
    c.send('client', '\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n')
      .send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
      .close()
    emitConversation(s, c)
  }
}

/**
 * Chunked bodies with absurd chunk sizes: a response whose first chunk-size is `size` (hex text,
 * e.g. 'ffffffffffffffff' = 2^64-1) followed by `bodyBytes` of data, then the connection closes.
 * Body bytes are counted, never buffered.
 */
export function hugeChunk(size: string, bodyBytes: number, witnesses = 5) {
  return (s: FrameSink) => {
    const c = new TcpConversation({client: '10.4.0.2', server: '10.9.9.83', clientPort: 40002, serverPort: 80})
    c.handshake()
      .send('client', 'GET /huge-chunk HTTP/1.1\r\nHost: x\r\n\r\n')
      .send('server', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\n`)
    emitConversation(s, c)
    const chunk = Buffer.alloc(1460, 0x62)
    const every = Math.max(1460, Math.floor(bodyBytes / witnesses))
    let w = 0
    for (let sent = 0; sent < bodyBytes; sent += chunk.length) {
      c.send('server', chunk)
      emitConversation(s, c)
      if (sent % every < chunk.length && w < witnesses) witnessHttp(s, w++)
    }
    c.close('server')
    emitConversation(s, c)
  }
}

function dnsHeader(id: number, flags: number, qd: number, an: number): Buffer {
  const b = Buffer.alloc(12)
  b.writeUInt16BE(id, 0)
  b.writeUInt16BE(flags, 2)
  b.writeUInt16BE(qd, 4)
  b.writeUInt16BE(an, 6)
  return b
}

const QNAME = Buffer.from('\x07example\x03com\x00', 'latin1')
const Q_A_IN = Buffer.from([0, 1, 0, 1])

/** Responses whose names loop through compression pointers (RFC 1035 section 4.1.4), by variant. */
export function loopedDnsResponse(id: number, variant: number): Buffer {
  switch (variant % 4) {
    case 0: // question name is a pointer to itself
      return Buffer.concat([dnsHeader(id, 0x8180, 1, 0), Buffer.from([0xc0, 12]), Q_A_IN])
    case 1: // two pointers pointing at each other
      return Buffer.concat([dnsHeader(id, 0x8180, 1, 0), Buffer.from([0xc0, 14, 0xc0, 12]), Q_A_IN])
    case 2: {
      // an answer whose CNAME rdata is a label followed by a pointer back to that label
      const q = Buffer.concat([QNAME, Q_A_IN])
      const rdataAt = 12 + q.length + 2 + 10
      const rdata = Buffer.from([1, 0x78, 0xc0 | (rdataAt >> 8), rdataAt & 255])
      const rr = Buffer.concat([Buffer.from([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, rdata.length]), rdata])
      return Buffer.concat([dnsHeader(id, 0x8180, 1, 1), q, rr])
    }
    default: {
      // a long chain of backward pointers (each legal on its own): a TXT answer whose rdata holds
      // 200 pointers, each to the one before it, the first to the question name; a second answer's
      // name points at the last one: 200 hops to decode one name
      const q = Buffer.concat([QNAME, Q_A_IN])
      const chainAt = 12 + q.length + 12
      const chain = Buffer.alloc(400)
      for (let i = 0; i < 200; i++) {
        const to = i === 0 ? 12 : chainAt + 2 * (i - 1)
        chain[2 * i] = 0xc0 | (to >> 8)
        chain[2 * i + 1] = to & 255
      }
      const txt = Buffer.concat([Buffer.from([0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, chain.length >> 8, chain.length & 255]), chain])
      const last = chainAt + 2 * 199
      const rr = Buffer.from([0xc0 | (last >> 8), last & 255, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4])
      return Buffer.concat([dnsHeader(id, 0x8180, 1, 2), q, txt, rr])
    }
  }
}

/**
 * DNS compression loops: `n` UDP query/response pairs whose responses loop (4 variants), plus
 * valid witness DNS exchanges. Name decoding must stop (pointer and length bounds) and note it.
 */
export function dnsLoops(n: number, witnesses = 20) {
  return (s: FrameSink) => {
    const every = Math.max(1, Math.floor(n / witnesses))
    let w = 0
    for (let i = 0; i < n; i++) {
      const id = i & 0xffff
      const src = `10.5.${(i >> 8) & 255}.${(i & 255) || 1}`
      const port = 20000 + (i % 40000)
      const query = Buffer.concat([dnsHeader(id, 0x0100, 1, 0), QNAME, Q_A_IN])
      s.frame(udpFrame({src, dst: '10.9.9.53', srcPort: port, dstPort: 53, payload: query}), s.clock.sec, s.clock.nsec)
      s.frame(udpFrame({src: '10.9.9.53', dst: src, srcPort: 53, dstPort: port, payload: loopedDnsResponse(id, i)}), s.clock.sec, s.clock.nsec)
      if (i % every === every - 1 && w < witnesses) {
        const wsrc = `${WITNESS}${(w % 250) + 1}`
        const wid = 0x7700 + w
        const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34])
        s.frame(udpFrame({src: wsrc, dst: '10.9.9.53', srcPort: 5353 + w, dstPort: 53, payload: Buffer.concat([dnsHeader(wid, 0x0100, 1, 0), QNAME, Q_A_IN])}), s.clock.sec, s.clock.nsec)
        s.frame(udpFrame({src: '10.9.9.53', dst: wsrc, srcPort: 53, dstPort: 5353 + w, payload: Buffer.concat([dnsHeader(wid, 0x8180, 1, 1), QNAME, Q_A_IN, answer])}), s.clock.sec, s.clock.nsec)
        w++
      }
    }
  }
}

/** bson's serialize as a Buffer. */
// bson is loaded on first use, as pbx's MongoDB parser loads it: importing it allocates a 17 MB
// buffer, which would otherwise sit in the peak RSS of every scenario, not only the BSON one.
let bsonLib: typeof Bson | undefined
const serialize = (doc: Record<string, unknown>): Buffer =>
  Buffer.from((bsonLib ??= createRequire(import.meta.url)('bson') as typeof Bson).serialize(doc))

/** A BSON document nested `depth` levels deep ({a: {a: {... {}}}}), built iteratively. */
export function nestedBson(depth: number): Buffer {
  // level k (outermost k = 0) starts at 7k: int32 len, 0x03 'a' 0x00, <level k+1>, 0x00 (its
  // terminator, at total-1-k); innermost: the empty document 05 00 00 00 00
  const total = 8 * depth + 5
  const b = Buffer.alloc(total)
  let off = 0
  for (let k = 0; k < depth; k++) {
    b.writeInt32LE(total - 8 * k, off)
    b[off + 4] = 0x03
    b[off + 5] = 0x61
    b[off + 6] = 0x00
    off += 7
  }
  b.writeInt32LE(5, off)
  b[off + 4] = 0
  // closing 0x00 of every level
  b.fill(0, off + 5)
  return b
}

let requestIds = 1

/** OP_MSG (opcode 2013, MongoDB wire protocol) with one kind-0 section. */
export function opMsg(doc: Buffer, responseTo = 0): Buffer {
  const h = Buffer.alloc(21)
  h.writeInt32LE(21 + doc.length, 0)
  h.writeInt32LE(requestIds++, 4)
  h.writeInt32LE(responseTo, 8)
  h.writeInt32LE(2013, 12)
  h.writeUInt32LE(0, 16)
  h[20] = 0
  return Buffer.concat([h, doc])
}

/**
 * Deeply nested BSON: a MongoDB request whose command document nests `depth` levels, answered;
 * then a normal `find` on the same connection, answered. Walking must be iterative or
 * depth-bounded (no stack overflow), and the next message must still be parsed.
 */
export function deepBson(depth: number, witnesses = 3) {
  return (s: FrameSink) => {
    const c = new TcpConversation({client: '10.6.0.1', server: '10.9.9.84', clientPort: 40003, serverPort: 27017})
    c.handshake()
    const deep = opMsg(nestedBson(depth))
    c.send('client', deep).send('server', opMsg(serialize({ok: 1}), requestIds - 1))
    const find = opMsg(serialize({find: 'coll', filter: {x: 1}, $db: 'test'}))
    c.send('client', find).send('server', opMsg(serialize({cursor: {id: 0, ns: 'test.coll', firstBatch: []}, ok: 1}), requestIds - 1))
    c.close()
    emitConversation(s, c)
    for (let w = 0; w < witnesses; w++) witnessHttp(s, w)
  }
}

/**
 * Pipelined Redis commands with no reply: `n` PING commands on one connection, 100 per segment,
 * never answered. Bounded by maxPendingRequests: the oldest is emitted alone ("no response").
 * A witness Redis connection (PING -> +PONG) and witness HTTP exchanges follow.
 */
export function redisPipeline(n: number, witnesses = 5) {
  return (s: FrameSink) => {
    const c = new TcpConversation({client: '10.7.0.1', server: '10.9.9.85', clientPort: 40004, serverPort: 6379})
    c.handshake()
    emitConversation(s, c)
    const per = 100
    const seg = Buffer.from('*1\r\n$4\r\nPING\r\n'.repeat(per), 'latin1')
    const every = Math.max(1, Math.floor(n / per / witnesses))
    let w = 0
    for (let i = 0; i < n; i += per) {
      c.send('client', i + per <= n ? seg : seg.subarray(0, 14 * (n - i)))
      emitConversation(s, c)
      if ((i / per) % every === every - 1 && w < witnesses) witnessHttp(s, w++)
    }
    c.close()
    emitConversation(s, c)
    const r = new TcpConversation({client: `${WITNESS}200`, server: '10.9.9.85', clientPort: 40005, serverPort: 6379})
    r.handshake().send('client', '*1\r\n$4\r\nPING\r\n').send('server', '+PONG\r\n').close()
    emitConversation(s, r)
  }
}

/**
 * Unanswered DNS: `n` UDP flows (distinct client address/port) that each send one query to port
 * 53 and never get an answer. Each flow holds a pending query until the transaction timeout, the
 * flow idle timeout or eviction (maxConnections), whichever comes first; valid witness DNS
 * exchanges (client 192.168.77.x) are interleaved.
 */
export function dnsUnanswered(n: number, witnesses = 20) {
  return (s: FrameSink) => {
    const query = Buffer.concat([dnsHeader(0, 0x0100, 1, 0), QNAME, Q_A_IN])
    const f = udpFrame({src: '10.8.0.1', dst: '10.9.9.53', srcPort: 1024, dstPort: 53, payload: query})
    // Ethernet 14 + IPv4 20 + UDP 8: the DNS id sits at 42
    const every = Math.max(1, Math.floor(n / witnesses))
    const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34])
    let w = 0
    for (let i = 0; i < n; i++) {
      // client 10.8+.y.z (from i), port 40000 + (i % 20000): no UDP service port on the client side
      const h = (i / 20000) | 0
      f[26] = 10
      f[27] = 8 + ((h >> 16) & 127)
      f[28] = (h >> 8) & 255
      f[29] = h & 255
      f.writeUInt16BE(40000 + (i % 20000), 34)
      f.writeUInt16BE(i & 0xffff, 42)
      f.writeUInt16BE(0, 24)
      f.writeUInt16BE(internetChecksum(f, 14, 34), 24)
      f.writeUInt16BE(0, 40) // UDP checksum 0: not computed (RFC 768)
      s.frame(f, s.clock.sec, s.clock.nsec)
      if (i % every === every - 1 && w < witnesses) {
        const wsrc = `${WITNESS}${(w % 250) + 1}`
        const wid = 0x7700 + w
        s.frame(udpFrame({src: wsrc, dst: '10.9.9.53', srcPort: 5353 + w, dstPort: 53, payload: Buffer.concat([dnsHeader(wid, 0x0100, 1, 0), QNAME, Q_A_IN])}), s.clock.sec, s.clock.nsec)
        s.frame(udpFrame({src: '10.9.9.53', dst: wsrc, srcPort: 53, dstPort: 5353 + w, payload: Buffer.concat([dnsHeader(wid, 0x8180, 1, 1), QNAME, Q_A_IN, answer])}), s.clock.sec, s.clock.nsec)
        w++
      }
    }
  }
}

/**
 * Out-of-order segment per connection: `conns` HTTP connections each complete a handshake and
 * send one `bytes`-byte segment 1000 bytes beyond the expected sequence (a hole never filled), and
 * nothing else. Every connection holds one stored segment until it is evicted (maxConnections) or
 * tcpOooBytesTotal turns its hole into a gap. Witness HTTP exchanges are interleaved.
 */
export function oooPerConn(conns: number, bytes = 1000, witnesses = 20) {
  return (s: FrameSink) => {
    const payload = Buffer.alloc(bytes, 0x42)
    const every = Math.max(1, Math.floor(conns / witnesses))
    let w = 0
    for (let c = 0; c < conns; c++) {
      const h = (c / 60000) | 0
      const conv = new TcpConversation({
        client: `10.${16 + (h & 127)}.${((c % 60000) >> 8) & 255}.${c & 255}`,
        server: '10.9.9.86',
        clientPort: 1024 + (c % 60000),
        serverPort: 80,
      })
      conv.handshake()
      conv.segment('client', {flags: TcpFlag.ACK | TcpFlag.PSH, payload, seq: (conv.nextSeq('client') + 1000) >>> 0})
      emitConversation(s, conv)
      if (c % every === every - 1 && w < witnesses) witnessHttp(s, w++)
    }
  }
}
