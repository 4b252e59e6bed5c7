/**
 * Where fuzz inputs come from.
 *
 * Captures: the project's own samples (samples/**) and the public corpus beside the project
 * (../shared/corpus, read in place: those captures belong to other projects and are never copied
 * into the repo; a failure found on one is saved as a recipe). A source is named by a stable key:
 * `samples/<path>` or `corpus:<path relative to the corpus>`.
 *
 * Valid protocol streams, for the stream fuzzer to mutate:
 * - tapped from a capture: the pipeline runs on it with every protocol replaced by a recorder,
 *   which keeps the bytes each handler would have received (data/gap per direction, datagrams);
 * - synthesised: the benchmark's wire generators (scripts/bench/wire-gen.ts, http-gen.ts) plus
 *   small hand-built DHCP and ICMP messages, SOCKS and STARTTLS upgrades followed by TLS, and DTLS
 *   handshakes in fragments, from a seed.
 * Both are deterministic for the same source files and code, which is what makes a recipe replay.
 */
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {gunzipSync} from 'node:zlib'
import {HttpGen} from '../bench/http-gen.js'
import {
  dnsDialogue,
  clientHello,
  memcacheDialogue,
  mongoDialogue,
  mysqlDialogue,
  pgsqlDialogue,
  redisDialogue,
  serverFlight,
  tlsDialogue,
} from '../bench/wire-gen.js'
import type {TcpDialogue} from '../bench/capture-gen.js'
import {authSys, call, cat, compound, compoundRes, diropargs, fh, op, record, reply, u32} from '../samples/nfs-wire.js'
import * as cql from '../samples/cql-wire.js'
import {CaptureParser} from '../../src/capture/parser.js'
import type {DecodedPacket} from '../../src/decode/types.js'
import {DEFAULT_LIMITS} from '../../src/limits.js'
import {Engine} from '../../src/engine/engine.js'
import type {Dir, IpHandler, StreamHandler, UdpHandler} from '../../src/reassembly/types.js'
import type {Protocol, ProtocolContext} from '../../src/protocols/types.js'
import {Stats} from '../../src/stats.js'
import type {StreamEvent, StreamInput} from './harness.js'
import {Rng, randomBytes} from './rng.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const SAMPLES = path.join(ROOT, 'samples')
export const CORPUS = path.resolve(ROOT, '../shared/corpus')

const CAPTURE_NAME = /\.(pcap|pcapng|cap)(\.gz)?$/

function walk(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {withFileTypes: true})
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((d) => {
      const p = path.join(dir, d.name)
      if (d.isDirectory()) return walk(p)
      return CAPTURE_NAME.test(d.name) ? [p] : []
    })
}

/** Every capture source key, samples first, in a stable (sorted) order. */
export function listSources(): string[] {
  const samples = walk(SAMPLES).map((p) => path.relative(ROOT, p).split(path.sep).join('/'))
  const corpus = walk(CORPUS).map((p) => 'corpus:' + path.relative(CORPUS, p).split(path.sep).join('/'))
  return [...samples, ...corpus]
}

export function sourcePath(key: string): string {
  return key.startsWith('corpus:') ? path.join(CORPUS, key.slice(7)) : path.join(ROOT, key)
}

export function isCorpusSource(key: string): boolean {
  return key.startsWith('corpus:')
}

/** A capture in memory (gzip undone) with the position of every record. */
export interface LoadedCapture {
  key: string
  bytes: Buffer
  format: 'pcap' | 'pcapng' | 'other'
  /** Per record: offset of its header (pcap record header / pcapng block). */
  hdr: number[]
  /** Per record: offset and length of its packet bytes. */
  dataOff: number[]
  dataLen: number[]
  /** Per record: offset and length of the whole record/block (for reordering). */
  spanOff: number[]
  spanLen: number[]
  /** pcapng: little-endian section (from the first SHB). */
  le: boolean
}

const loaded = new Map<string, LoadedCapture>()

/** Loads (cached) and indexes a capture. Damaged captures are indexed up to the damage. */
export function loadCapture(key: string): LoadedCapture {
  const hit = loaded.get(key)
  if (hit) return hit
  let bytes = readFileSync(sourcePath(key))
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes)
    } catch {
      // keep the compressed bytes: still an input (rejected as not a capture)
    }
  }
  const magic = bytes.length >= 4 ? bytes.readUInt32BE(0) : 0
  const format: LoadedCapture['format'] = magic === 0x0a0d0d0a ? 'pcapng' : bytes.length >= 24 ? 'pcap' : 'other'
  const le = format === 'pcapng' && bytes.length >= 12 ? bytes.readUInt32LE(8) === 0x1a2b3c4d : true
  const c: LoadedCapture = {key, bytes, format, hdr: [], dataOff: [], dataLen: [], spanOff: [], spanLen: [], le}
  const stats = new Stats()
  const parser = new CaptureParser(key, {
    packet: (p) => {
      c.hdr.push(p.offset)
      c.dataOff.push(p.data.byteOffset - bytes.byteOffset)
      c.dataLen.push(p.data.length)
      let span = p.data.byteOffset - bytes.byteOffset - p.offset + p.data.length
      if (format === 'pcapng' && p.offset + 8 <= bytes.length) span = le ? bytes.readUInt32LE(p.offset + 4) : bytes.readUInt32BE(p.offset + 4)
      c.spanOff.push(p.offset)
      c.spanLen.push(span)
    },
  }, {...DEFAULT_LIMITS}, stats)
  try {
    parser.push(bytes)
    parser.end()
  } catch {
    // indexed up to the damage
  }
  if (loaded.size > 600) loaded.clear()
  loaded.set(key, c)
  return c
}

// ------------------------------------------------------------------------------ tapped streams

/** Caps per tapped session and per capture (memory of the cache). */
const TAP_SESSION_BYTES = 64 * 1024
const TAP_SESSIONS = 64

class Recorder {
  bytes = 0
  constructor(readonly s: StreamInput) {}
  add(dir: Dir, b: Buffer, dt: number): void {
    if (this.bytes >= TAP_SESSION_BYTES) return
    this.bytes += b.length
    // Copied: the recorded bytes outlive the call (that is the point of the recorder).
    this.s.events.push({k: 'data', dir, bytes: Buffer.from(b), dt})
  }
}

const tapped = new Map<string, StreamInput[]>()

/**
 * The protocol streams inside a capture, in the order their handlers were created. A session's
 * events carry the real inter-arrival times (ms). Cached per capture key.
 */
export function tapCapture(key: string, protocols: readonly Protocol[]): StreamInput[] {
  const hit = tapped.get(key)
  if (hit) return hit
  const sessions: StreamInput[] = []
  const stats = new Stats()
  const limits = {...DEFAULT_LIMITS}
  let lastMs = 0
  const dtOf = (tsSec: number, tsNsec: number): number => {
    const ms = tsSec * 1000 + tsNsec / 1e6
    const dt = lastMs === 0 ? 0 : Math.max(0, Math.min(ms - lastMs, 3_600_000))
    lastMs = ms
    return Math.round(dt)
  }
  const full = () => sessions.length >= TAP_SESSIONS
  const recorders: Protocol[] = protocols.map((p) => ({
    name: p.name,
    fields: p.fields,
    tcp: p.tcp && {
      ports: p.tcp.ports,
      detect: p.tcp.detect?.bind(p.tcp),
      create: (c): StreamHandler => {
        const s: StreamInput = {protocol: p.name, transport: 'tcp', events: [], end: 'fin', serverPort: c.serverPort}
        if (!full()) sessions.push(s)
        const r = new Recorder(s)
        return {
          data: (dir, b, at) => r.add(dir, b, dtOf(at.tsSec, at.tsNsec)),
          gap: (dir, n, at) => {
            s.events.push({k: 'gap', dir, n, dt: dtOf(at.tsSec, at.tsNsec)})
          },
          end: (reason) => {
            s.end = reason
          },
        }
      },
    },
    udp: p.udp && {
      ports: p.udp.ports,
      detect: p.udp.detect?.bind(p.udp),
      create: (c): UdpHandler => {
        const s: StreamInput = {protocol: p.name, transport: 'udp', events: [], end: 'eof', serverPort: c.serverPort}
        if (!full()) sessions.push(s)
        const r = new Recorder(s)
        return {datagram: (dir, b, at) => r.add(dir, b, dtOf(at.tsSec, at.tsNsec)), end: () => {}}
      },
    },
    ip: p.ip && {
      protos: p.ip.protos,
      create: (_ctx: ProtocolContext): IpHandler => {
        const s: StreamInput = {protocol: p.name, transport: 'ip', events: [], end: 'eof', serverPort: 0}
        const r = new Recorder(s)
        let first = -1
        return {
          packet: (pk: DecodedPacket) => {
            if (s.events.length === 0 && !full()) sessions.push(s)
            if (first === -1) first = pk.src0
            r.add(pk.src0 === first ? 0 : 1, pk.payload, dtOf(pk.tsSec, pk.tsNsec))
          },
          end: () => {},
        }
      },
    },
  }))
  try {
    const engine = new Engine({protocols: recorders, limits, stats, emit: () => {}})
    const parser = new CaptureParser(key, engine, limits, stats)
    try {
      parser.push(loadCapture(key).bytes)
      parser.end()
    } catch {
      // damaged capture: keep what was tapped
    }
    engine.end()
  } catch {
    // a tap that fails yields what it has; the fuzzer itself reports pipeline failures
  }
  const kept = sessions.filter((s) => s.events.length > 0)
  if (tapped.size > 600) tapped.clear()
  tapped.set(key, kept)
  return kept
}

// ------------------------------------------------------------------------------ synthetic streams

function u16(v: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(v & 0xffff)
  return b
}

function dialogueEvents(d: TcpDialogue, rng: Rng): StreamEvent[] {
  const ev: StreamEvent[] = []
  for (const m of d.opening()) ev.push({k: 'data', dir: m.side === 'client' ? 0 : 1, bytes: m.data, dt: rng.int(0, 5)})
  for (let i = 0; i < d.exchanges; i++) {
    const x = d.exchange()
    ev.push({k: 'data', dir: 0, bytes: x.request, dt: rng.int(0, 50)})
    if (x.response.length > 0) ev.push({k: 'data', dir: 1, bytes: x.response, dt: rng.int(0, 50)})
  }
  return ev
}

/** A CQL v4 (optionally compressed) or v5-framed connection: STARTUP, then n queries answered out of order. */
function cqlEvents(rng: Rng, n: number): StreamEvent[] {
  const mode = rng.pick(['', 'lz4', 'snappy', 'v5'] as const)
  const v = mode === 'v5' ? 5 : 4
  const z = (b: Buffer) => (mode === 'lz4' ? cql.lz4FrameBody(b) : mode === 'snappy' ? cql.snappyCompress(b) : b)
  const flag = mode === 'lz4' || mode === 'snappy' ? 1 : 0
  const v5lz4 = mode === 'v5' && rng.chance(0.5)
  const wrap = (e: Buffer) => (mode === 'v5' ? cql.v5Frame(e, true, v5lz4) : e)
  const ev: StreamEvent[] = [
    {k: 'data', dir: 0, bytes: cql.envelope(v, false, 0, 0, cql.OPS.STARTUP, cql.strMap({CQL_VERSION: '3.0.0', ...(flag ? {COMPRESSION: mode} : v5lz4 ? {COMPRESSION: 'lz4'} : {})})), dt: 0},
    {k: 'data', dir: 1, bytes: cql.envelope(v, true, 0, 0, cql.OPS.READY, Buffer.alloc(0)), dt: 1},
  ]
  const replies: Buffer[] = []
  for (let i = 0; i < n; i++) {
    const stream = rng.int(1, 300)
    ev.push({k: 'data', dir: 0, bytes: wrap(cql.envelope(v, false, flag, stream, cql.OPS.QUERY, z(cql.queryBody(`SELECT * FROM t${rng.int(0, 9)} LIMIT ${rng.int(1, 50)}`, v)))), dt: rng.int(0, 5)})
    const body = rng.chance(0.2) ? cql.errorBody(0x2200, 'invalid') : cql.rowsResult('ks', 't', ['a', 'b'], Array.from({length: rng.int(0, 6)}, (_, k) => [`v${k}`, 'same text same text']))
    replies.push(wrap(cql.envelope(v, true, flag, stream, rng.chance(0.2) ? cql.OPS.ERROR : cql.OPS.RESULT, z(body))))
  }
  for (const r of replies.reverse()) ev.push({k: 'data', dir: 1, bytes: r, dt: rng.int(0, 5)})
  return ev
}

function dhcpMessage(rng: Rng, op: 1 | 2, type: number, xid: number): Buffer {
  const b = Buffer.alloc(240)
  b[0] = op
  b[1] = 1
  b[2] = 6
  b.writeUInt32BE(xid >>> 0, 4)
  for (let i = 0; i < 6; i++) b[28 + i] = rng.int(0, 255)
  if (op === 2) b.writeUInt32BE(0x0a000064, 16)
  b.writeUInt32BE(0x63825363, 236)
  const opts = Buffer.from([53, 1, type, 12, 4, 0x68, 0x6f, 0x73, 0x74, 55, 3, 1, 3, 6, 51, 4, 0, 0, 0x0e, 0x10, 255])
  return Buffer.concat([b, opts])
}

function icmpEcho(type: number, id: number, seq: number): Buffer {
  const b = Buffer.alloc(16)
  b[0] = type
  b.writeUInt16BE(id, 4)
  b.writeUInt16BE(seq, 6)
  return b
}

/**
 * A Thrift message (binary strict header or compact, optionally framed) whose body is a struct
 * of a few i32, string and list<i32> fields.
 */
function thriftMessage(rng: Rng, type: number, name: string, seq: number, compact: boolean, framed: boolean): Buffer {
  const parts: Buffer[] = []
  const be32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeInt32BE(n | 0)
    return b
  }
  const varint = (n: number) => {
    const out: number[] = []
    let v = n >>> 0
    do {
      out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0))
      v >>>= 7
    } while (v !== 0)
    return Buffer.from(out)
  }
  const zz = (n: number) => varint(((n << 1) ^ (n >> 31)) >>> 0)
  const nm = Buffer.from(name)
  if (compact) parts.push(Buffer.from([0x82, (type << 5) | 1]), varint(seq), varint(nm.length), nm)
  else parts.push(be32(0x80010000 | type), be32(nm.length), nm, be32(seq))
  const fields = rng.int(0, 4)
  for (let id = 1; id <= fields; id++) {
    const kind = rng.int(0, 2)
    const s = Buffer.from('v'.repeat(rng.int(0, 20)))
    if (compact) {
      parts.push(Buffer.from([(1 << 4) | [5, 8, 9][kind]]))
      if (kind === 0) parts.push(zz(rng.int(-1000, 1000)))
      else if (kind === 1) parts.push(varint(s.length), s)
      else parts.push(Buffer.from([(3 << 4) | 5]), zz(1), zz(2), zz(3))
    } else {
      parts.push(Buffer.from([[8, 11, 15][kind]]), u16(id))
      if (kind === 0) parts.push(be32(rng.int(-1000, 1000)))
      else if (kind === 1) parts.push(be32(s.length), s)
      else parts.push(Buffer.from([8]), be32(3), be32(1), be32(2), be32(3))
    }
  }
  parts.push(Buffer.from([0]))
  const m = Buffer.concat(parts)
  return framed ? Buffer.concat([be32(m.length), m]) : m
}

/** Protocols (and their transport) that synthStream can build. */
export const SYNTH_KINDS: readonly {protocol: string; transport: 'tcp' | 'udp' | 'ip'}[] = [
  {protocol: 'http', transport: 'tcp'},
  {protocol: 'dns', transport: 'udp'},
  {protocol: 'dns', transport: 'tcp'},
  {protocol: 'tls', transport: 'tcp'},
  {protocol: 'mysql', transport: 'tcp'},
  {protocol: 'pgsql', transport: 'tcp'},
  {protocol: 'redis', transport: 'tcp'},
  {protocol: 'memcache', transport: 'tcp'},
  {protocol: 'memcache', transport: 'udp'},
  {protocol: 'mongodb', transport: 'tcp'},
  {protocol: 'cassandra', transport: 'tcp'},
  {protocol: 'dhcpv4', transport: 'udp'},
  {protocol: 'icmp', transport: 'ip'},
  {protocol: 'thrift', transport: 'tcp'},
  {protocol: 'nfs', transport: 'tcp'},
  {protocol: 'nfs', transport: 'udp'},
  {protocol: 'socks', transport: 'tcp'},
  {protocol: 'starttls', transport: 'tcp'},
  {protocol: 'tls', transport: 'udp'},
]

const lat = (s: string) => Buffer.from(s, 'latin1')

/** The TLS dialogue (hellos, then application records) that follows a SOCKS grant or a STARTTLS reply. */
function tlsAfter(rng: Rng, n: number): StreamEvent[] {
  return dialogueEvents(tlsDialogue(rng, n), rng)
}

/** A SOCKS 4, 4a or 5 (with or without RFC 1929 authentication) handshake, granted or refused, then TLS. */
function socksEvents(rng: Rng, n: number): StreamEvent[] {
  const ev: StreamEvent[] = []
  const c = (bytes: Buffer) => ev.push({k: 'data', dir: 0, bytes, dt: rng.int(0, 5)})
  const sv = (bytes: Buffer) => ev.push({k: 'data', dir: 1, bytes, dt: rng.int(0, 5)})
  const host = lat(`h${rng.int(0, 999)}.example.net`)
  const granted = rng.int(0, 4) !== 0
  const v = rng.int(0, 3)
  if (v === 0) {
    c(Buffer.concat([Buffer.from([4, 1]), u16(443), Buffer.from([10, 9, 8, 7]), lat('fuzz'), Buffer.from([0])]))
    sv(Buffer.concat([Buffer.from([0, granted ? 0x5a : 0x5b]), u16(443), Buffer.from([10, 9, 8, 7])]))
  } else if (v === 1) {
    c(Buffer.concat([Buffer.from([4, 1]), u16(443), Buffer.from([0, 0, 0, 1]), Buffer.from([0]), host, Buffer.from([0])]))
    sv(Buffer.concat([Buffer.from([0, granted ? 0x5a : 0x5b]), u16(0), Buffer.from([0, 0, 0, 0])]))
  } else {
    const auth = v === 3
    c(Buffer.from([5, 1, auth ? 2 : 0]))
    sv(Buffer.from([5, auth ? 2 : 0]))
    if (auth) {
      c(Buffer.concat([Buffer.from([1, 4]), lat('user'), Buffer.from([6]), lat('secret')]))
      sv(Buffer.from([1, 0]))
    }
    const a = rng.int(0, 2)
    const addr = a === 0 ? Buffer.from([1, 10, 1, 2, 3]) : a === 1 ? Buffer.concat([Buffer.from([3, host.length]), host]) : Buffer.concat([Buffer.from([4]), randomBytes(rng, 16)])
    c(Buffer.concat([Buffer.from([5, 1, 0]), addr, u16(443)]))
    sv(Buffer.concat([Buffer.from([5, granted ? 0 : 5, 0, 1, 10, 0, 0, 1]), u16(40000)]))
  }
  return granted ? [...ev, ...tlsAfter(rng, n)] : ev
}

/** BER: tag, definite length, contents. */
function ber(tag: number, body: Buffer): Buffer {
  const l = body.length
  const len = l < 0x80 ? Buffer.from([l]) : l < 0x100 ? Buffer.from([0x81, l]) : Buffer.from([0x82, l >> 8, l & 255])
  return Buffer.concat([Buffer.from([tag]), len, body])
}

/** An LDAPMessage: SEQUENCE { messageID, protocolOp }. */
function ldapMsg(id: number, op: Buffer): Buffer {
  return ber(0x30, Buffer.concat([ber(0x02, Buffer.from([id])), op]))
}

/** A STARTTLS upgrade of SMTP, IMAP, POP3, FTP, XMPP or LDAP (sometimes refused), then TLS: [port, events]. */
function starttlsEvents(rng: Rng, n: number): [number, StreamEvent[]] {
  const ev: StreamEvent[] = []
  const c = (t: string | Buffer) => ev.push({k: 'data', dir: 0, bytes: typeof t === 'string' ? lat(t) : t, dt: rng.int(0, 5)})
  const sv = (t: string | Buffer) => ev.push({k: 'data', dir: 1, bytes: typeof t === 'string' ? lat(t) : t, dt: rng.int(0, 5)})
  const ok = rng.int(0, 4) !== 0
  let port: number
  switch (rng.int(0, 5)) {
    case 0:
      port = 25
      sv('220 mx.example.org ESMTP\r\n')
      c('EHLO fuzz\r\n')
      sv('250-mx.example.org\r\n250-SIZE 1000\r\n250 STARTTLS\r\n')
      c('STARTTLS\r\n')
      sv(ok ? '220 2.0.0 go ahead\r\n' : '454 4.7.0 not now\r\n')
      break
    case 1:
      port = 143
      sv('* OK IMAP4rev1 ready\r\n')
      c('a1 CAPABILITY\r\n')
      sv('* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n')
      c('a2 STARTTLS\r\n')
      sv(ok ? 'a2 OK begin TLS\r\n' : 'a2 NO later\r\n')
      break
    case 2:
      port = 110
      sv('+OK POP3 ready\r\n')
      c('STLS\r\n')
      sv(ok ? '+OK begin\r\n' : '-ERR no\r\n')
      break
    case 3:
      port = 21
      sv('220-welcome\r\n220 FTP ready\r\n')
      c('AUTH TLS\r\n')
      sv(ok ? '234 AUTH TLS OK.\r\n' : '500 unknown\r\n')
      break
    case 4:
      port = 5222
      c("<?xml version='1.0'?><stream:stream to='example.org' xmlns='jabber:client' version='1.0'>")
      sv("<stream:stream from='example.org' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")
      c("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
      sv(ok ? "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" : "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
      break
    default: {
      port = 389
      const id = rng.int(1, 100)
      c(ldapMsg(id, ber(0x77, ber(0x80, lat('1.3.6.1.4.1.1466.20037')))))
      sv(ldapMsg(id, ber(0x78, Buffer.concat([ber(0x0a, Buffer.from([ok ? 0 : 2])), ber(0x04, Buffer.alloc(0)), ber(0x04, Buffer.alloc(0))]))))
    }
  }
  return [port, ok ? [...ev, ...tlsAfter(rng, n)] : ev]
}

/** A DTLS 1.2 record (epoch 0 unless given). */
function dtlsRecord(type: number, body: Buffer, seq: number, epoch = 0): Buffer {
  const h = Buffer.alloc(13)
  h[0] = type
  h.writeUInt16BE(0xfefd, 1)
  h.writeUInt16BE(epoch, 3)
  h.writeUIntBE(seq, 7, 6)
  h.writeUInt16BE(body.length, 11)
  return Buffer.concat([h, body])
}

/** A DTLS handshake message cut into 1..3 fragments, each as its own record (in random order). */
function dtlsFragments(rng: Rng, type: number, msgSeq: number, body: Buffer, next: () => number): Buffer[] {
  const cuts = [0, body.length]
  for (let i = rng.int(0, 2); i > 0; i--) cuts.push(rng.int(0, body.length))
  cuts.sort((a, b) => a - b)
  const out: Buffer[] = []
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i]!, cuts[i + 1]!]
    const h = Buffer.alloc(12)
    h[0] = type
    h.writeUIntBE(body.length, 1, 3)
    h.writeUInt16BE(msgSeq, 4)
    h.writeUIntBE(a, 6, 3)
    h.writeUIntBE(b - a, 9, 3)
    out.push(dtlsRecord(22, Buffer.concat([h, body.subarray(a, b)]), next()))
  }
  if (rng.int(0, 1) === 0) out.reverse()
  return out
}

/** A DTLS 1.2 cookie exchange and handshake (hellos reshaped from the TLS generator), then epoch-1 records. */
function dtlsEvents(rng: Rng, n: number): StreamEvent[] {
  let cs = 0
  let ss = 0
  const tlsCh = clientHello(rng, `d${rng.int(0, 99)}.example.org`).subarray(9)
  const shRec = serverFlight(rng)
  const sh = Buffer.from(shRec.subarray(9, 5 + shRec.readUInt16BE(3)))
  sh.writeUInt16BE(0xfefd, 0)
  const ch = (cookie: Buffer) => {
    const at = 35 + tlsCh[34]!
    const b = Buffer.concat([tlsCh.subarray(0, at), Buffer.from([cookie.length]), cookie, tlsCh.subarray(at)])
    b.writeUInt16BE(0xfefd, 0)
    return b
  }
  const cookie = randomBytes(rng, 20)
  const ev: StreamEvent[] = []
  const c = (bs: Buffer[]) => ev.push({k: 'data', dir: 0, bytes: Buffer.concat(bs), dt: rng.int(0, 5)})
  const sv = (bs: Buffer[]) => ev.push({k: 'data', dir: 1, bytes: Buffer.concat(bs), dt: rng.int(0, 5)})
  const cn = () => cs++
  const sn = () => ss++
  c(dtlsFragments(rng, 1, 0, ch(Buffer.alloc(0)), cn))
  sv(dtlsFragments(rng, 3, 0, Buffer.concat([u16(0xfefd), Buffer.from([cookie.length]), cookie]), sn))
  const ch1 = dtlsFragments(rng, 1, 1, ch(cookie), cn)
  c(ch1)
  if (rng.int(0, 3) === 0) c(ch1) // a retransmission
  sv([...dtlsFragments(rng, 2, 1, sh, sn), ...dtlsFragments(rng, 14, 2, Buffer.alloc(0), sn)])
  c([dtlsRecord(20, Buffer.from([1]), cn()), dtlsRecord(22, randomBytes(rng, 40), 0, 1)])
  sv([dtlsRecord(20, Buffer.from([1]), sn()), dtlsRecord(22, randomBytes(rng, 40), 0, 1)])
  for (let i = 0; i < n; i++) {
    c([dtlsRecord(23, randomBytes(rng, rng.int(20, 300)), i + 1, 1)])
    sv([dtlsRecord(23, randomBytes(rng, rng.int(20, 900)), i + 1, 1)])
  }
  return ev
}

/** n NFS exchanges (v3 LOOKUP / v4 COMPOUND), calls and replies with random xids, some answered out of order. */
function nfsMessages(rng: Rng, n: number): {dir: 0 | 1; msg: Buffer}[] {
  const cred = authSys({stamp: rng.int(0, 0xffff), machine: 'fuzz', uid: rng.int(0, 2000), gid: rng.int(0, 2000), gids: [rng.int(0, 9)]})
  const out: {dir: 0 | 1; msg: Buffer}[] = []
  const held: Buffer[] = []
  for (let i = 0; i < n; i++) {
    const xid = rng.int(0, 0x7fffffff)
    if (rng.int(0, 1) === 0) {
      out.push({dir: 0, msg: call(xid, 100003, 3, 3, cred, diropargs(rng.int(1, 9), `f${rng.int(0, 99)}`))})
      held.push(reply(xid, cat(u32(rng.int(0, 1) * 2), fh(rng.int(1, 9)), u32(0), u32(0))))
    } else {
      out.push({dir: 0, msg: call(xid, 100003, 4, 1, cred, compound('t', 1, op.sequence(), op.putrootfh(), op.lookup('export'), op.getfh(), op.getattr()))})
      held.push(reply(xid, compoundRes(0, 't', [53, 0, Buffer.alloc(36)], [24, 0], [15, 0], [10, 0, fh(2)], [9, 0, cat(u32(0), u32(0))])))
    }
    if (rng.int(0, 2) === 0) continue // answered later, with the next ones
    while (held.length > 0) out.push({dir: 1, msg: held.splice(rng.int(0, held.length - 1), 1)[0]!})
  }
  for (const r of held) out.push({dir: 1, msg: r})
  return out
}

/** A valid stream for `kind` from `seed`. */
export function synthStream(kind: number, seed: number): StreamInput {
  const k = SYNTH_KINDS[kind % SYNTH_KINDS.length]
  const rng = new Rng(seed)
  const n = rng.int(1, 4)
  let ev: StreamEvent[] = []
  let port = 0
  switch (`${k.protocol}/${k.transport}`) {
    case 'http/tcp':
      ev = dialogueEvents(new HttpGen(rng).dialogue(80, n), rng)
      port = 80
      break
    case 'dns/udp':
      ev = dialogueEvents(dnsDialogue(rng, n), rng)
      port = 53
      break
    case 'dns/tcp':
      ev = dialogueEvents(dnsDialogue(rng, n), rng).map((e) =>
        e.k === 'data' ? {...e, bytes: Buffer.concat([u16(e.bytes.length), e.bytes])} : e,
      )
      port = 53
      break
    case 'tls/tcp':
      ev = dialogueEvents(tlsDialogue(rng, n), rng)
      port = 443
      break
    case 'mysql/tcp':
      ev = dialogueEvents(mysqlDialogue(rng, n), rng)
      port = 3306
      break
    case 'pgsql/tcp':
      ev = dialogueEvents(pgsqlDialogue(rng, n), rng)
      port = 5432
      break
    case 'redis/tcp':
      ev = dialogueEvents(redisDialogue(rng, n), rng)
      port = 6379
      break
    case 'memcache/tcp':
      ev = dialogueEvents(memcacheDialogue(rng, n), rng)
      port = 11211
      break
    case 'memcache/udp': {
      let rid = rng.int(0, 0xffff)
      ev = dialogueEvents(memcacheDialogue(rng, n), rng).map((e) => {
        if (e.k !== 'data') return e
        if (e.dir === 0) rid = (rid + 1) & 0xffff
        return {...e, bytes: Buffer.concat([u16(rid), u16(0), u16(1), u16(0), e.bytes])}
      })
      port = 11211
      break
    }
    case 'mongodb/tcp':
      ev = dialogueEvents(mongoDialogue(rng, n), rng)
      port = 27017
      break
    case 'cassandra/tcp':
      ev = cqlEvents(rng, n)
      port = 9042
      break
    case 'dhcpv4/udp': {
      const xid = rng.int(0, 0x7fffffff)
      ev = [
        {k: 'data', dir: 0, bytes: dhcpMessage(rng, 1, 1, xid), dt: 0},
        {k: 'data', dir: 1, bytes: dhcpMessage(rng, 2, 2, xid), dt: 5},
        {k: 'data', dir: 0, bytes: dhcpMessage(rng, 1, 3, xid), dt: 5},
        {k: 'data', dir: 1, bytes: dhcpMessage(rng, 2, 5, xid), dt: 5},
      ]
      port = 67
      break
    }
    case 'thrift/tcp': {
      // binary + socket or compact + framed, calls answered in order, a oneway among them
      const compact = rng.int(0, 1) === 1
      for (let i = 0; i < n; i++) {
        const oneway = rng.int(0, 3) === 0
        const name = ['ping', 'add', 'getUser', 'Calc:echo'][rng.int(0, 3)]
        ev.push({k: 'data', dir: 0, bytes: thriftMessage(rng, oneway ? 4 : 1, name, i, compact, compact), dt: rng.int(0, 50)})
        if (!oneway) ev.push({k: 'data', dir: 1, bytes: thriftMessage(rng, rng.int(0, 5) === 0 ? 3 : 2, name, i, compact, compact), dt: rng.int(0, 50)})
      }
      port = 9090
      break
    }
    case 'nfs/tcp':
      ev = nfsMessages(rng, n).map((m) => ({k: 'data', dir: m.dir, bytes: record(m.msg, rng.int(0, 2) === 0 ? rng.int(8, 64) : m.msg.length), dt: rng.int(0, 20)}))
      port = 2049
      break
    case 'nfs/udp':
      ev = nfsMessages(rng, n).map((m) => ({k: 'data', dir: m.dir, bytes: m.msg, dt: rng.int(0, 20)}))
      port = 2049
      break
    case 'socks/tcp':
      ev = socksEvents(rng, n)
      port = 1080
      break
    case 'starttls/tcp':
      ;[port, ev] = starttlsEvents(rng, n)
      break
    case 'tls/udp':
      ev = dtlsEvents(rng, n)
      port = 4433
      break
    case 'icmp/ip': {
      const id = rng.int(0, 0xffff)
      for (let i = 0; i < n; i++) {
        ev.push({k: 'data', dir: 0, bytes: icmpEcho(8, id, i), dt: 1000})
        ev.push({k: 'data', dir: 1, bytes: icmpEcho(0, id, i), dt: 1})
      }
      break
    }
  }
  return {protocol: k.protocol, transport: k.transport, events: ev, end: 'fin', serverPort: port}
}

/** Size of a source file (for weighting or reporting). */
export function sourceSize(key: string): number {
  return statSync(sourcePath(key)).size
}
