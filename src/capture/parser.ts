/**
 * CaptureParser: a synchronous push parser for pcap and pcapng, format chosen by magic bytes.
 *
 * Call order: push(chunk) any number of times, then end() once. Packets are delivered to the sink
 * from inside push() (and never from end()), in file order, through one reused Packet object.
 * `packet.data` is a view into the pushed chunk when the record lies wholly inside it, or into the
 * parser's reused scratch buffer when it straddles chunks; either way it is valid only during the
 * sink call. The packet is a RecordPacket (./record.ts): `data` is made on demand, and
 * buf/start/caplen give the same bytes without a view. The chunk itself must not be modified while push() runs; it is not retained after.
 *
 * Errors: push() and end() throw CaptureError. 'not-capture' (offset 0) for unknown magic or empty
 * input; 'corrupt' for impossible lengths and for input that ends inside a header or record, with
 * the offset of that record; everything before that offset has been delivered.
 *
 * Memory: the scratch buffer only ever holds one unit (file header, record, block) that spans
 * chunks; framers refuse units larger than limits.maxRecordBytes plus header overhead, so the
 * scratch buffer is bounded by that limit. Skipped pcapng blocks are never buffered.
 */
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import type {FrameContext, Framer} from './framer.js'
import {isPcapMagic, PcapFramer} from './pcap.js'
import {BlockType, PCAPNG_BLOCK_SLACK, PcapngFramer} from './pcapng.js'
import {RecordPacket} from './record.js'
import {type CaptureInfo, CaptureError, type PacketSink} from './types.js'

const INITIAL_SCRATCH = 64 * 1024

export class CaptureParser implements FrameContext {
  readonly packet = new RecordPacket()
  private framer: Framer | null = null
  private captureInfo: CaptureInfo | null = null
  private announced = false
  private frameNo = 0
  /** Absolute offset of the first byte not yet consumed (units completed + bytes skipped). */
  private consumed = 0
  /** Bytes of the straddling unit collected in scratch (0 = none pending). */
  private have = 0
  /** Length of the straddling unit, or 0 while its header is still incomplete. */
  private need = 0
  private skip = 0
  private scratch: Buffer = Buffer.allocUnsafe(0)
  private ended = false

  /**
   * @param file name used in error messages
   * @param onInfo called once with the CaptureInfo: for pcap when the file header is parsed, for
   *   pcapng just before the first packet is delivered (or at end() if there is none), so that the
   *   interfaces described before the first packet are included. The object is live: later pcapng
   *   interfaces add link types and may raise `precision` to 'ns'.
   * @param onSecrets pcapng Decryption Secrets Blocks (see FrameContext.onSecrets); unset: skipped
   */
  constructor(
    readonly file: string,
    private readonly sink: PacketSink,
    readonly limits: Limits,
    readonly stats: Stats,
    private readonly onInfo?: (info: CaptureInfo) => void,
    readonly onSecrets?: (secretsType: number, data: Buffer, offset: number) => void,
  ) {}

  /** The capture's header facts, or null before the first header has been parsed. */
  get info(): CaptureInfo | null {
    return this.captureInfo
  }

  /** Bytes consumed so far: complete units delivered or skipped (a pending partial unit excluded). */
  get offset(): number {
    return this.consumed
  }

  setInfo(info: CaptureInfo): void {
    this.captureInfo = info
  }

  announceInfo(): void {
    if (this.announced || this.captureInfo === null) return
    this.announced = true
    this.onInfo?.(this.captureInfo)
  }

  skipFrame(): void {
    this.frameNo++
  }

  deliver(): void {
    if (!this.announced) this.announceInfo()
    const p = this.packet
    p.frame = ++this.frameNo
    const stats = this.stats
    const caplen = p.caplen
    stats.packets++
    stats.bytes += caplen
    if (caplen < p.origLen) stats.truncatedRecords++
    this.sink.packet(p)
  }

  push(chunk: Buffer): void {
    if (this.ended) throw new Error('CaptureParser.push() after end()')
    const end = chunk.length
    let pos = 0
    while (pos < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos)
        this.skip -= n
        this.consumed += n
        pos += n
        continue
      }
      if (this.have > 0) {
        pos = this.fillScratch(chunk, pos, end)
        continue
      }
      const avail = end - pos
      const framer = this.framer ?? this.detect(chunk, pos, avail)
      if (framer === null) {
        this.stash(chunk, pos, avail, 0)
        return
      }
      if (framer.walk !== undefined) {
        const n = framer.walk(chunk, pos, end, this.consumed)
        if (n > 0) {
          this.consumed += n
          pos += n
          continue
        }
      }
      const len = framer.frame(chunk, pos, avail, this.consumed)
      if (len > 0 && len <= avail) {
        this.skip = framer.unit(chunk, pos, len, this.consumed)
        this.consumed += len
        pos += len
      } else {
        this.stash(chunk, pos, avail, Math.max(len, 0))
        return
      }
    }
  }

  /**
   * Signals the end of input. Throws CaptureError if the input was empty or not a capture, or ends
   * inside a header, record or block (offset = start of that unit).
   */
  end(): void {
    if (this.ended) return
    this.ended = true
    if (this.framer === null) {
      throw new CaptureError(
        this.file,
        0,
        this.have === 0 ? 'empty input' : `only ${this.have} bytes of input`,
        'not-capture',
      )
    }
    const pending = this.framer.pendingBlockOffset()
    if (pending >= 0) {
      throw new CaptureError(this.file, pending, 'input ends inside a block', 'corrupt')
    }
    if (this.have > 0) {
      const what = this.need > 0 ? `${this.have} of ${this.need} bytes present` : `${this.have} header bytes present`
      throw new CaptureError(this.file, this.consumed, `input ends inside a record (${what})`, 'corrupt')
    }
    this.framer.finish()
    this.announceInfo()
  }

  /** Chooses the framer from the magic number; null while fewer than 4 bytes are known. */
  private detect(buf: Buffer, pos: number, avail: number): Framer | null {
    if (avail < 4) return null
    const magic = buf.readUInt32BE(pos)
    if (isPcapMagic(magic)) this.framer = new PcapFramer(this)
    else if (magic === BlockType.SHB) this.framer = new PcapngFramer(this)
    else {
      throw new CaptureError(this.file, 0, `unknown magic number 0x${magic.toString(16).padStart(8, '0')}`, 'not-capture')
    }
    return this.framer
  }

  /** Starts a straddling unit: copies the tail of the chunk (< unit length) into scratch. */
  private stash(chunk: Buffer, pos: number, avail: number, need: number): void {
    this.ensureScratch(Math.max(need, avail))
    chunk.copy(this.scratch, 0, pos, pos + avail)
    this.have = avail
    this.need = need
  }

  /**
   * Continues a straddling unit with bytes from chunk[pos..end); processes it once complete.
   * Returns the new position in the chunk.
   */
  private fillScratch(chunk: Buffer, pos: number, end: number): number {
    while (this.need === 0) {
      // Header still incomplete: add one byte at a time until the unit length is known (the
      // missing header bytes are at most a few dozen).
      if (pos >= end) return pos
      this.ensureScratch(this.have + 1)
      this.scratch[this.have++] = chunk[pos++]
      const framer = this.framer ?? this.detect(this.scratch, 0, this.have)
      if (framer === null) continue
      const len = framer.frame(this.scratch, 0, this.have, this.consumed)
      if (len > 0) {
        this.need = len
        this.ensureScratch(len)
      }
    }
    const want = this.need - this.have
    const n = Math.min(want, end - pos)
    chunk.copy(this.scratch, this.have, pos, pos + n)
    this.have += n
    pos += n
    if (this.have === this.need) {
      const len = this.need
      this.have = 0
      this.need = 0
      this.skip = this.framer!.unit(this.scratch, 0, len, this.consumed)
      this.consumed += len
    }
    return pos
  }

  /** Grows scratch (keeping its contents) to at least n bytes; n is bounded by the framer's limit. */
  private ensureScratch(n: number): void {
    if (this.scratch.length >= n) return
    // Double (amortised growth) but never beyond the largest unit a framer accepts.
    const cap = this.limits.maxRecordBytes + PCAPNG_BLOCK_SLACK
    let size = this.scratch.length > 0 ? this.scratch.length * 2 : INITIAL_SCRATCH
    if (size > cap) size = cap
    if (size < n) size = n
    const next = Buffer.allocUnsafe(size)
    this.scratch.copy(next, 0, 0, this.have)
    this.scratch = next
  }
}
