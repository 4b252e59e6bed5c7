/**
 * Classic libpcap file format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html):
 * a 24-byte file header, then records of a 16-byte header (ts_sec, ts_frac, caplen, origlen)
 * followed by caplen bytes. Byte order and timestamp unit come from the magic number.
 * The "modified" (Kuznetzov, patched libpcap 2.3) variant adds 8 bytes to every record header
 * (ifindex, protocol, pkt_type, pad), which are skipped.
 */
import {u16be, u16le, u32be, u32le} from '../util/bytes.js'
import type {FrameContext, Framer} from './framer.js'
import {CaptureError} from './types.js'

export const PCAP_FILE_HEADER_LEN = 24

/** Magic numbers as read big-endian from the first four bytes of the file. */
export const PcapMagic = {
  US_BE: 0xa1b2c3d4,
  US_LE: 0xd4c3b2a1,
  NS_BE: 0xa1b23c4d,
  NS_LE: 0x4d3cb2a1,
  KUZNETZOV_BE: 0xa1b2cd34,
  KUZNETZOV_LE: 0x34cdb2a1,
} as const

/** Whether the first four bytes (read big-endian) are a pcap magic number. */
export function isPcapMagic(m: number): boolean {
  return (
    m === PcapMagic.US_BE ||
    m === PcapMagic.US_LE ||
    m === PcapMagic.NS_BE ||
    m === PcapMagic.NS_LE ||
    m === PcapMagic.KUZNETZOV_BE ||
    m === PcapMagic.KUZNETZOV_LE
  )
}

/** LINKTYPE_* lives in the low 26 bits; the upper bits may carry FCS information (draft 8.2). */
const LINKTYPE_MASK = 0x03ffffff

export class PcapFramer implements Framer {
  private headerDone = false
  private le = true
  private nano = false
  /** 16, or 24 for the Kuznetzov variant. */
  private recHdrLen = 16
  private snaplen = 0
  private linkType = 0
  private readonly maxRecord: number

  constructor(private readonly ctx: FrameContext) {
    this.maxRecord = ctx.limits.maxRecordBytes
  }

  frame(buf: Buffer, pos: number, avail: number, offset: number): number {
    if (!this.headerDone) return PCAP_FILE_HEADER_LEN
    const hl = this.recHdrLen
    if (avail < hl) return -hl
    const caplen = this.le ? u32le(buf, pos + 8) : u32be(buf, pos + 8)
    if (caplen > this.maxRecord) {
      throw new CaptureError(
        this.ctx.file,
        offset,
        `record caplen ${caplen} exceeds maxRecordBytes ${this.maxRecord}`,
        'corrupt',
      )
    }
    return hl + caplen
  }

  walk(buf: Buffer, pos: number, end: number, offset: number): number {
    if (!this.headerDone) return 0
    const hl = this.recHdrLen
    const le = this.le
    const max = this.maxRecord
    let p = pos
    while (end - p >= hl) {
      const caplen = le ? u32le(buf, p + 8) : u32be(buf, p + 8)
      if (caplen > max) {
        throw new CaptureError(this.ctx.file, offset + (p - pos), `record caplen ${caplen} exceeds maxRecordBytes ${max}`, 'corrupt')
      }
      const len = hl + caplen
      if (len > end - p) break
      this.record(buf, p, caplen, offset + (p - pos))
      p += len
    }
    return p - pos
  }

  unit(buf: Buffer, pos: number, len: number, offset: number): number {
    if (!this.headerDone) {
      this.fileHeader(buf, pos)
      return 0
    }
    this.record(buf, pos, len - this.recHdrLen, offset)
    return 0
  }

  /** One record: its header at buf[pos], `caplen` captured bytes after it. */
  private record(buf: Buffer, pos: number, caplen: number, offset: number): void {
    const ctx = this.ctx
    const stats = ctx.stats
    const le = this.le
    // Unsigned (draft section 5), as libpcap, Wireshark's wiretap and capinfos read it.
    const tsSec = le ? u32le(buf, pos) : u32be(buf, pos)
    const frac = le ? u32le(buf, pos + 4) : u32be(buf, pos + 4)
    const origLen = le ? u32le(buf, pos + 12) : u32be(buf, pos + 12)
    if (caplen > this.snaplen && this.snaplen !== 0) stats.bad('pcap: caplen > snaplen')
    if (caplen > origLen) stats.bad('pcap: caplen > origlen')
    const p = ctx.packet
    let nsec = this.nano ? frac : frac * 1000
    let sec = tsSec
    if (nsec >= 1e9) {
      // An out-of-range fraction (seen from broken writers): carry it into the seconds.
      stats.bad('pcap: timestamp fraction out of range')
      const carry = Math.floor(nsec / 1e9)
      sec += carry
      nsec -= carry * 1e9
    }
    p.tsSec = sec
    p.tsNsec = nsec
    p.linkType = this.linkType
    p.origLen = origLen
    p.offset = offset
    p.setBytes(buf, pos + this.recHdrLen, caplen)
    ctx.deliver()
  }

  private fileHeader(buf: Buffer, pos: number): void {
    const magic = u32be(buf, pos)
    this.le =
      magic === PcapMagic.US_LE || magic === PcapMagic.NS_LE || magic === PcapMagic.KUZNETZOV_LE
    this.nano = magic === PcapMagic.NS_BE || magic === PcapMagic.NS_LE
    if (magic === PcapMagic.KUZNETZOV_BE || magic === PcapMagic.KUZNETZOV_LE) this.recHdrLen = 24
    const le = this.le
    const major = le ? u16le(buf, pos + 4) : u16be(buf, pos + 4)
    if (major !== 2) this.ctx.stats.bad('pcap: unexpected major version')
    this.snaplen = le ? u32le(buf, pos + 16) : u32be(buf, pos + 16)
    const lt = le ? u32le(buf, pos + 20) : u32be(buf, pos + 20)
    this.linkType = lt & LINKTYPE_MASK
    this.headerDone = true
    this.ctx.setInfo({
      format: this.nano ? 'pcap-ns' : 'pcap',
      gzip: false,
      precision: this.nano ? 'ns' : 'us',
      linkTypes: [this.linkType],
      snaplen: this.snaplen,
    })
    this.ctx.announceInfo()
  }

  pendingBlockOffset(): number {
    return -1
  }

  finish(): void {}
}
