/**
 * Where a text output writes: standard output, or a file (`-o FILE`). Opening is checked before any
 * input is read, so an unwritable path is a configuration error (exit 2); the run creates outputs
 * only once at least one input could be opened, so a failing input never truncates an existing
 * FILE.
 */
import {createWriteStream, fstatSync, readFileSync, readlinkSync} from 'node:fs'
import {OutputConfigError, OutputError} from './types.js'
import {TextWriter} from './writer.js'

export interface Destination {
  writer: TextWriter
  /** True for a file: the stream is closed at the end; stdout is left open. */
  toFile: boolean
  /** Whether the destination is a terminal (colour, one-screen summary). */
  isTTY: boolean
}

/**
 * Opens `path` (undefined or `-`: standard output; `stderr: true`: standard error, where the run
 * layer sends the summary when standard output carries data) and waits until the file is open.
 */
export async function openDestination(path: unknown, stderr = false): Promise<Destination> {
  if (path !== undefined && typeof path !== 'string') throw new OutputConfigError(`output path must be a string, got ${JSON.stringify(path)}`)
  if (stderr && (path === undefined || path === '-')) {
    return {writer: new TextWriter(process.stderr, 'standard error'), toFile: false, isTTY: process.stderr.isTTY === true}
  }
  if (path === undefined || path === '-') {
    if (stdoutClosed()) throw new OutputError('cannot write standard output: it is closed (EBADF); redirect it or use -o FILE')
    // @oclif/core rethrows every non-EPIPE error of process.stdout from a listener of its own,
    // which turns a full disk into a stack trace; the TextWriter reports it as one line instead.
    process.stdout.removeAllListeners('error')
    return {writer: new TextWriter(process.stdout, 'standard output'), toFile: false, isTTY: process.stdout.isTTY === true}
  }
  const stream = createWriteStream(path)
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', reject)
  }).catch((e: Error) => {
    throw new OutputConfigError(`cannot write ${path}: ${e.message}`)
  })
  return {writer: new TextWriter(stream, path), toFile: true, isTTY: false}
}

/**
 * Whether the process was started with standard output closed (`pbx ... >&-`). Node reopens a
 * closed fd 1 on /dev/null read-write at start-up, so writes would vanish silently; a user's own
 * `> /dev/null` opens it write-only. Linux only (/proc); elsewhere only a failing fstat counts.
 */
function stdoutClosed(): boolean {
  try {
    fstatSync(1)
  } catch {
    return true
  }
  try {
    if (readlinkSync('/proc/self/fd/1') !== '/dev/null') return false
    const m = /^flags:\s*([0-7]+)/m.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'))
    return m !== null && (Number.parseInt(m[1], 8) & 3) === 2
  } catch {
    return false
  }
}
