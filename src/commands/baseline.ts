import {writeFileSync} from 'node:fs'
import {Args, Command, Flags} from '@oclif/core'
import {CheckExit, runBaseline} from '../check/index.js'
import {PlanError} from '../run/plan.js'
import {terminalSafe} from '../util/sanitize.js'

export default class BaselineCommand extends Command {
  static override summary = 'Record the aggregates of a good run (servers, protocols, status mix, latency per route and SQL fingerprint, ...) for `pbx diff`.'

  static override description = `Writes a JSON document (with a "version" field) that holds aggregates, never events: endpoints and their
errors, protocols, HTTP status and DNS rcode mix, methods, latency percentiles per route template and per SQL
fingerprint, TLS versions and SNI, DNS names, anomaly counts. Client ports, times and ids are left out, so they never
show up as differences.

Exit codes: 0 written; 2 the run could not complete (bad flags or config, an unreadable or damaged capture): nothing is written.`

  static override examples = ['<%= config.bin %> baseline good-run.pcap -o baseline.json']

  static override args = {
    files: Args.string({description: 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin', required: true}),
  }

  static override strict = false

  static override flags = {
    output: Flags.string({char: 'o', description: 'write the baseline to this file (default: standard output)'}),
    protocols: Flags.string({char: 'p', description: 'comma-separated protocols to parse (default: all)'}),
    config: Flags.string({char: 'c', description: 'YAML config file (limits, protocol options)'}),
    limit: Flags.string({description: 'override a bound (repeatable)', multiple: true, multipleNonGreedy: true}),
  }

  private fail(message: string): never {
    process.stderr.write(`pbx: ${terminalSafe(message, 2000)}\n`)
    return this.exit(CheckExit.ERROR)
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(BaselineCommand)
    let r: Awaited<ReturnType<typeof runBaseline>>
    try {
      r = await runBaseline({files: argv as string[], configFile: flags.config, protocols: flags.protocols, limits: flags.limit})
    } catch (e) {
      if (e instanceof PlanError) this.fail(e.message)
      throw e
    }
    for (const e of r.errors) process.stderr.write(`pbx: ${terminalSafe(e, 1000)}\n`)
    if (!r.complete) this.fail('the run did not complete: no baseline written')
    const text = `${JSON.stringify(r.baseline, null, 2)}\n`
    if (flags.output === undefined || flags.output === '-') process.stdout.write(text)
    else {
      try {
        writeFileSync(flags.output, text)
      } catch (e) {
        this.fail(`-o ${flags.output}: ${(e as Error).message}`)
      }
    }
  }
}
