/**
 * UdpFlows: UDP datagrams -> flows keyed by 5-tuple, each with an optional UdpHandler.
 *
 * Call order: datagram(p) for every UDP packet in capture order, then end(at) once at end of input.
 * Per flow: open(conn) is asked when the flow is created; its handler then receives
 * datagram(dir, payload, at) calls (payload is the packet's view, valid only during the call, and
 * `at` is the packet itself) and exactly one end(at): at idle timeout (limits.udpFlowIdleTimeoutSec of
 * capture time without a datagram; `at` = the flow's last datagram), at eviction (Limits.maxConnections
 * flows tracked; the least recently active one goes) or at end of input (`at` as given, flows in
 * creation order). A handler that reports idle() after a datagram is dropped instead (no end call)
 * and open(conn) is asked again at the flow's next datagram.
 *
 * Flat records: without an observer, an untunneled flow that has had at most FLAT_MAX_DATAGRAMS
 * datagrams and, after one, has no handler, an idle one, or one that parks its state
 * (UdpHandler.park) leaves the table as a flat record (./udp-flat.ts). At its next datagram, or
 * when it ends with a parked state, the record is restored: a UdpFlow with the same id and fields,
 * its handler from open(conn) and unpark(state), and the calls go on as they would have.
 *
 * Client: the sender of the first datagram, unless that datagram comes from a service port to a
 * non-service port (then the sender is the server; roleBy 'port'). Before that, the dispatch stage's
 * UdpRoleHint may decide from the protocols' declared client ports (DHCP: 68 is the client).
 *
 * A handler (or open) that throws: counted as stats.bad('udp: handler threw'), the handler is
 * ended and dropped; the flow stays tracked for the observer.
 */
import {blankPacket, type DecodedPacket} from '../decode/types.js'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import {Conn, type ConnObserver, Hist, type RoleBy} from './conn.js'
import {ConnTable} from './conn-table.js'
import {isUdpServicePort} from './ports.js'
import {type Dir, type EmitOrder, EmitPhase, type Moment, type ParkedState, type UdpHandler, type UdpRoleHint} from './types.js'
import {FLAT_MAX_DATAGRAMS, FlatF64, FlatI32, FlatKind, FlatU32, FlatUdp, flattenable} from './udp-flat.js'
import {zoneOf} from './conn-table.js'
import {SweepClock} from '../util/time.js'

export class UdpFlow extends Conn {
  handler: UdpHandler | null = null
  /** The handler was dropped while idle (UdpHandler.idle): open a new one at the next datagram. */
  parked = false

  constructor(id: number, p: DecodedPacket, senderIsClient: boolean, roleBy: RoleBy) {
    super(id, 'udp', p, senderIsClient, roleBy)
  }
}

export class UdpFlows {
  private table = new ConnTable<UdpFlow>()
  private nextId = 0
  private readonly lastAt: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  private readonly clock = new SweepClock()
  /** Young flows with nothing to hold or a parked handler, as flat records (see the file comment). */
  private readonly flat: FlatUdp
  /** Reused: a handler's parked state on its way into or out of `flat`. */
  private readonly st: ParkedState = {text: '', n0: 0, n1: 0, n2: 0}
  /** Reused packet (blankPacket) filled from a restored record's UdpFlow (the fields Conn reads). */
  private readonly restoreFrom = blankPacket(undefined)

  constructor(
    private readonly open: (conn: Conn) => UdpHandler | null,
    private readonly limits: Limits,
    private readonly stats: Stats,
    private readonly observer?: ConnObserver,
    /** Protocol knowledge from the dispatch stage: who is the client of a new flow (see UdpRoleHint). */
    private readonly roleHint?: UdpRoleHint,
    /** Written before each flow is ended by a sweep or at end of input (see EmitOrder). */
    private readonly order: EmitOrder = {phase: EmitPhase.PACKET, sub: 0},
  ) {
    this.flat = new FlatUdp(Math.max(1, limits.maxConnections))
  }

  /** Flows currently tracked. */
  get size(): number {
    return this.table.size + this.flat.size
  }

  /**
   * Advances the capture clock to this time and runs the idle sweep if one is due, exactly as
   * datagram() of a packet with this time would before handling it (see TcpReassembler.tick).
   */
  tick(p: Pick<DecodedPacket, 'tsSec' | 'tsNsec'>): void {
    this.sweep(p)
  }

  /** One UDP datagram. `p` and its payload view are only read during the call. */
  datagram(p: DecodedPacket): void {
    this.sweep(p)
    let c = this.table.find(p)
    let dir = this.table.dir
    if (c === null && this.flat.size > 0 && zoneOf(p) === 0) {
      const s = this.flat.find(p, this.table.lastHash)
      if (s !== -1) {
        c = this.restore(s)
        dir = c.dirOf(p)
      }
    }
    if (c === null) {
      c = this.create(p)
      dir = c.dirOf(p)
    }
    c.count(dir, p)
    if (p.payload.length + p.payloadTruncated > 0) c.hist(dir, Hist.DATA)
    c.setActive(this.clock.latestSec, this.clock.latestNsec)
    this.table.touch(c)
    this.observer?.packet(c, dir, p)
    this.deliver(c, dir, p)
    if (this.observer === undefined && c.pk0 + c.pk1 <= FLAT_MAX_DATAGRAMS) this.maybeFlatten(c, p)
  }

  /** The datagram to the flow's handler (opened first when the flow's idle one was dropped). */
  private deliver(c: UdpFlow, dir: Dir, p: DecodedPacket): void {
    let h = c.handler
    if (h === null) {
      if (!c.parked) return
      c.parked = false
      h = this.openHandler(c)
      if (h === null) return
    }
    try {
      h.datagram(dir, p.payload, p)
    } catch {
      this.fail(c, p)
      return
    }
    if (h.idle?.()) {
      c.handler = null
      c.parked = true
    }
  }

  /** A young flow with no handler, an idle one or one that parks its state becomes a flat record. */
  private maybeFlatten(c: UdpFlow, p: DecodedPacket): void {
    if (!flattenable(c)) return
    const h = c.handler
    let kind: number
    if (h === null) kind = c.parked ? FlatKind.IDLE : FlatKind.NONE
    else {
      if (h.park === undefined || h.unpark === undefined) return
      let parked: boolean
      try {
        parked = h.park(this.st)
      } catch {
        this.fail(c, p) // counted, ended and dropped like a throw from datagram()
        return
      }
      if (!parked) return
      kind = FlatKind.STATE
      c.handler = null
    }
    this.table.remove(c)
    this.flat.add(c, kind, kind === FlatKind.STATE ? this.st : null)
  }

  /**
   * Turns flat record `s` back into the UdpFlow it stands for (same id, counters, history and
   * capture times; its handler reopened and given its parked state), at the tail of the open list
   * (the caller touches, ends or evicts it next).
   */
  private restore(s: number): UdpFlow {
    const r = this.flat
    const f = this.restoreFrom
    f.ipVersion = r.i32(s, FlatI32.IPV) as 4 | 6 // copied from a packet
    f.src0 = r.u32(s, FlatU32.C0)
    f.src1 = r.u32(s, FlatU32.C0 + 1)
    f.src2 = r.u32(s, FlatU32.C0 + 2)
    f.src3 = r.u32(s, FlatU32.C0 + 3)
    f.dst0 = r.u32(s, FlatU32.S0)
    f.dst1 = r.u32(s, FlatU32.S0 + 1)
    f.dst2 = r.u32(s, FlatU32.S0 + 2)
    f.dst3 = r.u32(s, FlatU32.S0 + 3)
    f.srcPort = r.i32(s, FlatI32.CPORT)
    f.dstPort = r.i32(s, FlatI32.SPORT)
    f.vlan = r.i32(s, FlatI32.VLAN)
    f.vlanInner = r.i32(s, FlatI32.VLANIN)
    f.srcMacHi = r.i32(s, FlatI32.CMACHI)
    f.srcMacLo = r.u32(s, FlatU32.CMACLO)
    f.dstMacHi = r.i32(s, FlatI32.SMACHI)
    f.dstMacLo = r.u32(s, FlatU32.SMACLO)
    f.tsSec = r.f64(s, FlatF64.FIRSTSEC)
    f.tsNsec = r.f64(s, FlatF64.FIRSTNSEC)
    f.frame = r.f64(s, FlatF64.FIRSTFRAME)
    const c = new UdpFlow(r.f64(s, FlatF64.ID), f, true, r.roleBy(s))
    c.hash = r.hash(s)
    c.pk0 = r.i32(s, FlatI32.PK0)
    c.pk1 = r.i32(s, FlatI32.PK1)
    c.ib0 = r.i32(s, FlatI32.IB0)
    c.ib1 = r.i32(s, FlatI32.IB1)
    c.pb0 = r.i32(s, FlatI32.PB0)
    c.pb1 = r.i32(s, FlatI32.PB1)
    c.fl0 = r.i32(s, FlatI32.FL0)
    c.fl1 = r.i32(s, FlatI32.FL1)
    c.lastSec = r.f64(s, FlatF64.LASTSEC)
    c.lastNsec = r.f64(s, FlatF64.LASTNSEC)
    c.lastFrame = r.f64(s, FlatF64.LASTFRAME)
    c.setActive(r.f64(s, FlatF64.ACTIVE), r.i32(s, FlatI32.ACTIVENSEC))
    // the history letters in their order (a UDP flow records DATA only)
    for (const ch of r.history(s)) c.hist(ch === 'D' ? 0 : 1, Hist.DATA)
    const kind = r.kind(s)
    if (kind === FlatKind.STATE) r.state(s, this.st)
    r.remove(s)
    this.table.insert(c)
    if (kind === FlatKind.IDLE) c.parked = true
    else if (kind === FlatKind.STATE) {
      const h = this.openHandler(c)
      if (h !== null) {
        try {
          h.unpark?.(this.st)
        } catch {
          this.fail(c, this.lastMoment(c)) // counted, ended and dropped; the flow stays tracked
        }
      }
    }
    return c
  }

  /**
   * Frees one flow's place: the least recently active flow (an object or a flat record) ends
   * 'evicted'. A flat record with nothing parked only leaves (its handler would end with nothing).
   */
  private evictOne(): void {
    this.stats.limit('maxConnections')
    const s = this.flat.head
    let old = this.table.open.head as UdpFlow | null
    if (s !== -1 && (old === null || this.flat.stamp(s) < old.stamp)) {
      if (this.flat.kind(s) !== FlatKind.STATE) {
        this.flat.remove(s)
        return
      }
      old = this.restore(s)
    }
    if (old !== null) this.finish(old, 'evicted', this.lastMoment(old))
  }

  /** Asks open(conn) for the flow's handler (guarded). */
  private openHandler(c: UdpFlow): UdpHandler | null {
    try {
      c.handler = this.open(c)
    } catch {
      this.stats.bad('udp: handler threw')
      c.handler = null
    }
    return c.handler
  }

  /** End of input: every flow ends (handler.end, observer.closed 'eof') in creation order. */
  end(at: Moment): void {
    const order = this.order
    order.phase = EmitPhase.END_UDP
    // Records with a parked state end as their flows would, in the same creation order, each
    // restored just before it ends (not all at once); the others have nothing to end.
    const r = this.flat
    const parked: number[] = []
    for (let s = r.head; s !== -1; s = r.next(s)) if (r.kind(s) === FlatKind.STATE) parked.push(s)
    parked.sort((a, b) => r.f64(a, FlatF64.ID) - r.f64(b, FlatF64.ID))
    const flows = this.table.allByCreation()
    let i = 0
    let j = 0
    while (i < flows.length || j < parked.length) {
      let c: UdpFlow
      if (j < parked.length && (i === flows.length || r.f64(parked[j], FlatF64.ID) < flows[i].id)) c = this.restore(parked[j++])
      else c = flows[i++]
      order.sub = c.firstFrame
      this.finish(c, 'eof', at)
    }
    r.clear()
    this.table = new ConnTable<UdpFlow>()
  }

  private create(p: DecodedPacket): UdpFlow {
    let senderIsClient = true
    let roleBy: RoleBy = 'first-packet'
    const sp = p.srcPort
    const dp = p.dstPort
    const hint = this.roleHint === undefined ? 0 : this.roleHint(sp, dp)
    if (hint !== 0) {
      senderIsClient = hint === 1
      roleBy = 'port'
    } else if (isUdpServicePort(sp) && !isUdpServicePort(dp)) {
      senderIsClient = false
      roleBy = 'port'
    }
    const hash = this.table.lastHash
    const max = Math.max(1, this.limits.maxConnections)
    while (this.table.size + this.flat.size >= max) this.evictOne()
    const c = new UdpFlow(++this.nextId, p, senderIsClient, roleBy)
    c.setActive(this.clock.latestSec, this.clock.latestNsec)
    c.hash = hash
    this.table.insert(c)
    this.stats.udpFlows++
    this.observer?.opened(c)
    this.openHandler(c)
    return c
  }

  /** At most once per second of capture time: flows idle longer than the timeout end. */
  private sweep(p: Pick<DecodedPacket, 'tsSec' | 'tsNsec'>): void {
    if (!this.clock.tick(p.tsSec, p.tsNsec)) return
    const now = this.clock.now
    const order = this.order
    const idle = this.limits.udpFlowIdleTimeoutSec
    for (;;) {
      let c = this.table.open.head as UdpFlow | null
      const s = this.flat.head
      if (s !== -1 && (c === null || this.flat.stamp(s) < c.stamp)) {
        if (now - this.flat.lastActivity(s) <= idle) break
        if (this.flat.kind(s) !== FlatKind.STATE) {
          this.flat.remove(s) // nothing to end
          continue
        }
        c = this.restore(s)
      }
      if (c === null) break
      if (now - c.lastActivity() <= idle) break
      order.phase = EmitPhase.SWEEP_OPEN
      order.sub = c.lastFrame
      this.finish(c, 'timeout', this.lastMoment(c))
    }
    order.phase = EmitPhase.PACKET
    order.sub = 0
  }

  private lastMoment(c: Conn): Moment {
    const m = this.lastAt
    m.frame = c.lastFrame
    m.tsSec = c.lastSec
    m.tsNsec = c.lastNsec
    return m
  }

  /** Ends the handler (guarded), removes the flow and tells the observer. */
  private finish(c: UdpFlow, reason: 'timeout' | 'eof' | 'evicted', at: Moment): void {
    const h = c.handler
    c.handler = null
    if (h !== null) {
      try {
        h.end(at)
      } catch {
        this.stats.bad('udp: handler threw')
      }
    }
    this.table.remove(c)
    this.observer?.closed(c, reason, at)
  }

  private fail(c: UdpFlow, at: Moment): void {
    const h = c.handler
    if (h === null) return
    this.stats.bad('udp: handler threw')
    c.handler = null
    try {
      h.end(at)
    } catch {
      // already counted
    }
  }
}
