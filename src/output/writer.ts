/**
 * Buffered text writer over a Node Writable (stdout or a file): text is UTF-8 encoded straight into
 * a preallocated 1 MiB arena and handed to the stream as views of about 64 KiB (pino's lesson: no
 * string concatenation, no per-write stream call). Backpressure: `blocked` turns true when the
 * stream asks us to wait; the pipeline then awaits `drain()` once per input chunk, so memory stays
 * flat when the reader of stdout is slow. A closed pipe (EPIPE: `pbx ... | head -1`) is not an
 * error: `closed` turns true and the pipeline stops reading at the next chunk boundary.
 *
 * Two ways in: write(s) for text, and the record API for serialisers that write bytes themselves
 * (NDJSON): startRecord(), then any number of room(n) followed by writes to arena[pos..pos+n) and
 * `pos += written`, then finishRecord() (or abortRecord() to drop the record's bytes). A record is
 * never handed to the stream half-written, so an aborted record leaves no trace.
 *
 * Buffer ownership: a view handed to the stream belongs to the stream (a PassThrough passes the
 * very Buffer on to its reader), so arena bytes are never reused: the writer moves on through the
 * arena and takes a fresh one when the rest is too small. Exception: a file stream (fs.WriteStream:
 * `-o FILE`, also /dev/null) is done with a buffer once its write callback ran, so full-size arenas
 * whose every view was written go to a small pool and are reused (native memory stays at a few
 * arenas instead of one per MiB written, freed only by the next GC). Each write(s) is encoded on its own, so
 * callers must not split a surrogate pair across two writes (JSON text never contains one).
 */
import {WriteStream} from 'node:fs'
import type {Writable} from 'node:stream'
import {OutputError} from './types.js'

/** Bytes collected before they are handed to the stream. */
const FLUSH_AT = 64 * 1024
/** Arena size: many flushes per allocation. */
const ARENA_BYTES = 1024 * 1024
/** Written-out arenas kept for reuse (file streams only). */
const POOL_MAX = 4

/** Views of one arena still being written by the stream (pooling, file streams only). */
interface ArenaUse {
  buf: Buffer
  pending: number
  retired: boolean
}

export class TextWriter {
  /** The current arena; see the record API. Replaced (never reused) as it fills up. */
  arena: Buffer = Buffer.allocUnsafe(ARENA_BYTES)
  /** Next free byte of the arena. arena[start, pos) is written and not yet handed to the stream. */
  pos = 0
  private start = 0
  /** Where the current record began (record API). */
  private recordStart = 0
  private waiting = false
  private error: Error | null = null
  closed = false
  /** Arena pooling (see the class comment): only for file streams. */
  private readonly reuse: boolean
  private use: ArenaUse
  private readonly pool: Buffer[] = []

  constructor(
    private readonly stream: Writable,
    private readonly name: string,
  ) {
    this.reuse = stream instanceof WriteStream
    this.use = {buf: this.arena, pending: 0, retired: false}
    // A reader that went away (`| head`) is not an error; anything else (ENOSPC, EBADF, EIO) is, and
    // also stops writing: the run ends reading and end() reports it.
    stream.on('error', (err: NodeJS.ErrnoException) => this.fail(err))
  }

  write(s: string): void {
    if (this.closed) return
    // UTF-8 needs at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
    const need = s.length * 3
    if (this.pos + need > this.arena.length) {
      this.flush()
      if (need > ARENA_BYTES / 4) {
        // A huge piece (a multi-megabyte redis value...): straight to the stream, encoded there.
        try {
          if (!this.stream.write(s)) this.waiting = true
        } catch (e) {
          this.fail(e as NodeJS.ErrnoException)
        }
        return
      }
      this.fresh(ARENA_BYTES)
    }
    this.pos += this.arena.write(s, this.pos)
    if (this.pos - this.start >= FLUSH_AT) this.flush()
  }

  /** Begins a record (see the class comment). False when the output is closed: write nothing. */
  startRecord(): boolean {
    this.recordStart = this.pos
    return !this.closed
  }

  /**
   * Guarantees n free bytes at arena[pos]. When the arena is too full, the complete records before
   * this one are handed to the stream and this record's bytes so far move to a fresh arena (so
   * `arena` may change: read it after calling room()).
   */
  room(n: number): void {
    if (this.pos + n <= this.arena.length) return
    this.handOver(this.recordStart)
    const old = this.arena
    const from = this.recordStart
    const len = this.pos - from
    this.fresh(Math.max(ARENA_BYTES, 2 * (len + n)))
    old.copy(this.arena, 0, from, from + len)
    this.pos = len
  }

  /** Bytes of the current record so far. */
  get recordBytes(): number {
    return this.pos - this.recordStart
  }

  /** Ends the current record; hands the collected records to the stream once 64 KiB are ready. */
  finishRecord(): void {
    if (this.pos - this.start >= FLUSH_AT) this.flush()
  }

  /** Drops the bytes written since startRecord() (the serialiser failed half-way). */
  abortRecord(): void {
    this.pos = this.recordStart
  }

  flush(): void {
    this.handOver(this.pos)
    // A record larger than an arena got an arena of its own: do not keep writing into it.
    if (this.arena.length > ARENA_BYTES) this.fresh(ARENA_BYTES)
  }

  /** Hands arena[start, end) to the stream. */
  private handOver(end: number): void {
    if (end === this.start || this.closed) return
    let ok = true
    try {
      if (this.reuse) {
        const use = this.use
        use.pending++
        ok = this.stream.write(this.arena.subarray(this.start, end), () => this.written(use))
      } else {
        ok = this.stream.write(this.arena.subarray(this.start, end))
      }
    } catch (e) {
      // Standard output redirected to a file or device writes synchronously and throws (ENOSPC).
      this.fail(e as NodeJS.ErrnoException)
    }
    this.start = end
    if (!ok) this.waiting = true
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') this.error ??= err
    this.closed = true
  }

  /** A view of `use` was written; a retired arena with nothing left in flight goes to the pool. */
  private written(use: ArenaUse): void {
    use.pending--
    if (use.retired && use.pending === 0) this.release(use.buf)
  }

  private release(buf: Buffer): void {
    if (buf.length === ARENA_BYTES && this.pool.length < POOL_MAX) this.pool.push(buf)
  }

  private fresh(size: number): void {
    if (this.reuse) {
      const old = this.use
      // The new arena first: room() still copies the record's start out of the old one.
      this.arena = (size === ARENA_BYTES ? this.pool.pop() : undefined) ?? Buffer.allocUnsafe(size)
      this.use = {buf: this.arena, pending: 0, retired: false}
      old.retired = true
      if (old.pending === 0) this.release(old.buf)
    } else {
      this.arena = Buffer.allocUnsafe(size)
    }
    this.start = 0
    this.pos = 0
    this.recordStart = 0
  }

  get blocked(): boolean {
    return this.waiting
  }

  /** Throws the stream's error (e.g. ENOSPC on the output file) with the output's name. */
  check(): void {
    const e = this.error as NodeJS.ErrnoException | null
    if (e) throw new OutputError(`cannot write ${this.name}: ${e.code ? `${e.code} (${e.message.replace(/^[A-Z]+: /, '')})` : e.message}`)
  }

  /**
   * Resolves once the stream takes writes again. The stream may have drained already (writes made
   * between two input chunks, e.g. events merged back from worker threads, are not followed by a
   * drain() at once): then its 'drain' event has passed, and waiting for it would never end.
   */
  async drain(): Promise<void> {
    if (!this.waiting || this.closed) return
    const st = this.stream
    if (!st.writableNeedDrain && !st.destroyed && st.errored === null) {
      this.waiting = false
      this.check()
      return
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done)
        this.stream.off('close', done)
        this.stream.off('error', done)
        resolve()
      }
      this.stream.on('drain', done)
      this.stream.on('close', done)
      this.stream.on('error', done)
    })
    this.waiting = false
    this.check()
  }

  /** Flushes and, for files, closes the stream; stdout is left open. */
  async end(closeStream: boolean): Promise<void> {
    this.flush()
    if (this.closed) {
      this.check()
      return
    }
    if (closeStream) {
      await new Promise<void>((resolve) => {
        this.stream.end((err?: Error | null) => {
          if (err) this.error ??= err
          resolve()
        })
      })
    } else if (this.waiting) {
      await this.drain()
    }
    this.check()
  }
}
