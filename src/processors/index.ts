/**
 * The processors stage: compiles a Packetbeat `processors:` list once into Processor objects and
 * runs a chain of them on one event.
 *
 * Accepted list items (each at `PATH[i]`):
 *   - {TYPE: {options..., when: CONDITION}}          Beats' form, TYPE one of PROCESSOR_TYPES
 *   - {if: CONDITION, then: [items] | item, else: [items] | item}
 *   - {type: TYPE, name: N, condition: C, ...options}   the design document's form; for
 *     `type: script` with `fields: {f: {script}}` see script.ts.
 */
import type {PbxEvent} from '../event/build.js'
import {DEFAULT_LIMITS} from '../limits.js'
import {sharedPublicSuffixCache} from '../util/public-suffix.js'
import * as A from './actions.js'
import {compileCondition} from './conditions.js'
import {FieldResolver} from './legacy.js'
import {type CompileOptions, type Ctx, fail, isObj, type ProcessorCounters, type PublicSuffixLookup, show} from './options.js'
import {ObjectAccessor} from './path.js'
import {compileBeatsScript, compileFieldScripts} from './script.js'
import type {Condition, EventAccessor, Processor} from './types.js'

export {compileCondition, compileConditionStandalone, NAMED_NETWORKS} from './conditions.js'
export {FieldResolver, LEGACY_FIELDS} from './legacy.js'
export type {CompileOptions, ProcessorCounters, PublicSuffixLookup} from './options.js'
export {accessorOf, getPath, ObjectAccessor} from './path.js'
export {DEFAULT_SCRIPT_TIMEOUT_MS, SCRIPT_ERROR} from './script.js'
export type {Condition, EventAccessor, Processor} from './types.js'
export {ProcessorConfigError} from './types.js'
export {compileWhere, parseWhere, WhereSyntaxError} from './where.js'

/** The public suffix list lookup of src/util (tldts is loaded at the first event looked up). */
function defaultPublicSuffix(maxEntries: number): PublicSuffixLookup {
  const cache = sharedPublicSuffixCache(maxEntries)
  return (host) => cache.lookup(host)
}

/** Module-wide anomaly counters (used when CompileOptions.counters is not given). */
export const processorCounters: ProcessorCounters = {}

type Compile = (body: Record<string, unknown>, path: string, ctx: Ctx) => Processor

const COMPILERS: Record<string, Compile> = {
  drop_event: (b, p) => A.dropEvent(b, p),
  drop_fields: A.dropFields,
  include_fields: A.includeFields,
  add_fields: (b, p) => A.addFields(b, p),
  add_tags: (b, p) => A.addTags(b, p),
  add_labels: (b, p) => A.addLabels(b, p),
  rename: A.rename,
  copy_fields: A.copyFields,
  convert: A.convert,
  truncate_fields: A.truncateFields,
  replace: A.replace,
  community_id: (b, p) => A.communityIdProcessor(b, p),
  registered_domain: A.registeredDomain,
  script: compileBeatsScript,
}

export const PROCESSOR_TYPES: readonly string[] = Object.keys(COMPILERS)

/** Libbeat processors pbx knows by name but does not implement (they need a host, a cloud, ...). */
const NOT_APPLICABLE = new Set([
  'add_host_metadata',
  'add_cloud_metadata',
  'add_docker_metadata',
  'add_kubernetes_metadata',
  'add_process_metadata',
  'add_locale',
  'add_observer_metadata',
  'add_id',
  'add_network_direction',
  'decode_json_fields',
  'decode_base64_field',
  'decompress_gzip_field',
  'dissect',
  'dns',
  'extract_array',
  'fingerprint',
  'translate_sid',
  'urldecode',
  'rate_limit',
  'syslog',
  'timestamp',
  'move_fields',
  'append',
  'uppercase',
  'lowercase',
  'detect_mime_type',
  'decode_xml',
  'decode_xml_wineventlog',
  'decode_cef',
  'decode_csv_fields',
  'decode_duration',
  'add_session_metadata',
])

/** Wraps a processor so that it only acts on events matching `when`. */
function guarded(name: string, when: Condition, inner: Processor): Processor {
  if (inner.filter) {
    const f = inner.filter.bind(inner)
    return {name, filter: (ev) => !when(ev) || f(ev)}
  }
  const apply = inner.apply!.bind(inner)
  const acc = new ObjectAccessor()
  return {name, apply: (ev) => (when(acc.at(ev)) ? apply(ev) : true)}
}

/** One chain as a processor (for if/then/else). */
function chainAsProcessor(name: string, chain: Processor[]): Processor {
  if (chain.every((p) => p.filter)) {
    return {
      name,
      filter(ev) {
        for (const p of chain) if (!p.filter!(ev)) return false
        return true
      },
    }
  }
  const acc = new ObjectAccessor()
  return {
    name,
    apply(ev) {
      for (const p of chain) {
        if (p.filter ? !p.filter(acc.at(ev)) : !p.apply!(ev)) return false
      }
      return true
    },
  }
}

function compileList(list: unknown, path: string, ctx: Ctx): Processor[] {
  if (list === undefined || list === null) return []
  const items = Array.isArray(list) ? list : [list]
  if (!Array.isArray(list) && !isObj(list)) fail(path, `expected a list of processors, got ${show(list)}`)
  return items.map((item, i) => compileItem(item, Array.isArray(list) ? `${path}[${i}]` : path, ctx))
}

/** Nests dotted item keys one level (`if.contains.tags: x` is `if: {contains.tags: x}`), as Beats reads them. */
function nestItemKeys(item: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(item).some((k) => k.includes('.'))) return item
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(item)) {
    const dot = k.indexOf('.')
    if (dot < 0) out[k] = isObj(out[k]) && isObj(v) ? {...(out[k] as object), ...v} : v
    else {
      const head = k.slice(0, dot)
      const cur = isObj(out[head]) ? (out[head] as Record<string, unknown>) : {}
      out[head] = {...cur, [k.slice(dot + 1)]: v}
    }
  }
  return out
}

const SKIPPED = ' (skipped)'

/** A processor pbx knows from libbeat but does not implement: reported, then left out of the chain. */
function skipped(type: string, p: string, ctx: Ctx): Processor {
  ctx.unsupported(`${p} (processor ${type})`)
  return {name: `${p}${SKIPPED}`, filter: () => true}
}

function compileItem(item0: unknown, p: string, ctx: Ctx): Processor {
  if (!isObj(item0)) fail(p, `expected a processor mapping such as {drop_event: {when: ...}}, got ${show(item0)}`)
  const item = nestItemKeys(item0)
  if ('if' in item) {
    for (const k of Object.keys(item)) if (!['if', 'then', 'else'].includes(k)) fail(`${p}.${k}`, 'unknown key next to if; expected then and else')
    if (item.then === undefined) fail(`${p}.then`, 'is required with if')
    const cond = compileCondition(item.if, `${p}.if`, ctx.fields)
    const thenP = chainAsProcessor(`${p}.then`, compileList(item.then, `${p}.then`, ctx))
    const elseP = chainAsProcessor(`${p}.else`, compileList(item.else, `${p}.else`, ctx))
    const name = `${p}.if`
    if (thenP.filter && elseP.filter) {
      const t = thenP.filter
      const e = elseP.filter
      return {name, filter: (ev) => (cond(ev) ? t(ev) : e(ev))}
    }
    const acc = new ObjectAccessor()
    const run = (q: Processor, ev: PbxEvent) => (q.filter ? q.filter(acc.at(ev)) : q.apply!(ev))
    return {name, apply: (ev) => (cond(acc.at(ev)) ? run(thenP, ev) : run(elseP, ev))}
  }
  let type: string
  let body: Record<string, unknown>
  let bodyPath: string
  if (typeof item.type === 'string') {
    // The design document's form: {type, name, condition, ...options}.
    type = item.type
    bodyPath = p
    if (type === 'script' && item.fields !== undefined && item.source === undefined && item.file === undefined && item.files === undefined) {
      return compileFieldScripts(item, p, ctx)
    }
    body = {}
    for (const [k, v] of Object.entries(item)) {
      if (k === 'type' || k === 'name') continue
      body[k === 'condition' ? 'when' : k] = v
    }
  } else {
    const keys = Object.keys(item)
    if (keys.length !== 1) fail(p, `a processor entry has one key, the processor type; got ${keys.length ? keys.join(', ') : 'none'}`)
    type = keys[0]
    bodyPath = `${p}.${type}`
    const b = item[type] ?? {}
    if (!isObj(b)) fail(bodyPath, `expected the processor's options as a mapping, got ${show(b)}`)
    body = b
  }
  const compile = COMPILERS[type]
  if (!compile) {
    if (NOT_APPLICABLE.has(type)) return skipped(type, bodyPath, ctx)
    fail(bodyPath, `unknown processor "${type}"; supported: ${PROCESSOR_TYPES.join(', ')}`)
  }
  const {when, ...rest} = body
  const inner = compile(type === 'script' ? body : rest, bodyPath, ctx)
  if (when === undefined || type === 'script') {
    if (type === 'script' && when !== undefined) return guarded(inner.name, compileCondition(when, `${bodyPath}.when`, ctx.fields), inner)
    return inner
  }
  return guarded(inner.name, compileCondition(when, `${bodyPath}.when`, ctx.fields), inner)
}

/**
 * Compiles a `processors:` list found at config path `path` (e.g. `processors`,
 * `packetbeat.protocols[0].processors`). Throws ProcessorConfigError naming the key on a bad
 * config; `warn` receives non-fatal messages (legacy field names). Compile once per run.
 */
export function compileProcessors(list: unknown, path: string, warn: (msg: string) => void, opts: CompileOptions = {}): Processor[] {
  const ctx: Ctx = {
    warn,
    fields: opts.fields ?? new FieldResolver(warn),
    counters: opts.counters ?? processorCounters,
    baseDir: opts.baseDir ?? process.cwd(),
    publicSuffix: opts.publicSuffix ?? defaultPublicSuffix(opts.publicSuffixCacheEntries ?? DEFAULT_LIMITS.publicSuffixCacheEntries),
    unsupported: opts.unsupported ?? ((what) => warn(`${what}: not supported by pbx; skipped (see docs/packetbeat.md)`)),
  }
  // Processors that are skipped leave a pass-through filter; drop those from the chain.
  return compileList(list, path, ctx).filter((x) => !(x.filter && x.name.endsWith(SKIPPED)))
}

const chainAcc = new ObjectAccessor()

/** Runs `chain` on an event object that already exists; returns false when it is dropped. */
export function runChainOn(chain: readonly Processor[], ev: PbxEvent): boolean {
  for (let i = 0; i < chain.length; i++) {
    const p = chain[i]
    if (p.filter ? !p.filter(chainAcc.at(ev)) : p.apply && !p.apply(ev)) return false
  }
  return true
}
