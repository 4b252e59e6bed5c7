/** The live receive queue (src/capture/live.ts PacketQueue): FIFO bytes and times, bounded, blocks reused. */
import {describe, expect, it} from 'vitest'
import {PacketQueue} from '../../src/capture/live.js'

describe('PacketQueue', () => {
  it('gives packets back in order with their bytes and times, across blocks', () => {
    const q = new PacketQueue(4, 1000)
    const src = Buffer.alloc(400)
    const dst = Buffer.alloc(400)
    const p = {tsSec: 0, tsNsec: 0}
    let pushed = 0
    let popped = 0
    // Interleaved: more bytes pass than the queue could hold at once.
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 3; k++, pushed++) {
        const n = 1 + ((pushed * 37) % 399)
        src.fill(pushed & 0xff, 0, n)
        expect(q.push(src, n, 1000 + pushed, pushed * 7)).toBe(true)
      }
      for (let k = 0; k < 3; k++, popped++) {
        const n = q.shift(dst, p)
        expect(n).toBe(1 + ((popped * 37) % 399))
        expect(dst.subarray(0, n).every((b) => b === (popped & 0xff))).toBe(true)
        expect(p).toEqual({tsSec: 1000 + popped, tsNsec: popped * 7})
      }
    }
    expect(q.length).toBe(0)
    expect(q.shift(dst, p)).toBe(-1)
  })

  it('refuses packets once its blocks are full, and takes them again after reading', () => {
    const q = new PacketQueue(2, 1000)
    const src = Buffer.alloc(300, 1)
    const dst = Buffer.alloc(300)
    const p = {tsSec: 0, tsNsec: 0}
    let n = 0
    while (q.push(src, 300, 0, 0)) n++
    expect(n).toBe(6) // three 300-byte packets per 1000-byte block, two blocks
    expect(q.length).toBe(6)
    for (let i = 0; i < 4; i++) expect(q.shift(dst, p)).toBe(300)
    expect(q.push(src, 300, 0, 0)).toBe(true)
    expect(q.length).toBe(3)
  })
})
