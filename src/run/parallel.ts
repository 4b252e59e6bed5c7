/**
 * A run split over worker threads (`--workers N`), with output byte-identical to one thread.
 *
 * Design (the contract this module and ./worker.ts keep):
 *   - The main thread reads and frames the capture (the usual CaptureSource), applies `--filter`,
 *     and DECODES every record (one Decoder, as one thread would: IP fragments are reassembled and
 *     tunnels opened here, decoder counters go straight into the run's Stats). Each decoded packet
 *     is routed to one worker: TCP and UDP by the direction-independent hash of their (inner)
 *     5-tuple and tunnel zone (tupleHash, the connection table's own), so a connection lives in
 *     exactly one worker; every other IP protocol (ICMP, ...) to worker 0, whose IP-protocol
 *     handlers then see exactly what one thread's would. The packet goes into that worker's own
 *     record ring (./ring.ts) as its header fields plus its payload bytes; workers never decode.
 *   - The capture clock. One thread's TCP (and UDP) table advances its SweepClock on every TCP
 *     (UDP) packet and runs an idle sweep when the clock passes the next whole second. The main
 *     thread keeps that same clock for each table and writes it into every packet record; a
 *     worker ticks its table with it before handling the packet (Engine.tick), so its clock reads
 *     what one thread's would at that packet. At a packet where the one-thread clock runs a sweep,
 *     the other workers get a SWEEP record (frame, clock) and sweep their own conns at the same
 *     frame with the same clock. So every conn expires at the same capture instant, for the same
 *     reason, as in one engine.
 *   - A worker serialises each transaction (serializeEvent: exactly JSON.stringify(buildEvent))
 *     and tags it with its place in the one-thread order: (frame being handled, EmitPhase, sub)
 *     (EmitOrder in ../reassembly/types.ts: sweeps of open then of closed conns by lastFrame, then
 *     the packet itself; at end of input frame END_FRAME with TCP conns, UDP flows by firstFrame,
 *     then IP-protocol handlers). Within a worker these keys never decrease; across workers they
 *     never collide (a frame's packet goes to one worker, a conn's lastFrame/firstFrame belongs to
 *     one conn).
 *   - Workers post their events in batches (one per ring batch) with a watermark: the frame of the
 *     last record they handled. The main thread merges the workers' streams by key and releases an
 *     event once no worker can still post an earlier one: each worker with nothing queued is past
 *     its frame, or has handled every record it was sent (then its next records, and events, come
 *     from later frames). Released events go to the outputs in that order: as JSON bytes to
 *     outputs with writeJson (NDJSON), parsed back into the event object for the others (summary,
 *     CSV, ...).
 *   - Counters: the main thread counts the capture and decode stages; every worker counts its
 *     reassembly and protocols; the workers' Stats are summed into the run's at each source's end.
 *   - Run-wide bounds (Limits.maxConnections, tcpOooBytesTotal) are shared out, ceil(bound / N)
 *     per worker, so memory stays bounded as in one thread. While no such bound is reached the
 *     output is identical to one thread's; once one is, which connection is evicted may differ
 *     (the summary's limits line says that it happened).
 *   - What stays on one thread (the run layer decides, see ./run.ts): processors (they see
 *     transactions, not bytes), the flows feature (its interim records span all connections).
 *   - Flow control never blocks the event loop in the common case: after each input chunk the
 *     main thread waits (asynchronously, so worker messages and failures are still handled) until
 *     every ring has at least half its room free, which is more than one chunk can fill. A record
 *     that finds no room within a chunk (a hostile chunk of tiny packets) waits synchronously,
 *     checking for a failed worker.
 * Workers are started once per run and reused for every source; BEGIN/END records bracket each
 * source, and a source's end() resolves when every worker has flushed and posted.
 */
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import type {CaptureInfo, Packet, PacketSink} from '../capture/types.js'
import {Decoder} from '../decode/decoder.js'
import {IpProto, type DecodedPacket, type DecodedSink} from '../decode/types.js'
import type {Limits} from '../limits.js'
import type {Protocol} from '../protocols/types.js'
import {KeyLog} from '../protocols/tls/decrypt/keylog.js'
import {tupleHash} from '../reassembly/conn-table.js'
import type {Stats} from '../stats.js'
import {SweepClock} from '../util/time.js'
import {
  align8,
  CTRL_DEAD,
  CTRL_READ,
  CTRL_WRITE,
  type FirstSeen,
  Kind,
  newRing,
  ORDERED_MAPS,
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
  ringBytes,
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
import type {PlainStats, WorkerInit} from './worker.js'

/** Inputs smaller than this run on one thread by default: starting workers costs more. */
export const AUTO_WORKERS_MIN_BYTES = 32 * 1024 * 1024

const DEFAULT_TO_ONE_THREAD = true

/** `--workers` unset: 2 on a machine with two or more cores for inputs of a known, large size. */
export function defaultWorkers(totalBytes: number | undefined): number {
  if (DEFAULT_TO_ONE_THREAD || availableParallelism() < 2) return 1
  return totalBytes !== undefined && totalBytes >= AUTO_WORKERS_MIN_BYTES ? 2 : 1
}

/** Frame number of everything emitted at end of input: after every real frame. */
export const END_FRAME = 2 ** 31

const TUNNEL_NUMBER = new Map<string, number>(TUNNEL_TYPES.map((t, i) => [t, i]))

interface Batch {
  keys: Float64Array
  ends: Int32Array
  bytes: Buffer
  i: number
}

export interface PoolOptions {
  count: number
  protocols: readonly Protocol[]
  limits: Limits
  protocolOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

/** Adds a worker's counters (PlainStats) into the run's Stats, except the ordered maps. */
function addStats(into: Stats, s: PlainStats): void {
  const target = into as unknown as Record<string, unknown>
  for (const [k, v] of Object.entries(s)) {
    if ((ORDERED_MAPS as readonly string[]).includes(k)) continue
    const cur = target[k]
    if (typeof v === 'number' && typeof cur === 'number') target[k] = cur + v
    else if (Array.isArray(v) && cur instanceof Map) for (const [key, n] of v) cur.set(key, (cur.get(key) ?? 0) + n)
  }
}

/**
 * Merges the ordered maps (ORDERED_MAPS) of one source into the run's Stats so that their keys
 * stand in the order one thread would have inserted them: keys from earlier sources first, as
 * they are; then this source's new keys by the frame they first appeared at (main-thread keys,
 * the capture and decode stages, before the workers' at the same frame), then by worker.
 * `mainSeen`: the main thread's new keys in insertion order with their frames; `before`: the
 * maps' sizes when the source began.
 */
function mergeOrdered(into: Stats, before: Record<string, number>, mainSeen: FirstSeen, workers: {stats: PlainStats; firstSeen: FirstSeen}[]): void {
  for (const name of ORDERED_MAPS) {
    const map = into[name]
    const counts = new Map(map)
    const first = new Map<string, [number, number, number]>()
    mainSeen[name].forEach(([k, f], i) => {
      first.set(k, [f, 0, i])
    })
    workers.forEach((w, wi) => {
      const entries = (w.stats[name] ?? []) as [string, number][]
      for (const [k, n] of entries) counts.set(k, (counts.get(k) ?? 0) + n)
      w.firstSeen[name].forEach(([k, f], i) => {
        const cur = first.get(k)
        if (cur === undefined || f < cur[0] || (f === cur[0] && 1 + wi < cur[1])) first.set(k, [f, 1 + wi, i])
      })
    })
    const old = [...map.keys()].slice(0, before[name])
    const oldSet = new Set(old)
    const fresh = [...first.entries()].filter(([k]) => !oldSet.has(k))
    fresh.sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1] || a[1][2] - b[1][2])
    map.clear()
    for (const k of old) map.set(k, counts.get(k)!)
    for (const [k] of fresh) map.set(k, counts.get(k)!)
    // (a key no first-seen list names cannot happen; kept rather than lost)
    for (const [k, n] of counts) if (!map.has(k)) map.set(k, n)
  }
}

function workerScript(): {url: URL; execArgv?: string[]} {
  // From the compiled dist/ the worker is a .js file; from the sources (tests, bin/dev.js) it is
  // the .ts file, loaded through tsx.
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts')
  return fromSources ? {url: new URL('./worker.ts', import.meta.url), execArgv: ['--import', 'tsx']} : {url: new URL('./worker.js', import.meta.url)}
}

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => {async: boolean; value: Promise<string> | string}

/** The writer's side of one worker's ring. */
class RingWriter {
  readonly ctrl: Int32Array
  readonly u8: Uint8Array
  readonly i32: Int32Array
  readonly u32: Uint32Array
  readonly f64: Float64Array
  readonly size: number
  write = 0
  private published = 0

  constructor(
    readonly buffers: {ctrl: SharedArrayBuffer; data: SharedArrayBuffer},
    private readonly failed: () => Error | null,
  ) {
    this.ctrl = new Int32Array(buffers.ctrl)
    this.u8 = new Uint8Array(buffers.data)
    this.i32 = new Int32Array(buffers.data)
    this.u32 = new Uint32Array(buffers.data)
    this.f64 = new Float64Array(buffers.data)
    this.size = buffers.data.byteLength
  }

  /** Makes everything written so far visible to the worker. */
  publish(): void {
    if (this.published === this.write) return
    Atomics.store(this.ctrl, CTRL_WRITE, this.write)
    Atomics.notify(this.ctrl, CTRL_WRITE)
    this.published = this.write
  }

  free(): number {
    return this.size - ((this.write - Atomics.load(this.ctrl, CTRL_READ)) >>> 0)
  }

  /** Byte position for a record of n bytes (8-aligned), after waiting for room; then advance(n). */
  reserve(n: number): number {
    if (n > this.size / 2) throw new Error(`record of ${n} bytes does not fit the worker ring`)
    let pos = this.write & (this.size - 1)
    if (pos + n > this.size) {
      const pad = this.size - pos
      this.waitRoom(pad)
      this.i32[pos >> 2] = pad
      this.i32[(pos >> 2) + 1] = Kind.WRAP
      this.write = (this.write + pad) | 0
      pos = 0
    }
    this.waitRoom(n)
    return pos
  }

  advance(n: number): void {
    this.write = (this.write + n) | 0
  }

  /** Synchronous wait for room (rare: see the module comment); throws when a worker failed. */
  private waitRoom(n: number): void {
    if (this.free() >= n) return
    this.publish()
    for (;;) {
      const read = Atomics.load(this.ctrl, CTRL_READ)
      if (this.size - ((this.write - read) >>> 0) >= n) return
      if (Atomics.load(this.ctrl, CTRL_DEAD) !== 0) throw this.failed() ?? new Error('a worker thread failed')
      Atomics.wait(this.ctrl, CTRL_READ, read, 100)
    }
  }

  /** Resolves once at least `n` bytes are free (asynchronously: the event loop keeps running). */
  async roomAsync(n: number): Promise<void> {
    this.publish()
    const waitAsync = (Atomics as unknown as {waitAsync: WaitAsync}).waitAsync
    for (;;) {
      const read = Atomics.load(this.ctrl, CTRL_READ)
      if (this.size - ((this.write - read) >>> 0) >= n) return
      const f = this.failed()
      if (f !== null) throw f
      if (Atomics.load(this.ctrl, CTRL_DEAD) !== 0) throw new Error('a worker thread failed')
      const r = waitAsync(this.ctrl, CTRL_READ, read, 100)
      if (r.async) await r.value
    }
  }
}

export class WorkerPool implements DecodedSink {
  readonly count: number
  private readonly workers: Worker[] = []
  private readonly rings: RingWriter[] = []
  private readonly queues: Batch[][]
  /** Per worker: frame of the last record it reported handled, and of the last record sent to it. */
  private readonly handled: number[]
  private readonly sent: number[]
  private failure: Error | null = null
  private deliver: ((json: Buffer) => void) | null = null
  private doneCount = 0
  private doneStats: {stats: PlainStats; firstSeen: FirstSeen}[] = []
  private onDone: (() => void) | null = null
  private onFail: ((e: Error) => void) | null = null
  private readonly limits: Limits
  // Per source:
  private decoder: Decoder | null = null
  private tcpClock = new SweepClock()
  private udpClock = new SweepClock()
  private lastFrame = 0
  private lastSec = 0
  private lastNsec = 0
  private stats: Stats | null = null
  private sizesBefore: Record<string, number> = {}
  private seen: Record<string, number> = {}
  private mainSeen: FirstSeen = {malformed: [], limitsHit: []}

  constructor(o: PoolOptions) {
    this.count = o.count
    this.limits = o.limits
    const size = ringBytes(o.limits.maxRecordBytes)
    this.queues = Array.from({length: o.count}, () => [])
    this.handled = new Array<number>(o.count).fill(0)
    this.sent = new Array<number>(o.count).fill(0)
    const options: Record<string, Record<string, unknown>> = {}
    let keylog: WorkerInit['keylog']
    for (const [name, opts] of Object.entries(o.protocolOptions ?? {})) {
      const copy = {...opts}
      if (copy.keylog instanceof KeyLog) {
        keylog = copy.keylog.snapshot()
        delete copy.keylog
      }
      options[name] = copy
    }
    const script = workerScript()
    for (let i = 0; i < o.count; i++) {
      const ring = new RingWriter(newRing(size), () => this.failure)
      this.rings.push(ring)
      const init: WorkerInit = {
        index: i,
        count: o.count,
        ctrl: ring.buffers.ctrl,
        data: ring.buffers.data,
        protocols: o.protocols.map((p) => p.name),
        limits: {...o.limits},
        protocolOptions: options,
        keylog,
      }
      const w = new Worker(script.url, {workerData: init, execArgv: script.execArgv})
      w.on('message', (m: {type: string}) => this.message(i, m))
      w.on('error', (e) => this.fail(e))
      w.on('exit', (code) => {
        // A worker only exits after QUIT: any other exit (code 0 included) is a failure.
        this.fail(new Error(`worker thread ${i} exited with code ${code}`))
      })
      this.workers.push(w)
    }
  }

  /** Starts a source: `deliver` receives its events' JSON bytes, in the one-thread order. */
  begin(file: string | undefined, deliver: (json: Buffer) => void, stats: Stats): ParallelSource {
    if (this.failure !== null) throw this.failure
    this.deliver = deliver
    this.doneCount = 0
    this.doneStats = []
    this.handled.fill(0)
    this.sent.fill(0)
    this.tcpClock = new SweepClock()
    this.udpClock = new SweepClock()
    this.lastFrame = this.lastSec = this.lastNsec = 0
    this.decoder = new Decoder(this, this.limits, stats)
    this.stats = stats
    this.sizesBefore = {malformed: stats.malformed.size, limitsHit: stats.limitsHit.size}
    this.seen = {...this.sizesBefore}
    this.mainSeen = {malformed: [], limitsHit: []}
    this.broadcastText(Kind.BEGIN, {file})
    return new ParallelSource(this)
  }

  /** One capture record (after the filter): decoded here, its IP packet routed by ip(). */
  packet(p: Packet): void {
    this.decoder!.packet(p)
    const s = this.stats!
    if (s.malformed.size !== this.seen.malformed || s.limitsHit.size !== this.seen.limitsHit) this.noteNewKeys(p.frame)
  }

  /** Records the frame at which the main thread's new anomaly and limit keys appeared. */
  private noteNewKeys(frame: number): void {
    const s = this.stats!
    for (const name of ORDERED_MAPS) {
      const m = s[name]
      if (m.size === this.seen[name]) continue
      const keys = [...m.keys()]
      for (let k = this.seen[name]!; k < keys.length; k++) this.mainSeen[name].push([keys[k]!, frame])
      this.seen[name] = m.size
    }
  }

  /** DecodedSink: one IP packet or completed fragment set, to the worker owning its flow. */
  ip(dp: DecodedPacket): void {
    const frame = dp.frame
    this.lastFrame = frame
    this.lastSec = dp.tsSec
    this.lastNsec = dp.tsNsec
    const proto = dp.proto
    const n = this.count
    if (proto === IpProto.TCP || proto === IpProto.UDP) {
      const w = (tupleHash(dp) >>> 0) % n
      const clock = proto === IpProto.TCP ? this.tcpClock : this.udpClock
      const sweep = clock.tick(dp.tsSec, dp.tsNsec)
      const cs = clock.latestSec
      const cn = clock.latestNsec
      this.writePacket(w, dp, cs, cn)
      if (sweep) for (let o = 0; o < n; o++) if (o !== w) this.writeSweep(o, frame, proto, cs, cn)
    } else this.writePacket(0, dp, dp.tsSec, dp.tsNsec)
  }

  info(i: CaptureInfo): void {
    this.broadcastText(Kind.INFO, {precision: i.precision})
  }

  secrets(secretsType: number, data: Buffer, offset: number): void {
    for (const r of this.rings) {
      const n = align8(24 + data.length)
      const pos = r.reserve(n)
      const i = pos >> 2
      r.i32[i] = n
      r.i32[i + 1] = Kind.SECRETS
      r.i32[i + 2] = secretsType
      r.i32[i + 3] = data.length
      r.f64[(i + 4) >> 1] = offset
      r.u8.set(data, pos + 24)
      r.advance(n)
    }
  }

  /**
   * End of an input chunk: the workers see everything written so far, released events go out,
   * and, if a ring is more than half full, resolves once every ring is at most half full again.
   */
  chunkEnd(): Promise<void> | undefined {
    let low = false
    for (const r of this.rings) {
      r.publish()
      if (r.free() < r.size / 2) low = true
    }
    this.release()
    if (this.failure !== null) throw this.failure
    if (!low) return undefined
    return (async () => {
      for (const r of this.rings) await r.roomAsync(r.size / 2)
    })()
  }

  /** Ends the current source: resolves with the workers' counters once all have flushed. */
  async end(stats: Stats): Promise<void> {
    this.decoder?.end()
    this.decoder = null
    const done = new Promise<void>((resolve, reject) => {
      this.onDone = resolve
      this.onFail = reject
      if (this.failure !== null) reject(this.failure)
    })
    for (const r of this.rings) {
      const pos = r.reserve(32)
      const i = pos >> 2
      r.i32[i] = 32
      r.i32[i + 1] = Kind.END
      r.i32[i + 2] = this.lastFrame
      r.f64[(i + 4) >> 1] = this.lastSec
      r.f64[(i + 6) >> 1] = this.lastNsec
      r.advance(32)
      r.publish()
    }
    await done
    this.onDone = this.onFail = null
    this.release()
    this.noteNewKeys(END_FRAME)
    for (const s of this.doneStats) addStats(stats, s.stats)
    mergeOrdered(stats, this.sizesBefore, this.mainSeen, this.doneStats)
    this.deliver = null
  }

  /**
   * Stops the workers (once, after the last source): they read QUIT and return. They are unref'd
   * rather than awaited, so the process never waits on a worker's teardown.
   */
  close(): void {
    for (const w of this.workers) {
      w.removeAllListeners('exit')
      w.removeAllListeners('message')
      w.on('error', () => {})
      w.unref()
    }
    if (this.failure !== null) return
    for (const r of this.rings) {
      if (Atomics.load(r.ctrl, CTRL_DEAD) !== 0 || r.free() < 8) continue
      const pos = r.reserve(8)
      r.i32[pos >> 2] = 8
      r.i32[(pos >> 2) + 1] = Kind.QUIT
      r.advance(8)
      r.publish()
    }
  }

  private writePacket(w: number, dp: DecodedPacket, clockSec: number, clockNsec: number): void {
    const r = this.rings[w]!
    const payload = dp.payload
    const plen = payload.length
    const t = dp.tunnel
    const depth = t === undefined ? 0 : t.depth
    const head = (depth > 0 ? PKT_WORDS + TUN_WORDS : PKT_WORDS) * 4
    const n = align8(head + plen)
    const pos = r.reserve(n)
    const i = pos >> 2
    const i32 = r.i32
    const u32 = r.u32
    const f64 = r.f64
    i32[i] = n
    i32[i + 1] = Kind.PACKET
    f64[(i + PKT_TS_SEC) >> 1] = dp.tsSec
    f64[(i + PKT_TS_NSEC) >> 1] = dp.tsNsec
    f64[(i + PKT_CLOCK_SEC) >> 1] = clockSec
    f64[(i + PKT_CLOCK_NSEC) >> 1] = clockNsec
    i32[i + PKT_FRAME] = dp.frame
    i32[i + PKT_IPV] = dp.ipVersion
    u32[i + PKT_SRC] = dp.src0
    u32[i + PKT_SRC + 1] = dp.src1
    u32[i + PKT_SRC + 2] = dp.src2
    u32[i + PKT_SRC + 3] = dp.src3
    u32[i + PKT_DST] = dp.dst0
    u32[i + PKT_DST + 1] = dp.dst1
    u32[i + PKT_DST + 2] = dp.dst2
    u32[i + PKT_DST + 3] = dp.dst3
    i32[i + PKT_PROTO] = dp.proto
    i32[i + PKT_IPLEN] = dp.ipLength
    i32[i + PKT_VLAN] = dp.vlan
    i32[i + PKT_VLAN_INNER] = dp.vlanInner ?? -1
    i32[i + PKT_SMAC_HI] = dp.srcMacHi ?? -1
    u32[i + PKT_SMAC_LO] = dp.srcMacLo ?? 0
    i32[i + PKT_DMAC_HI] = dp.dstMacHi ?? -1
    u32[i + PKT_DMAC_LO] = dp.dstMacLo ?? 0
    i32[i + PKT_WIRE_PACKETS] = dp.wirePackets
    i32[i + PKT_WIRE_BYTES] = dp.wireBytes
    i32[i + PKT_SPORT] = dp.srcPort
    i32[i + PKT_DPORT] = dp.dstPort
    u32[i + PKT_SEQ] = dp.seq
    u32[i + PKT_ACK] = dp.ack
    i32[i + PKT_FLAGS] = dp.tcpFlags
    i32[i + PKT_WINDOW] = dp.window
    i32[i + PKT_TRUNC] = dp.payloadTruncated
    i32[i + PKT_PAYLOAD_LEN] = plen
    i32[i + PKT_TUNNEL_DEPTH] = depth
    if (depth > 0) {
      const j = i + PKT_WORDS
      i32[j + TUN_TYPE] = TUNNEL_NUMBER.get(t!.type) ?? 0
      i32[j + TUN_IPV] = t!.ipVersion
      f64[(j + TUN_ID) >> 1] = t!.id
      u32[j + TUN_SRC] = t!.src0
      u32[j + TUN_SRC + 1] = t!.src1
      u32[j + TUN_SRC + 2] = t!.src2
      u32[j + TUN_SRC + 3] = t!.src3
      u32[j + TUN_DST] = t!.dst0
      u32[j + TUN_DST + 1] = t!.dst1
      u32[j + TUN_DST + 2] = t!.dst2
      u32[j + TUN_DST + 3] = t!.dst3
      i32[j + TUN_SPORT] = t!.srcPort
      i32[j + TUN_DPORT] = t!.dstPort
      i32[j + TUN_LABEL_COUNT] = t!.labelCount
      i32[j + TUN_ZONE] = t!.zone
      u32.set(t!.labels, j + TUN_LABELS)
    }
    if (plen > 0) r.u8.set(payload, pos + head)
    r.advance(n)
    this.sent[w] = dp.frame
  }

  private writeSweep(w: number, frame: number, proto: number, clockSec: number, clockNsec: number): void {
    const r = this.rings[w]!
    const pos = r.reserve(32)
    const i = pos >> 2
    r.i32[i] = 32
    r.i32[i + 1] = Kind.SWEEP
    r.i32[i + 2] = frame
    r.i32[i + 3] = proto
    r.f64[(i + 4) >> 1] = clockSec
    r.f64[(i + 6) >> 1] = clockNsec
    r.advance(32)
    this.sent[w] = frame
  }

  private broadcastText(kind: number, o: unknown): void {
    const bytes = Buffer.from(JSON.stringify(o), 'utf8')
    const n = align8(16 + bytes.length)
    for (const r of this.rings) {
      const pos = r.reserve(n)
      r.i32[pos >> 2] = n
      r.i32[(pos >> 2) + 1] = kind
      r.i32[(pos >> 2) + 2] = bytes.length
      r.u8.set(bytes, pos + 16)
      r.advance(n)
    }
  }

  private message(w: number, m: {type: string}): void {
    if (m.type === 'events') {
      const e = m as unknown as {keys: Float64Array; ends: Int32Array; bytes: Uint8Array; watermark: number}
      if (e.ends.length > 0) this.queues[w]!.push({keys: e.keys, ends: e.ends, bytes: Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength), i: 0})
      this.handled[w] = e.watermark
      this.release()
    } else if (m.type === 'done') {
      this.doneStats.push(m as unknown as {stats: PlainStats; firstSeen: FirstSeen})
      if (++this.doneCount === this.count) this.onDone?.()
    }
  }

  private fail(e: Error): void {
    if (this.failure !== null) return
    this.failure = e
    this.onFail?.(e)
  }

  /** Hands every event that can no longer be preceded by another to `deliver`, in key order. */
  private release(): void {
    const deliver = this.deliver
    if (deliver === null) return
    const queues = this.queues
    const handled = this.handled
    const sent = this.sent
    for (;;) {
      let best: Batch | null = null
      let bestQ = -1
      let bf = 0
      let bp = 0
      let bs = 0
      for (let w = 0; w < queues.length; w++) {
        const q = queues[w]!
        if (q.length === 0) continue
        const b = q[0]!
        const k = b.i * 3
        const f = b.keys[k]!
        const ph = b.keys[k + 1]!
        const s = b.keys[k + 2]!
        if (best === null || f < bf || (f === bf && (ph < bp || (ph === bp && s < bs)))) {
          best = b
          bestQ = w
          bf = f
          bp = ph
          bs = s
        }
      }
      if (best === null) return
      // A worker with nothing queued may still post an earlier event, unless it has handled the
      // event's frame, or every record it was sent (its next ones come from frames not routed yet).
      for (let w = 0; w < queues.length; w++) {
        if (queues[w]!.length !== 0) continue
        const h = handled[w]!
        if (h < bf && h < sent[w]!) return
        if (h < bf && bf > this.lastFrame) return
      }
      const from = best.i === 0 ? 0 : best.ends[best.i - 1]!
      const to = best.ends[best.i]!
      deliver(best.bytes.subarray(from, to))
      if (++best.i === best.ends.length) queues[bestQ]!.shift()
    }
  }
}

/** The PacketSink the run hands a source when it runs on workers (one per source). */
export class ParallelSource implements PacketSink {
  constructor(private readonly pool: WorkerPool) {}

  packet(p: Packet): void {
    this.pool.packet(p)
  }

  info(i: CaptureInfo): void {
    this.pool.info(i)
  }

  /** End of a chunk of input (see WorkerPool.chunkEnd). */
  chunkEnd(): Promise<void> | undefined {
    return this.pool.chunkEnd()
  }

  secrets(secretsType: number, data: Buffer, offset: number): void {
    this.pool.secrets(secretsType, data, offset)
  }

  end(stats: Stats): Promise<void> {
    return this.pool.end(stats)
  }
}
