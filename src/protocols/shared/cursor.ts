/**
 * A bounds-checked cursor over [off, end) of one protocol frame, for codecs whose frames arrive
 * whole (AMQP frames, CQL frames). Contract: no read ever goes past `end` or throws; the first read
 * that would sets `bad` (why reading stopped, in the protocol's words from `truncated`), moves `off`
 * to `end`, and it and every later read return 0 (or the subclass's empty value). Callers check
 * `bad` once after a group of reads instead of after each one.
 */
import {u16be, u32be} from '../../util/bytes.js'

export class FrameCursor {
  /** Why reading stopped ('' while every read was in bounds). */
  bad = ''
  /** Entries or characters left out at the codec's bounds (counted, not an error). */
  cut = 0

  constructor(
    readonly buf: Buffer,
    public off: number,
    readonly end: number,
    /** The `bad` text for a read of `what` that does not fit (e.g. `truncated ${what}`). */
    private readonly truncated: (what: string) => string,
  ) {}

  get left(): number {
    return this.end - this.off
  }

  /** True when n more bytes (n >= 0) lie inside the frame; otherwise marks the cursor bad. */
  protected need(n: number, what: string): boolean {
    if (this.bad !== '') return false
    if (n < 0 || this.end - this.off < n) {
      this.bad = this.truncated(what)
      this.off = this.end
      return false
    }
    return true
  }

  /** Moves past n bytes of `what`. */
  skip(n: number, what: string): void {
    if (this.need(n, what)) this.off += n
  }

  protected read8(what: string): number {
    if (!this.need(1, what)) return 0
    return this.buf[this.off++]
  }

  protected read16(what: string): number {
    if (!this.need(2, what)) return 0
    const v = u16be(this.buf, this.off)
    this.off += 2
    return v
  }

  protected read32(what: string): number {
    if (!this.need(4, what)) return 0
    const v = u32be(this.buf, this.off)
    this.off += 4
    return v
  }

  protected readI32(what: string): number {
    if (!this.need(4, what)) return 0
    const v = u32be(this.buf, this.off) | 0
    this.off += 4
    return v
  }

  /** 64-bit unsigned; values above 2^53 lose precision (as a JSON number). */
  protected read64(what: string): number {
    if (!this.need(8, what)) return 0
    const v = u32be(this.buf, this.off) * 0x100000000 + u32be(this.buf, this.off + 4)
    this.off += 8
    return v
  }
}
