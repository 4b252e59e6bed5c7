/**
 * The processors stage: filters run on the lazy view and keep the NDJSON fast path; the first
 * mutation builds the event once; a protocol's own processors run before the top-level ones.
 */
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {FileSource} from '../../src/capture/source.js'
import {Engine} from '../../src/engine/engine.js'
import type {PbxEvent} from '../../src/event/build.js'
import {makeLimits} from '../../src/limits.js'
import {type EventSink, ProcessorStage} from '../../src/processors/stage.js'
import type {Processor} from '../../src/processors/types.js'
import type {Transaction} from '../../src/event/types.js'
import {protocols} from '../../src/protocols/registry.js'
import {Stats} from '../../src/stats.js'

const ROOT = path.resolve(import.meta.dirname, '../..')

async function transactions(rel: string): Promise<Transaction[]> {
  const out: Transaction[] = []
  const limits = makeLimits()
  const stats = new Stats()
  const engine = new Engine({protocols, limits, stats, emit: (t) => out.push(t)})
  await new FileSource(path.join(ROOT, rel)).read(engine, {limits, stats, onInfo: () => {}, afterChunk: () => {}})
  engine.end()
  return out
}

function recorder(): EventSink & {fast: Transaction[]; built: PbxEvent[]} {
  const fast: Transaction[] = []
  const built: PbxEvent[] = []
  return {fast, built, transaction: (t) => fast.push(t), event: (ev) => built.push(ev)}
}

const errorsOnly: Processor = {name: 'drop_event', filter: (ev) => ev.get('status') !== 'OK'}

describe('ProcessorStage', () => {
  it('with only filters, passes kept transactions to the fast path and builds no event', async () => {
    const ts = await transactions('samples/http/nginx.pcap')
    const sink = recorder()
    const stage = new ProcessorStage({global: [errorsOnly]}, sink)
    for (const t of ts) stage.transaction(t, {precision: 'us'})
    const errors = ts.filter((t) => t.status !== 'OK').length
    expect(errors).toBeGreaterThan(0)
    expect(errors).toBeLessThan(ts.length)
    expect(sink.fast.length).toBe(errors)
    expect(sink.built).toEqual([])
    expect([stage.kept, stage.dropped]).toEqual([errors, ts.length - errors])
  })

  it('builds the event at the first mutation, and later filters read the mutated object', async () => {
    const ts = await transactions('samples/http/nginx.pcap')
    const sink = recorder()
    let applied = 0
    const tag: Processor = {
      name: 'add_tags',
      apply: (ev) => {
        applied++
        ev.tags = ['seen']
        return true
      },
    }
    const needsTag: Processor = {name: 'drop_event', filter: (ev) => Array.isArray(ev.get('tags'))}
    const stage = new ProcessorStage({global: [errorsOnly, tag, needsTag]}, sink)
    for (const t of ts) stage.transaction(t, {precision: 'us'})
    expect(sink.fast).toEqual([])
    expect(sink.built.length).toBe(applied)
    expect(sink.built.every((e) => (e.tags as string[])[0] === 'seen' && e.status !== 'OK')).toBe(true)
  })

  it("runs a protocol's own processors before the top-level ones, and only for that protocol", async () => {
    const ts = [...(await transactions('samples/http/nginx.pcap')), ...(await transactions('samples/dns/dnsmasq.pcap'))]
    const order: string[] = []
    const mark = (name: string): Processor => ({
      name,
      apply: (ev) => {
        order.push(`${ev.type}:${name}`)
        return true
      },
    })
    const sink = recorder()
    const stage = new ProcessorStage({global: [mark('global')], byType: new Map([['dns', [mark('dns-own')]]])}, sink)
    for (const t of ts) stage.transaction(t, {precision: 'us'})
    expect(order).toContain('dns:dns-own')
    expect(order.filter((o) => o === 'http:dns-own')).toEqual([])
    const i = order.indexOf('dns:dns-own')
    expect(order[i + 1]).toBe('dns:global')
  })

  it('drops the event when a mutation returns false', async () => {
    const ts = await transactions('samples/http/nginx.pcap')
    const sink = recorder()
    const stage = new ProcessorStage({global: [{name: 'script', apply: () => false}]}, sink)
    for (const t of ts) stage.transaction(t, {precision: 'us'})
    expect(sink.fast.length + sink.built.length).toBe(0)
    expect(stage.dropped).toBe(ts.length)
  })
})
