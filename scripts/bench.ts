/**
 * pbx benchmark: `npm run bench [-- flags]`.
 *
 *   --packets N   size of the HTTP capture (default 1,000,000; the mixed capture gets N/2)
 *   --quick       100,000 packets (for trying it out)
 *   --repeat N    runs per measured stage; the fastest run is reported (default 3)
 *   --json FILE   also write all results as JSON
 *   --profile     with --stages: also run the CLI once under `node --cpu-prof` and print the hot spots
 *   --no-external skip the npm packages compared against (ndjson, pcap-parser)
 *   --stages      also the stage-by-stage figures (framing, decode, CLI) on the http and mixed captures
 *   --hostile     also the full-size hostile flood captures (scripts/fuzz/hostile-bench.ts), peak RSS
 *   --no-processors  skip the processor cost case (run by default, see below)
 *   --processors-only  only the processor cost case
 *   --generate-only  generate the captures and exit
 *   --no-outputs  skip the output bench (scripts/bench/outputs.ts)
 *   --no-live     skip the live bench (scripts/bench/live.ts)
 *
 * 0. Side by side on one generated capture like issue 13's (HTTP keep-alive + DNS, ~30k TCP
 *    connections per million packets): `capinfos -c` (C record walk, the floor), `tcpflow -FX`
 *    (C++ TCP reassembly, no flow files: its report goes to a temporary directory deleted after),
 *    `ndpiReader -q -i` (nDPI flows and protocol detection), pbx `analyze --format ndjson` with one
 *    worker and with two (when the build has --workers), and tshark on a 100k-packet prefix; packets/s
 *    and MB/s by CPU time, peak RSS and the ratios. Missing tcpflow / ndpiReader are installed with
 *    apt-get when running as root (else a note says how and the row is skipped).
 *
 * After 0 (the default run): events/s into each output against NDJSON to a file
 *    (scripts/bench/outputs.ts: Elasticsearch against a local stand-in, ClickHouse against a private
 *    clickhouse-server, DuckDB, Parquet; ratio >= 0.5 required), and the packets/s `pbx live` keeps
 *    up with on loopback (scripts/bench/live.ts: needs root and tcpreplay; said plainly when not).
 *
 * 1. Generates (once; reused while the parameters match) synthetic captures into .bench/ (git-ignored)
 *    with the streaming pcap writer: an HTTP keep-alive capture (thousands of interleaved connections,
 *    some reordering and retransmissions) and a mixed one (HTTP, DNS/UDP, TLS, MySQL, PostgreSQL,
 *    Redis, memcache, MongoDB).
 * 2. Measures, each stage in its own child process (wall clock and peak RSS from /usr/bin/time -v):
 *    (a) framing only, (a2) framing + decode (Decoder, no-op sink), (b) framing + decode +
 *    reassembly, (c) the built CLI `analyze --format ndjson` to /dev/null, (d) capinfos (C record walk), (e) tshark extracting HTTP fields on a 100k-packet
 *    prefix; plus pcap-parser vs our CaptureParser, and the npm ndjson stream vs our NDJSON writer.
 * 3. Processor cost (default; --no-processors skips it): the generated HTTP capture of (1) analysed
 *    with no processors, then with a drop_event on ~90% of the events (status below 400) and a
 *    three-field script processor on the rest (scripts/bench/processors.yml); prints the slowdown
 *    by CPU time, whole process and work only (minus a 10-packet run with the same config). Target:
 *    under 25% slowdown.
 * The CLI runs dist/: build first (`npm run build`); the bench warns when dist is older than src.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {type GenCounters, generateCapture, type Session, TcpSession, UdpSession} from './bench/capture-gen.js'
import {HttpGen} from './bench/http-gen.js'
import {haveGnuTime, type Measured, measure} from './bench/measure.js'
import {summarise} from './bench/profile.js'
import {Rng} from './bench/rng.js'
import {
  dnsDialogue,
  memcacheDialogue,
  mongoDialogue,
  mysqlDialogue,
  pgsqlDialogue,
  redisDialogue,
  tlsDialogue,
} from './bench/wire-gen.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BENCH_DIR = join(ROOT, '.bench')
const NPM_DIR = join(BENCH_DIR, 'npm')
const CLI = join(ROOT, 'bin', 'run.js')
const STAGE = join(ROOT, 'scripts', 'bench', 'stage.ts')
/** Bump when the generators change, so that cached captures are regenerated. */
const GEN_VERSION = 1
const PREFIX_PACKETS = 100_000
const PCAP_PARSER_VERSION = '0.2.1'

// ----------------------------------------------------------------------------------- arguments

interface Args {
  packets: number
  repeat: number
  json?: string
  profile: boolean
  external: boolean
  genOnly: boolean
  stages: boolean
  hostile: boolean
  processors: boolean
  processorsOnly: boolean
  outputs: boolean
  live: boolean
}

function parseArgs(argv: string[]): Args {
  const a: Args = {packets: 1_000_000, repeat: 3, profile: false, external: true, genOnly: false, stages: false, hostile: false, processors: true, processorsOnly: false, outputs: true, live: true}
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]
    const val = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${f} needs a value`)
      return v
    }
    if (f === '--packets') a.packets = Number(val().replace(/_/g, ''))
    else if (f === '--quick') a.packets = 100_000
    else if (f === '--repeat') a.repeat = Number(val())
    else if (f === '--json') a.json = val()
    else if (f === '--profile') a.profile = true
    else if (f === '--no-external') a.external = false
    else if (f === '--generate-only') a.genOnly = true
    else if (f === '--stages') a.stages = true
    else if (f === '--hostile') a.hostile = true
    else if (f === '--no-processors') a.processors = false
    else if (f === '--processors-only') a.processorsOnly = true
    else if (f === '--no-outputs') a.outputs = false
    else if (f === '--no-live') a.live = false
    else throw new Error(`unknown flag ${f} (see scripts/bench.ts)`)
  }
  if (!Number.isInteger(a.packets) || a.packets < 1000) throw new Error('--packets must be an integer >= 1000')
  if (!Number.isInteger(a.repeat) || a.repeat < 1) throw new Error('--repeat must be a positive integer')
  return a
}

// ---------------------------------------------------------------------------------- generation

interface CaptureMeta {
  kind: Kind
  version: number
  target: number
  counters: GenCounters
  genMs: number
}

const PERT = {reorder: 0.01, retransmit: 0.002}

type Kind = 'http' | 'mixed' | 'issue'

function newCounters(): GenCounters {
  return {packets: 0, bytes: 0, sessions: 0, exchanges: 0, reordered: 0, retransmitted: 0}
}

/** Generates `.bench/<kind>-<target>.pcap` unless it exists with the same parameters. */
function ensureCapture(kind: Kind, target: number): {path: string; meta: CaptureMeta} {
  const path = join(BENCH_DIR, `${kind}-${target}.pcap`)
  const metaPath = `${path}.json`
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CaptureMeta
    if (meta.version === GEN_VERSION && meta.target === target && statSync(path).size > 0) {
      console.log(`reusing ${rel(path)} (${fmtInt(meta.counters.packets)} packets)`)
      return {path, meta}
    }
  }
  process.stdout.write(`generating ${rel(path)} (${fmtInt(target)} packets)... `)
  const t0 = performance.now()
  const rng = new Rng(kind === 'http' ? 0x5eed0001 : kind === 'mixed' ? 0x5eed0002 : 0x5eed0003)
  const c = newCounters()
  const http = new HttpGen(rng)
  let newSession: (n: number) => Session
  let concurrency = 256
  if (kind === 'issue') {
    // Like the capture of issue 13: HTTP keep-alive + DNS, ~33 packets per TCP connection (1M
    // packets -> ~30k TCP connections), ~3,000 connections open at once.
    concurrency = 3000
    newSession = (n) =>
      rng.next() < 0.8
        ? new TcpSession(http.dialogue(80, rng.int(1, 5)), n, `10.2.${n % 16}.${1 + (n % 8)}`, rng, PERT, c)
        : new UdpSession(dnsDialogue(rng, 1), n, `10.4.0.${1 + (n % 2)}`, c)
  } else if (kind === 'http') {
    // ~200 packets per connection on average: 1M packets -> ~5,000 connections.
    newSession = (n) => new TcpSession(http.dialogue(80, rng.int(1, 70)), n, `10.2.0.${1 + (n % 8)}`, rng, PERT, c)
  } else {
    newSession = (n) => {
      const x = rng.next()
      const server = `10.3.${Math.floor(x * 10)}.${1 + (n % 4)}`
      if (x < 0.25) return new TcpSession(http.dialogue(80, rng.int(1, 40)), n, server, rng, PERT, c)
      if (x < 0.45) return new UdpSession(dnsDialogue(rng, rng.int(1, 3)), n, server, c)
      if (x < 0.55) return new TcpSession(tlsDialogue(rng, rng.int(0, 12)), n, server, rng, PERT, c)
      if (x < 0.63) return new TcpSession(mysqlDialogue(rng, rng.int(1, 40)), n, server, rng, PERT, c)
      if (x < 0.71) return new TcpSession(pgsqlDialogue(rng, rng.int(1, 40)), n, server, rng, PERT, c)
      if (x < 0.81) return new TcpSession(redisDialogue(rng, rng.int(1, 60)), n, server, rng, PERT, c)
      if (x < 0.91) return new TcpSession(memcacheDialogue(rng, rng.int(1, 60)), n, server, rng, PERT, c)
      return new TcpSession(mongoDialogue(rng, rng.int(1, 30)), n, server, rng, PERT, c)
    }
  }
  generateCapture({path, packets: target, concurrency, rng, newSession}, c)
  const meta: CaptureMeta = {kind, version: GEN_VERSION, target, counters: c, genMs: performance.now() - t0}
  writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`)
  console.log(`${(meta.genMs / 1000).toFixed(1)} s, ${fmtInt(c.packets)} packets, ${fmtInt(c.sessions)} sessions`)
  return {path, meta}
}

/** First `n` packets of `src` (editcap), cached next to it. */
function ensurePrefix(src: string, n: number): string {
  const out = src.replace(/\.pcap$/, `-first${n}.pcap`)
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('editcap', ['-F', 'pcap', '-r', src, out, `1-${n}`], {stdio: 'ignore'})
  }
  return out
}

// ---------------------------------------------------------------------------- external packages

/**
 * Directory whose node_modules holds `names`: the project's own if they are there, else .bench/npm,
 * where they are installed on demand with `npm install --no-save --prefix .bench/npm` (the project's
 * package.json and node_modules are never touched). Null if the registry refused.
 */
function externalModules(specs: string[]): string | null {
  const names = specs.map((s) => s.replace(/(.)@.*$/, '$1'))
  const has = (dir: string) => names.every((n) => existsSync(join(dir, 'node_modules', n, 'package.json')))
  if (has(ROOT)) return ROOT
  if (has(NPM_DIR)) return NPM_DIR
  mkdirSync(NPM_DIR, {recursive: true})
  console.log(`installing ${specs.join(' ')} into ${rel(NPM_DIR)} (npm install --no-save)...`)
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', NPM_DIR, ...specs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (r.status !== 0 || !has(NPM_DIR)) {
    console.log(`  skipped: npm install failed (${(r.stderr || r.stdout || '').trim().split('\n').slice(-1)[0] ?? r.status})`)
    return null
  }
  return NPM_DIR
}

// ---------------------------------------------------------------------------------- measuring

interface Row {
  capture: string
  stage: string
  packets: number
  fileBytes: number
  wallMs: number
  /** CPU time (user + system) of the process. */
  cpuMs: number | null
  /** CPU time of the work alone, without process start-up (in-process, or CPU minus CLI start-up). */
  netCpuMs?: number
  peakRss: number | null
  runs: number
  note?: string
}

const rows: Row[] = []

/**
 * Runs a command `repeat` times; keeps the run with the least CPU time (its stdout too), the least
 * wall time of all runs and the largest peak RSS.
 */
async function run(cmd: string, args: string[], repeat: number, keepStdout = false): Promise<Measured> {
  let best: Measured | null = null
  let rss: number | null = null
  let wall = Number.POSITIVE_INFINITY
  for (let i = 0; i < repeat; i++) {
    const m = await measure(cmd, args, {cwd: ROOT, keepStdout})
    if (m.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${m.code}: ${m.stderr.trim().slice(-2000)}`)
    wall = Math.min(wall, m.wallMs)
    if (m.peakRss !== null) rss = Math.max(rss ?? 0, m.peakRss)
    if (best === null || (m.cpuMs ?? m.wallMs) < (best.cpuMs ?? best.wallMs)) best = m
  }
  return {...best!, wallMs: wall, peakRss: rss}
}

interface StageOut {
  packets: number
  bytes: number
  loopMs: number
  loopCpuMs: number
  [k: string]: unknown
}

async function stage(name: string, file: string, repeat: number, moduleDir = ''): Promise<{m: Measured; r: StageOut}> {
  const m = await run(process.execPath, ['--import', 'tsx', STAGE, name, file, moduleDir], repeat, true)
  // The chosen run's own figures (its last stdout line).
  const r = JSON.parse(m.stdout.trim().split('\n').pop()!) as StageOut
  return {m, r}
}

async function cliAnalyze(file: string, repeat: number): Promise<Measured> {
  return run(process.execPath, [CLI, 'analyze', file, '--format', 'ndjson', '-o', '/dev/null'], repeat)
}

/** Events the CLI emits for `file` (one extra, unmeasured run; stdout counted here). */
function countEvents(file: string): {events: number; byType: Record<string, number>; stderr: string} {
  const r = spawnSync(process.execPath, [CLI, 'analyze', file, '--format', 'ndjson'], {cwd: ROOT, maxBuffer: 4 * 1024 * 1024 * 1024})
  const byType: Record<string, number> = {}
  let events = 0
  const text = r.stdout.toString('utf8')
  for (const line of text.split('\n')) {
    if (line.length === 0) continue
    events++
    // The first "type" of a line is the event's (build.ts inserts it right after @timestamp).
    const t = /"type":"([^"]*)"/.exec(line)?.[1] ?? '?'
    byType[t] = (byType[t] ?? 0) + 1
  }
  return {events, byType, stderr: r.stderr.toString('utf8').trim()}
}

// ---------------------------------------------------------------------------------- formatting

function rel(p: string): string {
  return p.startsWith(`${ROOT}/`) ? p.slice(ROOT.length + 1) : p
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`
  return n.toFixed(0)
}

function mb(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${(bytes / 1e6).toFixed(0)}`
}

function table(header: string[], body: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n')
}

/** Packets per second by CPU time (default), by CPU time of the work alone ('net'), or by wall time. */
function pps(r: Row, by: 'cpu' | 'net' | 'wall' = 'cpu'): number {
  const ms = by === 'wall' ? r.wallMs : by === 'net' ? (r.netCpuMs ?? r.cpuMs ?? r.wallMs) : (r.cpuMs ?? r.wallMs)
  return r.packets / (ms / 1000)
}

function row(capture: string, stage: string, packets: number, fileBytes: number, m: Measured, runs: number, netCpuMs?: number): Row {
  const r: Row = {capture, stage, packets, fileBytes, wallMs: m.wallMs, cpuMs: m.cpuMs, netCpuMs, peakRss: m.peakRss, runs}
  rows.push(r)
  return r
}

// ---------------------------------------------------------------------------------------- main

function distIsStale(): boolean {
  const newest = (dir: string, ext: string): number => {
    let t = 0
    for (const e of readdirSync(dir, {withFileTypes: true, recursive: true})) {
      if (e.isFile() && e.name.endsWith(ext)) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs)
    }
    return t
  }
  if (!existsSync(join(ROOT, 'dist', 'commands', 'analyze.js'))) return true
  return newest(join(ROOT, 'src'), '.ts') > newest(join(ROOT, 'dist'), '.js')
}

// ------------------------------------------------------------------------- side by side (issue 13)

/** True if `tool` is on PATH; when not and we are root, tries `apt-get install -y pkg` once. */
function ensureTool(tool: string, pkg: string): boolean {
  const have = () => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0
  if (have()) return true
  if (process.getuid?.() !== 0) {
    console.log(`note: ${tool} not found and not running as root: skipped (sudo apt-get install ${pkg})`)
    return false
  }
  console.log(`${tool} not found: apt-get install -y ${pkg}...`)
  spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], {stdio: 'ignore', env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}})
  if (!have()) console.log(`note: apt-get install ${pkg} failed: ${tool} skipped`)
  return have()
}

/** Whether the built CLI knows `--workers` (the bench also measures builds from before it). */
function cliHasWorkers(): boolean {
  const r = spawnSync(process.execPath, [CLI, 'analyze', '--help'], {cwd: ROOT, encoding: 'utf8'})
  return /--workers/.test(r.stdout ?? '')
}

async function compareTools(issue: {path: string; meta: CaptureMeta}, args: Args): Promise<void> {
  const R = args.repeat
  const file = issue.path
  const packets = issue.meta.counters.packets
  const bytes = statSync(file).size
  const prefixN = Math.min(PREFIX_PACKETS, packets)
  const prefix = ensurePrefix(file, prefixN)
  const tiny = ensurePrefix(file, 10)
  const out: Row[] = []
  const add = (stage: string, n: number, b: number, m: Measured, runs: number): Row => {
    const r: Row = {capture: 'issue', stage, packets: n, fileBytes: b, wallMs: m.wallMs, cpuMs: m.cpuMs, peakRss: m.peakRss, runs}
    out.push(r)
    rows.push(r)
    return r
  }
  console.log(`side by side on ${rel(file)}: ${fmtInt(packets)} packets, ${(bytes / 1e6).toFixed(0)} MB (best CPU time of ${R} runs each)...`)
  const capinfos = add('capinfos -c (C record walk: the floor)', packets, bytes, await run('capinfos', ['-c', file], R), R)
  let tcpflow: Row | null = null
  if (ensureTool('tcpflow', 'tcpflow')) {
    const dir = mkdtempSync(join(tmpdir(), 'pbx-bench-tcpflow-'))
    try {
      tcpflow = add('tcpflow -FX (C++ TCP reassembly, no output)', packets, bytes, await run('tcpflow', ['-FX', '-o', dir, '-r', file], R), R)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }
  let ndpi: Row | null = null
  if (ensureTool('ndpiReader', 'libndpi-bin')) {
    ndpi = add('ndpiReader -q -i (C, nDPI flows)', packets, bytes, await run('ndpiReader', ['-q', '-i', file], R), R)
  }
  const workers = cliHasWorkers()
  const pbxArgs = (f: string, w: number | null) => [CLI, 'analyze', f, '--format', 'ndjson', '-o', '/dev/null', ...(w === null ? [] : ['--workers', String(w)])]
  const start = add('pbx analyze, 10-packet file (start-up)', 10, statSync(tiny).size, await run(process.execPath, pbxArgs(tiny, workers ? 1 : null), R), R)
  const pbx1 = add(`pbx analyze --format ndjson${workers ? ' --workers 1' : ''}`, packets, bytes, await run(process.execPath, pbxArgs(file, workers ? 1 : null), R), R)
  const pbx2 = workers ? add('pbx analyze --format ndjson --workers 2', packets, bytes, await run(process.execPath, pbxArgs(file, 2), R), R) : null
  const ts = add(
    `tshark -T fields (${fmtInt(prefixN)}-packet prefix)`,
    prefixN,
    statSync(prefix).size,
    await run('tshark', ['-r', prefix, '-T', 'fields', '-e', 'http.request.method', '-e', 'http.response.code', '-e', 'dns.qry.name'], 1),
    1,
  )
  console.log('')
  const rate = (r: Row) => pps(r)
  console.log(
    table(
      ['tool', '', 'packets/s', 'MB/s', 'peak RSS MB', 'CPU s', 'wall s', 'vs capinfos -c'],
      out.map((r) => [
        r.stage,
        '',
        r.packets > 10 ? fmtRate(rate(r)) : '',
        r.packets > 10 ? (r.fileBytes / 1e6 / ((r.cpuMs ?? r.wallMs) / 1000)).toFixed(0) : '',
        mb(r.peakRss),
        r.cpuMs === null ? 'n/a' : (r.cpuMs / 1000).toFixed(2),
        (r.wallMs / 1000).toFixed(2),
        r.packets > 10 ? `${((100 * rate(r)) / rate(capinfos)).toFixed(1)}%` : '',
      ]),
    ),
  )
  console.log('')
  console.log('packets/s and MB/s by CPU time (user + system, all threads); with 2 workers, wall time is what a user waits:')
  const ok = (b: boolean) => (b ? 'MET ' : 'MISS')
  const p1 = rate(pbx1)
  console.log(`  [${ok(p1 >= 500e3)}] one thread ${fmtInt(p1)} packets/s (target >= 500,000); ${(100 * p1 / rate(capinfos)).toFixed(1)}% of capinfos -c (>= 19%)`)
  if (ndpi) console.log(`  [${ok(p1 >= 2.4 * rate(ndpi))}] ${(p1 / rate(ndpi)).toFixed(2)}x ndpiReader (target >= 2.4x)`)
  if (tcpflow) console.log(`  [${ok(p1 > rate(tcpflow))}] ${(p1 / rate(tcpflow)).toFixed(2)}x tcpflow -FX (target > 1x)`)
  console.log(`        ${(p1 / rate(ts)).toFixed(1)}x tshark (prefix)`)
  if (pbx2) {
    const sp = pbx1.wallMs / pbx2.wallMs
    console.log(`  [${ok(sp >= 1.7)}] two workers: ${fmtInt(packets / (pbx2.wallMs / 1000))} packets/s by wall = ${sp.toFixed(2)}x one thread by wall (target >= 1.7x); ${fmtInt(rate(pbx2))} packets/s by CPU`)
  } else {
    console.log('  [MISS] two workers: this build has no --workers')
  }
  const worst = Math.max(pbx1.peakRss ?? 0, pbx2?.peakRss ?? 0)
  console.log(`  [${ok(worst <= 200e6)}] peak RSS ${mb(worst)} MB (target <= 200 MB)`)
  console.log(`  [${ok((start.cpuMs ?? 1e9) <= 250)}] start-up ${start.cpuMs === null ? 'n/a' : (start.cpuMs / 1000).toFixed(2)} CPU s on a 10-packet file (target <= 0.25 s)`)
  console.log('')
}

// ------------------------------------------------------------------------------ processor cost

const PROCESSORS_YML = join(ROOT, 'scripts', 'bench', 'processors.yml')

/**
 * The processor cost case (issue 9): the HTTP capture with no processors and with
 * scripts/bench/processors.yml; events go to stdout (a pipe, read here) in both runs, so that the
 * kept events can be counted; prints the slowdown by CPU time.
 */
async function processorCost(args: Args): Promise<void> {
  const R = args.repeat
  const http = ensureCapture('http', args.packets)
  const tiny = ensurePrefix(http.path, 10)
  // The same chain with a condition that never holds: every event is scripted, none dropped (the
  // chain's own cost, with the same output as no processors).
  const allYml = join(BENCH_DIR, 'processors-keep-all.yml')
  writeFileSync(allYml, readFileSync(PROCESSORS_YML, 'utf8').replace('lt: 400', 'lt: 0'))
  const argsFor = (f: string, cfg: string | null) => [CLI, 'analyze', f, '--format', 'ndjson', ...(cfg !== null ? ['-c', cfg] : [])]
  const lines = (out: string) => {
    let n = 0
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n', i + 1)) n++
    return n
  }
  console.log(`processor cost on ${rel(http.path)} (${fmtInt(http.meta.counters.packets)} packets; best CPU time of ${R} runs each)...`)
  const startNone = await run(process.execPath, argsFor(tiny, null), R, true)
  const startProc = await run(process.execPath, argsFor(tiny, PROCESSORS_YML), R, true)
  const none = await run(process.execPath, argsFor(http.path, null), R, true)
  const proc = await run(process.execPath, argsFor(http.path, PROCESSORS_YML), R, true)
  const all = await run(process.execPath, argsFor(http.path, allYml), R, true)
  const cpu = (m: Measured) => m.cpuMs ?? m.wallMs
  const packets = http.meta.counters.packets
  const bytes = statSync(http.path).size
  const cases = [
    {name: 'none', m: none, start: startNone},
    {name: 'drop_event (~90%) + 3-field script', m: proc, start: startProc},
    {name: 'same chain, nothing dropped', m: all, start: startProc},
  ].map((c) => ({...c, events: lines(c.m.stdout), net: cpu(c.m) - cpu(c.start)}))
  for (const c of cases) row('http', `analyze, processors: ${c.name}`, packets, bytes, c.m, R, c.net)
  console.log(
    table(
      ['processors', '', 'events out', 'CPU s', 'CPU s work only', 'wall s', 'peak RSS MB', 'vs none (work)'],
      cases.map((c) => [
        c.name,
        '',
        fmtInt(c.events),
        (cpu(c.m) / 1000).toFixed(2),
        (c.net / 1000).toFixed(2),
        (c.m.wallMs / 1000).toFixed(2),
        mb(c.m.peakRss),
        `${c.net >= cases[0].net ? '+' : ''}${((100 * c.net) / cases[0].net - 100).toFixed(1)}%`,
      ]),
    ),
  )
  const [n, p, a] = cases
  const slowdown = p.net / n.net - 1
  const dropped = n.events > 0 ? 1 - p.events / n.events : 0
  console.log(
    `  [${slowdown < 0.25 ? 'MET ' : 'MISS'}] processor slowdown ${(100 * slowdown).toFixed(1)}% by CPU time of the work ` +
      `(whole process ${((100 * cpu(p.m)) / cpu(n.m) - 100).toFixed(1)}%; ${(100 * dropped).toFixed(1)}% of the events dropped, the script on the rest; target < 25%)`,
  )
  console.log(
    `         every event through the chain, none dropped: ${((100 * a.net) / n.net - 100).toFixed(1)}% (the chain's own cost; dropping saves NDJSON writing)`,
  )
  console.log('')
}

/** The full-size hostile floods, each in its own process (scripts/fuzz/hostile-bench.ts prints peak RSS). */
function hostile(): void {
  console.log('hostile captures, default limits (scripts/fuzz/hostile-bench.ts):')
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'fuzz', 'hostile-bench.ts')], {cwd: ROOT, stdio: 'inherit'})
  console.log('')
}

// ------------------------------------------------------------------------ outputs and live benches

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')

/** Runs a bench script in a child process (its output shown as it comes), returning its --json result. */
function benchScript(script: string, extra: string[]): Record<string, unknown> | null {
  const out = join(BENCH_DIR, `${script.replace(/\W/g, '-')}.json`)
  rmSync(out, {force: true})
  const r = spawnSync(TSX, [join(ROOT, 'scripts', 'bench', script), ...extra, '--json', out], {cwd: ROOT, stdio: 'inherit'})
  if (r.status !== 0 || !existsSync(out)) return null
  return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>
}

/** Events/s into each output against NDJSON to a file (scripts/bench/outputs.ts). */
function outputsBench(args: Args): Record<string, unknown> | null {
  // 300,000 packets of the mixed capture (~60,000 events, about a minute for all outputs); --quick 100,000.
  const packets = args.packets <= 100_000 ? 100_000 : 300_000
  console.log('')
  console.log(`outputs (scripts/bench/outputs.ts --packets ${fmtInt(packets)}): events/s into each output, against NDJSON to a file`)
  const r = benchScript('outputs.ts', ['--packets', String(packets)])
  if (r === null) {
    console.log('  outputs bench failed (see above)')
    return null
  }
  const ratios = r.ratios as Record<string, number>
  console.log(`  ratios (>= 0.5 required): ${Object.entries(ratios).filter(([k]) => k !== 'ndjson-fast').map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`)
  const low = Object.entries(ratios).filter(([, v]) => v < 0.5)
  console.log(`  [${low.length === 0 ? 'ok' : 'FAIL'}] no output cuts the pipeline's throughput by more than half${low.length ? `: ${low.map(([k]) => k).join(', ')} below` : ''}`)
  return r
}

/** The packets/s `pbx live` keeps up with on loopback (scripts/bench/live.ts); null with the reason when it cannot run. */
function liveBench(args: Args): Record<string, unknown> | {skipped: string} {
  console.log('')
  const why =
    process.getuid?.() !== 0
      ? 'not root (pbx live needs root or CAP_NET_RAW; run the bench with sudo)'
      : spawnSync('sh', ['-c', 'command -v tcpreplay']).status !== 0
        ? 'tcpreplay is not installed (apt-get install tcpreplay)'
        : spawnSync(process.execPath, [CLI, 'live', '--list'], {stdio: 'ignore'}).status !== 0
          ? '`pbx live --list` fails (is the libpcap binding built? apt-get install libpcap-dev; npm run build:native)'
          : null
  if (why !== null) {
    console.log(`live bench: NOT RUN: ${why}`)
    return {skipped: why}
  }
  const seconds = args.packets <= 100_000 ? 2 : 3
  console.log(`live (scripts/bench/live.ts --seconds ${seconds}): packets/s pbx live keeps up with on lo without loss (target 100,000)`)
  const r = benchScript('live.ts', ['--seconds', String(seconds), '--rates', '50000,100000,150000,200000', '--repeat', '2'])
  if (r === null) {
    console.log('  live bench failed (see above)')
    return {skipped: 'the live bench failed'}
  }
  return r
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  mkdirSync(BENCH_DIR, {recursive: true})
  if (!existsSync(join(ROOT, 'dist', 'commands', 'analyze.js'))) {
    console.log('dist/ missing: running npm run build')
    execFileSync('npm', ['run', 'build'], {cwd: ROOT, stdio: 'inherit'})
  } else if (distIsStale()) {
    console.log('warning: some src/ file is newer than dist/: the CLI figures measure the last build (npm run build)')
  }
  for (const tool of ['capinfos', 'editcap', 'tshark']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} not found (apt-get install tshark)`)
  }
  console.log(
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, peak RSS via ${haveGnuTime ? '/usr/bin/time -v' : '/proc/PID/status VmHWM polling'}`,
  )

  if (args.processorsOnly) {
    await processorCost(args)
    return
  }
  const issue = ensureCapture('issue', args.packets)
  if (args.genOnly) {
    console.log(issue.path)
    return
  }
  await compareTools(issue, args)
  if (args.processors) await processorCost(args)
  const outputs = args.outputs ? outputsBench(args) : null
  const live = args.live ? liveBench(args) : null
  if (args.hostile) hostile()
  if (!args.stages) {
    if (args.json) writeFileSync(args.json, `${JSON.stringify({date: new Date().toISOString(), node: process.version, cores: cpus().length, args, rows, outputs, live}, null, 2)}\n`)
    return
  }
  const http = ensureCapture('http', args.packets)
  const mixed = ensureCapture('mixed', Math.max(1000, Math.round(args.packets / 2)))
  const prefix = ensurePrefix(http.path, Math.min(PREFIX_PACKETS, http.meta.counters.packets))
  const tiny = ensurePrefix(http.path, 10)
  const size = (p: string) => statSync(p).size
  const prefixPackets = Math.min(PREFIX_PACKETS, http.meta.counters.packets)

  let ext: string | null = null
  if (args.external) ext = externalModules(['ndjson', `pcap-parser@${PCAP_PARSER_VERSION}`])

  const R = args.repeat
  console.log(`measuring (best of ${R} runs per stage; each stage is its own process)...`)
  const base = await stage('baseline', tiny, R)
  const cliStart = await cliAnalyze(tiny, R)
  row('-', 'node + tsx start-up (stage floor)', 0, 0, base.m, R)
  row('-', 'CLI start-up (analyze, 10 packets)', 10, size(tiny), cliStart, R)
  const startCpu = cliStart.cpuMs ?? cliStart.wallMs

  const caps: {name: string; path: string; packets: number}[] = [
    {name: 'http', path: http.path, packets: http.meta.counters.packets},
    {name: 'mixed', path: mixed.path, packets: mixed.meta.counters.packets},
  ]
  const decodeInfo: Record<string, StageOut> = {}
  for (const c of caps) {
    const bytes = size(c.path)
    const cap = await run('capinfos', ['-c', c.path], R)
    row(c.name, '(d) capinfos -c (C record walk)', c.packets, bytes, cap, R)
    const fr = await stage('framing', c.path, R)
    row(c.name, '(a) framing: CaptureParser, no-op sink', fr.r.packets, bytes, fr.m, R, fr.r.loopCpuMs)
    const dc = await stage('decoder', c.path, R)
    row(c.name, '(a2) framing+decode: Decoder, no-op sink', dc.r.packets, bytes, dc.m, R, dc.r.loopCpuMs)
    const de = await stage('decode', c.path, R)
    decodeInfo[c.name] = de.r
    row(c.name, '(b) framing+decode+reassembly', de.r.packets, bytes, de.m, R, de.r.loopCpuMs)
    const an = await cliAnalyze(c.path, R)
    row(c.name, '(c) CLI analyze --format ndjson', c.packets, bytes, an, R, (an.cpuMs ?? an.wallMs) - startCpu)
  }

  // (e) tshark on the prefix, and pbx on the same prefix.
  const pBytes = size(prefix)
  const ts = await run('tshark', ['-r', prefix, '-Y', 'http', '-T', 'fields', '-e', 'http.request.method', '-e', 'http.response.code'], 1)
  const pname = `http first ${fmtInt(prefixPackets)}`
  const tsRow = row(pname, '(e) tshark -Y http -T fields', prefixPackets, pBytes, ts, 1)
  const anP = await cliAnalyze(prefix, R)
  const pbxP = row(pname, '(c) CLI analyze --format ndjson', prefixPackets, pBytes, anP, R, (anP.cpuMs ?? anP.wallMs) - startCpu)

  // Reader claim: pcap-parser on the same file as (a).
  let pcapParserRow: Row | null = null
  if (ext !== null) {
    const pp = await stage('pcap-parser', http.path, R, ext)
    pcapParserRow = row('http', `pcap-parser ${PCAP_PARSER_VERSION} (npm), no-op listener`, pp.r.packets, size(http.path), pp.m, R, pp.r.loopCpuMs)
  }

  // NDJSON writer claim (tinybench inside one child process).
  const nd = await stage('ndjson', prefix, 1, ext ?? '')

  // ------------------------------------------------------------------------------ report
  console.log('')
  console.log(
    table(
      ['capture', 'stage', 'packets', 'wall s', 'CPU s', 'pkt/s', 'MB/s', 'peak RSS MB', 'pkt/s work only', 'pkt/s by wall'],
      rows.map((r) => [
        r.capture,
        r.stage,
        fmtInt(r.packets),
        (r.wallMs / 1000).toFixed(2),
        r.cpuMs === null ? 'n/a' : (r.cpuMs / 1000).toFixed(2),
        r.packets > 10 ? fmtRate(pps(r)) : '',
        r.fileBytes > 10000 ? (r.fileBytes / 1e6 / ((r.cpuMs ?? r.wallMs) / 1000)).toFixed(0) : '',
        mb(r.peakRss),
        r.netCpuMs !== undefined && r.packets > 10 ? fmtRate(pps(r, 'net')) : '',
        r.packets > 10 ? fmtRate(pps(r, 'wall')) : '',
      ]),
    ),
  )
  const find = (cap: string, st: string) => rows.find((r) => r.capture === cap && r.stage.startsWith(st))!
  const ratios: Record<string, unknown> = {}
  console.log('')
  console.log('pkt/s and MB/s are by CPU time (user + system) of each process; "work only" leaves out process start-up')
  console.log('(in-process CPU clock for (a)/(b), CPU minus the CLI start-up run for (c)); "by wall" includes waiting for the CPU.')
  console.log(`load average now: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  console.log('')
  console.log('targets:')
  for (const c of caps) {
    const fr = find(c.name, '(a)')
    const cap = find(c.name, '(d)')
    const an = find(c.name, '(c)')
    const r1 = pps(fr) / pps(cap)
    const r1net = pps(fr, 'net') / pps(cap)
    ratios[`${c.name}.framingVsCapinfos`] = r1
    ratios[`${c.name}.framingWorkOnlyVsCapinfos`] = r1net
    ratios[`${c.name}.analyzePps`] = pps(an)
    ratios[`${c.name}.analyzePpsWorkOnly`] = pps(an, 'net')
    ratios[`${c.name}.analyzePpsWall`] = pps(an, 'wall')
    ratios[`${c.name}.analyzePeakRssMB`] = an.peakRss === null ? null : an.peakRss / 1e6
    const ok = (b: boolean) => (b ? 'MET ' : 'MISS')
    // Judged on the work alone: the stage process also pays ~1 s of node + tsx start-up that the
    // reader does not (capinfos starts in ~10 ms); the whole-process ratio is shown too.
    console.log(
      `  [${ok(r1net >= 0.5)}] ${c.name}: framing vs capinfos packets/s: ${(100 * r1net).toFixed(0)}% of capinfos (whole stage process incl. node+tsx start-up: ${(100 * r1).toFixed(0)}%; target >= 50%)`,
    )
    console.log(
      `  [${ok(pps(an) >= 1e6)}] ${c.name}: full analyze ${fmtInt(pps(an))} packets/s per CPU second (${fmtInt(pps(an, 'net'))} without CLI start-up; target >= 1,000,000 on one core)`,
    )
    console.log(`  [${ok(an.peakRss !== null && an.peakRss <= 200e6)}] ${c.name}: analyze peak RSS ${mb(an.peakRss)} MB (target <= 200 MB)`)
  }
  ratios.tsharkSpeedupSameFile = pps(pbxP) / pps(tsRow)
  ratios.tsharkSpeedupPps = pps(find('http', '(c)')) / pps(tsRow)
  console.log(
    `  pbx vs tshark: ${(pps(pbxP) / pps(tsRow)).toFixed(1)}x faster on the same ${fmtInt(prefixPackets)}-packet file ` +
      `(${fmtInt(pps(tsRow))} vs ${fmtInt(pps(pbxP))} packets/s); full-size pbx ${fmtInt(pps(find('http', '(c)')))} packets/s = ` +
      `${(pps(find('http', '(c)')) / pps(tsRow)).toFixed(0)}x tshark`,
  )
  console.log('')
  console.log('README claims:')
  if (pcapParserRow !== null) {
    const ours = find('http', '(a)')
    ratios.captureParserVsPcapParser = pps(ours) / pps(pcapParserRow)
    ratios.captureParserVsPcapParserNet = pps(ours, 'net') / pps(pcapParserRow, 'net')
    console.log(
      `  capture reader: CaptureParser ${fmtInt(pps(ours))} packets/s vs pcap-parser ${fmtInt(pps(pcapParserRow))} packets/s ` +
        `= ${(pps(ours) / pps(pcapParserRow)).toFixed(1)}x (work alone ${(pps(ours, 'net') / pps(pcapParserRow, 'net')).toFixed(1)}x); ` +
        `peak RSS ${mb(ours.peakRss)} vs ${mb(pcapParserRow.peakRss)} MB`,
    )
  } else {
    console.log('  capture reader: pcap-parser not available (skipped)')
  }
  const ev = nd.r.events as number
  const oursMs = nd.r.oursMs as number
  const theirsMs = nd.r.ndjsonMs as number | undefined
  ratios.ndjsonOursMs = oursMs
  ratios.ndjsonPackageMs = theirsMs ?? null
  if (theirsMs !== undefined) {
    ratios.ndjsonSpeedup = theirsMs / oursMs
    console.log(
      `  NDJSON: ${fmtInt(ev)} events (${fmtInt(nd.r.distinctEvents as number)} distinct real events, ${(nd.r.bytes / 1e6).toFixed(0)} MB): ` +
        `JSON.stringify + buffered writer ${(oursMs / 1000).toFixed(2)} s vs ndjson.stringify() stream ${(theirsMs / 1000).toFixed(2)} s = ` +
        `${(theirsMs / oursMs).toFixed(2)}x (CPU time, mean of 5 tinybench iterations)`,
    )
  } else {
    console.log(`  NDJSON: ours ${(oursMs / 1000).toFixed(2)} s for ${fmtInt(ev)} events; ndjson package not available (skipped)`)
  }

  console.log('')
  console.log('captures:')
  for (const [c, meta] of [
    ['http', http.meta],
    ['mixed', mixed.meta],
  ] as const) {
    const k = meta.counters
    const d = decodeInfo[c]
    console.log(
      `  ${c}: ${fmtInt(k.packets)} packets, ${(k.bytes / 1e6).toFixed(0)} MB of frames, ${fmtInt(k.sessions)} sessions, ` +
        `${fmtInt(k.exchanges)} request/response exchanges, ${fmtInt(k.reordered)} reordered sends, ${fmtInt(k.retransmitted)} retransmitted segments; ` +
        `reassembly: ${fmtInt(d.tcpConnections as number)} TCP connections, ${fmtInt(d.outOfOrder as number)} out-of-order segments, ` +
        `${fmtInt(d.retransmittedBytes as number)} retransmitted bytes, ${fmtInt(d.gaps as number)} gaps`,
    )
  }
  const evHttp = countEvents(http.path)
  const evMixed = countEvents(mixed.path)
  console.log(`  events from analyze: http ${fmtInt(evHttp.events)} ${JSON.stringify(evHttp.byType)}; mixed ${fmtInt(evMixed.events)} ${JSON.stringify(evMixed.byType)}`)

  let hot: ReturnType<typeof summarise> | null = null
  if (args.profile) {
    const dir = join(BENCH_DIR, 'prof')
    rmSync(dir, {recursive: true, force: true})
    mkdirSync(dir, {recursive: true})
    execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, CLI, 'analyze', http.path, '--format', 'ndjson', '-o', '/dev/null'], {cwd: ROOT})
    const prof = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
    if (prof !== undefined) {
      hot = summarise(join(dir, prof), ROOT, 25)
      console.log('')
      console.log(`CPU profile of analyze on the http capture (${rel(join(dir, prof))}, ${(hot.totalMs / 1000).toFixed(1)} s sampled), self time:`)
      console.log(table(['self %', 'self ms', 'function', 'defined at', 'hottest line'], hot.top.map((h) => [h.pct.toFixed(1), h.selfMs.toFixed(0), h.fn, h.where, h.hotLine ?? ''])))
      console.log('')
      console.log(table(['self %', 'file'], hot.files.map((h) => [h.pct.toFixed(1), h.where])))
    }
  }

  if (args.json) {
    const doc = {
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      args,
      captures: {http: http.meta, mixed: mixed.meta},
      rows,
      ratios,
      ndjson: nd.r,
      events: {http: evHttp.byType, mixed: evMixed.byType},
      outputs,
      live,
      profile: hot,
    }
    writeFileSync(args.json, `${JSON.stringify(doc, null, 2)}\n`)
    console.log(`\nresults written to ${args.json}`)
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
