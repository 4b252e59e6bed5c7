/**
 * Output throughput: `npx tsx scripts/bench/outputs.ts [--packets N] [--only a,b] [--json FILE]`
 * (`npm run bench` runs it; --json writes the rows and the ratios).
 *
 * Generates (once, into .bench/) a mixed capture (HTTP, DNS, TLS, MySQL, PostgreSQL, Redis,
 * memcache, MongoDB) with the bench generators, then runs the whole pipeline (run()) in this
 * process into each output in turn and reports events/s, wall time and the process's peak RSS
 * growth. Outputs measured:
 *   ndjson-fast   NDJSON to a file through the fast path (no event objects): the pipeline's speed
 *   ndjson        NDJSON to a file from built events (what every other output receives)
 *   file          output.file (rotating NDJSON files, 10 MiB each)
 *   elasticsearch a local stand-in cluster in a child process (reads each bulk, gunzips it,
 *                 answers success), so its CPU does not count against the pipeline's
 *   clickhouse    a private clickhouse-server (as the tests start it); skipped when not installed
 *   duckdb        a DuckDB file;  parquet  a directory of Parquet files
 * The ratio column is events/s against ndjson-fast: the issue asks that no output cut the
 * pipeline's throughput by more than half (ratio >= 0.5).
 */
import {spawn} from 'node:child_process'
import {createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {commonFields} from '../../src/event/fields.js'
import {fields as flowFields} from '../../src/flows/fields.js'
import {makeLimits} from '../../src/limits.js'
import {factory as clickhouse} from '../../src/output/clickhouse/index.js'
import {factory as duckdb, parquetFactory as parquet} from '../../src/output/duckdb/index.js'
import {factory as elasticsearch} from '../../src/output/elasticsearch/index.js'
import {factory as file} from '../../src/output/file/index.js'
import {NdjsonOutput} from '../../src/output/ndjson/index.js'
import type {Output, OutputContext} from '../../src/output/types.js'
import {TextWriter} from '../../src/output/writer.js'
import {fileSources} from '../../src/capture/source.js'
import {run as runPipeline} from '../../src/run/run.js'
import {protocols} from '../../src/protocols/registry.js'
import {PrivateClickHouse} from '../../test/support/clickhouse-server.js'
import {type GenCounters, generateCapture, type Session, TcpSession, UdpSession} from './capture-gen.js'
import {HttpGen} from './http-gen.js'
import {Rng} from './rng.js'
import {dnsDialogue, memcacheDialogue, mongoDialogue, mysqlDialogue, pgsqlDialogue, redisDialogue, tlsDialogue} from './wire-gen.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const DIR = join(ROOT, '.bench')

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i < 0 ? undefined : process.argv[i + 1]
}
const PACKETS = Number(arg('--packets') ?? 300_000)
const ONLY = arg('--only')?.split(',')
const JSON_OUT = arg('--json')

function capture(): string {
  mkdirSync(DIR, {recursive: true})
  const path = join(DIR, `outputs-mixed-${PACKETS}.pcap`)
  if (existsSync(path) && statSync(path).size > 0) return path
  process.stdout.write(`generating ${path} (${PACKETS} packets)... `)
  const rng = new Rng(0x5eed0010)
  const c: GenCounters = {packets: 0, bytes: 0, sessions: 0, exchanges: 0, reordered: 0, retransmitted: 0}
  const http = new HttpGen(rng)
  const pert = {reorder: 0.01, retransmit: 0.002}
  const newSession = (n: number): Session => {
    const x = rng.next()
    const server = `10.3.${Math.floor(x * 10)}.${1 + (n % 4)}`
    if (x < 0.3) return new TcpSession(http.dialogue(80, rng.int(1, 40)), n, server, rng, pert, c)
    if (x < 0.5) return new UdpSession(dnsDialogue(rng, rng.int(1, 3)), n, server, c)
    if (x < 0.58) return new TcpSession(tlsDialogue(rng, rng.int(0, 12)), n, server, rng, pert, c)
    if (x < 0.66) return new TcpSession(mysqlDialogue(rng, rng.int(1, 40)), n, server, rng, pert, c)
    if (x < 0.74) return new TcpSession(pgsqlDialogue(rng, rng.int(1, 40)), n, server, rng, pert, c)
    if (x < 0.84) return new TcpSession(redisDialogue(rng, rng.int(1, 60)), n, server, rng, pert, c)
    if (x < 0.92) return new TcpSession(memcacheDialogue(rng, rng.int(1, 60)), n, server, rng, pert, c)
    return new TcpSession(mongoDialogue(rng, rng.int(1, 30)), n, server, rng, pert, c)
  }
  generateCapture({path, packets: PACKETS, concurrency: 256, rng, newSession}, c)
  console.log('done')
  return path
}

/** A bulk endpoint in a child process: GET / and POST /_bulk (gunzip, count lines, answer OK). */
const FAKE_ES = `
const http = require('node:http'); const zlib = require('node:zlib')
const s = http.createServer((req, res) => {
  const chunks = []; req.on('data', (c) => chunks.push(c)); req.on('end', () => {
    let body = Buffer.concat(chunks)
    if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body)
    let n = 0; for (let i = 0; i < body.length; i++) if (body[i] === 10) n++
    const out = req.url === '/' ? {version: {number: '9.0.0'}} : {took: 1, errors: false, items: []}
    res.writeHead(200, {'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch'})
    res.end(JSON.stringify(out))
  })
})
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))
`

async function fakeEs(): Promise<{url: string; stop: () => void}> {
  const p = spawn(process.execPath, ['-e', FAKE_ES], {stdio: ['ignore', 'pipe', 'inherit']})
  const port = await new Promise<string>((r) => p.stdout.once('data', (c: Buffer) => r(c.toString().trim())))
  return {url: `http://127.0.0.1:${port}`, stop: () => p.kill()}
}

export interface Row {
  name: string
  events: number
  ms: number
  /** CPU time of this process (DuckDB's threads included; a server's own CPU not). */
  cpuMs: number
  rssMb: number
  failed: number
}

async function run(name: string, make: () => Promise<Output>, pcap: string): Promise<Row> {
  const out = await make()
  const rss0 = process.memoryUsage().rss
  let peak = rss0
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const r = await runPipeline({sources: fileSources([pcap]), protocols: [...protocols], limits: makeLimits(), outputs: [out]})
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  clearInterval(timer)
  const row = {name, events: r.events, ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: (peak - rss0) / 2 ** 20, failed: out.delivery?.().failed ?? 0}
  console.log(
    `${name.padEnd(14)} ${String(row.events).padStart(8)} events ${(row.events / (ms / 1000)).toFixed(0).padStart(9)} ev/s ${ms.toFixed(0).padStart(7)} ms  cpu ${row.cpuMs.toFixed(0).padStart(6)} ms  rss +${row.rssMb.toFixed(0)} MiB${row.failed ? `  FAILED ${row.failed}` : ''}`,
  )
  return row
}

async function main(): Promise<void> {
  const pcap = capture()
  const tmp = join(DIR, 'outputs-tmp')
  rmSync(tmp, {recursive: true, force: true})
  mkdirSync(tmp, {recursive: true})
  const ctx: OutputContext = {
    fields: [...commonFields, ...protocols.flatMap((p) => p.fields), ...flowFields],
    protocols: protocols.map((p) => p.name),
    limits: makeLimits(),
    warn: (m) => console.error(`warn: ${m}`),
  }
  const ndjsonTo = (path: string, fast: boolean): Output => {
    const o = new NdjsonOutput(new TextWriter(createWriteStream(path), path), true)
    if (!fast) (o as {writeTransaction?: unknown}).writeTransaction = undefined
    return o
  }
  const rows: Row[] = []
  const want = (n: string) => !ONLY || ONLY.includes(n)
  // A first, unreported run warms the JIT and the file cache up, so the first row is not penalised.
  console.log('(warm-up run)')
  await run('warm-up', async () => ndjsonTo(join(tmp, 'warm.ndjson'), true), pcap)
  console.log('')
  rows.push(await run('ndjson-fast', async () => ndjsonTo(join(tmp, 'fast.ndjson'), true), pcap))
  if (want('ndjson')) rows.push(await run('ndjson', async () => ndjsonTo(join(tmp, 'slow.ndjson'), false), pcap))
  if (want('file')) rows.push(await run('file', async () => file.create({path: join(tmp, 'files'), rotate_every_kb: 10240}, ctx), pcap))
  if (want('elasticsearch')) {
    const es = await fakeEs()
    try {
      rows.push(await run('elasticsearch', async () => elasticsearch.create({hosts: es.url}, ctx), pcap))
    } finally {
      es.stop()
    }
  }
  if (want('clickhouse')) {
    const ch = new PrivateClickHouse()
    try {
      await ch.start()
      rows.push(await run('clickhouse', async () => clickhouse.create({url: ch.url}, ctx), pcap))
    } catch (e) {
      console.log(`clickhouse     skipped: ${(e as Error).message.split('\n')[0]}`)
    } finally {
      await ch.stop()
    }
  }
  if (want('duckdb')) rows.push(await run('duckdb', async () => duckdb.create({path: join(tmp, 'tx.duckdb')}, ctx), pcap))
  if (want('parquet')) rows.push(await run('parquet', async () => parquet.create({path: join(tmp, 'parquet')}, ctx), pcap))
  const base = rows[0].events / rows[0].ms
  const ratios: Record<string, number> = {}
  console.log('\nratio to ndjson-fast (>= 0.5 required):')
  for (const r of rows) {
    ratios[r.name] = r.events / r.ms / base
    console.log(`  ${r.name.padEnd(14)} ${ratios[r.name].toFixed(2)}${ratios[r.name] < 0.5 ? '  below 0.5' : ''}`)
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, `${JSON.stringify({packets: PACKETS, rows, ratios}, null, 2)}\n`)
  rmSync(tmp, {recursive: true, force: true})
}

await main()
