/**
 * Layering: data flows down the pipeline, so a module may import only from its own stage or a
 * lower one (the design's one-way pipeline). Every import under src/ is checked: static imports and
 * re-exports, `import type` (types are coupling too), side-effect imports and dynamic `import()`.
 *
 * A file's stage is its first folder under src/ (src/decode/decoder.ts -> decode); a file directly
 * in src/ is its own stage by basename (src/limits.ts -> limits). Modules outside src/ (test/,
 * scripts/) are never importable from src/. Package imports (node:*, npm) are not checked.
 *
 * Equal ranks may import each other (filter and decode sit side by side). All violations are
 * reported in one failure message.
 */
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import {describe, expect, it} from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../src')

/**
 * The stage order, lowest first. A stage may import from stages of the same or a lower rank only.
 * Edit this table when a stage is added or moved; a folder missing here fails the test.
 */
const RANKS: ReadonlyArray<readonly [stage: string, rank: number]> = [
  ['util', 0],
  ['limits', 0],
  ['stats', 0],
  ['capture', 1],
  ['decode', 2],
  ['filter', 2], // the packet filter runs on decoded packets, beside decode
  ['reassembly', 3],
  ['event', 5], // event types (Transaction, ...) live here; protocols import them
  ['flows', 6], // flow records: a connection observer that emits Transactions, beside protocols
  ['protocols', 6],
  ['dispatch', 7], // protocol choice
  ['engine', 8], // decode -> reassembly -> dispatch -> protocols in one object, emits Transactions
  ['processors', 9],
  ['output', 10],
  ['config', 10],
  ['run', 11],
  ['report', 11], // pbx report: runs the pipeline into its own aggregator
  ['check', 11], // pbx check / baseline / diff: runs the pipeline through run/ with an in-memory output
  ['pipeline', 11],
  ['commands', 12],
  ['index', 13],
]

/**
 * Violations that exist today, as "from-file -> to-file" (paths relative to src/). Each is a
 * known debt being fixed elsewhere; remove an entry when its import is gone (a stale entry fails
 * the test too, so the list can only shrink). Empty today: keep it so.
 */
const ALLOWED: readonly string[] = []

const rankOf = new Map(RANKS)

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...sourceFiles(p))
    else if (/\.(m|c)?[tj]sx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p)
  }
  return out.sort()
}

/** The stage of a path relative to src/ ("decode/decoder.ts" -> "decode", "limits.ts" -> "limits"). */
function stageOf(rel: string): string {
  const parts = rel.split('/')
  return parts.length === 1 ? parts[0].replace(/\.[^.]+$/, '') : parts[0]
}

/** Relative module specifiers of one file: imports, re-exports, type imports, import(). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.'))
}

/** src/-relative, POSIX, `.ts` path of a relative specifier ('../decode/types.js' -> 'decode/types.ts'). */
function resolve(fromFile: string, spec: string): string {
  const abs = path.resolve(path.dirname(fromFile), spec).replace(/\.js$/, '.ts')
  return path.relative(SRC, abs).split(path.sep).join('/')
}

interface Scan {
  unknown: string[]
  violations: string[]
}

function scan(): Scan {
  const unknown = new Set<string>()
  const violations: string[] = []
  for (const file of sourceFiles(SRC)) {
    const from = path.relative(SRC, file).split(path.sep).join('/')
    const fromStage = stageOf(from)
    const fromRank = rankOf.get(fromStage)
    if (fromRank === undefined) unknown.add(fromStage)
    for (const spec of importsOf(file)) {
      const to = resolve(file, spec)
      if (to.startsWith('../')) {
        violations.push(`${from} -> ${to} (outside src/: the product may not import test or script code)`)
        continue
      }
      const toStage = stageOf(to)
      const toRank = rankOf.get(toStage)
      if (toRank === undefined) {
        unknown.add(toStage)
        continue
      }
      if (fromRank !== undefined && toRank > fromRank) violations.push(`${from} -> ${to}`)
    }
  }
  return {unknown: [...unknown].sort(), violations}
}

describe('architecture: imports go down the pipeline only', () => {
  const {unknown, violations} = scan()

  it('every stage under src/ is in the rank table', () => {
    expect(
      unknown,
      `src/ has folders or top-level files with no rank: ${unknown.join(', ')}. Add each to RANKS in ` +
        'test/architecture.test.ts at the rank of its pipeline stage (lowest stage first).',
    ).toEqual([])
  })

  it('no module imports a higher stage (except the listed debts)', () => {
    const allowed = new Set(ALLOWED)
    const fresh = violations.filter((v) => !allowed.has(v))
    const describeOne = (v: string) => {
      const m = /^(\S+) -> (\S+)$/.exec(v)
      if (!m) return v
      const a = stageOf(m[1])
      const b = stageOf(m[2])
      return `${v}   (${a} rank ${rankOf.get(a)} imports ${b} rank ${rankOf.get(b)})`
    }
    expect(
      fresh,
      `${fresh.length} import(s) from a lower stage to a higher one:\n  ${fresh.map(describeOne).join('\n  ')}\n` +
        'Move the shared piece down (types to the lowest stage that needs them) or, if the order in ' +
        'RANKS is wrong, change RANKS.',
    ).toEqual([])
  })

  it('the allow-list holds only violations that still exist', () => {
    const present = new Set(violations)
    const stale = ALLOWED.filter((v) => !present.has(v))
    expect(stale, `fixed, remove from ALLOWED in test/architecture.test.ts:\n  ${stale.join('\n  ')}`).toEqual([])
  })

  it('scripts/ import from test/ only its support code (test/support/)', () => {
    const scripts = path.resolve(SRC, '../scripts')
    const root = path.resolve(SRC, '..')
    const bad: string[] = []
    let toTest = 0
    for (const file of sourceFiles(scripts)) {
      for (const spec of importsOf(file)) {
        const to = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/')
        if (!to.startsWith('test/')) continue
        toTest++
        if (!to.startsWith('test/support/')) bad.push(`${path.relative(root, file)} -> ${to}`)
      }
    }
    expect(bad, `move what these scripts share with the tests into test/support/:\n  ${bad.join('\n  ')}`).toEqual([])
    expect(toTest).toBeGreaterThan(0) // the scan does see the scripts' test/support imports
  })

  it('finds imports of every form (self-check of the scanner)', () => {
    const sample = [
      "import {a} from '../x/a.js'",
      "import type {B} from '../x/b.js'",
      "export {c} from '../x/c.js'",
      "export * from '../x/d.js'",
      "import '../x/e.js'",
      "const f = await import('../x/f.js')",
      "import {g} from 'node:fs'",
      'import {\n  h,\n  type H,\n} from "../x/h.js"',
    ].join('\n')
    const got = ts
      .preProcessFile(sample, true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((s) => s.startsWith('.'))
    expect(got.sort()).toEqual(['../x/a.js', '../x/b.js', '../x/c.js', '../x/d.js', '../x/e.js', '../x/f.js', '../x/h.js'])
    expect(stageOf('limits.ts')).toBe('limits')
    expect(stageOf('protocols/dns/parser.ts')).toBe('protocols')
    expect(resolve(path.join(SRC, 'reassembly/udp.ts'), '../protocols/types.js')).toBe('protocols/types.ts')
  })
})
