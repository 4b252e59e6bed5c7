/**
 * FlatUdp: young UDP flows (at most FLAT_MAX_DATAGRAMS datagrams so far) whose handler holds
 * nothing or has parked its state (UdpHandler.park), kept in flat typed arrays instead of a
 * UdpFlow, its handler and the handler's objects (304 bytes per record, outside the heap,
 * instead of ~1.5 KB of heap for a flow holding one DNS query, and no garbage when a flood evicts
 * them). The flow table (./udp.ts) turns a record back into a UdpFlow (restore) at the flow's next
 * datagram, or when it ends with something to end; until then a record behaves exactly like the
 * UdpFlow it stands for: same id, counters, history, capture times, and the same place in the
 * least-recently-active order (`stamp`, shared with ConnTable).
 *
 * Only untunneled flows are kept here (the tunnel snapshot is an object; zone 0). Records are
 * slots of the arrays; free slots are chained. Lookup is allocation-free (the ConnTable tuple
 * hash, then the address words). Ids, capture times, stamps and parked numbers are stored in
 * float64s; address words and MAC low words in uint32s, the rest (ports, counters of at most
 * FLAT_MAX_DATAGRAMS datagrams, links, hashes) in int32s, and only a flow whose values fit is kept
 * (flattenable); a parked handler's text in the record's bytes (up to INLINE_TEXT) or a plain
 * array beside them. The arrays double when
 * full, up to the expected count; the flow table keeps the record count within
 * Limits.maxConnections (with the UdpFlows).
 */
import type {DecodedPacket} from '../decode/types.js'
import type {Conn, RoleBy} from './conn.js'
import type {ParkedState} from './types.js'
import {BNEXT, HASH, NEXT, Slots} from './slots.js'

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
const FIRSTSEC = 1
const FIRSTNSEC = 2
const FIRSTFRAME = 3
const LASTSEC = 4
const LASTNSEC = 5
const LASTFRAME = 6
/** The table's capture clock at the last datagram, its seconds (Conn.activeClockSec; nanoseconds in ACTIVENSEC). */
const ACTIVE = 7
const STAMP = 8
const N0 = 9
const N1 = 10
const N2 = 11
const V = 12

// uint32 words of one record: the address words and the MACs' low words
const C0 = 0
const S0 = 4
const CMACLO = 8
const SMACLO = 9
const U = 10

// int32 words of one record: HASH, BNEXT, PREV, NEXT (words 0-3, ./slots.ts), then:
const CPORT = 4
const SPORT = 5
const IPV = 6
const ROLE = 7
const VLAN = 8
const VLANIN = 9
const CMACHI = 10
const SMACHI = 11
const PK0 = 12
const PK1 = 13
const IB0 = 14
const IB1 = 15
const PB0 = 16
const PB1 = 17
const FL0 = 18
const FL1 = 19
/** Conn.history as HISTORIES index. */
const HIST = 20
const KIND = 21
/** Length of the parked text held in the record's bytes; -1: held in `texts` (or none). */
const TLEN = 22
/** Nanoseconds of the capture clock at the last datagram (Conn.activeClockNsec). */
const ACTIVENSEC = 23
const L = 24

/**
 * A parked text of up to this many latin1 characters (a DNS query's bytes, typically) is held in
 * the record's own bytes, not as a string on the heap (which would outlive young-generation
 * collections and become old garbage when the record goes); a longer one is kept as the string.
 */
const INLINE_TEXT = 64

/** The Conn.history values a UDP flow can have (only the DATA letters are recorded for UDP). */
const HISTORIES = ['', 'D', 'd', 'Dd', 'dD']
const ROLES: readonly RoleBy[] = ['first-packet', 'port', 'syn', 'synack']

/** The float64 values a restored record hands to its UdpFlow (FlatUdp.f64; see UdpFlows.restore). */
export const FlatF64 = {ID, FIRSTSEC, FIRSTNSEC, FIRSTFRAME, LASTSEC, LASTNSEC, LASTFRAME, ACTIVE} as const
/** Its uint32 words (FlatUdp.u32). */
export const FlatU32 = {C0, S0, CMACLO, SMACLO} as const
/** Its int32 words (FlatUdp.i32). */
export const FlatI32 = {ACTIVENSEC, CPORT, SPORT, IPV, VLAN, VLANIN, CMACHI, SMACHI, PK0, PK1, IB0, IB1, PB0, PB1, FL0, FL1} as const

const u32ok = (x: number): boolean => x >>> 0 === x
const i32ok = (x: number): boolean => (x | 0) === x

/**
 * True when `c` can be kept as a record: untunneled, a history FlatUdp can store, and every value
 * stored in 32 bits exact there (always so for what the decoder builds; checked, not assumed).
 */
export function flattenable(c: Conn): boolean {
  return (
    c.tunnel === undefined &&
    c.zone === 0 &&
    HISTORIES.indexOf(c.history) >= 0 &&
    u32ok(c.c0) &&
    u32ok(c.c1) &&
    u32ok(c.c2) &&
    u32ok(c.c3) &&
    u32ok(c.s0) &&
    u32ok(c.s1) &&
    u32ok(c.s2) &&
    u32ok(c.s3) &&
    u32ok(c.clientMacLo) &&
    u32ok(c.serverMacLo) &&
    i32ok(c.vlan) &&
    i32ok(c.vlanInner) &&
    i32ok(c.clientMacHi) &&
    i32ok(c.serverMacHi) &&
    i32ok(c.pk0) &&
    i32ok(c.pk1) &&
    i32ok(c.ib0) &&
    i32ok(c.ib1) &&
    i32ok(c.pb0) &&
    i32ok(c.pb1) &&
    i32ok(c.fl0) &&
    i32ok(c.fl1)
  )
}

export class FlatUdp {
  private cap = 0
  private v = new Float64Array(0)
  private u = new Uint32Array(0)
  private w = new Int32Array(0)
  private texts: (string | undefined)[] = []
  /** INLINE_TEXT bytes per record for parked texts (TLEN), and a Buffer over them for decoding. */
  private tbytes = new Uint8Array(0)
  private tbuf = Buffer.alloc(0)
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

  /**
   * @param expected the most records the owner will hold (Limits.maxConnections): the arrays
   *   double up to it rather than past it (they still grow beyond it if asked to).
   */
  constructor(private readonly expected = 0) {}

  /** The record of p's tuple (either direction) or -1; `hash` is ConnTable's tupleHash(p). */
  find(p: DecodedPacket, hash: number): number {
    const u = this.u
    const w = this.w
    for (let s = this.slots.first(hash); s !== -1; s = w[s * L + BNEXT]) {
      const o = s * L
      if (w[o + HASH] !== hash || w[o + IPV] !== p.ipVersion) continue
      const a = s * U
      if (
        p.srcPort === w[o + CPORT] &&
        p.dstPort === w[o + SPORT] &&
        p.src0 === u[a + C0] &&
        p.src1 === u[a + C0 + 1] &&
        p.src2 === u[a + C0 + 2] &&
        p.src3 === u[a + C0 + 3] &&
        p.dst0 === u[a + S0] &&
        p.dst1 === u[a + S0 + 1] &&
        p.dst2 === u[a + S0 + 2] &&
        p.dst3 === u[a + S0 + 3]
      ) {
        return s
      }
      if (
        p.srcPort === w[o + SPORT] &&
        p.dstPort === w[o + CPORT] &&
        p.src0 === u[a + S0] &&
        p.src1 === u[a + S0 + 1] &&
        p.src2 === u[a + S0 + 2] &&
        p.src3 === u[a + S0 + 3] &&
        p.dst0 === u[a + C0] &&
        p.dst1 === u[a + C0 + 1] &&
        p.dst2 === u[a + C0 + 2] &&
        p.dst3 === u[a + C0 + 3]
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
    let s = this.slots.take(this.w)
    if (s === -1) {
      this.grow()
      s = this.slots.take(this.w)
    }
    const w = this.w
    const o = s * L
    const v = this.v
    const f = s * V
    v[f + ID] = c.id
    v[f + FIRSTSEC] = c.firstSec
    v[f + FIRSTNSEC] = c.firstNsec
    v[f + FIRSTFRAME] = c.firstFrame
    v[f + LASTSEC] = c.lastSec
    v[f + LASTNSEC] = c.lastNsec
    v[f + LASTFRAME] = c.lastFrame
    v[f + ACTIVE] = c.activeClockSec()
    v[f + STAMP] = c.stamp
    const u = this.u
    const a = s * U
    u[a + C0] = c.c0
    u[a + C0 + 1] = c.c1
    u[a + C0 + 2] = c.c2
    u[a + C0 + 3] = c.c3
    u[a + S0] = c.s0
    u[a + S0 + 1] = c.s1
    u[a + S0 + 2] = c.s2
    u[a + S0 + 3] = c.s3
    u[a + CMACLO] = c.clientMacLo
    u[a + SMACLO] = c.serverMacLo
    w[o + CPORT] = c.clientPort
    w[o + SPORT] = c.serverPort
    w[o + IPV] = c.ipVersion
    w[o + ROLE] = ROLES.indexOf(c.roleBy)
    w[o + VLAN] = c.vlan
    w[o + VLANIN] = c.vlanInner
    w[o + CMACHI] = c.clientMacHi
    w[o + SMACHI] = c.serverMacHi
    w[o + PK0] = c.pk0
    w[o + PK1] = c.pk1
    w[o + IB0] = c.ib0
    w[o + IB1] = c.ib1
    w[o + PB0] = c.pb0
    w[o + PB1] = c.pb1
    w[o + FL0] = c.fl0
    w[o + FL1] = c.fl1
    w[o + HIST] = HISTORIES.indexOf(c.history)
    w[o + KIND] = kind
    w[o + ACTIVENSEC] = c.activeClockNsec()
    if (st !== null) {
      v[f + N0] = st.n0
      v[f + N1] = st.n1
      v[f + N2] = st.n2
      this.putText(s, st.text)
    } else w[o + TLEN] = -1
    this.slots.insert(w, s, c.hash)
    return s
  }

  /** Float64 value `f` (a FlatF64) of record `s`. */
  f64(s: number, f: number): number {
    return this.v[s * V + f]
  }

  /** Uint32 word `f` (a FlatU32) of record `s`. */
  u32(s: number, f: number): number {
    return this.u[s * U + f]
  }

  /** Int32 word `f` (a FlatI32) of record `s`. */
  i32(s: number, f: number): number {
    return this.w[s * L + f]
  }

  hash(s: number): number {
    return this.w[s * L + HASH]
  }

  stamp(s: number): number {
    return this.v[s * V + STAMP]
  }

  roleBy(s: number): RoleBy {
    return ROLES[this.w[s * L + ROLE]]
  }

  history(s: number): string {
    return HISTORIES[this.w[s * L + HIST]]
  }

  kind(s: number): number {
    return this.w[s * L + KIND]
  }

  /** The capture clock at the record's last datagram, in seconds (as Conn.lastActivity). */
  lastActivity(s: number): number {
    return this.v[s * V + ACTIVE] + this.w[s * L + ACTIVENSEC] / 1e9
  }

  /** The parked state of a FlatKind.STATE record, into `st`. */
  state(s: number, st: ParkedState): void {
    const f = s * V
    const n = this.w[s * L + TLEN]
    st.text = n >= 0 ? this.tbuf.toString('latin1', s * INLINE_TEXT, s * INLINE_TEXT + n) : (this.texts[s] ?? '')
    st.n0 = this.v[f + N0]
    st.n1 = this.v[f + N1]
    st.n2 = this.v[f + N2]
  }

  /** Holds `t` in the record's bytes when it fits (latin1, at most INLINE_TEXT), else as the string. */
  private putText(s: number, t: string): void {
    const n = t.length
    if (n <= INLINE_TEXT) {
      const b = this.tbytes
      const o = s * INLINE_TEXT
      let i = 0
      for (; i < n; i++) {
        const ch = t.charCodeAt(i)
        if (ch > 0xff) break
        b[o + i] = ch
      }
      if (i === n) {
        this.w[s * L + TLEN] = n
        return
      }
    }
    this.w[s * L + TLEN] = -1
    this.texts[s] = t
  }

  /** The record after `s` in least-recently-active order (-1: none). */
  next(s: number): number {
    return this.w[s * L + NEXT]
  }

  /** Drops a record (restored, evicted or timed out). */
  remove(s: number): void {
    this.slots.remove(this.w, s)
    this.texts[s] = undefined
  }

  /** Drops every record (the arrays are kept for reuse). */
  clear(): void {
    while (this.head !== -1) this.remove(this.head)
  }


  /**
   * Grows the arrays (slots keep their numbers): doubles them, but not past `expected` while
   * below it; Slots frees the new slots and rebuilds its buckets.
   */
  private grow(): void {
    const old = this.cap
    let cap = old === 0 ? 1024 : old * 2
    if (old < this.expected && cap > this.expected) cap = this.expected
    const v = new Float64Array(cap * V)
    v.set(this.v)
    const u = new Uint32Array(cap * U)
    u.set(this.u)
    const w = new Int32Array(cap * L)
    w.set(this.w)
    const texts: (string | undefined)[] = new Array(cap).fill(undefined)
    for (let s = 0; s < old; s++) texts[s] = this.texts[s]
    const tbytes = new Uint8Array(cap * INLINE_TEXT)
    tbytes.set(this.tbytes)
    this.slots.grown(w, old, cap)
    this.v = v
    this.u = u
    this.w = w
    this.texts = texts
    this.tbytes = tbytes
    this.tbuf = Buffer.from(tbytes.buffer, tbytes.byteOffset, tbytes.byteLength)
    this.cap = cap
  }
}
