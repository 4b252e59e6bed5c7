/**
 * The engine on its own: packets in, transactions out, no outputs. Two engines fed the records of
 * two captures interleaved packet by packet give exactly what each gives alone, so an engine holds
 * no state shared with another (the precondition for one engine per worker thread).
 */
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {FileSource} from '../../src/capture/source.js'
import type {Packet} from '../../src/capture/types.js'
import {Engine} from '../../src/engine/engine.js'
import {buildEvent} from '../../src/event/build.js'
import {makeLimits} from '../../src/limits.js'
import {protocols} from '../../src/protocols/registry.js'
import {Stats} from '../../src/stats.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const samples = readdirSync(path.join(ROOT, 'samples'))
  .flatMap((d) => readdirSync(path.join(ROOT, 'samples', d)).map((f) => path.join(ROOT, 'samples', d, f)))
  .filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f))

/** Every record of a capture, copied (the reader reuses its Packet and buffers). */
async function records(file: string): Promise<Packet[]> {
  const out: Packet[] = []
  const limits = makeLimits()
  await new FileSource(file).read(
    {packet: (p) => out.push({...p, data: Buffer.from(p.data)})},
    {limits, stats: new Stats(), onInfo: () => {}, afterChunk: () => {}},
  )
  return out
}

function engineFor(sink: string[]): Engine {
  return new Engine({
    protocols,
    limits: makeLimits(),
    stats: new Stats(),
    emit: (t) => sink.push(JSON.stringify(buildEvent(t, {precision: 'us'}))),
  })
}

describe('Engine', () => {
  it('emits the same transactions when two engines run interleaved as when each runs alone', async () => {
    expect(samples.length).toBeGreaterThan(5)
    const a = await records(samples.find((f) => f.endsWith('http/nginx.pcap'))!)
    const b = await records(samples.find((f) => f.endsWith('redis/redis.pcap'))!)
    const aloneA: string[] = []
    const aloneB: string[] = []
    const ea = engineFor(aloneA)
    for (const p of a) ea.packet(p)
    ea.end()
    const eb = engineFor(aloneB)
    for (const p of b) eb.packet(p)
    eb.end()
    expect(aloneA.length).toBeGreaterThan(5)
    expect(aloneB.length).toBeGreaterThan(5)

    const sideA: string[] = []
    const sideB: string[] = []
    const ia = engineFor(sideA)
    const ib = engineFor(sideB)
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i < a.length) ia.packet(a[i])
      if (i < b.length) ib.packet(b[i])
    }
    ia.end()
    ib.end()
    expect(sideA).toEqual(aloneA)
    expect(sideB).toEqual(aloneB)
  })

  it('skips records the filter rejects, keeping frame numbers of the capture', async () => {
    const file = samples.find((f) => f.endsWith('http/nginx.pcap'))!
    const recs = await records(file)
    const all: string[] = []
    const e1 = engineFor(all)
    for (const p of recs) e1.packet(p)
    e1.end()
    // Keep everything but the first record: frame numbers stay those of the file.
    const kept: string[] = []
    const first = recs[0].frame
    const e2 = new Engine({
      protocols,
      limits: makeLimits(),
      stats: new Stats(),
      emit: (t) => kept.push(JSON.stringify(buildEvent(t, {precision: 'us'}))),
      filter: {match: () => true},
    })
    let seen = 0
    let emitted = 0
    const e3 = new Engine({
      protocols,
      limits: makeLimits(),
      stats: new Stats(),
      emit: () => emitted++,
      filter: {
        match: () => {
          seen++
          return false
        },
      },
    })
    for (const p of recs) {
      e2.packet(p)
      e3.packet(p)
    }
    e2.end()
    e3.end()
    expect(first).toBe(1)
    expect(kept).toEqual(all)
    expect(seen).toBe(recs.length)
    expect(emitted).toBe(0)
  })

  it('flushes in-flight transactions once at end(), and end() is idempotent', () => {
    const out: string[] = []
    const e = engineFor(out)
    e.end()
    e.end()
    expect(out).toEqual([])
  })
})
