/**
 * A run split over worker threads (`--workers N`), with output byte-identical to one thread.
 *
 * Design (the contract this module and ./worker.ts keep):
 *   - The main thread reads and frames the capture (the usual CaptureSource), applies `--filter`,
 *     and copies every record, in file order, into one shared ring (./ring.ts) that all N workers
 *     read. Nothing is posted per packet; the ring is published every PUBLISH_BYTES and at every
 *     input chunk's end, and the writer waits (Atomics.wait) when the slowest worker is a ring
 *     behind.
 *   - Each worker runs a full engine as shard i of N (../engine/engine.ts): it decodes every record
 *     (so IP fragments are reassembled the same way in every worker, before any routing, and the
 *     capture clock is the same everywhere), keeps the TCP/UDP packets whose direction-independent
 *     5-tuple hash falls on i (shard 0 also keeps ICMP and other IP protocols), and for the other
 *     packets only advances its clocks and runs its idle sweeps. Every connection therefore lives
 *     in exactly one worker and ends at the same capture instant, for the same reason, as in one
 *     engine; decoding twice is the price (about a tenth of the work) of needing no broadcast
 *     protocol for sweep ticks and fragments.
 *   - A worker serialises each transaction (serializeEvent: exactly JSON.stringify(buildEvent))
 *     and tags it with its place in the one-thread order: (frame being handled, EmitPhase, sub)
 *     (EmitOrder in ../reassembly/types.ts: sweeps of open then of closed conns by lastFrame, then
 *     the packet itself; at end of input frame END_FRAME with TCP conns, UDP flows by firstFrame,
 *     then IP-protocol handlers). Within a worker these keys never decrease; across workers they
 *     never collide (a frame's packet belongs to one worker, a conn's lastFrame/firstFrame to one
 *     conn); ties, which cannot happen, would go to the lower worker index, so the order is total.
 *   - Workers post batches (one per ring batch) with a watermark: every event of every frame up
 *     to it has been posted. The main thread merges the workers' streams by key and releases an
 *     event once every worker with nothing queued is past its frame. Released events go to the
 *     outputs in that order: as JSON bytes to outputs with writeJson (NDJSON), parsed back into
 *     the event object for the others (summary, CSV, ...), so every output sees what it would in
 *     one thread.
 *   - Counters: the main thread counts the capture stage (packets, bytes, records) as always;
 *     shard 0 counts decoding; every shard counts its reassembly and protocols; the shards' Stats
 *     are summed into the run's at the end of each source.
 *   - Run-wide bounds (Limits.maxConnections, tcpOooBytesTotal) are shared out, ceil(bound / N)
 *     per worker, so memory stays bounded as in one thread. While no such bound is reached the
 *     output is identical to one thread's; once one is, which connection is evicted may differ
 *     (the summary's limits line says that it happened).
 *   - What stays on one thread (the run layer decides, see ../run/run.ts): processors (they see
 *     transactions, not bytes), the flows feature (its interim records span all connections), and
 *     inputs where the workers would cost more than they save.
 * Workers are started once per run and reused for every source; BEGIN/END records in the ring
 * bracket each source, and a source's end() resolves when every worker has flushed and posted.
 */
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import type {CaptureInfo, Packet, PacketSink} from '../capture/types.js'
import type {Limits} from '../limits.js'
import type {Protocol} from '../protocols/types.js'
import {KeyLog} from '../protocols/tls/decrypt/keylog.js'
import type {Stats} from '../stats.js'
import {
  align8,
  CTRL_DEAD,
  CTRL_READ_SEQ,
  CTRL_READ0,
  CTRL_WRITE,
  Kind,
  newRing,
  PACKET_HEADER,
  PUBLISH_BYTES,
  ringBytes,
} from './ring.js'
import type {PlainStats, WorkerInit} from './worker.js'

/** Inputs smaller than this run on one thread by default: starting workers costs more. */
export const AUTO_WORKERS_MIN_BYTES = 32 * 1024 * 1024

const DEFAULT_TO_ONE_THREAD = true

/** `--workers` unset: 2 on a machine with two or more cores for inputs of a known, large size. */
export function defaultWorkers(totalBytes: number | undefined): number {
  // Held at one thread until the intermittent stall of worker runs seen under heavy load is found.
  if (DEFAULT_TO_ONE_THREAD || availableParallelism() < 2) return 1
  return totalBytes !== undefined && totalBytes >= AUTO_WORKERS_MIN_BYTES ? 2 : 1
}

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

/** Adds a worker's counters (PlainStats) into the run's Stats. */
function addStats(into: Stats, s: PlainStats): void {
  const target = into as unknown as Record<string, unknown>
  for (const [k, v] of Object.entries(s)) {
    const cur = target[k]
    if (typeof v === 'number' && typeof cur === 'number') target[k] = cur + v
    else if (Array.isArray(v) && cur instanceof Map) for (const [key, n] of v) cur.set(key, (cur.get(key) ?? 0) + n)
  }
}

function workerScript(): {url: URL; execArgv?: string[]} {
  // From the compiled dist/ the worker is a .js file; from the sources (tests, bin/dev.js) it is
  // the .ts file, loaded through tsx.
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts')
  return fromSources ? {url: new URL('./worker.ts', import.meta.url), execArgv: ['--import', 'tsx']} : {url: new URL('./worker.js', import.meta.url)}
}

export class WorkerPool {
  readonly count: number
  private readonly workers: Worker[] = []
  private readonly ctrl: Int32Array
  private readonly u8: Uint8Array
  private readonly i32: Int32Array
  private readonly f64: Float64Array
  private readonly size: number
  private write = 0
  private published = 0
  private readonly queues: Batch[][]
  private readonly watermark: number[]
  private failure: Error | null = null
  private deliver: ((json: Buffer) => void) | null = null
  private doneCount = 0
  private doneStats: PlainStats[] = []
  private onDone: (() => void) | null = null
  private onFail: ((e: Error) => void) | null = null

  constructor(o: PoolOptions) {
    this.count = o.count
    this.size = ringBytes(o.limits.maxRecordBytes)
    const ring = newRing(this.size)
    this.ctrl = new Int32Array(ring.ctrl)
    this.u8 = new Uint8Array(ring.data)
    this.i32 = new Int32Array(ring.data)
    this.f64 = new Float64Array(ring.data)
    this.queues = Array.from({length: o.count}, () => [])
    this.watermark = new Array<number>(o.count).fill(0)
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
      const init: WorkerInit = {
        index: i,
        count: o.count,
        ctrl: ring.ctrl,
        data: ring.data,
        protocols: o.protocols.map((p) => p.name),
        limits: {...o.limits},
        protocolOptions: options,
        keylog,
      }
      const w = new Worker(script.url, {workerData: init, execArgv: script.execArgv})
      w.on('message', (m: {type: string}) => this.message(i, m))
      w.on('error', (e) => this.fail(e))
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`worker thread ${i} exited with code ${code}`))
      })
      this.workers.push(w)
    }
  }

  /** Starts a source: `deliver` receives its events' JSON bytes, in the one-thread order. */
  begin(file: string | undefined, deliver: (json: Buffer) => void): ParallelSource {
    this.deliver = deliver
    this.doneCount = 0
    this.doneStats = []
    this.watermark.fill(0)
    this.text(Kind.BEGIN, {file})
    return new ParallelSource(this)
  }

  packet(p: Packet): void {
    const len = p.data.length
    const n = align8(PACKET_HEADER + len)
    const pos = this.reserve(n)
    const i = pos >> 2
    const i32 = this.i32
    i32[i] = n
    i32[i + 1] = Kind.PACKET
    i32[i + 2] = p.frame
    i32[i + 3] = p.linkType
    i32[i + 4] = p.tsNsec
    i32[i + 5] = p.origLen
    i32[i + 6] = len
    this.f64[(pos >> 3) + 4] = p.tsSec
    this.f64[(pos >> 3) + 5] = p.offset
    this.u8.set(p.data, pos + PACKET_HEADER)
    this.advance(n)
  }

  info(i: CaptureInfo): void {
    this.text(Kind.INFO, {precision: i.precision})
  }

  secrets(secretsType: number, data: Buffer, offset: number): void {
    const n = align8(24 + data.length)
    const pos = this.reserve(n)
    this.i32[pos >> 2] = n
    this.i32[(pos >> 2) + 1] = Kind.SECRETS
    this.i32[(pos >> 2) + 2] = secretsType
    this.i32[(pos >> 2) + 3] = data.length
    this.f64[(pos >> 3) + 2] = offset
    this.u8.set(data, pos + 24)
    this.advance(n)
  }

  /** Makes everything written so far visible to the workers. */
  publish(): void {
    Atomics.store(this.ctrl, CTRL_WRITE, this.write)
    Atomics.notify(this.ctrl, CTRL_WRITE)
    this.published = this.write
  }

  /** Ends the current source: resolves with the workers' counters once all have flushed. */
  async end(stats: Stats): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.onDone = resolve
      this.onFail = reject
      if (this.failure !== null) reject(this.failure)
    })
    this.control(Kind.END)
    this.publish()
    await done
    this.onDone = this.onFail = null
    this.release()
    for (const s of this.doneStats) addStats(stats, s)
    this.deliver = null
  }

  /**
   * Stops the workers (once, after the last source): they read QUIT and return. They are unref'd
   * rather than terminated, so the process never waits on a worker's teardown.
   */
  close(): void {
    if (this.failure === null && Atomics.load(this.ctrl, CTRL_DEAD) === 0) {
      try {
        this.control(Kind.QUIT)
        this.publish()
      } catch {
        // a dead worker: nothing to tell it
      }
    }
    for (const w of this.workers) {
      w.removeAllListeners('exit')
      w.unref()
    }
  }

  private message(w: number, m: {type: string}): void {
    if (m.type === 'events') {
      const e = m as unknown as {keys: Float64Array; ends: Int32Array; bytes: Uint8Array; watermark: number}
      if (e.ends.length > 0) this.queues[w]!.push({keys: e.keys, ends: e.ends, bytes: Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength), i: 0})
      this.watermark[w] = e.watermark
      this.release()
    } else if (m.type === 'done') {
      this.doneStats.push((m as unknown as {stats: PlainStats}).stats)
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
      for (let w = 0; w < queues.length; w++) if (queues[w]!.length === 0 && this.watermark[w]! < bf) return
      const from = best.i === 0 ? 0 : best.ends[best.i - 1]!
      const to = best.ends[best.i]!
      deliver(best.bytes.subarray(from, to))
      if (++best.i === best.ends.length) queues[bestQ]!.shift()
    }
  }

  private text(kind: number, o: unknown): void {
    const bytes = Buffer.from(JSON.stringify(o), 'utf8')
    const n = align8(16 + bytes.length)
    const pos = this.reserve(n)
    this.i32[pos >> 2] = n
    this.i32[(pos >> 2) + 1] = kind
    this.i32[(pos >> 2) + 2] = bytes.length
    this.u8.set(bytes, pos + 16)
    this.advance(n)
  }

  private control(kind: number): void {
    const pos = this.reserve(8)
    this.i32[pos >> 2] = 8
    this.i32[(pos >> 2) + 1] = kind
    this.advance(8)
  }

  private advance(n: number): void {
    this.write = (this.write + n) | 0
    if ((this.write - this.published) >>> 0 >= PUBLISH_BYTES) this.publish()
  }

  /** Position for a record of n bytes, after waiting for room (a WRAP record pads the ring's end). */
  private reserve(n: number): number {
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

  private free(): number {
    let used = 0
    for (let w = 0; w < this.count; w++) used = Math.max(used, (this.write - Atomics.load(this.ctrl, CTRL_READ0 + w)) >>> 0)
    return this.size - used
  }

  private waitRoom(n: number): void {
    if (this.free() >= n) return
    this.publish()
    for (;;) {
      const seq = Atomics.load(this.ctrl, CTRL_READ_SEQ)
      if (this.free() >= n) return
      if (Atomics.load(this.ctrl, CTRL_DEAD) !== 0) throw this.failure ?? new Error('a worker thread failed')
      Atomics.wait(this.ctrl, CTRL_READ_SEQ, seq, 200)
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

  /** End of a chunk of input: the workers see everything written so far. */
  chunkEnd(): void {
    this.pool.publish()
  }

  secrets(secretsType: number, data: Buffer, offset: number): void {
    this.pool.secrets(secretsType, data, offset)
  }

  end(stats: Stats): Promise<void> {
    return this.pool.end(stats)
  }
}
