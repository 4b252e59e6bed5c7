/**
 * FlatUdp: young UDP flows (at most FLAT_MAX_DATAGRAMS datagrams so far) whose handler holds
 * nothing or has parked its state (UdpHandler.park), kept in flat typed arrays instead of a
 * UdpFlow, its handler and the handler's objects (about 0.3 KB per record, outside the heap,
 * instead of ~1.5 KB of heap for a flow holding one DNS query, and no garbage when a flood evicts
 * them). The flow table (./udp.ts) turns a record back into a UdpFlow (restore) at the flow's next
 * datagram, or when it ends with something to end; until then a record behaves exactly like the
 * UdpFlow it stands for: same id, counters, history, capture times, and the same place in the
 * least-recently-active order (`stamp`, shared with ConnTable).
 *
 * Only untunneled flows are kept here (the tunnel snapshot is an object; zone 0). Records are
 * slots of the arrays; free slots are chained. Lookup is allocation-free (the ConnTable tuple
 * hash, then the address words). Every value is stored in a float64 (exact for every number a
 * DecodedPacket carries); links and hashes in int32 words; a parked handler's text in a plain
 * array beside them. The arrays double when full; the flow table keeps the record count within
 * Limits.maxConnections (with the UdpFlows).
 */
import type {DecodedPacket} from '../decode/types.js'
import type {Conn, RoleBy} from './conn.js'
import type {ParkedState} from './types.js'

/**
 * A flow is kept flat only while it has had at most this many datagrams (both directions): each
 * flow is rebuilt as an object at most this many times, and a long-lived flow stays one object
 * instead of being rebuilt at every datagram. 2 covers the one-shot exchange (a query, its answer).
 */
export const FLAT_MAX_DATAGRAMS = 2

/** What a record's flow had instead of a handler. */
export const FlatKind = {
  /** No handler (none was opened, or it threw): nothing to end. */
  NONE: 0,
  /** The handler was dropped while idle (UdpFlow.parked): open a new one at the next datagram. */
  IDLE: 1,
  /** The handler parked its state (UdpHandler.park): a new one gets it back, then is ended or fed. */
  STATE: 2,
} as const

// float64 values of one record
const ID = 0
const C0 = 1
const S0 = 5
const CPORT = 9
const SPORT = 10
const IPV = 11
const ROLE = 12
const VLAN = 13
const VLANIN = 14
const CMACHI = 15
const CMACLO = 16
const SMACHI = 17
const SMACLO = 18
const PK0 = 19
const PK1 = 20
const IB0 = 21
const IB1 = 22
const PB0 = 23
const PB1 = 24
const FL0 = 25
const FL1 = 26
const FIRSTSEC = 27
const FIRSTNSEC = 28
const FIRSTFRAME = 29
const LASTSEC = 30
const LASTNSEC = 31
const LASTFRAME = 32
/** The table's capture clock at the last datagram (Conn.activeAt). */
const ACTIVE = 33
const STAMP = 34
/** Conn.history as HISTORIES index. */
const HIST = 35
const KIND = 36
const N0 = 37
const N1 = 38
const N2 = 39
const V = 40

// int32 words of one record
const HASH = 0
/** Next slot in the same hash bucket (-1: end); next free slot while free. */
const BNEXT = 1
const PREV = 2
const NEXT = 3
const L = 4

/** The Conn.history values a UDP flow can have (only the DATA letters are recorded for UDP). */
const HISTORIES = ['', 'D', 'd', 'Dd', 'dD']
const ROLES: readonly RoleBy[] = ['first-packet', 'port', 'syn', 'synack']

/** The values a restored record hands to its UdpFlow (see UdpFlows.restore). */
export const FlatField = {
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
  PK0,
  PK1,
  IB0,
  IB1,
  PB0,
  PB1,
  FL0,
  FL1,
  FIRSTSEC,
  FIRSTNSEC,
  FIRSTFRAME,
  LASTSEC,
  LASTNSEC,
  LASTFRAME,
  ACTIVE,
  KIND,
} as const

/** True when `c` can be kept as a record (untunneled, a history FlatUdp can store). */
export function flattenable(c: Conn): boolean {
  return c.tunnel === undefined && c.zone === 0 && HISTORIES.indexOf(c.history) >= 0
}

export class FlatUdp {
  private cap = 0
  private v = new Float64Array(0)
  private w = new Int32Array(0)
  private texts: (string | undefined)[] = []
  private buckets = new Int32Array(0)
  private mask = 0
  private free = -1
  /** Least recently active record (-1: none) and most recent one. */
  head = -1
  private tail = -1
  size = 0

  /** The record of p's tuple (either direction) or -1; `hash` is ConnTable's tupleHash(p). */
  find(p: DecodedPacket, hash: number): number {
    if (this.size === 0) return -1
    const v = this.v
    const w = this.w
    for (let s = this.buckets[hash & this.mask]; s !== -1; s = w[s * L + BNEXT]) {
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
        return s
      }
    }
    return -1
  }

  /**
   * A record for flow `c` (flattenable(c); it must not be in the ConnTable any more), with what it
   * had instead of a handler (`st` for FlatKind.STATE, copied). It becomes the most recently active
   * record. Returns its slot.
   */
  add(c: Conn, kind: number, st: ParkedState | null): number {
    if (this.free === -1) this.grow()
    const s = this.free
    const w = this.w
    this.free = w[s * L + BNEXT]
    const v = this.v
    const o = s * V
    v[o + ID] = c.id
    v[o + C0] = c.c0
    v[o + C0 + 1] = c.c1
    v[o + C0 + 2] = c.c2
    v[o + C0 + 3] = c.c3
    v[o + S0] = c.s0
    v[o + S0 + 1] = c.s1
    v[o + S0 + 2] = c.s2
    v[o + S0 + 3] = c.s3
    v[o + CPORT] = c.clientPort
    v[o + SPORT] = c.serverPort
    v[o + IPV] = c.ipVersion
    v[o + ROLE] = ROLES.indexOf(c.roleBy)
    v[o + VLAN] = c.vlan
    v[o + VLANIN] = c.vlanInner
    v[o + CMACHI] = c.clientMacHi
    v[o + CMACLO] = c.clientMacLo
    v[o + SMACHI] = c.serverMacHi
    v[o + SMACLO] = c.serverMacLo
    v[o + PK0] = c.pk0
    v[o + PK1] = c.pk1
    v[o + IB0] = c.ib0
    v[o + IB1] = c.ib1
    v[o + PB0] = c.pb0
    v[o + PB1] = c.pb1
    v[o + FL0] = c.fl0
    v[o + FL1] = c.fl1
    v[o + FIRSTSEC] = c.firstSec
    v[o + FIRSTNSEC] = c.firstNsec
    v[o + FIRSTFRAME] = c.firstFrame
    v[o + LASTSEC] = c.lastSec
    v[o + LASTNSEC] = c.lastNsec
    v[o + LASTFRAME] = c.lastFrame
    v[o + ACTIVE] = c.activeAt
    v[o + STAMP] = c.stamp
    v[o + HIST] = HISTORIES.indexOf(c.history)
    v[o + KIND] = kind
    if (st !== null) {
      v[o + N0] = st.n0
      v[o + N1] = st.n1
      v[o + N2] = st.n2
      this.texts[s] = st.text
    }
    w[s * L + HASH] = c.hash
    const b = c.hash & this.mask
    w[s * L + BNEXT] = this.buckets[b]
    this.buckets[b] = s
    this.push(s)
    this.size++
    return s
  }

  /** Value `f` (a FlatField) of record `s`. */
  get(s: number, f: number): number {
    return this.v[s * V + f]
  }

  hash(s: number): number {
    return this.w[s * L + HASH]
  }

  stamp(s: number): number {
    return this.v[s * V + STAMP]
  }

  roleBy(s: number): RoleBy {
    return ROLES[this.v[s * V + ROLE]]
  }

  history(s: number): string {
    return HISTORIES[this.v[s * V + HIST]]
  }

  kind(s: number): number {
    return this.v[s * V + KIND]
  }

  /** The capture clock at the record's last datagram, in seconds (as Conn.lastActivity). */
  lastActivity(s: number): number {
    return this.v[s * V + ACTIVE]
  }

  /** The parked state of a FlatKind.STATE record, into `st`. */
  state(s: number, st: ParkedState): void {
    const o = s * V
    st.text = this.texts[s] ?? ''
    st.n0 = this.v[o + N0]
    st.n1 = this.v[o + N1]
    st.n2 = this.v[o + N2]
  }

  /** The record after `s` in least-recently-active order (-1: none). */
  next(s: number): number {
    return this.w[s * L + NEXT]
  }

  /** Drops a record (restored, evicted or timed out). */
  remove(s: number): void {
    const w = this.w
    const b = w[s * L + HASH] & this.mask
    let prev = -1
    let cur = this.buckets[b]
    while (cur !== -1 && cur !== s) {
      prev = cur
      cur = w[cur * L + BNEXT]
    }
    if (cur === s) {
      if (prev === -1) this.buckets[b] = w[s * L + BNEXT]
      else w[prev * L + BNEXT] = w[s * L + BNEXT]
    }
    this.unlink(s)
    this.texts[s] = undefined
    w[s * L + BNEXT] = this.free
    this.free = s
    this.size--
  }

  /** Drops every record (the arrays are kept for reuse). */
  clear(): void {
    while (this.head !== -1) this.remove(this.head)
  }

  private push(s: number): void {
    const w = this.w
    w[s * L + PREV] = this.tail
    w[s * L + NEXT] = -1
    if (this.tail !== -1) w[this.tail * L + NEXT] = s
    else this.head = s
    this.tail = s
  }

  private unlink(s: number): void {
    const w = this.w
    const prev = w[s * L + PREV]
    const next = w[s * L + NEXT]
    if (prev !== -1) w[prev * L + NEXT] = next
    else this.head = next
    if (next !== -1) w[next * L + PREV] = prev
    else this.tail = prev
  }

  /** Doubles the arrays (slots keep their numbers) and rebuilds the buckets (2 per slot). */
  private grow(): void {
    const old = this.cap
    const cap = old === 0 ? 1024 : old * 2
    const v = new Float64Array(cap * V)
    v.set(this.v)
    const w = new Int32Array(cap * L)
    w.set(this.w)
    for (let s = cap - 1; s >= old; s--) {
      w[s * L + BNEXT] = this.free
      this.free = s
    }
    const texts: (string | undefined)[] = new Array(cap).fill(undefined)
    for (let s = 0; s < old; s++) texts[s] = this.texts[s]
    const buckets = new Int32Array(cap * 2).fill(-1)
    const mask = cap * 2 - 1
    for (let s = this.head; s !== -1; s = w[s * L + NEXT]) {
      const b = w[s * L + HASH] & mask
      w[s * L + BNEXT] = buckets[b]
      buckets[b] = s
    }
    this.v = v
    this.w = w
    this.texts = texts
    this.buckets = buckets
    this.mask = mask
    this.cap = cap
  }
}
