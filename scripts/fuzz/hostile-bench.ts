/**
 * Full-size hostile captures with peak RSS: `npx tsx scripts/fuzz/hostile-bench.ts [name...]`.
 *
 * Each scenario of test/support/hostile-scenarios.ts runs at full size with the DEFAULT limits, in its own
 * child process, and the child reports its peak RSS (VmHWM from /proc/self/status, else the largest
 * sampled RSS), wall time, packets and the bounds it hit. The tests run the same scenarios scaled
 * down with small limits and assert the bounds are hit and noted; this script shows that memory
 * stays flat at full size.
 *
 *   syn     1,000,000 connections that only send a SYN
 *   ooo     out-of-order flood: 200 connections x 5,000 segments beyond a hole never filled (1 GB)
 *   header  one endless HTTP header line of 500 MB
 *   chunk   chunked response with chunk size 2^64-1 and 500 MB of body
 *   chunk40 chunked response with chunk size 2^40 (accepted) and 500 MB of body
 *   dns     500,000 DNS responses with compression loops
 *   bson    a MongoDB request nested 1,900,000 levels deep (15 MB)
 *   redis   1,000,000 pipelined Redis commands with no reply
 *   dnsq    1,000,000 UDP flows that each send one DNS query never answered
 *   ooo1    200,000 connections that each hold one out-of-order segment (1000 bytes)
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {
  deepBson,
  dnsLoops,
  dnsUnanswered,
  endlessHeader,
  type FrameSink,
  hugeChunk,
  oooFlood,
  oooPerConn,
  redisPipeline,
  runHostile,
  synFlood,
} from '../../test/support/hostile-scenarios.js'

const SCENARIOS: Record<string, () => (s: FrameSink) => void> = {
  syn: () => synFlood(1_000_000, 20),
  ooo: () => oooFlood(200, 5000, 20),
  header: () => endlessHeader(500_000_000, 20),
  chunk: () => hugeChunk('ffffffffffffffff', 500_000_000, 20),
  chunk40: () => hugeChunk((2 ** 40).toString(16), 500_000_000, 20),
  dns: () => dnsLoops(500_000, 20),
  bson: () => deepBson(1_900_000, 3),
  redis: () => redisPipeline(1_000_000, 20),
  dnsq: () => dnsUnanswered(1_000_000, 20),
  ooo1: () => oooPerConn(200_000, 1000, 20),
}

function vmHwmBytes(): number {
  if (!existsSync('/proc/self/status')) return 0
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  return m ? Number(m[1]) * 1024 : 0
}

function child(name: string): void {
  const t0 = performance.now()
  const r = runHostile(SCENARIOS[name]())
  const out = {
    name,
    seconds: (performance.now() - t0) / 1000,
    packets: r.packets,
    transactions: r.stats.transactions,
    peakRssMb: Math.round(Math.max(vmHwmBytes(), r.peakRss) / 1048576),
    peakHeapMb: Math.round(r.peakHeap / 1048576),
    limitsHit: Object.fromEntries(r.stats.limitsHit),
    malformed: Object.fromEntries([...r.stats.malformed].slice(0, 4)),
    witnessesOk: r.witnesses.filter((e) => e.status === 'OK').length,
    witnesses: r.witnesses.length,
  }
  console.log(JSON.stringify(out))
}

function main(): void {
  const argv = process.argv.slice(2)
  if (argv[0] === '--child') {
    child(argv[1])
    return
  }
  const names = argv.length > 0 ? argv : Object.keys(SCENARIOS)
  const self = fileURLToPath(import.meta.url)
  console.log('scenario   packets      seconds  peak RSS  peak heap  witnesses OK  bounds hit / anomalies')
  for (const name of names) {
    if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`)
    const p = spawnSync(process.execPath, [...process.execArgv, self, '--child', name], {encoding: 'utf8', maxBuffer: 1 << 24})
    const line = p.stdout.trim().split('\n').pop() ?? ''
    if (p.status !== 0 || !line.startsWith('{')) {
      console.log(`${name.padEnd(10)} FAILED (exit ${p.status}): ${p.stderr.split('\n').slice(0, 5).join(' | ')}`)
      continue
    }
    const r = JSON.parse(line)
    const hits = {...r.limitsHit, ...r.malformed}
    console.log(
      `${name.padEnd(10)} ${String(r.packets).padStart(9)} ${r.seconds.toFixed(1).padStart(10)} ${String(r.peakRssMb).padStart(6)} MB ${String(r.peakHeapMb).padStart(6)} MB ${`${r.witnessesOk}/${r.witnesses}`.padStart(13)}  ${JSON.stringify(hits)}`,
    )
  }
}

main()
