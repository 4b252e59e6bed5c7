/**
 * NDJSON output: one JSON.stringify per event into a buffered writer. Written in-house: the
 * `ndjson` package pushes objects through a Transform stream and measured 4.7x slower here (README, `npm run bench`).
 * Key order is the insertion order of src/event/build.ts, so output is byte-identical across runs.
 */
import type {PbxEvent} from '../event/build.js'
import type {Output, RunInfo} from './types.js'
import {TextWriter} from './writer.js'

export class NdjsonOutput implements Output {
  constructor(
    private readonly w: TextWriter,
    private readonly closeStream: boolean,
  ) {}

  begin(_run: RunInfo): void {}

  write(ev: PbxEvent): void {
    this.w.write(JSON.stringify(ev) + '\n')
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

  end(_run: RunInfo): Promise<void> {
    return this.w.end(this.closeStream)
  }
}
