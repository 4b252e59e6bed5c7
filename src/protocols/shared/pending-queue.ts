/**
 * PendingQueue: the requests of one connection (or flow) still waiting for their response, oldest
 * first. The one place that enforces `limits.maxPendingRequests` for every protocol.
 *
 * Bound: at most max(1, limits.maxPendingRequests) items are held. push() on a full queue first
 * takes the oldest item out, counts stats.limit('maxPendingRequests') and hands it to the
 * protocol's overflow callback together with the shared note PENDING_OVERFLOW (code
 * `limit.pending_requests`); the protocol emits it unanswered. Only then is the new item queued, so
 * the callback sees the queue without the new item. A bound of 0 is read as 1: a request can always
 * wait for its own response.
 *
 * Items are kept in a plain array (FIFO: shift at the head, push at the tail), allocated at the
 * first push and released by drain() (with the key index): an idle or finished connection holds no
 * storage. A protocol whose
 * responses name their request (DNS id and question, MongoDB responseTo) passes `key`: get(k) is
 * then a map lookup. Keys are expected to be unique among the queued items (a protocol takes the
 * old item out, or replace()s it, before queueing one with the same key); with a repeated key get()
 * answers the newest. Never throws.
 */
import {type Note, note} from '../../event/anomalies.js'
import type {Limits} from '../../limits.js'
import type {Stats} from '../../stats.js'

/** The note attached to a request emitted unanswered because the queue was full. */
export const PENDING_OVERFLOW: Note = note('limit.pending_requests')

const NONE: readonly never[] = Object.freeze([])

export class PendingQueue<T, K = never> {
  private items: T[] | null = null
  private readonly max: number
  private index: Map<K, T> | null = null

  /**
   * @param onOverflow receives the oldest item when push() finds the queue full (already removed
   *   from the queue; the counter is already incremented) and the note to attach to it.
   * @param key the key get() looks items up by, for protocols whose responses name their request.
   */
  constructor(
    limits: Limits,
    private readonly stats: Stats,
    private readonly onOverflow: (oldest: T, note: Note) => void,
    private readonly key?: (item: T) => K,
  ) {
    this.max = Math.max(1, limits.maxPendingRequests)
  }

  get length(): number {
    return this.items === null ? 0 : this.items.length
  }

  /** Queues `item` last; on a full queue the oldest goes first (see the file comment). */
  push(item: T): void {
    if (this.items !== null && this.items.length >= this.max) {
      const oldest = this.items.shift() as T
      this.unindex(oldest)
      this.stats.limit('maxPendingRequests')
      this.onOverflow(oldest, PENDING_OVERFLOW)
    }
    ;(this.items ??= []).push(item)
    if (this.key !== undefined) (this.index ??= new Map()).set(this.key(item), item)
  }

  /** The queued item with key `k` (keyed queues only). */
  get(k: K): T | undefined {
    return this.index?.get(k)
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.items?.[0]
  }

  /** The newest item, left in place. */
  last(): T | undefined {
    return this.items === null ? undefined : this.items[this.items.length - 1]
  }

  /** Takes the oldest item out. */
  shift(): T | undefined {
    const x = this.items?.shift()
    if (x !== undefined) this.unindex(x)
    return x
  }

  at(i: number): T | undefined {
    return this.items?.[i]
  }

  find(pred: (item: T) => boolean): T | undefined {
    return this.items?.find(pred)
  }

  findIndex(pred: (item: T) => boolean): number {
    return this.items === null ? -1 : this.items.findIndex(pred)
  }

  /** Puts `item` in the place of `old` (same position); false when `old` is not queued. */
  replace(old: T, item: T): boolean {
    const i = this.items === null ? -1 : this.items.indexOf(old)
    if (i < 0 || this.items === null) return false
    this.items[i] = item
    if (this.index !== null) {
      this.unindex(old)
      this.index.set(this.key!(item), item)
    }
    return true
  }

  /** Takes `item` out wherever it is; false when it is not queued. */
  remove(item: T): boolean {
    const i = this.items === null ? -1 : this.items.indexOf(item)
    if (i < 0 || this.items === null) return false
    this.items.splice(i, 1)
    this.unindex(item)
    return true
  }

  /** Keeps the items for which `keep` answers true (called once per item, oldest first). */
  retain(keep: (item: T) => boolean): void {
    const items = this.items
    if (items === null) return
    let j = 0
    for (let i = 0; i < items.length; i++) {
      const x = items[i] as T
      if (keep(x)) items[j++] = x
      else this.unindex(x)
    }
    items.length = j
  }

  /** Takes every item out, oldest first (end of connection); the storage is released. */
  drain(): T[] {
    const out = this.items ?? []
    this.items = null
    this.index = null
    return out
  }

  [Symbol.iterator](): Iterator<T> {
    return (this.items ?? NONE)[Symbol.iterator]() as Iterator<T>
  }

  private unindex(x: T): void {
    if (this.index === null || this.key === undefined) return
    const k = this.key(x)
    if (this.index.get(k) === x) this.index.delete(k)
  }
}
