/** Runs the analyze pipeline in-process and returns what the NDJSON output wrote. */
import {PassThrough} from 'node:stream'
import {makeLimits} from '../../src/limits.js'
import {NdjsonOutput} from '../../src/output/ndjson/index.js'
import {TextWriter} from '../../src/output/writer.js'
import {type RunResult, run} from '../../src/run/run.js'
import {fileSources} from '../../src/capture/source.js'
import {protocols} from '../../src/protocols/registry.js'
import {KeyLog, keyLogSecretsHandler} from '../../src/protocols/tls/decrypt/index.js'

export async function analyzeToNdjson(
  files: string[],
  limits: Record<string, number> = {},
  protocolOptions: Record<string, Record<string, unknown>> = {},
  /** TLS key log files; pcapng Decryption Secrets Blocks of the captures are always used. */
  keylogFiles: readonly string[] = [],
): Promise<{text: string; result: RunResult}> {
  // one key log per run, as the run plan makes it
  const keylog = new KeyLog()
  for (const f of keylogFiles) keylog.addFile(f)
  const options = {...protocolOptions, tls: {...protocolOptions.tls, keylog}}
  const sources = fileSources(files, {onSecrets: (t, d, off, f) => keyLogSecretsHandler(keylog, f)(t, d, off)})
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (c: Buffer) => chunks.push(c))
  const output = new NdjsonOutput(new TextWriter(sink, 'memory'), false)
  const result = await run({sources, protocols: [...protocols], limits: makeLimits(limits), outputs: [output], protocolOptions: options})
  return {text: Buffer.concat(chunks).toString('utf8'), result}
}
