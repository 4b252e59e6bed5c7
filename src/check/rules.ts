/**
 * The rules of `pbx check`: a YAML file compiled once into Rule objects, each of which sees every
 * event of the run (observe) and then says whether it held (result).
 *
 * File shape:
 *
 *   rules:
 *     - name: no server errors          # required, unique; the JUnit test case name
 *       when: {equals: {type: http}}    # optional scope: the processors' condition language,
 *       where: 'type == "http"'         #   or its one-line form (not both)
 *       <kind>: <parameters>            # exactly one kind, below
 *
 * Kinds (events outside the rule's scope are not looked at):
 *   count: {exact: N} | {min: N, max: M}       number of events in scope
 *   http_status_below: 500                     no HTTP event with http.response.status_code >= N
 *   dns_nxdomain_ratio: {max: 0.05}            NXDOMAIN answers / DNS answers <= max
 *   tls_min_version: "1.2"                     no TLS event below this version (SSL 3.0 < TLS 1.0)
 *   no_anomaly: CODE | [CODE, ...] | "*"       no event with one of these pbx.anomalies codes;
 *               | {codes: "*", except: [..]}   "*" is every code
 *   latency: {by: KEY, p50|p90|p95|p99|max: D}  event.duration percentiles per group under D
 *            KEY: a field (url.path, pbx.query_fingerprint, ...) or "route" (url.path as a route
 *            template, numeric/uuid segments as placeholders); none: one group. D: "250ms", "1.5s",
 *            "40us" or a number of milliseconds.
 *   destinations: {allow: SET, forbid: SET}    SET: {networks: [CIDR|class], names: [glob], ports: [N]}
 *            allow: every destination's ip is in a network or its name (destination.domain, url.domain,
 *            tls.client.server_name) matches a name, and its port is listed (each part only when given);
 *            forbid: no destination in a network, with a name, or on a port of the set.
 *   fields: {present: [F, ...], absent: [F, ...]}  every event in scope has / lacks these fields
 *
 * Errors are RulesError, naming the file, the rule (index and name) and the key.
 */
import {parse as parseYaml} from 'yaml'
import {ANOMALIES} from '../event/anomalies.js'
import type {PbxEvent} from '../event/build.js'
import {ObjectView} from '../event/view.js'
import {compileConditionStandalone, compileNetwork, ipIn} from '../processors/conditions.js'
import type {Condition} from '../processors/types.js'
import {compileWhere} from '../processors/where.js'
import {Durations, Examples, type Example, get, PERCENTILES, type PercentileName, parseDuration, routeTemplate, showDuration} from './aggregate.js'

export class RulesError extends Error {
  override name = 'RulesError'
}

export interface RuleResult {
  name: string
  kind: string
  ok: boolean
  expected: string
  seen: string
  /** Up to three events that show the failure (or, for a passing count, what was counted). */
  examples: Example[]
  /** Per-group figures (latency) or other detail lines. */
  details?: string[]
}

export interface Rule {
  readonly name: string
  readonly kind: string
  observe(ev: PbxEvent): void
  result(): RuleResult
}

/** Groups a latency rule keeps apart; more distinct keys fall into one "(other)" group. */
export const MAX_LATENCY_GROUPS = 10_000

export const RULE_KINDS = ['count', 'http_status_below', 'dns_nxdomain_ratio', 'tls_min_version', 'no_anomaly', 'latency', 'destinations', 'fields'] as const
type Kind = (typeof RULE_KINDS)[number]
const COMMON_KEYS = ['name', 'when', 'where', 'description']

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const show = (v: unknown) => JSON.stringify(v) ?? String(v)

/** Compiles a rules file's text. `file` is for messages. */
export function compileRules(text: string, file: string, warn: (m: string) => void = () => {}): Rule[] {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    throw new RulesError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`)
  }
  const list = isObj(doc) ? doc.rules : undefined
  if (!isObj(doc) || !Array.isArray(list)) throw new RulesError(`${file}: expected a mapping with a "rules:" list`)
  for (const k of Object.keys(doc)) if (k !== 'rules') throw new RulesError(`${file}: unknown top-level key "${k}" (only "rules")`)
  if (list.length === 0) throw new RulesError(`${file}: "rules" is empty`)
  const names = new Set<string>()
  return list.map((r, i) => {
    const at0 = `${file}: rules[${i}]`
    if (!isObj(r)) throw new RulesError(`${at0}: a rule is a mapping with "name" and one of ${RULE_KINDS.join(', ')}`)
    if (typeof r.name !== 'string' || r.name.trim() === '') throw new RulesError(`${at0}.name: every rule needs a name (a non-empty string)`)
    const at = `${file}: rules[${i}] "${r.name}"`
    if (names.has(r.name)) throw new RulesError(`${at}.name: another rule has this name`)
    names.add(r.name)
    const kinds = Object.keys(r).filter((k) => !COMMON_KEYS.includes(k))
    for (const k of kinds) {
      if (!(RULE_KINDS as readonly string[]).includes(k)) throw new RulesError(`${at}: unknown key "${k}"; a rule has name, when or where, and one of ${RULE_KINDS.join(', ')}`)
    }
    if (kinds.length !== 1) throw new RulesError(`${at}: ${kinds.length === 0 ? 'no rule kind' : `more than one rule kind (${kinds.join(', ')})`}; expected exactly one of ${RULE_KINDS.join(', ')}`)
    const kind = kinds[0] as Kind
    const fail = (key: string, msg: string): never => {
      throw new RulesError(`${at}.${key}: ${msg}`)
    }
    let scope: Condition | null = null
    try {
      if (r.when !== undefined && r.where !== undefined) fail('where', 'give either when or where, not both')
      if (r.when !== undefined) scope = compileConditionStandalone(r.when, 'when', warn)
      if (r.where !== undefined) {
        if (typeof r.where !== 'string') fail('where', `expected a one-line condition string, got ${show(r.where)}`)
        scope = compileWhere(r.where as string, warn, 'where')
      }
    } catch (e) {
      if (e instanceof RulesError) throw e
      throw new RulesError(`${at}.${(e as Error).message}`)
    }
    const rule = compileKind(kind, r[kind], r.name, (k, m) => fail(k === '' ? kind : `${kind}.${k}`, m))
    return scope === null ? rule : scoped(rule, scope)
  })
}

function scoped(rule: Rule, scope: Condition): Rule {
  const view = new ObjectView()
  return {
    name: rule.name,
    kind: rule.kind,
    observe(ev) {
      if (scope(view.reset(ev))) rule.observe(ev)
    },
    result: () => rule.result(),
  }
}

type Fail = (key: string, msg: string) => never

function wholeNumber(v: unknown, key: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(key, `must be a whole number >= 0, got ${show(v)}`)
  return v as number
}

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], fail: Fail): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(k, `unknown key; expected ${allowed.join(', ')}`)
}

function compileKind(kind: Kind, p: unknown, name: string, fail: Fail): Rule {
  switch (kind) {
    case 'count':
      return countRule(name, p, fail)
    case 'http_status_below':
      return statusRule(name, p, fail)
    case 'dns_nxdomain_ratio':
      return nxdomainRule(name, p, fail)
    case 'tls_min_version':
      return tlsRule(name, p, fail)
    case 'no_anomaly':
      return anomalyRule(name, p, fail)
    case 'latency':
      return latencyRule(name, p, fail)
    case 'destinations':
      return destinationsRule(name, p, fail)
    case 'fields':
      return fieldsRule(name, p, fail)
  }
}

function countRule(name: string, p: unknown, fail: Fail): Rule {
  if (!isObj(p)) fail('', `expected {exact: N} or {min: N, max: M}, got ${show(p)}`)
  const o = p as Record<string, unknown>
  onlyKeys(o, ['exact', 'min', 'max'], fail)
  const exact = o.exact === undefined ? undefined : wholeNumber(o.exact, 'exact', fail)
  const min = o.min === undefined ? undefined : wholeNumber(o.min, 'min', fail)
  const max = o.max === undefined ? undefined : wholeNumber(o.max, 'max', fail)
  if (exact !== undefined && (min !== undefined || max !== undefined)) fail('exact', 'give exact, or min and/or max, not both')
  if (exact === undefined && min === undefined && max === undefined) fail('', 'needs exact, min or max')
  if (min !== undefined && max !== undefined && min > max) fail('min', `min ${min} is above max ${max}`)
  const lo = exact ?? min ?? 0
  const hi = exact ?? max ?? Number.POSITIVE_INFINITY
  const expected = exact !== undefined ? `exactly ${exact} events` : max === undefined ? `at least ${lo} events` : min === undefined ? `at most ${hi} events` : `${lo} to ${hi} events`
  let n = 0
  const ex = new Examples()
  // Past the upper bound the examples are the events beyond it (the ones that should not be there).
  const extra = new Examples()
  return {
    name,
    kind: 'count',
    observe(ev) {
      n++
      ex.add(ev)
      if (n > hi) extra.add(ev)
    },
    result: () => ({name, kind: 'count', ok: n >= lo && n <= hi, expected, seen: `${n} events`, examples: n > hi ? extra.list : ex.list}),
  }
}

function statusRule(name: string, p: unknown, fail: Fail): Rule {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 100 || p > 999) fail('', `expected an HTTP status code such as 500, got ${show(p)}`)
  const limit = p as number
  let bad = 0
  let http = 0
  const ex = new Examples()
  const codes = new Map<number, number>()
  return {
    name,
    kind: 'http_status_below',
    observe(ev) {
      const s = get(ev, 'http.response.status_code')
      if (typeof s !== 'number') return
      http++
      if (s >= limit) {
        bad++
        codes.set(s, (codes.get(s) ?? 0) + 1)
        ex.add(ev)
      }
    },
    result: () => ({
      name,
      kind: 'http_status_below',
      ok: bad === 0,
      expected: `no HTTP response with status >= ${limit}`,
      seen: bad === 0 ? `${http} HTTP responses, all below ${limit}` : `${bad} of ${http} HTTP responses >= ${limit} (${[...codes].sort((a, b) => a[0] - b[0]).map(([c, k]) => `${c}: ${k}`).join(', ')})`,
      examples: ex.list,
    }),
  }
}

function nxdomainRule(name: string, p: unknown, fail: Fail): Rule {
  const max = isObj(p) ? p.max : p
  if (isObj(p)) onlyKeys(p, ['max'], fail)
  if (typeof max !== 'number' || !(max >= 0 && max <= 1)) fail(isObj(p) ? 'max' : '', `expected a ratio between 0 and 1, got ${show(max)}`)
  let dns = 0
  let nx = 0
  const ex = new Examples()
  return {
    name,
    kind: 'dns_nxdomain_ratio',
    observe(ev) {
      const rc = get(ev, 'dns.response_code')
      if (typeof rc !== 'string') return
      dns++
      if (rc === 'NXDOMAIN') {
        nx++
        ex.add(ev)
      }
    },
    result: () => {
      const ratio = dns === 0 ? 0 : nx / dns
      return {
        name,
        kind: 'dns_nxdomain_ratio',
        ok: ratio <= (max as number),
        expected: `NXDOMAIN ratio <= ${max}`,
        seen: `${nx} NXDOMAIN of ${dns} DNS answers (ratio ${Number(ratio.toFixed(4))})`,
        examples: ex.list,
      }
    },
  }
}

/** SSL 3.0 < TLS 1.0 < 1.1 < 1.2 < 1.3, as one number; NaN when unknown. */
export function tlsRank(version: unknown, protocol: unknown = 'tls'): number {
  if (typeof version !== 'string' || !/^\d+\.\d+$/.test(version)) return Number.NaN
  const v = Number(version)
  return protocol === 'ssl' ? v - 10 : v
}

function tlsRule(name: string, p: unknown, fail: Fail): Rule {
  const text = typeof p === 'number' ? p.toFixed(1) : p
  const min = tlsRank(text)
  if (Number.isNaN(min)) fail('', `expected a TLS version such as "1.2", got ${show(p)}`)
  let tls = 0
  let bad = 0
  const versions = new Map<string, number>()
  const ex = new Examples()
  return {
    name,
    kind: 'tls_min_version',
    observe(ev) {
      const v = get(ev, 'tls.version')
      if (v === undefined) return
      const proto = get(ev, 'tls.version_protocol') ?? 'tls'
      tls++
      const label = `${proto === 'ssl' ? 'SSL' : 'TLS'} ${v}`
      versions.set(label, (versions.get(label) ?? 0) + 1)
      if (!(tlsRank(v, proto) >= min)) {
        bad++
        ex.add(ev)
      }
    },
    result: () => ({
      name,
      kind: 'tls_min_version',
      ok: bad === 0,
      expected: `every TLS session at TLS ${text} or above`,
      seen: `${bad} of ${tls} TLS sessions below TLS ${text}${versions.size > 0 ? ` (${[...versions].sort().map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
      examples: ex.list,
    }),
  }
}

function anomalyRule(name: string, p: unknown, fail: Fail): Rule {
  let codes: unknown = p
  let except: unknown = []
  if (isObj(p)) {
    onlyKeys(p, ['codes', 'except'], fail)
    codes = p.codes
    except = p.except ?? []
  }
  const list = (v: unknown, key: string): string[] => {
    const l = typeof v === 'string' ? [v] : v
    if (!Array.isArray(l) || !l.every((x) => typeof x === 'string')) fail(key, `expected an anomaly code or a list of them, got ${show(v)}`)
    for (const c of l as string[]) {
      if (c !== '*' && !Object.hasOwn(ANOMALIES, c)) fail(key, `unknown anomaly code "${c}" (\`pbx notes\` lists them)`)
    }
    return l as string[]
  }
  const want = list(codes, isObj(p) ? 'codes' : '')
  const skip = new Set(list(except, 'except'))
  const all = want.includes('*')
  const set = new Set(want)
  const matches = (c: string) => !skip.has(c) && (all || set.has(c))
  const seen = new Map<string, number>()
  const ex = new Examples()
  return {
    name,
    kind: 'no_anomaly',
    observe(ev) {
      const a = get(ev, 'pbx.anomalies')
      if (!Array.isArray(a)) return
      let hit = false
      for (const c of a) {
        if (typeof c === 'string' && matches(c)) {
          seen.set(c, (seen.get(c) ?? 0) + 1)
          hit = true
        }
      }
      if (hit) ex.add(ev)
    },
    result: () => ({
      name,
      kind: 'no_anomaly',
      ok: seen.size === 0,
      expected: `no event with anomaly ${all ? 'of any code' : want.join(', ')}${skip.size > 0 ? ` except ${[...skip].join(', ')}` : ''}`,
      seen: seen.size === 0 ? 'none' : [...seen].sort().map(([c, n]) => `${c}: ${n}`).join(', '),
      examples: ex.list,
    }),
  }
}

/** The group key of an event for `by` (undefined: the event has no such key and is skipped). */
export function groupKey(ev: PbxEvent, by: string | undefined): string | undefined {
  if (by === undefined) return '*'
  if (by === 'route') {
    const p = get(ev, 'url.path')
    return typeof p === 'string' ? routeTemplate(p) : undefined
  }
  const v = get(ev, by)
  return v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v)
}

function latencyRule(name: string, p: unknown, fail: Fail): Rule {
  if (!isObj(p)) fail('', `expected {by: KEY, p95: "200ms", ...}, got ${show(p)}`)
  const o = p as Record<string, unknown>
  onlyKeys(o, ['by', ...PERCENTILES], fail)
  if (o.by !== undefined && (typeof o.by !== 'string' || o.by === '')) fail('by', `expected a field name or "route", got ${show(o.by)}`)
  const by = o.by as string | undefined
  const limits: [PercentileName, number][] = []
  for (const q of PERCENTILES) {
    if (o[q] === undefined) continue
    const ns = parseDuration(o[q])
    if (ns === null) fail(q, `expected a duration such as "250ms", "1.5s" or a number of milliseconds, got ${show(o[q])}`)
    limits.push([q, ns as number])
  }
  if (limits.length === 0) fail('', `needs at least one of ${PERCENTILES.join(', ')}`)
  const lowest = Math.min(...limits.map((l) => l[1]))
  const groups = new Map<string, {d: Durations; slow: Examples}>()
  return {
    name,
    kind: 'latency',
    observe(ev) {
      const d = get(ev, 'event.duration')
      if (typeof d !== 'number') return
      let key = groupKey(ev, by)
      if (key === undefined) return
      if (!groups.has(key) && groups.size >= MAX_LATENCY_GROUPS) key = '(other)'
      let g = groups.get(key)
      if (g === undefined) {
        g = {d: new Durations(), slow: new Examples()}
        groups.set(key, g)
      }
      g.d.add(d)
      if (d > lowest) g.slow.add(ev)
    },
    result: () => {
      const details: string[] = []
      const failing: string[] = []
      const examples: Example[] = []
      for (const [key, g] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        const s = g.d.stats()
        const over = limits.filter(([q, lim]) => s[q] > lim)
        const figures = limits.map(([q]) => `${q} ${showDuration(s[q])}`).join(', ')
        details.push(`${over.length > 0 ? 'FAIL' : 'ok'} ${key}: ${s.count} events, ${figures}${s.exact ? '' : ' (sampled)'}`)
        if (over.length > 0) {
          failing.push(`${key}: ${over.map(([q, lim]) => `${q} ${showDuration(s[q])} > ${showDuration(lim)}`).join(', ')}`)
          for (const e of g.slow.list) if (examples.length < 3) examples.push(e)
        }
      }
      return {
        name,
        kind: 'latency',
        ok: failing.length === 0,
        expected: `${limits.map(([q, lim]) => `${q} <= ${showDuration(lim)}`).join(', ')} per ${by ?? 'run'}`,
        seen: groups.size === 0 ? 'no events with a duration' : failing.length === 0 ? `${groups.size} groups within bounds` : `${failing.length} of ${groups.size} groups over: ${failing.join('; ')}`,
        examples,
        details,
      }
    },
  }
}

/** `*.example.com` matches sub.example.com (not example.com); otherwise exact, case-insensitive. */
function nameTest(glob: string): (n: string) => boolean {
  const g = glob.toLowerCase()
  if (g.startsWith('*.')) return (n) => n.toLowerCase().endsWith(g.slice(1))
  return (n) => n.toLowerCase() === g
}

interface DestSet {
  nets: ReturnType<typeof compileNetwork>[] | null
  names: ((n: string) => boolean)[] | null
  ports: Set<number> | null
}

function destSet(v: unknown, key: string, fail: Fail): DestSet {
  if (!isObj(v)) fail(key, `expected {networks: [...], names: [...], ports: [...]}, got ${show(v)}`)
  const o = v as Record<string, unknown>
  onlyKeys(o, ['networks', 'names', 'ports'], (k, m) => fail(`${key}.${k}`, m))
  const arr = (k: string): unknown[] | null => {
    if (o[k] === undefined) return null
    if (!Array.isArray(o[k])) fail(`${key}.${k}`, `expected a list, got ${show(o[k])}`)
    return o[k] as unknown[]
  }
  const nets = arr('networks')?.map((n, i) => {
    try {
      return compileNetwork(n, `${key}.networks[${i}]`)
    } catch (e) {
      return fail(`${key}.networks[${i}]`, (e as Error).message.slice(`${key}.networks[${i}]: `.length))
    }
  }) ?? null
  const names = arr('names')?.map((n, i) => {
    if (typeof n !== 'string' || n === '') fail(`${key}.names[${i}]`, `expected a host name or *.domain, got ${show(n)}`)
    return nameTest(n as string)
  }) ?? null
  const portList = arr('ports')
  const ports = portList === null ? null : new Set(portList.map((n, i) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) fail(`${key}.ports[${i}]`, `expected a port number, got ${show(n)}`)
    return n as number
  }))
  if (nets === null && names === null && ports === null) fail(key, 'give at least one of networks, names, ports')
  return {nets, names, ports}
}

function destNames(ev: PbxEvent): string[] {
  const out: string[] = []
  for (const f of ['destination.domain', 'url.domain', 'tls.client.server_name']) {
    const v = get(ev, f)
    if (typeof v === 'string' && v !== '') out.push(v)
  }
  return out
}

function destinationsRule(name: string, p: unknown, fail: Fail): Rule {
  if (!isObj(p)) fail('', `expected {allow: {...}} and/or {forbid: {...}}, got ${show(p)}`)
  const o = p as Record<string, unknown>
  onlyKeys(o, ['allow', 'forbid'], fail)
  const allow = o.allow === undefined ? null : destSet(o.allow, 'allow', fail)
  const forbid = o.forbid === undefined ? null : destSet(o.forbid, 'forbid', fail)
  if (allow === null && forbid === null) fail('', 'needs allow or forbid')
  const bad = new Map<string, number>()
  const ex = new Examples()
  let n = 0
  const allowed = (ip: unknown, port: unknown, names: string[]): boolean => {
    if (allow === null) return true
    const where = allow.nets === null && allow.names === null ? true : (allow.nets !== null && ipIn(ip, allow.nets)) || (allow.names !== null && names.some((x) => allow.names!.some((t) => t(x))))
    const portOk = allow.ports === null || port === undefined || allow.ports.has(port as number)
    return where && portOk
  }
  const forbidden = (ip: unknown, port: unknown, names: string[]): boolean => {
    if (forbid === null) return false
    return (forbid.nets !== null && ipIn(ip, forbid.nets)) || (forbid.names !== null && names.some((x) => forbid.names!.some((t) => t(x)))) || (forbid.ports !== null && typeof port === 'number' && forbid.ports.has(port))
  }
  return {
    name,
    kind: 'destinations',
    observe(ev) {
      const ip = get(ev, 'destination.ip')
      if (ip === undefined) return
      n++
      const port = get(ev, 'destination.port')
      const names = destNames(ev)
      if (!allowed(ip, port, names) || forbidden(ip, port, names)) {
        const k = `${names[0] ?? ip}${port === undefined ? '' : `:${port}`}`
        bad.set(k, (bad.get(k) ?? 0) + 1)
        ex.add(ev)
      }
    },
    result: () => ({
      name,
      kind: 'destinations',
      ok: bad.size === 0,
      expected: [allow && 'every destination allowed', forbid && 'no forbidden destination'].filter(Boolean).join(', '),
      seen: bad.size === 0 ? `${n} events, all destinations ok` : `not allowed: ${[...bad].sort().slice(0, 20).map(([k, c]) => `${k} (${c})`).join(', ')}${bad.size > 20 ? `, and ${bad.size - 20} more` : ''}`,
      examples: ex.list,
    }),
  }
}

function fieldsRule(name: string, p: unknown, fail: Fail): Rule {
  if (!isObj(p)) fail('', `expected {present: [...], absent: [...]}, got ${show(p)}`)
  const o = p as Record<string, unknown>
  onlyKeys(o, ['present', 'absent'], fail)
  const list = (k: string): string[] => {
    const v = o[k] ?? []
    const l = typeof v === 'string' ? [v] : v
    if (!Array.isArray(l) || !l.every((x) => typeof x === 'string' && x !== '')) fail(k, `expected a list of field names, got ${show(v)}`)
    return l as string[]
  }
  const present = list('present')
  const absent = list('absent')
  if (present.length === 0 && absent.length === 0) fail('', 'needs present or absent')
  const missing = new Map<string, number>()
  const extra = new Map<string, number>()
  const ex = new Examples()
  let n = 0
  return {
    name,
    kind: 'fields',
    observe(ev) {
      n++
      let bad = false
      for (const f of present) {
        if (get(ev, f) === undefined) {
          missing.set(f, (missing.get(f) ?? 0) + 1)
          bad = true
        }
      }
      for (const f of absent) {
        if (get(ev, f) !== undefined) {
          extra.set(f, (extra.get(f) ?? 0) + 1)
          bad = true
        }
      }
      if (bad) ex.add(ev)
    },
    result: () => {
      const seen = [...[...missing].map(([f, c]) => `${f} missing in ${c}`), ...[...extra].map(([f, c]) => `${f} present in ${c}`)]
      return {
        name,
        kind: 'fields',
        ok: seen.length === 0,
        expected: [present.length > 0 && `present: ${present.join(', ')}`, absent.length > 0 && `absent: ${absent.join(', ')}`].filter(Boolean).join('; '),
        seen: seen.length === 0 ? `${n} events, all as expected` : `${seen.join('; ')} of ${n} events`,
        examples: ex.list,
      }
    },
  }
}
