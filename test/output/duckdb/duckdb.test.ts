/**
 * DuckDB and Parquet outputs: a capture's events become typed rows (STRUCT columns from the fields
 * lists), read back with DuckDB, and the three questions of docs/outputs.md are answered from them
 * the same way as from the golden NDJSON.
 */
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {DuckDBInstance} from '@duckdb/node-api'
import {afterAll, describe, expect, it} from 'vitest'
import {factory, parquetFactory} from '../../../src/output/duckdb/index.js'
import type {Output} from '../../../src/output/types.js'
import {runInto, testContext} from '../shared/run-into.js'

const tmp = mkdtempSync(join(tmpdir(), 'pbx-duckdb-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const HTTP = ['samples/http/nginx.pcap', 'samples/http/reorder-wrap.pcap']
const DNS = 'samples/dns/dnsmasq.pcap'
// biome-ignore lint/suspicious/noExplicitAny: golden events are read loosely in the assertions
type Ev = Record<string, any>
const golden = (f: string): Ev[] => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l))

/** The three README questions (docs/outputs.md), for a table source (a table or read_parquet). */
const QUESTIONS = {
  p99: (http: string) => `select url.path, quantile_cont(event.duration, 0.99) as p99_ns, count(*) as n from ${http} group by all order by url.path`,
  errors: (http: string) =>
    `select destination.ip as server, destination.port as port, count(*) as n, avg(case when status = 'OK' then 0 else 1 end) as error_rate from ${http} group by all order by server, port`,
  names: (dns: string) => `select dns.question.name as name, count(*) as n from ${dns} group by all order by n desc, name limit 5`,
}

async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(db)
  const c = await inst.connect()
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
  } finally {
    c.closeSync()
    inst.closeSync()
  }
}

function quantileCont(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo] + (s[hi] - s[lo]) * (pos - lo)
}

describe('duckdb output', () => {
  const db = join(tmp, 'tx.duckdb')
  const evs = [...golden('samples/http/nginx.ndjson'), ...golden('samples/http/reorder-wrap.ndjson')]

  it('writes one typed table per protocol and answers the three questions like the NDJSON does', async () => {
    const out = (await factory.create({path: db}, testContext())) as Output
    await runInto([...HTTP, DNS], out)
    expect(out.delivery!()).toMatchObject({failed: 0})

    const counts = await query(db, 'select (select count(*) from http) as http, (select count(*) from dns) as dns')
    expect(counts).toEqual([{http: BigInt(evs.length), dns: BigInt(golden('samples/dns/dnsmasq.ndjson').length)}])

    // 1. p99 latency per url.path
    const p99 = await query(db, QUESTIONS.p99('http'))
    const paths = [...new Set(evs.map((e) => e.url?.path as string))].sort()
    expect(p99.map((r) => r.path)).toEqual(paths)
    for (const r of p99) {
      const d = evs.filter((e) => e.url?.path === r.path).map((e) => e.event.duration as number)
      expect(r.p99_ns).toBeCloseTo(quantileCont(d, 0.99), 3)
      expect(r.n).toBe(BigInt(d.length))
    }
    // 2. error rate per server
    const errs = await query(db, QUESTIONS.errors('http'))
    for (const r of errs) {
      const mine = evs.filter((e) => e.destination.ip === r.server && BigInt(e.destination.port) === r.port)
      expect(r.n).toBe(BigInt(mine.length))
      expect(r.error_rate).toBeCloseTo(mine.filter((e) => e.status !== 'OK').length / mine.length, 9)
    }
    expect(errs.reduce((a, r) => a + Number(r.n), 0)).toBe(evs.length)
    // 3. top DNS names
    const names = await query(db, QUESTIONS.names('dns'))
    const byName = new Map<string, number>()
    for (const e of golden('samples/dns/dnsmasq.ndjson')) byName.set(e.dns.question.name, (byName.get(e.dns.question.name) ?? 0) + 1)
    const top = [...byName].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5)
    expect(names.map((r) => [r.name, Number(r.n)])).toEqual(top)
  })

  it('keeps types: TIMESTAMP_NS times, BIGINT counts, lists, records in lists, nested booleans', async () => {
    const rows = await query(
      db,
      `select strftime("@timestamp", '%Y-%m-%dT%H:%M:%S.%fZ') as ts, event.duration as d, pbx.frames as frames, dns.answers[1].data as a1, dns.flags.authoritative as aa, dns.resolved_ip as ips
       from dns order by "@timestamp" limit 1`,
    )
    const g = golden('samples/dns/dnsmasq.ndjson')[0]
    expect(rows[0]).toEqual({ts: g['@timestamp'], d: BigInt(g.event.duration), frames: g.pbx.frames.map(BigInt), a1: g.dns.answers[0].data, aa: true, ips: g.dns.resolved_ip})
    const types = await query(db, `select column_name, data_type from information_schema.columns where table_name = 'http' and column_name in ('@timestamp', 'url', 'pbx')`)
    expect(Object.fromEntries(types.map((r) => [r.column_name, r.data_type]))).toMatchObject({'@timestamp': 'TIMESTAMP_NS', pbx: expect.stringMatching(/^STRUCT\(anomalies VARCHAR\[\], frames BIGINT\[\], file VARCHAR/)})
  })

  it('replaces its tables on a repeated run and adds a flows table with --flows (loads in batches of 4 rows)', async () => {
    const out = (await factory.create({path: db, batch_rows: 4}, testContext())) as Output
    await runInto([...HTTP], out, {flows: true})
    const r = await query(db, `select (select count(*) from http) as http, (select count(*) from flows) as flows, (select count(*) from dns) as dns, (select count(*) from flows where flow.final) as final`)
    expect(r[0].http).toBe(BigInt(evs.length))
    expect(r[0].dns).toBe(0n)
    expect(Number(r[0].flows)).toBeGreaterThan(0)
    expect(r[0].final).toBe(r[0].flows)
  })
})

describe('duckdb output, odd events', () => {
  it('keeps a row whose values do not fit their columns (NULL there), counts events of unknown types', async () => {
    const file = join(tmp, 'odd.duckdb')
    const warnings: string[] = []
    const out = (await factory.create({path: file}, testContext(warnings))) as Output
    const run = {files: [], stats: undefined as never, captures: [], errors: []}
    out.begin(run)
    const good = golden('samples/http/nginx.ndjson')[0]
    out.write(good)
    out.write({...good, event: {...good.event, duration: 'slow'}, url: 'not an object', pbx: {frames: [99, 100]}})
    out.write({type: 'gopher', '@timestamp': good['@timestamp']})
    out.write({type: 'gopher'})
    await out.end(run)
    expect(out.delivery!()).toMatchObject({sent: 2, failed: 2, reasons: new Map([['no table for type "gopher"', 2]])})
    expect(warnings).toEqual([`duckdb ${file}: event not stored: no table for type "gopher"`])
    const rows = await query(file, 'select event.duration as d, url.path as p, pbx.frames[1] as f from http order by f')
    expect(rows).toEqual([
      {d: BigInt(good.event.duration), p: good.url.path, f: BigInt(good.pbx.frames[0])},
      {d: null, p: null, f: 99n},
    ])
  })
})

describe('duckdb output, long lines', () => {
  it('loads an event far larger than the 1 MiB default object size of a load', async () => {
    const file = join(tmp, 'long.duckdb')
    const out = (await factory.create({path: file}, testContext())) as Output
    const run = {files: [], stats: undefined as never, captures: [], errors: []}
    out.begin(run)
    const good = golden('samples/http/nginx.ndjson')[0]
    const body = 'é'.repeat(3 * 1024 * 1024)
    out.write(good)
    out.write({...good, url: {...good.url, path: body}, pbx: {frames: [7, 8]}})
    await out.end(run)
    expect(out.delivery!()).toMatchObject({sent: 2, failed: 0})
    const rows = await query(file, 'select length(url.path) as n, pbx.frames[1] as f from http order by f')
    expect(rows.map((r) => r.n)).toEqual([BigInt(good.url.path.length), BigInt(body.length)])
  })
})

describe('duckdb output, failed load', () => {
  it('counts the rows of a batch that cannot be loaded as failed, and warns', async () => {
    const dir = mkdtempSync(join(tmp, 'lost-'))
    const warnings: string[] = []
    const out = (await factory.create({path: join(dir, 'x.duckdb')}, testContext(warnings))) as Output
    const run = {files: [], stats: undefined as never, captures: [], errors: []}
    out.begin(run)
    for (const e of golden('samples/http/nginx.ndjson')) out.write(e)
    // The staging file vanishes before its load (a cleaner, a full disk...), once it is open.
    for (let i = 0; i < 100 && !readdirSync(dir).some((f) => f.startsWith('.pbx-stage-')); i++) await new Promise((r) => setTimeout(r, 10))
    for (const f of readdirSync(dir)) if (f.startsWith('.pbx-stage-')) rmSync(join(dir, f))
    await out.end(run)
    const d = out.delivery!()
    expect(d.sent).toBe(0)
    expect(d.failed).toBe(golden('samples/http/nginx.ndjson').length)
    expect([...d.reasons.keys()][0]).toMatch(/^cannot load http: /)
    expect(warnings).toHaveLength(1)
  })
})

describe('parquet output', () => {
  it('writes one Parquet file per table that got rows, readable with the same questions', async () => {
    const dir = join(tmp, 'pq')
    const out = (await parquetFactory.create({path: dir}, testContext())) as Output
    await runInto([...HTTP, DNS], out)
    expect(readdirSync(dir).sort()).toEqual(['dns.parquet', 'http.parquet'])
    const fromDb = await query(join(tmp, 'tx.duckdb'), QUESTIONS.p99('http'))
    const fromPq = await query(':memory:', QUESTIONS.p99(`read_parquet('${join(dir, 'http.parquet')}')`))
    expect(fromPq).toEqual(fromDb)
    const names = await query(':memory:', QUESTIONS.names(`read_parquet('${join(dir, 'dns.parquet')}')`))
    expect(names.length).toBeGreaterThan(0)
    expect(existsSync(join(dir, `.pbx-staging-${process.pid}.tmp`))).toBe(false)
  })

  it('names the bad key', async () => {
    await expect(Promise.resolve(parquetFactory.create({path: tmp, compression: 'lz5'}, testContext()))).rejects.toThrow(/output\.parquet\.compression: expected one of zstd/)
    await expect(Promise.resolve(factory.create({}, testContext()))).rejects.toThrow(/output\.duckdb\.path: required/)
  })
})
