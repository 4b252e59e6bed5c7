/**
 * The ClickHouse output against a real server (a private clickhouse-server started here, see
 * ./server.ts: Debian's 18.16, so the legacy dialect of src/output/clickhouse/columns.ts) and, for
 * failures on demand, against a scripted stand-in (./fake-clickhouse.ts).
 */
import {readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type ClickHouseOutput, chTables, factory} from '../../../src/output/clickhouse/index.js'
import {chColumns, columnName, dialectOf, splitTime} from '../../../src/output/clickhouse/columns.js'
import {commonFields} from '../../../src/event/fields.js'
import {fields as dnsFields} from '../../../src/protocols/dns/fields.js'
import {OutputConfigError} from '../../../src/output/types.js'
import {pbxAsync} from '../shared/run-cli-async.js'
import {runInto, testContext} from '../shared/run-into.js'
import {FakeClickHouse} from './fake-clickhouse.js'
import {PrivateClickHouse} from '../../support/clickhouse-server.js'

const NGINX = 'samples/http/nginx.pcap'
const DNS = 'samples/dns/dnsmasq.pcap'
// biome-ignore lint/suspicious/noExplicitAny: golden events are read loosely in the assertions
const golden = (f: string): Record<string, any>[] => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l))

const server = new PrivateClickHouse()
beforeAll(async () => {
  await server.start()
}, 90_000)
afterAll(async () => {
  await server.stop()
}, 30_000)

const rows = async (sql: string) =>
  (await server.query(`${sql} FORMAT JSONEachRow`))
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** 64-bit integers arrive as strings from 18.16 (and by default from newer servers too). */
const int = (v: unknown): number => (typeof v === 'string' ? Number(v) : (v as number))

describe('clickhouse output (real server)', () => {
  it('creates one table per protocol and stores every event; the rows read back as the events', async () => {
    const out = (await factory.create({url: server.url, table_prefix: 't1_', batch_rows: 5}, testContext())) as ClickHouseOutput
    await runInto([NGINX, DNS], out, {flows: true})
    expect(out.delivery()).toMatchObject({failed: 0})
    const tables = (await rows(`SELECT name FROM system.tables WHERE database = 'default' AND name LIKE 't1_%' ORDER BY name`)).map((r) => r.name)
    expect(tables).toEqual(['t1_amqp', 't1_cassandra', 't1_dhcpv4', 't1_dns', 't1_flows', 't1_http', 't1_http2', 't1_icmp', 't1_memcache', 't1_mongodb', 't1_mysql', 't1_pgsql', 't1_redis', 't1_sip', 't1_starttls', 't1_tls'])

    // biome-ignore lint/suspicious/noExplicitAny: golden events
    const byFrame = (a: Record<string, any>, b: Record<string, any>) => a.pbx.frames[0] - b.pbx.frames[0] || a.pbx.frames[1] - b.pbx.frames[1]
    const http = golden('samples/http/nginx.ndjson').sort(byFrame)
    const got = await rows('SELECT `@timestamp`, `@timestamp_ns`, url_path, event_duration, source_ip, destination_port, http_response_status_code, pbx_frames, status FROM t1_http ORDER BY pbx_frames[1], pbx_frames[2]')
    expect(got).toHaveLength(http.length)
    for (let i = 0; i < http.length; i++) {
      const e = http[i]
      const [sec, ns] = splitTime(e['@timestamp'])!
      expect(new Date(`${got[i]['@timestamp']}Z`.replace(' ', 'T')).getTime() / 1000).toBe(sec)
      expect(got[i]['@timestamp_ns']).toBe(ns)
      expect(got[i].url_path).toBe(e.url.path)
      expect(int(got[i].event_duration)).toBe(e.event.duration)
      expect(got[i].source_ip).toBe(e.source.ip)
      expect(got[i].destination_port).toBe(String(e.destination.port))
      expect(int(got[i].http_response_status_code)).toBe(e.http.response.status_code)
      expect((got[i].pbx_frames as unknown[]).map(int)).toEqual(e.pbx.frames)
      expect(got[i].status).toBe(e.status)
    }
    const dns = golden('samples/dns/dnsmasq.ndjson').sort(byFrame)
    const d = await rows('SELECT dns_question_name, dns_answers_data, dns_answers_ttl, dns_flags_authoritative, dns_resolved_ip FROM t1_dns ORDER BY pbx_frames[1], pbx_frames[2]')
    expect(d).toHaveLength(dns.length)
    expect(d[0]).toEqual({
      dns_question_name: dns[0].dns.question.name,
      dns_answers_data: dns[0].dns.answers.map((a: {data: string}) => a.data),
      dns_answers_ttl: dns[0].dns.answers.map((a: {ttl: number}) => String(a.ttl)),
      dns_flags_authoritative: 1,
      dns_resolved_ip: dns[0].dns.resolved_ip,
    })
    const flows = await rows('SELECT count() AS n, sum(flow_final) AS f FROM t1_flows')
    expect(int(flows[0].n)).toBeGreaterThan(0)
    expect(int(flows[0].f)).toBe(int(flows[0].n))
  })

  it('a repeated run does not duplicate: same _id and key, collapsed by ReplacingMergeTree', async () => {
    const opts = {url: server.url, table_prefix: 't2_'}
    await runInto([NGINX], (await factory.create(opts, testContext())) as ClickHouseOutput)
    const ids1 = (await rows('SELECT _id FROM t2_http ORDER BY _id')).map((r) => r._id)
    await runInto([NGINX], (await factory.create(opts, testContext())) as ClickHouseOutput)
    expect(int((await rows('SELECT count() AS n FROM t2_http'))[0].n)).toBe(2 * ids1.length)
    expect(int((await rows('SELECT count() AS n FROM t2_http FINAL'))[0].n)).toBe(ids1.length)
    await server.query('OPTIMIZE TABLE t2_http FINAL')
    expect((await rows('SELECT _id FROM t2_http ORDER BY _id')).map((r) => r._id)).toEqual(ids1)
    expect(new Set(ids1).size).toBe(golden('samples/http/nginx.ndjson').length)
  })

  it('`pbx setup clickhouse` creates the tables of the chosen protocols', async () => {
    const r = await pbxAsync(['setup', 'clickhouse', '--clickhouse', server.url, '--table-prefix', 's_', '-p', 'http,dns'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^tables s_http, s_dns, s_flows ready in default on http:\/\/127\.0\.0\.1:\d+ \(legacy column types\)/)
    const cols = await rows("SELECT name, type FROM system.columns WHERE database = 'default' AND table = 's_http' AND name IN ('@timestamp', 'url_path', 'source_ip', 'event_duration')")
    expect(Object.fromEntries(cols.map((c) => [c.name, c.type]))).toEqual({
      '@timestamp': "DateTime('UTC')",
      url_path: 'Nullable(String)',
      source_ip: 'Nullable(String)',
      event_duration: 'Nullable(Int64)',
    })
    const again = await pbxAsync(['setup', 'clickhouse', '--clickhouse', server.url, '--table-prefix', 's_', '-p', 'http,dns'])
    expect(again.status).toBe(0)
  })

  it('an unreachable server is a config error', async () => {
    await expect(Promise.resolve(factory.create({url: 'http://127.0.0.1:1', timeout: '2s'}, testContext()))).rejects.toThrow(OutputConfigError)
    await expect(Promise.resolve(factory.create({url: server.url, batch_rows: -1}, testContext()))).rejects.toThrow(/output\.clickhouse\.batch_rows/)
  })
})

describe('clickhouse output (scripted failures)', () => {
  const fake = new FakeClickHouse()
  beforeAll(() => fake.start())
  afterAll(() => fake.stop())

  it('retries transient errors, loses batches on data errors, counts both by reason', async () => {
    fake.plan.push({code: 252, name: 'Too many parts'}, {code: 27, name: 'Cannot parse input'})
    const warnings: string[] = []
    const out = (await factory.create({url: fake.url, 'backoff.init': '5ms', batch_rows: 100, worker: 1}, testContext(warnings))) as ClickHouseOutput
    fake.rows = 0
    fake.inserts = 0
    await runInto([NGINX, DNS], out)
    const d = out.delivery()
    // One batch per table, http's first: the 252 is retried; the retry meets the 27 and is lost.
    // (dns's insert may take the 27 instead when it goes first while http waits for its backoff.)
    const http = golden('samples/http/nginx.ndjson').length
    const dns = golden('samples/dns/dnsmasq.ndjson').length
    expect([http, dns]).toContain(d.failed)
    expect(fake.inserts).toBe(3)
    expect(d.sent).toBe(http + dns - d.failed)
    expect([...d.reasons]).toEqual([['clickhouse error 27', d.failed]])
    expect(fake.rows).toBe(d.sent)
    expect(warnings[0]).toMatch(/insert into pbx_(http|dns) failed: clickhouse error 27: Code: 27/)
  })

  it('keeps at most `worker` inserts in flight per table when the server is slow', async () => {
    fake.delayMs = 30
    fake.maxActive = 0
    const out = (await factory.create({url: fake.url, batch_rows: 2, worker: 2}, testContext())) as ClickHouseOutput
    await runInto([NGINX], out)
    fake.delayMs = 0
    expect(out.shippers.get('http')!.maxActive).toBe(2)
    expect(fake.maxActive).toBeLessThanOrEqual(2)
    expect(out.delivery()).toMatchObject({sent: golden('samples/http/nginx.ndjson').length, failed: 0})
  })
})

describe('clickhouse columns', () => {
  it('uses IPv6, DateTime64(9) and LowCardinality on modern servers, 18.16 fallbacks on old ones', () => {
    expect(dialectOf('18.16.1')).toBe('legacy')
    expect(dialectOf('20.1.2.4')).toBe('modern')
    const modern = new Map(chColumns([...commonFields, ...dnsFields], 'modern').map((c) => [c.name, c.sql]))
    expect(modern.get('@timestamp')).toBe("DateTime64(9, 'UTC')")
    expect(modern.get('source_ip')).toBe('Nullable(IPv6)')
    expect(modern.get('dns_question_name')).toBe('LowCardinality(Nullable(String))')
    expect(modern.get('dns_answers_ttl')).toBe('Array(Nullable(Int64))')
    expect(modern.get('dns_resolved_ip')).toBe('Array(IPv6)')
    const legacy = new Map(chColumns([...commonFields, ...dnsFields], 'legacy').map((c) => [c.name, c.sql]))
    expect(legacy.get('@timestamp')).toBe("DateTime('UTC')")
    expect(legacy.get('@timestamp_ns')).toBe('UInt32')
    expect(legacy.get('source_ip')).toBe('Nullable(String)')
    const t = chTables(['dns'], 'pbx_', 'modern')[0]
    expect(t.create).toMatch(/ENGINE = ReplacingMergeTree\(\) PARTITION BY toYYYYMM\(`@timestamp`\) ORDER BY \(`@timestamp`, `_id`\)$/)
    // Column names are one-to-one with field names over every list.
    const all = testContext().fields.map((f) => f.name)
    const names = new Map<string, string>()
    for (const f of all) {
      const c = columnName(f)
      expect(names.get(c) ?? f).toBe(f)
      names.set(c, f)
    }
    const row = new Map(chColumns(commonFields, 'modern').map((c) => [c.name, c]))
    expect(row.get('source_ip')!.get({source: {ip: '10.0.0.1'}})).toBe('::ffff:10.0.0.1')
    expect(row.get('@timestamp')!.get({'@timestamp': '2026-11-28T21:42:17.779233Z'})).toBe('2026-11-28 21:42:17.779233000')
  })
})
