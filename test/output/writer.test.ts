import {createWriteStream, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, it} from 'vitest'
import {TextWriter} from '../../src/output/writer.js'

let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, {recursive: true, force: true})
  dir = ''
})

/** Writes `n` records of varied length through the record API and write(); returns the text expected. */
async function fill(w: TextWriter, n: number, yieldEvery: number): Promise<string> {
  const parts: string[] = []
  for (let i = 0; i < n; i++) {
    const s = `{"i":${i},"pad":"${'x'.repeat((i * 7919) % 3000)}"}\n`
    parts.push(s)
    if (i % 2 === 0) {
      w.write(s)
    } else {
      w.startRecord()
      w.room(s.length)
      w.pos += w.arena.write(s, w.pos, 'latin1')
      w.finishRecord()
    }
    if (i % yieldEvery === 0) {
      await new Promise((r) => setImmediate(r))
      await w.drain()
    }
  }
  return parts.join('')
}

describe('TextWriter', () => {
  it('writes every byte in order to a file while reusing written-out arenas', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-writer-'))
    const file = join(dir, 'out.ndjson')
    const w = new TextWriter(createWriteStream(file), file)
    const arenas = new Set<Buffer>()
    const orig = w.room.bind(w)
    w.room = (n: number) => {
      orig(n)
      arenas.add(w.arena)
    }
    const expected = await fill(w, 8000, 50)
    await w.end(true)
    const got = readFileSync(file, 'latin1')
    expect(got.length).toBe(expected.length)
    expect(got === expected).toBe(true)
    // ~12 MB through 1 MiB arenas: with reuse far fewer distinct arenas than MiB written.
    expect(expected.length).toBeGreaterThan(10 * 1024 * 1024)
    expect(arenas.size).toBeLessThan(8)
  })

  it('never reuses a buffer handed to a non-file stream (a PassThrough passes it on as is)', async () => {
    const pt = new PassThrough()
    const chunks: Buffer[] = []
    pt.on('data', (b: Buffer) => chunks.push(b))
    const w = new TextWriter(pt, 'pass')
    const expected = await fill(w, 4000, 50)
    await w.end(true)
    expect(Buffer.concat(chunks).toString('latin1') === expected).toBe(true)
  })

  it('drain() resolves when the stream drained before it was called (writes between input chunks)', async () => {
    const stream = new PassThrough({highWaterMark: 1024})
    const w = new TextWriter(stream, 'pass')
    w.write('x'.repeat(100_000))
    w.flush()
    expect(w.blocked).toBe(true)
    // The reader empties the stream, which emits 'drain' while nobody waits for it...
    const drained = new Promise((r) => stream.once('drain', r))
    let read = 0
    stream.on('data', (c: Buffer) => (read += c.length))
    await drained
    expect(read).toBe(100_000)
    // ...so a drain() called afterwards must not wait for another one (it would wait forever).
    await w.drain()
    expect(w.blocked).toBe(false)
  }, 5000)
})
