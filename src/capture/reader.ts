/**
 * readCapture: streams a capture file (or stdin) through CaptureParser.
 *
 * - The file is read in 1 MiB chunks; gzip input (magic 1f 8b) is decompressed transparently and
 *   CaptureInfo.gzip is set. Offsets in errors then count decompressed bytes (the message says so).
 * - One await per chunk, never per packet: after a chunk's packets have been delivered,
 *   opts.afterChunk is called, and awaited only if it returned a promise. This is how output
 *   backpressure reaches the reader.
 * - Errors are CaptureError: 'io' for the file system (plain message, e.g. "no such file"),
 *   'not-capture', and 'corrupt' for damaged captures and damaged gzip streams. All packets before
 *   the damage have been delivered when the error is thrown.
 */
import {createReadStream, type ReadStream} from 'node:fs'
import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
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
   * pcapng Decryption Secrets Blocks (secrets type, data view valid during the call, block offset);
   * e.g. `SecretsType.TLS_KEY_LOG` data goes to a TLS KeyLog. Unset: DSBs are skipped.
   */
  onSecrets?: (secretsType: number, data: Buffer, offset: number) => void
}

const IO_MESSAGES: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'not a directory',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
}

/** Marks errors raised by zlib so they can be told apart from file-system errors. */
class GzipError extends Error {}

function toCaptureError(err: unknown, file: string, parser: CaptureParser, gzip: boolean): unknown {
  if (err instanceof CaptureError) return err
  if (err instanceof GzipError) {
    return new CaptureError(
      file,
      parser.offset,
      `gzip stream is corrupt or truncated (${err.message}); offset counts decompressed bytes`,
      'corrupt',
    )
  }
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
async function* inputChunks(raw: Readable, onGzip: () => void): AsyncGenerator<Buffer> {
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
    const first: Buffer = head
    const compressed = Readable.from(
      (async function* () {
        yield first
        for (;;) {
          const r = await it.next()
          if (r.done) return
          yield r.value
        }
      })(),
      {objectMode: false},
    )
    const gunzip = createGunzip({chunkSize: READ_CHUNK_BYTES})
    compressed.on('error', (e) => gunzip.destroy(e))
    compressed.pipe(gunzip)
    const out: AsyncIterator<Buffer> = gunzip[Symbol.asyncIterator]()
    try {
      for (;;) {
        let r: IteratorResult<Buffer>
        try {
          r = await out.next()
        } catch (e) {
          // Read errors of the file surface here too; keep their errno code.
          if ((e as NodeJS.ErrnoException).code?.startsWith('Z_') || (e as NodeJS.ErrnoException).errno === undefined) {
            throw new GzipError((e as Error).message)
          }
          throw e
        }
        if (r.done) return
        yield r.value
      }
    } finally {
      compressed.destroy()
      gunzip.destroy()
      raw.destroy()
    }
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
 * Resolves with the CaptureInfo once every packet has been delivered.
 */
export async function readCapture(source: string, sink: PacketSink, opts: ReadCaptureOptions): Promise<CaptureInfo> {
  const file = source === '-' ? '<stdin>' : source
  let gzip = false
  const parser = new CaptureParser(file, sink, opts.limits, opts.stats, (info) => {
    info.gzip = gzip
    opts.onInfo?.(info)
  }, opts.onSecrets)
  const raw: Readable = source === '-' ? process.stdin : createReadStream(source, {highWaterMark: READ_CHUNK_BYTES})
  const afterChunk = opts.afterChunk
  try {
    for await (const chunk of inputChunks(raw, () => (gzip = true))) {
      parser.push(chunk)
      if (afterChunk !== undefined) {
        const r = afterChunk((raw as Partial<ReadStream>).bytesRead ?? parser.offset)
        if (r !== undefined) await r
      }
    }
    parser.end()
  } catch (err) {
    throw toCaptureError(err, file, parser, gzip)
  }
  const info = parser.info!
  info.gzip = gzip
  return info
}
