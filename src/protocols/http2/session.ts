/**
 * The HTTP/2 session: the one StreamHandler of an h2c connection (call order:
 * ../../reassembly/types.ts). It owns a FrameReader (./parser.ts) and an HPACK decoder
 * (./hpack.ts) per direction and turns frames into stream events for the matcher (./matcher.ts):
 *   HEADERS / PUSH_PROMISE + CONTINUATION: the fragments of one header block are joined (bounded by
 *     limits.maxHeaderBytes) and decoded in frame order - the HPACK context depends on it;
 *   DATA: padding removed, payload counted (and gRPC messages, in the matcher);
 *   RST_STREAM, GOAWAY: anomalies on the streams concerned;
 *   SETTINGS: SETTINGS_HEADER_TABLE_SIZE of one side bounds the table size updates of the other
 *     side's encoder (capped by limits.http2MaxHeaderTableBytes);
 *   PRIORITY, WINDOW_UPDATE, PING: only counted (flow control is not modelled: a passive observer
 *     sees what was sent whatever the windows were).
 * A direction stops (every later byte ignored, a note on the open streams) on a gap, a framing
 * error or an HPACK error: HTTP/2 has no resynchronisation point and the header compression
 * context is lost with the first missing header block.
 */
import {type AnomalyCode, note} from '../../event/anomalies.js'
import type {Stamp} from '../../event/transaction.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {DEFAULT_TABLE_SIZE, type HeaderField, HpackDecoder} from './hpack.js'
import {Http2Matcher, type UpgradedRequest} from './matcher.js'
import {type Frame, Flag, FrameReader, FrameType, unpad} from './parser.js'

/** A header block being assembled from HEADERS/PUSH_PROMISE + CONTINUATION frames. */
interface Block {
  stream: number
  /** The promised stream of a PUSH_PROMISE, 0 for HEADERS. */
  promised: number
  endStream: boolean
  parts: Buffer[]
  length: number
  size: number
  start: Stamp
}

export class Http2Session implements StreamHandler {
  private readonly readers: [FrameReader, FrameReader]
  private readonly hpack: [HpackDecoder, HpackDecoder]
  private readonly matcher: Http2Matcher
  private readonly block: [Block | null, Block | null] = [null, null]
  private readonly sinks: [(f: Frame, s: Stamp) => void, (f: Frame, s: Stamp) => void]
  private readonly maxTable: number
  private at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}

  /**
   * @param upgraded the HTTP/1.1 request of an `Upgrade: h2c` switch: it becomes stream 1, whose
   *   response the server sends as HTTP/2 (RFC 7540 section 3.2)
   * @param clientPreface whether the client direction starts with the connection preface (it does
   *   for prior knowledge and after an HTTP/1.1 Upgrade alike; false for mid-stream input).
   */
  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
    upgraded: UpgradedRequest | null = null,
    clientPreface = true,
  ) {
    const max = ctx.limits.maxMessageBytes
    this.readers = [new FrameReader(clientPreface, max), new FrameReader(false, max)]
    this.maxTable = ctx.limits.http2MaxHeaderTableBytes
    const cap = Math.min(DEFAULT_TABLE_SIZE, this.maxTable)
    this.hpack = [new HpackDecoder(cap, ctx.limits.maxHeaderBytes), new HpackDecoder(cap, ctx.limits.maxHeaderBytes)]
    this.matcher = new Http2Matcher(conn, ctx)
    this.sinks = [(f, s) => this.frame(0, f, s), (f, s) => this.frame(1, f, s)]
    if (upgraded !== null) this.matcher.onUpgraded(upgraded)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    const r = this.readers[dir]
    if (r.dead) return
    this.at = at
    r.push(bytes, at, this.sinks[dir])
    if (r.dead && r.reason === 'bad connection preface') this.stop(dir, 'http2.malformed', 'not HTTP/2: bad connection preface')
    else if (r.dead && r.reason.startsWith('frame of')) this.stop(dir, 'limit.message_bytes', `${r.reason}: rest of the ${side(dir)} stream not parsed`)
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    if (this.readers[dir].dead) return
    this.stop(dir, 'tcp.gap', `gap: ${nbytes} bytes missing in the ${side(dir)} stream; rest of it not parsed`)
  }

  end(_reason: EndReason, _at: Moment): void {
    for (const d of [0, 1] as const) {
      const r = this.readers[d]
      if (!r.dead && (r.pending > 0 || this.block[d] !== null)) {
        this.ctx.stats.bad('http2: connection ended inside a frame')
        this.matcher.connNote(note('tcp.end_inside_message', `connection ended inside a ${side(d)} frame`))
      }
    }
    this.matcher.end()
  }

  private stop(dir: Dir, code: AnomalyCode, text: string): void {
    this.readers[dir].die(text)
    this.block[dir] = null
    this.ctx.stats.bad('http2: ' + text)
    this.matcher.connNote(note(code, text))
  }

  private frame(dir: Dir, f: Frame, start: Stamp): void {
    const pending = this.block[dir]
    if (pending !== null && (f.type !== FrameType.CONTINUATION || f.stream !== pending.stream)) {
this.stop(dir, 'http2.malformed', `${side(dir)} frame type ${f.type} inside a header block (CONTINUATION expected)`)
return
    }
    switch (f.type) {
      case FrameType.DATA: {
        const r = unpad(f.payload, f.flags, 0)
        if (r === null || f.stream === 0) {
this.stop(dir, 'http2.malformed', `bad ${side(dir)} DATA frame`)
return
}
        this.matcher.onData(dir, f.stream, f.payload, r[0], r[1], (f.flags & Flag.END_STREAM) !== 0, f.size, this.at)
        return
      }
      case FrameType.HEADERS: {
        const r = unpad(f.payload, f.flags, f.flags & Flag.PRIORITY ? 5 : 0)
        if (r === null || f.stream === 0) {
this.stop(dir, 'http2.malformed', `bad ${side(dir)} HEADERS frame`)
return
}
this.fragment(dir, f, start, f.stream, 0, r, (f.flags & Flag.END_STREAM) !== 0)
return
      }
      case FrameType.PUSH_PROMISE: {
        const r = unpad(f.payload, f.flags, 4)
        if (r === null || dir === 0 || f.stream === 0) {
this.stop(dir, 'http2.malformed', `bad ${side(dir)} PUSH_PROMISE frame`)
return
}
        const promised = f.payload.readUInt32BE(r[0] - 4) & 0x7fffffff
this.fragment(dir, f, start, f.stream, promised, r, false)
return
      }
      case FrameType.CONTINUATION: {
        if (pending === null) {
this.stop(dir, 'http2.malformed', `${side(dir)} CONTINUATION without a header block`)
return
}
        this.append(dir, pending, f.payload, 0, f.payload.length, f.size)
        if (pending !== null && f.flags & Flag.END_HEADERS && this.block[dir] === pending) this.finish(dir, pending)
        return
      }
      case FrameType.RST_STREAM: {
        if (f.payload.length !== 4 || f.stream === 0) {
this.stop(dir, 'http2.malformed', `bad ${side(dir)} RST_STREAM frame`)
return
}
        this.matcher.onReset(dir, f.stream, f.payload.readUInt32BE(0), f.size, this.at)
        return
      }
      case FrameType.SETTINGS: {
        if (f.flags & Flag.END_STREAM) return // ACK
        if (f.payload.length % 6 !== 0 || f.stream !== 0) {
this.stop(dir, 'http2.malformed', `bad ${side(dir)} SETTINGS frame`)
return
}
        for (let i = 0; i < f.payload.length; i += 6) {
          // SETTINGS_HEADER_TABLE_SIZE of this side: how large the peer's encoder may make its table.
          if (f.payload.readUInt16BE(i) === 0x1) {
            this.hpack[dir === 0 ? 1 : 0].setMaxTableSize(Math.min(f.payload.readUInt32BE(i + 2), this.maxTable))
          }
        }
        return
      }
      case FrameType.GOAWAY: {
        if (f.payload.length < 8) {
this.stop(dir, 'http2.malformed', `bad ${side(dir)} GOAWAY frame`)
return
}
        this.matcher.onGoaway(dir, f.payload.readUInt32BE(0) & 0x7fffffff, f.payload.readUInt32BE(4))
        return
      }
      case FrameType.PRIORITY:
      case FrameType.WINDOW_UPDATE:
        if (f.stream !== 0) this.matcher.onFrame(dir, f.stream, f.size)
        return
      default:
        // PING, and unknown frame types (ignored, RFC 9113 section 4.1).
        return
    }
  }

  private fragment(dir: Dir, f: Frame, start: Stamp, stream: number, promised: number, r: [number, number], endStream: boolean): void {
    const b: Block = {
      stream,
      promised,
      endStream,
      parts: [],
      length: 0,
      size: 0,
      start: {tsSec: start.tsSec, tsNsec: start.tsNsec, frame: start.frame},
    }
    if (f.flags & Flag.END_HEADERS) {
      // The common case: one frame, decoded from the view without a copy.
      b.size = f.size
      this.decode(dir, b, f.payload.subarray(r[0], r[1]))
      return
    }
    this.block[dir] = b
    this.append(dir, b, f.payload, r[0], r[1], f.size)
  }

  private append(dir: Dir, b: Block, p: Buffer, from: number, to: number, size: number): void {
    b.size += size
    b.length += to - from
    if (b.length > this.ctx.limits.maxHeaderBytes) {
      this.ctx.stats.limit('maxHeaderBytes')
this.stop(dir, 'limit.header_bytes', `${side(dir)} header block larger than maxHeaderBytes; rest of the ${side(dir)} stream not parsed`)
return
    }
    // Fragments are views valid during this frame only: copied.
    b.parts.push(Buffer.from(p.subarray(from, to)))
  }

  private finish(dir: Dir, b: Block): void {
    this.block[dir] = null
    this.decode(dir, b, b.parts.length === 1 ? b.parts[0]! : Buffer.concat(b.parts, b.length))
  }

  private decode(dir: Dir, b: Block, src: Buffer): void {
    const out: HeaderField[] = []
    const d = this.hpack[dir]
    if (!d.decode(src, out)) {
this.stop(dir, 'http2.hpack', `${side(dir)} header block not decodable (${d.reason}); rest of the ${side(dir)} stream not parsed`)
return
    }
    if (b.promised !== 0) this.matcher.onPushPromise(b.promised, out, b.size, b.start)
    else this.matcher.onHeaders(dir, b.stream, out, b.endStream, b.size, b.start, this.at)
  }
}

function side(dir: Dir): string {
  return dir === 0 ? 'client' : 'server'
}
