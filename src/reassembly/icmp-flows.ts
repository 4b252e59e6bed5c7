/**
 * IcmpFlows: ICMP and ICMPv6 packets -> flows, for the flows feature only (constructed when a
 * ConnObserver is given; ICMP transactions are the icmp protocol's business, not this table's).
 *
 * Keying, as Packetbeat's flow ids for ICMP: an Echo Request / Echo Reply (ICMPv4 8/0, ICMPv6
 * 128/129) belongs to the flow of its address pair and identifier; every other message to the flow
 * of its address pair (identifier 0). The identifier is held in both port slots of the Conn (so the
 * ConnTable's 5-tuple lookup keys on it); events never show ports for ICMP (src/event/build.ts).
 *
 * Client: the sender of an Echo Request; the receiver when the first packet is an Echo Reply; else
 * the sender of the first packet. The Community ID uses the client's message type and code.
 *
 * Call order per flow: observer.opened once, observer.packet per packet (after the counters are
 * updated), observer.closed once: at idle timeout (limits.udpFlowIdleTimeoutSec of capture time, as
 * UDP flows), at eviction (limits.maxConnections) or at end of input (creation order). Nothing is
 * allocated per packet; one Conn per flow.
 */
import type {DecodedPacket} from '../decode/types.js'
import {IpProto} from '../decode/types.js'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import {SweepClock} from '../util/time.js'
import {Conn, type ConnObserver} from './conn.js'
import {ConnTable} from './conn-table.js'
import type {Moment} from './types.js'

/** Echo request/reply types per IP version: [request, reply]. */
const ECHO4 = [8, 0] as const
const ECHO6 = [128, 129] as const

export class IcmpFlows {
  private table = new ConnTable<Conn>()
  private nextId = 0
  private readonly lastAt: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  private readonly clock = new SweepClock()

  constructor(
    private readonly limits: Limits,
    private readonly stats: Stats,
    private readonly observer: ConnObserver,
  ) {}

  get size(): number {
    return this.table.size
  }

  /**
   * One ICMP/ICMPv6 packet (other protocols are ignored). p.srcPort/dstPort are set to the echo
   * identifier for the lookup and restored to 0 before returning.
   */
  packet(p: DecodedPacket): void {
    const v6 = p.proto === IpProto.ICMPV6
    if (!v6 && p.proto !== IpProto.ICMP) return
    this.sweep(p)
    const pl = p.payload
    const type = pl.length > 0 ? pl[0] : -1
    const code = pl.length > 1 ? pl[1] : 0
    const echo = v6 ? ECHO6 : ECHO4
    const isEcho = type === echo[0] || type === echo[1]
    const id = isEcho && pl.length >= 6 ? pl.readUInt16BE(4) : 0
    p.srcPort = id
    p.dstPort = id
    try {
      let c = this.table.find(p)
      let dir = this.table.dir
      if (c === null) {
        const senderIsClient = type !== echo[1]
        c = this.create(p, v6, senderIsClient)
        c.icmpType = isEcho ? echo[0] : Math.max(0, type)
        c.icmpCode = isEcho ? 0 : code
        dir = c.dirOf(p)
      }
      c.count(dir, p)
      c.setActive(this.clock.latestSec, this.clock.latestNsec)
      this.table.touch(c)
      this.observer.packet(c, dir, p)
    } finally {
      p.srcPort = 0
      p.dstPort = 0
    }
  }

  /** End of input: every flow closes ('eof') in creation order. */
  end(at: Moment): void {
    for (const c of this.table.allByCreation()) {
      this.table.remove(c)
      this.observer.closed(c, 'eof', at)
    }
    this.table = new ConnTable<Conn>()
  }

  private create(p: DecodedPacket, v6: boolean, senderIsClient: boolean): Conn {
    const hash = this.table.lastHash
    const max = Math.max(1, this.limits.maxConnections)
    while (this.table.size >= max) {
      const old = this.table.open.head as Conn
      this.stats.limit('maxConnections')
      this.finish(old, 'evicted')
    }
    const c = new Conn(++this.nextId, v6 ? 'ipv6-icmp' : 'icmp', p, senderIsClient, 'first-packet')
    c.setActive(this.clock.latestSec, this.clock.latestNsec)
    c.hash = hash
    this.table.insert(c)
    this.observer.opened(c)
    return c
  }

  /** At most once per second of capture time: flows idle longer than the UDP timeout close. */
  private sweep(p: DecodedPacket): void {
    if (!this.clock.tick(p.tsSec, p.tsNsec)) return
    const now = this.clock.now
    for (let c = this.table.open.head as Conn | null; c !== null; c = this.table.open.head as Conn | null) {
      if (now - c.lastActivity() <= this.limits.udpFlowIdleTimeoutSec) break
      this.finish(c, 'timeout')
    }
  }

  private finish(c: Conn, reason: 'timeout' | 'evicted'): void {
    const m = this.lastAt
    m.frame = c.lastFrame
    m.tsSec = c.lastSec
    m.tsNsec = c.lastNsec
    this.table.remove(c)
    this.observer.closed(c, reason, m)
  }
}
