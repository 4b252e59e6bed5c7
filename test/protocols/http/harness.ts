/**
 * Drives the http StreamHandler directly (no pipeline): a fake connection, a context whose emit()
 * collects transactions, and steps (data / gap / end) with one reused Moment per call, as the
 * reassembler does. Splitting helpers re-feed the same steps cut at other offsets.
 */
import {makeLimits, type Limits} from '../../../src/limits.js'
import {protocol} from '../../../src/protocols/http/index.js'
import type {ConnInfo, Dir, EndReason, Moment} from '../../../src/reassembly/types.js'
import type {Transaction} from '../../../src/event/types.js'
import type {ProtocolContext} from '../../../src/protocols/types.js'
import {Stats} from '../../../src/stats.js'

export type Step = {dir: Dir; data: Buffer | string} | {gap: Dir; n: number} | {end: EndReason}

export const conn: ConnInfo = {
  id: 1,
  transport: 'tcp',
  ipVersion: 4,
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  clientPort: 50000,
  serverPort: 80,
  communityId: '1:test',
  roleBy: 'syn',
}

export interface RunResult {
  tx: Transaction[]
  stats: Stats
}

export interface RunOptions {
  limits?: Partial<Limits>
  options?: Record<string, unknown>
  /** How each data step is cut into data calls (default: one call). */
  split?: (b: Buffer, stepIndex: number) => Buffer[]
}

/** The capture moment of step i: frame i+1, second 1000+i, i microseconds. */
export function momentOf(i: number): {frame: number; sec: number; nsec: number} {
  return {frame: i + 1, sec: 1000 + i, nsec: i * 1000}
}

export function run(steps: Step[], o: RunOptions = {}): RunResult {
  const tx: Transaction[] = []
  const stats = new Stats()
  const ctx: ProtocolContext = {
    limits: makeLimits(o.limits as Record<string, number> | undefined),
    stats,
    options: o.options ?? {},
    emit: (t) => tx.push(t),
  }
  const h = protocol.tcp!.create(conn, ctx)
  // One Moment object, mutated before every call, as the reassembler reuses it.
  const at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  let ended = false
  steps.forEach((s, i) => {
    const m = momentOf(i)
    at.frame = m.frame
    at.tsSec = m.sec
    at.tsNsec = m.nsec
    if ('data' in s) {
      const b = typeof s.data === 'string' ? Buffer.from(s.data, 'latin1') : s.data
      const pieces = o.split ? o.split(b, i) : [b]
      for (const p of pieces) {
        // Hand over a fresh copy and scribble over it after the call: the handler must not keep views.
        const view = Buffer.from(p)
        h.data(s.dir, view, at)
        view.fill(0x58)
      }
    } else if ('gap' in s) {
      h.gap(s.gap, s.n, at)
    } else {
      h.end(s.end, at)
      ended = true
    }
  })
  if (!ended) {
    at.frame = steps.length + 1
    h.end('eof', at)
  }
  return {tx, stats}
}

/** Canonical text of a run, for comparing runs fed with different splits. */
export function canon(r: RunResult): string {
  return JSON.stringify({tx: r.tx, bad: [...r.stats.malformed].sort(), lim: [...r.stats.limitsHit].sort()})
}

/** Every way to cut each data step in two (one step at a time), plus one byte per call everywhere. */
export function* splits(steps: Step[]): Generator<{name: string; split: (b: Buffer, i: number) => Buffer[]}> {
  yield {name: 'one byte per call', split: (b) => [...b].map((_, k) => b.subarray(k, k + 1))}
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]
    if (!('data' in s)) continue
    const len = typeof s.data === 'string' ? Buffer.byteLength(s.data, 'latin1') : s.data.length
    for (let off = 1; off < len; off++) {
      yield {name: `step ${i} cut at ${off}`, split: (b, j) => (j === i ? [b.subarray(0, off), b.subarray(off)] : [b])}
    }
  }
}

export const req = (data: Buffer | string): Step => ({dir: 0, data})
export const res = (data: Buffer | string): Step => ({dir: 1, data})
