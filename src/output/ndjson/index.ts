/** `--format ndjson`: one JSON event per line (options: `path`, default standard output). */
import {openDestination} from '../destination.js'
import type {OutputFactory} from '../types.js'
import {NdjsonOutput} from './output.js'

export {NdjsonOutput} from './output.js'

export const factory: OutputFactory = {
  name: 'ndjson',
  async create(options) {
    const d = await openDestination(options.path)
    return new NdjsonOutput(d.writer, d.toFile)
  },
}
