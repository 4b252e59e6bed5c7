/**
 * pbx fuzzer: `npm run fuzz -- [flags]`.
 *
 *   --seconds N     run for N seconds (default 60)
 *   --inputs N      run exactly inputs 0..N-1 instead (deterministic; wins over --seconds)
 *   --seed S        run seed (default 1); input i is generated from (S, i) alone
 *   --workers N     worker threads (default 2: both cores)
 *   --captures F    share of inputs that are corrupted whole captures (default 0.2)
 *   --slow-ms N     an input slower than this is a failure (default 2000)
 *   --hang-ms N     a worker without progress for this long is killed, the input is a hang (default 10000)
 *   --heap-mb N     old-generation bound of each worker; exceeding it is a memory failure (default 512)
 *   --rss-mb N      bound on the process RSS (default 1024)
 *   --only TEXT     only captures/taps whose source key contains TEXT
 *   --ci            one-line result, nothing saved, exit 1 on any failure
 *   --no-save       do not write test/fuzz/crashers/
 *   --log FILE      append every failure (recipe + failure) to FILE as JSON lines
 *   --replay FILE   run one saved crasher (JSON) and print the result
 *
 * Inputs: (a) real captures (samples/ and ../shared/corpus) corrupted as Wireshark's fuzz-test does
 * (editcap -E byte errors, snaplen cuts, truncation, length-field damage, record reordering), run
 * through the whole pipeline; (b) every protocol's handler fed direction-tagged chunk streams:
 * random ones (fast-check) and mutations of valid streams (tapped from the captures, or
 * synthesised). See scripts/fuzz/*.ts. Failures are saved as regression tests under
 * test/fuzz/crashers/ (recipes only for corpus-derived inputs) and replayed by test/fuzz/replay.test.ts.
 */
import {appendFileSync} from 'node:fs'
import {Worker} from 'node:worker_threads'
import {protocols} from '../src/protocols/registry.js'
import {type Failure, saveCrasher, signature} from './fuzz/failure.js'
import {type Recipe, recipeFor} from './fuzz/recipe.js'
import {replayCrasher} from './fuzz/replay.js'
import {inputSeed} from './fuzz/rng.js'
import {listSources} from './fuzz/sources.js'
import type {WorkerData, WorkerMessage} from './fuzz/worker.js'

interface Args {
  seconds: number
  inputs: number
  seed: number
  workers: number
  captures: number
  slowMs: number
  hangMs: number
  heapMb: number
  rssMb: number
  only?: string
  ci: boolean
  save: boolean
  replay?: string
  log?: string
}

function parseArgs(argv: string[]): Args {
  const a: Args = {seconds: 60, inputs: 0, seed: 1, workers: 2, captures: 0.2, slowMs: 2000, hangMs: 10_000, heapMb: 512, rssMb: 1024, ci: false, save: true}
  const num = (i: number) => {
    const v = Number(argv[i])
    if (!Number.isFinite(v)) throw new Error(`${argv[i - 1]} needs a number`)
    return v
  }
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]
    if (f === '--seconds') a.seconds = num(++i)
    else if (f === '--inputs') a.inputs = num(++i)
    else if (f === '--seed') a.seed = num(++i) >>> 0
    else if (f === '--workers') a.workers = Math.max(1, num(++i))
    else if (f === '--captures') a.captures = num(++i)
    else if (f === '--slow-ms') a.slowMs = num(++i)
    else if (f === '--hang-ms') a.hangMs = num(++i)
    else if (f === '--heap-mb') a.heapMb = num(++i)
    else if (f === '--rss-mb') a.rssMb = num(++i)
    else if (f === '--only') a.only = argv[++i]
    else if (f === '--ci') a.ci = true
    else if (f === '--no-save') a.save = false
    else if (f === '--replay') a.replay = argv[++i]
    else if (f === '--log') a.log = argv[++i]
    else throw new Error(`unknown flag ${f}`)
  }
  if (a.ci) a.save = false
  return a
}

interface Found {
  index: number
  recipe: Recipe
  failure: Failure
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  if (args.replay) {
    const r = replayCrasher(args.replay)
    console.log(JSON.stringify(r, null, 2))
    return r.failure ? 1 : 0
  }
  const start = performance.now()
  const deadline = args.inputs > 0 ? Number.POSITIVE_INFINITY : start + args.seconds * 1000
  const end = args.inputs > 0 ? args.inputs : Number.MAX_SAFE_INTEGER
  const sources = listSources().filter((s) => args.only === undefined || s.includes(args.only))
  const counts = {inputs: 0, captures: 0, streams: 0, transactions: 0}
  const found: Found[] = []
  const signatures = new Map<string, number>()
  let peakRss = 0
  const log = (s: string) => {
    if (!args.ci) process.stderr.write(s + '\n')
  }

  const record = (f: Found) => {
    found.push(f)
    if (args.log) appendFileSync(args.log, JSON.stringify({runSeed: args.seed, ...f}) + '\n')
    const sig = signature(f.failure)
    const n = (signatures.get(sig) ?? 0) + 1
    signatures.set(sig, n)
    if (n > 1) return
    log(`FAILURE #${signatures.size} (${f.failure.type}) at input ${f.index}: ${f.failure.where}: ${f.failure.message}`)
    log(`  recipe: ${JSON.stringify(f.recipe)}`)
    if (f.failure.stack) log(f.failure.stack.split('\n').slice(0, 6).map((l) => `  ${l}`).join('\n'))
    if (args.ci) console.log(`fuzz failure: ${f.failure.type} ${f.failure.where}: ${f.failure.message} recipe=${JSON.stringify(f.recipe)}`)
    if (args.save) {
      try {
        log(`  saved ${saveCrasher(f.failure, f.recipe, args.seed, f.index, protocols)}`)
      } catch (e) {
        log(`  could not save: ${e}`)
      }
    }
  }

  /** The recipe of input i, computed in the main thread (for inputs whose worker died). */
  const recipeOf = (i: number): Recipe => recipeFor(inputSeed(args.seed, i), {sources, protocols, captureShare: args.captures})

  await new Promise<void>((resolve) => {
    let running = 0
    const spawn = (slot: number, from: number) => {
      if (from >= end || performance.now() >= deadline) return
      const shared = new SharedArrayBuffer(12)
      const flags = new Int32Array(shared)
      Atomics.store(flags, 1, from)
      const data: WorkerData = {runSeed: args.seed, start: from, stride: args.workers, end, captureShare: args.captures, slowMs: args.slowMs, shared, only: args.only}
      const w = new Worker(new URL('./fuzz/worker-boot.mjs', import.meta.url), {
        workerData: data,
        resourceLimits: {maxOldGenerationSizeMb: args.heapMb},
      })
      running++
      let lastDone = 0
      let lastMove = performance.now()
      let exited = false
      const watchdog = setInterval(() => {
        const now = performance.now()
        if (now >= deadline) Atomics.store(flags, 0, 1)
        const d = Atomics.load(flags, 2)
        if (d !== lastDone) {
          lastDone = d
          lastMove = now
        } else if (now - lastMove > args.hangMs) {
          const i = Atomics.load(flags, 1)
          clearInterval(watchdog)
          record({index: i, recipe: recipeOf(i), failure: {type: 'hang', where: 'input', message: `no progress for ${args.hangMs} ms`, stack: ''}})
          counts.inputs++
          exited = true
          void w.terminate()
          running--
          spawn(slot, i + args.workers)
          if (running === 0) resolve()
        }
      }, 100)
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'failure') record({index: m.index, recipe: m.recipe, failure: m.failure})
        else {
          counts.inputs += m.done
          counts.captures += m.captures
          counts.streams += m.streams
          counts.transactions += m.transactions
        }
      })
      w.on('error', (e: Error & {code?: string}) => {
        if (exited) return
        if (Atomics.load(flags, 2) === 0 && e.code !== 'ERR_WORKER_OUT_OF_MEMORY') {
          // the worker could not start (or failed before its first input): a setup error, not a finding
          console.error(`fuzz worker failed to start: ${e.stack ?? e}`)
          process.exit(2)
        }
        const i = Atomics.load(flags, 1)
        const memory = e.code === 'ERR_WORKER_OUT_OF_MEMORY'
        record({
          index: i,
          recipe: recipeOf(i),
          failure: {type: memory ? 'memory' : 'throw', where: memory ? 'worker heap' : 'worker', message: `${e.code ?? ''} ${e.message}`.trim(), stack: e.stack ?? ''},
        })
        counts.inputs++
        exited = true
        clearInterval(watchdog)
        running--
        spawn(slot, i + args.workers)
        if (running === 0) resolve()
      })
      w.on('exit', () => {
        if (exited) return
        exited = true
        clearInterval(watchdog)
        running--
        if (running === 0) resolve()
      })
    }
    for (let k = 0; k < args.workers; k++) spawn(k, k)
    let lastLog = performance.now()
    const monitor = setInterval(() => {
      const rss = process.memoryUsage().rss
      if (rss > peakRss) peakRss = rss
      if (rss > args.rssMb * 1048576 && !signatures.has('rss')) {
        signatures.set('rss', 1)
        found.push({index: -1, recipe: recipeOf(0), failure: {type: 'memory', where: 'process', message: `RSS ${Math.round(rss / 1048576)} MB over ${args.rssMb} MB`, stack: ''}})
        log(`FAILURE: process RSS ${Math.round(rss / 1048576)} MB over ${args.rssMb} MB`)
      }
      if (running === 0) clearInterval(monitor)
      const now = performance.now()
      if (now - lastLog > 10_000) {
        lastLog = now
        log(`${Math.round((now - start) / 1000)} s: ${counts.inputs} inputs (${counts.captures} captures, ${counts.streams} streams), ${found.length} failures, RSS ${Math.round(rss / 1048576)} MB`)
      }
    }, 200)
  })

  const secs = (performance.now() - start) / 1000
  const byType = new Map<string, number>()
  for (const f of found) byType.set(f.failure.type, (byType.get(f.failure.type) ?? 0) + 1)
  const kinds = [...byType].map(([t, n]) => `${n} ${t}`).join(', ')
  const line =
    `fuzz: ${counts.inputs} inputs in ${secs.toFixed(0)} s (${counts.captures} corrupted captures, ${counts.streams} protocol streams), ` +
    `${found.length} failures${kinds ? ` (${kinds}; ${signatures.size} distinct)` : ''}, peak RSS ${Math.round(peakRss / 1048576)} MB, seed ${args.seed}, ${sources.length} sources`
  console.log(line)
  return found.length > 0 ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
