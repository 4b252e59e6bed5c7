/**
 * A run, as a library function: sources -> engine -> processors -> outputs. Commands (and tests,
 * and later `check`, `diff`, `report`, `live`) build RunOptions and call run(); nothing here knows
 * about flags or config files.
 *
 * Each source gets its own engine (frame numbers and connections do not cross files). A source that
 * cannot be read to the end still has every transaction found before the damage flushed and
 * written; the error is recorded in the result and reading goes on with the next source. Outputs
 * see begin(run) once before the first event, every event in one fixed order, and end(run) once;
 * the outputs that report deliveries (the summary) end after all others, with RunInfo.deliveries.
 * The only catch here is around sources (capture errors); protocol code is guarded inside the
 * reassemblers at the session boundary.
 */
import type {CaptureSource} from '../capture/source.js'
import {CaptureError, type CaptureInfo} from '../capture/types.js'
import {Engine, type RecordFilter} from '../engine/engine.js'
import {type BuildOptions, buildEvent, type PbxEvent} from '../event/build.js'
import type {Limits} from '../limits.js'
import {type Output, type OutputDelivery, OutputError, type RunInfo} from '../output/types.js'
import {type EventSink, type ProcessorChains, ProcessorStage} from '../processors/stage.js'
import type {Transaction} from '../event/types.js'
import type {Protocol} from '../protocols/types.js'
import type {ConnObserver} from '../reassembly/conn.js'
import {Stats} from '../stats.js'
import type {PacketSink} from '../capture/types.js'
import {ExitCode} from './exit-codes.js'
import {type ParallelSource, WorkerPool} from './parallel.js'
import type {Progress} from './progress.js'

export {ExitCode} from './exit-codes.js'

export interface RunOptions {
  sources: readonly CaptureSource[]
  protocols: readonly Protocol[]
  limits: Limits
  /** Every output of the run; each sees every event. */
  outputs: readonly Output[]
  /** Per-protocol options (`protocols.<name>.*` in the config). */
  protocolOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  /** Processor chains between the engine and the outputs (none: the stage is skipped). */
  processors?: ProcessorChains
  /** Sees connections and flows (the flows feature); one observer per source. */
  observer?: (emit: (t: Transaction) => void) => ConnObserver & {end(): void}
  /** Capture filter applied to every record before decoding. */
  filter?: RecordFilter
  /** Progress display: updated after each chunk, stopped before any output writes its end. */
  progress?: Progress
  /**
   * Stops the run early (SIGINT/SIGTERM): the current source stops reading at once, later sources
   * are not read, and everything in flight is flushed and written as at end of input.
   */
  signal?: AbortSignal
  /** Anomaly counters the compiled processors fill (`processor.script_error`, ...), counted into stats. */
  processorCounters?: Readonly<Record<string, number>>
  /** Shared with the caller (e.g. to print statistics on SIGINT); a new one by default. */
  stats?: Stats
  /**
   * Worker threads to run the engine on (./parallel.ts); 1 or unset: this thread. Runs with
   * processors or flows stay on this thread whatever is asked (their order spans connections).
   */
  workers?: number
  /** Set by the run while it reads on workers: pcapng secrets blocks must reach them too. */
  secretsTap?: {fn: ((secretsType: number, data: Buffer, offset: number) => void) | null}
}

export interface RunResult extends RunInfo {
  exitCode: number
  /** Events handed to the outputs (after processors). */
  events: number
  /** Events dropped by processors. */
  dropped: number
  /** True when `signal` stopped the run before the inputs ended. */
  interrupted: boolean
}

/** Wall-clock pace of flushing buffered output while input is slow (display only, never data). */
const FLUSH_EVERY_MS = 1000

/**
 * Fans one event out to every output. An event that no processor touched goes to an output's
 * fast path (writeTransaction) when it has one; the event object is built at most once and shared
 * by the outputs that need it (they must not modify it).
 */
class OutputFanout implements EventSink {
  events = 0

  constructor(private readonly outputs: readonly Output[]) {}

  transaction(t: Transaction, o: BuildOptions): void {
    this.events++
    let ev: PbxEvent | null = null
    for (const out of this.outputs) {
      if (out.writeTransaction !== undefined) out.writeTransaction(t, o)
      else out.write(ev ?? (ev = buildEvent(t, o)))
    }
  }

  event(ev: PbxEvent): void {
    this.events++
    for (const out of this.outputs) out.write(ev)
  }

  /** An event serialised by a worker (exactly JSON.stringify(buildEvent(t, o))). */
  json(bytes: Buffer): void {
    this.events++
    let ev: PbxEvent | null = null
    for (const out of this.outputs) {
      if (out.writeJson !== undefined) out.writeJson(bytes)
      else out.write(ev ?? (ev = JSON.parse(bytes.toString('utf8')) as PbxEvent))
    }
  }

  get closed(): boolean {
    // Stop reading only when every output's reader went away (`| head` on the only output).
    for (const out of this.outputs) if (!out.closed) return false
    return this.outputs.length > 0
  }

  async drain(): Promise<void> {
    for (const out of this.outputs) if (out.blocked && !out.closed) await out.drain()
  }
}

export async function run(o: RunOptions): Promise<RunResult> {
  const stats = o.stats ?? new Stats()
  const result: RunResult = {
    files: o.sources.map((s) => s.name),
    stats,
    captures: [],
    errors: [],
    exitCode: ExitCode.OK,
    events: 0,
    dropped: 0,
    interrupted: false,
  }
  const fanout = new OutputFanout(o.outputs)
  const stage = o.processors === undefined ? null : new ProcessorStage(o.processors, fanout)
  const direct = stage === null || stage.empty
  for (const out of o.outputs) out.begin(result)
  const many = o.sources.length > 1
  // An output the flush leaves blocked is drained right here: its `blocked` must end at the
  // destination's next drain, not wait for a drain() a source asks for later, in another turn of
  // the event loop, when that drain may be past (a live source would then wait for output that
  // never comes). The error of a failed drain is reported by the output's end().
  const flusher = setInterval(() => {
    for (const out of o.outputs) {
      out.flush?.()
      if (out.blocked && !out.closed) out.drain().catch(() => {})
    }
  }, FLUSH_EVERY_MS)
  flusher.unref()
  let current: CaptureSource | null = null
  const onAbort = () => {
    result.interrupted = true
    current?.stop()
  }
  if (o.signal?.aborted) result.interrupted = true
  o.signal?.addEventListener('abort', onAbort, {once: true})
  const parallel = (o.workers ?? 1) > 1 && direct && o.observer === undefined
  let pool: WorkerPool | null = null
  try {

  for (const source of o.sources) {
    if (fanout.closed || result.interrupted) break
    current = source
    stats.files++
    const buildOpts: BuildOptions = {precision: 'us', file: many ? source.name : undefined}
    const emit = direct
      ? (t: Transaction) => {
          stats.transactions++
          fanout.transaction(t, buildOpts)
        }
      : (t: Transaction) => {
          stats.transactions++
          stage!.transaction(t, buildOpts)
        }
    let engine: Engine | null = null
    let ps: ParallelSource | null = null
    let sink: PacketSink
    if (parallel) {
      pool ??= new WorkerPool({count: o.workers!, protocols: o.protocols, limits: o.limits, protocolOptions: o.protocolOptions})
      const p = pool.begin(
        many ? source.name : undefined,
        (json) => {
          stats.transactions++
          fanout.json(json)
        },
        stats,
      )
      ps = p
      // The capture filter runs here, before the ring: a record it drops reaches no engine.
      const f = o.filter
      sink = f === undefined ? p : {packet: (r) => (f.match(r.data, r.linkType, r.origLen) ? p.packet(r) : undefined)}
      if (o.secretsTap) o.secretsTap.fn = (t, d, off) => p.secrets(t, d, off)
    } else {
      const observer = o.observer?.(emit)
      engine = new Engine({
        protocols: o.protocols,
        limits: o.limits,
        stats,
        protocolOptions: o.protocolOptions,
        emit,
        observer,
        filter: o.filter,
      })
      sink = engine
    }
    let info: CaptureInfo | null = null
    try {
      info = await source.read(sink, {
        limits: o.limits,
        stats,
        onInfo: (i) => {
          info = i
          buildOpts.precision = i.precision
          ps?.info(i)
        },
        afterChunk: (bytesRead) => {
          // On workers: wait (asynchronously) for ring room before the next chunk.
          const room = ps?.chunkEnd()
          o.progress?.update(source, bytesRead)
          // The readers of every output went away (`| head`): stop quietly, nothing more to write.
          if (fanout.closed) source.stop()
          else return room === undefined ? fanout.drain() : room.then(() => fanout.drain())
        },
      })
    } catch (err) {
      if (!(err instanceof CaptureError)) throw err
      result.errors.push(err.message)
      const code = err.kind === 'corrupt' ? ExitCode.DAMAGED : ExitCode.UNREADABLE
      result.exitCode = Math.max(result.exitCode, code)
    }
    if (info !== null) {
      const i = info as CaptureInfo
      result.captures.push({file: source.name, format: i.format, gzip: i.gzip, precision: i.precision, linkTypes: i.linkTypes})
    }
    // Flush what is in flight, also after a capture error or a stop: nothing already parsed is lost.
    if (ps !== null) {
      if (o.secretsTap) o.secretsTap.fn = null
      await ps.end(stats)
    } else engine?.end()
    if (!fanout.closed) await fanout.drain()
  }
  } finally {
    pool?.close()
  }
  clearInterval(flusher)
  o.signal?.removeEventListener('abort', onAbort)
  o.progress?.stop()
  for (const [code, n] of Object.entries(o.processorCounters ?? {})) if (n > 0) stats.malformed.set(code, (stats.malformed.get(code) ?? 0) + n)
  result.events = fanout.events
  result.dropped = stage?.dropped ?? 0
  // Outputs that print the deliveries (the summary) end last, once the others have delivered.
  const deliveries: OutputDelivery[] = []
  result.deliveries = deliveries
  for (const out of o.outputs) {
    if (out.reportsDeliveries === true) continue
    let error: string | undefined
    try {
      await out.end(result)
    } catch (e) {
      if (!(e instanceof OutputError)) throw e
      error = e.message
      result.errors.push(e.message)
      result.exitCode = Math.max(result.exitCode, ExitCode.OUTPUT)
    }
    const d = out.delivery?.()
    if (d !== undefined && d.failed > 0) {
      result.errors.push(`${d.name}: ${d.failed} of ${d.sent + d.failed} events were not delivered`)
      result.exitCode = Math.max(result.exitCode, ExitCode.OUTPUT)
    }
    // Text outputs see every event; what a failing destination did not take is not known.
    deliveries.push(d !== undefined ? {...d, error} : {name: out.label ?? 'output', sent: result.events, failed: 0, reasons: new Map(), error})
  }
  for (const out of o.outputs) {
    if (out.reportsDeliveries !== true) continue
    try {
      await out.end(result)
    } catch (e) {
      if (!(e instanceof OutputError)) throw e
      result.errors.push(e.message)
      result.exitCode = Math.max(result.exitCode, ExitCode.OUTPUT)
    }
  }
  return result
}
