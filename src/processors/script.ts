/**
 * The `script` processor (JavaScript), in two forms:
 *
 * 1. As Beats documents it:
 *      - script:
 *          lang: javascript            # or js
 *          source: 'function process(event) { event.Tag("seen") }'   # or file: x.js / files: [a.js, b.js]
 *          params: {threshold: 10}     # passed to register(params) if the script defines it
 *          tag: my_script              # names the processor in messages
 *          timeout: 100ms              # per-event time limit (default 1s)
 *          tag_on_exception: _js_exception
 *          drop_on_error: false        # pbx: drop the event when the script fails
 *    The script defines `process(event)`; `event` has Get(f), Put(f, v) (returns the old value),
 *    Delete(f), Rename(from, to), Tag(t), AppendTo(f, v) and Cancel() (drop the event).
 *
 * 2. The pbx design document's form, one script per output field:
 *      - name: response_time
 *        type: script
 *        condition: {has_fields: [http.response.code]}
 *        fields:
 *          response_time:
 *            script: 'if (...) event.Put("response_time", event.Get("http.response.time"))'
 *    Each script is the body of a function of `event`; a value it returns (not undefined) is put
 *    into its field, and it may Put the field (or others) itself.
 *
 * Scripts run in a node:vm context made and compiled once per processor (no require, no process,
 * no timers). Each event's call runs with the time limit, enforced by the loop guard of guard.ts
 * (node:vm's own per-call timeout costs ~130 us a call; it is used only as the fallback). Field names given to Get/Put/... are
 * resolved through the legacy table (`http.response.code` reads http.response.status_code); legacy
 * names that appear as string literals in the source warn once at compile time.
 *
 * A failing call (exception or time limit) never aborts the run: it counts the anomaly
 * `processor.script_error`, appends that code to `pbx.anomalies` and a note naming the processor
 * and the script line to `notes`, tags the event with tag_on_exception, and the event goes on
 * (or is dropped with drop_on_error). Changes the script made before failing stay, as in Beats.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import vm from 'node:vm'
import type {PbxEvent} from '../event/build.js'
import {compileCondition} from './conditions.js'
import {GUARD_NAME, Guard, instrumentLoops} from './guard.js'
import type {FieldRef} from './legacy.js'
import {LEGACY_FIELDS} from './legacy.js'
import {addAnomaly, type Ctx, fail, isObj, optBool, optString, parseDurationMs, show} from './options.js'
import {deletePath, getPath, ObjectAccessor, putPath} from './path.js'
import type {Processor} from './types.js'

/** Per-event time limit when the config gives none. */
export const DEFAULT_SCRIPT_TIMEOUT_MS = 1000

export const SCRIPT_ERROR = 'processor.script_error'

/**
 * Time limit for loading a script and calling register(params): once per run, so generous (a busy
 * machine must not turn a slow compile into a configuration error), yet still finite.
 */
const loadTimeout = (perEventMs: number) => Math.max(perEventMs, 5000)

/** The `event` object a script sees. One instance per processor, rebound to each event. */
class ScriptEvent {
  ev: PbxEvent = {}
  cancelled = false
  private readonly acc = new ObjectAccessor()
  constructor(private readonly resolve: (name: string) => FieldRef) {}

  bind(ev: PbxEvent): void {
    this.ev = ev
    this.acc.at(ev)
    this.cancelled = false
  }
  private ref(name: unknown): FieldRef {
    if (typeof name !== 'string') throw new TypeError(`field name must be a string, got ${show(name)}`)
    return this.resolve(name)
  }
  Get(name: unknown): unknown {
    const v = this.ref(name).get(this.acc)
    return v === undefined ? null : v
  }
  Put(name: unknown, value: unknown): unknown {
    const old = putPath(this.ev, this.ref(name).path, value)
    return old === undefined ? null : old
  }
  Delete(name: unknown): boolean {
    return deletePath(this.ev, this.ref(name).path)
  }
  Rename(from: unknown, to: unknown): boolean {
    const f = this.ref(from).path
    const t = this.ref(to).path
    const v = getPath(this.ev, f)
    if (v === undefined || getPath(this.ev, t) !== undefined) return false
    deletePath(this.ev, f)
    putPath(this.ev, t, v)
    return true
  }
  Tag(tag: unknown): void {
    this.AppendTo('tags', tag)
  }
  AppendTo(name: unknown, value: unknown): void {
    const p = this.ref(name).path
    const cur = getPath(this.ev, p)
    if (cur === undefined) putPath(this.ev, p, [value])
    else if (Array.isArray(cur)) {
      if (!cur.includes(value)) cur.push(value)
    } else if (cur !== value) putPath(this.ev, p, [cur, value])
  }
  Cancel(): void {
    this.cancelled = true
  }
  /** The ECS path a field name writes to (legacy names translated). */
  resolveName(name: string): string {
    return this.resolve(name).path
  }
}

/**
 * Warns (through the resolver) for legacy names a script reads: string literals given as the field
 * argument of event.Get / Put / Delete / Rename / AppendTo / Has. Other literals (values such as
 * "server") are not field names and are left alone.
 */
function scanLegacy(source: string, where: string, ctx: Ctx): void {
  for (const m of source.matchAll(/\.(?:Get|Put|Delete|Rename|AppendTo|Has)\(\s*(["'`])([A-Za-z_@][A-Za-z0-9_.@-]*)\1/g)) {
    if (LEGACY_FIELDS.has(m[2])) ctx.fields.resolve(m[2], where)
  }
}

/** The script line of an error thrown by code compiled under `filename`, if the stack shows it. */
function scriptLine(e: unknown, filenames: readonly string[]): string {
  const stack = e instanceof Error || (isObj(e) && typeof e.stack === 'string') ? String((e as Error).stack) : ''
  for (const f of filenames) {
    const i = stack.indexOf(`${f}:`)
    if (i < 0) continue
    const m = /^:(\d+)/.exec(stack.slice(i + f.length))
    if (m) return ` (${f} line ${m[1]})`
  }
  return ''
}

function errText(e: unknown): string {
  if (isObj(e) && typeof e.message === 'string') return `${typeof e.name === 'string' ? `${e.name}: ` : ''}${e.message}`
  return String(e)
}

interface Runner {
  /** Runs the compiled calls on `ev`; returns false to drop it. */
  run(ev: PbxEvent): boolean
}

function makeContext(guard: Guard): vm.Context {
  // A bare context: the script gets only ECMAScript built-ins and what we put on its global.
  const context = vm.createContext({}, {codeGeneration: {strings: false, wasm: false}})
  Object.defineProperty(context, GUARD_NAME, {value: guard.tick, writable: false, configurable: false, enumerable: false})
  return context
}

/**
 * Loads `code` into `context` instrumented with the time guard (guard.ts). When the instrumented
 * text does not compile although the original does (the scanner misread it), the original is used
 * and `slow` is set: its calls then run under node:vm's timeout instead.
 */
function load(code: string, filename: string, context: vm.Context, timeout: number, lineOffset = 0): {value: unknown; slow: boolean} {
  const guarded = instrumentLoops(code)
  let script: vm.Script
  let slow = false
  try {
    script = new vm.Script(guarded, {filename, lineOffset})
  } catch {
    script = new vm.Script(code, {filename, lineOffset})
    slow = true
  }
  return {value: script.runInContext(context, {timeout}), slow}
}

interface Call {
  /** Runs one script call on the bound event; returns its result. */
  invoke(): unknown
  /** Field that receives a returned value (design form). */
  put?: string
}

function runner(
  name: string,
  se: ScriptEvent,
  guard: Guard,
  calls: Call[],
  filenames: string[],
  tagOnException: string,
  dropOnError: boolean,
  ctx: Ctx,
): Runner {
  return {
    run(ev) {
      se.bind(ev)
      for (const c of calls) {
        guard.start()
        try {
          const v = c.invoke()
          if (c.put !== undefined && v !== undefined) putPath(ev, se.resolveName(c.put), v)
        } catch (e) {
          addAnomaly(ev, ctx.counters, SCRIPT_ERROR, `${name}: script failed: ${errText(e)}${scriptLine(e, filenames)}`)
          if (tagOnException !== '') se.Tag(tagOnException)
          return !dropOnError
        }
        if (se.cancelled) return false
      }
      return true
    },
  }
}

function commonOptions(body: Record<string, unknown>, p: string) {
  const timeout = body.timeout === undefined || body.timeout === null ? DEFAULT_SCRIPT_TIMEOUT_MS : parseDurationMs(body.timeout, `${p}.timeout`)
  if (timeout <= 0) fail(`${p}.timeout`, 'must be more than 0')
  return {
    timeout: Math.max(1, Math.round(timeout)),
    tagOnException: optString(body, 'tag_on_exception', p, '_js_exception') as string,
    dropOnError: optBool(body, 'drop_on_error', p, false),
  }
}

/** Beats' form: `script: {lang, source|file|files, params, tag, timeout, ...}`. */
export function compileBeatsScript(body: Record<string, unknown>, p: string, ctx: Ctx): Processor {
  const KEYS = ['lang', 'source', 'file', 'files', 'params', 'tag', 'id', 'timeout', 'max_cached_sessions', 'tag_on_exception', 'drop_on_error', 'when']
  for (const k of Object.keys(body)) if (!KEYS.includes(k)) fail(`${p}.${k}`, `unknown option; expected one of ${KEYS.join(', ')}`)
  const lang = optString(body, 'lang', p, 'javascript')
  if (lang !== 'javascript' && lang !== 'js') fail(`${p}.lang`, `only javascript is supported, got ${show(lang)}`)
  const sources: {code: string; filename: string}[] = []
  const given = ['source', 'file', 'files'].filter((k) => body[k] !== undefined && body[k] !== null)
  if (given.length !== 1) fail(p, `set exactly one of source, file and files${given.length ? ` (got ${given.join(', ')})` : ''}`)
  if (body.source !== undefined) {
    if (typeof body.source !== 'string') fail(`${p}.source`, `expected the script text, got ${show(body.source)}`)
    sources.push({code: body.source, filename: `${p}.source`})
  } else {
    const files = body.file !== undefined ? [body.file] : body.files
    if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f === 'string')) {
      fail(`${p}.${body.file !== undefined ? 'file' : 'files'}`, `expected file names, got ${show(files)}`)
    }
    for (const f of files as string[]) {
      const full = path.resolve(ctx.baseDir, f)
      let code: string
      try {
        code = readFileSync(full, 'utf8')
      } catch (e) {
        fail(`${p}.${body.file !== undefined ? 'file' : 'files'}`, `cannot read ${full}: ${(e as Error).message}`)
      }
      sources.push({code, filename: full})
    }
  }
  const tag = optString(body, 'tag', p)
  const name = tag ? `${p} (tag ${tag})` : p
  const opts = commonOptions(body, p)
  const guard = new Guard(opts.timeout)
  const context = makeContext(guard)
  let slow = false
  for (const s of sources) {
    scanLegacy(s.code, p, ctx)
    try {
      guard.start(loadTimeout(opts.timeout))
      slow = load(s.code, s.filename, context, loadTimeout(opts.timeout)).slow || slow
    } catch (e) {
      fail(p, `the script does not load: ${errText(e)}${scriptLine(e, [s.filename])}`)
    }
  }
  if (typeof context.process !== 'function') fail(p, 'the script must define a function process(event)')
  if (body.params !== undefined && !isObj(body.params)) fail(`${p}.params`, `expected a mapping, got ${show(body.params)}`)
  if (typeof context.register === 'function') {
    context.__pbx_params = structuredClone(body.params ?? {})
    try {
      guard.start(loadTimeout(opts.timeout))
      new vm.Script('register(__pbx_params)', {filename: `${p}.register`}).runInContext(context, {timeout: loadTimeout(opts.timeout)})
    } catch (e) {
      fail(p, `register(params) failed: ${errText(e)}${scriptLine(e, sources.map((s) => s.filename))}`)
    }
  }
  const se = new ScriptEvent((n) => ctx.fields.resolve(n, p))
  context.__pbx_event = se
  const fn = context.process as (e: ScriptEvent) => unknown
  const callScript = new vm.Script('process(__pbx_event)', {filename: `${p}.call`})
  const call: Call = slow ? {invoke: () => callScript.runInContext(context, {timeout: opts.timeout})} : {invoke: () => fn(se)}
  const r = runner(name, se, guard, [call], sources.map((s) => s.filename), opts.tagOnException, opts.dropOnError, ctx)
  return {name, apply: (ev) => r.run(ev)}
}

/** The design document's form: `{name, type: script, condition, fields: {f: {script}}}`. */
export function compileFieldScripts(item: Record<string, unknown>, p: string, ctx: Ctx): Processor {
  const KEYS = ['name', 'type', 'condition', 'when', 'fields', 'timeout', 'tag_on_exception', 'drop_on_error', 'tag']
  for (const k of Object.keys(item)) if (!KEYS.includes(k)) fail(`${p}.${k}`, `unknown option; expected one of ${KEYS.join(', ')}`)
  const fields = item.fields
  if (!isObj(fields) || Object.keys(fields).length === 0) fail(`${p}.fields`, `expected a mapping of field: {script: ...}, got ${show(fields)}`)
  const opts = commonOptions(item, p)
  const guard = new Guard(opts.timeout)
  const context = makeContext(guard)
  const se = new ScriptEvent((n) => ctx.fields.resolve(n, p))
  context.__pbx_event = se
  const calls: Call[] = []
  const filenames: string[] = []
  let i = 0
  for (const [field, spec] of Object.entries(fields)) {
    const fp = `${p}.fields.${field}`
    const code = typeof spec === 'string' ? spec : isObj(spec) ? spec.script : undefined
    if (typeof code !== 'string') fail(fp, `expected {script: "..."}, got ${show(spec)}`)
    if (isObj(spec)) for (const k of Object.keys(spec)) if (k !== 'script') fail(`${fp}.${k}`, 'unknown option; expected script')
    scanLegacy(code, fp, ctx)
    const filename = `${fp}.script`
    filenames.push(filename)
    const fnName = `__pbx_f${i++}`
    let loaded: {value: unknown; slow: boolean}
    try {
      // The body becomes a function of `event`; lineOffset -1 keeps line numbers those of the body.
      loaded = load(`(function (event) {\n${code}\n})`, filename, context, loadTimeout(opts.timeout), -1)
    } catch (e) {
      fail(fp, `the script does not compile: ${errText(e)}${scriptLine(e, [filename])}`)
    }
    const fn = loaded.value as (e: ScriptEvent) => unknown
    if (loaded.slow) {
      context[fnName] = fn
      const callScript = new vm.Script(`${fnName}(__pbx_event)`, {filename: `${fp}.call`})
      calls.push({invoke: () => callScript.runInContext(context, {timeout: opts.timeout}), put: field})
    } else calls.push({invoke: () => fn(se), put: field})
  }
  const name = typeof item.name === 'string' ? `${p} (${item.name})` : p
  const r = runner(name, se, guard, calls, filenames, opts.tagOnException, opts.dropOnError, ctx)
  const cond = item.condition ?? item.when
  if (cond === undefined) return {name, apply: (ev) => r.run(ev)}
  const when = compileCondition(cond, `${p}.${item.condition !== undefined ? 'condition' : 'when'}`, ctx.fields)
  const acc = new ObjectAccessor()
  return {name, apply: (ev) => (when(acc.at(ev)) ? r.run(ev) : true)}
}
