/**
 * One measured benchmark stage, run in its own child process (so that its peak RSS is its own):
 *
 *   node --import tsx scripts/bench/stage.ts <stage> <file> [module-dir]
 *
 * Stages:
 *   baseline     load the modules and exit (startup time and RSS floor of node + tsx)
 *   framing      CaptureParser over the file (readCapture), a sink that only counts
 *   decoder      framing + Decoder (link layer, IP, defragmentation, tunnels, TCP/UDP header), a
 *                DecodedSink that only counts packets and payload bytes (no reassembly)
 *   decode       framing + Engine + TCP reassembly + UDP flows, with one catch-all
 *                "protocol" whose handlers only count the ordered bytes delivered
 *   pcap-parser  the npm `pcap-parser` package over the same file (module-dir: where it is installed)
 *   ndjson       micro-benchmark (tinybench): 200k events through our NdjsonOutput/TextWriter vs the
 *                npm `ndjson` package's stringify stream, both into /dev/null
 *
 * Prints one JSON line on stdout: {packets, bytes, loopMs, ...}; loopMs times the work only
 * (without process start-up and module loading).
 */
import {once} from 'node:events'
import {createWriteStream} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {finished} from 'node:stream/promises'
import {Bench} from 'tinybench'
import {readCapture} from '../../src/capture/reader.js'
import type {Packet} from '../../src/capture/types.js'
import type {PbxEvent} from '../../src/event/build.js'
import {DEFAULT_LIMITS, makeLimits} from '../../src/limits.js'
import {NdjsonOutput} from '../../src/output/ndjson/index.js'
import type {Output, RunInfo} from '../../src/output/types.js'
import {TextWriter} from '../../src/output/writer.js'
import {run} from '../../src/run/run.js'
import {fileSources} from '../../src/capture/source.js'
import {Decoder} from '../../src/decode/decoder.js'
import type {DecodedPacket, DecodedSink} from '../../src/decode/types.js'
import {Engine} from '../../src/engine/engine.js'
import {protocols} from '../../src/protocols/registry.js'
import type {StreamHandler, UdpHandler} from '../../src/reassembly/types.js'
import type {Protocol, ProtocolContext} from '../../src/protocols/types.js'
import {Stats} from '../../src/stats.js'

export interface StageResult {
  packets: number
  bytes: number
  loopMs: number
  /** CPU time (user + system, all threads) of the work, filled in by main(). */
  loopCpuMs?: number
  [k: string]: unknown
}

function out(r: StageResult): void {
  process.stdout.write(`${JSON.stringify(r)}\n`)
}

async function framing(file: string): Promise<StageResult> {
  const stats = new Stats()
  let n = 0
  const sink = {
    packet(_p: Packet) {
      n++
    },
  }
  const t0 = performance.now()
  await readCapture(file, sink, {limits: makeLimits(), stats})
  return {packets: n, bytes: stats.bytes, loopMs: performance.now() - t0}
}

async function decoderOnly(file: string): Promise<StageResult> {
  const stats = new Stats()
  const limits = makeLimits()
  let ips = 0
  let payloadBytes = 0
  const sink: DecodedSink = {
    ip(p: DecodedPacket) {
      ips++
      payloadBytes += p.payload.length
    },
  }
  const decoder = new Decoder(sink, limits, stats)
  const t0 = performance.now()
  await readCapture(file, decoder, {limits, stats})
  decoder.end()
  return {packets: stats.packets, bytes: stats.bytes, loopMs: performance.now() - t0, ipPackets: ips, payloadBytes}
}

async function decode(file: string): Promise<StageResult> {
  const stats = new Stats()
  const limits = makeLimits()
  let delivered = 0
  let gaps = 0
  let conns = 0
  const handler: StreamHandler = {
    data(_d, bytes) {
      delivered += bytes.length
    },
    gap() {
      gaps++
    },
    end() {},
  }
  const udp: UdpHandler = {
    datagram(_d, payload) {
      delivered += payload.length
    },
    end() {},
  }
  // Claims every connection and flow by content (detect always says yes): all bytes are reassembled.
  const count: Protocol = {
    name: 'count',
    fields: [],
    tcp: {
      ports: [],
      detect: () => true,
      create: () => {
        conns++
        return handler
      },
    },
    udp: {ports: [], detect: () => true, create: () => udp},
  }
  const engine = new Engine({protocols: [count], limits, stats, emit: () => {}})
  const t0 = performance.now()
  await readCapture(file, engine, {limits, stats})
  engine.end()
  return {
    packets: stats.packets,
    bytes: stats.bytes,
    loopMs: performance.now() - t0,
    payloadBytes: delivered,
    tcpConnections: stats.tcpConnections,
    handlers: conns,
    gaps,
    outOfOrder: stats.tcpOutOfOrderSegments,
    retransmittedBytes: stats.tcpRetransmittedBytes,
  }
}

async function pcapParser(file: string, moduleDir: string): Promise<StageResult> {
  const req = createRequire(join(moduleDir, 'index.js'))
  const pcapp = req('pcap-parser') as {parse(f: string): NodeJS.EventEmitter}
  let n = 0
  let bytes = 0
  const t0 = performance.now()
  const p = pcapp.parse(file)
  p.on('packet', (pk: {data: Buffer}) => {
    n++
    bytes += pk.data.length
  })
  await once(p, 'end')
  return {packets: n, bytes, loopMs: performance.now() - t0}
}

/** Collects up to `max` real events from `file` (the registered protocols), then stops reading. */
async function sampleEvents(file: string, max: number): Promise<PbxEvent[]> {
  const evs: PbxEvent[] = []
  const o: Output = {
    begin(_r: RunInfo) {},
    write(ev) {
      if (evs.length < max) evs.push(ev)
    },
    blocked: false,
    get closed() {
      return evs.length >= max
    },
    drain: async () => {},
    end: async () => {},
  }
  await run({sources: fileSources([file]), protocols: [...protocols], limits: {...DEFAULT_LIMITS}, outputs: [o]})
  return evs
}

async function ndjsonBench(file: string, moduleDir: string | undefined, events: number): Promise<StageResult> {
  const sample = await sampleEvents(file, 2000)
  if (sample.length === 0) throw new Error(`no events in ${file}: cannot benchmark NDJSON output`)
  const bytesOf = sample.reduce((a, e) => a + JSON.stringify(e).length + 1, 0)
  // Timed by the process's CPU clock (user + system, all threads: the /dev/null writes happen on
  // libuv's pool), so that other work on the machine does not distort the comparison.
  const cpuNow = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  const bench = new Bench({iterations: 5, time: 0, warmupIterations: 1, warmupTime: 0, now: cpuNow})
  bench.add('pbx NdjsonOutput (JSON.stringify + buffered writer)', async () => {
    const o = new NdjsonOutput(new TextWriter(createWriteStream('/dev/null'), '/dev/null'), true)
    for (let i = 0; i < events; i++) {
      o.write(sample[i % sample.length])
      // The pipeline awaits drain once per input chunk; every 1000 events stands in for that.
      if (i % 1000 === 999 && o.blocked) await o.drain()
    }
    await o.end({files: [], stats: new Stats(), captures: [], errors: []})
  })
  let pkg = false
  if (moduleDir !== undefined) {
    const req = createRequire(join(moduleDir, 'index.js'))
    const nd = req('ndjson') as {stringify(): NodeJS.ReadWriteStream}
    pkg = true
    bench.add('npm ndjson stringify stream', async () => {
      const s = nd.stringify()
      const dest = createWriteStream('/dev/null')
      s.pipe(dest)
      for (let i = 0; i < events; i++) {
        if (!s.write(sample[i % sample.length] as unknown as string)) await once(s, 'drain')
      }
      s.end()
      await finished(dest)
    })
  }
  await bench.run()
  const res: Record<string, number> = {}
  for (const t of bench.tasks) {
    const r = t.result
    if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state === 'errored' ? r.error.message : r.state}`)
    res[t.name] = r.latency.mean
  }
  const ours = res['pbx NdjsonOutput (JSON.stringify + buffered writer)']
  const theirs = pkg ? res['npm ndjson stringify stream'] : undefined
  return {
    packets: 0,
    bytes: Math.round((bytesOf / sample.length) * events),
    loopMs: ours,
    events,
    distinctEvents: sample.length,
    oursMs: ours,
    ndjsonMs: theirs,
  }
}

async function main(): Promise<void> {
  const [stage, file, moduleDir] = process.argv.slice(2)
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  let r: StageResult
  switch (stage) {
    case 'baseline':
      r = {packets: 0, bytes: 0, loopMs: performance.now() - t0}
      break
    case 'framing':
      r = await framing(file)
      break
    case 'decoder':
      r = await decoderOnly(file)
      break
    case 'decode':
      r = await decode(file)
      break
    case 'pcap-parser':
      r = await pcapParser(file, moduleDir)
      break
    case 'ndjson':
      r = await ndjsonBench(file, moduleDir || undefined, Number(process.env.BENCH_EVENTS ?? 200_000))
      break
    default:
      throw new Error(`unknown stage "${stage}"`)
  }
  const c = process.cpuUsage(c0)
  r.loopCpuMs = (c.user + c.system) / 1000
  out(r)
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`)
  process.exit(1)
})
