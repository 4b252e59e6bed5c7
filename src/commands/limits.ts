import {Command} from '@oclif/core'
import {DEFAULT_LIMITS} from '../limits.js'

export default class LimitsCommand extends Command {
  static override summary = 'List every bound pbx places on memory and work, with its default.'
  static override description = 'Override any of them with --limit name=value on analyze, or under limits: in the config file.'
  static override examples = ['<%= config.bin %> limits']

  async run(): Promise<void> {
    await this.parse(LimitsCommand)
    const w = Math.max(...Object.keys(DEFAULT_LIMITS).map((k) => k.length))
    for (const [k, v] of Object.entries(DEFAULT_LIMITS)) this.log(`${k.padEnd(w)}  ${v}`)
  }
}
