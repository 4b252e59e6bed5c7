/**
 * The processors stage: Transactions from the engine -> processor chains -> the outputs.
 *
 * Per transaction, the chain for its protocol runs (that protocol's processors, then the top-level
 * ones, as Packetbeat runs per-input before global processors). While the chain holds only filters,
 * they read a TransactionView (no event object); the first mutation builds the event object once and
 * every later processor works on it. An event that ends as an untouched Transaction goes to the
 * outputs' fast path (NDJSON straight from the Transaction); otherwise the built object is written.
 *
 * Counters: `kept` and `dropped` events. A processor never throws here (see ./types.ts); if one
 * does anyway, that is a bug: it propagates and ends the run with the internal-error code.
 */
import type {BuildOptions, PbxEvent} from '../event/build.js'
import {ObjectView, TransactionView} from '../event/view.js'
import type {Transaction} from '../event/types.js'
import type {Processor} from './types.js'

/** Where the stage delivers: either the untouched transaction or the processed event object. */
export interface EventSink {
  transaction(t: Transaction, o: BuildOptions): void
  event(ev: PbxEvent, t: Transaction, o: BuildOptions): void
}

export interface ProcessorChains {
  /** Top-level processors (`processors:`), run for every event after the protocol's own. */
  global: readonly Processor[]
  /** A protocol's own processors (`packetbeat.protocols[].processors`, flows: key `flow`). */
  byType?: ReadonlyMap<string, readonly Processor[]>
}

export class ProcessorStage {
  kept = 0
  dropped = 0
  private readonly chains = new Map<string, readonly Processor[]>()
  private readonly view = new TransactionView()
  private readonly objectView = new ObjectView()

  constructor(
    private readonly config: ProcessorChains,
    private readonly sink: EventSink,
  ) {}

  /** True when no processor is configured at all (the run can skip the stage). */
  get empty(): boolean {
    if (this.config.global.length > 0) return false
    for (const list of this.config.byType?.values() ?? []) if (list.length > 0) return false
    return true
  }

  private chainFor(type: string): readonly Processor[] {
    let c = this.chains.get(type)
    if (c === undefined) {
      const own = this.config.byType?.get(type) ?? []
      c = own.length === 0 ? this.config.global : [...own, ...this.config.global]
      this.chains.set(type, c)
    }
    return c
  }

  transaction(t: Transaction, o: BuildOptions): void {
    const chain = this.chainFor(t.type)
    if (chain.length === 0) {
      this.kept++
      this.sink.transaction(t, o)
      return
    }
    const view = this.view.reset(t, o)
    let ev: PbxEvent | null = null
    for (let i = 0; i < chain.length; i++) {
      const p = chain[i]
      if (p.filter !== undefined) {
        if (!p.filter(ev === null ? view : this.objectView.reset(ev))) {
          this.dropped++
          return
        }
      } else if (p.apply !== undefined) {
        if (ev === null) ev = view.event()
        if (!p.apply(ev)) {
          this.dropped++
          return
        }
      }
    }
    this.kept++
    if (ev === null) this.sink.transaction(t, o)
    else this.sink.event(ev, t, o)
  }
}
