/**
 * Streaming, synchronous counting of decoded body sizes for Content-Encoding gzip / x-gzip /
 * deflate (RFC 9110 §8.4.1). The compressed body is never buffered: every body view is pushed
 * through a zlib engine as it arrives and only the number of decoded bytes is kept; the decoded
 * bytes themselves land in one module-wide scratch buffer that every counter reuses (the parser
 * is synchronous, so no two counters write into it at the same time).
 *
 * Node's public zlib API is either one-shot (inflateSync: needs the whole input) or asynchronous
 * (streams: results arrive after the data call returns, which would break the synchronous emit and
 * deterministic output). We therefore drive the engine's native handle with `writeSync`, exactly as
 * Node's own zlibBufferSync does (lib/zlib.js processChunkSync), but without closing the engine
 * after each call. If that internal interface is missing, counting is disabled (`unavailable`)
 * and the body is still counted on the wire; nothing throws.
 *
 * "deflate" is meant to be the zlib format (RFC 1950) but some servers send raw deflate
 * (RFC 1951); the first byte tells them apart (a zlib header has compression method 8 in its low
 * nibble), so the engine is created lazily at the first body byte.
 */
import zlib from 'node:zlib'

/** Scratch output for every counter: decoded bytes are counted, never kept. */
const SCRATCH = Buffer.allocUnsafe(16 * 1024)

interface NativeHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void
}
interface EngineInternals {
  _handle?: NativeHandle | null
  _writeState?: Uint32Array
}

export type Coding = 'gzip' | 'deflate'

/** Maps a Content-Encoding value to a coding we can count, or null (identity, br, stacked codings...). */
export function codingOf(contentEncoding: string | undefined): Coding | null {
  if (contentEncoding === undefined) return null
  const v = contentEncoding.trim().toLowerCase()
  if (v === 'gzip' || v === 'x-gzip') return 'gzip'
  if (v === 'deflate') return 'deflate'
  return null
}

export class DecodedCounter {
  /** Decoded bytes so far. */
  decoded = 0
  /** The compressed data was malformed (the count stops there). */
  failed = false
  /** maxBytes was reached: the count stopped there. */
  capped = false
  /** The engine's internal interface was not available: nothing was counted. */
  unavailable = false
  private engine: zlib.Unzip | zlib.InflateRaw | null = null
  private done = false

  /** @param maxBytes limits.maxDecodedBodyBytes: decoding stops (capped) beyond it. */
  constructor(
    private readonly coding: Coding,
    private readonly maxBytes: number,
  ) {}

  /** True when the count is complete and exact (no error, cap, or missing engine). */
  get exact(): boolean {
    return !this.failed && !this.capped && !this.unavailable
  }

  /** Feeds input[off, off + len) of body bytes (de-chunked). Nothing is kept. Never throws. */
  feed(input: Buffer, off: number, len: number): void {
    if (this.done || len <= 0) return
    if (this.engine === null) {
      const raw = this.coding === 'deflate' && (input[off] & 0x0f) !== 8
      const e = raw ? zlib.createInflateRaw() : zlib.createUnzip()
      // Errors are reported through the engine's 'error' event on a later tick; without a listener
      // that would be an uncaught exception. We detect them synchronously via `destroyed`.
      e.on('error', noop)
      this.engine = e
      const int = e as unknown as EngineInternals
      if (!int._handle || typeof int._handle.writeSync !== 'function' || !int._writeState) {
        this.unavailable = true
        this.stop()
        return
      }
    }
    const int = this.engine as unknown as EngineInternals
    const handle = int._handle
    const state = int._writeState
    if (!handle || !state) {
      this.failed = true
      this.stop()
      return
    }
    let inOff = off
    let availIn = len
    try {
      for (;;) {
        handle.writeSync(zlib.constants.Z_NO_FLUSH, input, inOff, availIn, SCRATCH, 0, SCRATCH.length)
        if (this.engine.destroyed) {
          this.failed = true
          this.stop()
          return
        }
        const availOutAfter = state[0]
        const availInAfter = state[1]
        this.decoded += SCRATCH.length - availOutAfter
        if (this.decoded > this.maxBytes) {
          this.decoded = this.maxBytes
          this.capped = true
          this.stop()
          return
        }
        inOff += availIn - availInAfter
        availIn = availInAfter
        // Output space left over means zlib has consumed all it could and flushed its output; a full
        // output buffer means more may be pending, so go round again (as processChunkSync does).
        if (availOutAfter !== 0) break
      }
    } catch {
      // zlib boundary: a native error on hostile input becomes a flag, never an exception.
      this.failed = true
      this.stop()
    }
  }

  /** Releases the native engine. Call once when the body ends (normally or not). */
  stop(): void {
    this.done = true
    if (this.engine !== null) {
      this.engine.close()
    }
  }
}

function noop(): void {}
