/**
 * The engine: capture records in, transactions out. decode -> reassembly -> protocol choice ->
 * protocols, as one object with no knowledge of outputs, processors or commands.
 *
 * Contract:
 *   - packet(p) once per capture record, in capture order (it is the source's PacketSink; `p` and
 *     its bytes are valid only during the call, see capture/types.ts);
 *   - end() once, after the last record (also after a capture error or a stop): every connection,
 *     flow and pending request still in flight is flushed and reported, in a fixed order;
 *   - transactions (and flow records) are handed to `emit` synchronously, from inside packet() or
 *     end(); `emit` may keep them.
 * The engine holds no module-level state and shares nothing with other engines except the
 * read-only protocol list and limits, so several can run side by side (one per worker thread, fed
 * by a direction-independent flow hash). One engine reads one capture: frame numbers and
 * connections do not cross files.
 *
 * A run split over workers (src/run/parallel.ts) decodes on the main thread and hands each worker's
 * engine only the packets of its connections, through ip(); tick() then keeps the reassemblers'
 * capture clocks on the one-thread clock, and `order` tells which part of the one-engine order the
 * transactions being emitted belong to (EmitOrder in ../reassembly/types.ts).
 */
import type {Packet, PacketSink} from '../capture/types.js'
import type {DecodedPacket, DecodedSink} from '../decode/types.js'
import {Decoder} from '../decode/decoder.js'
import {IpProto} from '../decode/types.js'
import {type ContextFor, ProtocolChooser} from '../dispatch/chooser.js'
import type {Limits} from '../limits.js'
import type {Transaction} from '../event/types.js'
import type {Protocol, ProtocolContext} from '../protocols/types.js'
import type {ConnObserver} from '../reassembly/conn.js'
import {TcpReassembler} from '../reassembly/tcp.js'
import {type EmitOrder, EmitPhase, type Moment} from '../reassembly/types.js'
import {UdpFlows} from '../reassembly/udp.js'
import {IcmpFlows} from '../reassembly/icmp-flows.js'
import type {Stats} from '../stats.js'

/** A compiled capture filter (`--filter`): true keeps the record. Must not keep `data`. */
export interface RecordFilter {
  /** `origLen`: the record's length on the wire (pcap-filter's `less`/`greater` compare it). */
  match(data: Buffer, linkType: number, origLen: number): boolean
}

export interface EngineOptions {
  protocols: readonly Protocol[]
  limits: Limits
  stats: Stats
  /** Per-protocol options (`protocols.<name>.*` in the config), by protocol name. */
  protocolOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  /** Receives every transaction and flow record. */
  emit(t: Transaction): void
  /** Sees every connection and flow (the flows feature); ended by the engine's end(). */
  observer?: ConnObserver & {end(): void}
  /** Records not matching are skipped before decoding (they keep their frame numbers). */
  filter?: RecordFilter
  /** Written by the engine's stages before transactions are emitted (EmitOrder). */
  order?: EmitOrder
}

export class Engine implements PacketSink, DecodedSink {
  private readonly decoder: Decoder
  private readonly tcp: TcpReassembler
  private readonly udp: UdpFlows
  private readonly chooser: ProtocolChooser
  private readonly observer: (ConnObserver & {end(): void}) | undefined
  private readonly icmpFlows: IcmpFlows | undefined
  private readonly filter: RecordFilter | undefined
  private ended = false
  private readonly order: EmitOrder
  /** The last IP packet's time and frame, for flushing at end of input. */
  readonly last: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  private readonly tickAt = {tsSec: 0, tsNsec: 0}

  constructor(o: EngineOptions) {
    const contexts = new Map<string, ProtocolContext>()
    const ctxFor: ContextFor = (p) => {
      let c = contexts.get(p.name)
      if (c === undefined) {
        c = {
          limits: o.limits,
          stats: o.stats,
          options: o.protocolOptions?.[p.name] ?? {},
          emit: o.emit,
          // protocols carried inside others (decrypted TLS) are chosen by the dispatch stage
          openInner: (conn, io) => this.chooser.openInner(conn, io),
        }
        contexts.set(p.name, c)
      }
      return c
    }
    this.observer = o.observer
    this.filter = o.filter
    this.order = o.order ?? {phase: EmitPhase.PACKET, sub: 0}
    this.chooser = new ProtocolChooser(o.protocols, ctxFor)
    this.tcp = new TcpReassembler(this.chooser, o.limits, o.stats, o.observer, this.order)
    this.udp = new UdpFlows((c) => this.chooser.openUdp(c), o.limits, o.stats, o.observer, this.chooser.udpRole, this.order)
    // ICMP flows exist for the flows feature only (an observer); ICMP events come from the icmp protocol.
    this.icmpFlows = o.observer === undefined ? undefined : new IcmpFlows(o.limits, o.stats, o.observer)
    this.decoder = new Decoder(this, o.limits, o.stats)
  }

  /** PacketSink: one capture record. */
  packet(p: Packet): void {
    if (this.filter !== undefined && !this.filter.match(p.data, p.linkType, p.origLen)) return
    this.decoder.packet(p)
  }

  /** DecodedSink (called by the decoder): one IP packet or completed fragment set. */
  ip(p: DecodedPacket): void {
    const last = this.last
    last.frame = p.frame
    last.tsSec = p.tsSec
    last.tsNsec = p.tsNsec
    if (p.proto === IpProto.TCP) this.tcp.segment(p)
    else if (p.proto === IpProto.UDP) this.udp.datagram(p)
    else {
      if (this.icmpFlows !== undefined && (p.proto === IpProto.ICMP || p.proto === IpProto.ICMPV6)) this.icmpFlows.packet(p)
      this.chooser.ipHandlers.get(p.proto)?.packet(p)
    }
  }

  /**
   * The TCP (proto 6) or UDP (17) table's capture clock advances to this time, with the idle sweep
   * that is then due (TcpReassembler.tick): a worker's engine is ticked with the one-thread clock.
   */
  tick(proto: number, tsSec: number, tsNsec: number): void {
    const t = this.tickAt
    t.tsSec = tsSec
    t.tsNsec = tsNsec
    if (proto === IpProto.TCP) this.tcp.tick(t)
    else if (proto === IpProto.UDP) this.udp.tick(t)
  }

  /** End of input: every open connection, flow and pending transaction is flushed. Idempotent. */
  end(): void {
    if (this.ended) return
    this.ended = true
    const order = this.order
    order.phase = EmitPhase.END_DECODE
    order.sub = 0
    this.decoder.end()
    this.tcp.end(this.last)
    this.udp.end(this.last)
    this.icmpFlows?.end(this.last)
    order.phase = EmitPhase.END_IP
    order.sub = 0
    for (const h of this.chooser.ipHandlerList) h.end(this.last)
    order.phase = EmitPhase.END_OBSERVER
    this.observer?.end()
  }
}
