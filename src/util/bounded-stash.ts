/**
 * A message buffer with a hard size bound, for framers that must keep a message split across
 * data() calls (its bytes outlive the call, so they are COPIED here). Bytes beyond `maxBytes` are
 * not stored: `truncated` turns true and the caller reports the message as truncated. The store
 * grows by doubling up to the bound and is reused for the connection's next messages.
 */
export class BoundedStash {
  private store: Buffer | null = null
  /** Bytes held. */
  len = 0
  /** Some appended bytes did not fit under maxBytes. */
  truncated = false

  constructor(private readonly maxBytes: number) {}

  /** Copies b[off, off + len) in, up to the bound. */
  append(b: Buffer, off: number, len: number): void {
    const room = this.maxBytes - this.len
    if (room <= 0) {
      this.truncated = true
      return
    }
    const take = Math.min(len, room)
    if (take < len) this.truncated = true
    const need = this.len + take
    if (this.store === null || this.store.length < need) {
      let size = this.store ? this.store.length * 2 : 1024
      while (size < need) size *= 2
      if (size > this.maxBytes) size = this.maxBytes
      const nb = Buffer.allocUnsafe(size)
      if (this.store !== null && this.len > 0) this.store.copy(nb, 0, 0, this.len)
      this.store = nb
    }
    b.copy(this.store, this.len, off, off + take)
    this.len += take
  }

  /** The bytes held: a view into the store, valid until the next append or clear. */
  bytes(empty: Buffer): Buffer {
    return this.store === null ? empty : this.store.subarray(0, this.len)
  }

  /** Starts a new message. */
  clear(): void {
    this.len = 0
    this.truncated = false
  }

  /** Starts over and drops a large store, so one huge message does not pin memory. */
  reset(): void {
    this.clear()
    if (this.store !== null && this.store.length > 64 * 1024) this.store = null
  }
}
