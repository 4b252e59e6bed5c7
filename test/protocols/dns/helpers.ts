/**
 * Test helpers for the dns/icmp/dhcpv4 protocol tests: a fake ConnInfo, a ProtocolContext whose
 * emit() collects transactions, a reusable Moment, and a small DNS message builder (no
 * compression unless asked) so that inputs are built in code.
 */
import {DEFAULT_LIMITS, type Limits} from '../../../src/limits.js'
import type {ConnInfo, Moment} from '../../../src/reassembly/types.js'
import type {Transaction} from '../../../src/event/types.js'
import type {ProtocolContext} from '../../../src/protocols/types.js'
import {Stats} from '../../../src/stats.js'

export function fakeConn(transport: 'tcp' | 'udp' = 'udp', serverPort = 53): ConnInfo {
  return {
    id: 1,
    transport,
    ipVersion: 4,
    clientIp: '10.0.0.1',
    serverIp: '10.0.0.2',
    clientPort: 40000,
    serverPort,
    communityId: '1:test',
    roleBy: 'port',
  }
}

export interface Collect {
  ctx: ProtocolContext
  out: Transaction[]
  stats: Stats
}

export function collector(limits: Partial<Limits> = {}, options: Record<string, unknown> = {}): Collect {
  const out: Transaction[] = []
  const stats = new Stats()
  const ctx: ProtocolContext = {
    limits: {...DEFAULT_LIMITS, ...limits},
    stats,
    options,
    emit: (t) => {
      out.push(t)
    },
  }
  return {ctx, out, stats}
}

export function at(sec: number, frame = 1, nsec = 0): Moment {
  return {frame, tsSec: sec, tsNsec: nsec}
}

/** Strips the per-call identity (conn) so transactions can be compared structurally. */
export function plain(ts: Transaction[]): unknown[] {
  return ts.map((t) => ({...t, conn: undefined}))
}

// ------------------------------------------------------------------------------- DNS builder

export function encName(name: string): Buffer {
  if (name === '.' || name === '') return Buffer.from([0])
  const parts: Buffer[] = []
  for (const l of name.split('.')) {
    const b = Buffer.from(l, 'latin1')
    parts.push(Buffer.from([b.length]), b)
  }
  parts.push(Buffer.from([0]))
  return Buffer.concat(parts)
}

export interface RR {
  name: string | Buffer
  type: number
  class?: number
  ttl?: number
  rdata: Buffer
}

export interface Msg {
  id: number
  qr?: boolean
  opcode?: number
  aa?: boolean
  tc?: boolean
  rd?: boolean
  ra?: boolean
  ad?: boolean
  cd?: boolean
  rcode?: number
  questions?: {name: string | Buffer; type: number; class?: number}[]
  answers?: RR[]
  authorities?: RR[]
  additionals?: RR[]
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}

function rrBuf(r: RR): Buffer {
  const name = typeof r.name === 'string' ? encName(r.name) : r.name
  return Buffer.concat([name, u16(r.type), u16(r.class ?? 1), u32(r.ttl ?? 300), u16(r.rdata.length), r.rdata])
}

export function buildMsg(m: Msg): Buffer {
  const h = Buffer.alloc(12)
  h.writeUInt16BE(m.id, 0)
  h[2] = (m.qr ? 0x80 : 0) | ((m.opcode ?? 0) << 3) | (m.aa ? 4 : 0) | (m.tc ? 2 : 0) | (m.rd ? 1 : 0)
  h[3] = (m.ra ? 0x80 : 0) | (m.ad ? 0x20 : 0) | (m.cd ? 0x10 : 0) | ((m.rcode ?? 0) & 0xf)
  const qs = m.questions ?? []
  h.writeUInt16BE(qs.length, 4)
  h.writeUInt16BE(m.answers?.length ?? 0, 6)
  h.writeUInt16BE(m.authorities?.length ?? 0, 8)
  h.writeUInt16BE(m.additionals?.length ?? 0, 10)
  const parts: Buffer[] = [h]
  for (const q of qs) parts.push(typeof q.name === 'string' ? encName(q.name) : q.name, u16(q.type), u16(q.class ?? 1))
  for (const r of [...(m.answers ?? []), ...(m.authorities ?? []), ...(m.additionals ?? [])]) parts.push(rrBuf(r))
  return Buffer.concat(parts)
}

export function query(id: number, name: string, type = 1): Buffer {
  return buildMsg({id, rd: true, questions: [{name, type}]})
}

export function ipv4Rdata(s: string): Buffer {
  return Buffer.from(s.split('.').map(Number))
}

export function answerA(id: number, name: string, ips: string[], rcode = 0): Buffer {
  return buildMsg({
    id,
    qr: true,
    rd: true,
    ra: true,
    rcode,
    questions: [{name, type: 1}],
    answers: ips.map((ip) => ({name, type: 1, ttl: 60, rdata: ipv4Rdata(ip)})),
  })
}

/** Prefixes a message with its 2-byte TCP length (RFC 1035 4.2.2). */
export function tcpFrame(msg: Buffer): Buffer {
  return Buffer.concat([u16(msg.length), msg])
}

export {u16, u32}
