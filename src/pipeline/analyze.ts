/**
 * The analyze pipeline as a library function: capture -> decode -> reassembly -> protocols ->
 * event -> output. Commands and tests call it directly.
 *
 * Each input file gets its own decoder, reassembler and protocol state (frame numbers and
 * connections do not cross files). A file that cannot be read to the end still has every
 * transaction found before the damage flushed and written; the error is recorded in the result
 * and reading goes on with the next file. The only catch around protocol code is the session
 * boundary inside the reassembler; here we catch only capture errors, per file.
 */
import {readCapture} from '../capture/reader.js'
import {CaptureError, type CaptureInfo} from '../capture/types.js'
import {Decoder} from '../decode/decoder.js'
import {type BuildOptions, buildEvent, type PbxEvent} from '../event/build.js'
import type {Limits} from '../limits.js'
import type {Output, RunInfo} from '../output/types.js'
import type {Transaction} from '../event/types.js'
import type {Protocol, ProtocolContext} from '../protocols/types.js'
import type {ConnObserver} from '../reassembly/conn.js'
import {Stats} from '../stats.js'
import {Dispatcher} from './dispatch.js'

/** Exit codes (documented in the README). */
export const ExitCode = {
  OK: 0,
  /** Unexpected internal failure. */
  INTERNAL: 1,
  /** Bad flags or configuration (oclif uses 2 for flag errors too). */
  USAGE: 2,
  /** An input could not be opened or is not a capture file: nothing was read from it. */
  UNREADABLE: 3,
  /** A capture is truncated or damaged: everything before the damage was analyzed and written. */
  DAMAGED: 4,
} as const

export interface AnalyzeOptions {
  files: string[]
  protocols: Protocol[]
  limits: Limits
  output: Output
  /** Per-protocol options (`protocols.<name>.*` in the config). */
  protocolOptions?: Record<string, Record<string, unknown>>
  /** Drop or rewrite events before output; return null to drop. */
  process?: (ev: PbxEvent) => PbxEvent | null
  /** Sees connections and flows (the flows feature). Created per file. */
  observer?: (emit: (t: Transaction) => void) => ConnObserver & {end(): void}
  /** Called after each chunk with the bytes read so far of the current file (progress display). */
  progress?: (file: string, bytesRead: number) => void
}

export interface AnalyzeResult extends RunInfo {
  exitCode: number
  events: number
}

export async function analyze(o: AnalyzeOptions): Promise<AnalyzeResult> {
  const stats = new Stats()
  const run: AnalyzeResult = {files: o.files, stats, captures: [], errors: [], exitCode: ExitCode.OK, events: 0}
  const out = o.output
  out.begin(run)
  const many = o.files.length > 1

  for (const file of o.files) {
    if (out.closed) break
    stats.files++
    const buildOpts: BuildOptions = {precision: 'us', file: many ? file : undefined}
    // Without processors, an output that prints transactions itself (NDJSON) skips the event object.
    const direct = o.process === undefined && out.writeTransaction !== undefined ? out : null
    const emit = (t: Transaction) => {
      stats.transactions++
      if (direct !== null) {
        run.events++
        direct.writeTransaction!(t, buildOpts)
        return
      }
      let ev: PbxEvent | null = buildEvent(t, buildOpts)
      if (o.process) ev = o.process(ev)
      if (ev) {
        run.events++
        out.write(ev)
      }
    }
    const contexts = new Map<string, ProtocolContext>()
    const ctxFor = (p: Protocol): ProtocolContext => {
      let c = contexts.get(p.name)
      if (!c) {
        c = {limits: o.limits, stats, options: o.protocolOptions?.[p.name] ?? {}, emit}
        contexts.set(p.name, c)
      }
      return c
    }
    const observer = o.observer?.(emit)
    const dispatcher = new Dispatcher(o.protocols, ctxFor, o.limits, stats, observer)
    const decoder = new Decoder(dispatcher, o.limits, stats)
    let info: CaptureInfo | null = null
    try {
      info = await readCapture(file, decoder, {
        limits: o.limits,
        stats,
        onInfo: (i) => {
          info = i
          buildOpts.precision = i.precision
        },
        afterChunk: (bytesRead: number) => {
          o.progress?.(file, bytesRead)
          if (out.closed) throw new StopReading()
          if (out.blocked) return out.drain()
        },
      })
    } catch (err) {
      if (err instanceof StopReading) {
        // The reader of our output went away (`| head`): stop quietly, nothing more to write.
      } else if (err instanceof CaptureError) {
        run.errors.push(err.message)
        const code = err.kind === 'corrupt' ? ExitCode.DAMAGED : ExitCode.UNREADABLE
        run.exitCode = Math.max(run.exitCode, code)
      } else {
        throw err
      }
    }
    if (info) {
      const i = info as CaptureInfo
      run.captures.push({file, format: i.format, gzip: i.gzip, precision: i.precision, linkTypes: i.linkTypes})
    }
    // Flush what is in flight, also after a capture error: nothing already parsed is lost.
    decoder.end()
    dispatcher.end()
    observer?.end()
    if (out.blocked && !out.closed) await out.drain()
  }
  await out.end(run)
  return run
}

class StopReading extends Error {
  constructor() {
    super('output closed')
  }
}
