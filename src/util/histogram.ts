/**
 * Bounded latency histogram: logarithmic buckets 2% wide, so any percentile is reported within 2%
 * of the true value whatever the number of samples, over 1,600 buckets (durations from 1 ns to
 * about 1e13 ns). count, min and max are exact.
 *
 * Storage grows with use, not with the bucket count (a summary holds up to ~1,300 of these): the
 * first FEW samples keep only their bucket numbers (64 bytes); after that the counts live in a
 * dense window over the buckets seen so far (grown by doubling, at most the 1,600 buckets, 12.8 KB).
 * Both give the same quantiles as the full 1,600-bucket array would.
 */
const GROWTH = 1.02
const LOG_GROWTH = Math.log(GROWTH)
const SLOTS = 1600
/** Samples kept as bucket numbers before the dense window is allocated. */
const FEW = 32
/** Smallest dense window (buckets): ~12% of a decade-spanning range. */
const MIN_WINDOW = 64

export class LogHistogram {
  /** Bucket numbers of the first samples (count <= FEW), null until the first one. */
  private few: Uint16Array | null = null
  /** Dense counts of buckets lo .. lo + counts.length - 1 (after FEW samples), null before. */
  private counts: Float64Array | null = null
  private lo = 0
  count = 0
  min = Number.POSITIVE_INFINITY
  max = 0
  sum = 0

  add(v: number): void {
    if (!(v >= 0)) return
    const slot = this.slot(v)
    const n = this.count
    this.count++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
    if (this.counts !== null) {
      const j = slot - this.lo
      if (j >= 0 && j < this.counts.length) this.counts[j]++
      else this.widen(slot, 1)
      return
    }
    if (n < FEW) {
      if (this.few === null) this.few = new Uint16Array(FEW)
      this.few[n] = slot
      return
    }
    // the FEW kept samples move into the dense window, then this one
    const few = this.few as Uint16Array
    let lo = slot
    let hi = slot
    for (let i = 0; i < FEW; i++) {
      if (few[i] < lo) lo = few[i]
      if (few[i] > hi) hi = few[i]
    }
    this.alloc(lo, hi)
    const counts = this.counts as unknown as Float64Array
    for (let i = 0; i < FEW; i++) counts[few[i] - this.lo]++
    counts[slot - this.lo]++
    this.few = null
  }

  private slot(v: number): number {
    if (v < 1) return 0
    const i = 1 + Math.floor(Math.log(v) / LOG_GROWTH)
    return i >= SLOTS ? SLOTS - 1 : i
  }

  /** A dense window covering buckets lo..hi (at least MIN_WINDOW wide, inside 0..SLOTS-1), old counts kept. */
  private alloc(lo: number, hi: number): void {
    let len = MIN_WINDOW
    while (len < hi - lo + 1) len *= 2
    if (len > SLOTS) len = SLOTS
    // centre the spare room around the range, clamped to the bucket span
    let start = lo - ((len - (hi - lo + 1)) >> 1)
    if (start + len > SLOTS) start = SLOTS - len
    if (start < 0) start = 0
    const counts = new Float64Array(len)
    const old = this.counts
    if (old !== null) counts.set(old, this.lo - start)
    this.counts = counts
    this.lo = start
  }

  /** Grows the dense window (doubling) to take bucket `slot`, then counts `n` there. */
  private widen(slot: number, n: number): void {
    const old = this.counts as Float64Array
    const lo = Math.min(this.lo, slot)
    const hi = Math.max(this.lo + old.length - 1, slot)
    let len = old.length * 2
    while (len < hi - lo + 1) len *= 2
    if (len > SLOTS) len = SLOTS
    let start = slot < this.lo ? hi - len + 1 : lo
    if (start + len > SLOTS) start = SLOTS - len
    if (start < 0) start = 0
    const counts = new Float64Array(len)
    counts.set(old, this.lo - start)
    this.counts = counts
    this.lo = start
    counts[slot - start] += n
  }

  /** Value at quantile q (0..1): the geometric middle of the bucket holding it, clamped to [min, max]. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    if (rank >= this.count) return this.max
    let at = -1
    if (this.counts === null) {
      // rank < count <= FEW: the rank-th smallest bucket number
      const sorted = (this.few as Uint16Array).slice(0, this.count).sort()
      at = sorted[rank - 1]
    } else {
      const counts = this.counts
      let seen = 0
      for (let j = 0; j < counts.length; j++) {
        seen += counts[j]
        if (seen >= rank) {
          at = this.lo + j
          break
        }
      }
    }
    if (at === -1) return this.max
    const v = at === 0 ? 0 : GROWTH ** (at - 1) * Math.sqrt(GROWTH)
    return Math.min(this.max, Math.max(this.min, v))
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
