/**
 * LiveSource on a real interface: loopback, as root (tests run as root here and in CI). A test
 * that cannot capture because the environment forbids it fails and says why; nothing is skipped.
 */
import {mkdtempSync, readFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {formatInterfaces, LiveSource, linkTypeOf, listInterfaces} from '../../src/capture/live.js'
import {PcapngWriter} from '../../src/capture/pcapng-writer.js'
import type {SourceContext} from '../../src/capture/source.js'
import type {CaptureInfo} from '../../src/capture/types.js'
import {makeLimits} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'
import {parse, type SeenPacket, snapshot} from './collect.js'

let server: http.Server
let port = 0

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.writeHead(200, {'content-type': 'text/plain'})
    res.end(`hello ${req.url}`)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

/** Fails (never skips) when this environment cannot capture on loopback. */
function mustCapture(src: LiveSource): void {
  const err = src.check()
  if (err !== null) throw new Error(`live capture on lo is not possible in this environment (${err.kind}): ${err.message}`)
}

function context(stats: Stats, infos: CaptureInfo[], chunks: number[]): SourceContext {
  return {limits: makeLimits(), stats, onInfo: (i) => infos.push(i), afterChunk: (b) => void chunks.push(b)}
}

/** Starts reading (read() opens the interface before it returns); the promise ends with stop(). */
function start(src: LiveSource, stats: Stats, seen: SeenPacket[], infos: CaptureInfo[] = [], chunks: number[] = []) {
  const done = src.read({packet: (p) => seen.push(snapshot(p))}, context(stats, infos, chunks))
  return done
}

describe('libpcap binding', () => {
  it('maps DLT numbers to LINKTYPE numbers', () => {
    expect(linkTypeOf(1)).toBe(1)
    expect(linkTypeOf(0)).toBe(0)
    expect(linkTypeOf(12)).toBe(101) // DLT_RAW
    expect(linkTypeOf(14)).toBe(101) // DLT_RAW on OpenBSD
    expect(linkTypeOf(113)).toBe(113)
    expect(linkTypeOf(276)).toBe(276)
  })

  it('lists loopback with its addresses', () => {
    const devs = listInterfaces()
    const lo = devs.find((d) => d.name === 'lo')
    expect(lo?.addresses.map((a) => a.addr)).toContain('127.0.0.1')
    expect(formatInterfaces(devs)).toMatch(/^lo +127\.0\.0\.1 .*\(loopback\)$/m)
  })

  it('reports an unknown interface with the available ones, and an invalid filter with libpcap\'s message', () => {
    const none = new LiveSource({device: 'nosuch0'}).check()
    expect(none?.kind).toBe('no-device')
    expect(none?.message).toMatch(/^no such interface "nosuch0"; available: .*\blo\b/)
    const bad = new LiveSource({device: 'lo', filter: 'tcp port'}).check()
    expect(bad?.kind).toBe('filter')
    expect(bad?.message).toBe("--filter: can't parse filter expression: syntax error")
    expect(new LiveSource({device: 'nosuch0'}).probe()?.kind).toBe('io')
  })
})

describe('LiveSource on lo', () => {
  it('delivers the filtered packets numbered from 1, with libpcap\'s nanosecond timestamps and lengths, and saves them with the tee', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-live-'))
    const src = new LiveSource({device: 'lo', filter: `tcp port ${port}`})
    mustCapture(src)
    expect(src.linkType).toBe(1)
    const file = path.join(tmp, 'tee.pcapng')
    src.tee = PcapngWriter.open(file, {linkType: src.linkType, snaplen: 65535, resolution: 'ns'})
    const stats = new Stats()
    const seen: SeenPacket[] = []
    const infos: CaptureInfo[] = []
    const chunks: number[] = []
    const before = Date.now()
    const done = start(src, stats, seen, infos, chunks)
    for (const p of ['/one', '/two']) expect(await (await fetch(`http://127.0.0.1:${port}${p}`)).text()).toBe(`hello ${p}`)
    await new Promise((r) => setTimeout(r, 200))
    src.stop()
    const info = await done
    const after = Date.now()
    expect(info).toEqual({format: 'live', gzip: false, precision: 'ns', linkTypes: [1], snaplen: 65535})
    expect(infos).toHaveLength(1)
    // Handshake, two requests and responses, ACKs: at least 7 packets, all of this port only.
    expect(seen.length).toBeGreaterThanOrEqual(7)
    expect(seen.map((p) => p.frame)).toEqual(seen.map((_, i) => i + 1))
    const hexPort = port.toString(16).padStart(4, '0')
    for (const p of seen) {
      expect(p.linkType).toBe(1)
      expect([p.data.slice(68, 72), p.data.slice(72, 76)]).toContain(hexPort) // TCP ports at bytes 34..37
      const ms = p.tsSec * 1000 + p.tsNsec / 1e6
      expect(ms).toBeGreaterThanOrEqual(before - 1)
      expect(ms).toBeLessThanOrEqual(after + 1)
    }
    for (const p of seen) expect(p.origLen).toBe(p.data.length / 2) // small packets: nothing cut by the snaplen
    expect(seen.some((p) => p.tsNsec % 1000 !== 0)).toBe(true) // nanoseconds, not microseconds
    expect(Buffer.from(seen.map((p) => p.data).join(''), 'hex').includes('GET /one')).toBe(true)
    expect(stats.packets).toBe(seen.length)
    expect(stats.bytes).toBe(seen.reduce((a, p) => a + p.data.length / 2, 0))
    expect(chunks.length).toBeGreaterThan(0)
    expect(stats.liveDropped).toBe(0) // pcap_stats ps_drop
    expect(stats.liveIfDropped).toBe(0) // pcap_stats ps_ifdrop
    expect(stats.liveQueueDropped).toBe(0)
    expect(src.tee.close()).toBeNull()
    const back = parse(readFileSync(file))
    expect(back.error).toBeNull()
    expect(back.packets).toEqual(seen.map((p) => ({...p, offset: back.packets[p.frame - 1].offset})))
  })

  it('stop() right after the traffic still delivers what libpcap already holds', async () => {
    const src = new LiveSource({device: 'lo', filter: `tcp port ${port}`})
    mustCapture(src)
    const seen: SeenPacket[] = []
    const done = start(src, new Stats(), seen)
    expect(await (await fetch(`http://127.0.0.1:${port}/held`)).text()).toBe('hello /held')
    src.stop() // no wait: the response's packet reached libpcap before the client read it
    await done
    const bytes = Buffer.from(seen.map((p) => p.data).join(''), 'hex')
    expect(bytes.includes('GET /held')).toBe(true)
    expect(bytes.includes('hello /held')).toBe(true)
  })

  it('stops by itself after --count packets', async () => {
    const src = new LiveSource({device: 'lo', filter: `tcp port ${port}`, count: 3})
    mustCapture(src)
    const stats = new Stats()
    const seen: SeenPacket[] = []
    const done = start(src, stats, seen)
    await fetch(`http://127.0.0.1:${port}/count`, {headers: {connection: 'close'}})
    await done
    expect(seen.map((p) => p.frame)).toEqual([1, 2, 3])
    expect(stats.packets).toBe(3)
  })

  it('stops by itself after --duration', async () => {
    const src = new LiveSource({device: 'lo', filter: `tcp port ${port}`, durationSec: 0.3})
    mustCapture(src)
    const t0 = Date.now()
    await start(src, new Stats(), [])
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    expect(Date.now() - t0).toBeLessThan(3000)
  })

  it('resolves at once when stopped before reading', async () => {
    const src = new LiveSource({device: 'lo'})
    mustCapture(src)
    src.stop()
    expect(await start(src, new Stats(), [])).toBeNull()
  })
})
