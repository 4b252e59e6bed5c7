/**
 * `output.console` as Packetbeat has it: events on standard output, one JSON line each (the same
 * bytes as --format ndjson), or indented JSON with `pretty: true` (also `codec.json.pretty`).
 * Standard output is never closed; a closed pipe stops the run quietly (see ../writer.ts).
 */
import type {Writable} from 'node:stream'
import type {PbxEvent} from '../../event/build.js'
import {NdjsonOutput} from '../ndjson/index.js'
import {checkKeys, optBool} from '../shared/options.js'
import type {Output, OutputFactory, RunInfo} from '../types.js'
import {TextWriter} from '../writer.js'

/** Indented JSON, one event after the other (what `pretty: true` prints). */
export class PrettyOutput implements Output {
  constructor(private readonly w: TextWriter) {}
  begin(_run: RunInfo): void {}
  write(ev: PbxEvent): void {
    this.w.write(`${JSON.stringify(ev, null, 2)}\n`)
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
    return this.w.end(false)
  }
}

/** The console output over any stream (tests pass a PassThrough; the factory uses stdout). */
export function consoleOutput(stream: Writable, pretty: boolean): Output {
  const w = new TextWriter(stream, 'standard output')
  return pretty ? new PrettyOutput(w) : new NdjsonOutput(w, false)
}

export const factory: OutputFactory = {
  name: 'console',
  create(options) {
    checkKeys('console', options, ['pretty', 'codec.json.pretty'])
    const pretty = optBool('console', options, 'pretty', false) || optBool('console', options, 'codec.json.pretty', false)
    return consoleOutput(process.stdout, pretty)
  },
}
