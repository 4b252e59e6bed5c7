/**
 * Per-direction carry-over store for a push parser (one per direction of a connection).
 *
 * Contract: the handler calls `view(bytes)` at the start of each data() call. When nothing is
 * carried over, that returns `bytes` itself (a view, no copy). Otherwise the new bytes are appended
 * to the owned carry-over store and a view of the whole store is returned. After parsing, the handler
 * calls `keep(view, consumed)`: the unparsed tail is COPIED into the owned store, because it must
 * outlive the data() call (a message split across segments) — the only copy a protocol using it makes.
 * The store grows geometrically and is reused; `limit` bounds it (the caller checks `pending`).
 */
export class StreamBuffer {
  private store: Buffer | null = null
  private len = 0
  /** Capture time (sec, nsec, frame) of the first carried-over byte. */
  sec = 0
  nsec = 0
  frame = 0

  get pending(): number {
    return this.len
  }

  view(bytes: Buffer): Buffer {
    if (this.len === 0) return bytes
    this.ensure(this.len + bytes.length)
    bytes.copy(this.store!, this.len)
    this.len += bytes.length
    return this.store!.subarray(0, this.len)
  }

  /**
   * Keeps view[consumed..] for the next call (copied into the owned store). (sec, nsec, frame) is
   * the capture time of byte `consumed`: the caller passes this buffer's own stamp when that byte
   * was already carried over, else the current packet's time.
   */
  keep(view: Buffer, consumed: number, sec: number, nsec: number, frame: number): void {
    const rest = view.length - consumed
    if (rest <= 0) {
      this.len = 0
      return
    }
    if (this.store !== null && view.buffer === this.store.buffer && view.byteOffset === this.store.byteOffset) {
      // The view is our own store: move the tail to the front.
      if (consumed > 0) this.store.copyWithin(0, consumed, view.length)
      this.len = rest
      this.stamp(sec, nsec, frame)
      return
    }
    this.ensure(rest)
    view.copy(this.store!, 0, consumed)
    this.len = rest
    this.stamp(sec, nsec, frame)
  }

  clear(): void {
    this.len = 0
    // Release a large store so one huge message does not pin memory for the connection's life.
    if (this.store !== null && this.store.length > 256 * 1024) this.store = null
  }

  private stamp(sec: number, nsec: number, frame: number): void {
    this.sec = sec
    this.nsec = nsec
    this.frame = frame
  }

  private ensure(n: number): void {
    if (this.store !== null && this.store.length >= n) return
    let size = this.store === null ? 4096 : this.store.length * 2
    while (size < n) size *= 2
    const next = Buffer.allocUnsafe(size)
    if (this.store !== null && this.len > 0) this.store.copy(next, 0, 0, this.len)
    this.store = next
  }
}
