/**
 * Test helpers: DecodedPacket builders (no capture/decode code involved) and a recording
 * StreamFactory whose log copies everything it is given (views and Moments are only valid during
 * the call).
 */
import {type DecodedPacket, IpProto, TcpFlag} from '../../src/decode/types.js'
import {DEFAULT_LIMITS, type Limits} from '../../src/limits.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamFactory, StreamHandler} from '../../src/reassembly/types.js'

export const {SYN, ACK, FIN, RST, PSH} = TcpFlag

/** 10.0.0.1 and 10.0.0.2 as DecodedPacket words. */
export const IP_A = 0x0a000001
export const IP_B = 0x0a000002

export interface PktOpts {
  src?: number
  dst?: number
  sport: number
  dport: number
  seq?: number
  ack?: number
  flags?: number
  data?: string | Buffer
  trunc?: number
  t?: number
  frame?: number
  proto?: number
}

let frameCounter = 0
export function resetFrames(): void {
  frameCounter = 0
}

/** Builds one IPv4 TCP (default) or UDP DecodedPacket. */
export function pkt(o: PktOpts): DecodedPacket {
  const payload = o.data === undefined ? Buffer.alloc(0) : typeof o.data === 'string' ? Buffer.from(o.data, 'latin1') : o.data
  const t = o.t ?? 0
  const proto = o.proto ?? IpProto.TCP
  const ipLength = 20 + (proto === IpProto.TCP ? 20 : 8) + payload.length + (o.trunc ?? 0)
  return {
    frame: o.frame ?? ++frameCounter,
    tsSec: Math.floor(t),
    tsNsec: Math.round((t - Math.floor(t)) * 1e9),
    ipVersion: 4,
    src0: o.src ?? IP_A,
    src1: 0,
    src2: 0,
    src3: 0,
    dst0: o.dst ?? IP_B,
    dst1: 0,
    dst2: 0,
    dst3: 0,
    proto,
    ipLength,
    wirePackets: 1,
    wireBytes: ipLength,
    vlan: -1,
    srcPort: o.sport,
    dstPort: o.dport,
    seq: (o.seq ?? 0) >>> 0,
    ack: (o.ack ?? 0) >>> 0,
    tcpFlags: o.flags ?? (proto === IpProto.TCP ? ACK : 0),
    window: 65535,
    payload,
    payloadTruncated: o.trunc ?? 0,
  }
}

export function limits(over: Partial<Limits> = {}): Limits {
  return {...DEFAULT_LIMITS, ...over}
}

/** One recorded call; data of consecutive same-direction calls is merged by `compact`. */
export type Rec =
  | {k: 'open'; conn: number; client: string; server: string; roleBy: string}
  | {k: 'data'; conn: number; dir: Dir; s: string; frame: number}
  | {k: 'gap'; conn: number; dir: Dir; n: number; frame: number}
  | {k: 'end'; conn: number; reason: EndReason; frame: number}

export class Recorder implements StreamFactory {
  readonly log: Rec[] = []
  /** Per conn id: calls received after end (must stay empty). */
  readonly afterEnd: string[] = []
  /** Throw from data() when the bytes contain this text. */
  throwOn: string | null = null
  /** Return null (ignore) for conns whose server port is listed. */
  ignorePorts = new Set<number>()
  opens = 0

  open(conn: ConnInfo): StreamHandler | null {
    this.opens++
    this.log.push({
      k: 'open',
      conn: conn.id,
      client: `${conn.clientIp}:${conn.clientPort}`,
      server: `${conn.serverIp}:${conn.serverPort}`,
      roleBy: conn.roleBy,
    })
    if (this.ignorePorts.has(conn.serverPort)) return null
    let ended = false
    const id = conn.id
    return {
      data: (dir: Dir, bytes: Buffer, at: Moment) => {
        if (ended) this.afterEnd.push(`data ${id}`)
        const s = bytes.toString('latin1')
        this.log.push({k: 'data', conn: id, dir, s, frame: at.frame})
        if (this.throwOn !== null && s.includes(this.throwOn)) throw new Error('handler failure')
      },
      gap: (dir: Dir, n: number, at: Moment) => {
        if (ended) this.afterEnd.push(`gap ${id}`)
        this.log.push({k: 'gap', conn: id, dir, n, frame: at.frame})
      },
      end: (reason: EndReason, at: Moment) => {
        if (ended) this.afterEnd.push(`end ${id}`)
        ended = true
        this.log.push({k: 'end', conn: id, reason, frame: at.frame})
      },
    }
  }

  /**
   * Compact text form of the deliveries of one conn (default: all conns), consecutive data of the
   * same direction merged: e.g. ["D0 abcdef", "G0 3", "D1 ok", "END fin"].
   */
  compact(conn?: number): string[] {
    const out: string[] = []
    let lastDataDir = -1
    for (const r of this.log) {
      if (conn !== undefined && r.conn !== conn) continue
      if (r.k === 'data') {
        if (lastDataDir === r.dir) out[out.length - 1] += r.s
        else out.push(`D${r.dir} ${r.s}`)
        lastDataDir = r.dir
        continue
      }
      lastDataDir = -1
      if (r.k === 'gap') out.push(`G${r.dir} ${r.n}`)
      else if (r.k === 'end') out.push(`END ${r.reason}`)
    }
    return out
  }

  /** Concatenated data of one direction of one conn. */
  stream(conn: number, dir: Dir): string {
    let s = ''
    for (const r of this.log) if (r.k === 'data' && r.conn === conn && r.dir === dir) s += r.s
    return s
  }
}
