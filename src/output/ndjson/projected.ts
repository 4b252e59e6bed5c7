/**
 * NDJSON with only the chosen fields (`--fields`), in the chosen order. A transaction no processor
 * touched is projected straight from a TransactionView: the full event object is never built for it.
 */
import type {BuildOptions, PbxEvent} from '../../event/build.js'
import {ObjectView, TransactionView} from '../../event/view.js'
import type {Transaction} from '../../event/types.js'
import {project} from '../fields-option.js'
import type {Output, RunInfo} from '../types.js'
import type {TextWriter} from '../writer.js'

export class ProjectedNdjsonOutput implements Output {
  private readonly view = new TransactionView()
  private readonly objectView = new ObjectView()

  constructor(
    private readonly w: TextWriter,
    private readonly closeStream: boolean,
    private readonly fields: readonly string[],
  ) {}

  begin(_run: RunInfo): void {}

  write(ev: PbxEvent): void {
    this.w.write(`${JSON.stringify(project(this.fields, this.objectView.reset(ev)))}\n`)
  }

  writeTransaction(t: Transaction, o: BuildOptions): void {
    this.w.write(`${JSON.stringify(project(this.fields, this.view.reset(t, o)))}\n`)
  }

  get blocked(): boolean {
    return this.w.blocked
  }

  get closed(): boolean {
    return this.w.closed
  }

  drain(): Promise<void> {
    return this.w.drain()
  }

  flush(): void {
    this.w.flush()
  }

  end(_run: RunInfo): Promise<void> {
    return this.w.end(this.closeStream)
  }
}
