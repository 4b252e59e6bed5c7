/**
 * gzip decompression of a capture file (RFC 1952) that never throws away decompressed data.
 *
 * Node's Gunzip stream checks the member trailer (CRC-32, ISIZE) and the bytes after a member inside
 * zlib, and when one of those checks fails it drops the output of the whole write it was processing
 * (up to a read chunk's worth of decompressed records, or all of a small file). Here the gzip
 * framing is parsed in JavaScript and only the raw deflate data goes through zlib (InflateRaw), fed
 * in small pieces, so every decompressed byte is yielded before any error is raised:
 *
 *   - members are read one after another as one stream (concatenated gzip files, `cat a.gz b.gz`);
 *   - bytes after a complete member that do not start another member ("trailing garbage": tape
 *     padding, a partial download appended twice, ...) are counted and reported once through
 *     `onTrailing`; decompression then ends normally;
 *   - a CRC-32 or length mismatch, damaged deflate data, an invalid member header or an input that
 *     ends inside a member raise GzipError AFTER everything decompressed so far was yielded.
 *
 * Memory: one InflateRaw per member; at most one input piece (GZIP_PIECE_BYTES compressed) is in
 * zlib at a time, and its output (at most ~1032 times larger: deflate's maximum ratio) is yielded
 * before the next piece is written. Header fields of any length (file name, comment, extra field)
 * are skipped without being buffered.
 */
import zlib from 'node:zlib'

/** Compressed bytes handed to zlib per write; bounds the output held at once (see Memory above). */
export const GZIP_PIECE_BYTES = 64 * 1024

export class GzipError extends Error {
  constructor(
    message: string,
    /**
     * Decompressed offset to report, when it is known better than "where the reader stopped" (a
     * failed member check: the end of the member's data). Undefined: the reader's own offset.
     */
    readonly decompressedOffset?: number,
  ) {
    super(message)
    this.name = 'GzipError'
  }
}

export interface GunzipOptions {
  /** Size of the output chunks (zlib chunkSize). */
  chunkBytes: number
  /**
   * Called once, at the end, when bytes follow the last complete member: how many, where they
   * start in the compressed input, and whether they are all zero (padding).
   */
  onTrailing?: (bytes: number, compressedOffset: number, allZero: boolean) => void
}

type Crc32 = (data: Uint8Array, value?: number) => number

let table: Uint32Array | null = null
/** Table-driven CRC-32 (ISO 3309, as gzip uses) for Node versions without zlib.crc32. */
function crc32Js(data: Uint8Array, value = 0): number {
  if (table === null) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let c = ~value >>> 0
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

const crc32: Crc32 = typeof (zlib as {crc32?: Crc32}).crc32 === 'function' ? (zlib as unknown as {crc32: Crc32}).crc32 : crc32Js

const FLG_FHCRC = 0x02
const FLG_FEXTRA = 0x04
const FLG_FNAME = 0x08
const FLG_FCOMMENT = 0x10
const FLG_RESERVED = 0xe0

/**
 * Decompresses `input` (an iterator over the file's chunks; `first` is the already-read start,
 * which begins with the gzip magic). Yields decompressed chunks in order; each is a new Buffer the
 * caller may keep. Throws GzipError as described above; errors of `input` itself pass through.
 */
export async function* gunzipChunks(first: Buffer, input: AsyncIterator<Buffer>, o: GunzipOptions): AsyncGenerator<Buffer> {
  let buf = first
  let pos = 0
  /** Compressed offset of buf[0]. */
  let base = 0
  let eof = false
  let out = 0
  let member = 0

  /** Reads the next input chunk, keeping the unread rest of buf (small in every caller but the body). */
  const more = async (): Promise<boolean> => {
    if (eof) return false
    const r = await input.next()
    if (r.done) {
      eof = true
      return false
    }
    const rest = buf.length - pos
    base += pos
    buf = rest === 0 ? r.value : Buffer.concat([buf.subarray(pos), r.value])
    pos = 0
    return true
  }
  /** Ensures n unread bytes; false at end of input. */
  const need = async (n: number): Promise<boolean> => {
    while (buf.length - pos < n) if (!(await more())) return false
    return true
  }
  const at = () => base + pos
  const truncated = (where: string) =>
    new GzipError(`gzip data truncated: the file ends ${where} of member ${member} (compressed byte ${at()}); offset counts decompressed bytes`)

  /** Skips n bytes without keeping them. */
  const skip = async (n: number, where: string): Promise<void> => {
    while (n > 0) {
      if (pos === buf.length && !(await more())) throw truncated(where)
      const k = Math.min(n, buf.length - pos)
      pos += k
      n -= k
    }
  }
  /** Skips a zero-terminated header field. */
  const skipZ = async (where: string): Promise<void> => {
    for (;;) {
      const z = buf.indexOf(0, pos)
      if (z >= 0) {
        pos = z + 1
        return
      }
      pos = buf.length
      if (!(await more())) throw truncated(where)
    }
  }

  for (;;) {
    member++
    // ---- member header (RFC 1952 section 2.3)
    if (!(await need(10))) throw truncated('inside the header')
    const memberAt = at()
    if (buf[pos] !== 0x1f || buf[pos + 1] !== 0x8b) throw new GzipError(`not a gzip member header at compressed byte ${memberAt}`)
    const cm = buf[pos + 2]
    const flg = buf[pos + 3]
    if (cm !== 8) throw new GzipError(`gzip member ${member} at compressed byte ${memberAt}: compression method ${cm} is not deflate (8); offset counts decompressed bytes`)
    if (flg & FLG_RESERVED) throw new GzipError(`gzip member ${member} at compressed byte ${memberAt}: reserved header flags set (0x${flg.toString(16)}); offset counts decompressed bytes`)
    pos += 10
    if (flg & FLG_FEXTRA) {
      if (!(await need(2))) throw truncated('inside the header')
      const xlen = buf.readUInt16LE(pos)
      pos += 2
      await skip(xlen, 'inside the header')
    }
    if (flg & FLG_FNAME) await skipZ('inside the header')
    if (flg & FLG_FCOMMENT) await skipZ('inside the header')
    if (flg & FLG_FHCRC) await skip(2, 'inside the header')

    // ---- deflate data
    const memberOut = out
    let crc = 0
    const inflate = zlib.createInflateRaw({chunkSize: o.chunkBytes})
    const queue: Buffer[] = []
    let failure: Error | null = null
    inflate.on('data', (d: Buffer) => queue.push(d))
    inflate.on('error', (e: Error) => {
      failure = e
    })
    let written = 0
    try {
      for (;;) {
        if (pos === buf.length && !(await more())) throw truncated('inside the compressed data')
        const piece = buf.subarray(pos, pos + GZIP_PIECE_BYTES)
        await new Promise<void>((resolve) => {
          // The callback runs once zlib has taken the piece and pushed its output (or failed).
          const onError = () => resolve()
          inflate.once('error', onError)
          inflate.write(piece, () => {
            inflate.off('error', onError)
            resolve()
          })
        })
        written += piece.length
        for (let i = 0; i < queue.length; i++) {
          const d = queue[i]
          crc = crc32(d, crc)
          out += d.length
          yield d
        }
        queue.length = 0
        if (failure !== null) {
          throw new GzipError(
            `gzip member ${member}: compressed data damaged within compressed bytes ${at()}..${at() + piece.length} (${(failure as Error).message}); offset counts decompressed bytes`,
          )
        }
        // InflateRaw stops consuming at the end of the deflate stream: what it left is the trailer.
        const unconsumed = written - inflate.bytesWritten
        if (unconsumed > 0) {
          pos += piece.length - unconsumed
          break
        }
        pos += piece.length
      }
    } finally {
      inflate.destroy()
    }

    // ---- trailer: CRC-32 and ISIZE of the uncompressed data, little-endian
    if (!(await need(8))) throw truncated('inside the trailer')
    const wantCrc = buf.readUInt32LE(pos)
    const wantSize = buf.readUInt32LE(pos + 4)
    const size = out - memberOut
    const range = `decompressed bytes ${memberOut}..${out}`
    if (wantCrc !== crc >>> 0) {
      throw new GzipError(
        `gzip member ${member} (${range}) fails its CRC-32 check: those bytes were analyzed but may be damaged; offset counts decompressed bytes`,
        out,
      )
    }
    if (wantSize !== size % 2 ** 32) {
      throw new GzipError(
        `gzip member ${member} (${range}) has the wrong length (trailer says ${wantSize} mod 2^32): those bytes were analyzed but may be damaged; offset counts decompressed bytes`,
        out,
      )
    }
    pos += 8

    // ---- what follows: end of input, another member, or trailing bytes
    if (!(await need(1))) return
    if ((await need(2)) && buf[pos] === 0x1f && buf[pos + 1] === 0x8b) continue
    const from = at()
    let n = 0
    let allZero = true
    for (;;) {
      for (let i = pos; i < buf.length && allZero; i++) if (buf[i] !== 0) allZero = false
      n += buf.length - pos
      pos = buf.length
      if (!(await more())) break
    }
    o.onTrailing?.(n, from, allZero)
    return
  }
}
