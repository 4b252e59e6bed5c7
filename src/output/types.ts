/**
 * Output contract. The pipeline calls, in order: begin(run) once, write(event) per event (events
 * are fully built; the output may keep them), and end(run) once, even after a capture error, so
 * that nothing already parsed is lost. Between input chunks the pipeline awaits `drain()` when
 * `blocked` is true; when `closed` is true (the reader went away) it stops reading.
 */
import type {BuildOptions, PbxEvent} from '../event/build.js'
import type {FieldSpec, Transaction} from '../event/types.js'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'

export interface RunInfo {
  files: string[]
  stats: Stats
  /** Per-file capture facts, filled as files are opened. */
  captures: {file: string; format: string; gzip: boolean; precision: string; linkTypes: number[]}[]
  /** Errors that ended the reading of a file (already formatted for the user). */
  errors: string[]
  /**
   * What went to each output of the run (the summary outputs themselves left out), filled by the
   * run before the outputs that report it (`reportsDeliveries`) end.
   */
  deliveries?: OutputDelivery[]
}

export interface Output {
  begin(run: RunInfo): void
  write(ev: PbxEvent): void
  /**
   * Optional fast path: print a transaction without building its event object. Must write exactly
   * what write(buildEvent(t, o)) would. The pipeline uses it only when no processor sits between
   * the protocols and the output.
   */
  writeTransaction?(t: Transaction, o: BuildOptions): void
  /**
   * Optional fast path of a run split over workers (src/run/parallel.ts): `json` is exactly the
   * UTF-8 bytes of JSON.stringify(buildEvent(t, o)), serialised in a worker; a view valid during
   * the call. Must write what write(buildEvent(t, o)) would. Outputs without it get write() with
   * the event parsed back from those bytes.
   */
  writeJson?(json: Uint8Array): void
  readonly blocked: boolean
  readonly closed: boolean
  drain(): Promise<void>
  /**
   * Optional: hand what is buffered to the destination now. The run calls it about once a second
   * of wall time while input is slow (a pipe, a live interface), so events show up as they happen.
   */
  flush?(): void
  /** Flushes and closes. Throws OutputError when the destination failed (the run reports it). */
  end(run: RunInfo): Promise<void>
  /**
   * Optional delivery accounting for outputs that can lose events (servers): events accepted by
   * the destination and events lost (after retries), with the reasons of the losses. The summary
   * prints it per output, and the run exits non-zero when `failed` > 0.
   */
  delivery?(): OutputDelivery
  /**
   * True for an output that prints the run's deliveries (the summary): it is ended after every
   * other output, with RunInfo.deliveries filled.
   */
  readonly reportsDeliveries?: boolean
  /** Name shown in the deliveries of an output without delivery() (`ndjson out.ndjson`); set by the run layer. */
  label?: string
}

export interface OutputDelivery {
  /** Name shown to the user, e.g. `elasticsearch http://127.0.0.1:9200`. */
  name: string
  sent: number
  failed: number
  /** Failure reason -> count (`mapper_parsing_exception`, `http 503 after 5 retries`, ...). */
  reasons: Map<string, number>
  /** The output's own error at its end (a full disk...), when it had one. */
  error?: string
}

/** What an output factory is given besides its own options. */
export interface OutputContext {
  /** Every field the run can emit: common fields, the selected protocols' fields, flow fields. */
  fields: FieldSpec[]
  /** Names of the selected protocols (a table or index per protocol, ...). */
  protocols: string[]
  limits: Limits
  /** Where warnings go (one line each; the run layer prefixes `pbx: `). */
  warn(message: string): void
}

/**
 * An output type (`--format NAME`, or `output.NAME` in the config). One folder per output under
 * src/output/<name>/ exporting a factory, registered by one line in ./registry.ts.
 * `options` are the output's config keys (Packetbeat's `output.<name>.*` where it has them); a bad
 * option throws OutputConfigError naming the key, the value and what was expected. `create` may
 * connect or open files; an unreachable destination is an OutputConfigError too (exit 2).
 */
export interface OutputFactory {
  name: string
  create(options: Readonly<Record<string, unknown>>, ctx: OutputContext): Output | Promise<Output>
}

export class OutputConfigError extends Error {
  override name = 'OutputConfigError'
}

/** A destination failed while writing (ENOSPC, EBADF, ...): one line for the user, exit code 5. */
export class OutputError extends Error {
  override name = 'OutputError'
}
