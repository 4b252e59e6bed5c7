/** Runs the analyze pipeline in-process and returns what the NDJSON output wrote. */
import {PassThrough} from 'node:stream'
import {makeLimits} from '../../src/limits.js'
import {NdjsonOutput} from '../../src/output/ndjson/index.js'
import {TextWriter} from '../../src/output/writer.js'
import {type RunResult, run} from '../../src/run/run.js'
import {fileSources} from '../../src/capture/source.js'
import {protocols} from '../../src/protocols/registry.js'

export async function analyzeToNdjson(
  files: string[],
  limits: Record<string, number> = {},
  protocolOptions: Record<string, Record<string, unknown>> = {},
): Promise<{text: string; result: RunResult}> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (c: Buffer) => chunks.push(c))
  const output = new NdjsonOutput(new TextWriter(sink, 'memory'), false)
  const result = await run({sources: fileSources(files), protocols: [...protocols], limits: makeLimits(limits), outputs: [output], protocolOptions})
  return {text: Buffer.concat(chunks).toString('utf8'), result}
}
