/**
 * A small streaming pcapng writer for the product (`pbx live --write`): one section, one
 * interface, Enhanced Packet Blocks (draft-ietf-opsawg-pcapng sections 4.1, 4.2, 4.3), little
 * endian. Blocks are assembled in one preallocated buffer and written to the file with writeSync
 * when it fills, on flush() and on close(), so packet() allocates nothing and never awaits.
 *
 * Errors: open() throws a PcapngWriteError naming the file. A failed write later (disk full)
 * never throws out of packet(): the first error is kept in `error`, the packets after it are
 * counted in `lost` and not written, and the caller reports it at the end of the run.
 */
import {closeSync, openSync, writeSync} from 'node:fs'

/** Buffered bytes before a write to the file (larger than any record: snaplen is 65535). */
const BUFFER_BYTES = 1024 * 1024
const SHB = 0x0a0d0d0a
const IDB = 0x00000001
const EPB = 0x00000006
const BOM = 0x1a2b3c4d
const OPT_ENDOFOPT = 0
const SHB_USERAPPL = 4
const IF_NAME = 2
const IF_TSRESOL = 9
const TWO32 = 0x1_0000_0000

export class PcapngWriteError extends Error {
  override name = 'PcapngWriteError'
}

export interface PcapngWriterOptions {
  /** LINKTYPE_* of the single interface. */
  linkType: number
  snaplen: number
  /** Timestamp resolution written in if_tsresol: 'ns' (10^-9) or 'us' (10^-6, pcapng's default). */
  resolution: 'us' | 'ns'
  /** if_name option (e.g. the capture interface); omitted when empty. */
  interfaceName?: string
}

export class PcapngWriter {
  /** Packets written (or buffered to be written). */
  packets = 0
  /** Packets not written because of `error`. */
  lost = 0
  /** The first write error; nothing is written after it. */
  error: PcapngWriteError | null = null
  private readonly buf = Buffer.allocUnsafe(BUFFER_BYTES)
  private len = 0
  private fd: number | null
  private readonly ns: boolean

  private constructor(
    readonly path: string,
    fd: number,
    opts: PcapngWriterOptions,
  ) {
    this.fd = fd
    this.ns = opts.resolution === 'ns'
    this.header(opts)
  }

  /** Creates (truncates) `path` and writes the section and interface headers into the buffer. */
  static open(path: string, opts: PcapngWriterOptions): PcapngWriter {
    let fd: number
    try {
      fd = openSync(path, 'w')
    } catch (e) {
      throw new PcapngWriteError(`${path}: cannot create: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    return new PcapngWriter(path, fd, opts)
  }

  private header(o: PcapngWriterOptions): void {
    const b = this.buf
    const appl = Buffer.from('pbx', 'utf8')
    // SHB (24 fixed bytes): type, length, BOM, version 1.0, section length -1 (unknown); then
    // shb_userappl, opt_endofopt and the trailing length
    const shbLen = 24 + option(appl.length) + 4 + 4
    let o2 = 0
    o2 = b.writeUInt32LE(SHB, o2)
    o2 = b.writeUInt32LE(shbLen, o2)
    o2 = b.writeUInt32LE(BOM, o2)
    o2 = b.writeUInt16LE(1, o2)
    o2 = b.writeUInt16LE(0, o2)
    o2 = b.writeInt32LE(-1, o2)
    o2 = b.writeInt32LE(-1, o2)
    o2 = putOption(b, o2, SHB_USERAPPL, appl)
    o2 = b.writeUInt32LE(OPT_ENDOFOPT, o2)
    o2 = b.writeUInt32LE(shbLen, o2)
    // IDB (16 fixed bytes): type, length, link type, reserved, snaplen; then [if_name],
    // [if_tsresol], opt_endofopt and the trailing length
    const name = o.interfaceName ? Buffer.from(o.interfaceName, 'utf8') : null
    const idbLen = 16 + (name ? option(name.length) : 0) + (this.ns ? option(1) : 0) + 4 + 4
    o2 = b.writeUInt32LE(IDB, o2)
    o2 = b.writeUInt32LE(idbLen, o2)
    o2 = b.writeUInt16LE(o.linkType, o2)
    o2 = b.writeUInt16LE(0, o2)
    o2 = b.writeUInt32LE(o.snaplen >>> 0, o2)
    if (name) o2 = putOption(b, o2, IF_NAME, name)
    if (this.ns) o2 = putOption(b, o2, IF_TSRESOL, Buffer.of(9))
    o2 = b.writeUInt32LE(OPT_ENDOFOPT, o2)
    o2 = b.writeUInt32LE(idbLen, o2)
    this.len = o2
  }

  /**
   * Appends one EPB. `data` is copied into the buffer before the call returns (a view that is
   * reused afterwards is fine). `origLen` is the length on the wire (>= data.length).
   */
  packet(tsSec: number, tsNsec: number, data: Buffer, origLen: number): void {
    if (this.error !== null || this.fd === null) {
      this.lost++
      return
    }
    const cap = data.length
    const padded = (cap + 3) & ~3
    const total = 32 + padded
    if (this.len + total > this.buf.length) {
      this.flush()
      if (this.error !== null) {
        this.lost++
        return
      }
    }
    // Timestamp in units of the resolution as two 32-bit halves, exactly: no BigInt per packet.
    // V = sec * R + frac = A * 2^16 + B with A = floor(sec / 2^16) * R, B = (sec mod 2^16) * R + frac.
    const sec = Math.max(0, tsSec)
    const r = this.ns ? 1e9 : 1e6
    const frac = this.ns ? tsNsec : Math.floor(tsNsec / 1000)
    const a = Math.floor(sec / 65536) * r
    const lowSum = (a % 65536) * 65536 + (sec % 65536) * r + frac
    const low = lowSum % TWO32
    const high = Math.floor(a / 65536) + Math.floor(lowSum / TWO32)
    const b = this.buf
    let o = this.len
    o = b.writeUInt32LE(EPB, o)
    o = b.writeUInt32LE(total, o)
    o = b.writeUInt32LE(0, o)
    o = b.writeUInt32LE(high >>> 0, o)
    o = b.writeUInt32LE(low >>> 0, o)
    o = b.writeUInt32LE(cap, o)
    o = b.writeUInt32LE(Math.max(origLen, cap) >>> 0, o)
    data.copy(b, o)
    o += cap
    while (o & 3) b[o++] = 0
    o = b.writeUInt32LE(total, o)
    this.len = o
    this.packets++
  }

  /** Writes the buffered bytes to the file (synchronously). */
  flush(): void {
    if (this.fd === null || this.error !== null || this.len === 0) return
    try {
      let off = 0
      while (off < this.len) off += writeSync(this.fd, this.buf, off, this.len - off)
    } catch (e) {
      this.error = new PcapngWriteError(`${this.path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    this.len = 0
  }

  /** Flushes and closes the file; returns the first error, if any. Idempotent. */
  close(): PcapngWriteError | null {
    if (this.fd === null) return this.error
    this.flush()
    try {
      closeSync(this.fd)
    } catch (e) {
      this.error ??= new PcapngWriteError(`${this.path}: cannot close: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    this.fd = null
    return this.error
  }
}

/** Bytes of one option with `n` value bytes: code, length, value padded to 32 bits. */
function option(n: number): number {
  return 4 + ((n + 3) & ~3)
}

function putOption(b: Buffer, at: number, code: number, value: Buffer): number {
  let o = b.writeUInt16LE(code, at)
  o = b.writeUInt16LE(value.length, o)
  value.copy(b, o)
  o += value.length
  while (o & 3) b[o++] = 0
  return o
}
