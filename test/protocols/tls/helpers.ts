/**
 * Test helpers: TLS message builders (written from RFC 8446/5246 wire formats, independent of the
 * parser under test) and a harness that drives the StreamHandler directly with a fake ConnInfo and
 * a ctx whose emit() collects transactions.
 */
import {makeLimits} from '../../../src/limits.js'
import {protocol} from '../../../src/protocols/tls/index.js'
import type {ConnInfo, Dir} from '../../../src/reassembly/types.js'
import type {Transaction} from '../../../src/event/types.js'
import type {ProtocolContext} from '../../../src/protocols/types.js'
import {Stats} from '../../../src/stats.js'

export const u8 = (n: number) => Buffer.from([n & 0xff])
export const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff])
export const u24 = (n: number) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])
const cat = (...b: Buffer[]) => Buffer.concat(b)
const vec16 = (b: Buffer) => cat(u16(b.length), b)
const vec8 = (b: Buffer) => cat(u8(b.length), b)
const u16s = (l: number[]) => Buffer.concat(l.map(u16))

export function record(type: number, body: Buffer, version = 0x0303): Buffer {
  return cat(u8(type), u16(version), u16(body.length), body)
}
export const handshake = (type: number, body: Buffer) => cat(u8(type), u24(body.length), body)

export type Ext = [number, Buffer]
export const ext = {
  sni: (name: string): Ext => [0, vec16(cat(u8(0), vec16(Buffer.from(name))))],
  alpn: (list: string[]): Ext => [16, vec16(Buffer.concat(list.map((s) => vec8(Buffer.from(s)))))],
  groups: (l: number[]): Ext => [10, vec16(u16s(l))],
  pointFormats: (l: number[]): Ext => [11, vec8(Buffer.from(l))],
  sigAlgs: (l: number[]): Ext => [13, vec16(u16s(l))],
  versionsCH: (l: number[]): Ext => [43, vec8(u16s(l))],
  versionSH: (v: number): Ext => [43, u16(v)],
  ticket: (data: Buffer): Ext => [35, data],
  psk: (): Ext => [41, u16(0)],
  raw: (type: number, data = Buffer.alloc(0)): Ext => [type, data],
}
const exts = (l: Ext[] | undefined) =>
  l === undefined ? Buffer.alloc(0) : vec16(Buffer.concat(l.map(([t, d]) => cat(u16(t), vec16(d)))))

export interface CH {
  version?: number
  sessionId?: Buffer
  ciphers: number[]
  compressions?: number[]
  extensions?: Ext[]
}
export function clientHello(h: CH): Buffer {
  const body = cat(
    u16(h.version ?? 0x0303),
    Buffer.alloc(32, 0x11),
    vec8(h.sessionId ?? Buffer.alloc(0)),
    vec16(u16s(h.ciphers)),
    vec8(Buffer.from(h.compressions ?? [0])),
    exts(h.extensions),
  )
  return handshake(1, body)
}

export const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex')
export interface SH {
  version?: number
  random?: Buffer
  sessionId?: Buffer
  cipher: number
  extensions?: Ext[]
}
export function serverHello(h: SH): Buffer {
  const body = cat(
    u16(h.version ?? 0x0303),
    h.random ?? Buffer.alloc(32, 0x22),
    vec8(h.sessionId ?? Buffer.alloc(0)),
    u16(h.cipher),
    u8(0),
    exts(h.extensions),
  )
  return handshake(2, body)
}
export function certificate(ders: Buffer[]): Buffer {
  const list = Buffer.concat(ders.map((d) => cat(u24(d.length), d)))
  return handshake(11, cat(u24(list.length), list))
}
export const alert = (level: number, desc: number, version = 0x0303) => record(21, Buffer.from([level, desc]), version)
export const ccs = (version = 0x0303) => record(20, Buffer.from([1]), version)
export const appData = (n: number, version = 0x0303) => record(23, Buffer.alloc(n, 0xab), version)
/** An encrypted Finished after CCS (TLS <= 1.2): a handshake record with opaque content. */
export const encryptedFinished = (version = 0x0303) => record(22, Buffer.alloc(40, 0xcd), version)

export const conn: ConnInfo = {
  id: 1,
  transport: 'tcp',
  ipVersion: 4,
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  clientPort: 50000,
  serverPort: 443,
  communityId: '1:test',
  roleBy: 'syn',
}

export interface Harness {
  txs: Transaction[]
  stats: Stats
  ctx: ProtocolContext
}
export function harness(limits = makeLimits()): Harness {
  const txs: Transaction[] = []
  const stats = new Stats()
  const ctx: ProtocolContext = {limits, stats, options: {}, emit: (t) => txs.push(t)}
  return {txs, stats, ctx}
}

/** One flight: bytes sent by one side in one go (one capture frame per flight). */
export type Flight = [Dir, Buffer]

/**
 * Feeds flights in order; `split(bytes)` cuts each flight into the chunks delivered to data().
 * All chunks of flight i carry frame i+1 and time 1000+i seconds (a Moment reused like the
 * reassembler's), so splitting does not change expected times or frames.
 */
export function run(flights: Flight[], split: (b: Buffer) => Buffer[] = (b) => [b], h = harness()): Harness {
  const handler = protocol.tcp!.create(conn, h.ctx)
  const at = {frame: 0, tsSec: 0, tsNsec: 0}
  flights.forEach(([dir, bytes], i) => {
    for (const c of split(bytes)) {
      at.frame = i + 1
      at.tsSec = 1000 + i
      at.tsNsec = 500
      handler.data(dir, c, at)
    }
  })
  at.frame = flights.length + 1
  at.tsSec = 2000
  handler.end('fin', at)
  return h
}

export const splitAt = (k: number) => (b: Buffer) => (k > 0 && k < b.length ? [b.subarray(0, k), b.subarray(k)] : [b])
export const bytewise = (b: Buffer) => Array.from({length: b.length}, (_, i) => b.subarray(i, i + 1))

/** Reads a dotted path out of a transaction's fields. */
export function get(t: Transaction, path: string): unknown {
  let v: unknown = t.fields
  for (const k of path.split('.')) v = v == null ? undefined : (v as Record<string, unknown>)[k]
  return v
}
