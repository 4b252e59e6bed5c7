import {Args, Command, Flags} from '@oclif/core'
import {outputs as allOutputs} from '../output/registry.js'
import {protocols as allProtocols} from '../protocols/registry.js'
import {ExitCode} from '../run/exit-codes.js'
import {outputRequests, PlanError, planRun} from '../run/plan.js'
import {TerminalProgress} from '../run/progress.js'
import {type RunResult, run} from '../run/run.js'
import {terminalSafe} from '../util/sanitize.js'

export default class Analyze extends Command {
  static override summary = 'Read capture files and report their application transactions.'

  static override description = `Reads pcap, pcapng (and gzip-compressed) captures as a stream, reassembles TCP and parses
application protocols into request/response transactions. "-" reads standard input. Several files are read in
order; each event then says which file it came from (pbx.file).

Exit codes: 0 ok; 2 bad flags or config; 3 an input could not be opened or is not a capture; 4 a capture is
truncated or damaged (everything before the damage was still analyzed and written); 5 an output could not be
written (disk full, closed standard output, events lost by a server); 130/143 stopped by SIGINT/SIGTERM after
flushing everything in flight.`

  static override examples = [
    '<%= config.bin %> analyze samples/http/nginx.pcap',
    '<%= config.bin %> analyze capture.pcapng.gz --format ndjson | jq -c "select(.status != \\"OK\\")"',
    '<%= config.bin %> analyze a.pcap b.pcap --format csv -o out.csv',
    'tcpdump -w - -i lo | <%= config.bin %> analyze - --format ndjson',
  ]

  static override args = {
    files: Args.string({description: 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin', required: true}),
  }

  static override strict = false

  static override flags = {
    format: Flags.string({
      char: 'f',
      multiple: true,
      multipleNonGreedy: true,
      description: `output format, optionally with its file: FORMAT[=PATH]; repeat for several outputs in one run (${allOutputs.map((o) => o.name).join(', ')}; default summary)`,
    }),
    output: Flags.string({char: 'o', description: 'write the (single) format to this file instead of standard output'}),
    protocols: Flags.string({
      char: 'p',
      description: `comma-separated protocols to parse (default: all: ${allProtocols.map((p) => p.name).join(',')})`,
    }),
    config: Flags.string({char: 'c', description: 'YAML config file (limits, protocol options)'}),
    limit: Flags.string({
      description: 'override a bound, e.g. --limit tcpOooBytesPerConn=1048576 (repeatable; see `pbx limits`)',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'send-headers': Flags.boolean({description: 'include HTTP request/response headers in events'}),
    'tls-keylog': Flags.string({description: 'NSS key log file (SSLKEYLOGFILE format) to decrypt TLS; also read: $SSLKEYLOGFILE, tls.keylog_file, pcapng secrets blocks', helpValue: 'FILE'}),
    fields: Flags.string({description: 'NDJSON/CSV: only these fields, in this order, e.g. --fields url.path,http.response.status_code'}),
    top: Flags.integer({description: 'rows in each top-N table of the summary', default: 10, min: 0}),
    color: Flags.boolean({description: 'colour the summary (default: when stdout is a terminal)', allowNo: true}),
    flows: Flags.boolean({description: 'also emit a flow record (type "flow") per TCP connection and UDP flow'}),
    'flow-period': Flags.string({description: 'with --flows: also emit interim flow records every SECONDS of capture time'}),
    progress: Flags.boolean({description: 'show a progress bar on stderr (default: when stderr is a terminal)', allowNo: true}),
  }

  /** Prints `pbx: message` on stderr (unwrapped, one line) and exits with `code`. */
  private fail(message: string, opts: {exit: number}): never {
    process.stderr.write(`pbx: ${terminalSafe(message, 2000)}\n`)
    return this.exit(opts.exit)
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Analyze)
    let plan: Awaited<ReturnType<typeof planRun>>
    try {
      plan = await planRun({
        files: argv as string[],
        outputs: outputRequests(flags.format, flags.output),
        configFile: flags.config,
        protocols: flags.protocols,
        limits: flags.limit,
        sendHeaders: flags['send-headers'],
        tlsKeylog: flags['tls-keylog'],
        flows: flags.flows,
        flowPeriod: flags['flow-period'],
        fields: flags.fields,
        top: flags.top,
        color: flags.color,
      })
    } catch (e) {
      if (e instanceof PlanError) this.fail(e.message, {exit: e.exitCode})
      throw e
    }
    for (const w of plan.warnings) process.stderr.write(`pbx: warning: ${terminalSafe(w, 1000)}\n`)
    let exitCode: number = plan.unreadable.length > 0 ? ExitCode.UNREADABLE : ExitCode.OK
    const errors = plan.unreadable.map((u) => u.message)
    if (plan.options.sources.length > 0) {
      // Ctrl-C / SIGTERM: stop reading, flush everything in flight, write the outputs' ends (the
      // summary), then exit 130 / 143. A second signal while flushing is left to the default.
      const abort = new AbortController()
      let signalCode = 0
      const onSignal = (code: number) => () => {
        signalCode = code
        abort.abort()
      }
      const onInt = onSignal(ExitCode.SIGINT)
      const onTerm = onSignal(ExitCode.SIGTERM)
      process.once('SIGINT', onInt)
      process.once('SIGTERM', onTerm)
      const progress = TerminalProgress.create(plan.options.sources, flags.progress ?? process.stderr.isTTY === true) ?? undefined
      let result: RunResult
      try {
        result = await run({...plan.options, progress, signal: abort.signal})
      } finally {
        progress?.stop()
        process.off('SIGINT', onInt)
        process.off('SIGTERM', onTerm)
      }
      errors.push(...result.errors)
      exitCode = Math.max(exitCode, result.exitCode)
      if (result.interrupted && signalCode !== 0) {
        exitCode = signalCode
        const st = result.stats
        errors.push(
          `stopped by ${signalCode === ExitCode.SIGINT ? 'SIGINT' : 'SIGTERM'} after ${st.packets} packets: everything in flight was flushed; ${result.events} events written`,
        )
      }
    }
    for (const e of errors) process.stderr.write(`pbx: ${terminalSafe(e, 1000)}\n`)
    if (exitCode !== ExitCode.OK) this.exit(exitCode)
  }
}
