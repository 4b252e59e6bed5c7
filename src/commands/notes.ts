import {Command, Flags} from '@oclif/core'
import {ANOMALIES} from '../event/anomalies.js'

export default class Notes extends Command {
  static override summary = 'List the anomaly codes events carry in pbx.anomalies (one per note), with descriptions.'
  static override examples = ['<%= config.bin %> notes', '<%= config.bin %> notes --json']

  static override flags = {
    json: Flags.boolean({description: 'print JSON instead of a table'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Notes)
    const codes = Object.keys(ANOMALIES).sort() as (keyof typeof ANOMALIES)[]
    if (flags.json) {
      this.log(JSON.stringify(codes.map((code) => ({code, description: ANOMALIES[code].description, text: ANOMALIES[code].text})), null, 2))
      return
    }
    const w = Math.max(...codes.map((c) => c.length))
    for (const c of codes) this.log(`${c.padEnd(w)}  ${ANOMALIES[c].description}`)
  }
}
