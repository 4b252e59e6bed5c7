/**
 * `--format summary` (the default): the human summary. Options: `path` (default standard output),
 * `stderr` (true: standard error instead of standard output), `color` (default: when the destination is a terminal and NO_COLOR is unset), `top` (rows per
 * top-N table, default 10).
 */
import {openDestination} from '../destination.js'
import {OutputConfigError, type OutputFactory} from '../types.js'
import {SummaryOutput} from './output.js'

export {formatDuration, SummaryOutput} from './output.js'

export const factory: OutputFactory = {
  name: 'summary',
  async create(options, ctx) {
    const top = options.top ?? 10
    if (typeof top !== 'number' || !Number.isInteger(top) || top < 0) {
      throw new OutputConfigError(`summary top must be a whole number >= 0, got ${JSON.stringify(top)}`)
    }
    const d = await openDestination(options.path, options.stderr === true)
    const color = typeof options.color === 'boolean' ? options.color : d.isTTY && !process.env.NO_COLOR
    return new SummaryOutput(d.writer, d.toFile, ctx.limits, {color, top})
  },
}
