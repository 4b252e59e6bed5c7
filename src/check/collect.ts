/**
 * Runs the pipeline for `check`, `baseline` and `diff`: the same planRun() as `analyze` (so flags
 * and the config file mean the same), with one in-memory Output that hands every built event to a
 * callback instead of writing it anywhere. Events are handed over in the run's fixed order and are
 * not kept here; the callback keeps what it needs (aggregates, a few examples).
 *
 * A run that could not complete (an input that cannot be read, a damaged capture) is reported in
 * `errors` with `complete: false`: the callers turn that into exit code 2, never into a pass.
 */
import type {PbxEvent} from '../event/build.js'
import type {Output, RunInfo} from '../output/types.js'
import {type Invocation, planRun} from '../run/plan.js'
import {type RunResult, run} from '../run/run.js'

export interface CollectResult {
  /** False when an input could not be read to its end. */
  complete: boolean
  errors: string[]
  warnings: string[]
  events: number
  result: RunResult | null
}

/** An Output that calls `onEvent` for every event (the event object may be kept by the callee). */
export class CallbackOutput implements Output {
  readonly blocked = false
  readonly closed = false
  constructor(private readonly onEvent: (ev: PbxEvent) => void) {}
  begin(_run: RunInfo): void {}
  write(ev: PbxEvent): void {
    this.onEvent(ev)
  }
  async drain(): Promise<void> {}
  async end(_run: RunInfo): Promise<void> {}
}

export type CollectInvocation = Omit<Invocation, 'outputs' | 'fields' | 'top' | 'color'>

/** Runs `inv` and feeds every event to `onEvent`. Throws PlanError for bad flags or config. */
export async function collectEvents(inv: CollectInvocation, onEvent: (ev: PbxEvent) => void): Promise<CollectResult> {
  // planRun opens its outputs; the summary (to standard output) is created but never begun or
  // ended, so it writes nothing: the run gets only the in-memory output.
  const plan = await planRun({...inv, outputs: [{type: 'summary'}]})
  const errors = plan.unreadable.map((u) => u.message)
  if (plan.options.sources.length === 0) return {complete: false, errors, warnings: plan.warnings, events: 0, result: null}
  const result = await run({...plan.options, outputs: [new CallbackOutput(onEvent)]})
  errors.push(...result.errors)
  return {complete: errors.length === 0, errors, warnings: plan.warnings, events: result.events, result}
}
