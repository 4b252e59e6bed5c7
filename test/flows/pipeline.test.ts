/**
 * Flow records through the whole run() pipeline (capture -> decode -> reassembly -> observer
 * -> event -> NDJSON) on a synthetic capture written to a temp file: IPv4 TCP with an orderly
 * close, a TCP connection reset, an IPv6 UDP exchange; counters checked against the IP lengths
 * read back from the frames themselves; byte-identical output on repeated runs.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {afterAll, describe, expect, it} from 'vitest'
import {createFlowObserver, type FlowOptions} from '../../src/flows/index.js'
import {makeLimits} from '../../src/limits.js'
import {NdjsonOutput} from '../../src/output/ndjson/index.js'
import {TextWriter} from '../../src/output/writer.js'
import {run as runPipeline} from '../../src/run/run.js'
import {fileSources} from '../../src/capture/source.js'
import {pcapFile, type SynthFrame, TcpConversation, udpFrame} from '../support/synth/packets.js'
import type {FlowEvent} from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'pbx-flows-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const T0 = 1_700_000_000

function capture(): SynthFrame[] {
  const a = new TcpConversation({client: '10.0.0.1', server: '10.0.0.2', clientPort: 40000, serverPort: 8080, startSec: T0, stepNs: 100_000_000})
  a.handshake().send('client', 'x'.repeat(3000)).send('server', 'ok').wait(12).send('client', 'more').close()
  const b = new TcpConversation({client: '10.0.0.3', server: '10.0.0.2', clientPort: 40001, serverPort: 9000, startSec: T0 + 1, stepNs: 50_000_000})
  b.handshake().send('client', 'hello').rst('server')
  const u: SynthFrame[] = []
  for (let i = 0; i < 6; i++) {
    const fromClient = i % 2 === 0
    const data = udpFrame({
      src: fromClient ? 'fd00::1' : 'fd00::2',
      dst: fromClient ? 'fd00::2' : 'fd00::1',
      srcPort: fromClient ? 50000 : 5000,
      dstPort: fromClient ? 5000 : 50000,
      payload: Buffer.alloc(fromClient ? 100 : 300, i),
    })
    u.push({data, tsSec: T0 + 2 + i * 4, tsNsec: 250_000_000})
  }
  const all = [...a.frames, ...b.frames, ...u]
  return all.sort((x, y) => x.tsSec - y.tsSec || x.tsNsec - y.tsNsec)
}

/** IP total length read back from an Ethernet frame (IPv4 total length, or IPv6 40 + payload length). */
function ipLength(f: Buffer): number {
  return f.readUInt16BE(12) === 0x0800 ? f.readUInt16BE(16) : 40 + f.readUInt16BE(18)
}

async function run(file: string, opts: FlowOptions): Promise<string> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (c: Buffer) => chunks.push(c))
  const output = new NdjsonOutput(new TextWriter(sink, 'memory'), false)
  await runPipeline({sources: fileSources([file]), protocols: [], limits: makeLimits(), outputs: [output], observer: createFlowObserver(opts)})
  return Buffer.concat(chunks).toString('utf8')
}

describe('flows through the pipeline', () => {
  const frames = capture()
  const file = join(dir, 'flows.pcap')
  writeFileSync(file, pcapFile(frames))

  it('final records: per-direction packets and IP bytes match the frames', async () => {
    const text = await run(file, {})
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FlowEvent)
    expect(events.every((e) => e.type === 'flow' && e.flow.final)).toBe(true)
    // Expected counters from the frames: key "ip:port" of the sender.
    const want = new Map<string, {packets: number; bytes: number}>()
    for (const f of frames) {
      const d = f.data
      const v4 = d.readUInt16BE(12) === 0x0800
      const ipOff = 14
      const l4 = v4 ? ipOff + (d[ipOff] & 0x0f) * 4 : ipOff + 40
      const src = v4 ? d.subarray(ipOff + 12, ipOff + 16).join('.') : 'v6'
      const key = `${src === 'v6' ? (d[ipOff + 23] === 1 ? 'fd00::1' : 'fd00::2') : src}:${d.readUInt16BE(l4)}`
      const w = want.get(key) ?? {packets: 0, bytes: 0}
      w.packets++
      w.bytes += ipLength(d)
      want.set(key, w)
    }
    const got = new Map<string, {packets: number; bytes: number}>()
    for (const e of events) {
      got.set(`${e.source.ip}:${e.source.port}`, {packets: e.source.packets, bytes: e.source.bytes})
      got.set(`${e.destination.ip}:${e.destination.port}`, {packets: e.destination.packets, bytes: e.destination.bytes})
    }
    expect(got).toEqual(want)
    // Order: the RST connection ends first (its linger expires during the capture), the others at
    // end of input: the FIN-closed TCP connection (lingering) and the UDP flow, TCP before UDP.
    expect(events.map((e) => [e.source.ip, e.network.transport, e.network.type, e.pbx.flow.end_reason])).toEqual([
      ['10.0.0.3', 'tcp', 'ipv4', 'rst'],
      ['10.0.0.1', 'tcp', 'ipv4', 'fin'],
      ['fd00::1', 'udp', 'ipv6', 'eof'],
    ])
    expect(events[1].pbx.flow.history).toBe('ShADdFf')
    expect(events[1].pbx.flow.payload_bytes).toEqual({source: 3004, destination: 2})
    expect(events[1].event.start).toBe('2023-11-14T22:13:20.000000Z')
    expect(events[2].pbx.flow.payload_bytes).toEqual({source: 300, destination: 900})
    expect(events[2].pbx.flow.tcp_flags).toBeUndefined()
  })

  it('periodic records with a 5 s period, identical output on every run', async () => {
    const a = await run(file, {periodSec: 5})
    const b = await run(file, {periodSec: 5})
    expect(a).toBe(b)
    const events = a
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FlowEvent)
    const interim = events.filter((e) => !e.flow.final)
    const finals = events.filter((e) => e.flow.final)
    expect(finals).toHaveLength(3)
    expect(interim.length).toBeGreaterThan(0)
    // Counters never decrease from one record of a flow to the next, and the last interim
    // record never exceeds the final one.
    const byId = new Map<string, FlowEvent[]>()
    for (const e of events) byId.set(e.flow.id, [...(byId.get(e.flow.id) ?? []), e])
    expect(byId.size).toBe(3)
    for (const recs of byId.values()) {
      expect(recs.at(-1)?.flow.final).toBe(true)
      expect(recs.filter((r) => r.flow.final)).toHaveLength(1)
      for (let i = 1; i < recs.length; i++) {
        expect(recs[i].network.packets).toBeGreaterThanOrEqual(recs[i - 1].network.packets)
        expect(recs[i].network.bytes).toBeGreaterThanOrEqual(recs[i - 1].network.bytes)
      }
    }
    // The UDP flow (datagrams at +2.25, +6.25, ... +22.25) is reported when its own datagrams cross
    // the boundaries +5, +10, +15 and +20 (+14.25 crosses none), each time with the datagrams sent
    // before the boundary.
    const udp = byId.get(finals[2].flow.id) ?? []
    expect(udp.map((e) => [e.flow.final, e.network.packets])).toEqual([
      [false, 1],
      [false, 2],
      [false, 4],
      [false, 5],
      [true, 6],
    ])
    // Final records are the same with or without periodic reporting.
    const plain = (await run(file, {})).trim().split('\n')
    expect(a.trim().split('\n').filter((l) => l.includes('"final":true'))).toEqual(plain)
  })
})
