/**
 * Decoded packets -> transports -> protocols. Chooses a protocol for each TCP connection and UDP
 * flow: first by the server port (the protocol's `ports`), then by content (each candidate's
 * `detect` looks at the first payload bytes). A connection no protocol claims is still tracked by
 * the reassembler (flows, statistics) but its bytes are not parsed.
 */
import type {DecodedPacket, DecodedSink} from '../decode/types.js'
import {IpProto} from '../decode/types.js'
import type {Conn, ConnObserver} from '../reassembly/conn.js'
import {TcpReassembler} from '../reassembly/tcp.js'
import type {ConnInfo, Dir, EndReason, IpHandler, Moment, StreamFactory, StreamHandler, UdpHandler} from '../reassembly/types.js'
import {UdpFlows} from '../reassembly/udp.js'
import type {Protocol, ProtocolContext} from '../protocols/types.js'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'

/** First payload bytes per direction a detecting connection looks at before giving up. */
const DETECT_ATTEMPTS = 4
/** Payload bytes per direction collected from tiny segments before detection gives up. */
const DETECT_PREFIX = 64

export type ContextFor = (p: Protocol) => ProtocolContext

/**
 * Holds a TCP connection whose protocol is not known from its port: offers the first payload of
 * each direction to every candidate's detect(); the first that says yes gets a handler, which then
 * receives the bytes that were offered and everything after. Payload that arrives in tiny
 * segments (a request typed or sent a byte at a time) is collected, per direction, into a small
 * copied prefix of at most DETECT_PREFIX bytes so that detect() sees enough to decide; that copy
 * is the only buffering here, and a connection that is never claimed costs at most that.
 */
class DetectingHandler implements StreamHandler {
  private inner: StreamHandler | null = null
  private attempts = 0
  private gaveUp = false
  /** Bytes of each direction seen so far while undecided (copies: they outlive the call). */
  private readonly prefix: [Buffer | null, Buffer | null] = [null, null]
  /** Capture time of each prefix's first byte (copied numbers). */
  private readonly heldAt: [Moment, Moment] = [
    {frame: 0, tsSec: 0, tsNsec: 0},
    {frame: 0, tsSec: 0, tsNsec: 0},
  ]
  /** Which direction's prefix was collected first, to replay in arrival order on a claim. */
  private firstDir: Dir | -1 = -1

  constructor(
    private readonly conn: ConnInfo,
    private readonly candidates: Protocol[],
    private readonly ctxFor: ContextFor,
  ) {}

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.inner) {
      this.inner.data(dir, bytes, at)
      return
    }
    if (this.gaveUp) return
    const held = this.prefix[dir]
    const view = held === null ? bytes : Buffer.concat([held, bytes.subarray(0, DETECT_PREFIX - held.length)])
    for (const p of this.candidates) {
      if (p.tcp?.detect?.(view, dir)) {
        this.inner = p.tcp.create(this.conn, this.ctxFor(p))
        const other = this.prefix[dir === 0 ? 1 : 0]
        // Replay what was held back, in arrival order, then the current delivery whole.
        const od: Dir = dir === 0 ? 1 : 0
        if (other !== null && this.firstDir !== dir) this.inner.data(od, other, this.heldAt[od])
        if (held !== null) this.inner.data(dir, held, this.heldAt[dir])
        if (other !== null && this.firstDir === dir) this.inner.data(od, other, this.heldAt[od])
        this.inner.data(dir, bytes, at)
        this.prefix[0] = this.prefix[1] = null
        return
      }
    }
    if (view.length < DETECT_PREFIX) {
      // Too little to tell yet: keep a copy and decide on the next delivery (each one adds at least
      // a byte, so this ends within DETECT_PREFIX deliveries).
      if (held === null) {
        this.prefix[dir] = Buffer.from(bytes)
        const m = this.heldAt[dir]
        m.frame = at.frame
        m.tsSec = at.tsSec
        m.tsNsec = at.tsNsec
      } else {
        this.prefix[dir] = view
      }
      if (this.firstDir === -1) this.firstDir = dir
      return
    }
    this.prefix[dir] = null
    if (++this.attempts >= DETECT_ATTEMPTS) {
      this.gaveUp = true
      this.prefix[0] = this.prefix[1] = null
    }
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (this.inner) this.inner.gap(dir, nbytes, at)
    else this.prefix[dir] = null // a held prefix is no longer contiguous with what follows
  }

  end(reason: EndReason, at: Moment): void {
    this.inner?.end(reason, at)
  }
}

/**
 * Defers creating a protocol's handler until the connection carries its first byte (or gap), so a
 * connection that never does (SYN scans and floods: the reassembler opens connections at the SYN)
 * costs this one small object instead of the protocol's parser state and buffers.
 */
class LazyHandler implements StreamHandler {
  private inner: StreamHandler | null = null

  constructor(
    private readonly conn: ConnInfo,
    private readonly protocol: Protocol,
    private readonly ctx: ProtocolContext,
  ) {}

  private get handler(): StreamHandler {
    if (this.inner === null) this.inner = this.protocol.tcp!.create(this.conn, this.ctx)
    return this.inner
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    this.handler.data(dir, bytes, at)
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    this.handler.gap(dir, nbytes, at)
  }

  end(reason: EndReason, at: Moment): void {
    // nothing was ever delivered: no transaction can be pending
    this.inner?.end(reason, at)
  }
}

class DetectingUdp implements UdpHandler {
  private inner: UdpHandler | null = null
  private attempts = 0

  constructor(
    private readonly conn: ConnInfo,
    private readonly candidates: Protocol[],
    private readonly ctxFor: ContextFor,
  ) {}

  datagram(dir: Dir, payload: Buffer, at: Moment): void {
    if (this.inner) {
      this.inner.datagram(dir, payload, at)
      return
    }
    if (this.attempts >= DETECT_ATTEMPTS) return
    this.attempts++
    for (const p of this.candidates) {
      if (p.udp?.detect?.(payload, dir)) {
        this.inner = p.udp.create(this.conn, this.ctxFor(p))
        this.inner.datagram(dir, payload, at)
        return
      }
    }
  }

  end(at: Moment): void {
    this.inner?.end(at)
  }
}

export class Dispatcher implements DecodedSink, StreamFactory {
  private readonly tcp: TcpReassembler
  private readonly udp: UdpFlows
  private readonly tcpPorts = new Map<number, Protocol>()
  private readonly udpPorts = new Map<number, Protocol>()
  private readonly tcpDetect: Protocol[]
  private readonly udpDetect: Protocol[]
  private readonly ipHandlers = new Map<number, IpHandler>()
  private readonly ipHandlerList: IpHandler[] = []
  /** The last packet's time and frame, for flushing at end of input. */
  readonly last: Moment = {frame: 0, tsSec: 0, tsNsec: 0}

  constructor(
    protocols: Protocol[],
    private readonly ctxFor: ContextFor,
    limits: Limits,
    stats: Stats,
    observer?: ConnObserver,
  ) {
    // Ports configured for a protocol (`protocols.<name>.ports`, as Packetbeat's `ports`) replace its
    // defaults and are claimed before any default port of another protocol.
    const configured = (p: Protocol): number[] | undefined => {
      const v = ctxFor(p).options.ports
      return Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 65535) ? (v as number[]) : undefined
    }
    for (const p of protocols) {
      const ports = configured(p)
      if (!ports) continue
      for (const port of ports) {
        if (p.tcp) this.tcpPorts.set(port, p)
        if (p.udp) this.udpPorts.set(port, p)
      }
    }
    for (const p of protocols) {
      if (configured(p)) continue
      // The first protocol registered for a port wins (registry order).
      for (const port of p.tcp?.ports ?? []) if (!this.tcpPorts.has(port)) this.tcpPorts.set(port, p)
      for (const port of p.udp?.ports ?? []) if (!this.udpPorts.has(port)) this.udpPorts.set(port, p)
      if (p.ip) {
        const h = p.ip.create(ctxFor(p))
        this.ipHandlerList.push(h)
        for (const proto of p.ip.protos) if (!this.ipHandlers.has(proto)) this.ipHandlers.set(proto, h)
      }
    }
    this.tcpDetect = protocols.filter((p) => p.tcp?.detect)
    this.udpDetect = protocols.filter((p) => p.udp?.detect)
    this.tcp = new TcpReassembler(this, limits, stats, observer)
    this.udp = new UdpFlows((c) => this.openUdp(c), limits, stats, observer)
  }

  open(conn: ConnInfo): StreamHandler | null {
    const p = this.tcpPorts.get(conn.serverPort) ?? this.tcpPorts.get(conn.clientPort)
    if (p?.tcp) return new LazyHandler(conn, p, this.ctxFor(p))
    if (this.tcpDetect.length === 0) return null
    return new DetectingHandler(conn, this.tcpDetect, this.ctxFor)
  }

  private openUdp(conn: Conn): UdpHandler | null {
    const p = this.udpPorts.get(conn.serverPort) ?? this.udpPorts.get(conn.clientPort)
    if (p?.udp) return p.udp.create(conn, this.ctxFor(p))
    if (this.udpDetect.length === 0) return null
    return new DetectingUdp(conn, this.udpDetect, this.ctxFor)
  }

  ip(p: DecodedPacket): void {
    const last = this.last
    last.frame = p.frame
    last.tsSec = p.tsSec
    last.tsNsec = p.tsNsec
    if (p.proto === IpProto.TCP) this.tcp.segment(p)
    else if (p.proto === IpProto.UDP) this.udp.datagram(p)
    else this.ipHandlers.get(p.proto)?.packet(p)
  }

  /** End of input: every open connection, flow and pending transaction is flushed and reported. */
  end(): void {
    this.tcp.end(this.last)
    this.udp.end(this.last)
    for (const h of this.ipHandlerList) h.end(this.last)
  }
}
