/**
 * What counts as a failed fuzz input, and how failures are saved as regression tests.
 *
 * Failures: an exception from pbx code (recorded by the harness with its stack, also those the
 * reassembler's session-boundary catch would swallow), an input slower than the time limit, a
 * worker that stops making progress (hang, killed by the watchdog), and a worker or process over
 * its memory bound.
 *
 * Saving (test/fuzz/crashers/): `<id>.json` holds the recipe and the failure. Inputs made from
 * the project's own samples, from synthetic streams or from nothing carry their bytes as well
 * (`input`: a saved stream, or `bytes` as a file `<id>.pcap` beside it); inputs made from the
 * public corpus carry only the recipe (source capture name + mutation seed), since those captures
 * belong to other projects. test/fuzz/replay.test.ts runs every saved file.
 */
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import type {RunResult} from './harness.js'
import {buildInput, type Recipe, saveStream, type SavedStream} from './recipe.js'
import {isCorpusSource, ROOT} from './sources.js'
import type {Protocol} from '../../src/protocols/types.js'

export const CRASHERS = path.join(ROOT, 'test/fuzz/crashers')

export interface Failure {
  type: 'throw' | 'slow' | 'hang' | 'memory'
  where: string
  message: string
  stack: string
  ms?: number
}

export function failureOf(r: RunResult, ms: number, slowMs: number): Failure | null {
  if (r.errors.length > 0) {
    const e = r.errors[0]
    return {type: 'throw', where: e.where, message: e.message, stack: e.stack, ms}
  }
  if (ms > slowMs) return {type: 'slow', where: 'input', message: `took ${Math.round(ms)} ms (limit ${slowMs} ms)`, stack: '', ms}
  return null
}

/** Groups failures of one cause: type, where, message without numbers, first stack frame in pbx code. */
export function signature(f: Failure): string {
  const frame = f.stack.split('\n').find((l) => l.includes('/src/')) ?? ''
  const msg = f.message.replace(/\d+/g, 'N').slice(0, 120)
  return `${f.type} ${f.where} ${msg} ${frame.trim().replace(/:\d+:\d+\)?$/, '')}`
}

export interface SavedCrasher {
  recipe: Recipe
  failure: Failure
  found: {runSeed: number; index: number}
  /** Present when the input is not made from the public corpus. */
  input?: SavedStream
  /** File (beside the JSON) with the mutated capture bytes, for captures from samples/. */
  bytesFile?: string
  /** Chunk size the capture bytes are pushed with (0 = whole). */
  chunk?: number
}

function usesCorpus(r: Recipe): boolean {
  return (r.kind === 'capture' || (r.kind === 'stream' && r.origin === 'tap')) && isCorpusSource((r as {source: string}).source)
}

/** Writes a crasher; returns its path. */
export function saveCrasher(f: Failure, recipe: Recipe, runSeed: number, index: number, protocols: readonly Protocol[]): string {
  mkdirSync(CRASHERS, {recursive: true})
  const what = recipe.kind === 'capture' ? 'capture' : recipe.origin === 'tap' ? 'tap' : recipe.origin
  const sig = createHash('sha1').update(signature(f)).digest('hex').slice(0, 8)
  const id = `${f.type}-${what}-${sig}`
  const file = path.join(CRASHERS, `${id}.json`)
  if (existsSync(file)) return file
  const saved: SavedCrasher = {recipe, failure: f, found: {runSeed, index}}
  if (!usesCorpus(recipe)) {
    const input = buildInput(recipe, protocols)
    if (input.kind === 'stream') saved.input = saveStream(input.stream)
    else {
      saved.bytesFile = `${id}.pcap`
      saved.chunk = input.chunk
      writeFileSync(path.join(CRASHERS, saved.bytesFile), input.bytes)
    }
  }
  writeFileSync(file, JSON.stringify(saved, null, 2) + '\n')
  return file
}
