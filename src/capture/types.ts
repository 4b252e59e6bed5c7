/**
 * The capture stage's output contract.
 *
 * A reader frames records out of a byte stream and hands each one to a PacketSink, synchronously,
 * in file order. The Packet object is owned by the reader and REUSED for every record: its `data`
 * is a view into the reader's current chunk (or into a reused scratch buffer when a record spans
 * two chunks), valid only until `packet()` returns. A sink that needs bytes later must copy them.
 */

/** Timestamp precision of the source, which decides how many fractional digits events print. */
import type {TsPrecision} from '../util/time.js'

export type {TsPrecision}

export interface Packet {
  /** 1-based frame number across the whole run's current file (as tshark numbers frames). */
  frame: number
  /** Capture time: whole seconds since the Unix epoch (may be negative for broken clocks). */
  tsSec: number
  /** Capture time: nanoseconds within the second, 0..999_999_999. */
  tsNsec: number
  /** LINKTYPE_* value of the interface this record came from. */
  linkType: number
  /** Captured bytes (view; see the ownership rule above). */
  data: Buffer
  /** Length of the packet on the wire (>= data.length). */
  origLen: number
  /** Byte offset of the record's header in the (decompressed) input, for error messages. */
  offset: number
}

export interface PacketSink {
  /** Called once per record, in order. `p` and `p.data` are valid only during the call. */
  packet(p: Packet): void
}

/** What the reader learned from the file header(s); filled before the first packet is delivered. */
export interface CaptureInfo {
  /** 'live': packets from an interface (src/capture/live.ts). */
  format: 'pcap' | 'pcap-ns' | 'pcapng' | 'live'
  /** Whether the file was gzip-compressed (detected by magic bytes). */
  gzip: boolean
  precision: TsPrecision
  /** Link types of all interfaces seen so far (pcap: exactly one). */
  linkTypes: number[]
  snaplen: number
}

/**
 * A capture that cannot be read any further. `offset` is the byte offset in the decompressed input
 * where the damage starts. Everything before it has already been delivered to the sink.
 */
export class CaptureError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    /** 'not-capture': the input is not a capture at all; 'corrupt': it is one, damaged/truncated. */
    readonly kind: 'not-capture' | 'corrupt' | 'io',
  ) {
    super(
      kind === 'io'
        ? `${file}: cannot read: ${reason}`
        : `${file}: ${kind === 'not-capture' ? 'not a capture file' : 'capture damaged'} at byte offset ${offset}: ${reason}`,
    )
    this.name = 'CaptureError'
  }
}

/** LINKTYPE_* values pbx decodes (https://www.tcpdump.org/linktypes.html). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
  /** DLT_RAW as some BSDs number it in pcap headers */
  RAW_BSD12: 12,
  RAW_BSD14: 14,
} as const
