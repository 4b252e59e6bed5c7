/**
 * Fuzz worker (node:worker_threads). Runs inputs start, start+stride, start+2*stride, ... of the
 * run until `end` or until the main thread raises the stop flag, and reports to the main thread:
 *   {type: 'progress', done, captures, streams, transactions, heapMb}   every ~250 ms
 *   {type: 'failure', index, recipe, failure}                            per failing input
 *   {type: 'done', ...progress}                                          at the end
 * Shared memory (Int32Array over workerData.shared): [0] stop flag (main -> worker), [1] index of
 * the input running now, [2] inputs finished (the main thread's watchdog watches it move).
 */
import {getHeapStatistics} from 'node:v8'
import {parentPort, workerData} from 'node:worker_threads'
import {protocols} from '../../src/protocols/registry.js'
import {type Failure, failureOf} from './failure.js'
import {buildInput, type Recipe, recipeFor, runInput} from './recipe.js'
import {inputSeed} from './rng.js'
import {listSources} from './sources.js'

export interface WorkerData {
  runSeed: number
  start: number
  stride: number
  end: number
  captureShare: number
  slowMs: number
  shared: SharedArrayBuffer
  /** Restrict sources to those whose key contains this text. */
  only?: string
}

export type WorkerMessage =
  | {type: 'progress' | 'done'; done: number; captures: number; streams: number; transactions: number; heapMb: number}
  | {type: 'failure'; index: number; recipe: Recipe; failure: Failure}

const d = workerData as WorkerData
const flags = new Int32Array(d.shared)
const sources = listSources().filter((s) => d.only === undefined || s.includes(d.only))
const ctx = {sources, protocols, captureShare: d.captureShare}
const post = (m: WorkerMessage) => parentPort!.postMessage(m)

let done = 0
let captures = 0
let streams = 0
let transactions = 0
let lastReport = performance.now()
const progress = (type: 'progress' | 'done') => {
  post({type, done, captures, streams, transactions, heapMb: Math.round(getHeapStatistics().used_heap_size / 1048576)})
  done = 0
  captures = 0
  streams = 0
  transactions = 0
}

for (let i = d.start; i < d.end; i += d.stride) {
  if (Atomics.load(flags, 0) !== 0) break
  Atomics.store(flags, 1, i)
  const recipe = recipeFor(inputSeed(d.runSeed, i), ctx)
  const t0 = performance.now()
  let failure: Failure | null
  try {
    const input = buildInput(recipe, protocols)
    const r = runInput(input, recipe.limits, protocols)
    transactions += r.transactions
    failure = failureOf(r, performance.now() - t0, d.slowMs)
  } catch (e) {
    // the generator itself failed: a fuzzer bug, reported like a failure so it is seen
    failure = {type: 'throw', where: 'fuzzer', message: String(e), stack: (e as Error).stack ?? ''}
  }
  if (recipe.kind === 'capture') captures++
  else streams++
  done++
  Atomics.add(flags, 2, 1)
  if (failure) post({type: 'failure', index: i, recipe, failure})
  const now = performance.now()
  if (now - lastReport > 250) {
    lastReport = now
    progress('progress')
  }
}
progress('done')
