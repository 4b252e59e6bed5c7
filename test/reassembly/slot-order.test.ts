import {describe, expect, it} from 'vitest'
import {SlotOrder} from '../../src/reassembly/slot-order.js'

const W = 3
const PREV = 1
const NEXT = 2

/** The slots from head to tail, checking every back link on the way. */
function walk(o: SlotOrder, w: Int32Array): number[] {
  const out: number[] = []
  let prev = -1
  for (let s = o.head; s !== -1; s = w[s * W + NEXT]) {
    expect(w[s * W + PREV]).toBe(prev)
    out.push(s)
    prev = s
  }
  expect(o.tail).toBe(prev)
  return out
}

describe('SlotOrder', () => {
  it('keeps push order and unlinks from the head, the middle and the tail', () => {
    const w = new Int32Array(8 * W)
    const o = new SlotOrder(W, PREV, NEXT)
    expect(walk(o, w)).toEqual([])
    for (const s of [5, 2, 7, 0]) o.push(w, s)
    expect(walk(o, w)).toEqual([5, 2, 7, 0])
    o.unlink(w, 2)
    expect(walk(o, w)).toEqual([5, 7, 0])
    o.unlink(w, 5)
    expect(walk(o, w)).toEqual([7, 0])
    o.unlink(w, 0)
    expect(walk(o, w)).toEqual([7])
    o.push(w, 2)
    o.unlink(w, 7)
    o.unlink(w, 2)
    expect(walk(o, w)).toEqual([])
    expect(o.head).toBe(-1)
  })

  it('moves a touched slot to the tail (unlink + push) and survives the array being replaced', () => {
    let w = new Int32Array(4 * W)
    const o = new SlotOrder(W, PREV, NEXT)
    for (let s = 0; s < 4; s++) o.push(w, s)
    o.unlink(w, 1)
    o.push(w, 1)
    expect(walk(o, w)).toEqual([0, 2, 3, 1])
    const grown = new Int32Array(8 * W)
    grown.set(w)
    w = grown
    o.push(w, 6)
    expect(walk(o, w)).toEqual([0, 2, 3, 1, 6])
  })
})
