/**
 * Buffered text writer over a Node Writable (stdout or a file): output is collected into one string
 * and handed to the stream in pieces of about 64 KiB, which is what makes NDJSON cheap (pino's
 * lesson). Backpressure: `blocked` turns true when the stream asks us to wait; the pipeline then
 * awaits `drain()` once per input chunk, so memory stays flat when the reader of stdout is slow.
 * A closed pipe (EPIPE: `pbx ... | head -1`) is not an error: `closed` turns true and the pipeline
 * stops reading at the next chunk boundary.
 */
import type {Writable} from 'node:stream'

const FLUSH_AT = 64 * 1024

export class TextWriter {
  private buf = ''
  private waiting = false
  private error: Error | null = null
  closed = false

  constructor(
    private readonly stream: Writable,
    private readonly name: string,
  ) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.closed = true
      else this.error = err
    })
  }

  write(s: string): void {
    if (this.closed) return
    this.buf += s
    if (this.buf.length >= FLUSH_AT) this.flush()
  }

  flush(): void {
    if (this.buf.length === 0 || this.closed) return
    const ok = this.stream.write(this.buf)
    this.buf = ''
    if (!ok) this.waiting = true
  }

  get blocked(): boolean {
    return this.waiting
  }

  /** Throws the stream's error (e.g. ENOSPC on the output file) with the output's name. */
  check(): void {
    if (this.error) throw new Error(`cannot write ${this.name}: ${this.error.message}`)
  }

  async drain(): Promise<void> {
    if (!this.waiting || this.closed) return
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
    if (this.closed) return
    if (closeStream) {
      await new Promise<void>((resolve, reject) => {
        this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()))
      })
    } else if (this.waiting) {
      await this.drain()
    }
    this.check()
  }
}
