/** Test helpers for the decode stage: a Packet factory and a sink that snapshots deliveries. */
import type {Packet} from '../../src/capture/types.js'
import {Decoder} from '../../src/decode/decoder.js'
import type {DecodedPacket, DecodedSink} from '../../src/decode/types.js'
import {DEFAULT_LIMITS, type Limits} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'
import {ipToString} from '../../src/util/ip.js'

/** A copy of what the decoder delivered (the DecodedPacket itself is reused). */
export interface Seen {
  frame: number
  tsSec: number
  tsNsec: number
  ipVersion: 4 | 6
  src: string
  dst: string
  proto: number
  ipLength: number
  vlan: number
  srcPort: number
  dstPort: number
  seq: number
  ack: number
  tcpFlags: number
  window: number
  payload: Buffer
  payloadTruncated: number
}

export class CollectSink implements DecodedSink {
  readonly seen: Seen[] = []
  ip(p: DecodedPacket): void {
    this.seen.push({
      frame: p.frame,
      tsSec: p.tsSec,
      tsNsec: p.tsNsec,
      ipVersion: p.ipVersion,
      src: ipToString(p.ipVersion, p.src0, p.src1, p.src2, p.src3),
      dst: ipToString(p.ipVersion, p.dst0, p.dst1, p.dst2, p.dst3),
      proto: p.proto,
      ipLength: p.ipLength,
      vlan: p.vlan,
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      seq: p.seq,
      ack: p.ack,
      tcpFlags: p.tcpFlags,
      window: p.window,
      payload: Buffer.from(p.payload),
      payloadTruncated: p.payloadTruncated,
    })
  }
}

export interface Harness {
  dec: Decoder
  sink: CollectSink
  stats: Stats
  /** Feeds one record; origLen defaults to data.length (not snaplen-cut). */
  feed(data: Buffer, opts?: {linkType?: number; origLen?: number; tsSec?: number; tsNsec?: number}): Seen | undefined
}

export function harness(limits: Partial<Limits> = {}): Harness {
  const stats = new Stats()
  const sink = new CollectSink()
  const dec = new Decoder(sink, {...DEFAULT_LIMITS, ...limits}, stats)
  let frame = 0
  const pkt: Packet = {frame: 0, tsSec: 0, tsNsec: 0, linkType: 1, data: Buffer.alloc(0), origLen: 0, offset: 0}
  return {
    dec,
    sink,
    stats,
    feed(data, opts = {}) {
      const before = sink.seen.length
      pkt.frame = ++frame
      pkt.tsSec = opts.tsSec ?? 1_700_000_000 + frame
      pkt.tsNsec = opts.tsNsec ?? 0
      pkt.linkType = opts.linkType ?? 1
      pkt.data = data
      pkt.origLen = opts.origLen ?? data.length
      dec.packet(pkt)
      return sink.seen.length > before ? sink.seen[sink.seen.length - 1] : undefined
    },
  }
}

/** Sum of all malformed-reason counters. */
export function badCount(stats: Stats): number {
  let n = 0
  for (const v of stats.malformed.values()) n += v
  return n
}
