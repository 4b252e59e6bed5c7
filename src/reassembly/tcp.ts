/**
 * TcpReassembler: TCP segments -> per-direction ordered byte streams (contract in ./types.ts).
 *
 * Call order: segment(p) for every TCP packet in capture order, then end(at) once at end of input.
 * Per connection the StreamHandler sees data/gap calls in sequence order and then exactly one end.
 *
 * Per direction we keep the next expected sequence number (from the SYN, ISN + 1, or from the first
 * segment seen when the connection is picked up mid-stream). All sequence comparisons are done on
 * signed 32-bit differences, so they survive the wrap at 2^32 (RFC 9293 section 3.4, "sequence
 * number comparisons ... modulo 2^32").
 *   - An in-order segment is delivered straight from the packet's payload view (zero copy), with
 *     any bytes already delivered trimmed off (retransmission / partial overlap, counted in
 *     stats.tcpRetransmittedBytes).
 *   - A segment beyond the expected sequence is COPIED into the connection's out-of-order store
 *     (bytes must outlive the packet), sorted by sequence, and delivered when the hole fills.
 *     The store is bounded by Limits.tcpOooSegmentsPerDir, tcpOooBytesPerConn and tcpOooBytesTotal;
 *     reaching a bound reports the earliest hole as a gap and delivers what follows it.
 *   - When the peer acknowledges bytes beyond a hole and data after the hole is stored, the hole
 *     can never be filled (it was lost before the capture point): it is reported as a gap at once.
 *   - A connection ends with 'fin' once both directions have sent a FIN and all bytes before each
 *     FIN are delivered. A hole before a FIN is reported as a gap as soon as the peer's ACK of that
 *     FIN proves it lost; otherwise it waits for the segment (reordering), RST, idle timeout,
 *     eviction or end of input - each of which reports remaining holes (including bytes missing
 *     just before a FIN) as gaps and delivers the stored data.
 * Bytes a snaplen cut from a segment (payloadTruncated) are reported as a gap in their place.
 *
 * With an observer, connection records linger in a "closed" list for TCP_CLOSED_LINGER_SEC of
 * capture time after FIN/RST so that trailing ACKs and retransmissions are counted against them;
 * without one the record is retired at once and its tombstone absorbs every trailing packet for
 * that window instead. Either way a SYN with a new ISN on such a 4-tuple starts a new connection
 * (port reuse). After that window the tombstone (./tombstones.ts) still absorbs late copies of its
 * packets (same-ISN SYNs, bytes below its final sequence number) for TIME-WAIT, so they do not
 * open phantom mid-stream connections.
 *
 * A handler that throws ends its connection with reason 'error' (stats.bad('tcp: handler threw'));
 * this class is the session boundary where that single catch lives.
 */
import {blankPacket, type DecodedPacket, TcpFlag} from '../decode/types.js'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import {Conn, type ConnObserver, Hist, type RoleBy, smi} from './conn.js'
import {ConnTable, zoneOf} from './conn-table.js'
import {HalfField, HalfOpen} from './half-open.js'
import {NIL, type OooList, OooStore} from './ooo-store.js'
import {isTcpServicePort} from './ports.js'
import {type Dir, type EmitOrder, EmitPhase, type EndReason, type Moment, type StreamFactory, type StreamHandler} from './types.js'
import {Stale, type TombSide, Tombstones} from './tombstones.js'
import {SweepClock} from '../util/time.js'

/** Capture seconds a FIN/RST-closed connection record stays to absorb trailing packets. */
export const TCP_CLOSED_LINGER_SEC = 5

/** Segments starting further than this beyond the expected sequence are treated as bogus. */
const MAX_SEQ_AHEAD = 1 << 30

/** Flags that keep a SYN from being a half-open record's (see ./half-open.ts). */
const NOT_HALF_OPEN = TcpFlag.ACK | TcpFlag.FIN | TcpFlag.RST

/**
 * Reassembly state of one direction. Its out-of-order segments are records of the reassembler's
 * OooStore (./ooo-store.ts), listed from oooHead (fields written by the store only).
 */
class TcpDir implements OooList {
  // Sequence numbers (nextSeq, isn, finSeq, base) are stored as int32 (`seq | 0`: small integers,
  // never boxed) and compared only by signed 32-bit differences or equality of int32 values.
  /** nextSeq is known (SYN or first segment seen). */
  started = false
  nextSeq = 0
  synSeen = false
  isn = 0
  finSeen = false
  /** Sequence number of the FIN (first byte after the data). */
  finSeq = 0
  /** Sequence number the direction started at (ISN, or the first one seen mid-stream). */
  base = 0
  oooHead = NIL
  oooTail = NIL
  oooCount = 0
}

/** A direction's covered sequence range for its tombstone (written into `out`, a reused object). */
function tombSide(d: TcpDir, out: TombSide): TombSide {
  out.known = d.started
  out.synSeen = d.synSeen
  // With a SYN seen low is the ISN: the tombstone keeps no separate ISN word (./tombstones.ts).
  out.low = (d.synSeen ? d.isn : d.base) >>> 0
  out.high = (d.finSeen ? d.finSeq + 1 : d.nextSeq) >>> 0
  return out
}

/** All bytes up to the FIN have been delivered (or reported as gaps). */
function complete(d: TcpDir): boolean {
  return d.oooCount === 0 && ((d.nextSeq - d.finSeq) | 0) >= 0
}

export class TcpConn extends Conn {
  handler: StreamHandler | null = null
  /** factory.open has been asked (at the first SYN or payload-carrying packet). */
  opened = false
  /** The stream has ended (handler.end called, or would have been): only counting from now on. */
  ended = false
  endReason: EndReason = 'eof'
  readonly d0 = new TcpDir()
  readonly d1 = new TcpDir()
  /** Out-of-order bytes stored for this connection (both directions). */
  oooBytes = 0
  /** FINs seen per direction (bit 0: client, bit 1: server) while not reassembling. */
  finBits = 0

  constructor(id: number, p: DecodedPacket, senderIsClient: boolean, roleBy: RoleBy) {
    super(id, 'tcp', p, senderIsClient, roleBy)
  }
}

export class TcpReassembler {
  private table = new ConnTable<TcpConn>()
  /**
   * Connections that are only their client's SYN so far (./half-open.ts), when no observer needs a
   * Conn from the first packet: flat records, turned into a TcpConn by their next other packet.
   */
  private readonly half = new HalfOpen()
  /** Reused packet (blankPacket) filled from a promoted record's TcpConn (the fields Conn reads). */
  private readonly promoteFrom = blankPacket(undefined)
  private nextId = 0
  /** Every direction's out-of-order segments and their copied bytes (./ooo-store.ts). */
  private readonly ooo = new OooStore()
  /** Reused Moment for data delivered from the out-of-order store (the segment's own frame/time). */
  private readonly segAt: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  /** Reused tombstone sides (copied by Tombstones.add). */
  private readonly side0: TombSide = {known: false, synSeen: false, low: 0, high: 0}
  private readonly side1: TombSide = {known: false, synSeen: false, low: 0, high: 0}
  /** Reused Moment carrying a connection's last packet (timeout / eviction). */
  private readonly lastAt: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  private readonly clock = new SweepClock()
  /** Closed connections' sequence ranges, to absorb their late copies (./tombstones.ts). */
  private tombs: Tombstones

  constructor(
    private readonly factory: StreamFactory,
    private readonly limits: Limits,
    private readonly stats: Stats,
    private readonly observer?: ConnObserver,
    /** Written before each stream is ended by a sweep or at end of input (see EmitOrder). */
    private readonly order: EmitOrder = {phase: EmitPhase.PACKET, sub: 0},
  ) {
    this.tombs = this.newTombstones()
  }

  /**
   * Without an observer nothing counts a closed connection's trailing packets, so its record is
   * retired at close and its tombstone absorbs them for TCP_CLOSED_LINGER_SEC (no full record kept).
   */
  private newTombstones(): Tombstones {
    return new Tombstones(Math.max(1, this.limits.maxConnections), this.observer === undefined ? TCP_CLOSED_LINGER_SEC : 0)
  }

  /** Connections currently tracked (open plus lingering closed ones). */
  get size(): number {
    return this.table.size + this.half.size
  }

  /** Out-of-order bytes currently stored across all connections. */
  get storedBytes(): number {
    return this.ooo.bytes
  }

  /**
   * Advances the capture clock to this time and runs the idle sweep if one is due, exactly as
   * segment() of a packet with this time would before handling it. A run split over workers
   * (src/run/parallel.ts) ticks every worker's reassembler with the one-thread clock, so that each
   * expires its conns at the same capture instants as one reassembler holding all of them.
   */
  tick(p: Pick<DecodedPacket, 'tsSec' | 'tsNsec'>): void {
    this.sweep(p)
  }

  /** One TCP packet. `p` (and its payload view) is only read during the call. */
  segment(p: DecodedPacket): void {
    this.sweep(p)
    const flags = p.tcpFlags
    const syn = (flags & TcpFlag.SYN) !== 0
    const ack = (flags & TcpFlag.ACK) !== 0
    let c = this.table.find(p)
    let dir: Dir = this.table.dir
    if (c === null && this.half.size > 0 && zoneOf(p) === 0) {
      const s = this.half.find(p, this.table.lastHash)
      if (s !== -1) {
        if (
          this.half.dir === 0 &&
          (flags & (TcpFlag.SYN | NOT_HALF_OPEN)) === TcpFlag.SYN &&
          p.payload.length + p.payloadTruncated === 0 &&
          this.half.get(s, HalfField.ISN) === p.seq
        ) {
          // The client's SYN again: counted as its TcpConn would count it, nothing else changes.
          this.half.again(s, p, this.table.nextStamp(), this.clock.latestSec, this.clock.latestNsec)
          return
        }
        c = this.promote(s)
        dir = c.dirOf(p)
      }
    }
    if (c !== null && syn && !ack) {
      // Port reuse: a SYN with a new ISN on a finished 4-tuple, or on one whose sender already
      // carried a stream, starts a new connection.
      const sd = dir === 0 ? c.d0 : c.d1
      if (c.ended ? !sd.synSeen || sd.isn !== (p.seq | 0) : sd.started && (!sd.synSeen || sd.isn !== (p.seq | 0))) {
        if (!c.ended) {
          // The old stream was abandoned without a close we saw: end it like an idle timeout.
          this.stats.bad('tcp: new syn on open connection')
          this.closeStream(c, 'timeout', p)
        }
        this.retire(c, p)
        c = null
      }
    }
    if (c === null) {
      if (this.tombs.size > 0) {
        const fin = (flags & TcpFlag.FIN) !== 0
        const k = this.tombs.stale(p, this.table.lastHash, syn, ack, fin, this.clock.now)
        if (k === Stale.LateCopy) {
          // A late copy of a closed connection's packet (see ./tombstones.ts): not a new connection.
          this.stats.tcpRetransmittedBytes += p.payload.length
          this.stats.tcpLateCopies++
          return
        }
        // A trailing packet of a connection closed moments ago, absorbed as its record would have.
        if (k === Stale.Lingering) return
        this.tombs.forget(p, this.table.lastHash)
      }
      if (
        this.observer === undefined &&
        (flags & (TcpFlag.SYN | NOT_HALF_OPEN)) === TcpFlag.SYN &&
        p.payload.length + p.payloadTruncated === 0 &&
        (p.tunnel === undefined || p.tunnel.depth === 0)
      ) {
        // A connection's first SYN: a flat half-open record until its next other packet.
        const hash = this.table.lastHash
        const max = Math.max(1, this.limits.maxConnections)
        while (this.table.size + this.half.size >= max) this.evictOne()
        this.half.add(p, hash, ++this.nextId, this.table.nextStamp(), this.clock.latestSec, this.clock.latestNsec)
        this.stats.tcpConnections++
        return
      }
      c = this.create(p, syn, ack)
      dir = c.dirOf(p)
    }

    c.count(dir, p)
    const len = p.payload.length
    const trunc = p.payloadTruncated
    const fin = (flags & TcpFlag.FIN) !== 0
    const rst = (flags & TcpFlag.RST) !== 0
    if (syn) c.hist(dir, ack ? Hist.SYNACK : Hist.SYN)
    if (rst) c.hist(dir, Hist.RST)
    if (fin) c.hist(dir, Hist.FIN)
    if (len + trunc > 0) c.hist(dir, Hist.DATA)
    else if (ack && !syn && !fin && !rst) c.hist(dir, Hist.ACK)
    c.setActive(this.clock.latestSec, this.clock.latestNsec)
    this.table.touch(c)
    this.observer?.packet(c, dir, p)
    if (c.ended) return

    if (!c.opened && (syn || len + trunc > 0)) {
      c.opened = true
      try {
        c.handler = this.factory.open(c)
      } catch {
        this.stats.bad('tcp: factory threw')
        c.handler = null
      }
    }

    const d = dir === 0 ? c.d0 : c.d1
    if (syn && !d.synSeen) {
      d.synSeen = true
      d.isn = p.seq | 0
    }
    if (c.handler === null) {
      // Not reassembling: only follow the close.
      if (rst) {
        this.closeAndLinger(c, 'rst', p)
        return
      }
      if (fin) {
        c.finBits |= dir === 0 ? 1 : 2
        if (c.finBits === 3) this.closeAndLinger(c, 'fin', p)
      }
      return
    }

    // Bytes the peer acknowledges beyond a hole in this direction's opposite were lost upstream.
    if (ack) {
      const od: Dir = dir === 0 ? 1 : 0
      const o = od === 0 ? c.d0 : c.d1
      if (o.oooCount > 0 || (o.finSeen && o.nextSeq !== o.finSeq)) {
        this.ackPastHole(c, od, o, p.ack, p)
        if (c.handler === null) return
      }
    }
    if (rst) {
      this.closeAndLinger(c, 'rst', p)
      return
    }

    let seq = p.seq | 0
    if (syn) {
      if (!d.started) {
        d.started = true
        d.base = seq
        d.nextSeq = (seq + 1) | 0
      }
      seq = (seq + 1) | 0 // data in a SYN segment starts after the SYN's sequence number
    }
    if (len + trunc > 0) {
      if (!d.started) {
        d.started = true
        d.base = seq
        d.nextSeq = seq
      }
      this.data(c, dir, d, seq, p.payload, trunc, p)
      if (c.handler === null) return
    }
    if (fin) {
      const finSeq = (seq + len + trunc) | 0
      if (!d.started) {
        d.started = true
        d.base = finSeq
        d.nextSeq = finSeq
      }
      if (!d.finSeen) {
        d.finSeen = true
        d.finSeq = finSeq
      }
    }
    // Closed by FINs once both directions have all their bytes up to their FIN.
    if (c.d0.finSeen && c.d1.finSeen && complete(c.d0) && complete(c.d1)) this.closeAndLinger(c, 'fin', p)
  }

  /**
   * End of input: every connection still tracked is flushed (holes reported as gaps, stored data
   * delivered) and ended with 'eof', in connection-creation order; lingering closed records are
   * released. The reassembler is empty afterwards and may be reused.
   */
  end(at: Moment): void {
    const all = this.table.allByCreation()
    const order = this.order
    order.phase = EmitPhase.END_TCP
    for (const c of all) {
      order.sub = c.firstFrame
      if (!c.ended) this.closeStream(c, 'eof', at)
      this.observer?.closed(c, c.endReason, at)
    }
    this.half.clear() // records are SYNs only: nothing to flush or end
    this.table = new ConnTable<TcpConn>()
    this.tombs = this.newTombstones()
  }

  // --- connection lifecycle -------------------------------------------------------------------

  private create(p: DecodedPacket, syn: boolean, ack: boolean): TcpConn {
    let senderIsClient: boolean
    let roleBy: RoleBy
    if (syn && !ack) {
      senderIsClient = true
      roleBy = 'syn'
    } else if (syn) {
      senderIsClient = false
      roleBy = 'synack'
    } else {
      const srcSvc = isTcpServicePort(p.srcPort)
      const dstSvc = isTcpServicePort(p.dstPort)
      const hint = this.factory.role === undefined ? 0 : this.factory.role(p.srcPort, p.dstPort)
      if (hint !== 0) {
        senderIsClient = hint === 1
        roleBy = 'port'
      } else if (srcSvc !== dstSvc) {
        senderIsClient = dstSvc
        roleBy = 'port'
      } else if (p.srcPort !== p.dstPort) {
        senderIsClient = p.srcPort > p.dstPort // the lower port is the server
        roleBy = 'port'
      } else {
        senderIsClient = true
        roleBy = 'first-packet'
      }
    }
    const hash = this.table.lastHash
    const max = Math.max(1, this.limits.maxConnections)
    while (this.table.size + this.half.size >= max) this.evictOne()
    const c = new TcpConn(++this.nextId, p, senderIsClient, roleBy)
    c.setActive(this.clock.latestSec, this.clock.latestNsec)
    c.hash = hash
    this.table.insert(c)
    this.stats.tcpConnections++
    this.observer?.opened(c)
    return c
  }

  /**
   * Frees one slot: a lingering closed record if any, else the least recently active open one
   * (a full or a half-open connection).
   */
  private evictOne(): void {
    const closed = this.table.closed.head as TcpConn | null
    if (closed !== null) {
      this.retire(closed, this.lastMoment(closed))
      return
    }
    const c = this.table.open.head as TcpConn | null
    const s = this.half.head
    if (s !== -1 && (c === null || this.half.stamp(s) < c.stamp)) {
      // Ending a SYN-only connection delivers nothing: it only leaves.
      this.stats.tcpConnectionsEvicted++
      this.stats.limit('maxConnections')
      this.half.remove(s)
      return
    }
    if (c === null) return
    this.stats.tcpConnectionsEvicted++
    this.stats.limit('maxConnections')
    const at = this.lastMoment(c)
    this.closeStream(c, 'evicted', at)
    this.retire(c, at)
  }

  /**
   * Idle handling on capture time, at most once per second of capture time: open connections
   * idle for more than tcpIdleTimeoutSec end with 'timeout'; closed records older than
   * TCP_CLOSED_LINGER_SEC are released. Both lists are ordered by last activity, so only heads
   * are examined.
   */
  private sweep(p: Pick<DecodedPacket, 'tsSec' | 'tsNsec'>): void {
    if (!this.clock.tick(p.tsSec, p.tsNsec)) return
    const now = this.clock.now
    const idle = this.limits.tcpIdleTimeoutSec
    const order = this.order
    for (;;) {
      const c = this.table.open.head as TcpConn | null
      const s = this.half.head
      if (s !== -1 && (c === null || this.half.stamp(s) < c.stamp)) {
        if (now - this.half.lastActivity(s) <= idle) break
        this.half.remove(s) // a SYN-only connection's timeout delivers nothing
        continue
      }
      if (c === null) break
      if (now - c.lastActivity() <= idle) break
      order.phase = EmitPhase.SWEEP_OPEN
      order.sub = c.lastFrame
      const at = this.lastMoment(c)
      this.closeStream(c, 'timeout', at)
      this.retire(c, at)
    }
    for (let c = this.table.closed.head as TcpConn | null; c !== null; c = this.table.closed.head as TcpConn | null) {
      if (now - c.lastActivity() <= TCP_CLOSED_LINGER_SEC) break
      order.phase = EmitPhase.SWEEP_CLOSED
      order.sub = c.lastFrame
      this.retire(c, this.lastMoment(c))
    }
    order.phase = EmitPhase.PACKET
    order.sub = 0
  }

  /**
   * Turns half-open record `s` into the TcpConn it stands for, in the state its SYN left it in
   * (counted, history "S", handler opened, client direction started at the ISN), at the tail of
   * the open list (the packet being handled touches or retires it next).
   */
  private promote(s: number): TcpConn {
    const h = this.half
    const f = this.promoteFrom
    f.ipVersion = smi(h.get(s, HalfField.IPV)) as 4 | 6 // copied from a packet
    f.src0 = smi(h.get(s, HalfField.C0))
    f.src1 = smi(h.get(s, HalfField.C0 + 1))
    f.src2 = smi(h.get(s, HalfField.C0 + 2))
    f.src3 = smi(h.get(s, HalfField.C0 + 3))
    f.dst0 = smi(h.get(s, HalfField.S0))
    f.dst1 = smi(h.get(s, HalfField.S0 + 1))
    f.dst2 = smi(h.get(s, HalfField.S0 + 2))
    f.dst3 = smi(h.get(s, HalfField.S0 + 3))
    f.srcPort = smi(h.get(s, HalfField.CPORT))
    f.dstPort = smi(h.get(s, HalfField.SPORT))
    f.vlan = smi(h.get(s, HalfField.VLAN))
    f.vlanInner = smi(h.get(s, HalfField.VLANIN))
    f.srcMacHi = smi(h.get(s, HalfField.CMACHI))
    f.srcMacLo = smi(h.get(s, HalfField.CMACLO))
    f.dstMacHi = smi(h.get(s, HalfField.SMACHI))
    f.dstMacLo = smi(h.get(s, HalfField.SMACLO))
    f.tsSec = smi(h.get(s, HalfField.FIRSTSEC))
    f.tsNsec = smi(h.get(s, HalfField.FIRSTNSEC))
    f.frame = smi(h.get(s, HalfField.FIRSTFRAME))
    const c = new TcpConn(h.get(s, HalfField.ID), f, true, 'syn')
    c.hash = h.hash(s)
    c.pk0 = smi(h.get(s, HalfField.PK0))
    c.ib0 = smi(h.get(s, HalfField.IB0))
    c.fl0 = smi(h.get(s, HalfField.FL0))
    c.lastSec = smi(h.get(s, HalfField.LASTSEC))
    c.lastNsec = smi(h.get(s, HalfField.LASTNSEC))
    c.lastFrame = smi(h.get(s, HalfField.LASTFRAME))
    c.setActive(h.activeSec(s), h.activeNsec(s))
    c.hist(0, Hist.SYN)
    const isn = smi(h.get(s, HalfField.ISN))
    h.remove(s)
    this.table.insert(c)
    c.opened = true
    try {
      c.handler = this.factory.open(c)
    } catch {
      this.stats.bad('tcp: factory threw')
      c.handler = null
    }
    const d = c.d0
    d.synSeen = true
    d.isn = isn | 0
    if (c.handler !== null) {
      d.started = true
      d.base = isn | 0
      d.nextSeq = (isn + 1) | 0
    }
    return c
  }

  private lastMoment(c: Conn): Moment {
    const m = this.lastAt
    m.frame = c.lastFrame
    m.tsSec = c.lastSec
    m.tsNsec = c.lastNsec
    return m
  }

  /**
   * Ends the stream; the record then lingers (closed list) only when an observer counts trailing
   * packets. Without one it is retired at once: its tombstone absorbs the late copies instead.
   */
  private closeAndLinger(c: TcpConn, reason: EndReason, at: Moment): void {
    this.closeStream(c, reason, at)
    if (this.observer === undefined) this.retire(c, at)
    else this.table.markClosed(c)
  }

  /** Removes the record from the table and tells the observer (once per conn). */
  private retire(c: TcpConn, at: Moment): void {
    this.table.remove(c)
    if (c.ended && (c.endReason === 'fin' || c.endReason === 'rst')) this.tombs.add(c, tombSide(c.d0, this.side0), tombSide(c.d1, this.side1))
    this.observer?.closed(c, c.endReason, at)
  }

  /**
   * Ends the stream: remaining holes become gaps, stored data is delivered, then handler.end.
   * No-op when already ended.
   */
  private closeStream(c: TcpConn, reason: EndReason, at: Moment): void {
    if (c.ended) return
    if (c.handler !== null) {
      this.flushDir(c, 0, c.d0, at)
      this.flushDir(c, 1, c.d1, at)
    }
    if (c.ended) return // the handler threw while flushing and was ended with 'error'
    const h = c.handler
    c.handler = null
    c.ended = true
    c.endReason = reason
    this.releaseStores(c)
    if (h !== null) {
      try {
        h.end(reason, at)
      } catch {
        this.stats.bad('tcp: handler threw')
      }
    }
  }

  /** The handler threw: end the connection with 'error' (the one catch at the session boundary). */
  private fail(c: TcpConn, at: Moment): void {
    const h = c.handler
    if (h === null) return
    this.stats.bad('tcp: handler threw')
    c.handler = null
    c.ended = true
    c.endReason = 'error'
    this.releaseStores(c)
    try {
      h.end('error', at)
    } catch {
      // already counted above; end() throwing too changes nothing
    }
  }

  // --- handler calls (each guarded) -----------------------------------------------------------

  private callData(c: TcpConn, dir: Dir, bytes: Buffer, at: Moment): void {
    const h = c.handler
    if (h === null) return
    try {
      h.data(dir, bytes, at)
    } catch {
      this.fail(c, at)
    }
  }

  private reportGap(c: TcpConn, dir: Dir, n: number, at: Moment): void {
    this.stats.tcpGaps++
    this.stats.tcpGapBytes += n
    c.hist(dir, Hist.GAP)
    const h = c.handler
    if (h === null) return
    try {
      h.gap(dir, n, at)
    } catch {
      this.fail(c, at)
    }
  }

  // --- sequence handling ----------------------------------------------------------------------

  /** A segment carrying `buf` (+ `trunc` uncaptured bytes) starting at `seq`. */
  private data(c: TcpConn, dir: Dir, d: TcpDir, seq: number, buf: Buffer, trunc: number, at: Moment): void {
    let len = buf.length
    if (d.finSeen) {
      // Nothing is sent after a FIN: clamp the segment to end at the FIN's sequence number.
      const room = (d.finSeq - seq) | 0
      if (room <= 0) {
        this.stats.bad('tcp: data after fin')
        return
      }
      if (len > room) {
        buf = buf.subarray(0, room)
        len = room
        trunc = 0
      } else if (len + trunc > room) trunc = room - len
    }
    for (;;) {
      const rel = (seq - d.nextSeq) | 0
      if (rel + len + trunc <= 0) {
        // Entirely before the expected sequence: a retransmission of delivered bytes.
        this.stats.tcpRetransmittedBytes += len
        c.hist(dir, Hist.RETRANS)
        return
      }
      if (rel <= 0) {
        if (rel < 0) {
          this.stats.tcpRetransmittedBytes += Math.min(-rel, len)
          c.hist(dir, Hist.RETRANS)
        }
        this.deliver(c, dir, d, buf, trunc, -rel, at)
        this.drain(c, dir, d)
        return
      }
      if (c.handler === null) return
      if (rel > MAX_SEQ_AHEAD) {
        this.stats.bad('tcp: segment far beyond window')
        return
      }
      const n = d.oooCount
      let over: string | null = null
      if (n + 1 > this.limits.tcpOooSegmentsPerDir) over = 'tcpOooSegmentsPerDir'
      else if (c.oooBytes + len > this.limits.tcpOooBytesPerConn) over = 'tcpOooBytesPerConn'
      else if (this.ooo.bytes + len > this.limits.tcpOooBytesTotal) over = 'tcpOooBytesTotal'
      if (over === null) {
        this.store(c, d, seq, buf, trunc, at)
        return
      }
      // A bound is reached: give up on the earliest hole and move on.
      this.stats.limit(over)
      if (n === 0 || rel <= ((this.ooo.seq(d.oooHead) - d.nextSeq) | 0)) {
        // This segment is the earliest data we have: skip to it; the next turn delivers it.
        d.nextSeq = seq
        this.reportGap(c, dir, rel, at)
      } else {
        this.skipHole(c, dir, d, at)
      }
    }
  }

  /**
   * Delivers an in-order segment: `skip` leading bytes were already delivered. Captured bytes go
   * out as a view; uncaptured (`trunc`) bytes as a gap. nextSeq advances before each call.
   */
  private deliver(c: TcpConn, dir: Dir, d: TcpDir, buf: Buffer, trunc: number, skip: number, at: Moment): void {
    const len = buf.length
    if (skip < len) {
      d.nextSeq = (d.nextSeq + (len - skip)) | 0
      this.callData(c, dir, skip === 0 ? buf : buf.subarray(skip), at)
      skip = 0
    } else skip -= len
    if (trunc > skip) {
      const n = trunc - skip
      d.nextSeq = (d.nextSeq + n) | 0
      this.reportGap(c, dir, n, at)
    }
  }

  /** Delivers stored segments that have become in order. */
  private drain(c: TcpConn, dir: Dir, d: TcpDir): void {
    const st = this.ooo
    while (d.oooCount > 0 && c.handler !== null) {
      const s = d.oooHead
      const rel = (st.seq(s) - d.nextSeq) | 0
      if (rel > 0) break
      st.shift(d)
      const len = st.len(s)
      c.oooBytes -= len
      const trunc = st.trunc(s)
      if (rel + len + trunc > 0) {
        if (rel < 0) this.stats.tcpRetransmittedBytes += Math.min(-rel, len)
        // A view of the held copy (one per delivered segment), valid until the free() below.
        this.deliver(c, dir, d, st.data(s), trunc, -rel, st.moment(s, this.segAt))
      } else {
        this.stats.tcpRetransmittedBytes += len
      }
      st.free(s)
    }
  }

  /** Reports the hole before the first stored segment as a gap and delivers what follows it. */
  private skipHole(c: TcpConn, dir: Dir, d: TcpDir, at: Moment): void {
    if (d.oooCount === 0) return
    const first = this.ooo.seq(d.oooHead)
    const hole = (first - d.nextSeq) | 0
    if (hole > 0) {
      d.nextSeq = first
      this.reportGap(c, dir, hole, at)
    }
    this.drain(c, dir, d)
  }

  /**
   * The peer acknowledged `ackNum`: every hole below a stored segment under that ACK, and bytes
   * missing before an acknowledged FIN, were received by the peer but never captured.
   */
  private ackPastHole(c: TcpConn, dir: Dir, d: TcpDir, ackNum: number, at: Moment): void {
    while (c.handler !== null && d.oooCount > 0 && ((ackNum - this.ooo.seq(d.oooHead)) | 0) > 0) this.skipHole(c, dir, d, at)
    if (c.handler === null || !d.finSeen || d.oooCount > 0) return
    const missing = (d.finSeq - d.nextSeq) | 0
    if (missing > 0 && ((ackNum - d.finSeq) | 0) > 0) {
      d.nextSeq = d.finSeq
      this.reportGap(c, dir, missing, at)
    }
  }

  /** Flushes one direction at close: all holes become gaps, and bytes missing before a FIN too. */
  private flushDir(c: TcpConn, dir: Dir, d: TcpDir, at: Moment): void {
    while (c.handler !== null && d.oooCount > 0) this.skipHole(c, dir, d, at)
    if (c.handler !== null && d.finSeen && d.started) {
      const missing = (d.finSeq - d.nextSeq) | 0
      if (missing > 0) {
        d.nextSeq = d.finSeq
        this.reportGap(c, dir, missing, at)
      }
    }
  }

  // --- out-of-order store ---------------------------------------------------------------------

  /** Stores a COPY of an out-of-order segment (its bytes must outlive the packet), sorted by seq. */
  private store(c: TcpConn, d: TcpDir, seq: number, buf: Buffer, trunc: number, at: Moment): void {
    this.stats.tcpOutOfOrderSegments++
    // A held segment starting at the same or an earlier point that already covers this one.
    if (!this.ooo.insert(d, d.nextSeq, seq, buf, trunc, at)) {
      this.stats.tcpRetransmittedBytes += buf.length
      return
    }
    c.oooBytes += buf.length
  }

  private releaseStores(c: TcpConn): void {
    if (c.d0.oooCount > 0) c.oooBytes -= this.ooo.clear(c.d0)
    if (c.d1.oooCount > 0) c.oooBytes -= this.ooo.clear(c.d1)
  }
}
