import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import type {RecordPacket} from './record.js'
import type {CaptureInfo} from './types.js'

/**
 * What a format framer (pcap.ts, pcapng.ts) needs from the CaptureParser that drives it.
 * The parser owns the Packet object; a framer fills its fields and calls deliver().
 */
export interface FrameContext {
  readonly file: string
  readonly limits: Limits
  readonly stats: Stats
  /** The reused Packet object (see types.ts for the ownership rule). */
  readonly packet: RecordPacket
  /** Numbers, counts and hands `packet` to the sink. Call only after all fields are set. */
  deliver(): void
  /** Consumes a frame number without delivering a packet (records tshark numbers but pbx skips). */
  skipFrame(): void
  /** Called by a framer when its first header is parsed. The object stays live (see CaptureParser). */
  setInfo(info: CaptureInfo): void
  /**
   * pcapng Decryption Secrets Blocks: when set, each DSB is buffered (bounded like packet blocks)
   * and its secrets type and data (a view valid only during the call) are handed here, in file
   * order before the packets that follow the block. When unset, DSBs are skipped unread.
   */
  readonly onSecrets?: (secretsType: number, data: Buffer, offset: number) => void
  /** Hands the info to the parser's onInfo callback (once; later calls do nothing). deliver() calls it too. */
  announceInfo(): void
}

/**
 * A format framer cuts the byte stream into units (a file header, a record, a block, a block
 * trailer) and interprets each one. The parser guarantees that `unit()` sees the whole unit in one
 * contiguous buffer (the caller's chunk, or the parser's scratch buffer for units that straddle
 * chunks), so framers never handle partial data.
 *
 * Call order: frame() one or more times for the unit at the current position (with growing
 * `avail`), then unit() exactly once with the length frame() returned, then the parser discards the
 * number of bytes unit() returned before asking for the next unit.
 */
export interface Framer {
  /**
   * Length in bytes of the unit starting at buf[pos], given `avail` readable bytes there; or a
   * negative number -n meaning "n bytes are needed to tell". Must not change state. Throws
   * CaptureError for a length that cannot be valid (offset = absolute offset of the unit).
   * Never returns a length above the framer's bound (limits.maxRecordBytes plus header overhead).
   */
  frame(buf: Buffer, pos: number, avail: number, offset: number): number
  /**
   * Interprets a complete unit (buf[pos, pos+len)), delivering at most one packet.
   * Returns how many bytes after the unit to discard unseen (a skipped pcapng block body), else 0.
   */
  unit(buf: Buffer, pos: number, len: number, offset: number): number
  /**
   * Optional fast path for a run of records: interprets every complete unit lying wholly in
   * buf[pos, end), one after another, exactly as frame() + unit() would (same packets, same
   * errors and offsets), and stops before the first unit that is incomplete or would need bytes
   * skipped. Returns the number of bytes consumed (0: nothing done, use frame()/unit()).
   * `offset` is the absolute offset of buf[pos].
   */
  walk?(buf: Buffer, pos: number, end: number, offset: number): number
  /** Offset of a block whose body is being skipped or whose trailer is still due, else -1. */
  pendingBlockOffset(): number
  /** Called from CaptureParser.end() when no bytes are pending; may finish the CaptureInfo. */
  finish(): void
}
