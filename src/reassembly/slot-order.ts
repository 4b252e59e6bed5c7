/**
 * SlotOrder: the activity order of a table of flat records (./half-open.ts, ./udp-flat.ts), a
 * doubly linked list threaded through two int32 words of each record, least recently active at
 * `head`. Records are slots of `width` words in the table's Int32Array; the table passes its current
 * array to every call (it replaces the array when it grows, and slots keep their numbers, so the
 * links stay valid). -1 ends the list. A slot is in the list at most once: push only a slot that is
 * not in it, unlink only one that is. No allocation.
 */
export class SlotOrder {
  /** Least recently active slot (-1: none) and the most recent one. */
  head = -1
  tail = -1

  /** @param prevAt, nextAt the offsets of the link words within a record */
  constructor(
    private readonly width: number,
    private readonly prevAt: number,
    private readonly nextAt: number,
  ) {}

  /** Appends slot `s` at the tail (most recently active). */
  push(w: Int32Array, s: number): void {
    const o = s * this.width
    w[o + this.prevAt] = this.tail
    w[o + this.nextAt] = -1
    if (this.tail !== -1) w[this.tail * this.width + this.nextAt] = s
    else this.head = s
    this.tail = s
  }

  /** Takes slot `s` out of the list. */
  unlink(w: Int32Array, s: number): void {
    const o = s * this.width
    const prev = w[o + this.prevAt]
    const next = w[o + this.nextAt]
    if (prev !== -1) w[prev * this.width + this.nextAt] = next
    else this.head = next
    if (next !== -1) w[next * this.width + this.prevAt] = prev
    else this.tail = prev
  }
}
