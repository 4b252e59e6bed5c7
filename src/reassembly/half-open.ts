/**
 * HalfOpen: TCP connections that so far consist of their client's SYN only (the state of every
 * connection between its SYN and the SYN-ACK, and the whole life of a SYN scan or flood), kept in
 * flat typed arrays instead of a TcpConn and its two direction objects (about 250 bytes per record
 * instead of ~0.7 KB of heap, and no garbage when a flood evicts them). The reassembler turns a
 * record into a full TcpConn (promote) at its first packet that is not a repeat of that SYN; until
 * then a record behaves exactly like the TcpConn it stands for: same id, counters, capture times,
 * and the same place in the least-recently-active order (`stamp`, shared with ConnTable).
 *
 * Records are slots of the arrays; free slots are chained. Lookup is allocation-free (the
 * ConnTable tuple hash, then the address words). Every value is stored in a float64 (exact for
 * every number a DecodedPacket carries); links and hashes in int32 words. The arrays double when
 * full; the reassembler keeps the record count within Limits.maxConnections (with the full ones).
 */
import type {DecodedPacket} from '../decode/types.js'
import {BNEXT, HASH, Slots} from './slots.js'

// float64 values of one record
const ID = 0
const C0 = 1
const S0 = 5
const CPORT = 9
const SPORT = 10
const IPV = 11
const VLAN = 12
const VLANIN = 13
const CMACHI = 14
const CMACLO = 15
const SMACHI = 16
const SMACLO = 17
const FIRSTSEC = 18
const FIRSTNSEC = 19
const FIRSTFRAME = 20
const LASTSEC = 21
const LASTNSEC = 22
const LASTFRAME = 23
const PK0 = 24
const IB0 = 25
const FL0 = 26
const ISN = 27
const STAMP = 28
/** The table's capture clock at the last packet (as Conn.setActive): seconds, nanoseconds. */
const ACTIVESEC = 29
const ACTIVENSEC = 30
const V = 31

// int32 words of one record: only HASH, BNEXT, PREV and NEXT (./slots.ts)
const L = 4

/** The values a promoted record hands to its TcpConn (see TcpReassembler.promote). */
export const HalfField = {
  ID,
  C0,
  S0,
  CPORT,
  SPORT,
  IPV,
  VLAN,
  VLANIN,
  CMACHI,
  CMACLO,
  SMACHI,
  SMACLO,
  FIRSTSEC,
  FIRSTNSEC,
  FIRSTFRAME,
  LASTSEC,
  LASTNSEC,
  LASTFRAME,
  PK0,
  IB0,
  FL0,
  ISN,
} as const

export class HalfOpen {
  private cap = 0
  private v = new Float64Array(0)
  private w = new Int32Array(0)
  /** Free slots, hash buckets and the activity order. */
  private readonly slots = new Slots(L)

  /** Least recently active record (-1: none). */
  get head(): number {
    return this.slots.head
  }

  /** Records held. */
  get size(): number {
    return this.slots.size
  }
  /** Direction of the packet passed to the last successful find() (0: from the client). */
  dir: 0 | 1 = 0

  /** The record of p's tuple (either direction) or -1; `hash` is ConnTable's tupleHash(p). */
  find(p: DecodedPacket, hash: number): number {
    const v = this.v
    const w = this.w
    for (let s = this.slots.first(hash); s !== -1; s = w[s * L + BNEXT]) {
      if (w[s * L + HASH] !== hash) continue
      const o = s * V
      if (v[o + IPV] !== p.ipVersion) continue
      if (
        p.srcPort === v[o + CPORT] &&
        p.dstPort === v[o + SPORT] &&
        p.src0 === v[o + C0] &&
        p.src1 === v[o + C0 + 1] &&
        p.src2 === v[o + C0 + 2] &&
        p.src3 === v[o + C0 + 3] &&
        p.dst0 === v[o + S0] &&
        p.dst1 === v[o + S0 + 1] &&
        p.dst2 === v[o + S0 + 2] &&
        p.dst3 === v[o + S0 + 3]
      ) {
        this.dir = 0
        return s
      }
      if (
        p.srcPort === v[o + SPORT] &&
        p.dstPort === v[o + CPORT] &&
        p.src0 === v[o + S0] &&
        p.src1 === v[o + S0 + 1] &&
        p.src2 === v[o + S0 + 2] &&
        p.src3 === v[o + S0 + 3] &&
        p.dst0 === v[o + C0] &&
        p.dst1 === v[o + C0 + 1] &&
        p.dst2 === v[o + C0 + 2] &&
        p.dst3 === v[o + C0 + 3]
      ) {
        this.dir = 1
        return s
      }
    }
    return -1
  }

  /**
   * A record for the untunneled SYN `p` (its sender is the client), counted as TcpConn.count
   * counts a packet; it becomes the most recently active record. Returns its slot.
   */
  add(p: DecodedPacket, hash: number, id: number, stamp: number, activeSec: number, activeNsec: number): number {
    let s = this.slots.take(this.w)
    if (s === -1) {
      this.grow()
      s = this.slots.take(this.w)
    }
    const w = this.w
    const v = this.v
    const o = s * V
    v[o + ID] = id
    v[o + C0] = p.src0
    v[o + C0 + 1] = p.src1
    v[o + C0 + 2] = p.src2
    v[o + C0 + 3] = p.src3
    v[o + S0] = p.dst0
    v[o + S0 + 1] = p.dst1
    v[o + S0 + 2] = p.dst2
    v[o + S0 + 3] = p.dst3
    v[o + CPORT] = p.srcPort
    v[o + SPORT] = p.dstPort
    v[o + IPV] = p.ipVersion
    v[o + VLAN] = p.vlan
    v[o + VLANIN] = p.vlanInner ?? -1
    v[o + CMACHI] = p.srcMacHi ?? -1
    v[o + CMACLO] = p.srcMacLo ?? 0
    v[o + SMACHI] = p.dstMacHi ?? -1
    v[o + SMACLO] = p.dstMacLo ?? 0
    v[o + FIRSTSEC] = p.tsSec
    v[o + FIRSTNSEC] = p.tsNsec
    v[o + FIRSTFRAME] = p.frame
    v[o + PK0] = 0
    v[o + IB0] = 0
    v[o + FL0] = 0
    v[o + ISN] = p.seq
    this.count(s, p, stamp, activeSec, activeNsec)
    this.slots.insert(w, s, hash)
    return s
  }

  /** Counts another client packet on the record (a repeated SYN) and makes it the most recent. */
  again(s: number, p: DecodedPacket, stamp: number, activeSec: number, activeNsec: number): void {
    this.count(s, p, stamp, activeSec, activeNsec)
    this.slots.touch(this.w, s)
  }

  /** Value `f` (a HalfField) of record `s`. */
  get(s: number, f: number): number {
    return this.v[s * V + f]
  }

  stamp(s: number): number {
    return this.v[s * V + STAMP]
  }

  hash(s: number): number {
    return this.w[s * L + HASH]
  }

  /** The capture clock at the record's last packet, in seconds (as Conn.lastActivity). */
  lastActivity(s: number): number {
    return this.v[s * V + ACTIVESEC] + this.v[s * V + ACTIVENSEC] / 1e9
  }

  /** The capture clock at the record's last packet as (seconds, nanoseconds). */
  activeSec(s: number): number {
    return this.v[s * V + ACTIVESEC]
  }

  activeNsec(s: number): number {
    return this.v[s * V + ACTIVENSEC]
  }

  /** Drops a record (promoted, evicted or timed out). */
  remove(s: number): void {
    this.slots.remove(this.w, s)
  }

  /** Drops every record (the arrays are kept for reuse). */
  clear(): void {
    while (this.head !== -1) this.remove(this.head)
  }

  private count(s: number, p: DecodedPacket, stamp: number, activeSec: number, activeNsec: number): void {
    const v = this.v
    const o = s * V
    v[o + PK0] += p.wirePackets
    v[o + IB0] += p.wireBytes
    v[o + FL0] = v[o + FL0] | p.tcpFlags
    v[o + LASTSEC] = p.tsSec
    v[o + LASTNSEC] = p.tsNsec
    v[o + LASTFRAME] = p.frame
    v[o + STAMP] = stamp
    v[o + ACTIVESEC] = activeSec
    v[o + ACTIVENSEC] = activeNsec
  }


  /** Doubles the arrays (slots keep their numbers); Slots frees the new slots and rebuilds its buckets. */
  private grow(): void {
    const old = this.cap
    const cap = old === 0 ? 1024 : old * 2
    const v = new Float64Array(cap * V)
    v.set(this.v)
    const w = new Int32Array(cap * L)
    w.set(this.w)
    this.slots.grown(w, old, cap)
    this.v = v
    this.w = w
    this.cap = cap
  }
}
