/**
 * `pbx diff`: two baselines compared section by section. A difference is a key that appeared or
 * disappeared, a count that moved by more than the count threshold, or a latency percentile that
 * moved by more than the relative latency threshold (and by more than the absolute floor, so that
 * 20us -> 40us on loopback is not a "100% regression"). Each difference says whether it is a
 * regression (exit 1): latency getting faster, fewer anomalies or fewer errors are reported as
 * improvements, not regressions; new endpoints are regressions unless `new_endpoints: ignore`.
 *
 * Thresholds (`--threshold KEY=VALUE`, repeatable):
 *   latency=0.5          relative change of the latency metric that counts (0.5: 50%)
 *   latency_metric=p95   which percentile is compared (p50, p90, p95, p99, max)
 *   latency_floor=1ms    changes smaller than this never count
 *   count=0              absolute count change that counts, for every count section
 *   count.SECTION=N      the same for one section (count.endpoints=5, count.dns_names=100, ...)
 *   new_endpoints=fail   fail | ignore: whether an endpoint, route or SQL fingerprint that appears
 *                        is a regression
 */
import {terminalSafe} from '../util/sanitize.js'
import {PERCENTILES, type PercentileName, parseDuration, showDuration} from './aggregate.js'
import {type Baseline, COUNT_SECTIONS, type CountSection, LATENCY_SECTIONS} from './baseline.js'

export interface DiffThresholds {
  latency: number
  latencyMetric: PercentileName
  latencyFloorNs: number
  count: number
  countBySection: Partial<Record<CountSection, number>>
  newEndpoints: 'fail' | 'ignore'
}

export const DEFAULT_THRESHOLDS: DiffThresholds = {
  latency: 0.5,
  latencyMetric: 'p95',
  latencyFloorNs: 1e6,
  count: 0,
  countBySection: {},
  newEndpoints: 'fail',
}

export class ThresholdError extends Error {
  override name = 'ThresholdError'
}

/** Parses `KEY=VALUE` items over the defaults; errors name the item. */
export function parseThresholds(items: readonly string[]): DiffThresholds {
  const t: DiffThresholds = {...DEFAULT_THRESHOLDS, countBySection: {}}
  for (const item of items) {
    const eq = item.indexOf('=')
    const key = eq < 0 ? item : item.slice(0, eq)
    const value = eq < 0 ? '' : item.slice(eq + 1)
    const bad = (what: string): never => {
      throw new ThresholdError(`--threshold ${item}: ${what}`)
    }
    const num = () => {
      const n = Number(value)
      if (value === '' || !Number.isFinite(n) || n < 0) bad('expected a number >= 0')
      return n
    }
    if (key === 'latency') t.latency = num()
    else if (key === 'latency_metric') {
      if (!(PERCENTILES as readonly string[]).includes(value)) bad(`expected one of ${PERCENTILES.join(', ')}`)
      t.latencyMetric = value as PercentileName
    } else if (key === 'latency_floor') {
      const ns = parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value)
      if (ns === null) bad('expected a duration such as 1ms or 500us')
      t.latencyFloorNs = ns as number
    } else if (key === 'count') t.count = num()
    else if (key.startsWith('count.')) {
      const s = key.slice(6) as CountSection
      if (!COUNT_SECTIONS.includes(s)) bad(`unknown section "${s}"; known: ${COUNT_SECTIONS.join(', ')}`)
      t.countBySection[s] = num()
    } else if (key === 'new_endpoints') {
      if (value !== 'fail' && value !== 'ignore') bad('expected fail or ignore')
      t.newEndpoints = value as 'fail' | 'ignore'
    } else bad('unknown threshold; known: latency, latency_metric, latency_floor, count, count.SECTION, new_endpoints')
  }
  return t
}

export interface Difference {
  section: string
  key: string
  change: 'appeared' | 'disappeared' | 'count' | 'latency'
  before: number | null
  after: number | null
  regression: boolean
}

/** Sections where more is better (an increase is not a regression). */
const BAD_WHEN_MORE: ReadonlySet<string> = new Set(['anomalies', 'endpoint_errors'])
const ENDPOINT_LIKE: ReadonlySet<string> = new Set(['endpoints', 'routes', 'sql'])

const isErrorStatus = (section: string, key: string) =>
  (section === 'http_status' && Number(key) >= 500) || (section === 'dns_rcode' && key !== 'NOERROR')

export function diffBaselines(a: Baseline, b: Baseline, t: DiffThresholds = DEFAULT_THRESHOLDS): Difference[] {
  const out: Difference[] = []
  const appeared = (section: string): boolean => {
    if (ENDPOINT_LIKE.has(section)) return t.newEndpoints === 'fail'
    return true
  }
  for (const s of COUNT_SECTIONS) {
    const before = a.counts[s]
    const after = b.counts[s]
    const limit = t.countBySection[s] ?? t.count
    for (const key of union(before, after)) {
      const x = before[key]
      const y = after[key]
      if (x === undefined) out.push({section: s, key, change: 'appeared', before: null, after: y, regression: appeared(s)})
      else if (y === undefined) {
        // Anomalies or errors that went away are an improvement.
        out.push({section: s, key, change: 'disappeared', before: x, after: null, regression: !BAD_WHEN_MORE.has(s) && !isErrorStatus(s, key)})
      } else if (Math.abs(y - x) > limit) {
        const better = (BAD_WHEN_MORE.has(s) || isErrorStatus(s, key)) && y < x
        out.push({section: s, key, change: 'count', before: x, after: y, regression: !better})
      }
    }
  }
  const m = t.latencyMetric
  for (const s of LATENCY_SECTIONS) {
    const before = a.latency[s]
    const after = b.latency[s]
    for (const key of union(before, after)) {
      const x = before[key]
      const y = after[key]
      if (x === undefined) out.push({section: s, key, change: 'appeared', before: null, after: y[m], regression: appeared(s)})
      else if (y === undefined) out.push({section: s, key, change: 'disappeared', before: x[m], after: null, regression: true})
      else {
        const d = y[m] - x[m]
        if (Math.abs(d) > t.latencyFloorNs && Math.abs(d) > t.latency * x[m]) out.push({section: s, key, change: 'latency', before: x[m], after: y[m], regression: d > 0})
      }
    }
  }
  return out
}

function union(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
}

const fmt = (d: Difference, v: number | null) => (v === null ? '-' : d.change === 'latency' || LATENCY_SECTIONS.includes(d.section as never) ? showDuration(v) : String(v))

/** The terminal table: one row per difference, regressions first. */
export function diffTable(diffs: readonly Difference[], t: DiffThresholds): string {
  if (diffs.length === 0) return 'no differences beyond the thresholds\n'
  const rows = [...diffs].sort((x, y) => Number(y.regression) - Number(x.regression))
  const head = ['', 'section', 'change', 'key', 'before', 'after']
  const body = rows.map((d) => {
    let change: string = d.change
    if (d.change === 'latency' && d.before !== null && d.after !== null) change = `${t.latencyMetric} ${d.after > d.before ? '+' : ''}${Math.round(((d.after - d.before) / (d.before || 1)) * 100)}%`
    else if (d.change === 'count' && d.before !== null && d.after !== null) change = `count ${d.after > d.before ? '+' : ''}${d.after - d.before}`
    const key = terminalSafe(d.key, 70)
    return [d.regression ? 'REGRESSION' : 'changed', d.section, change, key, fmt(d, d.before), fmt(d, d.after)]
  })
  const widths = head.map((_, i) => Math.max(head[i].length, ...body.map((r) => r[i].length)))
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()
  const regressions = diffs.filter((d) => d.regression).length
  return `${[line(head), ...body.map(line)].join('\n')}\n${diffs.length} differences, ${regressions} regressions\n`
}
