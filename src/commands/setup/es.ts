import {Command, Flags} from '@oclif/core'
import {commonFields} from '../../event/fields.js'
import {fields as flowFields} from '../../flows/fields.js'
import {connect, esConnection} from '../../output/elasticsearch/index.js'
import {indexTemplate} from '../../output/elasticsearch/template.js'
import {OutputConfigError} from '../../output/types.js'
import {protocols} from '../../protocols/registry.js'
import {terminalSafe} from '../../util/sanitize.js'
import {protocolList, setupConfig} from '../../output/shared/config-file.js'

export default class SetupEs extends Command {
  static override summary = 'Install the Elasticsearch index template for pbx events (generated from the fields lists).'

  static override description = `Puts an index template (PUT _index_template/NAME) whose mappings come from the same fields lists
as \`pbx fields\`: ip, long, date_nanos, keyword, boolean, double; dynamic mapping off, so nothing is typed by guess.
Connection options as for output.elasticsearch (hosts, api_key, username/password, ssl.*; or PBX_ES_API_KEY,
PBX_ES_USERNAME, PBX_ES_PASSWORD, PBX_ES_CA). Config keys: setup.template.name, setup.template.pattern,
setup.template.data_stream, setup.template.settings.index.number_of_shards / number_of_replicas.

Exit codes: 0 installed (or printed); 1 the cluster refused the template; 2 bad flags or config, or the cluster
cannot be reached.`

  static override examples = [
    '<%= config.bin %> setup es --es http://127.0.0.1:9200',
    '<%= config.bin %> setup es --print > pbx-template.json',
    'PBX_ES_API_KEY=id:key <%= config.bin %> setup es --es https://es.example:9200 --data-stream --pattern "logs-pbx-*"',
  ]

  static override flags = {
    es: Flags.string({description: 'Elasticsearch URL (repeat for several hosts; default output.elasticsearch.hosts or http://127.0.0.1:9200)', multiple: true}),
    config: Flags.string({char: 'c', description: 'YAML config file (output.elasticsearch.*, setup.template.*)'}),
    name: Flags.string({description: 'template name (default setup.template.name or "pbx")'}),
    pattern: Flags.string({description: 'index pattern the template applies to (default setup.template.pattern or "pbx-*")'}),
    'data-stream': Flags.boolean({description: 'declare a data stream (write with output.elasticsearch.op_type: create)'}),
    shards: Flags.integer({description: 'index.number_of_shards', min: 1}),
    replicas: Flags.integer({description: 'index.number_of_replicas', min: 0}),
    protocols: Flags.string({char: 'p', description: 'only these protocols\' fields (comma-separated; default all)'}),
    print: Flags.boolean({description: 'print the template as JSON instead of installing it'}),
  }

  private fail(message: string, exit: number): never {
    process.stderr.write(`pbx: ${terminalSafe(message, 2000)}\n`)
    return this.exit(exit)
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SetupEs)
    let cfg: ReturnType<typeof setupConfig>
    let selected: string[]
    try {
      cfg = setupConfig(flags.config, 'elasticsearch')
      selected = protocolList(flags.protocols, protocols.map((p) => p.name))
    } catch (e) {
      this.fail((e as Error).message, 2)
    }
    const t = (cfg.setup.template ?? {}) as Record<string, unknown>
    const idx = ((t.settings as Record<string, unknown> | undefined)?.index ?? {}) as Record<string, unknown>
    const name = flags.name ?? (typeof t.name === 'string' ? t.name : 'pbx')
    const pattern = flags.pattern ?? (typeof t.pattern === 'string' ? t.pattern : 'pbx-*')
    const fields = [...commonFields, ...protocols.filter((p) => selected.includes(p.name)).flatMap((p) => p.fields), ...flowFields]
    const body = indexTemplate(fields, {
      patterns: [pattern],
      dataStream: flags['data-stream'] || t.data_stream === true,
      shards: flags.shards ?? (typeof idx.number_of_shards === 'number' ? idx.number_of_shards : undefined),
      replicas: flags.replicas ?? (typeof idx.number_of_replicas === 'number' ? idx.number_of_replicas : undefined),
    })
    if (flags.print) {
      this.log(JSON.stringify(body, null, 2))
      return
    }
    const options = {...cfg.output, ...(flags.es ? {hosts: flags.es} : {})}
    let es: ReturnType<typeof esConnection>
    try {
      es = esConnection(options)
      await connect(es)
    } catch (e) {
      if (e instanceof OutputConfigError) this.fail(e.message, 2)
      throw e
    }
    try {
      await es.client.transport.request({method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body}, {maxRetries: 0})
    } catch (e) {
      const b = (e as {body?: {error?: {type?: string; reason?: string}}}).body?.error
      await es.client.close()
      this.fail(es.redact(`elasticsearch refused the template ${name}: ${b?.type ?? (e as Error).message}${b?.reason ? `: ${b.reason}` : ''}`), 1)
    }
    await es.client.close()
    this.log(`installed index template ${name} for ${pattern} on ${es.hosts.join(', ')}`)
  }
}
