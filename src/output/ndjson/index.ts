/**
 * `--format ndjson`: one JSON event per line. Options: `path` (default standard output), `fields`
 * (only these fields, in this order; see ../fields-option.ts).
 */
import {openDestination} from '../destination.js'
import {fieldsOption} from '../fields-option.js'
import type {OutputFactory} from '../types.js'
import {NdjsonOutput} from './output.js'
import {ProjectedNdjsonOutput} from './projected.js'

export {JsonBytes, NdjsonOutput} from './output.js'

export const factory: OutputFactory = {
  name: 'ndjson',
  async create(options, ctx) {
    const fields = fieldsOption(options.fields, ctx)
    const d = await openDestination(options.path)
    return fields === undefined ? new NdjsonOutput(d.writer, d.toFile) : new ProjectedNdjsonOutput(d.writer, d.toFile, fields)
  },
}
