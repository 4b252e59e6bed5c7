import {Command, Flags} from '@oclif/core'
import {chConnection, chTables, createTables} from '../../output/clickhouse/index.js'
import type {Dialect} from '../../output/clickhouse/columns.js'
import {OutputConfigError} from '../../output/types.js'
import {protocols} from '../../protocols/registry.js'
import {terminalSafe} from '../../util/sanitize.js'
import {protocolList, setupConfig} from '../../output/shared/config-file.js'

export default class SetupClickhouse extends Command {
  static override summary = 'Create the ClickHouse tables for pbx events (one per protocol, from the fields lists).'

  static override description = `Creates <table_prefix><protocol> tables (and <table_prefix>flows) that do not exist yet:
ReplacingMergeTree ORDER BY (@timestamp, _id), so a repeated run does not duplicate rows once merged (query with
FINAL). Column types follow the server's version: DateTime64(9), IPv6 and LowCardinality from 20.1 on; DateTime +
a _ns UInt32 column and String addresses on older servers such as Debian's 18.16. Connection options as for
output.clickhouse (url, database, table_prefix, username, password; or PBX_CLICKHOUSE_USER/PASSWORD).

Exit codes: 0 created (or printed); 1 the server refused a statement; 2 bad flags or config, or the server
cannot be reached.`

  static override examples = [
    '<%= config.bin %> setup clickhouse --clickhouse http://127.0.0.1:8123',
    '<%= config.bin %> setup clickhouse --print --dialect modern -p http,dns',
  ]

  static override flags = {
    clickhouse: Flags.string({description: 'ClickHouse HTTP URL (default output.clickhouse.url or http://127.0.0.1:8123)'}),
    config: Flags.string({char: 'c', description: 'YAML config file (output.clickhouse.*)'}),
    database: Flags.string({description: 'database (default "default")'}),
    'table-prefix': Flags.string({description: 'table name prefix (default "pbx_")'}),
    protocols: Flags.string({char: 'p', description: 'only these protocols (comma-separated; default all)'}),
    print: Flags.boolean({description: 'print the CREATE TABLE statements instead of running them'}),
    dialect: Flags.string({description: 'with --print: column types for this server generation', options: ['modern', 'legacy'], default: 'modern'}),
  }

  private fail(message: string, exit: number): never {
    process.stderr.write(`pbx: ${terminalSafe(message, 2000)}\n`)
    return this.exit(exit)
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SetupClickhouse)
    let cfg: ReturnType<typeof setupConfig>
    let selected: string[]
    try {
      cfg = setupConfig(flags.config, 'clickhouse')
      selected = protocolList(flags.protocols, protocols.map((p) => p.name))
    } catch (e) {
      this.fail((e as Error).message, 2)
    }
    const options: Record<string, unknown> = {...cfg.output}
    if (flags.clickhouse) options.url = flags.clickhouse
    if (flags.database) options.database = flags.database
    if (flags['table-prefix']) options.table_prefix = flags['table-prefix']
    if (flags.print) {
      const prefix = typeof options.table_prefix === 'string' ? options.table_prefix : 'pbx_'
      for (const t of chTables(selected, prefix, flags.dialect as Dialect)) this.log(`${t.create};\n`)
      return
    }
    let c: ReturnType<typeof chConnection>
    try {
      c = chConnection(options)
    } catch (e) {
      if (e instanceof OutputConfigError) this.fail(e.message, 2)
      throw e
    }
    try {
      const {dialect, tables} = await createTables(c, selected)
      this.log(`tables ${tables.map((t) => t.name).join(', ')} ready in ${c.database} on ${c.url} (${dialect} column types)`)
    } catch (e) {
      if (e instanceof OutputConfigError) this.fail(e.message, 2)
      this.fail(c.redact(`clickhouse refused a statement: ${(e as Error).message.split('\n')[0]}`), 1)
    } finally {
      await c.client.close()
    }
  }
}
