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
 * one small object per closed connection.
 */
import type {DecodedPacket} from '../decode/types.js'
import {zoneOf} from './conn-table.js'
import type {Dir} from './types.js'

/** Capture seconds a tombstone stays (TIME-WAIT, 2 * MSL of 2 minutes). */
export const TIME_WAIT_SEC = 240

export interface TombSide {
  /** The direction carried anything the reassembler tracked (its sequence numbers are known). */
  known: boolean
  synSeen: boolean
  isn: number
  low: number
  high: number
}

interface Tomb {
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
  side: [TombSide, TombSide]
  /** Next tombstone in the same hash chain. */
  next: Tomb | null
  dead: boolean
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
}

export class Tombstones {
  private readonly chains = new Map<number, Tomb>()
  /** Insertion (= retirement) order, for the count bound and expiry; `head` is the oldest live index. */
  private readonly order: Tomb[] = []
  private head = 0
  private live = 0

  constructor(private readonly max: number) {}

  get size(): number {
    return this.live
  }

  /** Records a closed connection; `d0`/`d1` are its client / server sequence ranges (copied). */
  add(c: TombSource, d0: TombSide, d1: TombSide): void {
    if (this.max <= 0) return
    while (this.live >= this.max) this.dropOldest()
    const t: Tomb = {
      hash: c.hash,
      ipVersion: c.ipVersion,
      zone: c.zone,
      c0: c.c0,
      c1: c.c1,
      c2: c.c2,
      c3: c.c3,
      s0: c.s0,
      s1: c.s1,
      s2: c.s2,
      s3: c.s3,
      clientPort: c.clientPort,
      serverPort: c.serverPort,
      lastSec: c.lastSec,
      side: [{...d0}, {...d1}],
      next: this.chains.get(c.hash) ?? null,
      dead: false,
    }
    this.chains.set(c.hash, t)
    this.order.push(t)
    this.live++
  }

  /**
   * True when `p` (whose tuple hash is `hash`) is a late copy of a closed connection's packet: a
   * SYN / SYN-ACK with the recorded ISN, or a segment (payload `len` bytes, FIN counted) entirely
   * inside the range that direction covered. `nowSec` is the capture clock (expiry).
   */
  stale(p: DecodedPacket, hash: number, syn: boolean, ack: boolean, fin: boolean, nowSec: number): boolean {
    this.expire(nowSec)
    let t = this.chains.get(hash) ?? null
    const zone = zoneOf(p)
    for (; t !== null; t = t.next) {
      if (t.dead || t.ipVersion !== p.ipVersion || t.zone !== zone) continue
      const dir = this.dirOf(t, p)
      if (dir === -1) continue
      const s = t.side[dir]
      if (!s.known) return false
      if (syn) return s.synSeen && s.isn === p.seq && ack === (dir === 1)
      const start = p.seq
      const end = (p.seq + p.payload.length + p.payloadTruncated + (fin ? 1 : 0)) >>> 0
      return ((start - s.low) | 0) >= 0 && ((end - s.high) | 0) <= 0
    }
    return false
  }

  /** Forgets the tombstone of `p`'s tuple (a new connection took the tuple over). */
  forget(p: DecodedPacket, hash: number): void {
    const zone = zoneOf(p)
    for (let t = this.chains.get(hash) ?? null; t !== null; t = t.next) {
      if (!t.dead && t.ipVersion === p.ipVersion && t.zone === zone && this.dirOf(t, p) >= 0) this.kill(t)
    }
  }

  private dirOf(t: Tomb, p: DecodedPacket): Dir | -1 {
    if (
      p.srcPort === t.clientPort &&
      p.dstPort === t.serverPort &&
      p.src0 === t.c0 &&
      p.src1 === t.c1 &&
      p.src2 === t.c2 &&
      p.src3 === t.c3 &&
      p.dst0 === t.s0 &&
      p.dst1 === t.s1 &&
      p.dst2 === t.s2 &&
      p.dst3 === t.s3
    )
      return 0
    if (
      p.srcPort === t.serverPort &&
      p.dstPort === t.clientPort &&
      p.src0 === t.s0 &&
      p.src1 === t.s1 &&
      p.src2 === t.s2 &&
      p.src3 === t.s3 &&
      p.dst0 === t.c0 &&
      p.dst1 === t.c1 &&
      p.dst2 === t.c2 &&
      p.dst3 === t.c3
    )
      return 1
    return -1
  }

  private expire(nowSec: number): void {
    while (this.head < this.order.length) {
      const t = this.order[this.head]
      if (!t.dead && nowSec - t.lastSec <= TIME_WAIT_SEC) break
      this.dropOldest()
    }
  }

  private dropOldest(): void {
    const t = this.order[this.head]
    this.order[this.head] = undefined as unknown as Tomb
    this.head++
    if (t !== undefined && !t.dead) this.kill(t)
    // compact the queue once half of it is consumed
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head)
      this.head = 0
    }
  }

  private kill(t: Tomb): void {
    t.dead = true
    this.live--
    // unlink from its chain
    let cur = this.chains.get(t.hash) ?? null
    let prev: Tomb | null = null
    while (cur !== null && cur !== t) {
      prev = cur
      cur = cur.next
    }
    if (cur === null) return
    if (prev === null) {
      if (t.next === null) this.chains.delete(t.hash)
      else this.chains.set(t.hash, t.next)
    } else prev.next = t.next
  }
}
