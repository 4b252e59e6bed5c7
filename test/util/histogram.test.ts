import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {LogHistogram, TopCounter} from '../../src/util/histogram.js'

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]
}

describe('LogHistogram', () => {
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
