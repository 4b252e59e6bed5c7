/**
 * Runs the analyze pipeline in-process on one capture with a Packetbeat-like configuration and
 * returns the events in output order (parsed from the NDJSON pbx wrote, so what is checked is
 * exactly what `pbx analyze --format ndjson` prints).
 */
import {PassThrough} from 'node:stream'
import {createFlowObserver} from '../../../src/flows/index.js'
import {makeLimits} from '../../../src/limits.js'
import {NdjsonOutput} from '../../../src/output/ndjson/index.js'
import {TextWriter} from '../../../src/output/writer.js'
import {run} from '../../../src/run/run.js'
import {fileSources} from '../../../src/capture/source.js'
import type {Protocol} from '../../../src/protocols/types.js'

// biome-ignore lint/suspicious/noExplicitAny: events are free-form JSON read back from NDJSON
export type Ev = Record<string, any>

export interface RunOptions {
  protocols: Protocol[]
  protocolOptions: Record<string, Record<string, unknown>>
  /** Flow records (Packetbeat's `flows.enabled`). */
  flows?: boolean
}

export async function runPbx(file: string, o: RunOptions): Promise<Ev[]> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (c: Buffer) => chunks.push(c))
  const output = new NdjsonOutput(new TextWriter(sink, 'memory'), false)
  await run({
    sources: fileSources([file]),
    protocols: o.protocols,
    protocolOptions: o.protocolOptions,
    limits: makeLimits({}),
    outputs: [output],
    observer: o.flows ? createFlowObserver({}) : undefined,
  })
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Ev)
}
