/**
 * Bounded latency histogram: logarithmic buckets 2% wide, so any percentile is reported within 2%
 * of the true value whatever the number of samples, in a fixed 1,600-slot array (durations from
 * 1 ns to about 1e13 ns). count, min and max are exact.
 */
const GROWTH = 1.02
const LOG_GROWTH = Math.log(GROWTH)
const SLOTS = 1600

export class LogHistogram {
  private readonly counts = new Float64Array(SLOTS)
  count = 0
  min = Number.POSITIVE_INFINITY
  max = 0
  sum = 0

  add(v: number): void {
    if (!(v >= 0)) return
    this.count++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
    this.counts[this.slot(v)]++
  }

  private slot(v: number): number {
    if (v < 1) return 0
    const i = 1 + Math.floor(Math.log(v) / LOG_GROWTH)
    return i >= SLOTS ? SLOTS - 1 : i
  }

  /** Value at quantile q (0..1): the geometric middle of the bucket holding it, clamped to [min, max]. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    if (rank >= this.count) return this.max
    let seen = 0
    for (let i = 0; i < SLOTS; i++) {
      seen += this.counts[i]
      if (seen >= rank) {
        const v = i === 0 ? 0 : GROWTH ** (i - 1) * Math.sqrt(GROWTH)
        return Math.min(this.max, Math.max(this.min, v))
      }
    }
    return this.max
  }
}

/**
 * Top-N counter with a bounded number of keys. When `maxKeys` distinct keys are held and a new one
 * arrives, the half with the smallest counts is dropped in one pass (sort once per maxKeys/2 new
 * keys: amortised O(log n) per key, even for a million distinct DNS names), so heavy hitters are
 * kept and memory never grows past the bound. Counts of keys that were dropped and came back
 * restart from zero: the top of the table is exact for keys that stayed, approximate otherwise.
 */
export class TopCounter {
  private readonly counts = new Map<string, number>()
  /** Keys dropped to stay under the bound. */
  evictions = 0

  constructor(private readonly maxKeys: number) {}

  add(key: string, n = 1): void {
    const c = this.counts.get(key)
    if (c !== undefined) {
      this.counts.set(key, c + n)
      return
    }
    if (this.counts.size >= this.maxKeys) this.dropSmallestHalf()
    this.counts.set(key, n)
  }

  private dropSmallestHalf(): void {
    const entries = [...this.counts].sort((a, b) => a[1] - b[1])
    const drop = Math.max(1, Math.floor(entries.length / 2))
    for (let i = 0; i < drop; i++) this.counts.delete(entries[i][0])
    this.evictions += drop
  }

  top(n: number): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, n)
  }

  get size(): number {
    return this.counts.size
  }
}
