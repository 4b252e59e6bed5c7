/**
 * A Writable over a rotating set of files, as Packetbeat's output.file keeps them: the active file
 * is `<path>/<filename>`, older ones `<filename>.1` (newest) ... `<filename>.<number_of_files-1>`
 * (oldest, deleted when the next rotation needs its name). A file is rotated before a write would
 * take it past `rotateBytes`; chunks are split at line ends, so every file holds whole NDJSON lines
 * and none exceeds rotateBytes unless a single line does (that line gets a file of its own).
 *
 * Writes are synchronous (fs.writeSync): the file system is the backpressure, nothing is queued.
 * Files are created with `mode` (Packetbeat's `permissions`, default 0600).
 */
import {closeSync, existsSync, fstatSync, openSync, renameSync, unlinkSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {Writable} from 'node:stream'

export interface RotatingOptions {
  dir: string
  filename: string
  rotateBytes: number
  numberOfFiles: number
  mode: number
  /** Rotate an existing active file away when opening (Packetbeat's rotate_on_startup). */
  rotateOnStartup: boolean
}

export class RotatingFileStream extends Writable {
  private fd: number
  private size: number
  /** Files rotated so far (tests read it). */
  rotations = 0

  constructor(private readonly o: RotatingOptions) {
    super({decodeStrings: true})
    if (o.rotateOnStartup && existsSync(this.file(0))) this.shift()
    this.fd = openSync(this.file(0), 'a', o.mode)
    this.size = fstatSync(this.fd).size
  }

  private file(i: number): string {
    return join(this.o.dir, i === 0 ? this.o.filename : `${this.o.filename}.${i}`)
  }

  /** Renames active -> .1 -> .2 ..., dropping the oldest beyond number_of_files. */
  private shift(): void {
    const n = this.o.numberOfFiles
    if (existsSync(this.file(n - 1))) unlinkSync(this.file(n - 1))
    for (let i = n - 2; i >= 0; i--) if (existsSync(this.file(i))) renameSync(this.file(i), this.file(i + 1))
  }

  private rotate(): void {
    closeSync(this.fd)
    this.shift()
    this.fd = openSync(this.file(0), 'a', this.o.mode)
    this.size = 0
    this.rotations++
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      let off = 0
      while (off < chunk.length) {
        const room = this.o.rotateBytes - this.size
        let end = chunk.length
        if (end - off > room) {
          // The longest run of whole lines that fits; none fits: rotate, or (empty file) one line.
          const nl = room > 0 ? chunk.lastIndexOf(0x0a, off + room - 1) : -1
          if (nl >= off) end = nl + 1
          else if (this.size > 0) {
            this.rotate()
            continue
          } else {
            const first = chunk.indexOf(0x0a, off)
            end = first < 0 ? chunk.length : first + 1
          }
        }
        let p = off
        while (p < end) p += writeSync(this.fd, chunk, p, end - p)
        this.size += end - off
        off = end
        if (off < chunk.length) this.rotate()
      }
      cb()
    } catch (e) {
      cb(e as Error)
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    try {
      closeSync(this.fd)
      cb()
    } catch (e) {
      cb(e as Error)
    }
  }
}
