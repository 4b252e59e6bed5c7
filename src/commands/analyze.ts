import {createWriteStream, statSync} from 'node:fs'
import cliProgress from 'cli-progress'
import {Args, Command, Flags} from '@oclif/core'
import {ConfigError, loadConfig, type PbxConfig, parseLimitFlags} from '../config.js'
import {commonFields} from '../event/fields.js'
import {createFlowObserver, fields as flowFields} from '../flows/index.js'
import {type Limits, makeLimits} from '../limits.js'
import {CsvOutput} from '../output/csv.js'
import {NdjsonOutput} from '../output/ndjson.js'
import {SummaryOutput} from '../output/summary.js'
import type {Output} from '../output/types.js'
import {TextWriter} from '../output/writer.js'
import {type AnalyzeOptions, type AnalyzeResult, analyze, ExitCode} from '../pipeline/analyze.js'
import {protocols as allProtocols} from '../protocols/registry.js'
import type {Protocol} from '../protocols/types.js'
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
    format: Flags.string({char: 'f', description: 'output format', options: ['summary', 'ndjson', 'csv'], default: 'summary'}),
    output: Flags.string({char: 'o', description: 'write to this file instead of standard output'}),
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
    const files = argv as string[]
    let limits: Limits
    let cfg: PbxConfig
    try {
      cfg = loadConfig(flags.config)
      limits = makeLimits({...cfg.limits, ...parseLimitFlags(flags.limit ?? [])})
    } catch (e) {
      if (e instanceof ConfigError || e instanceof Error) this.fail(e.message, {exit: ExitCode.USAGE})
      throw e
    }
    let selected: Protocol[] = allProtocols.filter((p) => cfg.protocols[p.name]?.enabled !== false)
    if (flags.protocols) {
      const names = flags.protocols.split(',').map((s) => s.trim()).filter(Boolean)
      for (const n of names) {
        if (!allProtocols.some((p) => p.name === n)) {
          this.fail(`unknown protocol "${n}"; known: ${allProtocols.map((p) => p.name).join(', ')}`, {exit: ExitCode.USAGE})
        }
      }
      selected = allProtocols.filter((p) => names.includes(p.name))
    }
    const protocolOptions: Record<string, Record<string, unknown>> = {}
    for (const p of allProtocols) protocolOptions[p.name] = {...(cfg.protocols[p.name] ?? {})}
    if (flags['send-headers']) protocolOptions.http = {...protocolOptions.http, send_headers: true}

    let observer: AnalyzeOptions['observer']
    if (flags.flows || flags['flow-period'] !== undefined) {
      const periodSec = flags['flow-period'] === undefined ? 0 : Number(flags['flow-period'])
      try {
        observer = createFlowObserver({periodSec})
      } catch (e) {
        this.fail(`--flow-period: ${(e as Error).message}`, {exit: ExitCode.USAGE})
      }
    }

    const toFile = flags.output !== undefined && flags.output !== '-'
    const stream = toFile ? createWriteStream(flags.output as string) : process.stdout
    if (toFile) {
      // Surface an unwritable output path before reading anything.
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve())
        stream.once('error', reject)
      }).catch((e: Error) => this.fail(`cannot write ${flags.output}: ${e.message}`, {exit: ExitCode.USAGE}))
    }
    const writer = new TextWriter(stream, toFile ? (flags.output as string) : 'standard output')
    const color = flags.color ?? (!toFile && process.stdout.isTTY === true && !process.env.NO_COLOR)
    let output: Output
    if (flags.format === 'ndjson') output = new NdjsonOutput(writer, toFile)
    else if (flags.format === 'csv') {
      output = new CsvOutput(writer, toFile, [...commonFields, ...selected.flatMap((p) => p.fields), ...(flags.flows ? flowFields : [])])
    }
    else output = new SummaryOutput(writer, toFile, limits, {color, top: flags.top})

    const progress = makeProgress(files, flags.progress ?? process.stderr.isTTY === true)
    let result: AnalyzeResult
    try {
      result = await analyze({files, protocols: selected, limits, output, protocolOptions, observer, progress: progress?.update})
    } finally {
      progress?.stop()
    }
    for (const e of result.errors) process.stderr.write(`pbx: ${terminalSafe(e, 1000)}\n`)
    if (result.exitCode !== ExitCode.OK) this.exit(result.exitCode)
  }
}

/** A progress bar on stderr over the total size of the input files (unknown for stdin: no bar). */
function makeProgress(files: string[], enabled: boolean): {update: (file: string, bytes: number) => void; stop: () => void} | null {
  if (!enabled || files.includes('-')) return null
  const sizes = new Map<string, number>()
  let total = 0
  for (const f of files) {
    try {
      const n = statSync(f).size
      sizes.set(f, n)
      total += n
    } catch {
      sizes.set(f, 0)
    }
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
    update(file, bytes) {
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
