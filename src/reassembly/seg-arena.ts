/**
 * SegArena: storage for out-of-order TCP segment copies, in slabs of its own, with explicit free.
 *
 * A copy taken with Buffer.allocUnsafe would come from Node's shared 8 KiB pool, so one stored
 * segment would keep alive a whole pool slab shared with short-lived buffers, and a freed copy would
 * only be released when the garbage collector finds it. Here a copy is a block of a size class
 * (64 bytes to 64 KiB in steps of at most 1.5x) carved from slabs only this arena uses; free()
 * returns the block to its class at once, and the next copy reuses it. What the arena holds is
 * therefore bounded by the most out-of-order bytes stored at once (Limits.tcpOooBytesTotal) times the
 * class rounding (at most 1.5x above 256 bytes), plus one partly used slab per class; reset() lets
 * all of it go (the reassembler calls it whenever no segment is stored).
 */

/** Block sizes; a copy of n bytes takes the smallest class >= n. */
const CLASSES = [64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536]

/** Slab size (a class larger than this has one block per slab). */
const SLAB_BYTES = 64 * 1024

/** The largest copy the arena serves; larger ones get their own allocation. */
export const ARENA_MAX_BYTES = CLASSES[CLASSES.length - 1]

export class SegArena {
  private spare: Buffer[][] = CLASSES.map(() => [])
  private slab: (Buffer | null)[] = CLASSES.map(() => null)
  private used: number[] = CLASSES.map(() => 0)

  /**
   * A block of at least `n` bytes (1 <= n <= ARENA_MAX_BYTES), uninitialised. Give it back with
   * free() once its bytes are no longer needed.
   */
  alloc(n: number): Buffer {
    let k = 0
    while (CLASSES[k] < n) k++
    const f = this.spare[k]
    if (f.length > 0) return f.pop() as Buffer
    const size = CLASSES[k]
    let slab = this.slab[k]
    if (slab === null || this.used[k] + size > slab.length) {
      slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, size))
      this.slab[k] = slab
      this.used[k] = 0
    }
    const b = slab.subarray(this.used[k], this.used[k] + size)
    this.used[k] += size
    return b
  }

  /** Returns a block from alloc() (its class is its length). */
  free(b: Buffer): void {
    let k = 0
    while (CLASSES[k] < b.length) k++
    if (CLASSES[k] === b.length) this.spare[k].push(b)
  }

  /** Drops every slab and free block (only when no block is in use). */
  reset(): void {
    for (let k = 0; k < CLASSES.length; k++) {
      this.spare[k] = []
      this.slab[k] = null
      this.used[k] = 0
    }
  }
}
