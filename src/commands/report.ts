import {writeFileSync} from 'node:fs'
import {Args, Command, Flags} from '@oclif/core'
import {protocols as allProtocols} from '../protocols/registry.js'
import {buildReport} from '../report/index.js'
import {ExitCode} from '../run/exit-codes.js'
import {PlanError} from '../run/plan.js'
import {terminalSafe} from '../util/sanitize.js'

export default class Report extends Command {
  static override summary = 'Write a self-contained HTML report of capture files.'

  static override description = `Reads captures like "pbx analyze" and writes one HTML file that opens without network: the
capture facts, a per-service table with error rates and latency percentiles, latency and timeline charts, the
slowest and failed transactions with their frame numbers, HTTP status / DNS rcode / SQL error breakdowns, top
talkers, TLS versions, SNI, JA3/JA4 and certificate expiry, DNS names and NXDOMAIN, and TCP health.

Exit codes as for analyze: 0 ok; 2 bad flags or config; 3 an input could not be opened; 4 a capture is damaged
(the report is still written, with the error in its header); 5 the report file could not be written.`

  static override examples = ['<%= config.bin %> report samples/http/nginx.pcap -o report.html', '<%= config.bin %> report a.pcap b.pcapng.gz -o - > report.html']

  static override args = {
    files: Args.string({description: 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin', required: true}),
  }

  static override strict = false

  static override flags = {
    output: Flags.string({char: 'o', description: 'the HTML file to write (- for standard output)', required: true}),
    protocols: Flags.string({char: 'p', description: `comma-separated protocols to parse (default: all: ${allProtocols.map((p) => p.name).join(',')})`}),
    config: Flags.string({char: 'c', description: 'YAML config file (limits, protocol options)'}),
    limit: Flags.string({description: 'override a bound, e.g. --limit tcpOooBytesPerConn=1048576 (repeatable)', multiple: true, multipleNonGreedy: true}),
    top: Flags.integer({description: 'rows in each table of the report', default: 20, min: 1}),
    title: Flags.string({description: 'title of the report page'}),
  }

  private fail(message: string, code: number): never {
    process.stderr.write(`pbx: ${terminalSafe(message, 2000)}\n`)
    return this.exit(code)
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Report)
    let rep: Awaited<ReturnType<typeof buildReport>>
    try {
      rep = await buildReport({files: argv as string[], configFile: flags.config, protocols: flags.protocols, limits: flags.limit, top: flags.top, title: flags.title})
    } catch (e) {
      if (e instanceof PlanError) this.fail(e.message, e.exitCode)
      throw e
    }
    for (const w of rep.warnings) process.stderr.write(`pbx: warning: ${terminalSafe(w, 1000)}\n`)
    // No input could be read: no report (an existing FILE is left as it was).
    if (rep.result === null) this.fail(rep.unreadable.join('\n') || 'no input', ExitCode.UNREADABLE)
    let exitCode: number = rep.unreadable.length > 0 ? ExitCode.UNREADABLE : ExitCode.OK
    if (rep.result !== null) exitCode = Math.max(exitCode, rep.result.exitCode)
    try {
      if (flags.output === '-') process.stdout.write(rep.html)
      else writeFileSync(flags.output, rep.html)
    } catch (e) {
      this.fail(`cannot write ${flags.output}: ${(e as Error).message}`, ExitCode.OUTPUT)
    }
    for (const e of [...rep.unreadable, ...(rep.result?.errors ?? [])]) process.stderr.write(`pbx: ${terminalSafe(e, 1000)}\n`)
    if (exitCode !== ExitCode.OK) this.exit(exitCode)
  }
}
