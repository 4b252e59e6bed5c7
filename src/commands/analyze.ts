import {Args, Command, Flags} from '@oclif/core'
import type {CaptureSource} from '../capture/source.js'
import {outputs as allOutputs} from '../output/registry.js'
import {protocols as allProtocols} from '../protocols/registry.js'
import {ExitCode} from '../run/exit-codes.js'
import {outputRequests, PlanError, planRun} from '../run/plan.js'
import {type RunResult, run} from '../run/run.js'
import {terminalSafe} from '../util/sanitize.js'

export default class Analyze extends Command {
  static override summary = 'Read capture files and report their application transactions.'

  static override description = `Reads pcap, pcapng (and gzip-compressed) captures as a stream, reassembles TCP and parses
application protocols into request/response transactions. "-" reads standard input. Several files are read in
order; each event then says which file it came from (pbx.file).

Exit codes: 0 ok; 2 bad flags or config; 3 an input could not be opened or is not a capture; 4 a capture is
truncated or damaged (everything before the damage was still analyzed and written).`

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
      description: `output format, optionally with its file: FORMAT[=PATH]; repeat for several outputs in one run (${allOutputs.map((o) => o.name).join(', ')}; default summary)`,
    }),
    output: Flags.string({char: 'o', description: 'write the (single) format to this file instead of standard output'}),
    protocols: Flags.string({
      char: 'p',
      description: `comma-separated protocols to parse (default: all: ${allProtocols.map((p) => p.name).join(',')})`,
    }),
    config: Flags.string({char: 'c', description: 'YAML config file (limits, protocol options)'}),
    limit: Flags.string({description: 'override a bound, e.g. --limit tcpOooBytesPerConn=1048576 (see `pbx limits`)', multiple: true}),
    'send-headers': Flags.boolean({description: 'include HTTP request/response headers in events'}),
    top: Flags.integer({description: 'rows in each top-N table of the summary', default: 10}),
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
        flows: flags.flows,
        flowPeriod: flags['flow-period'],
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
      const progress = await makeProgress(plan.options.sources, flags.progress ?? process.stderr.isTTY === true)
      let result: RunResult
      try {
        result = await run({...plan.options, progress: progress?.update})
      } finally {
        progress?.stop()
      }
      errors.push(...result.errors)
      exitCode = Math.max(exitCode, result.exitCode)
    }
    for (const e of errors) process.stderr.write(`pbx: ${terminalSafe(e, 1000)}\n`)
    if (exitCode !== ExitCode.OK) this.exit(exitCode)
  }
}

/** A progress bar on stderr over the total size of the input files (unknown for stdin: no bar). */
async function makeProgress(
  sources: readonly CaptureSource[],
  enabled: boolean,
): Promise<{update: (source: CaptureSource, bytes: number) => void; stop: () => void} | null> {
  if (!enabled || sources.some((s) => s.size === undefined)) return null
  // Loaded only when a bar is shown (start-up).
  const {default: cliProgress} = await import('cli-progress')
  const sizes = new Map<string, number>()
  let total = 0
  for (const s of sources) {
    sizes.set(s.name, s.size ?? 0)
    total += s.size ?? 0
  }
  if (total === 0) return null
  const bar = new cliProgress.SingleBar(
    {stream: process.stderr, format: 'pbx {bar} {percentage}% | {file}', hideCursor: true, clearOnComplete: true, fps: 5},
    cliProgress.Presets.shades_classic,
  )
  bar.start(total, 0, {file: ''})
  let done = 0
  let current = ''
  let currentBytes = 0
  return {
    update(source, bytes) {
      const file = source.name
      if (file !== current) {
        done += sizes.get(current) ?? 0
        current = file
      }
      currentBytes = Math.min(bytes, sizes.get(file) ?? bytes)
      bar.update(done + currentBytes, {file: terminalSafe(file, 60)})
    },
    stop() {
      bar.stop()
    },
  }
}
