/**
 * `output.file` as Packetbeat has it: NDJSON lines (the same bytes as --format ndjson) into
 * `<path>/<filename>`, rotated every `rotate_every_kb` KiB, keeping `number_of_files` files, created
 * with `permissions`. Keys: path (default "."), filename (default "pbx"), rotate_every_kb (default
 * 10240), number_of_files (default 7, 2..1024), permissions (octal string or number, default
 * "0600"), rotate_on_startup (default true). See ./rotating-stream.ts for the file naming.
 */
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {NdjsonOutput} from '../ndjson/index.js'
import {checkKeys, optBool, optInt, optString} from '../shared/options.js'
import {OutputConfigError, type OutputFactory} from '../types.js'
import {TextWriter} from '../writer.js'
import {RotatingFileStream} from './rotating-stream.js'

const KEYS = ['path', 'filename', 'rotate_every_kb', 'number_of_files', 'permissions', 'rotate_on_startup']

export const factory: OutputFactory = {
  name: 'file',
  create(options) {
    checkKeys('file', options, KEYS)
    const dir = optString('file', options, 'path', '.')
    const filename = optString('file', options, 'filename', 'pbx')
    if (filename.includes('/')) throw new OutputConfigError(`output.file.filename: expected a file name without "/", got ${JSON.stringify(filename)}`)
    const rotateKb = optInt('file', options, 'rotate_every_kb', 10240, 1)
    const numberOfFiles = optInt('file', options, 'number_of_files', 7, 2, 1024)
    const rotateOnStartup = optBool('file', options, 'rotate_on_startup', true)
    const perm = options.permissions ?? '0600'
    const mode = typeof perm === 'number' ? perm : typeof perm === 'string' && /^0?[0-7]{3}$/.test(perm) ? Number.parseInt(perm, 8) : Number.NaN
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new OutputConfigError(`output.file.permissions: expected an octal mode such as "0600", got ${JSON.stringify(perm)}`)
    }
    let stream: RotatingFileStream
    try {
      mkdirSync(dir, {recursive: true})
      stream = new RotatingFileStream({dir, filename, rotateBytes: rotateKb * 1024, numberOfFiles, mode, rotateOnStartup})
    } catch (e) {
      throw new OutputConfigError(`output.file: cannot write ${join(dir, filename)}: ${(e as Error).message}`)
    }
    return new NdjsonOutput(new TextWriter(stream, join(dir, filename)), true)
  },
}
