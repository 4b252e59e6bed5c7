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
 * Client: the sender of the first datagram, unless that datagram comes from a service port to a
 * non-service port (then the sender is the server; roleBy 'port'). Before that, the dispatch stage's
 * UdpRoleHint may decide from the protocols' declared client ports (DHCP: 68 is the client).
 *
 * A handler (or open) that throws: counted as stats.bad('udp: handler threw'), the handler is
 * ended and dropped; the flow stays tracked for the observer.
 */
import type {DecodedPacket} from '../decode/types.js'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import {Conn, type ConnObserver, Hist, type RoleBy} from './conn.js'
import {ConnTable} from './conn-table.js'
import {isUdpServicePort} from './ports.js'
import {type EmitOrder, EmitPhase, type Moment, type UdpHandler, type UdpRoleHint} from './types.js'
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

  constructor(
    private readonly open: (conn: Conn) => UdpHandler | null,
    private readonly limits: Limits,
    private readonly stats: Stats,
    private readonly observer?: ConnObserver,
    /** Protocol knowledge from the dispatch stage: who is the client of a new flow (see UdpRoleHint). */
    private readonly roleHint?: UdpRoleHint,
    /** Written before each flow is ended by a sweep or at end of input (see EmitOrder). */
    private readonly order: EmitOrder = {phase: EmitPhase.PACKET, sub: 0},
  ) {}

  /** Flows currently tracked. */
  get size(): number {
    return this.table.size
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
    if (c === null) {
      c = this.create(p)
      dir = c.dirOf(p)
    }
    c.count(dir, p)
    if (p.payload.length + p.payloadTruncated > 0) c.hist(dir, Hist.DATA)
    c.setActive(this.clock.latestSec, this.clock.latestNsec)
    this.table.touch(c)
    this.observer?.packet(c, dir, p)
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
    for (const c of this.table.allByCreation()) {
      order.sub = c.firstFrame
      this.finish(c, 'eof', at)
    }
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
    while (this.table.size >= max) {
      const old = this.table.open.head as UdpFlow
      this.stats.limit('maxConnections')
      this.finish(old, 'evicted', this.lastMoment(old))
    }
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
    for (let c = this.table.open.head as UdpFlow | null; c !== null; c = this.table.open.head as UdpFlow | null) {
      if (now - c.lastActivity() <= this.limits.udpFlowIdleTimeoutSec) break
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
