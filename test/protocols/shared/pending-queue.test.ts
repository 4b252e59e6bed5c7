import {describe, expect, it} from 'vitest'
import type {Note} from '../../../src/event/anomalies.js'
import {DEFAULT_LIMITS} from '../../../src/limits.js'
import {PENDING_OVERFLOW, PendingQueue} from '../../../src/protocols/shared/pending-queue.js'
import {Stats} from '../../../src/stats.js'

function queue(max: number, keyed = false) {
  const stats = new Stats()
  const out: [number, Note][] = []
  const q = new PendingQueue<{id: number}, number>({...DEFAULT_LIMITS, maxPendingRequests: max}, stats, (x, n) => out.push([x.id, n]), keyed ? (x) => x.id : undefined)
  return {q, stats, out}
}

describe('PendingQueue', () => {
  it('holds at most maxPendingRequests: the oldest goes out first, counted once, with the shared note', () => {
    const {q, stats, out} = queue(2)
    for (let i = 1; i <= 4; i++) q.push({id: i})
    expect([...q].map((x) => x.id)).toEqual([3, 4])
    expect(out).toEqual([
      [1, PENDING_OVERFLOW],
      [2, PENDING_OVERFLOW],
    ])
    expect(PENDING_OVERFLOW.code).toBe('limit.pending_requests')
    expect(stats.limitsHit.get('maxPendingRequests')).toBe(2)
  })

  it('reads a bound of 0 as 1', () => {
    const {q, out} = queue(0)
    q.push({id: 1})
    expect(out).toEqual([])
    q.push({id: 2})
    expect(out.map((x) => x[0])).toEqual([1])
    expect(q.length).toBe(1)
  })

  it('the overflow callback sees the queue without the new item', () => {
    const stats = new Stats()
    const seen: number[][] = []
    const q: PendingQueue<number> = new PendingQueue<number>({...DEFAULT_LIMITS, maxPendingRequests: 2}, stats, () => seen.push([...q]))
    q.push(1)
    q.push(2)
    q.push(3)
    expect(seen).toEqual([[2]])
  })

  it('FIFO operations and a keyed index that follows every removal', () => {
    const {q} = queue(10, true)
    const a = {id: 1}
    const b = {id: 2}
    const c = {id: 3}
    q.push(a)
    q.push(b)
    q.push(c)
    expect(q.peek()).toBe(a)
    expect(q.last()).toBe(c)
    expect(q.get(2)).toBe(b)
    expect(q.remove(b)).toBe(true)
    expect(q.remove(b)).toBe(false)
    expect(q.get(2)).toBeUndefined()
    const a2 = {id: 1}
    expect(q.replace(a, a2)).toBe(true)
    expect(q.get(1)).toBe(a2)
    expect(q.shift()).toBe(a2)
    expect(q.get(1)).toBeUndefined()
    q.push({id: 4})
    q.retain((x) => x.id !== 3)
    expect(q.get(3)).toBeUndefined()
    expect([...q].map((x) => x.id)).toEqual([4])
    expect(q.drain().map((x) => x.id)).toEqual([4])
    expect(q.length).toBe(0)
    expect(q.get(4)).toBeUndefined()
  })
})
