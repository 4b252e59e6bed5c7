import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {LogHistogram, TopCounter} from '../../src/util/histogram.js'

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]
}

/** The full 1,600-bucket histogram LogHistogram must agree with (its storage is sparse/windowed). */
class DenseReference {
  private readonly counts = new Float64Array(1600)
  count = 0
  min = Number.POSITIVE_INFINITY
  max = 0
  add(v: number): void {
    if (!(v >= 0)) return
    this.count++
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
    const i = v < 1 ? 0 : 1 + Math.floor(Math.log(v) / Math.log(1.02))
    this.counts[i >= 1600 ? 1599 : i]++
  }
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    if (rank >= this.count) return this.max
    let seen = 0
    for (let i = 0; i < 1600; i++) {
      seen += this.counts[i]
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, i === 0 ? 0 : 1.02 ** (i - 1) * Math.sqrt(1.02)))
    }
    return this.max
  }
}

describe('LogHistogram', () => {
  it('gives exactly the quantiles of the full bucket array, whatever the order and spread of samples', () => {
    const value = fc.oneof(fc.double({min: 0, max: 1e14, noNaN: true}), fc.integer({min: 0, max: 100}), fc.integer({min: 1e5, max: 2e5}))
    fc.assert(
      fc.property(fc.array(value, {minLength: 0, maxLength: 400}), (xs) => {
        const h = new LogHistogram()
        const ref = new DenseReference()
        for (const x of xs) {
          h.add(x)
          ref.add(x)
        }
        for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1]) expect(h.quantile(q)).toBe(ref.quantile(q))
      }),
      {numRuns: 300},
    )
  })

  it('widens its window both ways (a narrow start, then far smaller and far larger samples)', () => {
    const h = new LogHistogram()
    const ref = new DenseReference()
    const xs = [...Array.from({length: 40}, (_, i) => 1e6 + i), 3, 1e13, 0.5, 5e7, 1e20]
    for (const x of xs) {
      h.add(x)
      ref.add(x)
    }
    for (let q = 0; q <= 1; q += 0.01) expect(h.quantile(q)).toBe(ref.quantile(q))
  })

  it('reports percentiles within 2% of the exact value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({min: 1, max: 1e11}), {minLength: 1, maxLength: 500}), fc.constantFrom(0.5, 0.9, 0.99), (xs, q) => {
        const h = new LogHistogram()
        for (const x of xs) h.add(x)
        const want = exactQuantile([...xs].sort((a, b) => a - b), q)
        const got = h.quantile(q)
        expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.021)
      }),
    )
  })

  it('keeps count, min and max exact and ignores negative or NaN values', () => {
    const h = new LogHistogram()
    for (const v of [5, 1000, -3, Number.NaN, 250]) h.add(v)
    expect(h.count).toBe(3)
    expect(h.min).toBe(5)
    expect(h.max).toBe(1000)
    expect(h.quantile(1)).toBe(1000)
  })
})

describe('TopCounter', () => {
  it('counts exactly while under its bound', () => {
    const t = new TopCounter(10)
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) t.add(k)
    expect(t.top(2)).toEqual([
      ['a', 3],
      ['b', 2],
    ])
  })

  it('never holds more keys than its bound and keeps the heavy hitter', () => {
    const t = new TopCounter(50)
    for (let i = 0; i < 10_000; i++) {
      t.add(`noise-${i}`)
      if (i % 3 === 0) t.add('heavy')
    }
    expect(t.size).toBeLessThanOrEqual(50)
    expect(t.top(1)[0][0]).toBe('heavy')
    expect(t.evictions).toBeGreaterThan(0)
  })
})
