/** Test harness: drives a StreamHandler directly with scripted segments and collects transactions. */
import {makeLimits} from '../../src/limits.js'
import type {Limits} from '../../src/limits.js'
import type {ConnInfo, Dir, Moment} from '../../src/reassembly/types.js'
import type {Transaction} from '../../src/event/types.js'
import type {Protocol, ProtocolContext} from '../../src/protocols/types.js'
import {Stats} from '../../src/stats.js'

export const conn: ConnInfo = {
  id: 1,
  transport: 'tcp',
  ipVersion: 4,
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  clientPort: 40000,
  serverPort: 0, // replaced by the protocol's first port in run()
  communityId: '1:test',
  roleBy: 'syn',
}

export interface Seg {
  dir: Dir
  bytes: Buffer
}

export function makeCtx(limits: Partial<Limits> = {}): {ctx: ProtocolContext; out: Transaction[]; stats: Stats} {
  const out: Transaction[] = []
  const stats = new Stats()
  const ctx: ProtocolContext = {limits: {...makeLimits(), ...limits}, stats, options: {}, emit: (t) => out.push(t)}
  return {ctx, out, stats}
}

/**
 * Feeds segments (segment i at frame i+1, second i+1); `split(i, b)` returns the pieces segment i
 * is delivered in (all at the same Moment). Gaps are {dir, gap: n}. Returns the transactions.
 */
export function run(
  p: Protocol,
  segs: (Seg | {dir: Dir; gap: number})[],
  split: (i: number, b: Buffer) => Buffer[] = (_i, b) => [b],
  limits: Partial<Limits> = {},
): {out: Transaction[]; stats: Stats} {
  const {ctx, out, stats} = makeCtx(limits)
  const tcp = p.tcp
  if (!tcp) throw new Error('no tcp')
  const h = tcp.create({...conn, serverPort: tcp.ports[0] ?? 0}, ctx)
  const at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  segs.forEach((s, i) => {
    at.frame = i + 1
    at.tsSec = 1000 + i
    at.tsNsec = 0
    if ('gap' in s) h.gap(s.dir, s.gap, at)
    else for (const piece of split(i, s.bytes)) h.data(s.dir, piece, at)
  })
  at.frame = segs.length + 1
  at.tsSec = 1000 + segs.length
  h.end('fin', at)
  return {out, stats}
}

/** Strips the connection object for comparisons. */
export function plain(ts: Transaction[]): unknown[] {
  return ts.map(({conn: _c, ...rest}) => rest)
}

/** Every way of splitting one segment in two, plus byte-at-a-time delivery of everything. */
export function* splits(segs: Seg[]): Generator<[string, (i: number, b: Buffer) => Buffer[]]> {
  yield ['one byte at a time', (_i, b) => Array.from({length: b.length}, (_, k) => b.subarray(k, k + 1))]
  for (let i = 0; i < segs.length; i++) {
    const len = (segs[i] as Seg).bytes.length
    for (let k = 1; k < len; k++) {
      yield [`segment ${i} split at ${k}`, (j, b) => (j === i ? [b.subarray(0, k), b.subarray(k)] : [b])]
    }
  }
}

/** What a protocol handed to ProtocolContext.openInner: the options and the bytes per direction. */
export interface InnerRecord {
  opened: {self: string; prefer?: string}[]
  bytes: [Buffer, Buffer]
  ended: boolean
}

/**
 * As run(), with a ProtocolContext.openInner that records the inner connection's bytes instead of
 * parsing them (one recorder shared by every openInner call).
 */
export function runInner(
  p: Protocol,
  segs: (Seg | {dir: Dir; gap: number})[],
  split: (i: number, b: Buffer) => Buffer[] = (_i, b) => [b],
  port?: number,
): {out: Transaction[]; stats: Stats; inner: InnerRecord} {
  const {ctx, out, stats} = makeCtx()
  const inner: InnerRecord = {opened: [], bytes: [Buffer.alloc(0), Buffer.alloc(0)], ended: false}
  const withInner: ProtocolContext = {
    ...ctx,
    openInner: (_c, o) => {
      inner.opened.push({self: o.self, prefer: o.prefer})
      return {
        data: (d, b) => {
          inner.bytes[d] = Buffer.concat([inner.bytes[d], b])
        },
        gap: () => {},
        end: () => {
          inner.ended = true
        },
      }
    },
  }
  const tcp = p.tcp
  if (!tcp) throw new Error('no tcp')
  const h = tcp.create({...conn, serverPort: port ?? tcp.ports[0] ?? 0}, withInner)
  const at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  segs.forEach((s, i) => {
    at.frame = i + 1
    at.tsSec = 1000 + i
    if ('gap' in s) h.gap(s.dir, s.gap, at)
    else for (const piece of split(i, s.bytes)) h.data(s.dir, piece, at)
  })
  at.frame = segs.length + 1
  h.end('fin', at)
  return {out, stats, inner}
}
