/**
 * The processors stage's contract (Packetbeat's processors: drop_event, drop_fields, rename, script,
 * ... with `when` conditions). It sits between the engine (which emits Transactions) and the outputs.
 *
 * Two kinds of work, so that the NDJSON fast path survives processors:
 *   - a *filter* only reads fields and decides whether the event is kept (drop_event with a `when`,
 *     `--where`). It runs against an EventAccessor, which may be a lazy view over the Transaction:
 *     no event object is built for an event that is only filtered (src/event/view.ts).
 *   - a *mutation* changes the event (add_fields, rename, script, ...). The stage builds the event
 *     object once, at the first mutation in the chain, and every later processor sees that object.
 *
 * Field names are dotted ECS paths as they appear in the NDJSON (`http.response.status_code`).
 * Legacy Packetbeat names (`http.response.code`, `responsetime`, ...) are translated once, when a
 * condition or processor is compiled, never per event.
 *
 * Errors: compiling a bad condition or processor config throws ProcessorConfigError naming the key;
 * at run time a processor never throws (a failing script counts `processor.script_error` and the
 * event goes on).
 */
import type {PbxEvent} from '../event/build.js'
import type {EventAccessor} from '../event/view.js'

/** Read access to an event by dotted path (defined by the event stage, src/event/view.ts). */
export type {EventAccessor}

/** A compiled condition: a closure built once from the YAML, called per event. */
export type Condition = (ev: EventAccessor) => boolean

export interface Processor {
  /** For messages: the processor's type and where it was configured (`processors[2].drop_event`). */
  readonly name: string
  /**
   * Filter form: true keeps the event, false drops it. Present only on processors that never change
   * the event; such a processor must not also have `apply`.
   */
  filter?(ev: EventAccessor): boolean
  /** Mutation form: changes `ev` in place; returns false to drop the event. */
  apply?(ev: PbxEvent): boolean
}

export class ProcessorConfigError extends Error {
  override name = 'ProcessorConfigError'
}
