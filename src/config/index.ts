/**
 * Configuration: packetbeat.yml as Packetbeat users write it, plus pbx's own keys, read into one
 * EffectiveConfig. Flags are merged over it by the command (flags win).
 *
 * Read (dotted keys such as `packetbeat.interfaces.device: any` and nested mappings are the same):
 *   packetbeat.interfaces.*      device, type, snaplen, bpf_filter, ... (live capture; noted for files)
 *   packetbeat.inputs            [{type: sniffer, interface, protocols: [http, dns]}]: selects protocols
 *   packetbeat.protocols         Packetbeat's list (`- type: http`) or map (`http: {...}`); only the
 *                                protocols listed are analysed, as in Packetbeat
 *   protocols                    pbx's map form; every protocol is analysed unless `enabled: false`
 *   packetbeat.flows             enabled, timeout, period, processors, fields, tags
 *   processors, packetbeat.processors, per protocol `processors`, packetbeat.flows.processors
 *   fields, fields_under_root, tags (top level and per protocol / flows)
 *   output.*, packetbeat.output.* kept raw for the outputs
 *   limits                       any field of Limits (src/limits.ts)
 *   setup.*, logging.*, monitoring.*, path.*, name, queue.*, ...: accepted, listed as ignored
 * Every other key is named, with its full path, in ONE warning. A wrong value is a ConfigError
 * naming the key, the value and what was expected. Booleans take YAML 1.1's yes/no/on/off too.
 *
 * Chains: an event of protocol P runs protocols[P].processors (P's fields/tags, then P's
 * processors), then the top-level `processors` (top-level fields/tags first, as Beats adds them
 * before the global processors). Flow records run flows.processors, then the top-level chain.
 */
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import type * as Yaml from 'yaml'
import {DEFAULT_LIMITS, type Limits, makeLimits} from '../limits.js'
import {compileProcessors, FieldResolver, type Processor, ProcessorConfigError, type ProcessorCounters, type PublicSuffixLookup} from '../processors/index.js'
import {parseDurationMs} from '../processors/options.js'
import {
  COMMON_PROTOCOL_OPTIONS,
  IGNORED_PACKETBEAT_KEYS,
  IGNORED_PROTOCOL_OPTIONS,
  IGNORED_SECTIONS,
  INTERFACE_OPTIONS,
  type OptType,
  PACKETBEAT_ONLY_PROTOCOLS,
  PBX_PROTOCOLS,
  PROTOCOL_OPTIONS,
  SUPPORTED_OUTPUTS,
} from './schema.js'

/** yaml, loaded when a config file is read: a run without one does not pay its start-up. */
const yaml = (): typeof Yaml => createRequire(import.meta.url)('yaml') as typeof Yaml

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export interface ProtocolConfig {
  enabled: boolean
  /** Ports from the config; absent: the protocol's default ports. */
  ports?: number[]
  /** Normalised protocol options (booleans, durations in seconds, lists), for the protocol parsers. */
  options: Record<string, unknown>
  /** Compiled chain: this protocol's fields/tags, then its processors. */
  processors: Processor[]
  /** The processors as written (for printing). */
  processorsConfig: unknown[]
  fields?: Record<string, unknown>
  fieldsUnderRoot: boolean
  tags: string[]
  /** Where the protocol was configured (`packetbeat.protocols[2]`), if it was. */
  source?: string
}

export interface FlowsConfig {
  enabled: boolean
  /** Packetbeat's flows.timeout (default 30 s). */
  timeoutSec: number
  /** Packetbeat's flows.period (default 10 s); 0: final records only (Packetbeat's -1). */
  periodSec: number
  processors: Processor[]
  processorsConfig: unknown[]
  fields?: Record<string, unknown>
  fieldsUnderRoot: boolean
  tags: string[]
}

export interface EffectiveConfig {
  /** The file read, if any. */
  file?: string
  /** Every limit, defaults included, with the file's `limits:` applied. */
  limits: Limits
  /** The file's `limits:` only (merge flags over these, then makeLimits). */
  limitOverrides: Record<string, number>
  /** Every protocol pbx analyses, by name. */
  protocols: Record<string, ProtocolConfig>
  flows: FlowsConfig
  /** Compiled top-level chain: top-level fields/tags, then `processors` and `packetbeat.processors`. */
  processors: Processor[]
  processorsConfig: unknown[]
  fields?: Record<string, unknown>
  fieldsUnderRoot: boolean
  tags: string[]
  /** `output.*` and `packetbeat.output.*`, raw, by output type. */
  outputs: Record<string, unknown>
  /** `packetbeat.interfaces` (a mapping, or a list of them), normalised. */
  interfaces?: Record<string, unknown> | Record<string, unknown>[]
  /** Unsupported keys (full paths); named in one warning. */
  unsupported: string[]
  /** Service keys accepted and ignored (full paths). */
  ignored: string[]
  /** Messages to show on stderr: unsupported keys, legacy field names, outputs not supported yet. */
  warnings: string[]
  /** Informational lines (interfaces unused offline, ignored sections). */
  notes: string[]
}

export interface ConfigOptions {
  /** Anomaly counters for the compiled processors (see src/processors). */
  counters?: ProcessorCounters
  /** Public suffix list lookup for registered_domain (default: src/util/public-suffix.ts). */
  publicSuffix?: PublicSuffixLookup
  /** Directory for relative script files (default: the config file's directory, or the cwd). */
  baseDir?: string
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

/** Keys whose values are user data: their own keys are never split at dots. */
const DATA_KEYS = new Set(['fields', 'params', 'labels', 'limits'])

/**
 * Expands dotted keys into nested mappings (`a.b: 1` is `a: {b: 1}`), as Beats' config loader does,
 * merging with nested forms of the same keys. User data (`fields`, ...) and lists are left as they are.
 */
function expandDots(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v0] of Object.entries(o)) {
    const v = isObj(v0) && !DATA_KEYS.has(k) ? expandDots(v0) : v0
    const parts = k.split('.')
    let cur = out
    for (let i = 0; i < parts.length - 1; i++) {
      const next = cur[parts[i]]
      if (isObj(next)) cur = next
      else {
        const n: Record<string, unknown> = {}
        cur[parts[i]] = n
        cur = n
      }
    }
    const last = parts[parts.length - 1]
    const prev = cur[last]
    cur[last] = isObj(prev) && isObj(v) ? deepMerge(prev, v) : v
  }
  return out
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = {...a}
  for (const [k, v] of Object.entries(b)) out[k] = isObj(out[k]) && isObj(v) ? deepMerge(out[k] as Record<string, unknown>, v) : v
  return out
}

/** Leaf paths under `prefix` (mappings are descended, lists and scalars are leaves). */
function leafPaths(v: unknown, prefix: string): string[] {
  if (!isObj(v) || Object.keys(v).length === 0) return [prefix]
  return Object.entries(v).flatMap(([k, x]) => leafPaths(x, `${prefix}.${k}`))
}

class Reader {
  readonly unsupported: string[] = []
  readonly ignored: string[] = []
  readonly warnings: string[] = []
  readonly notes: string[] = []
  readonly fields: FieldResolver
  /** The file's limits, once read (processors compiled later size their caches by them). */
  limits?: Limits
  constructor(readonly file: string | undefined) {
    this.fields = new FieldResolver((m) => this.warnings.push(m))
  }

  err(key: string, msg: string): never {
    throw new ConfigError(`${this.file ? `config ${this.file}: ` : ''}${key}: ${msg}`)
  }

  bad(key: string, v: unknown, expected: string): never {
    this.err(key, `expected ${expected}, got ${show(v)}`)
  }

  bool(key: string, v: unknown): boolean {
    if (typeof v === 'boolean') return v
    if (typeof v === 'string') {
      const l = v.toLowerCase()
      if (l === 'yes' || l === 'on' || l === 'true' || l === 'y') return true
      if (l === 'no' || l === 'off' || l === 'false' || l === 'n') return false
    }
    this.bad(key, v, 'a boolean (true/false, yes/no, on/off)')
  }

  value(key: string, type: OptType, v: unknown): unknown {
    switch (type) {
      case 'bool':
        return this.bool(key, v)
      case 'int':
        if (typeof v === 'number' && Number.isInteger(v)) return v
        if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v)
        this.bad(key, v, 'an integer')
        break
      case 'duration':
        try {
          return parseDurationMs(v, key) / 1000
        } catch {
          this.bad(key, v, 'a duration such as 10s, 500ms or 1m (or a number of seconds)')
        }
        break
      case 'string':
        if (typeof v === 'string') return v
        if (typeof v === 'number') return String(v)
        this.bad(key, v, 'a string')
        break
      case 'strings':
        if (typeof v === 'string') return [v]
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v
        this.bad(key, v, 'a list of strings')
        break
      case 'bool|strings':
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v
        return this.bool(key, v)
      case 'ports': {
        const list = typeof v === 'number' ? [v] : v
        if (Array.isArray(list) && list.every((x) => Number.isInteger(x) && x >= 0 && x <= 65535)) return list
        this.bad(key, v, 'a list of port numbers (0..65535)')
        break
      }
      case 'mapping':
        if (isObj(v)) return v
        this.bad(key, v, 'a mapping')
    }
  }

  processors(list: unknown, key: string, opts: ConfigOptions, baseDir: string): {compiled: Processor[]; raw: unknown[]} {
    if (list === undefined || list === null) return {compiled: [], raw: []}
    if (!Array.isArray(list)) this.bad(key, list, 'a list of processors')
    try {
      const compiled = compileProcessors(list, key, (m) => this.warnings.push(m), {counters: opts.counters, publicSuffix: opts.publicSuffix, publicSuffixCacheEntries: this.limits?.publicSuffixCacheEntries, baseDir, fields: this.fields, unsupported: (w) => this.unsupported.push(w)})
      return {compiled, raw: list}
    } catch (e) {
      // The message already starts with the full key (`processors[1].drop_event.when.range: ...`).
      if (e instanceof ProcessorConfigError) throw new ConfigError(`${this.file ? `config ${this.file}: ` : ''}${e.message}`)
      throw e
    }
  }

  /** fields / fields_under_root / tags at one level, compiled into add_fields/add_tags. */
  eventFields(o: Record<string, unknown>, key: string, opts: ConfigOptions): {fields?: Record<string, unknown>; fieldsUnderRoot: boolean; tags: string[]; compiled: Processor[]} {
    const at = (k: string) => (key === '' ? k : `${key}.${k}`)
    const fields = o.fields === undefined || o.fields === null ? undefined : (this.value(at('fields'), 'mapping', o.fields) as Record<string, unknown>)
    const fieldsUnderRoot = o.fields_under_root === undefined ? false : this.bool(at('fields_under_root'), o.fields_under_root)
    const tags = o.tags === undefined || o.tags === null ? [] : (this.value(at('tags'), 'strings', o.tags) as string[])
    const list: unknown[] = []
    if (fields) list.push({add_fields: {target: fieldsUnderRoot ? '' : 'fields', fields}})
    if (tags.length) list.push({add_tags: {tags}})
    const compiled = list.length ? compileProcessors(list, at('fields'), () => {}, {counters: opts.counters}) : []
    return {fields, fieldsUnderRoot, tags, compiled}
  }
}

interface ProtoDraft {
  source: string
  body: Record<string, unknown>
}

/** Builds the effective configuration from a parsed YAML document (null: no file). */
export function buildEffectiveConfig(doc: unknown, file?: string, opts: ConfigOptions = {}): EffectiveConfig {
  const r: Reader = new Reader(file)
  const baseDir = opts.baseDir ?? (file ? path.dirname(path.resolve(file)) : process.cwd())
  if (doc === null || doc === undefined) doc = {}
  if (!isObj(doc)) r.err('(top level)', `expected a mapping, got ${show(doc)}`)
  const d = expandDots(doc as Record<string, unknown>)
  const pb0 = d.packetbeat === undefined || d.packetbeat === null ? {} : d.packetbeat
  if (!isObj(pb0)) r.bad('packetbeat', pb0, 'a mapping')
  const pb = pb0 as Record<string, unknown>

  // ---- limits
  const limitOverrides: Record<string, number> = {}
  if (d.limits !== undefined && d.limits !== null) {
    if (!isObj(d.limits)) r.bad('limits', d.limits, 'a mapping of limit: number')
    for (const [k, v] of Object.entries(d.limits)) {
      if (!Object.hasOwn(DEFAULT_LIMITS, k)) r.err(`limits.${k}`, `unknown limit; known limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}`)
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) r.bad(`limits.${k}`, v, 'a non-negative number')
      limitOverrides[k] = v
    }
  }
  const limits = makeLimits(limitOverrides)
  r.limits = limits

  // ---- interfaces
  let interfaces: EffectiveConfig['interfaces']
  const readIface = (o: unknown, key: string): Record<string, unknown> => {
    if (!isObj(o)) r.bad(key, o, 'a mapping of interface options')
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(o)) {
      const t = INTERFACE_OPTIONS[k]
      if (t === undefined) r.unsupported.push(...leafPaths(v, `${key}.${k}`))
      else if (v !== null) out[k] = r.value(`${key}.${k}`, t, v)
    }
    return out
  }
  if (pb.interfaces !== undefined && pb.interfaces !== null) {
    interfaces = Array.isArray(pb.interfaces) ? pb.interfaces.map((x, i) => readIface(x, `packetbeat.interfaces[${i}]`)) : readIface(pb.interfaces, 'packetbeat.interfaces')
    r.notes.push('packetbeat.interfaces is used by live capture (pbx live); reading capture files ignores it')
  }

  // ---- protocol selection from packetbeat.inputs
  let selected: Set<string> | undefined
  if (pb.inputs !== undefined && pb.inputs !== null) {
    if (!Array.isArray(pb.inputs)) r.bad('packetbeat.inputs', pb.inputs, 'a list of inputs')
    pb.inputs.forEach((inp, i) => {
      const key = `packetbeat.inputs[${i}]`
      if (!isObj(inp)) r.bad(key, inp, 'a mapping such as {type: sniffer, protocols: [http]}')
      for (const [k, v] of Object.entries(inp)) {
        if (k === 'type' || k === 'interface') {
          if (k === 'type' && v !== 'sniffer') r.bad(`${key}.type`, v, '"sniffer"')
          if (k === 'interface') r.notes.push(`${key}.interface is used by live capture; reading capture files ignores it`)
        } else if (k === 'protocols') {
          const names = r.value(`${key}.protocols`, 'strings', v) as string[]
          selected ??= new Set()
          for (const n of names) {
            if (PBX_PROTOCOLS.includes(n)) selected.add(n)
            else if (PACKETBEAT_ONLY_PROTOCOLS.has(n)) r.unsupported.push(`${key}.protocols: ${n}`)
            else r.err(`${key}.protocols`, `unknown protocol ${show(n)}; pbx analyses ${PBX_PROTOCOLS.join(', ')}`)
          }
        } else r.unsupported.push(...leafPaths(v, `${key}.${k}`))
      }
    })
  }

  // ---- protocols: Packetbeat's list/map and pbx's map
  const drafts = new Map<string, ProtoDraft[]>()
  const addDraft = (name: unknown, body: Record<string, unknown>, source: string, typeKey: string) => {
    if (typeof name !== 'string' || name === '') r.bad(typeKey, name, 'a protocol name')
    if (PACKETBEAT_ONLY_PROTOCOLS.has(name)) {
      r.unsupported.push(`${source} (protocol ${name})`)
      return
    }
    if (!PBX_PROTOCOLS.includes(name)) {
      r.err(typeKey, `unknown protocol ${show(name)}; pbx analyses ${PBX_PROTOCOLS.join(', ')}${PACKETBEAT_ONLY_PROTOCOLS.size > 0 ? ` (Packetbeat's ${[...PACKETBEAT_ONLY_PROTOCOLS].join(', ')} are not implemented)` : ''}`)
    }
    const list = drafts.get(name) ?? []
    list.push({source, body})
    drafts.set(name, list)
  }
  let packetbeatListed = false
  if (pb.protocols !== undefined && pb.protocols !== null) {
    packetbeatListed = true
    if (Array.isArray(pb.protocols)) {
      pb.protocols.forEach((it, i) => {
        const key = `packetbeat.protocols[${i}]`
        if (!isObj(it)) r.bad(key, it, 'a mapping such as {type: http, ports: [80]}')
        const {type, ...body} = it
        addDraft(type, body, key, `${key}.type`)
      })
    } else if (isObj(pb.protocols)) {
      for (const [name, body] of Object.entries(pb.protocols)) {
        const key = `packetbeat.protocols.${name}`
        addDraft(name, body === null ? {} : isObj(body) ? body : r.bad(key, body, 'a mapping of protocol options'), key, key)
      }
    } else r.bad('packetbeat.protocols', pb.protocols, 'a list of protocols (- type: http)')
  }
  if (d.protocols !== undefined && d.protocols !== null) {
    if (!isObj(d.protocols)) r.bad('protocols', d.protocols, 'a mapping of protocol name: options')
    for (const [name, body] of Object.entries(d.protocols)) {
      const key = `protocols.${name}`
      addDraft(name, body === null ? {} : isObj(body) ? body : r.bad(key, body, 'a mapping of protocol options'), key, key)
    }
  }

  const protocols: Record<string, ProtocolConfig> = {}
  for (const name of PBX_PROTOCOLS) {
    const list = drafts.get(name) ?? []
    const specific = PROTOCOL_OPTIONS[name]
    const pc: ProtocolConfig = {enabled: true, options: {}, processors: [], processorsConfig: [], fieldsUnderRoot: false, tags: []}
    const procLists: Processor[] = []
    for (const {source, body} of list) {
      pc.source = pc.source ? `${pc.source}, ${source}` : source
      for (const [k, v] of Object.entries(body)) {
        const key = `${source}.${k}`
        if (k === 'enabled') pc.enabled = r.bool(key, v)
        else if (k === 'processors') {
          const p = r.processors(v, key, opts, baseDir)
          procLists.push(...p.compiled)
          pc.processorsConfig.push(...p.raw)
        } else if (k === 'fields' || k === 'fields_under_root' || k === 'tags') continue
        else if (IGNORED_PROTOCOL_OPTIONS.has(k)) r.ignored.push(key)
        else if (v === null) continue
        else if (k === 'ports') pc.ports = r.value(key, 'ports', v) as number[]
        else {
          const t = COMMON_PROTOCOL_OPTIONS[k] ?? specific[k]
          if (t === undefined) r.unsupported.push(...leafPaths(v, key))
          else pc.options[k] = r.value(key, t, v)
        }
      }
      const ef = r.eventFields(body, source, opts)
      if (ef.fields) pc.fields = {...pc.fields, ...ef.fields}
      pc.fieldsUnderRoot ||= ef.fieldsUnderRoot
      pc.tags.push(...ef.tags)
      pc.processors.push(...ef.compiled)
    }
    pc.processors.push(...procLists)
    if (packetbeatListed && !list.some((x) => x.source.startsWith('packetbeat.'))) pc.enabled = false
    if (selected && !selected.has(name)) pc.enabled = false
    protocols[name] = pc
  }

  // ---- flows
  const flows: FlowsConfig = {enabled: false, timeoutSec: 30, periodSec: 10, processors: [], processorsConfig: [], fieldsUnderRoot: false, tags: []}
  if (pb.flows !== undefined) {
    const f = pb.flows === null ? {} : pb.flows
    if (!isObj(f)) r.bad('packetbeat.flows', f, 'a mapping')
    flows.enabled = true
    for (const [k, v] of Object.entries(f)) {
      const key = `packetbeat.flows.${k}`
      if (k === 'enabled') flows.enabled = r.bool(key, v)
      else if (k === 'timeout') flows.timeoutSec = r.value(key, 'duration', v) as number
      else if (k === 'period') {
        // Packetbeat: -1 reports only the final record of each flow.
        if (v === -1 || v === '-1' || v === '-1s') flows.periodSec = 0
        else flows.periodSec = r.value(key, 'duration', v) as number
      } else if (k === 'processors') {
        const p = r.processors(v, key, opts, baseDir)
        flows.processors.push(...p.compiled)
        flows.processorsConfig = p.raw
      } else if (k === 'fields' || k === 'fields_under_root' || k === 'tags') continue
      else if (k === 'keep_null' || k === 'index') r.ignored.push(key)
      else r.unsupported.push(...leafPaths(v, key))
    }
    const ef = r.eventFields(f, 'packetbeat.flows', opts)
    Object.assign(flows, {fields: ef.fields, fieldsUnderRoot: ef.fieldsUnderRoot, tags: ef.tags})
    flows.processors.unshift(...ef.compiled)
  }

  // ---- top-level processors and event fields
  const top = r.eventFields(d, '', opts)
  const processors: Processor[] = [...top.compiled]
  const processorsConfig: unknown[] = []
  for (const [list, key] of [
    [d.processors, 'processors'],
    [pb.processors, 'packetbeat.processors'],
  ] as const) {
    const p = r.processors(list, key, opts, baseDir)
    processors.push(...p.compiled)
    processorsConfig.push(...p.raw)
  }

  // ---- outputs
  const outputs: Record<string, unknown> = {}
  for (const [o, key] of [
    [d.output, 'output'],
    [pb.output, 'packetbeat.output'],
  ] as const) {
    if (o === undefined || o === null) continue
    if (!isObj(o)) r.bad(key, o, 'a mapping of output type: options')
    for (const [type, body] of Object.entries(o)) {
      outputs[type] = body
      if (!SUPPORTED_OUTPUTS.has(type)) r.warnings.push(`${key}.${type}: output type "${type}" is not supported yet (pbx writes ${[...SUPPORTED_OUTPUTS].join(', ')}); it is ignored`)
    }
  }

  // ---- everything else
  const HANDLED = new Set(['packetbeat', 'limits', 'protocols', 'processors', 'fields', 'fields_under_root', 'tags', 'output'])
  for (const [k, v] of Object.entries(d)) {
    if (HANDLED.has(k)) continue
    if (IGNORED_SECTIONS.has(k)) r.ignored.push(...(isObj(v) ? Object.keys(v).map((c) => `${k}.${c}`) : [k]))
    else r.unsupported.push(...leafPaths(v, k))
  }
  const PB_HANDLED = new Set(['interfaces', 'inputs', 'protocols', 'flows', 'processors', 'output'])
  for (const [k, v] of Object.entries(pb)) {
    if (PB_HANDLED.has(k)) continue
    if (IGNORED_PACKETBEAT_KEYS.has(k)) r.ignored.push(`packetbeat.${k}`)
    else r.unsupported.push(...leafPaths(v, `packetbeat.${k}`))
  }

  const warnings: string[] = []
  if (r.unsupported.length) warnings.push(`${file ? `config ${file}: ` : ''}not supported, ignored: ${r.unsupported.join(', ')}`)
  warnings.push(...r.warnings)
  if (r.ignored.length) r.notes.push(`accepted and ignored (no meaning for offline analysis): ${r.ignored.join(', ')}`)

  return {
    file,
    limits,
    limitOverrides,
    protocols,
    flows,
    processors,
    processorsConfig,
    fields: top.fields,
    fieldsUnderRoot: top.fieldsUnderRoot,
    tags: top.tags,
    outputs,
    interfaces,
    unsupported: r.unsupported,
    ignored: r.ignored,
    warnings,
    notes: r.notes,
  }
}

/** Reads and parses a YAML config file (no file: the defaults). Throws ConfigError. */
export function loadEffectiveConfig(file: string | undefined, opts: ConfigOptions = {}): EffectiveConfig {
  if (!file) return buildEffectiveConfig(null, undefined, opts)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new ConfigError(`cannot read config ${file}: ${(e as Error).message}`)
  }
  let doc: unknown
  try {
    doc = yaml().parse(text)
  } catch (e) {
    throw new ConfigError(`config ${file} is not valid YAML: ${(e as Error).message}`)
  }
  return buildEffectiveConfig(doc, file, opts)
}

/** The shape src/commands/analyze.ts reads (kept for compatibility), plus the effective config. */
export interface PbxConfig {
  /** The file's `limits:` overrides. */
  limits: Record<string, number>
  /** Per protocol: {enabled, ports?, ...options} as the protocol parsers take them. */
  protocols: Record<string, Record<string, unknown>>
  effective: EffectiveConfig
}

export function loadConfig(file: string | undefined, opts: ConfigOptions = {}): PbxConfig {
  const effective = loadEffectiveConfig(file, opts)
  const protocols: Record<string, Record<string, unknown>> = {}
  for (const [name, p] of Object.entries(effective.protocols)) {
    protocols[name] = {enabled: p.enabled, ...(p.ports ? {ports: p.ports} : {}), ...p.options}
  }
  return {limits: effective.limitOverrides, protocols, effective}
}

/** Parses `--limit name=value` flags. */
export function parseLimitFlags(items: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const it of items) {
    const m = /^([A-Za-z0-9]+)=([0-9.eE+]+)$/.exec(it)
    if (!m) throw new ConfigError(`--limit expects name=number, got "${it}"`)
    out[m[1]] = Number(m[2])
  }
  return out
}

export {formatEffectiveConfig} from './print.js'
