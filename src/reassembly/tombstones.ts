/**
 * Tombstones of closed TCP connections: what a FIN/RST-closed connection had delivered, kept after
 * its record left the table (TCP_CLOSED_LINGER_SEC), so that late copies of its packets - a
 * duplicate SYN with the same ISN, bytes re-sent below the final sequence number (replays, capture
 * duplication, retransmissions that outlived the linger) - are recognised as retransmissions instead
 * of opening a new mid-stream connection (wsgi_drum.pcap: 10 phantom "response without request").
 *
 * A tombstone holds, per direction, the sequence range the connection covered [low, high): low is
 * the ISN (or the first sequence seen when picked up mid-stream), high the sequence after the last
 * delivered byte (after the FIN when one was seen). A packet matches when its whole range lies inside
 * that range (signed 32-bit differences, RFC 9293 section 3.4). A SYN with another ISN, or data past
 * `high`, does not match and opens a connection as before (port reuse).
 *
 * Bounded: at most `max` tombstones (the reassembler passes limits.maxConnections), the oldest
 * dropped first, and each expires TIME_WAIT_SEC of capture time after its connection's last packet
 * (2 * MSL, RFC 9293 section 3.6.1). Lookup is allocation-free (tuple hash, then address words);
 * no object per closed connection (see the layout below).
 */
import type {DecodedPacket} from '../decode/types.js'
import {zoneOf} from './conn-table.js'

/** Capture seconds a tombstone stays (TIME-WAIT, 2 * MSL of 2 minutes). */
export const TIME_WAIT_SEC = 240

export interface TombSide {
  /** The direction carried anything the reassembler tracked (its sequence numbers are known). */
  known: boolean
  synSeen: boolean
  /** The ISN when synSeen (the SYN check compares against it), else the first sequence seen. */
  low: number
  high: number
}

/** What a retired connection tells the tombstone table (a structural subset of TcpConn). */
export interface TombSource {
  hash: number
  ipVersion: 4 | 6
  zone: number
  c0: number
  c1: number
  c2: number
  c3: number
  s0: number
  s1: number
  s2: number
  s3: number
  clientPort: number
  serverPort: number
  lastSec: number
  lastNsec: number
}

/** What stale() found: no record for the packet, a late copy, or a packet inside the linger window. */
export const Stale = {No: 0, LateCopy: 1, Lingering: 2} as const
export type Stale = (typeof Stale)[keyof typeof Stale]

// Int32 words of one tombstone record (all 32-bit values stored with `| 0`, compared likewise).
const HASH = 0
/** Bits: 0-3 IP version, 4 dead, 5 known0, 6 syn0, 7 known1, 8 syn1. */
const META = 1
const ZONE = 2
const C0 = 3
const S0 = 7
/** clientPort << 16 | serverPort. */
const PORTS = 11
/**
 * Per direction: low and high of the covered range. No ISN word: a direction whose SYN was seen
 * has low === its ISN (tcp.ts tombSide), so the SYN check compares against LOW.
 */
const LOW0 = 12
const HIGH0 = 13
const LOW1 = 14
const HIGH1 = 15
/** Next record (slot) in the same hash bucket, -1 at the end. */
const NEXT = 16
const W = 17

const DEAD = 1 << 4
const KNOWN0 = 1 << 5
const SYN0 = 1 << 6
const KNOWN1 = 1 << 7
const SYN1 = 1 << 8

/**
 * Records live in flat typed arrays (17 int32 words and two float64 per record; no object per
 * tombstone), in a ring ordered by retirement: a record's slot is its ring position, so the oldest
 * is at `head` and slots are freed in order. A record killed early (forget) stays in the ring,
 * marked dead, until the head passes it. Hash buckets chain slots (newest first).
 * The ring doubles when full up to `ceiling` = max + max/8 slots and never past it. A full ring
 * at the ceiling holds at most max - 1 live records, so more than max/8 of its slots are dead: it
 * is compacted (live records moved together, in order), which costs O(ceiling) at most once per
 * max/8 additions. Live records are only ever dropped by the `max` bound and by expiry, oldest
 * first, exactly as with an unbounded ring.
 */
export class Tombstones {
  private cap = 0
  private words = new Int32Array(0)
  private last = new Float64Array(0)
  /** Per slot: capture time of the last packet seen on the tuple (the linger window). */
  private touched = new Float64Array(0)
  private buckets = new Int32Array(0)
  private mask = 0
  /** Ring: slot of the oldest record, and records (live or dead) in the ring. */
  private head = 0
  private count = 0
  private live = 0

  /** Ring slots at most (see the class comment). */
  readonly ceiling: number

  /**
   * `max`: live records at most. `lingerSec`: for this many capture seconds after its connection's
   * last packet (extended by every packet it absorbs) a record absorbs every packet of its tuple
   * except a SYN that starts a new connection, as a lingering closed connection record would (0: no
   * such window).
   */
  constructor(
    private readonly max: number,
    private readonly lingerSec = 0,
  ) {
    this.ceiling = max + Math.ceil(max / 8)
  }

  get size(): number {
    return this.live
  }

  /** Records a closed connection; `d0`/`d1` are its client / server sequence ranges (copied). */
  add(c: TombSource, d0: TombSide, d1: TombSide): void {
    if (this.max <= 0) return
    while (this.live >= this.max) this.dropOldest()
    if (this.count === this.cap) this.resize(this.cap < this.ceiling ? Math.min(this.ceiling, this.cap === 0 ? 1024 : this.cap * 2) : this.cap)
    const slot = (this.head + this.count) % this.cap
    this.count++
    this.live++
    const w = this.words
    const o = slot * W
    const h = c.hash | 0
    w[o + HASH] = h
    w[o + META] =
      c.ipVersion |
      (d0.known ? KNOWN0 : 0) |
      (d0.synSeen ? SYN0 : 0) |
      (d1.known ? KNOWN1 : 0) |
      (d1.synSeen ? SYN1 : 0)
    w[o + ZONE] = c.zone
    w[o + C0] = c.c0
    w[o + C0 + 1] = c.c1
    w[o + C0 + 2] = c.c2
    w[o + C0 + 3] = c.c3
    w[o + S0] = c.s0
    w[o + S0 + 1] = c.s1
    w[o + S0 + 2] = c.s2
    w[o + S0 + 3] = c.s3
    w[o + PORTS] = (c.clientPort << 16) | c.serverPort
    w[o + LOW0] = d0.low
    w[o + HIGH0] = d0.high
    w[o + LOW1] = d1.low
    w[o + HIGH1] = d1.high
    this.last[slot] = c.lastSec
    this.touched[slot] = c.lastSec + c.lastNsec / 1e9
    const b = h & this.mask
    w[o + NEXT] = this.buckets[b]
    this.buckets[b] = slot
  }

  /**
   * True when `p` (whose tuple hash is `hash`) is a late copy of a closed connection's packet: a
   * SYN / SYN-ACK with the recorded ISN, or a segment (payload `len` bytes, FIN counted) entirely
   * inside the range that direction covered (LateCopy); or, within the linger window, any packet but
   * a SYN without ACK whose ISN is not the recorded one (Lingering). `nowSec` is the capture clock.
   */
  stale(p: DecodedPacket, hash: number, syn: boolean, ack: boolean, fin: boolean, nowSec: number): Stale {
    this.expire(nowSec)
    if (this.count === 0) return Stale.No
    const zone = zoneOf(p) | 0
    const w = this.words
    for (let slot = this.buckets[hash & this.mask]; slot !== -1; slot = w[slot * W + NEXT]) {
      const o = slot * W
      const meta = w[o + META]
      if (w[o + HASH] !== (hash | 0) || (meta & DEAD) !== 0 || (meta & 15) !== p.ipVersion || w[o + ZONE] !== zone) continue
      const dir = this.dirOf(o, p)
      if (dir === -1) continue
      const sameIsn = (meta & (dir === 0 ? SYN0 : SYN1)) !== 0 && w[o + (dir === 0 ? LOW0 : LOW1)] === (p.seq | 0)
      if (nowSec - this.touched[slot] <= this.lingerSec) {
        if (syn && !ack && !sameIsn) return Stale.No
        this.touched[slot] = nowSec
        return Stale.Lingering
      }
      if ((meta & (dir === 0 ? KNOWN0 : KNOWN1)) === 0) return Stale.No
      if (syn) return sameIsn && ack === (dir === 1) ? Stale.LateCopy : Stale.No
      const start = p.seq
      const end = (p.seq + p.payload.length + p.payloadTruncated + (fin ? 1 : 0)) >>> 0
      const inside = ((start - w[o + (dir === 0 ? LOW0 : LOW1)]) | 0) >= 0 && ((end - w[o + (dir === 0 ? HIGH0 : HIGH1)]) | 0) <= 0
      return inside ? Stale.LateCopy : Stale.No
    }
    return Stale.No
  }

  /** Forgets the tombstone of `p`'s tuple (a new connection took the tuple over). */
  forget(p: DecodedPacket, hash: number): void {
    if (this.count === 0) return
    const zone = zoneOf(p) | 0
    const w = this.words
    for (let slot = this.buckets[hash & this.mask]; slot !== -1; slot = w[slot * W + NEXT]) {
      const o = slot * W
      const meta = w[o + META]
      if (w[o + HASH] === (hash | 0) && (meta & DEAD) === 0 && (meta & 15) === p.ipVersion && w[o + ZONE] === zone && this.dirOf(o, p) >= 0) this.kill(slot)
    }
  }

  private dirOf(o: number, p: DecodedPacket): 0 | 1 | -1 {
    const w = this.words
    const ports = w[o + PORTS]
    const cp = ports >>> 16
    const sp = ports & 0xffff
    if (
      p.srcPort === cp &&
      p.dstPort === sp &&
      (p.src0 | 0) === w[o + C0] &&
      (p.src1 | 0) === w[o + C0 + 1] &&
      (p.src2 | 0) === w[o + C0 + 2] &&
      (p.src3 | 0) === w[o + C0 + 3] &&
      (p.dst0 | 0) === w[o + S0] &&
      (p.dst1 | 0) === w[o + S0 + 1] &&
      (p.dst2 | 0) === w[o + S0 + 2] &&
      (p.dst3 | 0) === w[o + S0 + 3]
    )
      return 0
    if (
      p.srcPort === sp &&
      p.dstPort === cp &&
      (p.src0 | 0) === w[o + S0] &&
      (p.src1 | 0) === w[o + S0 + 1] &&
      (p.src2 | 0) === w[o + S0 + 2] &&
      (p.src3 | 0) === w[o + S0 + 3] &&
      (p.dst0 | 0) === w[o + C0] &&
      (p.dst1 | 0) === w[o + C0 + 1] &&
      (p.dst2 | 0) === w[o + C0 + 2] &&
      (p.dst3 | 0) === w[o + C0 + 3]
    )
      return 1
    return -1
  }

  private expire(nowSec: number): void {
    while (this.count > 0) {
      const slot = this.head
      if ((this.words[slot * W + META] & DEAD) === 0 && nowSec - this.last[slot] <= TIME_WAIT_SEC) break
      this.dropOldest()
    }
  }

  /** Frees the ring's oldest slot (killing its record when still live). */
  private dropOldest(): void {
    if (this.count === 0) return
    const slot = this.head
    if ((this.words[slot * W + META] & DEAD) === 0) this.kill(slot)
    this.head = (this.head + 1) % this.cap
    this.count--
  }

  private kill(slot: number): void {
    const w = this.words
    const o = slot * W
    w[o + META] |= DEAD
    this.live--
    const b = w[o + HASH] & this.mask
    let cur = this.buckets[b]
    let prev = -1
    while (cur !== -1 && cur !== slot) {
      prev = cur
      cur = w[cur * W + NEXT]
    }
    if (cur === -1) return
    if (prev === -1) this.buckets[b] = w[o + NEXT]
    else w[prev * W + NEXT] = w[o + NEXT]
  }

  /** Ring slots allocated (tests: the bound). */
  get capacity(): number {
    return this.cap
  }

  /**
   * Moves the live records, oldest first and in ring order, into a ring of `cap` slots, dropping
   * the dead ones, and rebuilds the buckets (a power of two, at least 2 per slot). `cap` equal to
   * the current size compacts in place (keeping the head: a record only moves towards it, onto a
   * slot already read); a larger one copies into new arrays from slot 0.
   */
  private resize(cap: number): void {
    const same = cap === this.cap
    const words = same ? this.words : new Int32Array(cap * W)
    const last = same ? this.last : new Float64Array(cap)
    const touched = same ? this.touched : new Float64Array(cap)
    const head = same ? this.head : 0
    let n = 0
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.cap
      if ((this.words[from * W + META] & DEAD) !== 0) continue
      const to = (head + n) % cap
      n++
      if (same && to === from) continue
      if (same) words.copyWithin(to * W, from * W, from * W + W)
      else words.set(this.words.subarray(from * W, from * W + W), to * W)
      last[to] = this.last[from]
      touched[to] = this.touched[from]
    }
    let nb = 2
    while (nb < cap * 2) nb *= 2
    const buckets = this.buckets.length === nb ? this.buckets.fill(-1) : new Int32Array(nb).fill(-1)
    const mask = nb - 1
    // oldest first, each pushed at its bucket's head: chains stay newest first
    for (let i = 0; i < n; i++) {
      const slot = (head + i) % cap
      const o = slot * W
      const b = words[o + HASH] & mask
      words[o + NEXT] = buckets[b]
      buckets[b] = slot
    }
    this.words = words
    this.last = last
    this.touched = touched
    this.buckets = buckets
    this.mask = mask
    this.cap = cap
    this.head = head
    this.count = n
  }
}
