/** output.console: NDJSON lines like --format ndjson, or indented JSON with pretty. */
import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {consoleOutput, factory} from '../../../src/output/console/index.js'
import {analyzeToNdjson} from '../../helpers/analyze-to-string.js'
import {runInto, testContext} from '../shared/run-into.js'

async function capture(pretty: boolean, files: string[]): Promise<string> {
  const s = new PassThrough()
  const chunks: Buffer[] = []
  s.on('data', (c: Buffer) => chunks.push(c))
  await runInto(files, consoleOutput(s, pretty))
  return Buffer.concat(chunks).toString('utf8')
}

describe('console output', () => {
  it('prints the NDJSON of --format ndjson, or the same events indented', async () => {
    const files = ['samples/redis/redis.pcap']
    const {text} = await analyzeToNdjson(files)
    expect(await capture(false, files)).toBe(text)
    const pretty = await capture(true, files)
    const events = text.trim().split('\n').map((l) => JSON.parse(l))
    expect(pretty).toBe(events.map((e) => `${JSON.stringify(e, null, 2)}\n`).join(''))
    expect(pretty.split('\n')[1]).toBe('  "@timestamp": ' + JSON.stringify(events[0]['@timestamp']) + ',')
  })

  it('reads pretty and codec.json.pretty', () => {
    expect(factory.create({codec: {json: {pretty: true}}}, testContext()).constructor.name).toBe('PrettyOutput')
    expect(factory.create({pretty: false}, testContext()).constructor.name).toBe('NdjsonOutput')
    expect(() => factory.create({pretty: 'yes'}, testContext())).toThrow(/output\.console\.pretty: expected true or false/)
  })
})
