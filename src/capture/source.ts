/**
 * Capture sources: where packets come from (a file, standard input, later a live interface).
 *
 * Contract: `read(sink, ctx)` delivers every record of the source to `sink.packet()`, synchronously
 * and in order (the Packet object is reused: see ./types.ts), calls `ctx.onInfo` once before the
 * first packet, and calls `ctx.afterChunk` after each chunk's packets, awaiting it when it returns a
 * promise (output backpressure; one await per chunk, never per packet). It resolves with the
 * CaptureInfo when the source is exhausted or stopped, and rejects with a CaptureError when the
 * input cannot be opened or is damaged; in both cases everything before the damage has been
 * delivered. `stop()` may be called at any time (SIGINT, an output that went away): reading ends at
 * once, also while waiting for input, and `read` resolves normally, so the caller flushes as at end
 * of input (a record cut by the stop is dropped, not reported as damage).
 *
 * The capture clock is the packets' own timestamps; a source never stamps packets with wall time.
 */
import {closeSync, openSync, readSync, statSync} from 'node:fs'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import {isPcapMagic} from './pcap.js'
import {IO_MESSAGES, readCapture} from './reader.js'
import {CaptureError, type CaptureInfo, type PacketSink} from './types.js'

export interface SourceContext {
  limits: Limits
  stats: Stats
  onInfo(info: CaptureInfo): void
  /** `progressBytes`: input bytes consumed so far (compressed bytes for gzip), comparable with `size`. */
  afterChunk(progressBytes: number): void | Promise<void>
}

export interface CaptureSource {
  /** The name shown to the user and written as `pbx.file` (`-` for standard input). */
  readonly name: string
  /** Total input bytes when known beforehand (files), for progress; undefined otherwise. */
  readonly size: number | undefined
  read(sink: PacketSink, ctx: SourceContext): Promise<CaptureInfo | null>
  stop(): void
  /**
   * Checks, without consuming input, that the source can be opened and starts like a capture:
   * the error read() would raise at once, or null. Sources that cannot tell (stdin) answer null.
   * The run layer probes before it opens any output, so a bad input never truncates `-o FILE`.
   */
  probe(): CaptureError | null
}

/**
 * pcapng Decryption Secrets Blocks of a source, in file order before the packets that follow them:
 * `secretsType` ('TLSK' = 0x544c534b), the secrets bytes (a view, valid during the call), the
 * block's byte offset, the source's name.
 */
export type SecretsSink = (secretsType: number, data: Buffer, offset: number, file: string) => void

export interface FileSourceOptions {
  /** Receives the capture's Decryption Secrets Blocks (the run's TLS key log); unset: skipped. */
  onSecrets?: SecretsSink
}

/** A capture file (pcap/pcapng, optionally gzip-compressed), or standard input for `-`. */
export class FileSource implements CaptureSource {
  readonly size: number | undefined
  private readonly abort = new AbortController()
  private readonly onSecrets: SecretsSink | undefined

  constructor(
    readonly name: string,
    o: FileSourceOptions = {},
  ) {
    this.onSecrets = o.onSecrets
    let size: number | undefined
    if (name !== '-') {
      try {
        const st = statSync(name)
        if (st.isFile()) size = st.size
      } catch {
        // reported by read() as an 'io' CaptureError with the file name
      }
    }
    this.size = size
  }

  async read(sink: PacketSink, ctx: SourceContext): Promise<CaptureInfo | null> {
    let info: CaptureInfo | null = null
    try {
      info = await readCapture(this.name, sink, {
        limits: ctx.limits,
        stats: ctx.stats,
        signal: this.abort.signal,
        onInfo: (i) => {
          info = i
          ctx.onInfo(i)
        },
        afterChunk: (bytes) => ctx.afterChunk(bytes),
        onSecrets: this.onSecrets === undefined ? undefined : (t, d, off) => this.onSecrets!(t, d, off, this.name),
      })
    } catch (e) {
      if (!this.abort.signal.aborted) throw e
    }
    return info
  }

  /** Ends reading at once, also while waiting for input (see readCapture's `signal`). */
  stop(): void {
    this.abort.abort()
  }

  probe(): CaptureError | null {
    if (this.name === '-') return null
    let fd: number
    try {
      fd = openSync(this.name, 'r')
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? ''
      return new CaptureError(this.name, 0, IO_MESSAGES[code] ?? (e as Error).message, 'io')
    }
    const head = Buffer.alloc(4)
    let n = 0
    try {
      n = readSync(fd, head, 0, 4, 0)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? ''
      return new CaptureError(this.name, 0, IO_MESSAGES[code] ?? (e as Error).message, 'io')
    } finally {
      closeSync(fd)
    }
    if (n === 0) return new CaptureError(this.name, 0, 'empty input', 'not-capture')
    if (n < 4) return null // too short to judge here: read() reports it precisely
    if (head[0] === 0x1f && head[1] === 0x8b) return null
    const magic = head.readUInt32BE(0)
    if (isPcapMagic(magic) || magic === 0x0a0d0d0a) return null
    return new CaptureError(this.name, 0, `unknown magic number 0x${magic.toString(16).padStart(8, '0')}`, 'not-capture')
  }
}

/** Sources for command-line names: each a file, `-` for standard input. */
export function fileSources(names: readonly string[], o: FileSourceOptions = {}): CaptureSource[] {
  return names.map((n) => new FileSource(n, o))
}
