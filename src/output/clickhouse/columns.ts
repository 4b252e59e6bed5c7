/**
 * Fields lists -> ClickHouse columns, for one table per protocol. Flat columns named after the
 * fields with `_` for `.` (`url_path`, `event_duration`, `dns_question_name`; `@timestamp` keeps its
 * name): ClickHouse treats Array columns whose names share a prefix before a dot as one Nested
 * structure and rejects rows whose arrays differ in length (`event.category` and `event.type`
 * would), and Tuple/Nested types differ too much between 18.16 and today to be a stable contract.
 * Members of record arrays (`dns.answers.name` -> `dns_answers_name`) are parallel Array columns.
 * columnName() is checked to be one-to-one over every fields list (test/output/clickhouse).
 *
 * Two dialects, chosen from the server's version (SELECT version()):
 * - modern (20.1 and later): keyword -> LowCardinality(Nullable(String)), ip -> Nullable(IPv6)
 *   (IPv4 stored IPv4-mapped, ::ffff:a.b.c.d), date -> DateTime64(9, 'UTC');
 * - legacy (Debian's 18.16, no DateTime64, no IPv6 type, LowCardinality still experimental):
 *   keyword -> Nullable(String), ip -> Nullable(String) (text form), date -> DateTime('UTC') (whole
 *   seconds) plus a `<name>_ns` UInt32 column with the nanoseconds within that second.
 * Both: long -> Nullable(Int64) (read back as strings by default: 64-bit integers are quoted in
 * JSON output), double -> Nullable(Float64), boolean -> Nullable(UInt8) 0/1, text -> String,
 * free-form objects -> String holding JSON, arrays -> Array(T) (empty when absent).
 * Extra column `_id` String: the document identity (../shared/identity.ts), the same as the
 * Elasticsearch _id. Tables are ReplacingMergeTree ORDER BY (`@timestamp`, `_id`): rows of a
 * repeated run collapse on merge (query with FINAL, or OPTIMIZE TABLE ... FINAL, to see it at once).
 */
import {leaves, type SchemaNode, schemaTree} from '../shared/schema.js'
import type {FieldSpec} from '../../event/types.js'

export type Dialect = 'modern' | 'legacy'

export interface ChColumn {
  name: string
  sql: string
  /** Event -> JSON value for this column (undefined: left out, the column default applies). */
  get: (ev: Record<string, unknown>) => unknown
  /** The field's path and converter (rowWriter); undefined for `_id`. */
  steps?: {key: string; array: boolean}[]
  conv?: Conv
  /** For a legacy `<date>_ns` column: the date column it belongs to. */
  nsOf?: string
}

/** Column name of a field: dots become underscores. */
export const columnName = (field: string): string => field.replace(/\./g, '_')

export const bq = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``

const WHOLE_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/
/** The last whole-second prefix parsed (events of a run arrive in time order: mostly a hit). */
let lastPrefix = ''
let lastSec = Number.NaN

/** Unix seconds of "YYYY-MM-DDTHH:MM:SS" (NaN when not one). */
function secondsOf(prefix: string): number {
  if (prefix !== lastPrefix) {
    lastPrefix = prefix
    lastSec = WHOLE_SECOND.test(prefix) ? Date.parse(`${prefix}Z`) / 1000 : Number.NaN
  }
  return lastSec
}

/** The digits of the fraction in v[20, v.length - 1) (1 to 9 of them), or null. */
function fraction(v: string): string | null {
  if (v.length === 20) return ''
  if (v.charCodeAt(19) !== 0x2e || v.length < 22 || v.length > 30) return null
  for (let i = 20; i < v.length - 1; i++) {
    const c = v.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return null
  }
  return v.slice(20, -1)
}

/** Parses "2026-11-28T21:42:17.779233Z" into [unix seconds, nanoseconds]; null when not RFC 3339 UTC. */
export function splitTime(v: unknown): [number, number] | null {
  if (typeof v !== 'string' || v.length < 20 || v.charCodeAt(v.length - 1) !== 0x5a) return null
  const frac = fraction(v)
  if (frac === null) return null
  const sec = secondsOf(v.slice(0, 19))
  if (!Number.isFinite(sec)) return null
  return [sec, frac ? Number(frac.padEnd(9, '0')) : 0]
}

function dateText(v: unknown): string | null {
  if (typeof v !== 'string' || v.length < 20 || v.charCodeAt(v.length - 1) !== 0x5a) return null
  const frac = fraction(v)
  if (frac === null || !WHOLE_SECOND.test(v.slice(0, 19))) return null
  return `${v.slice(0, 10)} ${v.slice(11, 19)}.${frac.padEnd(9, '0')}`
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

type Conv = (v: unknown) => unknown

function leafType(n: SchemaNode, d: Dialect, nullable: boolean): {sql: string; conv: Conv} {
  const N = (t: string) => (nullable ? `Nullable(${t})` : t)
  const str: Conv = (v) => (typeof v === 'string' ? v : v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v))
  switch (n.type) {
    case 'keyword':
      return {sql: d === 'modern' ? `LowCardinality(${N('String')})` : N('String'), conv: str}
    case 'long':
      return {sql: N('Int64'), conv: (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? v : null)}
    case 'double':
      return {sql: N('Float64'), conv: (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)}
    case 'boolean':
      return {sql: N('UInt8'), conv: (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : null)}
    case 'ip':
      if (d === 'legacy') return {sql: N('String'), conv: str}
      return {sql: N('IPv6'), conv: (v) => (typeof v !== 'string' ? null : IPV4.test(v) ? `::ffff:${v}` : v.includes(':') ? v : null)}
    case 'date':
      if (d === 'modern') return {sql: N("DateTime64(9, 'UTC')"), conv: dateText}
      return {sql: N("DateTime('UTC')"), conv: (v) => splitTime(v)?.[0] ?? null}
    case 'json':
      return {sql: N('String'), conv: (v) => (v === undefined || v === null ? null : JSON.stringify(v))}
    default:
      return {sql: N('String'), conv: str}
  }
}

/** Array depth and getter of a leaf: arrays of records map over their elements. */
function path(n: SchemaNode, tree: SchemaNode[]): {steps: {key: string; array: boolean}[]} {
  const steps: {key: string; array: boolean}[] = []
  let level: SchemaNode[] | undefined = tree
  for (const key of n.name.split('.')) {
    const node: SchemaNode | undefined = level?.find((x) => x.key === key)
    if (!node) break
    steps.push({key, array: node.children !== undefined && node.array})
    level = node.children
  }
  return {steps}
}

/** The columns of a table for these fields (the `_id` column first). */
export function chColumns(fields: readonly FieldSpec[], d: Dialect): ChColumn[] {
  const tree = schemaTree(fields)
  // _id is filled by the output (it is not a field of the event).
  const cols: ChColumn[] = [{name: '_id', sql: 'String', get: () => undefined}]
  for (const leaf of leaves(tree)) {
    const {steps} = path(leaf, tree)
    const inRecords = steps.filter((s) => s.array).length
    const key = leaf.name === '@timestamp'
    const t = leafType(leaf, d, !key && !leaf.array)
    const wrap = (sql: string, depth: number): string => (depth === 0 ? sql : `Array(${wrap(sql, depth - 1)})`)
    const elem = inRecords > 0 ? leafType(leaf, d, !leaf.array) : t
    const sql = wrap(leaf.array ? `Array(${elem.sql})` : elem.sql, inRecords)
    const leafConv: Conv = leaf.array ? (v) => (Array.isArray(v) ? v.map(elem.conv) : v === undefined || v === null ? [] : [elem.conv(v)]) : elem.conv
    // Walks the path; at a record array, maps the rest of the path over its elements.
    const walk = (v: unknown, i: number): unknown => {
      if (i === steps.length) return leafConv(v)
      const o = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[steps[i].key] : undefined
      if (steps[i].array) return Array.isArray(o) ? o.map((x) => walk(x, i + 1)) : []
      return walk(o, i + 1)
    }
    const get = (ev: Record<string, unknown>) => {
      const v = walk(ev, 0)
      return v === null ? undefined : v
    }
    cols.push({name: columnName(leaf.name), sql, get, steps, conv: leafConv})
    if (leaf.type === 'date' && d === 'legacy' && inRecords === 0 && !leaf.array) {
      const nsConv = (v: unknown) => splitTime(v)?.[1]
      cols.push({
        name: `${columnName(leaf.name)}_ns`,
        sql: key ? 'UInt32' : 'Nullable(UInt32)',
        get: (ev) => nsConv(pick1(ev, leaf.name)),
        nsOf: columnName(leaf.name),
        conv: nsConv,
      })
    }
  }
  return cols
}

function pick1(ev: Record<string, unknown>, name: string): unknown {
  let v: unknown = ev
  for (const k of name.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined
  return v
}

/** CREATE TABLE for one table. */
export function createTableSql(table: string, cols: readonly ChColumn[], ifNotExists = true): string {
  return (
    `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${table} (\n  ${cols.map((c) => `${bq(c.name)} ${c.sql}`).join(',\n  ')}\n)` +
    ` ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(\`@timestamp\`) ORDER BY (\`@timestamp\`, \`_id\`)`
  )
}

/** "18.16.1" -> legacy, "23.8.2.7" -> modern. */
export function dialectOf(version: string): Dialect {
  const [maj, min] = version.split('.').map(Number)
  return maj > 20 || (maj === 20 && min >= 1) ? 'modern' : 'legacy'
}

/** Where a row writer puts a row's members (JsonBytes over a ByteArena in the output). */
export interface RowOut {
  /** Bytes copied as they are (`,"column":`). */
  raw(b: Uint8Array): void
  /** JSON.stringify(v) of a converted value. */
  value(v: unknown): void
}

interface Slot {
  /** A leaf: its members (the column, and the legacy `_ns` column of a date). */
  leaf?: {key: Uint8Array; conv: Conv}[]
  /** A record array (dns.answers): the columns below it, each read with its get() from the event. */
  records?: {key: Uint8Array; get: (ev: Record<string, unknown>) => unknown}[]
  kids?: Map<string, Slot>
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Writes the members of a table's row (`,"column":value` for every column with a value, `_id`
 * excepted: the caller writes it first) by one walk over the event: the work follows the fields the
 * event has, not the table's column count. Same values as the columns' get(), in event order;
 * columns left out take their defaults (NULL, an empty array) as with get() returning undefined.
 */
export function rowWriter(cols: readonly ChColumn[]): (ev: Record<string, unknown>, out: RowOut) => void {
  const root = new Map<string, Slot>()
  const keyOf = (name: string) => Buffer.from(`,${JSON.stringify(name)}:`)
  const slotAt = (steps: readonly {key: string}[]): Slot => {
    let level = root
    let slot: Slot | undefined
    for (const st of steps) {
      slot = level.get(st.key)
      if (!slot) {
        slot = {}
        level.set(st.key, slot)
      }
      level = slot.kids ??= new Map()
    }
    return slot!
  }
  const byName = new Map(cols.map((c) => [c.name, c]))
  for (const c of cols) {
    const base = c.nsOf !== undefined ? byName.get(c.nsOf) : c
    if (!base?.steps || !c.conv) continue
    const firstArray = base.steps.findIndex((st) => st.array)
    if (firstArray >= 0) {
      const slot = slotAt(base.steps.slice(0, firstArray + 1))
      ;(slot.records ??= []).push({key: keyOf(c.name), get: c.get})
    } else {
      const slot = slotAt(base.steps)
      ;(slot.leaf ??= []).push({key: keyOf(c.name), conv: c.conv})
    }
  }
  const walk = (o: Record<string, unknown>, level: Map<string, Slot>, ev: Record<string, unknown>, out: RowOut): void => {
    for (const k in o) {
      if (!Object.hasOwn(o, k)) continue
      const slot = level.get(k)
      if (slot === undefined) continue
      const v = o[k]
      if (slot.leaf) {
        for (const m of slot.leaf) {
          const x = m.conv(v)
          if (x === undefined || x === null) continue
          out.raw(m.key)
          out.value(x)
        }
      } else if (slot.records) {
        for (const m of slot.records) {
          const x = m.get(ev)
          if (x === undefined) continue
          out.raw(m.key)
          out.value(x)
        }
      } else if (slot.kids && isRecord(v)) walk(v, slot.kids, ev, out)
    }
  }
  return (ev, out) => walk(ev, root, ev, out)
}
