/**
 * `--format csv`: one row per event. Options: `path`, `fields` (the columns, in order; default every
 * field of the selected protocols, from the fields lists).
 */
import {openDestination} from '../destination.js'
import {fieldsOption} from '../fields-option.js'
import type {OutputFactory} from '../types.js'
import {CsvOutput} from './output.js'

export {CsvOutput, neutralizeCell, textCell} from './output.js'

export const factory: OutputFactory = {
  name: 'csv',
  async create(options, ctx) {
    const fields = fieldsOption(options.fields, ctx)
    const d = await openDestination(options.path)
    // Chosen columns are all written (an object column as JSON), whatever their type.
    const columns = fields === undefined ? ctx.fields : fields.map((name) => ({name, type: 'keyword' as const, description: ''}))
    return new CsvOutput(d.writer, d.toFile, columns)
  },
}
