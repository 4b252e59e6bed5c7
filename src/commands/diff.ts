import {closeSync, openSync, readFileSync, readSync} from 'node:fs'
import {Args, Command, Flags} from '@oclif/core'
import {type Baseline, BaselineError, looksLikeJson, parseBaseline} from '../check/baseline.js'
import {DEFAULT_THRESHOLDS, type DiffThresholds, diffBaselines, diffTable, parseThresholds, ThresholdError} from '../check/diff.js'
import {CheckExit, runBaseline} from '../check/index.js'
import {PlanError} from '../run/plan.js'
import {terminalSafe} from '../util/sanitize.js'

export default class DiffCommand extends Command {
  static override summary = 'Compare a run with a baseline (or another capture): what appeared, disappeared or moved beyond thresholds.'

  static override description = `The first argument is a baseline written by \`pbx baseline\` or a capture (its baseline is computed); the
captures after it are the new run. Prints a table (or JSON with --json) of the differences; volatile things (client
ports, times, ids) are never compared.

Thresholds (--threshold KEY=VALUE, repeatable): latency=0.5 (relative change of the latency metric),
latency_metric=p95 (p50, p90, p95, p99, max), latency_floor=1ms (smaller changes never count), count=0 (absolute
count change, every section), count.SECTION=N (one section: ${['protocols', 'endpoints', 'http_status', 'dns_names', '...'].join(', ')}),
new_endpoints=fail|ignore.

Exit codes: 0 no regression (improvements may be listed); 1 a regression; 2 the run could not complete (bad flags,
a bad baseline file, an unreadable or damaged capture).`

  static override examples = [
    '<%= config.bin %> diff baseline.json test-run.pcap',
    '<%= config.bin %> diff good.pcap new.pcap --threshold latency=1 --threshold count.dns_names=10 --json',
  ]

  static override args = {
    baseline: Args.string({description: 'baseline JSON file, or a capture to compare against', required: true}),
    files: Args.string({description: 'capture files of the new run', required: true}),
  }

  static override strict = false

  static override flags = {
    threshold: Flags.string({char: 't', description: 'KEY=VALUE (repeatable), see the description', multiple: true, multipleNonGreedy: true}),
    json: Flags.boolean({description: 'print the differences as JSON'}),
    protocols: Flags.string({char: 'p', description: 'comma-separated protocols to parse (default: all)'}),
    config: Flags.string({char: 'c', description: 'YAML config file (limits, protocol options)'}),
    limit: Flags.string({description: 'override a bound (repeatable)', multiple: true, multipleNonGreedy: true}),
  }

  private fail(message: string): never {
    process.stderr.write(`pbx: ${terminalSafe(message, 2000)}\n`)
    return this.exit(CheckExit.ERROR)
  }

  private async baselineOf(files: string[], flags: {config?: string; protocols?: string; limit?: string[]}): Promise<Baseline> {
    const r = await runBaseline({files, configFile: flags.config, protocols: flags.protocols, limits: flags.limit})
    for (const e of r.errors) process.stderr.write(`pbx: ${terminalSafe(e, 1000)}\n`)
    if (!r.complete) this.fail('the run did not complete: nothing compared')
    return r.baseline
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(DiffCommand)
    const [first, ...rest] = argv as string[]
    let thresholds: DiffThresholds = DEFAULT_THRESHOLDS
    try {
      thresholds = parseThresholds(flags.threshold ?? [])
    } catch (e) {
      if (e instanceof ThresholdError) this.fail(e.message)
      throw e
    }
    try {
      let before: Baseline
      if (first !== '-' && isJsonFile(first)) {
        try {
          before = parseBaseline(readFileSync(first, 'utf8'), first)
        } catch (e) {
          if (e instanceof BaselineError) this.fail(e.message)
          throw e
        }
      } else before = await this.baselineOf([first], flags)
      const after = await this.baselineOf(rest, flags)
      const diffs = diffBaselines(before, after, thresholds)
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({regression: diffs.some((d) => d.regression), thresholds, differences: diffs}, null, 2)}\n`)
      } else process.stdout.write(diffTable(diffs, thresholds))
      if (diffs.some((d) => d.regression)) this.exit(CheckExit.FAIL)
    } catch (e) {
      if (e instanceof PlanError) this.fail(e.message)
      throw e
    }
  }
}

/** A file whose first bytes are `{` is a baseline; anything else is read as a capture. */
function isJsonFile(file: string): boolean {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return false
  }
  try {
    const head = Buffer.alloc(64)
    const n = readSync(fd, head, 0, head.length, 0)
    return looksLikeJson(head.subarray(0, n))
  } finally {
    closeSync(fd)
  }
}
