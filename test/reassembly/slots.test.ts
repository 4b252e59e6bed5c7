import {describe, expect, it} from 'vitest'
import {BNEXT, HASH, NEXT, PREV, Slots} from '../../src/reassembly/slots.js'

const W = 5

/** The slots from head to tail, checking every back link on the way. */
function walk(o: Slots, w: Int32Array): number[] {
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

/** The slots filed under `hash`'s bucket with that hash. */
function bucket(o: Slots, w: Int32Array, hash: number): number[] {
  const out: number[] = []
  for (let s = o.first(hash); s !== -1; s = w[s * W + BNEXT]) if (w[s * W + HASH] === hash) out.push(s)
  return out.sort((a, b) => a - b)
}

/** A table of `cap` slots (as a flat table sets one up: an empty array, then grown). */
function table(cap: number): {o: Slots; w: Int32Array} {
  const o = new Slots(W)
  const w = new Int32Array(cap * W)
  o.grown(w, 0, cap)
  return {o, w}
}

describe('Slots', () => {
  it('hands out free slots lowest first, -1 when full, and takes removed ones back', () => {
    const {o, w} = table(3)
    const got = [o.take(w), o.take(w), o.take(w)]
    expect(got).toEqual([0, 1, 2])
    expect(o.take(w)).toBe(-1)
    for (const s of got) o.insert(w, s, 7)
    o.remove(w, 1)
    expect(o.size).toBe(2)
    expect(o.take(w)).toBe(1)
  })

  it('keeps the activity order through insert, touch and remove from the head, the middle and the tail', () => {
    const {o, w} = table(8)
    const s: number[] = []
    for (let i = 0; i < 5; i++) {
      s.push(o.take(w))
      o.insert(w, s[i], 100 + i)
    }
    expect(walk(o, w)).toEqual([0, 1, 2, 3, 4])
    o.touch(w, 1)
    o.touch(w, 1) // already the tail: no change
    expect(walk(o, w)).toEqual([0, 2, 3, 4, 1])
    o.remove(w, 3)
    o.remove(w, 0)
    o.remove(w, 1)
    expect(walk(o, w)).toEqual([2, 4])
    o.remove(w, 2)
    o.remove(w, 4)
    expect(walk(o, w)).toEqual([])
    expect(o.head).toBe(-1)
    expect(o.size).toBe(0)
    expect(o.first(100)).toBe(-1)
  })

  it('finds records by hash, colliding or not, before and after the arrays grow', () => {
    let {o, w} = table(4)
    const hashes = [5, 5 + 16, 9, 5]
    for (const h of hashes) o.insert(w, o.take(w), h)
    expect(bucket(o, w, 5)).toEqual([0, 3])
    expect(bucket(o, w, 21)).toEqual([1])
    o.remove(w, 0)
    expect(bucket(o, w, 5)).toEqual([3])
    // grow to 64 slots: the old words are copied, the buckets rebuilt, the new slots free
    const grown = new Int32Array(64 * W)
    grown.set(w)
    w = grown
    o.grown(w, 4, 64)
    // the new slots come first, lowest first; the slot freed before growing after them
    expect(o.take(w)).toBe(4)
    o.insert(w, 4, 9)
    expect(bucket(o, w, 9)).toEqual([2, 4])
    expect(bucket(o, w, 21)).toEqual([1])
    expect(walk(o, w)).toEqual([1, 2, 3, 4])
    for (let s = 5; s < 64; s++) expect(o.take(w)).toBe(s)
    expect(o.take(w)).toBe(0)
    expect(o.take(w)).toBe(-1)
  })
})
