import {Command, Flags} from '@oclif/core'
import {commonFields} from '../event/fields.js'
import {fields as flowFields} from '../flows/index.js'
import {protocols} from '../protocols/registry.js'
import type {FieldSpec} from '../event/types.js'

export default class Fields extends Command {
  static override summary = 'List the fields of the events pbx emits, with types and descriptions.'
  static override examples = ['<%= config.bin %> fields', '<%= config.bin %> fields --protocol http --json']

  static override flags = {
    protocol: Flags.string({char: 'p', description: 'only this protocol (use "common" for the fields every event has)'}),
    json: Flags.boolean({description: 'print JSON instead of a table'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Fields)
    const groups: [string, FieldSpec[]][] = [['common', commonFields], ...protocols.map((p): [string, FieldSpec[]] => [p.name, p.fields]), ['flow', flowFields]]
    const chosen = flags.protocol ? groups.filter(([g]) => g === flags.protocol) : groups
    if (chosen.length === 0) this.error(`unknown protocol "${flags.protocol}"; known: ${groups.map(([g]) => g).join(', ')}`, {exit: 2})
    if (flags.json) {
      this.log(JSON.stringify(Object.fromEntries(chosen), null, 2))
      return
    }
    for (const [g, fields] of chosen) {
      this.log(`# ${g}`)
      const w = Math.max(...fields.map((f) => f.name.length))
      for (const f of fields) this.log(`${f.name.padEnd(w)}  ${(f.type + (f.array ? '[]' : '')).padEnd(10)}  ${f.description}`)
      this.log('')
    }
  }
}
