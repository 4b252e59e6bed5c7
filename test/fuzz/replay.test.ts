/**
 * Fuzzing regression tests.
 *
 * 1. Every saved crasher under test/fuzz/crashers/ replays without failure: from its bytes (inputs
 *    made from samples/, synthetic or random streams) or from its recipe (inputs made from
 *    ../shared/corpus: source capture + mutation seed, the capture read in place).
 * 2. The fuzzer itself: inputs are deterministic for a seed, a throwing handler is caught and
 *    reported even where the reassembler's session-boundary catch would hide it, saved streams
 *    round-trip.
 * 3. A short deterministic fuzz pass over every protocol interface (fast-check random streams,
 *    mutated valid streams, corrupted captures) asserting no failure.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {protocols} from '../../src/protocols/registry.js'
import type {Protocol} from '../../src/protocols/types.js'
import {CRASHERS, failureOf, type SavedCrasher} from '../../scripts/fuzz/failure.js'
import {runCapture, runStream, type StreamInput} from '../../scripts/fuzz/harness.js'
import {mutateCapture, randomStream} from '../../scripts/fuzz/mutate.js'
import {buildInput, interfaces, limitsOf, loadStream, type Recipe, recipeFor, runInput, saveStream} from '../../scripts/fuzz/recipe.js'
import {replayCrasher} from '../../scripts/fuzz/replay.js'
import {inputSeed} from '../../scripts/fuzz/rng.js'
import {CORPUS, listSources, loadCapture} from '../../scripts/fuzz/sources.js'
import {pcapFile, TcpConversation} from '../support/synth/packets.js'

const crashers = existsSync(CRASHERS) ? readdirSync(CRASHERS).filter((f) => f.endsWith('.json')).sort() : []
const needsCorpus = (f: string) => {
  const s = JSON.parse(readFileSync(path.join(CRASHERS, f), 'utf8')) as SavedCrasher
  return s.input === undefined && s.bytesFile === undefined && (s.recipe as {source?: string}).source?.startsWith('corpus:') === true
}
// Corpus recipes replay only where the corpus is beside the project (it is not part of the repo).
const replayable = crashers.filter((f) => existsSync(CORPUS) || !needsCorpus(f))

describe('saved crashers replay without failure', () => {
  it('the crashers directory holds only JSON recipes and the capture files they name', () => {
    const files = existsSync(CRASHERS) ? readdirSync(CRASHERS) : []
    const named = new Set(crashers.map((f) => (JSON.parse(readFileSync(path.join(CRASHERS, f), 'utf8')) as SavedCrasher).bytesFile).filter(Boolean))
    for (const f of files) expect(f.endsWith('.json') || named.has(f) || f === '.gitkeep').toBe(true)
  })

  for (const f of replayable) {
    it(f, () => {
      const r = replayCrasher(path.join(CRASHERS, f), 10_000)
      expect(r.failure).toBeNull()
    })
  }
})

/** A protocol whose handler throws on a byte 0xEE: the fuzzer must see it. */
const boom: Protocol = {
  name: 'boom',
  fields: [],
  tcp: {
    ports: [9999],
    create: () => ({
      data: (_d, b) => {
        if (b.includes(0xee)) throw new RangeError('boom on 0xee')
      },
      gap: () => {},
      end: () => {},
    }),
  },
}

describe('the fuzzer', () => {
  const sources = listSources()
  const ctx = {sources, protocols, captureShare: 0.3}

  it('finds the project samples and the corpus', () => {
    expect(sources.some((s) => s.startsWith('samples/'))).toBe(true)
    if (existsSync(CORPUS)) expect(sources.filter((s) => s.startsWith('corpus:')).length).toBeGreaterThan(400)
  })

  it('builds the same input from the same seed (recipes replay exactly)', () => {
    for (let i = 0; i < 40; i++) {
      const r1 = recipeFor(inputSeed(7, i), ctx)
      const r2 = recipeFor(inputSeed(7, i), ctx)
      expect(r2).toEqual(r1)
      const a = buildInput(r1, protocols)
      const b = buildInput(r2, protocols)
      if (a.kind === 'capture' && b.kind === 'capture') expect(b.bytes.equals(a.bytes)).toBe(true)
      else if (a.kind === 'stream' && b.kind === 'stream') expect(saveStream(b.stream)).toEqual(saveStream(a.stream))
      else throw new Error('kinds differ')
    }
  })

  it('corrupts captures: editcap-style mutations change bytes, different seeds differ', () => {
    const c = loadCapture('samples/http/nginx.pcap')
    expect(c.dataOff.length).toBeGreaterThan(0)
    const a = mutateCapture(c, 1)
    const b = mutateCapture(c, 2)
    expect(a.ops.length).toBeGreaterThan(0)
    expect(a.bytes.equals(c.bytes) && b.bytes.equals(c.bytes)).toBe(false)
    expect(a.bytes.equals(b.bytes)).toBe(false)
  })

  it('reports a throwing handler in a stream run, with where and stack', () => {
    const s: StreamInput = {protocol: 'boom', transport: 'tcp', serverPort: 9999, end: 'fin', events: [{k: 'data', dir: 0, bytes: Buffer.from([1, 0xee]), dt: 0}]}
    const r = runStream(s, [boom], limitsOf('default'))
    expect(r.errors).toHaveLength(1)
    expect(r.errors[0].where).toBe('boom.tcp.data')
    expect(r.errors[0].message).toBe('RangeError: boom on 0xee')
    expect(failureOf(r, 1, 2000)?.type).toBe('throw')
  })

  it('reports a throwing handler inside the whole pipeline although the reassembler catches it', () => {
    // a capture of one TCP exchange to port 9999 carrying the byte 0xee
    const conv = new TcpConversation({client: '10.0.0.1', server: '10.0.0.2', serverPort: 9999})
    conv.handshake().send('client', Buffer.from([0xee])).close()
    const r = runCapture(pcapFile(conv.frames), {protocols: [boom], limits: limitsOf('default')})
    expect(r.stats.malformed.get('tcp: handler threw')).toBe(1)
    expect(r.errors.map((e) => e.where)).toEqual(['boom.tcp.data'])
  })

  it('a slow input is a failure', () => {
    const s: StreamInput = {protocol: 'boom', transport: 'tcp', serverPort: 9999, end: 'fin', events: []}
    expect(failureOf(runStream(s, [boom], limitsOf('default')), 5000, 2000)?.type).toBe('slow')
  })

  it('saved streams round-trip', () => {
    const s = randomStream('http', 'tcp', 80, 12345)
    expect(s.events.length).toBeGreaterThan(0)
    expect(saveStream(loadStream(saveStream(s)))).toEqual(saveStream(s))
  })
})

describe('short fuzz pass (deterministic)', () => {
  for (const i of interfaces(protocols)) {
    it(`${i.protocol}/${i.transport}: random direction-tagged chunk streams (fast-check) never throw`, () => {
      fc.assert(
        fc.property(fc.integer({min: 0, max: 0x7fffffff}), fc.constantFrom<'default' | 'tiny'>('default', 'tiny'), (seed, lim) => {
          const r = runStream(randomStream(i.protocol, i.transport, i.port, seed), protocols, limitsOf(lim))
          expect(r.errors).toEqual([])
        }),
        {numRuns: 150, seed: 20240601},
      )
    })
  }

  it('400 mixed inputs (corrupted captures, mutated valid streams) run clean', () => {
    const ctx = {sources: listSources(), protocols, captureShare: 0.25}
    const failures: {recipe: Recipe; message: string}[] = []
    for (let i = 0; i < 400; i++) {
      const recipe = recipeFor(inputSeed(99, i), ctx)
      const t0 = performance.now()
      const r = runInput(buildInput(recipe, protocols), recipe.limits, protocols)
      const f = failureOf(r, performance.now() - t0, 10_000)
      if (f) failures.push({recipe, message: `${f.where}: ${f.message}`})
    }
    expect(failures).toEqual([])
  })
})
