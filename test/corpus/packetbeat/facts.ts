/**
 * Evaluates one fact of packetbeat_test_expectations.json against pbx's events, with the semantics
 * of the Python assertions it was derived from (beats' packetbeat/tests/system): `o[field]` on an
 * event read as a flattened dict, `==`/`!=`/`>`/`>=`/`<`, `field in o`, `len(o[field])`,
 * `value in o[field]` (substring of a string, key of an object, element of a list).
 */
import {isDeepStrictEqual} from 'node:util'
import type {Ev} from './run.js'

export interface FieldRef {
  event: number
  field: string
}

export interface Fact {
  kind: string
  op?: 'Eq' | 'NotEq' | 'Gt' | 'GtE' | 'Lt'
  value?: unknown
  event?: number
  field?: string
  scope?: string
  type?: string
  left?: FieldRef
  right?: FieldRef
  derived_from?: string
}

export interface Outcome {
  ok: boolean
  /** What pbx had, for messages and for the exception table. */
  got: unknown
  /** The fact held only after the timestamp-precision rule below. */
  normalised?: boolean
}

/**
 * Timestamp precision: Packetbeat prints times with milliseconds ("...:55.638Z"); pbx keeps the
 * capture's precision ("...:55.638957Z", docs/SCHEMA.md). A date fact with a millisecond value is
 * compared with pbx's value truncated to milliseconds: the instant must still agree.
 */
const DATE_FIELDS = new Set(['@timestamp', 'event.start', 'event.end'])
const MS_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
function toMs(v: unknown): unknown {
  return typeof v === 'string' ? v.replace(/(\.\d{3})\d*Z$/, '$1Z') : v
}

const MISSING = Symbol('missing')
type Got = unknown | typeof MISSING

/**
 * Looks a dotted path up in a nested event. Packetbeat's tests index a flattened dict, so a key may
 * itself contain dots (an HTTP header name could); the longest key present at each level wins.
 * `name[N]` is item N of the list `name`.
 */
export function lookup(obj: unknown, dotted: string): Got {
  if (obj === null || typeof obj !== 'object') return MISSING
  const o = obj as Record<string, unknown>
  if (Object.hasOwn(o, dotted)) return o[dotted]
  // a list item, as Packetbeat's tests index one (`params[0]`)
  const item = /^([^.[\]]+)\[(\d+)\](?:\.(.+))?$/.exec(dotted)
  if (item && Object.hasOwn(o, item[1] as string)) {
    const list = o[item[1] as string]
    if (!Array.isArray(list) || Number(item[2]) >= list.length) return MISSING
    const v: unknown = list[Number(item[2])]
    return item[3] === undefined ? v : lookup(v, item[3])
  }
  const parts = dotted.split('.')
  for (let i = parts.length - 1; i >= 1; i--) {
    const head = parts.slice(0, i).join('.')
    if (Object.hasOwn(o, head)) {
      const r = lookup(o[head], parts.slice(i).join('.'))
      if (r !== MISSING) return r
    }
  }
  return MISSING
}

function compare(op: Fact['op'], got: Got, want: unknown): boolean {
  if (got === MISSING) return false
  switch (op) {
    case 'Eq':
      return isDeepStrictEqual(got, want)
    case 'NotEq':
      return !isDeepStrictEqual(got, want)
    case 'Gt':
      return (got as number) > (want as number)
    case 'GtE':
      return (got as number) >= (want as number)
    case 'Lt':
      return (got as number) < (want as number)
    default:
      throw new Error(`unknown op ${String(op)}`)
  }
}

function len(v: Got): number | undefined {
  if (typeof v === 'string' || Array.isArray(v)) return v.length
  if (v !== null && typeof v === 'object') return Object.keys(v).length
  return undefined
}

function contains(container: Got, value: unknown): boolean {
  if (typeof container === 'string') return typeof value === 'string' && container.includes(value)
  if (Array.isArray(container)) return container.some((x) => isDeepStrictEqual(x, value))
  if (container !== null && typeof container === 'object') return typeof value === 'string' && Object.hasOwn(container, value)
  return false
}

function typeIs(v: Got, t: string | undefined): boolean {
  if (t === 'string_types') return typeof v === 'string'
  if (t === 'int') return Number.isInteger(v)
  throw new Error(`unknown type ${String(t)}`)
}

/** The events a scope names: all_events, events[N:], items of event[N].path. */
export function scopeItems(events: Ev[], scope: string): unknown[] {
  if (scope === 'all_events') return events
  let m = /^events\[(\d+):\]$/.exec(scope)
  if (m) return events.slice(Number(m[1]))
  m = /^items of event\[(\d+)\]\.(.+)$/.exec(scope)
  if (m) {
    const v = lookup(events[Number(m[1])], m[2])
    return Array.isArray(v) ? v : []
  }
  throw new Error(`unknown scope ${scope}`)
}

const shown = (v: Got) => (v === MISSING ? '<absent>' : v)

export function evaluate(f: Fact, events: Ev[]): Outcome {
  const at = (i: number | undefined, field: string | undefined): Got => {
    if (i === undefined || field === undefined) throw new Error(`fact without event/field: ${JSON.stringify(f)}`)
    return i < events.length ? lookup(events[i], field) : MISSING
  }
  switch (f.kind) {
    case 'event_count':
      return {ok: compare(f.op, events.length, f.value), got: events.length}
    case 'field': {
      const g = at(f.event, f.field)
      if (compare(f.op, g, f.value)) return {ok: true, got: shown(g)}
      if (DATE_FIELDS.has(f.field as string) && f.op === 'Eq' && typeof f.value === 'string' && MS_TIME.test(f.value)) {
        return {ok: compare(f.op, toMs(g), f.value), got: shown(g), normalised: true}
      }
      return {ok: false, got: shown(g)}
    }
    case 'field_present': {
      const g = at(f.event, f.field)
      return {ok: g !== MISSING, got: shown(g)}
    }
    case 'field_absent': {
      const g = at(f.event, f.field)
      return {ok: g === MISSING && (f.event as number) < events.length, got: shown(g)}
    }
    case 'field_len': {
      const n = len(at(f.event, f.field))
      return {ok: n !== undefined && compare(f.op, n, f.value), got: n ?? '<absent>'}
    }
    case 'value_contains': {
      const g = at(f.event, f.field)
      return {ok: contains(g, f.value), got: summarise(g)}
    }
    case 'value_not_contains': {
      const g = at(f.event, f.field)
      return {ok: g !== MISSING && !contains(g, f.value), got: summarise(g)}
    }
    case 'fields_compare': {
      const l = at(f.left?.event, f.left?.field)
      const r = at(f.right?.event, f.right?.field)
      return {ok: l !== MISSING && compare(f.op, l, r), got: [shown(l), shown(r)]}
    }
    case 'all_field':
    case 'all_field_present':
    case 'all_field_absent':
    case 'all_field_type':
    case 'all_value_contains': {
      const items = scopeItems(events, f.scope as string)
      const vals = items.map((it) => lookup(it, f.field as string))
      const one = (g: Got): boolean => {
        if (f.kind === 'all_field') return compare(f.op, g, f.value)
        if (f.kind === 'all_field_present') return g !== MISSING
        if (f.kind === 'all_field_absent') return g === MISSING
        if (f.kind === 'all_field_type') return typeIs(g, f.type)
        return contains(g, f.value)
      }
      // Python's all() over an empty list is True; the tests pair these with an event count.
      return {ok: vals.every(one), got: [...new Set(vals.map((v) => JSON.stringify(shown(v))))].map((s) => JSON.parse(s))}
    }
    default:
      throw new Error(`unknown fact kind ${f.kind}`)
  }
}

/** Objects (header maps) are shown by their keys, to keep messages and exception entries short. */
function summarise(v: Got): unknown {
  if (v === MISSING) return '<absent>'
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.keys(v)
  return v
}

/** Every field a fact reads (for the not-applicable tables). */
export function factFields(f: Fact): string[] {
  const out: string[] = []
  if (f.field) out.push(f.field)
  if (f.left) out.push(f.left.field)
  if (f.right) out.push(f.right.field)
  const m = f.scope ? /^items of event\[\d+\]\.(.+)$/.exec(f.scope) : null
  if (m) out.push(...out.splice(0).map((x) => `${m[1]}.${x}`), m[1])
  return out
}

/** A fact's stable label (exception keys, messages). */
export function factLabel(f: Fact): string {
  const where = f.event !== undefined ? `[${f.event}] ` : f.scope ? `(${f.scope}) ` : ''
  const what = f.left && f.right ? `[${f.left.event}].${f.left.field} vs [${f.right.event}].${f.right.field}` : (f.field ?? '')
  const val = f.value !== undefined ? ` ${JSON.stringify(f.value)}` : f.type ? ` ${f.type}` : ''
  return `${f.kind} ${where}${what}${f.op ? ` ${f.op}` : ''}${val}`.replace(/\s+/g, ' ').trim()
}
