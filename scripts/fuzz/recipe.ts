/**
 * Recipes: the complete, replayable description of one fuzz input.
 *
 *   {kind: 'capture', source, seed, limits}            a corrupted capture through the whole pipeline
 *   {kind: 'stream', origin: 'random', protocol, transport, seed, limits}
 *   {kind: 'stream', origin: 'synth',  synth, synthSeed, seed, limits}
 *   {kind: 'stream', origin: 'tap',    source, session, seed, limits}
 *
 * recipeFor(runSeed, index) chooses the recipe of input `index` of a run; buildInput(recipe)
 * materialises it. Both are deterministic, so `{source, seed}` is enough to replay a corpus
 * failure without copying the corpus capture. Inputs made from the project's own samples or from
 * nothing (random, synth) are saved with their bytes too (test/fuzz/crashers/).
 */
import {DEFAULT_LIMITS, type Limits} from '../../src/limits.js'
import type {Protocol} from '../../src/protocols/types.js'
import {type RunResult, runCapture, runStream, type StreamEvent, type StreamInput} from './harness.js'
import {mutateCapture, mutateStream, randomStream} from './mutate.js'
import {Rng} from './rng.js'
import {loadCapture, SYNTH_KINDS, synthStream, tapCapture} from './sources.js'

export type LimitsProfile = 'default' | 'tiny'

export type Recipe =
  | {kind: 'capture'; source: string; seed: number; limits: LimitsProfile}
  | {kind: 'stream'; origin: 'random'; protocol: string; transport: StreamInput['transport']; seed: number; limits: LimitsProfile}
  | {kind: 'stream'; origin: 'synth'; synth: number; synthSeed: number; seed: number; limits: LimitsProfile}
  | {kind: 'stream'; origin: 'tap'; source: string; session: number; seed: number; limits: LimitsProfile}

/**
 * Small bounds so that every degradation path (eviction, gaps at the out-of-order bound, dropped
 * pending requests, truncated messages) is taken often, and memory stays small.
 */
export const TINY_LIMITS: Readonly<Limits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxRecordBytes: 65_535,
  tcpOooBytesPerConn: 8 * 1024,
  tcpOooBytesTotal: 32 * 1024,
  tcpOooSegmentsPerDir: 8,
  maxConnections: 8,
  tcpIdleTimeoutSec: 5,
  udpFlowIdleTimeoutSec: 2,
  udpTransactionTimeoutSec: 1,
  maxFragmentSets: 4,
  maxFragmentSetBytes: 4096,
  fragmentTimeoutSec: 1,
  maxHeaderBytes: 256,
  maxMessageBytes: 4096,
  maxPendingRequests: 4,
  maxDecodedBodyBytes: 4096,
  summaryTopKeys: 16,
})

/** The bounds fuzz inputs run with by default: the defaults, with a smaller decoded-body bound. */
export const FUZZ_LIMITS: Readonly<Limits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxMessageBytes: 1024 * 1024,
  maxDecodedBodyBytes: 1024 * 1024,
})

export function limitsOf(p: LimitsProfile): Limits {
  return {...(p === 'tiny' ? TINY_LIMITS : FUZZ_LIMITS)}
}

/** Every protocol interface the stream fuzzer drives. */
export function interfaces(protocols: readonly Protocol[]): {protocol: string; transport: StreamInput['transport']; port: number}[] {
  const out: {protocol: string; transport: StreamInput['transport']; port: number}[] = []
  for (const p of protocols) {
    if (p.tcp) out.push({protocol: p.name, transport: 'tcp', port: p.tcp.ports[0] ?? 9})
    if (p.udp) out.push({protocol: p.name, transport: 'udp', port: p.udp.ports[0] ?? 9})
    if (p.ip) out.push({protocol: p.name, transport: 'ip', port: 0})
  }
  return out
}

export interface RecipeContext {
  sources: readonly string[]
  protocols: readonly Protocol[]
  /** Share of inputs that are whole corrupted captures (the rest are protocol streams). */
  captureShare: number
}

/** The recipe of input `index` of the run with `runSeed`. */
export function recipeFor(seed: number, ctx: RecipeContext): Recipe {
  const rng = new Rng(seed)
  const limits: LimitsProfile = rng.chance(0.5) ? 'tiny' : 'default'
  if (ctx.sources.length > 0 && rng.chance(ctx.captureShare)) {
    return {kind: 'capture', source: rng.pick(ctx.sources), seed: rng.int(0, 0x7fffffff), limits}
  }
  const x = rng.next()
  if (x < 0.35) {
    const i = rng.pick(interfaces(ctx.protocols))
    return {kind: 'stream', origin: 'random', protocol: i.protocol, transport: i.transport, seed: rng.int(0, 0x7fffffff), limits}
  }
  if (x < 0.65 || ctx.sources.length === 0) {
    return {kind: 'stream', origin: 'synth', synth: rng.int(0, SYNTH_KINDS.length - 1), synthSeed: rng.int(0, 63), seed: rng.int(0, 0x7fffffff), limits}
  }
  // tapped: a capture, then one of its sessions (captures without sessions fall back to synth)
  const source = rng.pick(ctx.sources)
  const sessions = tapCapture(source, ctx.protocols)
  if (sessions.length === 0) {
    return {kind: 'stream', origin: 'synth', synth: rng.int(0, SYNTH_KINDS.length - 1), synthSeed: rng.int(0, 63), seed: rng.int(0, 0x7fffffff), limits}
  }
  return {kind: 'stream', origin: 'tap', source, session: rng.int(0, sessions.length - 1), seed: rng.int(0, 0x7fffffff), limits}
}

const synthCache = new Map<number, StreamInput>()

/** synthStream, cached (mutateStream never changes its base: it copies bytes before changing them). */
function cachedSynth(kind: number, seed: number): StreamInput {
  const key = kind * 65536 + seed
  let s = synthCache.get(key)
  if (!s) {
    s = synthStream(kind, seed)
    synthCache.set(key, s)
  }
  return s
}

export type Input = {kind: 'capture'; bytes: Buffer; chunk: number; ops: string[]} | {kind: 'stream'; stream: StreamInput}

/** Materialises a recipe. Throws only if the recipe names something that does not exist. */
export function buildInput(r: Recipe, protocols: readonly Protocol[]): Input {
  if (r.kind === 'capture') {
    const m = mutateCapture(loadCapture(r.source), r.seed)
    return {kind: 'capture', bytes: m.bytes, chunk: m.chunk, ops: m.ops}
  }
  if (r.origin === 'random') {
    const p = interfaces(protocols).find((i) => i.protocol === r.protocol && i.transport === r.transport)
    return {kind: 'stream', stream: randomStream(r.protocol, r.transport, p?.port ?? 9, r.seed)}
  }
  if (r.origin === 'synth') {
    const base = cachedSynth(r.synth, r.synthSeed)
    const other = cachedSynth(r.synth, r.synthSeed + 1)
    return {kind: 'stream', stream: mutateStream(base, r.seed, other)}
  }
  const sessions = tapCapture(r.source, protocols)
  const base = sessions[r.session]
  if (base === undefined) throw new Error(`recipe: ${r.source} has no session ${r.session}`)
  const other = sessions.find((s, i) => i !== r.session && s.protocol === base.protocol && s.transport === base.transport)
  return {kind: 'stream', stream: mutateStream(base, r.seed, other)}
}

export function runInput(input: Input, limits: LimitsProfile, protocols: readonly Protocol[]): RunResult {
  if (input.kind === 'capture') return runCapture(input.bytes, {protocols, limits: limitsOf(limits), chunk: input.chunk})
  return runStream(input.stream, protocols, limitsOf(limits))
}

// ------------------------------------------------------------------------------ saved streams

export interface SavedStream {
  protocol: string
  transport: StreamInput['transport']
  end: StreamInput['end']
  serverPort: number
  /** 'd<dir> <dt> <hex>' or 'g<dir> <dt> <n>' per event. */
  events: string[]
}

export function saveStream(s: StreamInput): SavedStream {
  return {
    protocol: s.protocol,
    transport: s.transport,
    end: s.end,
    serverPort: s.serverPort,
    events: s.events.map((e) => (e.k === 'data' ? `d${e.dir} ${e.dt} ${e.bytes.toString('hex')}` : `g${e.dir} ${e.dt} ${e.n}`)),
  }
}

export function loadStream(s: SavedStream): StreamInput {
  const events: StreamEvent[] = s.events.map((line) => {
    const [head, dt, rest] = line.split(' ')
    const dir = head[1] === '1' ? 1 : 0
    return head[0] === 'd'
      ? {k: 'data', dir, bytes: Buffer.from(rest ?? '', 'hex'), dt: Number(dt)}
      : {k: 'gap', dir, n: Number(rest), dt: Number(dt)}
  })
  return {protocol: s.protocol, transport: s.transport, end: s.end, serverPort: s.serverPort, events}
}
