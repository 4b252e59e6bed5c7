/**
 * Protocol choice (the dispatch stage): for each TCP connection and UDP flow the reassemblers open,
 * picks the protocol that will parse it: first by configured ports (`protocols.<name>.ports`, as
 * Packetbeat's `ports`), then by each protocol's default server ports (registry order: the first
 * protocol registered for a port wins), then by content (each candidate's `detect` looks at the
 * first payload bytes). A connection no protocol claims is still tracked by the reassembler (flows,
 * statistics) but its bytes are not parsed. It also answers the UDP reassembler's role question
 * from the protocols' declared client ports (DHCP: 68), and creates the per-run IP handlers (ICMP).
 *
 * Holds no module-level state: one ProtocolChooser per engine.
 */
import type {Limits} from '../limits.js'
import type {ConnInfo, Dir, EndReason, IpHandler, Moment, StreamFactory, StreamHandler, UdpHandler} from '../reassembly/types.js'
import type {InnerOptions, Protocol, ProtocolContext} from '../protocols/types.js'

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

export class ProtocolChooser implements StreamFactory {
  private readonly tcpPorts = new Map<number, Protocol>()
  private readonly udpPorts = new Map<number, Protocol>()
  private readonly tcpDetect: Protocol[]
  private readonly udpDetect: Protocol[]
  /** 1 where a selected protocol declares the port as its clients' (udp.clientPorts). */
  private readonly udpClientPort = new Uint8Array(65536)
  private hasClientPorts = false
  /** 1 where a selected protocol declares the port as its servers' (tcp/udp.serverPorts). */
  private readonly tcpServerPort = new Uint8Array(65536)
  private readonly udpServerPort = new Uint8Array(65536)
  private hasTcpServerPorts = false
  private hasUdpServerPorts = false
  /** IP protocol number -> the handler of the first protocol claiming it. */
  readonly ipHandlers = new Map<number, IpHandler>()
  /** Every IP handler, for flushing at end of input. */
  readonly ipHandlerList: IpHandler[] = []

  constructor(
    private readonly selected: readonly Protocol[],
    private readonly ctxFor: ContextFor,
    _limits?: Limits,
  ) {
    const protocols = selected
    // Ports configured for a protocol replace its defaults and are claimed before any default port
    // of another protocol.
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
      for (const port of p.udp?.clientPorts ?? []) {
        this.udpClientPort[port] = 1
        this.hasClientPorts = true
      }
      for (const port of p.tcp?.serverPorts ?? []) {
        this.tcpServerPort[port] = 1
        this.hasTcpServerPorts = true
      }
      for (const port of p.udp?.serverPorts ?? []) {
        this.udpServerPort[port] = 1
        this.hasUdpServerPorts = true
      }
      if (p.ip) {
        const h = p.ip.create(ctxFor(p))
        this.ipHandlerList.push(h)
        for (const proto of p.ip.protos) if (!this.ipHandlers.has(proto)) this.ipHandlers.set(proto, h)
      }
      if (configured(p)) continue
      for (const port of p.tcp?.ports ?? []) if (!this.tcpPorts.has(port)) this.tcpPorts.set(port, p)
      for (const port of p.udp?.ports ?? []) if (!this.udpPorts.has(port)) this.udpPorts.set(port, p)
    }
    this.tcpDetect = protocols.filter((p) => p.tcp?.detect)
    this.udpDetect = protocols.filter((p) => p.udp?.detect)
  }

  /** StreamFactory: the handler of a new TCP connection, or null to leave its bytes unparsed. */
  open(conn: ConnInfo): StreamHandler | null {
    const p = this.tcpPorts.get(conn.serverPort) ?? this.tcpPorts.get(conn.clientPort)
    if (p?.tcp) return new LazyHandler(conn, p, this.ctxFor(p))
    if (this.tcpDetect.length === 0) return null
    return new DetectingHandler(conn, this.tcpDetect, this.ctxFor)
  }

  /**
   * ProtocolContext.openInner (see protocols/types.ts): a handler for a protocol carried inside
   * another one on `conn` (decrypted TLS). Ports say nothing here (they are the outer protocol's),
   * so the choice is `o.prefer` when selected, else content detection as for a connection on an
   * unknown port. The inner protocol's context is its own with `emit` replaced by `o.emit`.
   */
  openInner(conn: ConnInfo, o: InnerOptions): StreamHandler | null {
    const inner: ContextFor = (p) => ({...this.ctxFor(p), emit: o.emit})
    if (o.prefer !== undefined && o.prefer !== o.self) {
      const p = this.selected.find((x) => x.name === o.prefer)
      if (p?.tcp) return p.tcp.create(conn, inner(p))
    }
    const candidates = this.tcpDetect.filter((p) => p.name !== o.self)
    return candidates.length === 0 ? null : new DetectingHandler(conn, candidates, inner)
  }

  /** The handler of a new UDP flow, or null. */
  openUdp(conn: ConnInfo): UdpHandler | null {
    const p = this.udpPorts.get(conn.serverPort) ?? this.udpPorts.get(conn.clientPort)
    if (p?.udp) return p.udp.create(conn, this.ctxFor(p))
    if (this.udpDetect.length === 0) return null
    return new DetectingUdp(conn, this.udpDetect, this.ctxFor)
  }

  /**
   * UdpRoleHint (see reassembly/types.ts): a declared client port on one side only decides; else a
   * declared server port on one side only.
   */
  readonly udpRole = (srcPort: number, dstPort: number): -1 | 0 | 1 => {
    if (this.hasClientPorts) {
      const s = this.udpClientPort[srcPort]
      const d = this.udpClientPort[dstPort]
      if (s !== d) return s === 1 ? 1 : -1
    }
    if (!this.hasUdpServerPorts) return 0
    const s = this.udpServerPort[srcPort]
    const d = this.udpServerPort[dstPort]
    return s === d ? 0 : s === 1 ? -1 : 1
  }

  /** StreamFactory.role: a declared TCP server port on one side only decides. */
  role(srcPort: number, dstPort: number): -1 | 0 | 1 {
    if (!this.hasTcpServerPorts) return 0
    const s = this.tcpServerPort[srcPort]
    const d = this.tcpServerPort[dstPort]
    return s === d ? 0 : s === 1 ? -1 : 1
  }
}
