/**
 * Conn: one TCP connection or UDP flow, oriented client -> server, with the per-direction counters
 * the flows feature reads. Created once per conversation by the TCP reassembler or the UDP flow
 * table (never per packet); the address strings and the Community ID are built lazily, once.
 *
 * The table-bookkeeping fields (hash, bucketNext, lruPrev, lruNext, inClosed, stamp) belong to
 * ConnTable (./conn-table.ts); nothing else may write them.
 */
import {snapshotTunnel, type TunnelInfo} from '../decode/tunnel.js'
import type {DecodedPacket} from '../decode/types.js'
import {communityId} from '../util/community-id.js'
import {ipToString} from '../util/ip.js'
import type {ConnInfo, Dir, EndReason, Moment} from './types.js'

export type RoleBy = ConnInfo['roleBy']

/**
 * Optional hook both tables call (the flows feature uses it). Call order per conn:
 * opened(c) once; packet(c, dir, p) for every packet of the conn (after its counters are updated);
 * closed(c, reason, at) once, when the record leaves the table. For TCP this may be a few seconds
 * of capture time after the stream handler's end('fin'/'rst'), so that trailing ACKs are counted.
 * `p` and `at` are reused objects: read them during the call only.
 */
export interface ConnObserver {
  opened(c: Conn): void
  packet(c: Conn, dir: Dir, p: DecodedPacket): void
  closed(c: Conn, reason: EndReason, at: Moment): void
}

// Zeek conn.log history letters (base/protocols/conn/main.zeek): upper case = originator (our
// client, dir 0), lower case = responder; each recorded once per direction.
export const Hist = {
  SYN: 0, // S: SYN without ACK
  SYNACK: 1, // H: SYN+ACK
  ACK: 2, // A: pure ACK
  DATA: 3, // D: packet with payload
  FIN: 4, // F: FIN
  RST: 5, // R: RST
  GAP: 6, // G: content gap
  RETRANS: 7, // T: retransmitted payload
} as const
const HIST_UPPER = 'SHADFRGT'
const HIST_LOWER = 'shadfrgt'

export class Conn implements ConnInfo {
  readonly id: number
  readonly transport: 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp'
  /** ICMP flows (./icmp-flows.ts): the client's message type and code, the Community ID's "ports". */
  icmpType = 0
  icmpCode = 0
  readonly ipVersion: 4 | 6
  // Address and MAC words are held as int32 (`| 0`) and read through unsigned getters: a field
  // that ever holds a number outside the small-integer range is boxed (a heap number per conn and
  // field) for every conn, while int32 values stay in the object. Likewise every other number field
  // is written only with integers (see smi()); counters that outgrow int32 are promoted by V8.
  private readonly w0: number
  private readonly w1: number
  private readonly w2: number
  private readonly w3: number
  private readonly w4: number
  private readonly w5: number
  private readonly w6: number
  private readonly w7: number
  readonly clientPort: number
  readonly serverPort: number
  readonly roleBy: RoleBy
  /** Snapshot of the opening packet's tunnel (ConnInfo.tunnel). */
  readonly tunnel: TunnelInfo | undefined
  /** Tunnel zone, part of the connection key (TunnelState.zone; 0 = none). */
  readonly zone: number
  /** VLAN ids of the opening packet (DecodedPacket.vlan / vlanInner), -1 when untagged. */
  readonly vlan: number
  readonly vlanInner: number
  /** MACs of the opening packet's Ethernet header, oriented (Hi -1: none; see DecodedPacket). */
  readonly clientMacHi: number
  private readonly cMacLo: number
  readonly serverMacHi: number
  private readonly sMacLo: number

  // Per direction (suffix = Dir): packets and IP bytes (IP total length) as on the wire (a
  // reassembled datagram counts its fragments), transport payload bytes, OR
  // of the TCP flags seen. Plain number fields rather than four small arrays per conn: count()
  // runs for every packet, and a conn lingers after its close (less memory per record).
  pk0 = 0
  pk1 = 0
  ib0 = 0
  ib1 = 0
  pb0 = 0
  pb1 = 0
  fl0 = 0
  fl1 = 0
  firstSec = 0
  firstNsec = 0
  lastSec = 0
  lastNsec = 0
  firstFrame = 0
  lastFrame = 0
  /**
   * The owning table's capture clock (SweepClock latestSec / latestNsec: the latest packet time so
   * far, never going back) at the conn's last packet; set by the table on every packet (setActive).
   * Idle checks read it (lastActivity), so the activity lists stay ordered by it even when packet
   * timestamps go backwards, and the conns a sweep expires are always exactly the idle ones,
   * whichever table (worker) holds them. Two integers rather than one fractional number (boxed).
   */
  private activeSec = 0
  private activeNsec = 0
  /** Zeek-style history, e.g. "ShADadFf". */
  history = ''
  private histBits = 0

  private _clientIp: string | undefined
  private _serverIp: string | undefined
  private _communityId: string | undefined

  // --- ConnTable bookkeeping (see ./conn-table.ts) ---
  hash = 0
  bucketNext: Conn | null = null
  lruPrev: Conn | null = null
  lruNext: Conn | null = null
  /** True once the conn sits in the table's closed (lingering) list. */
  inClosed = false
  /** Order of the last touch (ConnTable.nextStamp): lower is less recently active. */
  stamp = 0

  /**
   * Builds the conn from the packet that created it. `senderIsClient` says whether p's source is
   * the client. Copies the numbers it needs; does not keep `p`.
   */
  constructor(id: number, transport: Conn['transport'], p: DecodedPacket, senderIsClient: boolean, roleBy: RoleBy) {
    this.id = id
    this.transport = transport
    this.ipVersion = p.ipVersion
    this.roleBy = roleBy
    if (senderIsClient) {
      this.w0 = p.src0 | 0
      this.w1 = p.src1 | 0
      this.w2 = p.src2 | 0
      this.w3 = p.src3 | 0
      this.w4 = p.dst0 | 0
      this.w5 = p.dst1 | 0
      this.w6 = p.dst2 | 0
      this.w7 = p.dst3 | 0
      this.clientPort = p.srcPort | 0
      this.serverPort = p.dstPort | 0
    } else {
      this.w0 = p.dst0 | 0
      this.w1 = p.dst1 | 0
      this.w2 = p.dst2 | 0
      this.w3 = p.dst3 | 0
      this.w4 = p.src0 | 0
      this.w5 = p.src1 | 0
      this.w6 = p.src2 | 0
      this.w7 = p.src3 | 0
      this.clientPort = p.dstPort | 0
      this.serverPort = p.srcPort | 0
    }
    this.vlan = (p.vlan ?? -1) | 0
    this.vlanInner = (p.vlanInner ?? -1) | 0
    const sHi = (p.srcMacHi ?? -1) | 0
    const dHi = (p.dstMacHi ?? -1) | 0
    this.clientMacHi = senderIsClient ? sHi : dHi
    this.cMacLo = ((senderIsClient ? p.srcMacLo : p.dstMacLo) ?? 0) | 0
    this.serverMacHi = senderIsClient ? dHi : sHi
    this.sMacLo = ((senderIsClient ? p.dstMacLo : p.srcMacLo) ?? 0) | 0
    const t = p.tunnel
    this.tunnel = t === undefined || t.depth === 0 ? undefined : snapshotTunnel(t, senderIsClient)
    this.zone = t === undefined || t.depth === 0 ? 0 : t.zone
    this.firstSec = this.lastSec = smi(p.tsSec)
    this.firstNsec = this.lastNsec = p.tsNsec | 0
    this.firstFrame = this.lastFrame = smi(p.frame)
  }

  /** Client address words (DecodedPacket layout, unsigned). */
  get c0(): number {
    return this.w0 >>> 0
  }
  get c1(): number {
    return this.w1 >>> 0
  }
  get c2(): number {
    return this.w2 >>> 0
  }
  get c3(): number {
    return this.w3 >>> 0
  }
  /** Server address words. */
  get s0(): number {
    return this.w4 >>> 0
  }
  get s1(): number {
    return this.w5 >>> 0
  }
  get s2(): number {
    return this.w6 >>> 0
  }
  get s3(): number {
    return this.w7 >>> 0
  }
  /** Low 32 bits of the client's / server's MAC (unsigned; see clientMacHi). */
  get clientMacLo(): number {
    return this.cMacLo >>> 0
  }
  get serverMacLo(): number {
    return this.sMacLo >>> 0
  }

  get clientIp(): string {
    if (this._clientIp === undefined) this._clientIp = ipToString(this.ipVersion, this.c0, this.c1, this.c2, this.c3)
    return this._clientIp
  }

  get serverIp(): string {
    if (this._serverIp === undefined) this._serverIp = ipToString(this.ipVersion, this.s0, this.s1, this.s2, this.s3)
    return this._serverIp
  }

  get communityId(): string {
    if (this._communityId === undefined) {
      const icmp = this.transport === 'icmp' || this.transport === 'ipv6-icmp'
      this._communityId = communityId(
        this.ipVersion,
        this.transport === 'tcp' ? 6 : this.transport === 'udp' ? 17 : this.transport === 'icmp' ? 1 : 58,
        this.c0,
        this.c1,
        this.c2,
        this.c3,
        this.s0,
        this.s1,
        this.s2,
        this.s3,
        icmp ? this.icmpType : this.clientPort,
        icmp ? this.icmpCode : this.serverPort,
      )
    }
    return this._communityId
  }

  /**
   * Direction of `p` within this conn: 0 when p's source is the client, else 1. Only meaningful for
   * a packet of this conn (ConnTable.find already matched it).
   */
  dirOf(p: DecodedPacket): Dir {
    return p.srcPort === this.clientPort &&
      (p.src0 | 0) === this.w0 &&
      (p.src1 | 0) === this.w1 &&
      (p.src2 | 0) === this.w2 &&
      (p.src3 | 0) === this.w3 &&
      p.dstPort === this.serverPort &&
      (p.dst0 | 0) === this.w4 &&
      (p.dst1 | 0) === this.w5 &&
      (p.dst2 | 0) === this.w6 &&
      (p.dst3 | 0) === this.w7
      ? 0
      : 1
  }

  /** Per direction (index = Dir): packets. A new pair per call (for reading, not per packet). */
  get packets(): [number, number] {
    return [this.pk0, this.pk1]
  }

  /** Per direction: IP bytes (IP total length). */
  get ipBytes(): [number, number] {
    return [this.ib0, this.ib1]
  }

  /** Per direction: transport payload bytes (captured + cut by the snaplen). */
  get payloadBytes(): [number, number] {
    return [this.pb0, this.pb1]
  }

  /** Per direction: OR of the TCP flags seen. */
  get tcpFlagsSeen(): [number, number] {
    return [this.fl0, this.fl1]
  }

  /** Updates the counters with one packet (no allocation). */
  count(dir: Dir, p: DecodedPacket): void {
    // Fragments as they were on the wire (DecodedPacket.wirePackets / wireBytes).
    const n = p.wirePackets
    const ipBytes = p.wireBytes
    if (dir === 0) {
      this.pk0 += n
      this.ib0 += ipBytes
      this.pb0 += p.payload.length + p.payloadTruncated
      this.fl0 |= p.tcpFlags
    } else {
      this.pk1 += n
      this.ib1 += ipBytes
      this.pb1 += p.payload.length + p.payloadTruncated
      this.fl1 |= p.tcpFlags
    }
    this.lastSec = smi(p.tsSec)
    this.lastNsec = p.tsNsec | 0
    this.lastFrame = smi(p.frame)
  }

  /** Records a history letter once per direction (string work only the first time). */
  hist(dir: Dir, letter: number): void {
    const bit = 1 << (letter + (dir === 0 ? 0 : 8))
    if ((this.histBits & bit) !== 0) return
    this.histBits |= bit
    this.history += dir === 0 ? HIST_UPPER[letter] : HIST_LOWER[letter]
  }

  /** Capture clock at the last packet, in seconds (for idle checks; see `setActive`). */
  lastActivity(): number {
    return this.activeSec + this.activeNsec / 1e9
  }

  /** The two halves of that clock (seconds, nanoseconds), as setActive was given them. */
  activeClockSec(): number {
    return this.activeSec
  }

  activeClockNsec(): number {
    return this.activeNsec
  }

  /** Records the table's capture clock (SweepClock latestSec / latestNsec) at this packet. */
  setActive(sec: number, nsec: number): void {
    this.activeSec = smi(sec)
    this.activeNsec = nsec | 0
  }
}

/**
 * `x` (an integer) as an int32 when it is one, so that it is stored unboxed; larger values
 * (seconds after 2038, frame counts past 2^31) pass unchanged.
 */
export function smi(x: number): number {
  return (x | 0) === x ? x | 0 : x
}
