/**
 * The run's once-a-second flush and output backpressure: a flush whose write the stream cannot take
 * at once leaves the output blocked; the run drains it there, so a source that asks afterChunk
 * later (a live capture between passes) is not left waiting for a 'drain' event already past.
 */
import {Writable} from 'node:stream'
import {describe, expect, it} from 'vitest'
import type {CaptureSource, SourceContext} from '../../src/capture/source.js'
import type {CaptureInfo, PacketSink} from '../../src/capture/types.js'
import {makeLimits} from '../../src/limits.js'
import type {Output} from '../../src/output/types.js'
import {TextWriter} from '../../src/output/writer.js'
import {run} from '../../src/run/run.js'

describe('flush and backpressure', () => {
  it('an output blocked by the periodic flush does not block the next afterChunk', async () => {
    // Every write is taken one turn later, and any write of more than 16 bytes asks the writer to wait.
    const stream = new Writable({
      highWaterMark: 16,
      write(_chunk: Buffer, _enc, cb) {
        setImmediate(cb)
      },
    })
    const w = new TextWriter(stream, 'test')
    const output: Output = {
      begin() {},
      write() {},
      get blocked() {
        return w.blocked
      },
      get closed() {
        return w.closed
      },
      drain: () => w.drain(),
      flush: () => w.flush(),
      end: () => w.end(false),
    }
    let waited: 'drained' | 'still waiting' | undefined
    const source: CaptureSource = {
      name: 'test',
      size: undefined,
      probe: () => null,
      stop() {},
      async read(_sink: PacketSink, ctx: SourceContext): Promise<CaptureInfo | null> {
        w.write('x'.repeat(100)) // buffered: less than the writer hands over by itself
        // The run's flush (once a second) hands it to the stream, which asks to wait, then drains.
        await new Promise((r) => setTimeout(r, 1800))
        expect(stream.writableLength).toBe(0)
        const r = ctx.afterChunk(0)
        waited = await Promise.race([Promise.resolve(r).then(() => 'drained' as const), new Promise<'still waiting'>((ok) => setTimeout(() => ok('still waiting'), 1500))])
        return null
      },
    }
    await run({sources: [source], protocols: [], limits: makeLimits(), outputs: [output]})
    expect(waited).toBe('drained')
  })
})
