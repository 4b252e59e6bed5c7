// Micro-benchmark: serializeEvent over the bench file's transactions (collected once), repeated.
import {createHash} from 'node:crypto'
import {fileSources} from '../../src/capture/source.js'
import {type BuildOptions, serializeEvent} from '../../src/event/build.js'
import type {Transaction} from '../../src/event/types.js'
import {DEFAULT_LIMITS} from '../../src/limits.js'
import {JsonBytes} from '../../src/output/ndjson/output.js'
import type {Output} from '../../src/output/types.js'
import {protocols} from '../../src/protocols/registry.js'
import {run} from '../../src/run/run.js'

const ts: Transaction[] = []
let opt: BuildOptions | undefined
const o: Output = {
  begin() {}, write() {}, writeTransaction(t: Transaction, b: BuildOptions) { ts.push(t); opt = b }, async end() {},
  get blocked() { return false }, get closed() { return false }, async drain() {}, flush() {},
} as unknown as Output
await run({sources: fileSources([process.argv[2] ?? '/work/main/.bench/issue-1000000.pcap']), protocols: [...protocols], limits: {...DEFAULT_LIMITS}, outputs: [o]})
const sink = {arena: Buffer.allocUnsafe(1 << 22), pos: 0, room(n: number) { if (this.pos + n > this.arena.length) this.pos = 0 }}
const j = new JsonBytes(sink)
// one pass for the hash
const h = createHash('sha256')
for (const t of ts) { sink.pos = 0; serializeEvent(t, opt!, j); h.update(sink.arena.subarray(0, sink.pos)); h.update('\n') }
console.log('events', ts.length, 'sha', h.digest('hex'))
for (let r = 0; r < 8; r++) {
  const c0 = process.cpuUsage()
  for (const t of ts) { if (sink.pos > (1 << 22) - 65536) sink.pos = 0; serializeEvent(t, opt!, j) }
  const c = process.cpuUsage(c0)
  console.log('pass', r, ((c.user + c.system) / 1000).toFixed(0), 'ms cpu')
}
