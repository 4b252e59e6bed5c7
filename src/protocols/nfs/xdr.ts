/**
 * A bounded XDR reader (RFC 4506) over a view [off, end) of one RPC message. Every read checks the
 * bound first: a read past `end` (or a length beyond it) sets `bad`, leaves `off` at `end` and
 * returns 0 / an empty view, so a decoder runs to its end on truncated or hostile input without
 * throwing and then looks at `bad` once. One reader is reused per session (reset()).
 */
const EMPTY = Buffer.alloc(0)

/** n rounded up to a multiple of 4, in plain arithmetic (lengths reach 2^32 - 1: no 32-bit bit ops). */
const padded = (n: number): number => n + ((4 - (n % 4)) % 4)

export class Xdr {
  buf: Buffer = EMPTY
  off = 0
  end = 0
  /** Set by the first read that did not fit; stays set until reset(). */
  bad = false

  reset(buf: Buffer, off: number, end: number): this {
    this.buf = buf
    this.off = off
    this.end = end
    this.bad = false
    return this
  }

  get left(): number {
    return this.end - this.off
  }

  private fail(): void {
    this.bad = true
    this.off = this.end
  }

  u32(): number {
    if (this.end - this.off < 4) {
      this.fail()
      return 0
    }
    const v = this.buf.readUInt32BE(this.off)
    this.off += 4
    return v
  }

  /** An unsigned hyper as a number (exact below 2^53; NFS offsets and ids are reported, not computed on). */
  u64(): number {
    const hi = this.u32()
    const lo = this.u32()
    return hi * 4294967296 + lo
  }

  bool(): boolean {
    return this.u32() !== 0
  }

  /** Skips n bytes (fixed-length opaque of n bytes, padded to 4). */
  skip(n: number): void {
    const p = padded(n)
    if (n < 0 || this.end - this.off < p) this.fail()
    else this.off += p
  }

  /** Variable-length opaque<max>: a view of its bytes (valid while the message buffer is). */
  opaque(max = 0xffffffff): Buffer {
    const n = this.u32()
    if (this.bad) return EMPTY
    if (n > max || this.end - this.off < padded(n)) {
      this.fail()
      return EMPTY
    }
    const v = this.buf.subarray(this.off, this.off + n)
    this.off += padded(n)
    return v
  }

  /** Skips a variable-length opaque. */
  skipOpaque(): void {
    const n = this.u32()
    if (!this.bad) this.skip(n)
  }

  /** A string<max> as UTF-8 text, at most `keep` bytes of it decoded. */
  string(max = 0xffffffff, keep = 1024): string {
    const v = this.opaque(max)
    return v.length === 0 ? '' : v.toString('utf8', 0, Math.min(v.length, keep))
  }

  /** Skips an array of `each`-byte fixed items (count first). */
  skipFixedArray(each: number): void {
    const n = this.u32()
    if (this.bad) return
    if (n > (this.end - this.off) / Math.max(each, 1)) this.fail()
    else this.off += n * each
  }
}
