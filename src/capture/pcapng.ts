/**
 * pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html): a sequence of blocks
 * `type(4) total_length(4) body total_length(4)`, grouped into sections that each start with a
 * Section Header Block (SHB) whose byte-order magic decides the byte order of the section.
 *
 * Handled: SHB (4.1: resets the interface list, may switch byte order), IDB (4.2: link type,
 * snaplen, if_tsresol, if_tsoffset), EPB (4.3), SPB (4.4), the obsolete Packet Block (type 2,
 * appendix A), and the Decryption Secrets Block (4.7) when the FrameContext has an onSecrets
 * callback (else it is skipped like the others). Every other block type (NRB, ISB, custom,
 * unknown) is skipped by its length without being buffered; only its trailing length is checked. Custom blocks (0xBAD, 0x40000BAD)
 * and systemd journal blocks still consume a frame number, because tshark numbers them as frames.
 *
 * Simple Packet Blocks carry neither an interface id nor a timestamp: they belong to interface 0,
 * caplen = min(original length, block length - 16, snaplen when non-zero) and pbx gives them the
 * timestamp 0 (1970-01-01T00:00:00Z), as the format offers nothing better.
 */
import {u16be, u16le, u32be, u32le} from '../util/bytes.js'
import type {FrameContext, Framer} from './framer.js'
import {decodeTsresol, finerThanMicro, type TickResolution, ticksOut, ticksToTime} from './ts-ticks.js'
import {type CaptureInfo, CaptureError} from './types.js'

export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 1,
  PACKET: 2,
  SPB: 3,
  NRB: 4,
  ISB: 5,
  EPB: 6,
  DSB: 0x0a,
  SYSTEMD_JOURNAL: 9,
  CUSTOM: 0x00000bad,
  CUSTOM_NO_COPY: 0x40000bad,
} as const

/** DSB secrets types (4.7): 'TLSK' = NSS key log text. */
export const SecretsType = {TLS_KEY_LOG: 0x544c534b, WIREGUARD: 0x57474b4c, ZIGBEE_NWK: 0x5a4e574b, ZIGBEE_APS: 0x5a415053} as const

/**
 * Decryption Secrets Block body (4.7): secrets_type(4) secrets_length(4) data, padded to 32 bits,
 * then options. `pos`/`len` frame the whole block (type .. trailer). Returns a view of the secrets
 * data (valid while the block's buffer is), or an error string when the length overruns the block.
 */
export function parseDecryptionSecrets(buf: Buffer, pos: number, len: number, le: boolean): {type: number; data: Buffer} | string {
  if (len < 20) return 'decryption secrets block too short'
  const type = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8)
  const n = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12)
  if (16 + n + 4 > len) return 'decryption secrets length overruns block'
  return {type, data: buf.subarray(pos + 16, pos + 16 + n)}
}

const BYTE_ORDER_MAGIC = 0x1a2b3c4d
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a

/**
 * Bytes a buffered block (SHB, IDB, packet blocks) may carry beyond limits.maxRecordBytes: block
 * header, packet header fields and options (comments, flags, hashes). Blocks larger than
 * maxRecordBytes + this are treated as corrupt. (Module constant: candidate for Limits.)
 */
export const PCAPNG_BLOCK_SLACK = 64 * 1024

const OPT_ENDOFOPT = 0
const IF_TSRESOL = 9
const IF_TSOFFSET = 14

const DEFAULT_RES: TickResolution = {binary: false, exp: 6}

export class PcapngFramer implements Framer {
  /** Byte order of the current section. */
  private le = true
  private readonly maxRecord: number
  private readonly maxBlock: number
  // Interfaces of the current section, by interface id (reset by every SHB).
  private ifLinkType: number[] = []
  private ifSnaplen: number[] = []
  private ifRes: TickResolution[] = []
  private ifOffset: number[] = []
  // A skipped block: its offset and total length while its body is discarded and its trailer is due.
  private skipOffset = -1
  private skipTotal = 0
  private info: CaptureInfo | null = null

  constructor(private readonly ctx: FrameContext) {
    this.maxRecord = ctx.limits.maxRecordBytes
    this.maxBlock = ctx.limits.maxRecordBytes + PCAPNG_BLOCK_SLACK
  }

  private corrupt(offset: number, reason: string): CaptureError {
    return new CaptureError(this.ctx.file, offset, reason, 'corrupt')
  }

  frame(buf: Buffer, pos: number, avail: number, offset: number): number {
    if (this.skipOffset >= 0) return 4 // the trailer of a skipped block
    if (avail < 8) return -8
    let le = this.le
    const type = le ? u32le(buf, pos) : u32be(buf, pos) // SHB type is a palindrome
    if (type === BlockType.SHB) {
      if (avail < 12) return -12
      const bom = u32le(buf, pos + 8)
      if (bom === BYTE_ORDER_MAGIC) le = true
      else if (bom === BYTE_ORDER_MAGIC_SWAPPED) le = false
      else if (offset === 0) throw new CaptureError(this.ctx.file, 0, 'pcapng byte-order magic missing', 'not-capture')
      else throw this.corrupt(offset, 'section header with a bad byte-order magic')
    }
    const total = le ? u32le(buf, pos + 4) : u32be(buf, pos + 4)
    if (total < 12 || (total & 3) !== 0) {
      throw this.corrupt(offset, `block type ${type} has invalid total length ${total}`)
    }
    let min: number
    switch (type) {
      case BlockType.SHB:
        min = 28
        break
      case BlockType.IDB:
        min = 20
        break
      case BlockType.EPB:
      case BlockType.PACKET:
        min = 32
        break
      case BlockType.SPB:
        min = 16
        break
      case BlockType.DSB:
        if (this.ctx.onSecrets === undefined) return 8
        min = 20
        break
      default:
        return 8 // header only; unit() arranges for the body to be skipped
    }
    if (total < min) throw this.corrupt(offset, `block type ${type} too short (${total} bytes)`)
    if (total > this.maxBlock) {
      throw this.corrupt(offset, `block of ${total} bytes exceeds maxRecordBytes ${this.maxRecord} (+ ${PCAPNG_BLOCK_SLACK} for headers)`)
    }
    return total
  }

  /**
   * Fast path for runs of Enhanced Packet Blocks (the common case): each complete, well-formed EPB
   * is handed to packetBlock() as unit() would; any other block, or one that frame()/unit() would
   * reject, stops the walk there so that the ordinary path deals with it (same errors).
   */
  walk(buf: Buffer, pos: number, end: number, offset: number): number {
    if (this.skipOffset >= 0) return 0
    const le = this.le
    const maxBlock = this.maxBlock
    let p = pos
    while (end - p >= 12) {
      if ((le ? u32le(buf, p) : u32be(buf, p)) !== BlockType.EPB) break
      const total = le ? u32le(buf, p + 4) : u32be(buf, p + 4)
      if (total < 32 || (total & 3) !== 0 || total > maxBlock || total > end - p) break
      if ((le ? u32le(buf, p + total - 4) : u32be(buf, p + total - 4)) !== total) break
      this.packetBlock(buf, p, total, offset + (p - pos), le ? u32le(buf, p + 8) : u32be(buf, p + 8))
      p += total
    }
    return p - pos
  }

  unit(buf: Buffer, pos: number, len: number, offset: number): number {
    const le = this.le
    if (this.skipOffset >= 0) {
      const trailer = le ? u32le(buf, pos) : u32be(buf, pos)
      if (trailer !== this.skipTotal) throw this.corrupt(this.skipOffset, 'trailing block length does not match')
      this.skipOffset = -1
      return 0
    }
    const type = le ? u32le(buf, pos) : u32be(buf, pos)
    if (len === 8 && type !== BlockType.SHB) {
      // Unknown or uninteresting block: discard the body, then check the trailer.
      // Wireshark turns custom and systemd-journal blocks into records with a frame number of
      // their own; consume one so that pbx's frame numbers stay equal to tshark's.
      if (type === BlockType.CUSTOM || type === BlockType.CUSTOM_NO_COPY || type === BlockType.SYSTEMD_JOURNAL) {
        this.ctx.skipFrame()
      }
      this.skipOffset = offset
      this.skipTotal = le ? u32le(buf, pos + 4) : u32be(buf, pos + 4)
      return this.skipTotal - 12
    }
    if (type === BlockType.SHB) {
      // A section of another major version cannot be interpreted (4.1); stop as Wireshark does.
      const major = u32le(buf, pos + 8) === BYTE_ORDER_MAGIC ? u16le(buf, pos + 12) : u16be(buf, pos + 12)
      if (major !== 1) throw this.corrupt(offset, `unsupported pcapng section version ${major}`)
      this.section(buf, pos)
    }
    const ble = this.le
    const trailer = ble ? u32le(buf, pos + len - 4) : u32be(buf, pos + len - 4)
    if (trailer !== len) throw this.corrupt(offset, 'trailing block length does not match')
    switch (type) {
      case BlockType.IDB:
        this.interface(buf, pos, len)
        break
      case BlockType.EPB:
        this.packetBlock(buf, pos, len, offset, ble ? u32le(buf, pos + 8) : u32be(buf, pos + 8))
        break
      case BlockType.PACKET:
        this.packetBlock(buf, pos, len, offset, ble ? u16le(buf, pos + 8) : u16be(buf, pos + 8))
        break
      case BlockType.SPB:
        this.simplePacket(buf, pos, len, offset)
        break
      case BlockType.DSB: {
        const r = parseDecryptionSecrets(buf, pos, len, ble)
        if (typeof r === 'string') this.ctx.stats.bad(`pcapng: ${r}`)
        else this.ctx.onSecrets?.(r.type, r.data, offset)
        break
      }
    }
    return 0
  }

  /** SHB (4.1): byte order; forgets the previous section's interfaces. */
  private section(buf: Buffer, pos: number): void {
    const le = buf.readUInt32LE(pos + 8) === BYTE_ORDER_MAGIC
    this.le = le
    this.ifLinkType.length = 0
    this.ifSnaplen.length = 0
    this.ifRes.length = 0
    this.ifOffset.length = 0
    if (this.info === null) {
      this.info = {format: 'pcapng', gzip: false, precision: 'us', linkTypes: [], snaplen: 0}
      this.ctx.setInfo(this.info)
    }
  }

  /** IDB (4.2): link type, snaplen and the if_tsresol / if_tsoffset options. */
  private interface(buf: Buffer, pos: number, len: number): void {
    const le = this.le
    const linkType = le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8)
    const snaplen = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12)
    let res = DEFAULT_RES
    let tsOffset = 0
    const end = pos + len - 4
    let o = pos + 16
    while (o + 4 <= end) {
      const code = le ? buf.readUInt16LE(o) : buf.readUInt16BE(o)
      const olen = le ? buf.readUInt16LE(o + 2) : buf.readUInt16BE(o + 2)
      if (code === OPT_ENDOFOPT) break
      const v = o + 4
      if (v + olen > end) {
        this.ctx.stats.bad('pcapng: option overruns block')
        break
      }
      if (code === IF_TSRESOL && olen >= 1) res = decodeTsresol(buf[v])
      else if (code === IF_TSOFFSET && olen >= 8) {
        // Signed 64-bit seconds; read once per interface, so a BigInt here is off the hot path.
        tsOffset = Number(le ? buf.readBigInt64LE(v) : buf.readBigInt64BE(v))
      }
      o = v + ((olen + 3) & ~3)
    }
    this.ifLinkType.push(linkType)
    this.ifSnaplen.push(snaplen)
    this.ifRes.push(res)
    this.ifOffset.push(tsOffset)
    const info = this.info!
    if (!info.linkTypes.includes(linkType)) info.linkTypes.push(linkType)
    if (finerThanMicro(res)) info.precision = 'ns'
    if (snaplen > info.snaplen) info.snaplen = snaplen
  }

  /** EPB (4.3) and the obsolete Packet Block: same layout after the interface id field. */
  private packetBlock(buf: Buffer, pos: number, len: number, offset: number, ifId: number): void {
    const ctx = this.ctx
    const stats = ctx.stats
    const le = this.le
    if (ifId >= this.ifLinkType.length) {
      stats.bad('pcapng: unknown interface id')
      return
    }
    const caplen = le ? u32le(buf, pos + 20) : u32be(buf, pos + 20)
    if (caplen > this.maxRecord) {
      throw this.corrupt(offset, `record caplen ${caplen} exceeds maxRecordBytes ${this.maxRecord}`)
    }
    if (28 + caplen + 4 > len) {
      stats.bad('pcapng: caplen exceeds block')
      return
    }
    const origLen = le ? u32le(buf, pos + 24) : u32be(buf, pos + 24)
    const snaplen = this.ifSnaplen[ifId]
    if (caplen > snaplen && snaplen !== 0) stats.bad('pcapng: caplen > snaplen')
    if (caplen > origLen) stats.bad('pcapng: caplen > origlen')
    const hi = le ? u32le(buf, pos + 12) : u32be(buf, pos + 12)
    const lo = le ? u32le(buf, pos + 16) : u32be(buf, pos + 16)
    ticksToTime(hi, lo, this.ifRes[ifId])
    const p = ctx.packet
    p.tsSec = ticksOut.sec + this.ifOffset[ifId]
    p.tsNsec = ticksOut.nsec
    p.linkType = this.ifLinkType[ifId]
    p.origLen = origLen
    p.offset = offset
    p.setBytes(buf, pos + 28, caplen)
    ctx.deliver()
  }

  /** SPB (4.4): interface 0, no timestamp (pbx uses 0), caplen derived from the block length. */
  private simplePacket(buf: Buffer, pos: number, len: number, offset: number): void {
    const ctx = this.ctx
    if (this.ifLinkType.length === 0) {
      ctx.stats.bad('pcapng: simple packet block without interface')
      return
    }
    const origLen = this.le ? u32le(buf, pos + 8) : u32be(buf, pos + 8)
    let caplen = len - 16
    if (origLen < caplen) caplen = origLen
    const snaplen = this.ifSnaplen[0]
    if (snaplen !== 0 && snaplen < caplen) caplen = snaplen
    const p = ctx.packet
    p.tsSec = 0
    p.tsNsec = 0
    p.linkType = this.ifLinkType[0]
    p.origLen = origLen
    p.offset = offset
    p.setBytes(buf, pos + 12, caplen)
    ctx.deliver()
  }

  pendingBlockOffset(): number {
    return this.skipOffset
  }

  finish(): void {}
}
