/**
 * TransactionView answers every path exactly as the built event does, without building it for the
 * paths filters use most. Checked on every transaction of every sample capture.
 */
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {FileSource} from '../../src/capture/source.js'
import {Engine} from '../../src/engine/engine.js'
import {buildEvent} from '../../src/event/build.js'
import {ObjectView, TransactionView} from '../../src/event/view.js'
import {createFlowObserver} from '../../src/flows/index.js'
import {makeLimits} from '../../src/limits.js'
import type {Transaction} from '../../src/event/types.js'
import {protocols} from '../../src/protocols/registry.js'
import {Stats} from '../../src/stats.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const samples = readdirSync(path.join(ROOT, 'samples'))
  .flatMap((d) => readdirSync(path.join(ROOT, 'samples', d)).map((f) => path.join(ROOT, 'samples', d, f)))
  .filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f))

async function transactions(file: string): Promise<Transaction[]> {
  const out: Transaction[] = []
  const limits = makeLimits()
  const stats = new Stats()
  const emit = (t: Transaction) => out.push(t)
  const engine = new Engine({protocols, limits, stats, emit, observer: createFlowObserver({})(emit)})
  await new FileSource(file).read(engine, {limits, stats, onInfo: () => {}, afterChunk: () => {}})
  engine.end()
  return out
}

/** Every path to a leaf (non-object value or array) of a plain object. */
function leaves(v: unknown, prefix = '', out: string[] = []): string[] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const k of Object.keys(v)) leaves((v as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out)
  } else {
    out.push(prefix)
  }
  return out
}

describe('TransactionView', () => {
  it('gives what the built event holds, for every leaf and intermediate path of every sample event', async () => {
    let checked = 0
    const view = new TransactionView()
    for (const f of samples) {
      for (const t of await transactions(f)) {
        const ev = buildEvent(t, {precision: 'us'})
        const ov = new ObjectView().reset(ev)
        const paths = leaves(ev)
        // intermediate objects too (`http.response`), and paths that do not exist
        const more = paths.flatMap((p) => {
          const parts = p.split('.')
          return parts.length > 1 ? [parts.slice(0, -1).join('.')] : []
        })
        for (const p of [...paths, ...more, 'no.such.field', 'source.nope', 'http.nope.deeper']) {
          view.reset(t, {precision: 'us'})
          expect(view.get(p), `${path.basename(f)} frame ${t.startFrame} ${p}`).toEqual(ov.get(p))
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(5000)
  })

  it('answers protocol and common fields without building the event', async () => {
    const t = (await transactions(path.join(ROOT, 'samples/http/nginx.pcap'))).find((x) => x.type === 'http')!
    const view = new TransactionView().reset(t, {precision: 'us'})
    for (const p of ['http.response.status_code', 'url.path', 'type', 'status', 'event.duration', 'source.ip', 'destination.port', 'network.transport']) {
      expect(view.get(p)).not.toBeUndefined()
    }
    // nothing was built: the first event() call builds it, so a second call returns the same object
    const built = (view as unknown as {built: unknown}).built
    expect(built).toBeNull()
    expect(view.event()).toBe(view.event())
  })
})
