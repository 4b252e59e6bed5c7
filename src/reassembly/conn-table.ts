/**
 * ConnTable: the 5-tuple -> Conn index shared by the TCP reassembler and the UDP flow table.
 *
 * Lookup is allocation-free: the 5-tuple words are hashed into a 32-bit number with a function that
 * is symmetric in the two endpoints (both directions land in the same bucket), and a bucket chain is
 * walked comparing numbers. The bucket array doubles when the load passes 1; its size is bounded
 * by the owner's Limits.maxConnections.
 *
 * Every conn is also on one of two intrusive lists ordered by last activity (least recent at the
 * head): `open` (still receiving) and `closed` (ended, lingering so that trailing packets are
 * counted against it). `touch` moves a conn to its list's tail, so idle sweeps and eviction only
 * look at list heads. The VLAN id is not part of the key (as in gopacket and Zeek's default); the
 * tunnel zone (a VXLAN/Geneve VNI, see src/decode/tunnel.ts) is: the same inner 5-tuple in two
 * overlay networks is two connections.
 */
import type {DecodedPacket} from '../decode/types.js'
import type {Conn} from './conn.js'
import type {Dir} from './types.js'

class ConnList {
  head: Conn | null = null
  tail: Conn | null = null
  size = 0

  push(c: Conn): void {
    c.lruPrev = this.tail
    c.lruNext = null
    if (this.tail) this.tail.lruNext = c
    else this.head = c
    this.tail = c
    this.size++
  }

  unlink(c: Conn): void {
    if (c.lruPrev) c.lruPrev.lruNext = c.lruNext
    else this.head = c.lruNext
    if (c.lruNext) c.lruNext.lruPrev = c.lruPrev
    else this.tail = c.lruPrev
    c.lruPrev = c.lruNext = null
    this.size--
  }
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return h ^ (h >>> 16)
}

function endpointHash(a0: number, a1: number, a2: number, a3: number, port: number): number {
  let h = Math.imul(a0 | 0, 0x9e3779b1)
  h = Math.imul(h ^ (a1 | 0), 0x9e3779b1)
  h = Math.imul(h ^ (a2 | 0), 0x9e3779b1)
  h = Math.imul(h ^ (a3 | 0), 0x9e3779b1)
  return mix(h ^ port)
}

/** A packet's tunnel zone (0 when it was not tunneled or its tunnel is not keyed). */
export function zoneOf(p: DecodedPacket): number {
  const t = p.tunnel
  return t === undefined || t.depth === 0 ? 0 : t.zone
}

/**
 * Direction-independent hash of a packet's 5-tuple and tunnel zone (endpoint hashes summed, then
 * mixed with the zone).
 */
export function tupleHash(p: DecodedPacket): number {
  const a = endpointHash(p.src0, p.src1, p.src2, p.src3, p.srcPort)
  const b = endpointHash(p.dst0, p.dst1, p.dst2, p.dst3, p.dstPort)
  return mix((a + b + zoneOf(p)) | 0)
}

export class ConnTable<T extends Conn> {
  private buckets: (T | null)[]
  private mask: number
  readonly open = new ConnList()
  readonly closed = new ConnList()
  /** Direction of the packet passed to the last successful find(). */
  dir: Dir = 0
  /** Hash of the packet passed to the last find() (reuse it for insert). */
  lastHash = 0
  /** Last stamp handed out: every insert and touch stamps its conn with the next one. */
  private stamps = 0

  constructor(initialBuckets = 1024) {
    let n = 16
    while (n < initialBuckets) n *= 2
    this.buckets = new Array<T | null>(n).fill(null)
    this.mask = n - 1
  }

  get size(): number {
    return this.open.size + this.closed.size
  }

  /** Finds the conn of p's 5-tuple and zone (either direction); sets `dir` and `lastHash`. */
  find(p: DecodedPacket): T | null {
    const h = tupleHash(p)
    const zone = zoneOf(p)
    this.lastHash = h
    let c = this.buckets[h & this.mask]
    while (c !== null) {
      if (c.hash === h && c.ipVersion === p.ipVersion && c.zone === zone) {
        if (
          p.srcPort === c.clientPort &&
          p.dstPort === c.serverPort &&
          p.src0 === c.c0 &&
          p.src1 === c.c1 &&
          p.src2 === c.c2 &&
          p.src3 === c.c3 &&
          p.dst0 === c.s0 &&
          p.dst1 === c.s1 &&
          p.dst2 === c.s2 &&
          p.dst3 === c.s3
        ) {
          this.dir = 0
          return c
        }
        if (
          p.srcPort === c.serverPort &&
          p.dstPort === c.clientPort &&
          p.src0 === c.s0 &&
          p.src1 === c.s1 &&
          p.src2 === c.s2 &&
          p.src3 === c.s3 &&
          p.dst0 === c.c0 &&
          p.dst1 === c.c1 &&
          p.dst2 === c.c2 &&
          p.dst3 === c.c3
        ) {
          this.dir = 1
          return c
        }
      }
      c = c.bucketNext as T | null
    }
    return null
  }

  /**
   * The next activity stamp. Stamps grow with every insert and touch, so both lists are in stamp
   * order, and an owner keeping records of its own (./half-open.ts) can order them against conns.
   */
  nextStamp(): number {
    return ++this.stamps
  }

  /** Adds a new conn (with `hash` already set) at the tail of the open list. */
  insert(c: T): void {
    c.stamp = ++this.stamps
    if (this.size >= this.buckets.length) this.grow()
    const i = c.hash & this.mask
    c.bucketNext = this.buckets[i]
    this.buckets[i] = c
    c.inClosed = false
    this.open.push(c)
  }

  /** Removes a conn from the index and from its list. */
  remove(c: T): void {
    const i = c.hash & this.mask
    let prev: Conn | null = null
    let cur: Conn | null = this.buckets[i]
    while (cur !== null && cur !== c) {
      prev = cur
      cur = cur.bucketNext
    }
    if (cur === c) {
      if (prev) prev.bucketNext = c.bucketNext
      else this.buckets[i] = c.bucketNext as T | null
    }
    c.bucketNext = null
    ;(c.inClosed ? this.closed : this.open).unlink(c)
  }

  /** Marks a conn as recently active (moves it to its list's tail). */
  touch(c: T): void {
    c.stamp = ++this.stamps
    const list = c.inClosed ? this.closed : this.open
    if (list.tail === c) return
    list.unlink(c)
    list.push(c)
  }

  /** Moves an open conn to the closed (lingering) list. */
  markClosed(c: T): void {
    if (c.inClosed) return
    c.stamp = ++this.stamps
    this.open.unlink(c)
    c.inClosed = true
    this.closed.push(c)
  }

  /** All conns (open and closed) sorted by id, i.e. creation order. For end-of-input flushing. */
  allByCreation(): T[] {
    const out: T[] = []
    for (let c = this.open.head; c; c = c.lruNext) out.push(c as T)
    for (let c = this.closed.head; c; c = c.lruNext) out.push(c as T)
    out.sort((a, b) => a.id - b.id)
    return out
  }

  private grow(): void {
    const old = this.buckets
    const n = old.length * 2
    this.buckets = new Array<T | null>(n).fill(null)
    this.mask = n - 1
    for (let i = 0; i < old.length; i++) {
      let c = old[i]
      while (c !== null) {
        const next = c.bucketNext as T | null
        const j = c.hash & this.mask
        c.bucketNext = this.buckets[j]
        this.buckets[j] = c
        c = next
      }
    }
  }
}
