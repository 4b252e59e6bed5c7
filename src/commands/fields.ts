import {Command, Flags} from '@oclif/core'
import {fieldGroups, schemaMarkdown} from '../output/schema-doc.js'

export default class Fields extends Command {
  static override summary = 'List the fields of the events pbx emits, with types and descriptions.'
  static override examples = [
    '<%= config.bin %> fields',
    '<%= config.bin %> fields --protocol http --json',
    '<%= config.bin %> fields --markdown > docs/SCHEMA.md',
  ]

  static override flags = {
    protocol: Flags.string({char: 'p', description: 'only this protocol (use "common" for the fields every event has)'}),
    json: Flags.boolean({description: 'print JSON instead of a table', exclusive: ['markdown']}),
    markdown: Flags.boolean({description: 'print the whole event contract as Markdown (docs/SCHEMA.md)', exclusive: ['json', 'protocol']}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Fields)
    const groups = fieldGroups()
    if (flags.markdown) {
      // schemaMarkdown() ends with a newline already; write it byte for byte.
      process.stdout.write(schemaMarkdown(groups))
      return
    }
    const chosen = flags.protocol ? groups.filter((g) => g.name === flags.protocol) : groups
    if (chosen.length === 0) this.error(`unknown protocol "${flags.protocol}"; known: ${groups.map((g) => g.name).join(', ')}`, {exit: 2})
    if (flags.json) {
      this.log(JSON.stringify(Object.fromEntries(chosen.map((g) => [g.name, g.fields])), null, 2))
      return
    }
    for (const g of chosen) {
      this.log(`# ${g.name}`)
      const w = Math.max(...g.fields.map((f) => f.name.length))
      for (const f of g.fields) this.log(`${f.name.padEnd(w)}  ${(f.type + (f.array ? '[]' : '')).padEnd(10)}  ${f.description}`)
      this.log('')
    }
  }
}
