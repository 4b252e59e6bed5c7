/**
 * Field lists (FieldSpec[], the single schema source) -> a tree of typed columns, shared by the
 * table outputs (ClickHouse, DuckDB/Parquet) and the Elasticsearch template.
 *
 * Rules, the same for every consumer:
 * - a dotted name is a path in the nested event (`url.path` is ev.url.path);
 * - the first spec of a name wins (protocols repeat common names such as `method`);
 * - an `object` spec with sub-fields (`dns.answers` + `dns.answers.name`...) is a record (a list of
 *   records when `array`); an `object` spec without sub-fields is free-form (JSON text / flattened);
 * - a leaf that other names extend (none today) becomes a record as well; its own value is dropped.
 */
import {commonFields} from '../../event/fields.js'
import {fields as flowFields} from '../../flows/fields.js'
import {protocols as allProtocols} from '../../protocols/registry.js'
import type {FieldSpec} from '../../event/types.js'

export type LeafType = Exclude<FieldSpec['type'], 'object'> | 'json'

export interface SchemaNode {
  /** Last name segment (the column or struct member name). */
  key: string
  /** Full dotted name. */
  name: string
  /** Leaf type; undefined for records. */
  type?: LeafType
  array: boolean
  /** Members of a record, in the order the fields lists name them. */
  children?: SchemaNode[]
}

/** The schema tree of a field list (top-level nodes, in first-seen order). */
export function schemaTree(fields: readonly FieldSpec[]): SchemaNode[] {
  interface Build {
    node: SchemaNode
    kids: Map<string, Build>
    spec?: FieldSpec
  }
  const root = new Map<string, Build>()
  for (const f of fields) {
    const parts = f.name.split('.')
    let level = root
    let b: Build | undefined
    for (let i = 0; i < parts.length; i++) {
      const k = parts[i]
      b = level.get(k)
      if (!b) {
        b = {node: {key: k, name: parts.slice(0, i + 1).join('.'), array: false}, kids: new Map()}
        level.set(k, b)
      }
      level = b.kids
    }
    if (b && !b.spec) b.spec = f
  }
  const finish = (b: Build): SchemaNode => {
    const n = b.node
    if (b.kids.size > 0) {
      n.children = [...b.kids.values()].map(finish)
      n.array = b.spec?.type === 'object' && b.spec.array === true
    } else {
      const s = b.spec!
      n.type = s.type === 'object' ? 'json' : s.type
      n.array = s.array === true
    }
    return n
  }
  return [...root.values()].map(finish)
}

/** Every leaf of a tree with its path from the top (records inside lists included). */
export function leaves(nodes: readonly SchemaNode[]): SchemaNode[] {
  const out: SchemaNode[] = []
  const walk = (n: SchemaNode) => {
    if (n.children) n.children.forEach(walk)
    else out.push(n)
  }
  nodes.forEach(walk)
  return out
}

/** One table per protocol (`type`): its name and the fields its events can carry. */
export interface TableSpec {
  name: string
  fields: FieldSpec[]
}

/**
 * The tables of a run: one per selected protocol (common fields first, then the protocol's), and
 * `flow` (common + flow fields) — flow records arrive only with --flows, the table is made lazily.
 */
export function tableSpecs(protocolNames: readonly string[]): TableSpec[] {
  const out: TableSpec[] = []
  for (const p of allProtocols) {
    if (protocolNames.includes(p.name)) out.push({name: p.name, fields: [...commonFields, ...p.fields]})
  }
  out.push({name: 'flow', fields: [...commonFields, ...flowFields]})
  return out
}

/** Value at a dotted path of a nested event (undefined when any step is missing). */
export function pick(ev: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = ev
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[path[i]]
  }
  return v
}

/** Nanoseconds since the epoch of an RFC 3339 UTC time (`2026-11-28T21:42:17.779233Z`); null when not one. */
export function rfc3339Nanos(s: unknown): bigint | null {
  if (typeof s !== 'string' || s.length < 20) return null
  const dot = s.indexOf('.', 19)
  const whole = Date.parse(dot < 0 ? s : `${s.slice(0, 19)}Z`)
  if (Number.isNaN(whole)) return null
  let ns = 0n
  if (dot >= 0) {
    const end = s.length - 1
    if (s[end] !== 'Z') return null
    const frac = s.slice(dot + 1, end)
    if (!/^\d{1,9}$/.test(frac)) return null
    ns = BigInt(frac.padEnd(9, '0'))
  }
  return BigInt(whole) * 1_000_000n + ns
}
