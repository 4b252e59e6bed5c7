/** `--format csv`: one row per event, columns from the fields lists (options: `path`). */
import {openDestination} from '../destination.js'
import type {OutputFactory} from '../types.js'
import {CsvOutput} from './output.js'

export {CsvOutput, neutralizeCell} from './output.js'

export const factory: OutputFactory = {
  name: 'csv',
  async create(options, ctx) {
    const d = await openDestination(options.path)
    return new CsvOutput(d.writer, d.toFile, ctx.fields)
  },
}
