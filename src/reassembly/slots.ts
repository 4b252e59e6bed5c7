/**
 * Slots: the bookkeeping shared by the tables of flat records (./half-open.ts, ./udp-flat.ts):
 * which slots are free, the hash buckets that find a record by its tuple hash, and the activity
 * order (least recently active at `head`). The records' own values stay in the table's arrays.
 *
 * Every record begins with four int32 words that only this class writes: HASH (the tuple hash),
 * BNEXT (next slot in the same bucket; next free slot while free), PREV and NEXT (the activity
 * order). The table passes its current Int32Array of `width` words per record to every call; it
 * replaces the array when it grows (slots keep their numbers) and then calls grown(). -1 ends every
 * chain. No allocation but the buckets, rebuilt at growth.
 */
export const HASH = 0
export const BNEXT = 1
export const PREV = 2
export const NEXT = 3

export class Slots {
  /** Least recently active slot (-1: none) and the most recent one. */
  head = -1
  tail = -1
  /** Slots holding a record. */
  size = 0
  private free = -1
  private buckets = new Int32Array(0)
  private mask = 0

  constructor(private readonly width: number) {}

  /** The first slot of the bucket of `hash` (follow BNEXT; compare HASH and the tuple). */
  first(hash: number): number {
    return this.size === 0 ? -1 : this.buckets[hash & this.mask]
  }

  /** A free slot for a new record, or -1: grow the arrays (then grown()) and ask again. */
  take(w: Int32Array): number {
    const s = this.free
    if (s !== -1) this.free = w[s * this.width + BNEXT]
    return s
  }

  /** Files slot `s` (from take) under `hash`, as the most recently active record. */
  insert(w: Int32Array, s: number, hash: number): void {
    const o = s * this.width
    w[o + HASH] = hash
    const b = hash & this.mask
    w[o + BNEXT] = this.buckets[b]
    this.buckets[b] = s
    this.push(w, s)
    this.size++
  }

  /** Makes slot `s` the most recently active record. */
  touch(w: Int32Array, s: number): void {
    if (this.tail === s) return
    this.unlink(w, s)
    this.push(w, s)
  }

  /** Drops slot `s` from its bucket and the order; it becomes free. */
  remove(w: Int32Array, s: number): void {
    const o = s * this.width
    const b = w[o + HASH] & this.mask
    let prev = -1
    let cur = this.buckets[b]
    while (cur !== -1 && cur !== s) {
      prev = cur
      cur = w[cur * this.width + BNEXT]
    }
    if (cur === s) {
      if (prev === -1) this.buckets[b] = w[o + BNEXT]
      else w[prev * this.width + BNEXT] = w[o + BNEXT]
    }
    this.unlink(w, s)
    w[o + BNEXT] = this.free
    this.free = s
    this.size--
  }

  /**
   * The table's arrays grew from `old` to `cap` slots (`w` is the new one, the old words copied):
   * the new slots become free (lowest first) and the buckets (a power of two, at least 2 per slot)
   * are rebuilt.
   */
  grown(w: Int32Array, old: number, cap: number): void {
    for (let s = cap - 1; s >= old; s--) {
      w[s * this.width + BNEXT] = this.free
      this.free = s
    }
    let nb = 16
    while (nb < cap * 2) nb *= 2
    const buckets = new Int32Array(nb).fill(-1)
    const mask = nb - 1
    for (let s = this.head; s !== -1; s = w[s * this.width + NEXT]) {
      const b = w[s * this.width + HASH] & mask
      w[s * this.width + BNEXT] = buckets[b]
      buckets[b] = s
    }
    this.buckets = buckets
    this.mask = mask
  }

  private push(w: Int32Array, s: number): void {
    const o = s * this.width
    w[o + PREV] = this.tail
    w[o + NEXT] = -1
    if (this.tail !== -1) w[this.tail * this.width + NEXT] = s
    else this.head = s
    this.tail = s
  }

  private unlink(w: Int32Array, s: number): void {
    const o = s * this.width
    const prev = w[o + PREV]
    const next = w[o + NEXT]
    if (prev !== -1) w[prev * this.width + NEXT] = next
    else this.head = next
    if (next !== -1) w[next * this.width + PREV] = prev
    else this.tail = prev
  }
}
