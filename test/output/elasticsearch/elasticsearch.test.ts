/**
 * The Elasticsearch output against a fake cluster in the test process (./fake-es.ts): documents
 * arrive with deterministic ids (a second run overwrites), date-pattern indices from @timestamp,
 * gzip bulks, retries on 429 / dropped connections, per-document failures counted by reason, and
 * bounded in-flight bulks when the server is slow.
 */
import {readFileSync} from 'node:fs'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {connect, type ElasticsearchOutput, esConnection, factory} from '../../../src/output/elasticsearch/index.js'
import {OutputConfigError} from '../../../src/output/types.js'
import {runInto, testContext} from '../shared/run-into.js'
import {FakeEs} from './fake-es.js'

const NGINX = 'samples/http/nginx.pcap'
const DNS = 'samples/dns/dnsmasq.pcap'
const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)

let es: FakeEs
beforeEach(async () => {
  es = new FakeEs()
  await es.start()
})
afterEach(async () => {
  await es.stop()
})

async function make(options: Record<string, unknown>, warnings: string[] = []) {
  const o = {hosts: es.url, 'backoff.init': '10ms', 'backoff.max': '50ms', ...options}
  const out = (await factory.create(o, testContext(warnings))) as ElasticsearchOutput
  return out
}

describe('elasticsearch output', () => {
  it('indexes every event of a capture, into the day index of its @timestamp, with gzip bulks', async () => {
    const out = await make({bulk_max_size: 3})
    await runInto([NGINX], out)
    const expected = lines('samples/http/nginx.ndjson')
    expect([...es.indices.keys()]).toEqual(['pbx-2026.11.28'])
    // Bulks may be in flight side by side (`worker`), so they can arrive in any order: an index is a
    // set of documents, compared here in frame order.
    // biome-ignore lint/suspicious/noExplicitAny: documents as JSON
    const byFrames = (a: any, b: any) => a.pbx.frames[0] - b.pbx.frames[0] || a.pbx.frames[1] - b.pbx.frames[1]
    const docs = [...es.indices.get('pbx-2026.11.28')!.values()]
    expect(docs.sort(byFrames)).toEqual([...expected].sort(byFrames))
    expect(docs).toHaveLength(13)
    expect(es.bulks.every((b) => b.gzip && b.docs <= 3)).toBe(true)
    expect(es.bulks.length).toBe(Math.ceil(expected.length / 3))
    expect(out.delivery()).toMatchObject({sent: expected.length, failed: 0})
  })

  it('gives the same _ids on a second run, so the index does not grow', async () => {
    const first = await make({})
    await runInto([NGINX, DNS], first)
    const ids1 = [...es.indices.values()].flatMap((m) => [...m.keys()])
    const n = es.count()
    const second = await make({compression_level: 0})
    await runInto([NGINX, DNS], second)
    const ids2 = [...es.indices.values()].flatMap((m) => [...m.keys()])
    expect(n).toBe(lines('samples/http/nginx.ndjson').length + lines('samples/dns/dnsmasq.ndjson').length)
    expect(es.count()).toBe(n)
    expect(ids2).toEqual(ids1)
    expect(new Set(ids1).size).toBe(ids1.length)
    expect(ids1.every((id) => /^[A-Za-z0-9_-]{27}$/.test(id))).toBe(true)
    expect(es.bulks.at(-1)!.gzip).toBe(false)
  })

  it('writes the same documents, ids and indices through the fast path as from built events', async () => {
    const snapshot = () => [...es.indices].map(([index, docs]) => [index, [...docs]] as const)
    const fast = await make({})
    expect(fast.writeTransaction).toBeTypeOf('function')
    await runInto([NGINX, DNS], fast, {flows: true})
    const viaFast = snapshot()
    es.indices.clear()
    const slow = await make({})
    ;(slow as {writeTransaction?: unknown}).writeTransaction = undefined
    await runInto([NGINX, DNS], slow, {flows: true})
    expect(viaFast.length).toBeGreaterThan(0)
    expect(snapshot()).toEqual(viaFast)
    expect(fast.delivery()).toEqual(slow.delivery())
  })

  it('with op_type create, a repeated run counts documents already there as delivered', async () => {
    await runInto([NGINX], await make({op_type: 'create', index: 'logs-pbx-default'}))
    const again = await make({op_type: 'create', index: 'logs-pbx-default'})
    await runInto([NGINX], again)
    expect(again.delivery()).toMatchObject({sent: lines('samples/http/nginx.ndjson').length, failed: 0})
    expect(es.count()).toBe(lines('samples/http/nginx.ndjson').length)
  })

  it('retries a 429 and a dropped connection, then delivers everything', async () => {
    es.plan.push({kind: 'status', status: 429}, {kind: 'drop'}, {kind: 'status', status: 503})
    const out = await make({})
    await runInto([NGINX], out)
    expect(out.delivery()).toMatchObject({sent: lines('samples/http/nginx.ndjson').length, failed: 0})
    expect(out.shipper.requests).toBe(4)
    expect(es.count()).toBe(lines('samples/http/nginx.ndjson').length)
  })

  it('counts per-document rejections by reason, retries 429 items, warns about the first few', async () => {
    let calls = 0
    es.plan.push({
      kind: 'items',
      error: (doc, i) => {
        calls++
        if ((doc.http as {response?: {status_code?: number}})?.response?.status_code === 404) return {status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse [http]'}
        if (i === 0) return {status: 429, type: 'es_rejected_execution_exception', reason: 'queue full'}
        return null
      },
    })
    const warnings: string[] = []
    const out = await make({}, warnings)
    await runInto([NGINX], out)
    const total = lines('samples/http/nginx.ndjson').length
    const bad = lines('samples/http/nginx.ndjson').filter((e) => (e.http as {response?: {status_code?: number}}).response?.status_code === 404).length
    expect(bad).toBe(5)
    const d = out.delivery()
    // Every document once, and the 429 one a second time (alone).
    expect(calls).toBe(total)
    expect(out.shipper.requests).toBe(2)
    expect(d.failed).toBe(bad)
    expect(d.sent).toBe(total - bad)
    expect([...d.reasons]).toEqual([['mapper_parsing_exception', bad]])
    expect(warnings).toHaveLength(5)
    expect(warnings[0]).toMatch(/^elasticsearch http:\/\/127\.0\.0\.1:\d+: document [\w-]{27} rejected: mapper_parsing_exception: failed to parse \[http\]$/)
    expect(es.count()).toBe(total - bad)
  })

  it('loses documents after max_retries and says why', async () => {
    es.plan.push({kind: 'status', status: 503}, {kind: 'status', status: 503}, {kind: 'status', status: 503})
    const warnings: string[] = []
    const out = await make({max_retries: 2}, warnings)
    await runInto([NGINX], out)
    const total = lines('samples/http/nginx.ndjson').length
    expect(out.delivery().failed).toBe(total)
    expect([...out.delivery().reasons]).toEqual([['http 503 after 2 retries', total]])
    expect(warnings.length).toBe(5)
    expect(es.count()).toBe(0)
  })

  it('keeps at most `worker` bulks in flight when the server is slow (the pipeline waits)', async () => {
    es.delayMs = 40
    const out = await make({bulk_max_size: 2, worker: 2})
    let sawBlocked = false
    const origDrain = out.drain.bind(out)
    out.drain = () => {
      sawBlocked = true
      return origDrain()
    }
    await runInto([NGINX, DNS], out)
    expect(sawBlocked).toBe(true)
    expect(out.shipper.maxActive).toBeLessThanOrEqual(2)
    expect(es.maxActive).toBeLessThanOrEqual(2)
    expect(es.count()).toBe(lines('samples/http/nginx.ndjson').length + lines('samples/dns/dnsmasq.ndjson').length)
  })

  it('sends the pipeline parameter and uses the index pattern with field references', async () => {
    const out = await make({pipeline: 'geoip', index: 'pbx-%{[type]}-%{+yyyy.MM}'})
    await runInto([DNS], out)
    expect(es.bulks.every((b) => b.path.includes('pipeline=geoip'))).toBe(true)
    expect([...es.indices.keys()]).toEqual(['pbx-dns-2026.11'])
  })

  it('rejects bad options and unreachable hosts as config errors, without printing secrets', async () => {
    await expect(factory.create({hosts: es.url, bulk_max_size: 0}, testContext())).rejects.toThrow(/output\.elasticsearch\.bulk_max_size: expected an integer from 1/)
    await expect(factory.create({hosts: es.url, bulk_size: 5}, testContext())).rejects.toThrow(/unknown option "bulk_size"/)
    await expect(factory.create({hosts: es.url, index: 'pbx-%{+yyyy.ww}'}, testContext())).rejects.toThrow(OutputConfigError)
    const err = await Promise.resolve(factory.create({hosts: 'http://127.0.0.1:1', username: 'u', password: 's3cr3t-pw', timeout: '2s'}, testContext())).catch((e: Error) => e)
    expect(err).toBeInstanceOf(OutputConfigError)
    expect(String((err as Error).message)).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/)
    expect(String((err as Error).message)).not.toContain('s3cr3t')
  })

  it('takes the API key from the environment and sends it base64-encoded', async () => {
    const c = esConnection({hosts: es.url}, {PBX_ES_API_KEY: 'id1:k3y'})
    expect(await connect(c)).toBe('9.0.0')
    expect(c.redact(`x ${Buffer.from('id1:k3y').toString('base64')} id1:k3y`)).toBe('x *** ***')
    await c.client.close()
  })
})
