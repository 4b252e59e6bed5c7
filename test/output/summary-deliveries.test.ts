/**
 * The summary says how many events each other output of the run received and how many it lost
 * (with the reasons), and it is ended after them, so the figures are final.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {afterAll, describe, expect, it} from 'vitest'
import {fileSources} from '../../src/capture/source.js'
import {makeLimits} from '../../src/limits.js'
import {protocols} from '../../src/protocols/registry.js'
import {run} from '../../src/run/run.js'
import {SummaryOutput} from '../../src/output/summary/index.js'
import type {Output, OutputDelivery} from '../../src/output/types.js'
import {TextWriter} from '../../src/output/writer.js'
import {pbx} from '../helpers/run-cli.js'

const tmp = mkdtempSync(join(tmpdir(), 'pbx-deliveries-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const NGINX = 'samples/http/nginx.pcap'
const nginxEvents = readFileSync('samples/http/nginx.ndjson', 'utf8').trim().split('\n').length

/** A server-like output whose accounting is only final once end() ran: the last 2 events are lost. */
class LossyOutput implements Output {
  private seen = 0
  private final: OutputDelivery | null = null
  readonly blocked = false
  readonly closed = false
  begin(): void {}
  write(): void {
    this.seen++
  }
  async drain(): Promise<void> {}
  async end(): Promise<void> {
    await new Promise((r) => setTimeout(r, 20))
    this.final = {name: 'fakedb http://127.0.0.1:1', sent: this.seen - 2, failed: 2, reasons: new Map([['mapper_parsing_exception', 2]])}
  }
  delivery(): OutputDelivery {
    return this.final ?? {name: 'fakedb http://127.0.0.1:1', sent: 0, failed: 0, reasons: new Map()}
  }
}

describe('summary deliveries', () => {
  it('lists each other output with its events and failures, after they ended', async () => {
    const stream = new PassThrough()
    let text = ''
    stream.on('data', (c: Buffer) => (text += c.toString()))
    const summary = new SummaryOutput(new TextWriter(stream, 'test'), false, makeLimits(), {color: false})
    const lossy = new LossyOutput()
    const r = await run({sources: fileSources([NGINX]), protocols: [...protocols], limits: makeLimits(), outputs: [summary, lossy]})
    expect(r.events).toBe(nginxEvents)
    expect(r.exitCode).toBe(5)
    const section = text.slice(text.indexOf('Outputs\n'), text.indexOf('Capture statistics'))
    const row = section.split('\n').find((l) => l.includes('fakedb'))!
    expect(row.split(/\s+/).filter(Boolean)).toEqual(['fakedb', 'http://127.0.0.1:1', String(nginxEvents - 2), '2', '(mapper_parsing_exception:', '2)'])
    expect(r.deliveries).toEqual([{name: 'fakedb http://127.0.0.1:1', sent: nginxEvents - 2, failed: 2, reasons: new Map([['mapper_parsing_exception', 2]]), error: undefined}])
    expect(text).toContain(`error: fakedb http://127.0.0.1:1: 2 of ${nginxEvents} events were not delivered`)
  })

  it('the CLI names a file output and its event count; a summary alone has no Outputs section', () => {
    const out = join(tmp, 'x.ndjson')
    const both = pbx(['analyze', NGINX, '-f', 'summary', '-f', `ndjson=${out}`])
    expect(both.status).toBe(0)
    const row = both.stdout.split('\n').find((l) => l.includes(out))!
    expect(row.split(/\s+/).filter(Boolean)).toEqual(['ndjson', out, String(nginxEvents), '0'])
    const alone = pbx(['analyze', NGINX])
    expect(alone.stdout).toContain('Capture statistics')
    expect(alone.stdout).not.toContain('Outputs')
  })
})
