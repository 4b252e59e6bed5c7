/**
 * One worker thread of a run split over workers (design and contract: ./parallel.ts). It reads the
 * decoded packets of its connections from its own ring (./ring.ts), runs an engine on them
 * (Engine.ip, after Engine.tick with the one-thread capture clock), and posts its transactions
 * back, serialised, in batches:
 *   {type: 'events', keys, ends, bytes, watermark}: keys holds (frame, phase, sub) per event, in
 *   emission order (non-decreasing); bytes holds the events' JSON texts back to back, event i
 *   ending at ends[i]; watermark is the frame of the last record handled (every event of every
 *   frame <= watermark has been posted);
 *   {type: 'done', stats, firstSeen}: the source ended (engine.end() ran, its events were posted
 *   before); `stats` are this worker's counters for the source (./parallel.ts sums them), and
 *   `firstSeen` the frame at which each anomaly and limit key first appeared (for the maps' order).
 * A failure sets the ring's DEAD flag (so a writer waiting for room stops waiting) and rethrows.
 */
import {isMainThread, parentPort, workerData} from 'node:worker_threads'
import {blankPacket, type DecodedPacket} from '../decode/types.js'
import {newTunnelState, type TunnelType} from '../decode/tunnel.js'
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
import {
  CTRL_DEAD,
  type FirstSeen,
  ORDERED_MAPS,
  CTRL_READ,
  CTRL_WRITE,
  Kind,
  PKT_ACK,
  PKT_CLOCK_NSEC,
  PKT_CLOCK_SEC,
  PKT_DMAC_HI,
  PKT_DMAC_LO,
  PKT_DPORT,
  PKT_DST,
  PKT_FLAGS,
  PKT_FRAME,
  PKT_IPLEN,
  PKT_IPV,
  PKT_PAYLOAD_LEN,
  PKT_PROTO,
  PKT_SEQ,
  PKT_SMAC_HI,
  PKT_SMAC_LO,
  PKT_SPORT,
  PKT_SRC,
  PKT_TRUNC,
  PKT_TS_NSEC,
  PKT_TS_SEC,
  PKT_TUNNEL_DEPTH,
  PKT_VLAN,
  PKT_VLAN_INNER,
  PKT_WINDOW,
  PKT_WIRE_BYTES,
  PKT_WIRE_PACKETS,
  PKT_WORDS,
  TUN_DPORT,
  TUN_DST,
  TUN_ID,
  TUN_IPV,
  TUN_LABEL_COUNT,
  TUN_LABELS,
  TUN_SPORT,
  TUN_SRC,
  TUN_TYPE,
  TUN_WORDS,
  TUN_ZONE,
  TUNNEL_TYPES,
} from './ring.js'

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

/** Frame number of everything emitted at end of input (END_FRAME in ./parallel.ts). */
const END_FRAME = 2 ** 31

/** Bytes of records copied out of the ring per batch (then the batch's events are posted). */
const BATCH_BYTES = 1024 * 1024

const EMPTY = Buffer.alloc(0)

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
  const size = ring.length
  const mask = size - 1
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
  let posted = 0
  let engine: Engine | null = null
  let stats = new Stats()
  const buildOpts: BuildOptions = {precision: 'us'}
  const emit = (t: Transaction) => {
    keys.push(frame, order.phase, order.sub)
    serializeEvent(t, buildOpts, json)
    ends.push(arena.pos)
  }
  // Where each counter key of the ordered maps first appeared (the summary lists them in that
  // order): checked after every record, which costs one size comparison per map.
  let seen = {malformed: 0, limitsHit: 0}
  let firstSeen: FirstSeen = {malformed: [], limitsHit: []}
  const noteNewKeys = () => {
    for (const name of ORDERED_MAPS) {
      const m = stats[name]
      if (m.size === seen[name]) continue
      const keys = [...m.keys()]
      for (let k = seen[name]; k < keys.length; k++) firstSeen[name].push([keys[k]!, frame])
      seen[name] = m.size
    }
  }
  const post = (watermark: number) => {
    if (ends.length === 0 && watermark === posted) return
    posted = watermark
    const k = Float64Array.from(keys)
    const e = Int32Array.from(ends)
    const b = new Uint8Array(arena.pos)
    b.set(arena.arena.subarray(0, arena.pos))
    port.postMessage({type: 'events', keys: k, ends: e, bytes: b, watermark}, [k.buffer, e.buffer, b.buffer])
    keys = []
    ends = []
    arena.pos = 0
  }
  const tun = newTunnelState()
  const dp = blankPacket(tun)

  let read = Atomics.load(ctrl, CTRL_READ)
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
    const first = Math.min(take, size - start)
    ring.copy(local, 0, start, start + first)
    if (first < take) ring.copy(local, first, 0, take - first)
    read = (read + take) | 0
    Atomics.store(ctrl, CTRL_READ, read)
    Atomics.notify(ctrl, CTRL_READ)
    const i32 = new Int32Array(local.buffer, local.byteOffset, take >> 2)
    const u32 = new Uint32Array(local.buffer, local.byteOffset, take >> 2)
    const f64 = new Float64Array(local.buffer, local.byteOffset, take >> 3)

    let quit = false
    for (let off = 0; off < take; ) {
      const i = off >> 2
      const len = i32[i]!
      const kind = i32[i + 1]!
      if (kind === Kind.PACKET) {
        frame = dp.frame = i32[i + PKT_FRAME]!
        dp.tsSec = f64[(i + PKT_TS_SEC) >> 1]!
        dp.tsNsec = f64[(i + PKT_TS_NSEC) >> 1]!
        dp.ipVersion = i32[i + PKT_IPV] as 4 | 6
        dp.src0 = u32[i + PKT_SRC]!
        dp.src1 = u32[i + PKT_SRC + 1]!
        dp.src2 = u32[i + PKT_SRC + 2]!
        dp.src3 = u32[i + PKT_SRC + 3]!
        dp.dst0 = u32[i + PKT_DST]!
        dp.dst1 = u32[i + PKT_DST + 1]!
        dp.dst2 = u32[i + PKT_DST + 2]!
        dp.dst3 = u32[i + PKT_DST + 3]!
        const proto = (dp.proto = i32[i + PKT_PROTO]!)
        dp.ipLength = i32[i + PKT_IPLEN]!
        dp.vlan = i32[i + PKT_VLAN]!
        dp.vlanInner = i32[i + PKT_VLAN_INNER]!
        dp.srcMacHi = i32[i + PKT_SMAC_HI]!
        dp.srcMacLo = u32[i + PKT_SMAC_LO]!
        dp.dstMacHi = i32[i + PKT_DMAC_HI]!
        dp.dstMacLo = u32[i + PKT_DMAC_LO]!
        dp.wirePackets = i32[i + PKT_WIRE_PACKETS]!
        dp.wireBytes = i32[i + PKT_WIRE_BYTES]!
        dp.srcPort = i32[i + PKT_SPORT]!
        dp.dstPort = i32[i + PKT_DPORT]!
        dp.seq = u32[i + PKT_SEQ]!
        dp.ack = u32[i + PKT_ACK]!
        dp.tcpFlags = i32[i + PKT_FLAGS]!
        dp.window = i32[i + PKT_WINDOW]!
        dp.payloadTruncated = i32[i + PKT_TRUNC]!
        const plen = i32[i + PKT_PAYLOAD_LEN]!
        const depth = i32[i + PKT_TUNNEL_DEPTH]!
        tun.depth = depth
        let head = PKT_WORDS * 4
        if (depth > 0) {
          const j = i + PKT_WORDS
          tun.type = TUNNEL_TYPES[i32[j + TUN_TYPE]!] as TunnelType
          tun.ipVersion = i32[j + TUN_IPV] as 0 | 4 | 6
          tun.id = f64[(j + TUN_ID) >> 1]!
          tun.src0 = u32[j + TUN_SRC]!
          tun.src1 = u32[j + TUN_SRC + 1]!
          tun.src2 = u32[j + TUN_SRC + 2]!
          tun.src3 = u32[j + TUN_SRC + 3]!
          tun.dst0 = u32[j + TUN_DST]!
          tun.dst1 = u32[j + TUN_DST + 1]!
          tun.dst2 = u32[j + TUN_DST + 2]!
          tun.dst3 = u32[j + TUN_DST + 3]!
          tun.srcPort = i32[j + TUN_SPORT]!
          tun.dstPort = i32[j + TUN_DPORT]!
          tun.labelCount = i32[j + TUN_LABEL_COUNT]!
          tun.zone = i32[j + TUN_ZONE]!
          tun.labels.set(u32.subarray(j + TUN_LABELS, j + TUN_LABELS + 8))
          head += TUN_WORDS * 4
        } else tun.zone = 0
        dp.payload = plen > 0 ? local.subarray(off + head, off + head + plen) : EMPTY
        if (proto === 6 || proto === 17) engine!.tick(proto, f64[(i + PKT_CLOCK_SEC) >> 1]!, f64[(i + PKT_CLOCK_NSEC) >> 1]!)
        engine!.ip(dp)
        noteNewKeys()
      } else if (kind === Kind.SWEEP) {
        frame = i32[i + 2]!
        engine!.tick(i32[i + 3]!, f64[(i + 4) >> 1]!, f64[(i + 6) >> 1]!)
        noteNewKeys()
      } else if (kind === Kind.BEGIN || kind === Kind.INFO) {
        const n = i32[i + 2]!
        const o = JSON.parse(local.toString('utf8', off + 16, off + 16 + n)) as {file?: string; precision?: TsPrecision}
        if (kind === Kind.BEGIN) {
          stats = new Stats()
          buildOpts.precision = 'us'
          buildOpts.file = o.file
          frame = 0
          posted = 0
          seen = {malformed: 0, limitsHit: 0}
          firstSeen = {malformed: [], limitsHit: []}
          engine = new Engine({protocols, limits, stats, protocolOptions, emit, order})
        } else if (o.precision !== undefined) buildOpts.precision = o.precision
      } else if (kind === Kind.SECRETS) {
        const n = i32[i + 3]!
        keylog?.addText(local.subarray(off + 24, off + 24 + n), 'pcapng DSB')
      } else if (kind === Kind.END) {
        const last = engine!.last
        last.frame = i32[i + 2]!
        last.tsSec = f64[(i + 4) >> 1]!
        last.tsNsec = f64[(i + 6) >> 1]!
        frame = END_FRAME
        engine!.end()
        engine = null
        noteNewKeys()
        post(END_FRAME)
        port.postMessage({type: 'done', stats: plainStats(stats), firstSeen})
      } else if (kind === Kind.QUIT) quit = true
      off += len
    }
    if (quit) return
    if (engine !== null) post(frame)
  }
}

// Only as a worker thread (importing this module elsewhere must do nothing).
if (!isMainThread) {
  try {
    main(workerData as WorkerInit)
  } catch (e) {
    const ctrl = new Int32Array((workerData as WorkerInit).ctrl)
    Atomics.store(ctrl, CTRL_DEAD, 1)
    Atomics.notify(ctrl, CTRL_READ)
    throw e
  }
}
