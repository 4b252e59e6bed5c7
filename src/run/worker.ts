/**
 * One worker thread of a run split over workers (design and contract: ./parallel.ts). It reads
 * every record from the shared ring (./ring.ts), runs its shard of the engine on them, and posts
 * its transactions back, serialised, in batches:
 *   {type: 'events', keys, ends, bytes, watermark}: keys holds (frame, phase, sub) per event, in
 *   emission order (non-decreasing); bytes holds the events' JSON texts back to back, event i
 *   ending at ends[i]; every event of every frame <= watermark has been posted;
 *   {type: 'done', stats}: the source ended (engine.end() ran, its events were posted before);
 *   `stats` are this shard's counters for the source (./parallel.ts sums them).
 * A failure sets the ring's DEAD flag (so a writer waiting for room stops waiting) and rethrows.
 */
import {workerData, parentPort} from 'node:worker_threads'
import type {Packet} from '../capture/types.js'
import {Engine} from '../engine/engine.js'
import {type BuildOptions, serializeEvent} from '../event/build.js'
import type {Transaction} from '../event/types.js'
import type {Limits} from '../limits.js'
import {JsonBytes} from '../output/ndjson/output.js'
import type {ByteSink} from '../output/shared/bytes.js'
import {protocols as allProtocols} from '../protocols/registry.js'
import {KeyLog} from '../protocols/tls/decrypt/keylog.js'
import {EmitPhase} from '../reassembly/types.js'
import {Stats} from '../stats.js'
import type {TsPrecision} from '../util/time.js'
import {CTRL_DEAD, CTRL_READ_SEQ, CTRL_READ0, CTRL_WRITE, Kind, PACKET_HEADER} from './ring.js'

/** What ./parallel.ts hands each worker (structured clone). */
export interface WorkerInit {
  index: number
  count: number
  ctrl: SharedArrayBuffer
  data: SharedArrayBuffer
  /** Names of the run's protocols, in the run's order. */
  protocols: string[]
  limits: Limits
  protocolOptions: Record<string, Record<string, unknown>>
  /** The run's TLS key log entries (KeyLog.snapshot), when it has one. */
  keylog?: [string, Record<string, Uint8Array>][]
}

/** Frame number of everything emitted at end of input: after every real frame. */
export const END_FRAME = 2 ** 31

/** Bytes of records copied out of the ring per batch (then the batch's events are posted). */
const BATCH_BYTES = 1024 * 1024

/** A growable byte arena for serialised events (a ByteSink of JsonBytes). */
class Arena implements ByteSink {
  arena = Buffer.allocUnsafe(1024 * 1024)
  pos = 0
  room(n: number): void {
    if (this.pos + n <= this.arena.length) return
    const next = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.pos + n))
    this.arena.copy(next, 0, 0, this.pos)
    this.arena = next
  }
}

/** Stats as plain data: numbers, and maps as entry lists. */
export type PlainStats = Record<string, number | [string | number, number][] | null>

function plainStats(s: Stats): PlainStats {
  const out: PlainStats = {}
  for (const [k, v] of Object.entries(s)) {
    if (typeof v === 'number') out[k] = v
    else if (v instanceof Map) out[k] = [...v] as [string | number, number][]
  }
  return out
}

function main(init: WorkerInit): void {
  const port = parentPort!
  const ctrl = new Int32Array(init.ctrl)
  const ring = Buffer.from(init.data)
  const mask = ring.length - 1
  const ringI32 = new Int32Array(init.data)
  const byName = new Map(allProtocols.map((p) => [p.name, p]))
  const protocols = init.protocols.map((n) => byName.get(n)!)
  // Run-wide bounds are shared out: together the workers hold what one engine would.
  const l = init.limits
  const limits: Limits = {
    ...l,
    maxConnections: Math.max(1, Math.ceil(l.maxConnections / init.count)),
    tcpOooBytesTotal: Math.ceil(l.tcpOooBytesTotal / init.count),
  }
  const keylog = init.keylog === undefined ? undefined : KeyLog.restore(init.keylog)
  const protocolOptions = init.protocolOptions
  if (keylog !== undefined) protocolOptions.tls = {...protocolOptions.tls, keylog}

  const order = {phase: EmitPhase.PACKET as number, sub: 0}
  const arena = new Arena()
  const json = new JsonBytes(arena)
  let keys: number[] = []
  let ends: number[] = []
  let frame = 0
  let engine: Engine | null = null
  let stats = new Stats()
  const buildOpts: BuildOptions = {precision: 'us'}
  const emit = (t: Transaction) => {
    keys.push(frame, order.phase, order.sub)
    serializeEvent(t, buildOpts, json)
    ends.push(arena.pos)
  }
  const post = (watermark: number) => {
    const k = Float64Array.from(keys)
    const e = Int32Array.from(ends)
    const b = new Uint8Array(arena.pos)
    b.set(arena.arena.subarray(0, arena.pos))
    port.postMessage({type: 'events', keys: k, ends: e, bytes: b, watermark}, [k.buffer, e.buffer, b.buffer])
    keys = []
    ends = []
    arena.pos = 0
  }
  const pkt: Packet = {frame: 0, tsSec: 0, tsNsec: 0, linkType: 0, data: ring.subarray(0, 0), origLen: 0, offset: 0}

  let read = Atomics.load(ctrl, CTRL_READ0 + init.index)
  for (;;) {
    let write = Atomics.load(ctrl, CTRL_WRITE)
    while (write === read) {
      Atomics.wait(ctrl, CTRL_WRITE, read)
      write = Atomics.load(ctrl, CTRL_WRITE)
    }
    // Whole records, up to BATCH_BYTES, copied out of the ring (the copy is ours: views into it
    // stay valid as long as anyone holds them, as with the reader's chunks in one thread).
    let take = 0
    const avail = (write - read) >>> 0
    const start = read & mask
    while (take < avail && take < BATCH_BYTES) take += ringI32[((start + take) & mask) >> 2]!
    const local = Buffer.allocUnsafeSlow(take)
    const first = Math.min(take, ring.length - start)
    ring.copy(local, 0, start, start + first)
    if (first < take) ring.copy(local, first, 0, take - first)
    read = (read + take) | 0
    Atomics.store(ctrl, CTRL_READ0 + init.index, read)
    Atomics.add(ctrl, CTRL_READ_SEQ, 1)
    Atomics.notify(ctrl, CTRL_READ_SEQ)

    let quit = false
    for (let off = 0; off < take; ) {
      const len = local.readInt32LE(off)
      const kind = local.readInt32LE(off + 4)
      if (kind === Kind.PACKET) {
        const n = local.readInt32LE(off + 24)
        frame = pkt.frame = local.readInt32LE(off + 8)
        pkt.linkType = local.readInt32LE(off + 12)
        pkt.tsNsec = local.readInt32LE(off + 16)
        pkt.origLen = local.readInt32LE(off + 20)
        pkt.tsSec = local.readDoubleLE(off + 32)
        pkt.offset = local.readDoubleLE(off + 40)
        pkt.data = local.subarray(off + PACKET_HEADER, off + PACKET_HEADER + n)
        engine!.packet(pkt)
      } else if (kind === Kind.BEGIN || kind === Kind.INFO) {
        const n = local.readInt32LE(off + 8)
        const o = JSON.parse(local.toString('utf8', off + 16, off + 16 + n)) as {file?: string; precision?: TsPrecision}
        if (kind === Kind.BEGIN) {
          stats = new Stats()
          buildOpts.precision = 'us'
          buildOpts.file = o.file
          frame = 0
          engine = new Engine({
            protocols,
            limits,
            stats,
            protocolOptions,
            emit,
            shard: {index: init.index, count: init.count},
            decodeStats: init.index === 0 ? stats : new Stats(),
            order,
          })
        } else if (o.precision !== undefined) buildOpts.precision = o.precision
      } else if (kind === Kind.SECRETS) {
        const n = local.readInt32LE(off + 12)
        keylog?.addText(local.subarray(off + 24, off + 24 + n), 'pcapng DSB')
      } else if (kind === Kind.END) {
        frame = END_FRAME
        engine?.end()
        engine = null
        post(END_FRAME)
        port.postMessage({type: 'done', stats: plainStats(stats)})
      } else if (kind === Kind.QUIT) quit = true
      off += len
    }
    if (quit) return
    if (engine !== null) post(frame)
  }
}

try {
  main(workerData as WorkerInit)
} catch (e) {
  const ctrl = new Int32Array((workerData as WorkerInit).ctrl)
  Atomics.store(ctrl, CTRL_DEAD, 1)
  Atomics.notify(ctrl, CTRL_READ_SEQ)
  throw e
}
