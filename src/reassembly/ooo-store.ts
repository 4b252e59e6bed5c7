/**
 * OooStore: the out-of-order segments of every TCP direction of one reassembler, in flat typed
 * arrays (no object, Buffer or array per held segment).
 *
 * A held segment is a record: a numeric handle into the record arrays (sequence number, length,
 * uncaptured bytes, links, where its bytes are, and the frame and capture time of its packet).
 * Each direction's segments form a doubly linked list sorted by sequence (relative to the
 * direction's next expected sequence number, so the order survives the wrap at 2^32); the list's
 * ends live in the direction itself (OooList). Free records are chained and reused.
 *
 * Bytes: a segment's bytes are COPIED (the packet's bytes are only valid during the call that
 * brings them). Copies of up to ARENA_MAX_BYTES bytes go to blocks of a size class (64 bytes to
 * 64 KiB in steps of at most 1.5x) carved from 64 KiB slabs only this store uses; a freed block goes
 * back to its class at once and the next copy reuses it. Larger copies get their own Buffer. What the
 * store holds is therefore bounded by the most out-of-order bytes held at once (the reassembler
 * enforces Limits.tcpOooSegmentsPerDir, tcpOooBytesPerConn and tcpOooBytesTotal before insert) times
 * the class rounding (at most 1.5x above 256 bytes), plus one partly used slab per class; whenever no
 * segment is held, every slab is let go (and oversized record arrays shrink back).
 *
 * Sequence numbers are stored as int32 (`seq | 0`); read them back with seq() and compare only by
 * signed 32-bit differences. Nothing here throws on packet data.
 */
import type {Moment} from './types.js'

/** No record (end of a list). */
export const NIL = -1

/** The ends and length of one direction's list (fields of the direction, written only here). */
export interface OooList {
  oooHead: number
  oooTail: number
  oooCount: number
}

/** Block sizes; a copy of n bytes takes the smallest class >= n. */
const CLASSES = [64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536]

/** Slab size (the largest class fills one slab). */
const SLAB_BYTES = 64 * 1024

/** The largest copy kept in the slabs; larger ones get their own Buffer. */
export const ARENA_MAX_BYTES = CLASSES[CLASSES.length - 1]

// int32 words of a record
const SEQ = 0
const LEN = 1
const TRUNC = 2
const PREV = 3
/** Next record in the list; next free record while free. */
const NEXT = 4
/** Slab index, or -1: the bytes are the record's own Buffer (`big`), or -2: no bytes. */
const SLAB = 5
const OFF = 6
const CLS = 7
const W = 8

// float64 values of a record (frame numbers and seconds may exceed int32)
const FRAME = 0
const TSSEC = 1
const TSNSEC = 2
const F = 3

const INITIAL_RECORDS = 64

export class OooStore {
  private cap = 0
  private w = new Int32Array(0)
  private f = new Float64Array(0)
  private freeRec = NIL
  /** Own Buffers of copies larger than ARENA_MAX_BYTES, by record. */
  private readonly big = new Map<number, Buffer>()
  private slabs: Buffer[] = []
  /** Per class: the slab being carved (-1: none) and its bytes used; freed blocks (slab * SLAB_BYTES + offset). */
  private readonly carving: number[] = CLASSES.map(() => -1)
  private readonly used: number[] = CLASSES.map(() => 0)
  private spare: number[][] = CLASSES.map(() => [])
  /** Records held, and their captured bytes (the sum of len()). */
  count = 0
  bytes = 0

  constructor() {
    this.grow(INITIAL_RECORDS)
  }

  /**
   * Inserts a COPY of `buf` (+ `trunc` uncaptured bytes after it) starting at `seq` into `list`, in
   * order of sequence relative to `base` (the direction's next expected sequence number; `seq` is
   * beyond it). Segments with the same start keep their arrival order. A segment wholly covered by
   * a held one that starts at the same point or earlier is not stored: returns false (nothing
   * changed), else true.
   */
  insert(list: OooList, base: number, seq: number, buf: Buffer, trunc: number, at: Moment): boolean {
    const w = this.w
    const rel = (seq - base) | 0
    const len = buf.length
    let prev = list.oooTail
    while (prev !== NIL && ((w[prev * W + SEQ] - base) | 0) > rel) prev = w[prev * W + PREV]
    if (prev !== NIL) {
      const o = prev * W
      if (((w[o + SEQ] - base) | 0) + w[o + LEN] + w[o + TRUNC] >= rel + len + trunc) return false
    }
    const h = this.alloc(seq, buf, trunc, at)
    this.link(list, prev, h)
    return true
  }

  /** First (lowest) record of `list`, or NIL. */
  first(list: OooList): number {
    return list.oooHead
  }

  /** Record after `h` in its list, or NIL. */
  next(h: number): number {
    return this.w[h * W + NEXT]
  }

  /** Sequence number of the first byte (int32: compare by signed differences only). */
  seq(h: number): number {
    return this.w[h * W + SEQ]
  }

  /** Captured bytes held. */
  len(h: number): number {
    return this.w[h * W + LEN]
  }

  /** Bytes after the captured ones that the capture cut (a snaplen). */
  trunc(h: number): number {
    return this.w[h * W + TRUNC]
  }

  /** Writes the frame and capture time of the segment's packet into `out`. */
  moment(h: number, out: Moment): Moment {
    const o = h * F
    out.frame = this.f[o + FRAME]
    out.tsSec = this.f[o + TSSEC]
    out.tsNsec = this.f[o + TSNSEC]
    return out
  }

  /** The held bytes: a new view, valid until free(h) or reset. */
  data(h: number): Buffer {
    const o = h * W
    const slab = this.w[o + SLAB]
    if (slab >= 0) {
      const off = this.w[o + OFF]
      return this.slabs[slab].subarray(off, off + this.w[o + LEN])
    }
    if (slab === -1) return this.big.get(h) as Buffer
    return EMPTY
  }

  /** Unlinks the first record of `list` and returns it (NIL when empty); free() it after use. */
  shift(list: OooList): number {
    const h = list.oooHead
    if (h === NIL) return NIL
    const w = this.w
    const n = w[h * W + NEXT]
    list.oooHead = n
    if (n === NIL) list.oooTail = NIL
    else w[n * W + PREV] = NIL
    list.oooCount--
    return h
  }

  /** Releases an unlinked record and its bytes (views from data(h) must not be used after this). */
  free(h: number): void {
    const w = this.w
    const o = h * W
    const slab = w[o + SLAB]
    if (slab >= 0) this.spare[w[o + CLS]].push(slab * SLAB_BYTES + w[o + OFF])
    else if (slab === -1) this.big.delete(h)
    this.bytes -= w[o + LEN]
    w[o + SLAB] = -2
    w[o + LEN] = 0
    w[o + NEXT] = this.freeRec
    this.freeRec = h
    if (--this.count === 0) this.reset()
  }

  /** Frees every record of `list`; returns the captured bytes they held. */
  clear(list: OooList): number {
    let n = 0
    for (let h = this.shift(list); h !== NIL; h = this.shift(list)) {
      n += this.len(h)
      this.free(h)
    }
    return n
  }

  // --- internals ------------------------------------------------------------------------------

  private link(list: OooList, prev: number, h: number): void {
    const w = this.w
    const next = prev === NIL ? list.oooHead : w[prev * W + NEXT]
    w[h * W + PREV] = prev
    w[h * W + NEXT] = next
    if (prev === NIL) list.oooHead = h
    else w[prev * W + NEXT] = h
    if (next === NIL) list.oooTail = h
    else w[next * W + PREV] = h
    list.oooCount++
  }

  private alloc(seq: number, buf: Buffer, trunc: number, at: Moment): number {
    if (this.freeRec === NIL) this.grow(this.cap * 2)
    const h = this.freeRec
    const w = this.w
    const o = h * W
    this.freeRec = w[o + NEXT]
    const len = buf.length
    w[o + SEQ] = seq | 0
    w[o + LEN] = len
    w[o + TRUNC] = trunc
    if (len === 0) {
      w[o + SLAB] = -2
    } else if (len > ARENA_MAX_BYTES) {
      w[o + SLAB] = -1
      const own = Buffer.allocUnsafeSlow(len)
      buf.copy(own)
      this.big.set(h, own)
    } else {
      let k = 0
      while (CLASSES[k] < len) k++
      w[o + CLS] = k
      const sp = this.spare[k]
      let slab: number
      let off: number
      if (sp.length > 0) {
        const b = sp.pop() as number
        slab = Math.floor(b / SLAB_BYTES)
        off = b - slab * SLAB_BYTES
      } else {
        const size = CLASSES[k]
        slab = this.carving[k]
        if (slab === -1 || this.used[k] + size > SLAB_BYTES) {
          slab = this.slabs.length
          this.slabs.push(Buffer.allocUnsafeSlow(SLAB_BYTES))
          this.carving[k] = slab
          this.used[k] = 0
        }
        off = this.used[k]
        this.used[k] += size
      }
      w[o + SLAB] = slab
      w[o + OFF] = off
      buf.copy(this.slabs[slab], off)
    }
    const fo = h * F
    this.f[fo + FRAME] = at.frame
    this.f[fo + TSSEC] = at.tsSec
    this.f[fo + TSNSEC] = at.tsNsec
    this.count++
    this.bytes += len
    return h
  }

  /** Grows (or, when empty, re-creates) the record arrays to `cap` records, all new ones free. */
  private grow(cap: number): void {
    const w = new Int32Array(cap * W)
    const f = new Float64Array(cap * F)
    w.set(this.w)
    f.set(this.f)
    for (let h = cap - 1; h >= this.cap; h--) {
      w[h * W + SLAB] = -2
      w[h * W + NEXT] = this.freeRec
      this.freeRec = h
    }
    this.w = w
    this.f = f
    this.cap = cap
  }

  /** Nothing is held: lets every slab go and shrinks the record arrays back. */
  private reset(): void {
    if (this.slabs.length > 0) {
      this.slabs = []
      this.spare = CLASSES.map(() => [])
      for (let k = 0; k < CLASSES.length; k++) {
        this.carving[k] = -1
        this.used[k] = 0
      }
    }
    if (this.cap > INITIAL_RECORDS) {
      this.cap = 0
      this.w = new Int32Array(0)
      this.f = new Float64Array(0)
      this.freeRec = NIL
      this.grow(INITIAL_RECORDS)
    }
  }
}

const EMPTY = Buffer.alloc(0)
