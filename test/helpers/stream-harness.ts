/** Drives a protocol handler directly through the StreamHandler / UdpHandler contract. */
import {DEFAULT_LIMITS, type Limits} from '../../src/limits.js'
import type {ConnInfo, Dir, Moment, StreamHandler} from '../../src/reassembly/types.js'
import type {Transaction} from '../../src/event/types.js'
import type {ProtocolContext} from '../../src/protocols/types.js'
import {Stats} from '../../src/stats.js'

export function fakeConn(transport: 'tcp' | 'udp' = 'tcp', serverPort = 6379): ConnInfo {
  return {
    id: 1,
    transport,
    ipVersion: 4,
    clientIp: '10.0.0.1',
    serverIp: '10.0.0.2',
    clientPort: 40000,
    serverPort,
    communityId: '1:test',
    roleBy: 'syn',
  }
}

export interface Collector {
  ctx: ProtocolContext
  out: Transaction[]
  stats: Stats
}

export function collector(limits: Partial<Limits> = {}, options: Record<string, unknown> = {}): Collector {
  const out: Transaction[] = []
  const stats = new Stats()
  const ctx: ProtocolContext = {limits: {...DEFAULT_LIMITS, ...limits}, stats, options, emit: (t) => out.push(t)}
  return {ctx, out, stats}
}

/** One step of a conversation: bytes in one direction at a given time (seconds). */
export interface Step {
  dir: Dir
  bytes: Buffer
  t: number
}

/**
 * Feeds the steps; each step's bytes are cut at the offsets given by `cuts(len)` (sorted offsets
 * strictly inside the buffer). The Moment object is reused, as the reassembler does.
 */
export function drive(h: StreamHandler, steps: Step[], cuts: (len: number) => number[] = () => []): void {
  const at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  let frame = 0
  for (const s of steps) {
    const pts = [0, ...cuts(s.bytes.length), s.bytes.length]
    for (let i = 0; i + 1 < pts.length; i++) {
      if (pts[i + 1] <= pts[i]) continue
      at.frame = ++frame
      at.tsSec = Math.floor(s.t)
      at.tsNsec = Math.round((s.t - Math.floor(s.t)) * 1e9)
      // Copy into a fresh buffer and scribble over it after the call: catches views kept too long.
      const chunk = Buffer.from(s.bytes.subarray(pts[i], pts[i + 1]))
      h.data(s.dir, chunk, at)
      chunk.fill(0x5a)
    }
  }
  at.frame = ++frame
  h.end('fin', at)
}

/** Strips the frame numbers (they depend on how bytes were split) for comparisons. */
export function comparable(ts: Transaction[]): unknown[] {
  return ts.map((t) => {
    const {startFrame: _a, endFrame: _b, conn: _c, ...rest} = t
    return rest
  })
}
