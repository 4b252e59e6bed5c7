/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, mapped from dist/*.js back
 * to src/*.ts lines through the source maps tsc writes next to the built files.
 */
import {existsSync, readFileSync} from 'node:fs'
import {SourceMap} from 'node:module'
import {relative} from 'node:path'
import {fileURLToPath} from 'node:url'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  /** Samples per 1-based line of the generated file (when V8 recorded them). */
  positionTicks?: {line: number; ticks: number}[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface HotSpot {
  fn: string
  /** Where the function starts (src file:line). */
  where: string
  /** The function's line with most samples (src file:line), when known. */
  hotLine?: string
  selfMs: number
  pct: number
}

const maps = new Map<string, SourceMap | null>()

function mapFor(file: string): SourceMap | null {
  let m = maps.get(file)
  if (m === undefined) {
    m = null
    const p = `${file}.map`
    if (existsSync(p)) m = new SourceMap(JSON.parse(readFileSync(p, 'utf8')))
    maps.set(file, m)
  }
  return m
}

function locate(cf: CallFrame, root: string): string {
  return locateAt(cf, root, cf.lineNumber, cf.columnNumber)
}

/** Maps a 0-based generated line/column of cf.url to `src file:line`. */
function locateAt(cf: CallFrame, root: string, line: number, column: number): string {
  if (!cf.url) return '(native)'
  if (!cf.url.startsWith('file://')) return cf.url
  const file = fileURLToPath(cf.url)
  const m = mapFor(file)
  if (m !== null && line >= 0) {
    const e = m.findEntry(line, column) as {originalSource?: string; originalLine?: number}
    if (e.originalSource !== undefined && e.originalLine !== undefined) {
      const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : e.originalSource
      const abs = src.startsWith('/') ? src : new URL(src, cf.url).pathname
      return `${relative(root, abs)}:${e.originalLine + 1}`
    }
  }
  return `${relative(root, file)}:${line + 1}`
}

/** Top `n` functions by self time, and self time per source file. */
export function summarise(profilePath: string, root: string, n = 20): {top: HotSpot[]; files: HotSpot[]; totalMs: number} {
  const prof = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile
  const byId = new Map<number, ProfileNode>()
  for (const nd of prof.nodes) byId.set(nd.id, nd)
  const self = new Map<number, number>()
  let total = 0
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000
    total += dt
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt)
  }
  const lineTicks = new Map<string, Map<string, number>>()
  const fns = new Map<string, HotSpot>()
  const files = new Map<string, HotSpot>()
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame
    const where = locate(cf, root)
    const fn = cf.functionName || '(anonymous)'
    const key = `${fn} ${where}`
    const h = fns.get(key) ?? {fn, where, selfMs: 0, pct: 0}
    h.selfMs += ms
    fns.set(key, h)
    const lt = lineTicks.get(key) ?? new Map<string, number>()
    for (const t of byId.get(id)!.positionTicks ?? []) {
      const at = locateAt(cf, root, t.line - 1, 0)
      lt.set(at, (lt.get(at) ?? 0) + t.ticks)
    }
    lineTicks.set(key, lt)
    const file = where.replace(/:\d+$/, '')
    const f = files.get(file) ?? {fn: '', where: file, selfMs: 0, pct: 0}
    f.selfMs += ms
    files.set(file, f)
  }
  for (const [key, h] of fns) {
    let best = 0
    for (const [at, t] of lineTicks.get(key) ?? []) {
      if (t > best) {
        best = t
        h.hotLine = at
      }
    }
  }
  const fin = (xs: Iterable<HotSpot>) =>
    [...xs]
      .map((h) => ({...h, pct: (100 * h.selfMs) / total}))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, n)
  return {top: fin(fns.values()), files: fin(files.values()), totalMs: total}
}
