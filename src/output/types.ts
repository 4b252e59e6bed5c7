/**
 * Output contract. The pipeline calls, in order: begin(run) once, write(event) per event (events
 * are fully built; the output may keep them), and end(run) once, even after a capture error, so
 * that nothing already parsed is lost. Between input chunks the pipeline awaits `drain()` when
 * `blocked` is true; when `closed` is true (the reader went away) it stops reading.
 */
import type {BuildOptions, PbxEvent} from '../event/build.js'
import type {Transaction} from '../protocols/types.js'
import type {Stats} from '../stats.js'

export interface RunInfo {
  files: string[]
  stats: Stats
  /** Per-file capture facts, filled as files are opened. */
  captures: {file: string; format: string; gzip: boolean; precision: string; linkTypes: number[]}[]
  /** Errors that ended the reading of a file (already formatted for the user). */
  errors: string[]
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
  readonly blocked: boolean
  readonly closed: boolean
  drain(): Promise<void>
  end(run: RunInfo): Promise<void>
}
