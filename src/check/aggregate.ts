/**
 * Building blocks shared by `check` rules and baselines: reading an event by dotted path, route
 * templates, exact percentiles over a bounded list of durations, and a one-line description of an
 * event for examples (with its frame numbers, so a person can open them in Wireshark).
 */
import type {PbxEvent} from '../event/build.js'
import {getParts, splitPath} from '../event/view.js'
import {terminalSafe} from '../util/sanitize.js'

/**
 * Durations kept per group for exact percentiles. Beyond it the group keeps a uniform reservoir
 * sample of this size (deterministic: a fixed-seed generator) and its percentiles are marked
 * `exact: false`; the count and max stay exact. 1,000,000 doubles is 8 MB per group.
 */
export const MAX_KEPT_DURATIONS = 1_000_000

export function get(ev: PbxEvent, path: string): unknown {
  return getParts(ev, splitPath(path))
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NUMBER = /^\d+$/
const HEX_ID = /^[0-9a-f]{16,}$/i

/**
 * A URL path with the parts that change between requests replaced: numeric segments become
 * `:id`, UUIDs `:uuid`, long hex strings (hashes, object ids) `:hex`. The query string is dropped.
 * `/users/42/orders/7f1c0e1a-...` -> `/users/:id/orders/:uuid`.
 */
export function routeTemplate(path: string): string {
  const q = path.search(/[?#]/)
  const p = q < 0 ? path : path.slice(0, q)
  return p
    .split('/')
    .map((s) => (NUMBER.test(s) ? ':id' : UUID.test(s) ? ':uuid' : HEX_ID.test(s) ? ':hex' : s))
    .join('/')
}

/** Percentile names understood by rules and baselines. */
export const PERCENTILES = ['p50', 'p90', 'p95', 'p99', 'max'] as const
export type PercentileName = (typeof PERCENTILES)[number]

export interface LatencyStats {
  count: number
  /** Nanoseconds (event.duration). */
  p50: number
  p90: number
  p95: number
  p99: number
  max: number
  /** False when more than MAX_KEPT_DURATIONS were seen (percentiles from a uniform sample). */
  exact: boolean
}

/**
 * Durations of one group. Percentiles are nearest-rank on the sorted values: pN is the smallest
 * value with at least N% of the values at or below it (p100 = max).
 */
export class Durations {
  private values: number[] = []
  count = 0
  max = 0
  private seed = 0x2545f491

  constructor(private readonly cap = MAX_KEPT_DURATIONS) {}

  add(ns: number): void {
    this.count++
    if (ns > this.max) this.max = ns
    if (this.values.length < this.cap) {
      this.values.push(ns)
      return
    }
    // Reservoir sampling (algorithm R) with a xorshift generator: the same input, the same sample.
    let x = this.seed
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.seed = x >>> 0
    const j = this.seed % this.count
    if (j < this.cap) this.values[j] = ns
  }

  stats(): LatencyStats {
    const v = [...this.values].sort((a, b) => a - b)
    const at = (q: number) => (v.length === 0 ? 0 : v[Math.max(0, Math.ceil((q / 100) * v.length) - 1)])
    return {count: this.count, p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: this.max, exact: this.count <= this.cap}
  }
}

/** `1.5s`, `250ms`, `40us`, `900ns`, or a plain number of milliseconds -> nanoseconds; null if bad. */
export function parseDuration(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * 1e6 : null
  if (typeof v !== 'string') return null
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m)?\s*$/.exec(v)
  if (m === null) return null
  const n = Number(m[1])
  const unit = m[2] ?? 'ms'
  const mult = unit === 'ns' ? 1 : unit === 'us' || unit === 'µs' ? 1e3 : unit === 'ms' ? 1e6 : unit === 's' ? 1e9 : 60e9
  return Math.round(n * mult)
}

/** Nanoseconds for people: `687us`, `4.50s`. */
export function showDuration(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)}s`
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : 1)}ms`
  if (ns >= 1e3) return `${Math.round(ns / 1e3)}us`
  return `${ns}ns`
}

export function frames(ev: PbxEvent): number[] {
  const f = get(ev, 'pbx.frames')
  return Array.isArray(f) ? f.filter((x): x is number => typeof x === 'number') : []
}

/** One line that says which event this is: `http 10.0.0.1:80 GET /x -> 500 4.50s`. */
export function describeEvent(ev: PbxEvent): string {
  const parts: string[] = [String(ev.type ?? '?')]
  const file = get(ev, 'pbx.file')
  const dip = get(ev, 'destination.ip')
  const dport = get(ev, 'destination.port')
  if (dip !== undefined) parts.push(dport === undefined ? String(dip) : `${dip}:${dport}`)
  const q = ev.query
  if (typeof q === 'string') parts.push(terminalSafe(q, 80))
  const code = get(ev, 'http.response.status_code') ?? get(ev, 'dns.response_code')
  if (code !== undefined) parts.push(`-> ${code}`)
  else if (ev.status !== undefined) parts.push(`-> ${ev.status}`)
  const d = get(ev, 'event.duration')
  if (typeof d === 'number') parts.push(showDuration(d))
  if (typeof file === 'string') parts.push(`(${terminalSafe(file, 200)})`)
  return parts.join(' ')
}

export interface Example {
  frames: number[]
  file?: string
  event: string
}

export function example(ev: PbxEvent): Example {
  const file = get(ev, 'pbx.file')
  return {frames: frames(ev), ...(typeof file === 'string' ? {file} : {}), event: describeEvent(ev)}
}

/** Keeps the first `n` examples. */
export class Examples {
  readonly list: Example[] = []
  constructor(private readonly n = 3) {}
  add(ev: PbxEvent): void {
    if (this.list.length < this.n) this.list.push(example(ev))
  }
}
