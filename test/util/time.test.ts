import {describe, expect, it} from 'vitest'
import {diffNs, rfc3339} from '../../src/util/time.js'

describe('rfc3339', () => {
  it.each([
    [0, 0, 'us', '1970-01-01T00:00:00.000000Z'],
    [1385391358, 382163000, 'us', '2013-11-25T14:55:58.382163Z'],
    [1385391358, 382163999, 'us', '2013-11-25T14:55:58.382163Z'],
    [1700000000, 123456789, 'ns', '2023-11-14T22:13:20.123456789Z'],
    [1700000000, 5, 'ns', '2023-11-14T22:13:20.000000005Z'],
    [951782400, 0, 'us', '2000-02-29T00:00:00.000000Z'],
    [-1, 999999000, 'us', '1969-12-31T23:59:59.999999Z'],
  ] as const)('formats %d.%d (%s)', (sec, nsec, prec, want) => {
    expect(rfc3339(sec, nsec, prec)).toBe(want)
  })

  it('agrees with Date for many random seconds', () => {
    for (let i = 0; i < 2000; i++) {
      const sec = Math.floor(Math.random() * 4e9)
      const iso = new Date(sec * 1000).toISOString().replace('.000Z', '')
      expect(rfc3339(sec, 0, 'us')).toBe(`${iso}.000000Z`)
    }
  })
})

describe('diffNs', () => {
  it('is exact at nanosecond resolution across seconds', () => {
    expect(diffNs(1700000000, 999999999, 1700000001, 1)).toBe(2)
    expect(diffNs(1700000000, 0, 1700086400, 0)).toBe(86400e9)
    expect(diffNs(10, 5, 9, 5)).toBe(-1e9)
  })
})
