/**
 * From what a user asked for (command-line flags and a config file) to RunOptions. Every command
 * that runs the pipeline (`analyze`, and later `check`, `diff`, `report`, `live`) goes through
 * planRun(), so flags mean the same everywhere. Nothing is read from the inputs here except the
 * probe of their first bytes; outputs are opened only when at least one input can be read, so a
 * bad input never truncates an existing `-o FILE`.
 *
 * Errors are PlanError with the exit code to use (2 for flags/config, 3 when no input can be read)
 * and a message for the user that names the flag, key, file or value.
 */
import {type CaptureSource, fileSources} from '../capture/source.js'
import {ConfigError, type EffectiveConfig, loadEffectiveConfig, parseLimitFlags} from '../config/index.js'
import type {RecordFilter} from '../engine/engine.js'
import {compileWhere} from '../processors/where.js'
import type {ProcessorCounters} from '../processors/options.js'
import type {Processor} from '../processors/types.js'
import {ProcessorConfigError} from '../processors/types.js'
import {commonFields} from '../event/fields.js'
import {createFlowObserver, fields as flowFields} from '../flows/index.js'
import {type Limits, makeLimits} from '../limits.js'
import {outputByName, outputs as allOutputs} from '../output/registry.js'
import {type Output, OutputConfigError, type OutputContext, OutputError} from '../output/types.js'
import {protocols as allProtocols} from '../protocols/registry.js'
import {keyLogSecretsHandler, runKeyLog} from '../protocols/tls/decrypt/index.js'
import type {FieldSpec} from '../event/types.js'
import type {Protocol} from '../protocols/types.js'
import {ExitCode} from './exit-codes.js'
import {defaultWorkers} from './parallel.js'
import type {RunOptions} from './run.js'

export class PlanError extends Error {
  override name = 'PlanError'
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
  }
}

/** One output asked for: `--format NAME[=PATH]`, with `-o PATH` for a single format. */
export interface OutputRequest {
  type: string
  path?: string
  options?: Record<string, unknown>
}

export interface Invocation {
  /** Capture files (`-` for standard input); ignored when `sources` is given. */
  files: readonly string[]
  /** Sources other than files (a live interface); probed like files. */
  sources?: readonly CaptureSource[]
  /** Outputs in order; empty: the summary on standard output. */
  outputs?: readonly OutputRequest[]
  configFile?: string
  /** `-p http,dns`. */
  protocols?: string
  /** `--limit name=value` items. */
  limits?: readonly string[]
  sendHeaders?: boolean
  flows?: boolean
  /** `--flow-period SECONDS` as typed. */
  flowPeriod?: string
  /** `--fields a,b,c`: the NDJSON/CSV fields and their order. */
  fields?: string
  /** `--where CONDITION`: keep only events matching (the processors' condition language). */
  where?: string
  /** `--filter EXPR`: pcap-filter expression applied to every record before decoding. */
  filter?: string
  /** `--tls-keylog FILE`: NSS key log for TLS decryption (besides SSLKEYLOGFILE, tls.keylog_file). */
  tlsKeylog?: string
  /** `--workers N`; unset: defaultWorkers() of the inputs' total size (./parallel.ts). */
  workers?: number
  /** Summary options. */
  top?: number
  color?: boolean
}

export interface Plan {
  options: RunOptions
  /** The configuration in force (file and defaults). */
  config: EffectiveConfig
  /** Anomaly counters of the compiled processors (`processor.script_error`, ...), filled by the run. */
  processorCounters: ProcessorCounters
  /** Sources that cannot be read at all (already probed); their errors go with the run's. */
  unreadable: {source: CaptureSource; message: string}[]
  limits: Limits
  warnings: string[]
}

/**
 * Parses `--format` values: `ndjson`, `ndjson=FILE`, several of them; `-o FILE` applies to a single
 * format given without `=`.
 */
export function outputRequests(
  formats: readonly string[] | undefined,
  output: string | undefined,
  servers: {es?: string; clickhouse?: string} = {},
): OutputRequest[] {
  const given = formats !== undefined && formats.length > 0
  const reqs: OutputRequest[] = []
  if (servers.es !== undefined) reqs.push({type: 'elasticsearch', options: {hosts: [servers.es]}})
  if (servers.clickhouse !== undefined) reqs.push({type: 'clickhouse', options: {url: servers.clickhouse}})
  // Nothing on the command line: empty, so that the configuration's outputs (or the summary) apply.
  if (!given && output === undefined && reqs.length === 0) return []
  const list = given ? formats : ['summary']
  for (const f of list) {
    const eq = f.indexOf('=')
    const type = eq < 0 ? f : f.slice(0, eq)
    if (outputByName(type) === undefined) {
      throw new PlanError(`--format: unknown output "${type}"; known: ${allOutputs.map((o) => o.name).join(', ')}`, ExitCode.USAGE)
    }
    reqs.push(eq < 0 ? {type} : {type, path: f.slice(eq + 1)})
  }
  if (output !== undefined) {
    const bare = reqs.filter((r) => r.path === undefined && r.type !== 'elasticsearch' && r.type !== 'clickhouse')
    if (bare.length !== 1) throw new PlanError('-o/--output needs exactly one --format without "=PATH"', ExitCode.USAGE)
    bare[0].path = output
  }
  const toStdout = reqs.filter((r) => (r.path === undefined || r.path === '-') && r.type !== 'elasticsearch' && r.type !== 'clickhouse')
  const dataToStdout = toStdout.filter((r) => r.type !== 'summary')
  if (dataToStdout.length > 1) {
    throw new PlanError(`only one output can write to standard output (${dataToStdout.map((r) => r.type).join(', ')}); give the others a file with FORMAT=PATH`, ExitCode.USAGE)
  }
  // The summary moves to standard error when standard output carries data.
  for (const r of toStdout) if (r.type === 'summary' && dataToStdout.length > 0) r.options = {...r.options, stderr: true}
  return reqs
}

function selectProtocols(inv: Invocation, cfg: EffectiveConfig): Protocol[] {
  let selected: Protocol[] = allProtocols.filter((p) => cfg.protocols[p.name]?.enabled !== false)
  if (inv.protocols) {
    const names = inv.protocols.split(',').map((s) => s.trim()).filter(Boolean)
    for (const n of names) {
      if (!allProtocols.some((p) => p.name === n)) {
        throw new PlanError(`unknown protocol "${n}"; known: ${allProtocols.map((p) => p.name).join(', ')}`, ExitCode.USAGE)
      }
    }
    selected = allProtocols.filter((p) => names.includes(p.name))
  }
  return selected
}

/** Output types the configuration's `output.*` can name, mapped to pbx outputs. */
function configOutputs(cfg: EffectiveConfig, warn: (m: string) => void): OutputRequest[] {
  const reqs: OutputRequest[] = []
  for (const [type, raw] of Object.entries(cfg.outputs)) {
    const opts = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
    if (opts.enabled === false) continue
    if (outputByName(type) === undefined) {
      warn(`output.${type}: not supported by pbx; ignored (supported: ${allOutputs.map((o) => o.name).join(', ')})`)
      continue
    }
    reqs.push({type, options: {...opts}})
  }
  return reqs
}

export async function planRun(inv: Invocation): Promise<Plan> {
  const warnings: string[] = []
  const warn = (m: string) => warnings.push(m)
  const counters: ProcessorCounters = {}
  let cfg: EffectiveConfig
  let limits: Limits
  try {
    cfg = loadEffectiveConfig(inv.configFile, {counters})
    limits = makeLimits({...cfg.limitOverrides, ...parseLimitFlags([...(inv.limits ?? [])])})
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ProcessorConfigError || e instanceof Error) throw new PlanError(e.message, ExitCode.USAGE)
    throw e
  }
  warnings.push(...cfg.warnings)
  const selected = selectProtocols(inv, cfg)
  const protocolOptions: Record<string, Record<string, unknown>> = {}
  for (const p of allProtocols) {
    const pc = cfg.protocols[p.name]
    protocolOptions[p.name] = {...(pc?.options ?? {}), ...(pc?.ports ? {ports: pc.ports} : {})}
  }
  if (inv.sendHeaders) protocolOptions.http = {...protocolOptions.http, send_headers: true}

  // Processor chains: each protocol's own (and the flows'), then the top-level ones, then --where.
  const global: Processor[] = [...cfg.processors]
  if (inv.where !== undefined) {
    try {
      global.push({name: '--where', filter: compileWhere(inv.where, warn)})
    } catch (e) {
      if (e instanceof ProcessorConfigError) throw new PlanError(e.message, ExitCode.USAGE)
      throw e
    }
  }
  const byType = new Map<string, readonly Processor[]>()
  for (const [name, pc] of Object.entries(cfg.protocols)) if (pc.processors.length > 0) byType.set(name, pc.processors)
  if (cfg.flows.processors.length > 0) byType.set('flow', cfg.flows.processors)

  let filter: RecordFilter | undefined
  if (inv.filter !== undefined) {
    // Loaded only for a run with --filter (its lexer, parser and predicates are start-up cost otherwise).
    const {compileFilter, FilterError} = await import('../filter/index.js')
    try {
      const f = compileFilter(inv.filter)
      filter = {match: (data, linkType, origLen) => f.match(data, linkType, origLen)}
    } catch (e) {
      if (e instanceof FilterError) throw new PlanError(e.format('bad --filter: '), ExitCode.USAGE)
      throw e
    }
  }

  const flows = inv.flows === true || inv.flowPeriod !== undefined || cfg.flows.enabled
  let observer: RunOptions['observer']
  if (flows) {
    const periodSec = inv.flowPeriod !== undefined ? Number(inv.flowPeriod) : cfg.flows.enabled ? cfg.flows.periodSec : 0
    try {
      observer = createFlowObserver({periodSec})
    } catch (e) {
      throw new PlanError(`--flow-period: ${(e as Error).message}`, ExitCode.USAGE)
    }
  }

  // Outputs: the command line's replace the configuration's; with neither, the summary.
  let requests: readonly OutputRequest[]
  if (inv.outputs !== undefined && inv.outputs.length > 0) requests = inv.outputs
  else {
    const fromConfig = configOutputs(cfg, warn)
    // The summary comes along on the terminal (on standard error when output.console uses stdout).
    const summary: OutputRequest = fromConfig.some((r) => r.type === 'console') ? {type: 'summary', options: {stderr: true}} : {type: 'summary'}
    requests = [summary, ...fromConfig]
  }
  for (const r of requests) {
    if (outputByName(r.type) === undefined) throw new PlanError(`unknown output "${r.type}"`, ExitCode.USAGE)
  }

  // Probe the inputs; outputs are opened only if at least one can be read.
  // TLS decryption: one key log per run, handed to the tls sessions as the option `keylog`.
  let keylog: ReturnType<typeof runKeyLog>
  try {
    const tlsFile = protocolOptions.tls?.keylog_file
    keylog = runKeyLog([{from: '--tls-keylog', path: inv.tlsKeylog}, {from: 'SSLKEYLOGFILE', path: process.env.SSLKEYLOGFILE}, {from: 'tls.keylog_file', path: tlsFile}])
  } catch (e) {
    throw new PlanError((e as Error).message, ExitCode.USAGE)
  }
  if (keylog.stats.bad > 0) warnings.push(`TLS key log: ${keylog.stats.bad} unusable lines (${keylog.problems[0]})`)
  if (protocolOptions.tls) protocolOptions.tls.keylog = keylog
  // Protocol options are checked (and files they name read) before any input is.
  for (const p of allProtocols) {
    const opts = protocolOptions[p.name]
    if (p.checkOptions === undefined || opts === undefined) continue
    const c = p.checkOptions(opts)
    if (c.errors.length > 0) throw new PlanError(c.errors.join('; '), ExitCode.USAGE)
    warnings.push(...c.warnings)
  }
  const secretsTap: NonNullable<RunOptions['secretsTap']> = {fn: null}
  const sources =
    inv.sources ??
    fileSources(inv.files, {
      onSecrets: (t, d, off, f) => {
        keyLogSecretsHandler(keylog, f)(t, d, off)
        secretsTap.fn?.(t, d, off)
      },
    })
  const unreadable: Plan['unreadable'] = []
  const readable: CaptureSource[] = []
  for (const s of sources) {
    const err = s.probe()
    if (err === null) readable.push(s)
    else unreadable.push({source: s, message: err.message})
  }

  const fields: FieldSpec[] = [...commonFields, ...selected.flatMap((p) => p.fields), ...(flows ? flowFields : [])]
  const ctx: OutputContext = {fields, protocols: selected.map((p) => p.name), limits, warn}
  const outs: Output[] = []
  if (readable.length > 0) {
    for (const r of requests) {
      const options: Record<string, unknown> = {...r.options}
      if (r.path !== undefined) options.path = r.path
      if (inv.fields !== undefined && (r.type === 'ndjson' || r.type === 'csv')) options.fields = inv.fields
      if (r.type === 'summary') {
        if (inv.top !== undefined) options.top = inv.top
        if (inv.color !== undefined) options.color = inv.color
      }
      try {
        const out = await outputByName(r.type)!.create(options, ctx)
        out.label ??= `${r.type} ${typeof options.path === 'string' && options.path !== '-' ? options.path : options.stderr === true ? 'standard error' : 'standard output'}`
        outs.push(out)
      } catch (e) {
        if (e instanceof OutputConfigError) throw new PlanError(e.message, ExitCode.USAGE)
        if (e instanceof OutputError) throw new PlanError(e.message, ExitCode.OUTPUT)
        throw e
      }
    }
  }
  const processors = global.length > 0 || byType.size > 0 ? {global, byType} : undefined
  let total: number | undefined = 0
  for (const s of readable) total = s.size === undefined || total === undefined ? undefined : total + s.size
  const workers = inv.workers ?? (inv.sources !== undefined ? 1 : defaultWorkers(total))
  return {
    options: {
      sources: readable,
      protocols: selected,
      limits,
      outputs: outs,
      protocolOptions,
      observer,
      processors,
      filter,
      processorCounters: counters,
      workers,
      secretsTap,
    },
    config: cfg,
    processorCounters: counters,
    unreadable,
    limits,
    warnings,
  }
}
