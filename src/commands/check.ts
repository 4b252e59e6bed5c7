import {readFileSync, writeFileSync} from 'node:fs'
import {Args, Command, Flags} from '@oclif/core'
import {CheckExit, checkExitCode, runCheck, runInit} from '../check/index.js'
import {jsonReport, junitReport, textReport} from '../check/report.js'
import {compileRules, type Rule, RulesError} from '../check/rules.js'
import {PlanError} from '../run/plan.js'
import {terminalSafe} from '../util/sanitize.js'

export default class Check extends Command {
  static override summary = 'Check the traffic of captures against rules (for CI): counts, errors, latency, TLS, destinations, anomalies.'

  static override description = `Reads the captures like \`pbx analyze\` and judges every rule of the rules file (YAML) on their events.
For every rule it prints what was expected, what was seen, and for a failed rule up to three example events with
their frame numbers. --junit writes JUnit XML (one test case per rule) for GitLab and GitHub; --json prints JSON.
--init writes a starting rules file from a good run on standard output. Rule kinds: README, "Regression checks in CI".

Exit codes: 0 every rule holds; 1 a rule failed; 2 the run could not complete (bad flags, config or rules file, an
input that cannot be read, a truncated or damaged capture: never a pass).`

  static override examples = [
    '<%= config.bin %> check --init good-run.pcap > rules.yml',
    '<%= config.bin %> check test-run.pcap --rules rules.yml --junit pbx-check.xml',
  ]

  static override args = {
    files: Args.string({description: 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin', required: true}),
  }

  static override strict = false

  static override flags = {
    rules: Flags.string({char: 'r', description: 'rules file (YAML)'}),
    junit: Flags.string({description: 'also write JUnit XML to this file'}),
    json: Flags.boolean({description: 'print the results as JSON instead of text'}),
    init: Flags.boolean({description: 'print a starting rules file from this (good) run instead of checking', exclusive: ['rules', 'junit', 'json']}),
    protocols: Flags.string({char: 'p', description: 'comma-separated protocols to parse (default: all)'}),
    config: Flags.string({char: 'c', description: 'YAML config file (limits, protocol options)'}),
    limit: Flags.string({description: 'override a bound, e.g. --limit tcpOooBytesPerConn=1048576 (repeatable)', multiple: true, multipleNonGreedy: true}),
  }

  private fail(message: string): never {
    process.stderr.write(`pbx: ${terminalSafe(message, 2000)}\n`)
    return this.exit(CheckExit.ERROR)
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Check)
    const inv = {files: argv as string[], configFile: flags.config, protocols: flags.protocols, limits: flags.limit}
    try {
      if (flags.init) {
        const r = await runInit(inv)
        for (const e of r.errors) process.stderr.write(`pbx: ${terminalSafe(e, 1000)}\n`)
        if (!r.complete) this.fail('the run did not complete: no rules written (a rules file must come from a good run)')
        process.stdout.write(r.yaml)
        return
      }
      if (flags.rules === undefined) this.fail('--rules FILE is required (or --init to write one)')
      let rules: Rule[]
      try {
        rules = compileRules(readFileSync(flags.rules as string, 'utf8'), flags.rules as string, (w) => process.stderr.write(`pbx: warning: ${terminalSafe(w, 1000)}\n`))
      } catch (e) {
        if (e instanceof RulesError) this.fail(e.message)
        this.fail(`${flags.rules}: cannot read the rules file: ${(e as Error).message}`)
      }
      const report = await runCheck(inv, rules)
      for (const e of report.errors) process.stderr.write(`pbx: ${terminalSafe(e, 1000)}\n`)
      if (flags.junit !== undefined) {
        try {
          writeFileSync(flags.junit, junitReport(report))
        } catch (e) {
          this.fail(`--junit ${flags.junit}: ${(e as Error).message}`)
        }
      }
      process.stdout.write(flags.json ? jsonReport(report) : textReport(report))
      const code = checkExitCode(report)
      if (code !== CheckExit.PASS) this.exit(code)
    } catch (e) {
      if (e instanceof PlanError) this.fail(e.message)
      throw e
    }
  }
}
