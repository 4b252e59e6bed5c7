/**
 * Replays a saved crasher (test/fuzz/crashers/<id>.json): from its saved bytes when it has them
 * (inputs made from samples/, synthetic or random streams), else from its recipe (inputs made from
 * ../shared/corpus: the capture is read in place and mutated with the saved seed).
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {protocols} from '../../src/protocols/registry.js'
import {type Failure, failureOf, type SavedCrasher} from './failure.js'
import {runCapture, runStream} from './harness.js'
import {buildInput, limitsOf, loadStream, runInput} from './recipe.js'

export interface ReplayResult {
  file: string
  /** 'bytes' when the saved input was used, 'recipe' when it was regenerated. */
  from: 'bytes' | 'recipe'
  failure: Failure | null
  transactions: number
  ms: number
}

export function replayCrasher(file: string, slowMs = 2000): ReplayResult {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedCrasher
  const limits = saved.recipe.limits
  const t0 = performance.now()
  let r: ReturnType<typeof runInput>
  let from: ReplayResult['from'] = 'bytes'
  if (saved.input) r = runStream(loadStream(saved.input), protocols, limitsOf(limits))
  else if (saved.bytesFile) {
    const bytes = readFileSync(path.join(path.dirname(file), saved.bytesFile))
    r = runCapture(bytes, {protocols, limits: limitsOf(limits), chunk: saved.chunk ?? 0})
  } else {
    from = 'recipe'
    r = runInput(buildInput(saved.recipe, protocols), limits, protocols)
  }
  const ms = performance.now() - t0
  return {file, from, failure: failureOf(r, ms, slowMs), transactions: r.transactions, ms}
}
