/**
 * readCapture: streams a capture file (or stdin) through CaptureParser.
 *
 * - The file is read in 1 MiB chunks; gzip input (magic 1f 8b) is decompressed transparently and
 *   CaptureInfo.gzip is set (./gunzip.ts: concatenated members are one stream; bytes after the
 *   last member are ignored with a warning; a damaged or truncated gzip stream is a 'corrupt'
 *   error raised only after every byte decompressed before the damage was delivered). Offsets in
 *   errors then count decompressed bytes (the message says so).
 * - One await per chunk, never per packet: after a chunk's packets have been delivered,
 *   opts.afterChunk is called, and awaited only if it returned a promise. This is how output
 *   backpressure reaches the reader.
 * - Errors are CaptureError: 'io' for the file system (plain message, e.g. "no such file"),
 *   'not-capture', and 'corrupt' for damaged captures and damaged gzip streams. All packets before
 *   the damage have been delivered when the error is thrown.
 */
import {createReadStream, type ReadStream} from 'node:fs'
import type {Readable} from 'node:stream'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import {type GunzipOptions, GzipError, gunzipChunks} from './gunzip.js'
import {CaptureParser} from './parser.js'
import {type CaptureInfo, CaptureError, type PacketSink} from './types.js'

export {CaptureParser} from './parser.js'

/** Read size for files and gunzip output. */
export const READ_CHUNK_BYTES = 1024 * 1024

export interface ReadCaptureOptions {
  limits: Limits
  stats: Stats
  /**
   * Called after each chunk's packets were delivered, with the bytes read so far from the source
   * (compressed bytes for gzip input: comparable with the file size, for progress); a returned
   * promise is awaited (output backpressure).
   */
  afterChunk?: (sourceBytesRead: number) => void | Promise<void>
  /** Called once with the CaptureInfo (see CaptureParser's constructor for when). */
  onInfo?: (info: CaptureInfo) => void
  /**
   * Stops reading at once, also while waiting for input (a slow pipe, SIGINT): the input stream is
   * destroyed and readCapture resolves with what was delivered; a record cut by the stop is dropped
   * (never reported as damage).
   */
  signal?: AbortSignal
  /**
   * Problems that lose nothing and do not fail the file (today: bytes after the end of the gzip
   * data), one line each, naming the file. Each is also counted in stats.malformed.
   */
  onWarning?: (message: string) => void
  /**
   * pcapng Decryption Secrets Blocks (secrets type, data view valid during the call, block offset);
   * e.g. `SecretsType.TLS_KEY_LOG` data goes to a TLS KeyLog. Unset: DSBs are skipped.
   */
  onSecrets?: (secretsType: number, data: Buffer, offset: number) => void
}

export const IO_MESSAGES: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'not a directory',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
}

function toCaptureError(err: unknown, file: string, parser: CaptureParser, gzip: boolean): unknown {
  if (err instanceof CaptureError) return err
  if (err instanceof GzipError) return new CaptureError(file, err.decompressedOffset ?? parser.offset, err.message, 'corrupt')
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (typeof code === 'string') {
    if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
      return new CaptureError(file, parser.offset, `gzip stream is corrupt (${code}); offset counts decompressed bytes`, 'corrupt')
    }
    const msg = IO_MESSAGES[code] ?? (err as Error).message
    return new CaptureError(file, gzip ? parser.offset : 0, msg, 'io')
  }
  return err
}

/**
 * Yields the input's chunks, decompressed if the input starts with the gzip magic. The first
 * chunk is inspected (at least 2 bytes are collected first; stdin may deliver 1-byte chunks).
 */
async function* inputChunks(raw: Readable, onGzip: () => void, onTrailing: GunzipOptions['onTrailing']): AsyncGenerator<Buffer> {
  const it: AsyncIterator<Buffer> = raw[Symbol.asyncIterator]()
  let head: Buffer | null = null
  while (head === null || head.length < 2) {
    const r = await it.next()
    if (r.done) break
    // Only the first (tiny) chunks of an input can reach this concatenation.
    head = head === null ? r.value : Buffer.concat([head, r.value])
  }
  if (head === null) return
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    onGzip()
    try {
      yield* gunzipChunks(head, it, {chunkBytes: READ_CHUNK_BYTES, onTrailing})
    } finally {
      raw.destroy()
    }
    return
  }
  try {
    yield head
    for (;;) {
      const r = await it.next()
      if (r.done) return
      yield r.value
    }
  } finally {
    raw.destroy()
  }
}

/**
 * Reads a whole capture from `source` (a path, or '-' for stdin) into `sink`.
 * Resolves with the CaptureInfo once every packet has been delivered (null only when stopped by
 * `signal` before the file header was read).
 */
export async function readCapture(source: string, sink: PacketSink, opts: ReadCaptureOptions): Promise<CaptureInfo | null> {
  const file = source === '-' ? '<stdin>' : source
  let gzip = false
  const parser = new CaptureParser(file, sink, opts.limits, opts.stats, (info) => {
    info.gzip = gzip
    opts.onInfo?.(info)
  }, opts.onSecrets)
  const raw: Readable = source === '-' ? process.stdin : createReadStream(source, {highWaterMark: READ_CHUNK_BYTES})
  const afterChunk = opts.afterChunk
  const signal = opts.signal
  const onAbort = () => raw.destroy()
  signal?.addEventListener('abort', onAbort, {once: true})
  try {
    const onTrailing = (n: number, at: number, allZero: boolean) => {
      opts.stats.bad('gzip: bytes after the end of the compressed data ignored')
      opts.onWarning?.(
        `${file}: ignored ${n} byte${n === 1 ? '' : 's'} after the end of the gzip data, from compressed byte ${at} (${allZero ? 'all zero: padding' : 'not another gzip member'}); everything before them was read`,
      )
    }
    for await (const chunk of inputChunks(raw, () => (gzip = true), onTrailing)) {
      if (signal?.aborted) break
      parser.push(chunk)
      if (afterChunk !== undefined) {
        const r = afterChunk((raw as Partial<ReadStream>).bytesRead ?? parser.offset)
        if (r !== undefined) await r
      }
      if (signal?.aborted) break
    }
    if (!signal?.aborted) parser.end()
  } catch (err) {
    if (!signal?.aborted) throw toCaptureError(err, file, parser, gzip)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  const info = parser.info
  if (info === null) return null // stopped before the file header was complete: nothing was delivered
  info.gzip = gzip
  return info
}
