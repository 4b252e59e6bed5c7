/**
 * Packetbeat conditions (`when:` of a processor) compiled once into closures: equals, contains,
 * regexp, range, has_fields, network, and, or, not. A compiled Condition only reads fields through
 * an EventAccessor, so it runs on a lazy view as well as on a built event.
 *
 * Semantics follow libbeat's conditions:
 *   - equals {field: value, ...}: every listed field equals its value (numbers compare as numbers,
 *     strings exactly, booleans as booleans); an array field matches when one element does.
 *   - contains {field: "sub", ...}: a string field contains the substring (array: any element).
 *   - regexp {field: "re", ...}: the RE2 pattern is found anywhere in a string field (unanchored).
 *   - range {field.gte: n, field.lt: m, ...}: numeric field within all bounds (lt/lte/gt/gte).
 *   - has_fields [f, ...]: every field is present.
 *   - network {field: cidr-or-class | [..]}: the IP field lies in one of the networks; several
 *     fields must all match. Classes as Beats defines them (Go's net.IP predicates): loopback,
 *     unicast / global_unicast, link_local_unicast, interface_local_multicast,
 *     link_local_multicast, multicast, unspecified, private, public.
 *   - and [c, ...], or [c, ...], not c.
 * A condition mapping holds exactly one of these keys. An absent field makes a leaf false.
 *
 * Errors are ProcessorConfigError naming the config path, e.g.
 * `processors[1].drop_event.when.range: "http.response.status_code.gte" must be a number, got "x"`.
 */
import type {RE2JS} from 're2js'
import {tryParseIp} from '../util/ip.js'
import {compileRe2js} from '../util/re2.js'
import {type FieldRef, FieldResolver} from './legacy.js'
import {type Condition, type EventAccessor, ProcessorConfigError} from './types.js'

export const CONDITION_KEYS = ['equals', 'contains', 'regexp', 'range', 'has_fields', 'network', 'and', 'or', 'not'] as const

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

function fail(path: string, msg: string): never {
  throw new ProcessorConfigError(`${path}: ${msg}`)
}

/**
 * Compiles an RE2 pattern. Regular expressions here run on packet data (URLs, headers, queries an
 * attacker controls), so they must run in time linear in the input: RE2 semantics (re2js, an
 * automaton without backtracking) rule out the catastrophic backtracking a JavaScript RegExp can
 * show on patterns like `(a+)+$`. The price: no backreferences or lookaround (a config error).
 */
export function compileRe2(pattern: unknown, path: string): RE2JS {
  if (typeof pattern !== 'string') fail(path, `expected a regular expression string, got ${show(pattern)}`)
  try {
    return compileRe2js(pattern)
  } catch (e) {
    fail(path, `invalid RE2 regular expression ${show(pattern)}: ${(e as Error).message}`)
  }
}

function anyElement(v: unknown, test: (x: unknown) => boolean): boolean {
  if (Array.isArray(v)) {
    for (const x of v) if (test(x)) return true
    return false
  }
  return test(v)
}

// ------------------------------------------------------------------------------------ networks

/** A network as a test on the four-word address form of src/util/ip.ts. */
type NetTest = (version: 4 | 6, w: readonly number[]) => boolean

function v6InPrefix(w: readonly number[], net: readonly number[], bits: number): boolean {
  for (let i = 0; i < 4 && bits > 0; i++) {
    const n = Math.min(32, bits)
    const mask = n === 32 ? 0xffffffff : ~(0xffffffff >>> n) >>> 0
    if (((w[i] ^ net[i]) & mask) >>> 0 !== 0) return false
    bits -= n
  }
  return true
}

function v4InPrefix(a: number, net: number, bits: number): boolean {
  if (bits === 0) return true
  const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0
  return ((a ^ net) & mask) >>> 0 === 0
}

const v4 = (s: string): [number, number] => {
  const [ip, bits] = s.split('/')
  return [tryParseIp(ip)!.words[0], Number(bits)]
}
const v6 = (s: string): [readonly number[], number] => {
  const [ip, bits] = s.split('/')
  return [tryParseIp(ip)!.words, Number(bits)]
}
const in4 = (list: [number, number][]) => (a: number) => list.some(([n, b]) => v4InPrefix(a, n, b))
const in6 = (list: [readonly number[], number][]) => (w: readonly number[]) => list.some(([n, b]) => v6InPrefix(w, n, b))

const isLoop4 = in4([v4('127.0.0.0/8')])
const isLoop6 = (w: readonly number[]) => w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 1
const isUnspec6 = (w: readonly number[]) => (w[0] | w[1] | w[2] | w[3]) === 0
const isMcast4 = in4([v4('224.0.0.0/4')])
const isMcast6 = in6([v6('ff00::/8')])
const isLLUni4 = in4([v4('169.254.0.0/16')])
const isLLUni6 = in6([v6('fe80::/10')])
const isLLMcast4 = in4([v4('224.0.0.0/24')])
const isLLMcast6 = in6([v6('ff02::/16')])
const isIfMcast6 = in6([v6('ff01::/16')])
const isPriv4 = in4([v4('10.0.0.0/8'), v4('172.16.0.0/12'), v4('192.168.0.0/16')])
const isPriv6 = in6([v6('fc00::/7')])

function named(fn4: (a: number) => boolean, fn6: (w: readonly number[]) => boolean): NetTest {
  return (version, w) => (version === 4 ? fn4(w[0]) : fn6(w))
}

const loopback = named(isLoop4, isLoop6)
const unspecified = named((a) => a === 0, isUnspec6)
const multicast = named(isMcast4, isMcast6)
const linkLocalUnicast = named(isLLUni4, isLLUni6)
const linkLocalMulticast = named(isLLMcast4, isLLMcast6)
const interfaceLocalMulticast = named(() => false, isIfMcast6)
const privateNet = named(isPriv4, isPriv6)
/** Go's IP.IsGlobalUnicast: not unspecified, loopback, multicast, link-local unicast or broadcast. */
const globalUnicast: NetTest = (version, w) =>
  !(unspecified(version, w) || loopback(version, w) || multicast(version, w) || linkLocalUnicast(version, w)) &&
  !(version === 4 && w[0] >>> 0 === 0xffffffff)
/** Beats' "public": none of loopback, unspecified, link-local, interface-local, private, broadcast. */
const publicNet: NetTest = (version, w) =>
  !(
    loopback(version, w) ||
    unspecified(version, w) ||
    linkLocalUnicast(version, w) ||
    linkLocalMulticast(version, w) ||
    interfaceLocalMulticast(version, w) ||
    privateNet(version, w) ||
    (version === 4 && w[0] >>> 0 === 0xffffffff)
  )

export const NAMED_NETWORKS: ReadonlyMap<string, NetTest> = new Map([
  ['loopback', loopback],
  ['unspecified', unspecified],
  ['multicast', multicast],
  ['link_local_unicast', linkLocalUnicast],
  ['link_local_multicast', linkLocalMulticast],
  ['interface_local_multicast', interfaceLocalMulticast],
  ['private', privateNet],
  ['public', publicNet],
  ['unicast', globalUnicast],
  ['global_unicast', globalUnicast],
  // pbx convenience: either kind of link-local address.
  ['link_local', named((a) => isLLUni4(a) || isLLMcast4(a), (w) => isLLUni6(w) || isLLMcast6(w))],
])

/** Compiles one network spec: a named class or a CIDR (a bare address is a /32 or /128). */
export function compileNetwork(spec: unknown, path: string): NetTest {
  if (typeof spec !== 'string') fail(path, `expected a CIDR or a network class name, got ${show(spec)}`)
  const named = NAMED_NETWORKS.get(spec)
  if (named) return named
  const slash = spec.indexOf('/')
  const ipText = slash < 0 ? spec : spec.slice(0, slash)
  const ip = tryParseIp(ipText)
  const max = ip?.version === 4 ? 32 : 128
  const bits = slash < 0 ? max : /^\d{1,3}$/.test(spec.slice(slash + 1)) ? Number(spec.slice(slash + 1)) : Number.NaN
  if (ip === null || !(bits >= 0 && bits <= max)) {
    fail(path, `${show(spec)} is neither a CIDR (10.0.0.0/8, fd00::/8) nor a network class (${[...NAMED_NETWORKS.keys()].join(', ')})`)
  }
  const words = ip.words.slice()
  if (ip.version === 4) return (version, w) => version === 4 && v4InPrefix(w[0], words[0], bits)
  return (version, w) => version === 6 && v6InPrefix(w, words, bits)
}

/** Parses an event's IP field value; IPv4-mapped IPv6 addresses count as IPv4 (as Go does). */
function eventIp(v: unknown): {version: 4 | 6; words: readonly number[]} | null {
  if (typeof v !== 'string') return null
  const ip = tryParseIp(v)
  if (ip === null) return null
  if (ip.version === 6 && ip.words[0] === 0 && ip.words[1] === 0 && ip.words[2] >>> 0 === 0xffff) {
    return {version: 4, words: [ip.words[3], 0, 0, 0]}
  }
  return ip
}

/** Whether an IP field value (a string or an array of strings) lies in one of `nets`. */
export function ipIn(v: unknown, nets: readonly NetTest[]): boolean {
  return anyElement(v, (x) => {
    const ip = eventIp(x)
    if (ip === null) return false
    for (const n of nets) if (n(ip.version, ip.words)) return true
    return false
  })
}

// ---------------------------------------------------------------------------------- conditions

function equalsValue(want: unknown, path: string): (v: unknown) => boolean {
  if (typeof want === 'number') return (v) => anyElement(v, (x) => typeof x === 'number' && x === want)
  if (typeof want === 'string') return (v) => anyElement(v, (x) => x === want)
  if (typeof want === 'boolean') return (v) => anyElement(v, (x) => x === want)
  fail(path, `expected a number, string or boolean, got ${show(want)}`)
}

/**
 * The field: value pairs of a leaf condition. Nested mappings are flattened into dotted names
 * (`equals: {http: {response: {status_code: 200}}}` is `http.response.status_code`), as Beats'
 * config loader makes both spellings one.
 */
function fieldMap(cfg: unknown, path: string): [string, unknown][] {
  if (!isObj(cfg) || Object.keys(cfg).length === 0) fail(path, `expected a mapping of field: value, got ${show(cfg)}`)
  const out: [string, unknown][] = []
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (isObj(v) && Object.keys(v).length > 0) walk(v, `${prefix}${k}.`)
      else out.push([`${prefix}${k}`, v])
    }
  }
  walk(cfg, '')
  return out
}

function all(tests: ((ev: EventAccessor) => boolean)[]): Condition {
  if (tests.length === 1) return tests[0]
  return (ev) => {
    for (const t of tests) if (!t(ev)) return false
    return true
  }
}

const RANGE_OPS = ['lt', 'lte', 'gt', 'gte'] as const

/**
 * Compiles a condition mapping. `path` is where it sits in the config (for messages); `fields`
 * resolves legacy names (one warning each).
 */
export function compileCondition(cfg0: unknown, path: string, fields: FieldResolver): Condition {
  let cfg = cfg0
  if (!isObj(cfg)) fail(path, `a condition must be a mapping with one of ${CONDITION_KEYS.join(', ')}; got ${show(cfg)}`)
  // A dotted key starting with a condition name (`contains.tags: x`, from `if.contains.tags: x`) is
  // that condition with the rest as its field.
  const dotted = Object.keys(cfg).find((k) => k.includes('.') && (CONDITION_KEYS as readonly string[]).includes(k.slice(0, k.indexOf('.'))))
  if (dotted !== undefined) {
    const grouped: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(cfg)) {
      const dot = k.indexOf('.')
      const head = dot < 0 ? k : k.slice(0, dot)
      const cur = grouped[head]
      if (dot < 0) grouped[head] = isObj(cur) && isObj(v) ? {...cur, ...v} : v
      else grouped[head] = {...(isObj(cur) ? cur : {}), [k.slice(dot + 1)]: v}
    }
    cfg = grouped
  }
  const c = cfg as Record<string, unknown>
  const keys = Object.keys(c)
  if (keys.length !== 1) {
    fail(path, keys.length === 0 ? `empty condition; expected one of ${CONDITION_KEYS.join(', ')}` : `a condition has exactly one key, got ${keys.join(', ')} (combine them with and: [...])`)
  }
  const key = keys[0]
  const body = c[key]
  const at = `${path}.${key}`
  const ref = (name: string): FieldRef => fields.resolve(name, at)
  switch (key) {
    case 'equals':
      return all(
        fieldMap(body, at).map(([name, want]) => {
          const f = ref(name)
          const test = equalsValue(want, `${at}.${name}`)
          return (ev: EventAccessor) => test(f.get(ev))
        }),
      )
    case 'contains':
      return all(
        fieldMap(body, at).map(([name, sub]) => {
          if (typeof sub !== 'string') fail(`${at}.${name}`, `expected a string, got ${show(sub)}`)
          const f = ref(name)
          return (ev: EventAccessor) => anyElement(f.get(ev), (x) => typeof x === 'string' && x.includes(sub))
        }),
      )
    case 'regexp':
      return all(
        fieldMap(body, at).map(([name, pattern]) => {
          const re = compileRe2(pattern, `${at}.${name}`)
          const f = ref(name)
          return (ev: EventAccessor) => anyElement(f.get(ev), (x) => typeof x === 'string' && re.test(x))
        }),
      )
    case 'range': {
      // Group "field.op" keys by field: {field: {gte: 200, lt: 300}}.
      const byField = new Map<string, Partial<Record<(typeof RANGE_OPS)[number], number>>>()
      for (const [k, v] of fieldMap(body, at)) {
        const dot = k.lastIndexOf('.')
        const op = k.slice(dot + 1) as (typeof RANGE_OPS)[number]
        if (dot <= 0 || !RANGE_OPS.includes(op)) fail(at, `"${k}" must be FIELD.lt, FIELD.lte, FIELD.gt or FIELD.gte`)
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, `"${k}" must be a number, got ${show(v)}`)
        const name = k.slice(0, dot)
        const b = byField.get(name) ?? {}
        b[op] = v
        byField.set(name, b)
      }
      return all(
        [...byField].map(([name, b]) => {
          const f = ref(name)
          const lt = b.lt ?? Number.POSITIVE_INFINITY
          const lte = b.lte ?? Number.POSITIVE_INFINITY
          const gt = b.gt ?? Number.NEGATIVE_INFINITY
          const gte = b.gte ?? Number.NEGATIVE_INFINITY
          return (ev: EventAccessor) => anyElement(f.get(ev), (x) => typeof x === 'number' && x < lt && x <= lte && x > gt && x >= gte)
        }),
      )
    }
    case 'has_fields': {
      const list = typeof body === 'string' ? [body] : body
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) {
        fail(at, `expected a list of field names, got ${show(body)}`)
      }
      return all(list.map((name: string) => {
        const f = ref(name)
        return (ev: EventAccessor) => f.get(ev) !== undefined
      }))
    }
    case 'network':
      return all(
        fieldMap(body, at).map(([name, spec]) => {
          const specs = Array.isArray(spec) ? spec : [spec]
          if (specs.length === 0) fail(`${at}.${name}`, 'expected at least one network')
          const nets = specs.map((s, i) => compileNetwork(s, Array.isArray(spec) ? `${at}.${name}[${i}]` : `${at}.${name}`))
          const f = ref(name)
          return (ev: EventAccessor) => ipIn(f.get(ev), nets)
        }),
      )
    case 'and':
    case 'or': {
      if (!Array.isArray(body) || body.length === 0) fail(at, `expected a non-empty list of conditions, got ${show(body)}`)
      const subs = body.map((c, i) => compileCondition(c, `${at}[${i}]`, fields))
      if (key === 'and') return all(subs)
      return (ev) => {
        for (const s of subs) if (s(ev)) return true
        return false
      }
    }
    case 'not': {
      const sub = compileCondition(body, at, fields)
      return (ev) => !sub(ev)
    }
    default:
      fail(path, `unknown condition "${key}"; expected one of ${CONDITION_KEYS.join(', ')}`)
  }
}

/** Convenience for tests and one-off use: a fresh resolver that sends warnings to `warn`. */
export function compileConditionStandalone(cfg: unknown, path: string, warn: (msg: string) => void = () => {}): Condition {
  return compileCondition(cfg, path, new FieldResolver(warn))
}
