/**
 * Capture writers for tests, sample generation and benchmarks: classic pcap (µs or ns, either byte
 * order) and pcapng (sections, interfaces with if_tsresol/if_tsoffset, EPB, SPB, obsolete Packet
 * Blocks, arbitrary custom blocks).
 *
 * Output goes to an internal buffer. Without `onFlush` the buffer grows and toBuffer() returns the
 * whole file. With `onFlush` the buffer is bounded (FLUSH_BYTES): whenever it fills, onFlush receives
 * a view of the pending bytes, which is valid only during the call (write it synchronously, e.g. with
 * fs.writeSync, or copy it); finish() flushes the rest. `fileSink(fd)` builds such a callback.
 */
import {writeSync} from 'node:fs'

/** Buffered output size when streaming through onFlush. */
export const FLUSH_BYTES = 1024 * 1024

export interface WriterOutput {
  /** Receives the written bytes in order; the buffer is reused after the call returns. */
  onFlush?: (chunk: Buffer) => void
}

/** An onFlush callback that writes synchronously to an open file descriptor. */
export function fileSink(fd: number): (chunk: Buffer) => void {
  return (chunk) => {
    let off = 0
    while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off)
  }
}

/** Growable (or, with onFlush, bounded and flushed) byte buffer with endian-aware writes. */
class ByteOut {
  buf: Buffer
  len = 0

  constructor(
    readonly le: boolean,
    private readonly onFlush?: (chunk: Buffer) => void,
  ) {
    this.buf = Buffer.allocUnsafe(onFlush ? FLUSH_BYTES : 64 * 1024)
  }

  /** Makes room for n more bytes. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return
    if (this.onFlush !== undefined) {
      this.flush()
      if (n <= this.buf.length) return
    }
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.len)
    this.buf = next
  }

  flush(): void {
    if (this.onFlush !== undefined && this.len > 0) {
      this.onFlush(this.buf.subarray(0, this.len))
      this.len = 0
    }
  }

  u8(v: number): void {
    this.buf[this.len++] = v
  }

  u16(v: number): void {
    if (this.le) this.buf.writeUInt16LE(v, this.len)
    else this.buf.writeUInt16BE(v, this.len)
    this.len += 2
  }

  u32(v: number): void {
    if (this.le) this.buf.writeUInt32LE(v >>> 0, this.len)
    else this.buf.writeUInt32BE(v >>> 0, this.len)
    this.len += 4
  }

  i64(v: bigint): void {
    if (this.le) this.buf.writeBigInt64LE(v, this.len)
    else this.buf.writeBigInt64BE(v, this.len)
    this.len += 8
  }

  bytes(b: Buffer): void {
    b.copy(this.buf, this.len)
    this.len += b.length
  }

  pad4(): void {
    while ((this.len & 3) !== 0) this.buf[this.len++] = 0
  }

  result(): Buffer {
    if (this.onFlush !== undefined) throw new Error('toBuffer() is not available with onFlush; call finish()')
    return Buffer.from(this.buf.subarray(0, this.len))
  }
}

export interface PcapWriterOptions extends WriterOutput {
  /** LINKTYPE_* value (default 1, Ethernet). */
  linkType?: number
  /** Nanosecond timestamps (magic a1b23c4d) instead of microseconds. */
  nanosecond?: boolean
  /** Header snaplen (default 262144). */
  snaplen?: number
  bigEndian?: boolean
  /** Write the "modified" (Kuznetzov) format with 24-byte record headers (magic a1b2cd34). */
  modified?: boolean
}

/** Classic pcap writer. The file header is written by the constructor. */
export class PcapWriter {
  private readonly out: ByteOut
  private readonly nano: boolean
  private readonly modified: boolean

  constructor(opts: PcapWriterOptions = {}) {
    this.out = new ByteOut(!opts.bigEndian, opts.onFlush)
    this.nano = opts.nanosecond ?? false
    this.modified = opts.modified ?? false
    const o = this.out
    o.reserve(24)
    o.u32(this.modified ? 0xa1b2cd34 : this.nano ? 0xa1b23c4d : 0xa1b2c3d4)
    o.u16(2)
    o.u16(4)
    o.u32(0) // thiszone
    o.u32(0) // sigfigs
    o.u32(opts.snaplen ?? 262144)
    o.u32(opts.linkType ?? 1)
  }

  /**
   * Adds one record. Microsecond files store floor(tsNsec / 1000). `origLen` defaults to
   * data.length; caplen is always data.length.
   */
  add(tsSec: number, tsNsec: number, data: Buffer, origLen?: number): void {
    const o = this.out
    o.reserve(24 + data.length)
    o.u32(tsSec)
    o.u32(this.nano ? tsNsec : Math.floor(tsNsec / 1000))
    o.u32(data.length)
    o.u32(origLen ?? data.length)
    if (this.modified) {
      o.u32(0) // ifindex
      o.u16(0x0800) // protocol
      o.u8(0) // pkt_type
      o.u8(0) // pad
    }
    o.bytes(data)
  }

  /** Appends raw bytes (for building damaged files in tests). */
  addRaw(bytes: Buffer): void {
    this.out.reserve(bytes.length)
    this.out.bytes(bytes)
  }

  toBuffer(): Buffer {
    return this.out.result()
  }

  /** Flushes buffered bytes to onFlush (streaming mode). */
  finish(): void {
    this.out.flush()
  }
}

export interface PcapngInterfaceOptions {
  /** The raw if_tsresol byte: n = 10^-n seconds, 0x80|n = 2^-n seconds. Omitted: option not written (10^-6). */
  tsresol?: number
  /** if_tsoffset in seconds (signed). */
  tsoffset?: number
  snaplen?: number
}

export interface PcapngWriterOptions extends WriterOutput {
  bigEndian?: boolean
}

interface IfaceRes {
  binary: boolean
  exp: number
  offset: number
}

/** pcapng writer. The constructor writes the first Section Header Block. */
export class PcapngWriter {
  private out: ByteOut
  private readonly onFlush?: (chunk: Buffer) => void
  private readonly parts: Buffer[] = []
  private ifaces: IfaceRes[] = []

  constructor(opts: PcapngWriterOptions = {}) {
    this.onFlush = opts.onFlush
    this.out = new ByteOut(!opts.bigEndian, opts.onFlush)
    this.writeShb()
  }

  private writeShb(): void {
    const o = this.out
    o.reserve(28)
    o.u32(0x0a0d0d0a)
    o.u32(28)
    o.u32(0x1a2b3c4d)
    o.u16(1)
    o.u16(0)
    o.i64(-1n) // section length unknown
    o.u32(28)
  }

  /**
   * Starts a new section (a new SHB), possibly in the other byte order. Interfaces are forgotten:
   * interface ids restart at 0.
   */
  newSection(opts: {bigEndian?: boolean} = {}): void {
    if (this.onFlush === undefined) this.parts.push(this.out.result())
    else this.out.flush()
    this.out = new ByteOut(!opts.bigEndian, this.onFlush)
    this.ifaces = []
    this.writeShb()
  }

  /** Adds an Interface Description Block; returns its interface id within the section. */
  addInterface(linkType: number, opts: PcapngInterfaceOptions = {}): number {
    const o = this.out
    let len = 20
    if (opts.tsresol !== undefined) len += 8
    if (opts.tsoffset !== undefined) len += 12
    if (opts.tsresol !== undefined || opts.tsoffset !== undefined) len += 4 // opt_endofopt
    o.reserve(len)
    o.u32(1)
    o.u32(len)
    o.u16(linkType)
    o.u16(0)
    o.u32(opts.snaplen ?? 0)
    if (opts.tsresol !== undefined) {
      o.u16(9)
      o.u16(1)
      o.u8(opts.tsresol)
      o.pad4()
    }
    if (opts.tsoffset !== undefined) {
      o.u16(14)
      o.u16(8)
      o.i64(BigInt(opts.tsoffset))
    }
    if (opts.tsresol !== undefined || opts.tsoffset !== undefined) {
      o.u16(0)
      o.u16(0)
    }
    o.u32(len)
    const raw = opts.tsresol ?? 6
    this.ifaces.push({binary: (raw & 0x80) !== 0, exp: raw & 0x7f, offset: opts.tsoffset ?? 0})
    return this.ifaces.length - 1
  }

  /**
   * Tick count for a time on an interface: (tsSec - if_tsoffset) seconds plus the nanoseconds
   * scaled to the interface resolution (floored). Exact (BigInt; the writer is not a hot path).
   */
  ticksFor(ifIndex: number, tsSec: number, tsNsec: number): bigint {
    const r = this.ifaces[ifIndex]
    if (r === undefined) throw new Error(`no interface ${ifIndex} in this section`)
    const sec = BigInt(tsSec - r.offset)
    const ns = BigInt(tsNsec)
    if (r.binary) {
      const unit = 1n << BigInt(r.exp)
      return sec * unit + (ns * unit) / 1_000_000_000n
    }
    const unit = 10n ** BigInt(r.exp)
    return r.exp >= 9 ? sec * unit + ns * 10n ** BigInt(r.exp - 9) : sec * unit + ns / 10n ** BigInt(9 - r.exp)
  }

  /** Enhanced Packet Block with a time converted by ticksFor(). */
  addEnhanced(ifIndex: number, tsSec: number, tsNsec: number, data: Buffer, origLen?: number): void {
    this.addEnhancedTicks(ifIndex, this.ticksFor(ifIndex, tsSec, tsNsec), data, origLen)
  }

  /** Enhanced Packet Block with a raw 64-bit tick count. */
  addEnhancedTicks(ifIndex: number, ticks: bigint, data: Buffer, origLen?: number): void {
    this.packetBlock(6, ifIndex, ticks, data, origLen)
  }

  /** Obsolete Packet Block (type 2: 16-bit interface id and drop count). */
  addObsoletePacket(ifIndex: number, tsSec: number, tsNsec: number, data: Buffer, origLen?: number): void {
    this.packetBlock(2, ifIndex, this.ticksFor(ifIndex, tsSec, tsNsec), data, origLen)
  }

  private packetBlock(type: number, ifIndex: number, ticks: bigint, data: Buffer, origLen?: number): void {
    const o = this.out
    const len = 32 + ((data.length + 3) & ~3)
    o.reserve(len)
    o.u32(type)
    o.u32(len)
    if (type === 2) {
      o.u16(ifIndex)
      o.u16(0) // drops
    } else {
      o.u32(ifIndex)
    }
    o.u32(Number((ticks >> 32n) & 0xffffffffn))
    o.u32(Number(ticks & 0xffffffffn))
    o.u32(data.length)
    o.u32(origLen ?? data.length)
    o.bytes(data)
    o.pad4()
    o.u32(len)
  }

  /** Simple Packet Block (interface 0, no timestamp). `origLen` defaults to data.length. */
  addSimple(data: Buffer, origLen?: number): void {
    const o = this.out
    const len = 16 + ((data.length + 3) & ~3)
    o.reserve(len)
    o.u32(3)
    o.u32(len)
    o.u32(origLen ?? data.length)
    o.bytes(data)
    o.pad4()
    o.u32(len)
  }

  /** Any block type with the given body (padded to 4 bytes), e.g. to test that unknown blocks are skipped. */
  addCustomBlock(type: number, body: Buffer): void {
    const o = this.out
    const len = 12 + ((body.length + 3) & ~3)
    o.reserve(len)
    o.u32(type)
    o.u32(len)
    o.bytes(body)
    o.pad4()
    o.u32(len)
  }

  toBuffer(): Buffer {
    return Buffer.concat([...this.parts, this.out.result()])
  }

  /** Flushes buffered bytes to onFlush (streaming mode). */
  finish(): void {
    this.out.flush()
  }
}
