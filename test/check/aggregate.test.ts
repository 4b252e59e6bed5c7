import {describe, expect, it} from 'vitest'
import {Durations, parseDuration, routeTemplate, showDuration} from '../../src/check/aggregate.js'

describe('routeTemplate', () => {
  it('replaces numeric, uuid and long hex segments and drops the query', () => {
    expect(routeTemplate('/users/42/orders/7f1c0e1a-3b2d-4c5e-9f60-123456789abc')).toBe('/users/:id/orders/:uuid')
    expect(routeTemplate('/blob/0123456789abcdef0123/raw?x=1')).toBe('/blob/:hex/raw')
    expect(routeTemplate('/v2/items')).toBe('/v2/items')
    expect(routeTemplate('/a/12b')).toBe('/a/12b')
  })
})

describe('Durations', () => {
  it('gives nearest-rank percentiles of the sorted values', () => {
    const d = new Durations()
    // 1..100 in a scrambled order: pN is N.
    for (let i = 0; i < 100; i++) d.add(((i * 37) % 100) + 1)
    expect(d.stats()).toEqual({count: 100, p50: 50, p90: 90, p95: 95, p99: 99, max: 100, exact: true})
  })

  it('is exact for one value and marks a group beyond the cap as sampled, keeping count and max exact', () => {
    const one = new Durations()
    one.add(7)
    expect(one.stats()).toMatchObject({p50: 7, p99: 7, max: 7, exact: true})
    const d = new Durations(1000)
    for (let i = 1; i <= 10_000; i++) d.add(i)
    const s = d.stats()
    expect(s.exact).toBe(false)
    expect(s.count).toBe(10_000)
    expect(s.max).toBe(10_000)
    // A uniform sample of 1000: the median is near 5000 (a loose bound; the sample is deterministic).
    expect(Math.abs(s.p50 - 5000)).toBeLessThan(600)
  })
})

describe('parseDuration / showDuration', () => {
  it('reads units and plain milliseconds, rejects garbage', () => {
    expect(parseDuration('250ms')).toBe(250e6)
    expect(parseDuration('1.5s')).toBe(1.5e9)
    expect(parseDuration('40us')).toBe(40e3)
    expect(parseDuration(3)).toBe(3e6)
    expect(parseDuration('fast')).toBeNull()
    expect(parseDuration(-1)).toBeNull()
    expect(showDuration(4.5e9)).toBe('4.50s')
    expect(showDuration(687000)).toBe('687us')
  })
})
