import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {decodeTsresol, finerThanMicro, type TickResolution, ticksOut, ticksToTime} from '../../src/capture/ts-ticks.js'

/** Reference conversion with BigInt. */
function reference(ticks: bigint, res: TickResolution): [number, number] {
  if (res.binary) {
    const n = BigInt(res.exp)
    const sec = ticks >> n
    const rem = ticks & ((1n << n) - 1n)
    return [Number(sec), Number((rem * 1_000_000_000n) >> n)]
  }
  const unit = 10n ** BigInt(res.exp)
  return [Number(ticks / unit), Number(((ticks % unit) * 1_000_000_000n) / unit)]
}

function convert(ticks: bigint, res: TickResolution): [number, number] {
  ticksToTime(Number(ticks >> 32n), Number(ticks & 0xffffffffn), res)
  return [ticksOut.sec, ticksOut.nsec]
}

const MAX64 = (1n << 64n) - 1n

describe('ticksToTime', () => {
  it('nanosecond ticks of 2023 are exact (beyond 2^53)', () => {
    const ticks = 1700000000n * 1_000_000_000n + 123456789n
    expect(convert(ticks, {binary: false, exp: 9})).toEqual([1700000000, 123456789])
    expect(convert(ticks + 876543210n, {binary: false, exp: 9})).toEqual([1700000000, 999999999])
    expect(convert(ticks + 876543211n, {binary: false, exp: 9})).toEqual([1700000001, 0])
  })

  it('microsecond ticks', () => {
    expect(convert(1700000000n * 1_000_000n + 654321n, {binary: false, exp: 6})).toEqual([1700000000, 654321000])
  })

  it('picosecond ticks floor to the nanosecond', () => {
    expect(convert(1_234_567_890_123n, {binary: false, exp: 12})).toEqual([1, 234567890])
  })

  it('2^-32 ticks (NTP-like fraction)', () => {
    // 0.5 s and one tick (232.8 ps floors to 0 ns)
    expect(convert((1700000000n << 32n) | 0x80000000n, {binary: true, exp: 32})).toEqual([1700000000, 500000000])
    expect(convert((5n << 32n) | 1n, {binary: true, exp: 32})).toEqual([5, 0])
  })

  const resolutions: TickResolution[] = []
  for (let e = 0; e <= 24; e++) resolutions.push({binary: false, exp: e})
  for (let e = 0; e <= 70; e++) resolutions.push({binary: true, exp: e})

  it('matches a BigInt reference on edge values for every resolution', () => {
    const edges = [0n, 1n, 999_999_999n, 1_000_000_000n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, 1n << 63n, MAX64]
    for (const res of resolutions) {
      for (const t of edges) {
        const ref = reference(t, res)
        if (ref[0] > Number.MAX_SAFE_INTEGER) continue // seconds not representable; not a real capture
        expect(convert(t, res), `${t} @ ${JSON.stringify(res)}`).toEqual(ref)
      }
    }
  })

  it('matches a BigInt reference on random 64-bit values (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({min: 0n, max: MAX64}), fc.constantFrom(...resolutions), (t, res) => {
        const ref = reference(t, res)
        fc.pre(ref[0] <= Number.MAX_SAFE_INTEGER)
        expect(convert(t, res)).toEqual(ref)
      }),
      {numRuns: 20_000},
    )
  })
})

describe('if_tsresol decoding', () => {
  it.each([
    [6, {binary: false, exp: 6}, false],
    [9, {binary: false, exp: 9}, true],
    [7, {binary: false, exp: 7}, true],
    [0x80 | 10, {binary: true, exp: 10}, false],
    [0x80 | 19, {binary: true, exp: 19}, false],
    [0x80 | 20, {binary: true, exp: 20}, true],
  ])('raw %i', (raw, res, finer) => {
    expect(decodeTsresol(raw)).toEqual(res)
    expect(finerThanMicro(res)).toBe(finer)
  })
})
