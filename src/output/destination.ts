/**
 * Where a text output writes: standard output, or a file (`-o FILE`). Opening is checked before any
 * input is read, so an unwritable path is a configuration error (exit 2); the run creates outputs
 * only once at least one input could be opened, so a failing input never truncates an existing
 * FILE.
 */
import {createWriteStream} from 'node:fs'
import {OutputConfigError} from './types.js'
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
