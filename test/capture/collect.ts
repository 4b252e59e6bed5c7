/** Test helpers: run the push parser over a buffer (whole, or in given pieces) and record everything. */
import {CaptureParser} from '../../src/capture/parser.js'
import {type CaptureInfo, CaptureError, type Packet} from '../../src/capture/types.js'
import {type Limits, makeLimits} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'

export interface SeenPacket {
  frame: number
  tsSec: number
  tsNsec: number
  linkType: number
  origLen: number
  offset: number
  /** Copied: the parser's view is only valid during the sink call. */
  data: string
}

export interface Run {
  packets: SeenPacket[]
  error: CaptureError | null
  stats: Stats
  info: CaptureInfo | null
  infoCalls: number
  /** Number of packets delivered before onInfo was called (-1: never called). */
  infoAt: number
}

export function snapshot(p: Packet): SeenPacket {
  return {
    frame: p.frame,
    tsSec: p.tsSec,
    tsNsec: p.tsNsec,
    linkType: p.linkType,
    origLen: p.origLen,
    offset: p.offset,
    data: p.data.toString('hex'),
  }
}

/** Parses `input` pushed as the given pieces (default: one piece). Errors are captured, not thrown. */
export function parse(input: Buffer, pieces?: Buffer[], limits: Limits = makeLimits()): Run {
  const packets: SeenPacket[] = []
  const stats = new Stats()
  let infoCalls = 0
  let infoAt = -1
  const parser = new CaptureParser('t.cap', {packet: (p) => packets.push(snapshot(p))}, limits, stats, () => {
    infoCalls++
    infoAt = packets.length
  })
  let error: CaptureError | null = null
  try {
    for (const c of pieces ?? [input]) parser.push(c)
    parser.end()
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e
    error = e
  }
  return {packets, error, stats, info: parser.info, infoCalls, infoAt}
}

/** Splits a buffer at the given offsets. */
export function splitAt(input: Buffer, ...cuts: number[]): Buffer[] {
  const out: Buffer[] = []
  let prev = 0
  for (const c of cuts) {
    out.push(input.subarray(prev, c))
    prev = c
  }
  out.push(input.subarray(prev))
  return out
}

/** Splits a buffer into pieces of n bytes. */
export function chunksOf(input: Buffer, n: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < input.length; i += n) out.push(input.subarray(i, i + n))
  return out
}

/** A recognisable payload of n bytes. */
export function payload(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + 1) & 0xff
  return b
}
