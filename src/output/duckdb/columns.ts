/**
 * Schema tree (../shared/schema.ts) -> DuckDB column types and value converters.
 *
 * Nested names become STRUCT columns, not flat quoted columns: `url.path`, `event.duration`,
 * `dns.question.name` then work in SQL exactly as jq and Kibana spell them (struct member access),
 * Parquet files keep the same nesting as the NDJSON, and a table has a dozen top-level columns
 * instead of hundreds. Flat columns would need "url.path" in quotes everywhere and would clash with
 * struct access. Types: keyword/text/ip -> VARCHAR (DuckDB's inet type is an extension, not always
 * installed), long -> BIGINT, double -> DOUBLE, boolean -> BOOLEAN, date -> TIMESTAMP_NS (UTC,
 * nanoseconds), free-form objects -> VARCHAR holding JSON, arrays -> LIST, arrays of records
 * (dns.answers) -> LIST of STRUCT.
 *
 * A value of the wrong JSON type (a processor's rewrite) is converted where it can be (a number
 * into a keyword column becomes its text; digits into BIGINT) and stored as NULL otherwise: a row is
 * never lost over one field.
 */
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBType,
  type DuckDBValue,
  DuckDBTimestampNanosecondsValue,
  LIST,
  listValue,
  STRUCT,
  structValue,
  TIMESTAMP_NS,
  VARCHAR,
} from '@duckdb/node-api'
import {rfc3339Nanos, type SchemaNode} from '../shared/schema.js'

export interface Column {
  key: string
  sql: string
  type: DuckDBType
  /** JSON value from the event -> DuckDB value (null for absent). */
  conv: (v: unknown) => DuckDBValue
}

export const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`

function scalar(n: SchemaNode): {sql: string; type: DuckDBType; conv: (v: unknown) => DuckDBValue} {
  switch (n.type) {
    case 'long':
      return {sql: 'BIGINT', type: BIGINT, conv: toBigInt}
    case 'double':
      return {sql: 'DOUBLE', type: DOUBLE, conv: (v) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null)}
    case 'boolean':
      return {sql: 'BOOLEAN', type: BOOLEAN, conv: (v) => (typeof v === 'boolean' ? v : null)}
    case 'date':
      return {
        sql: 'TIMESTAMP_NS',
        type: TIMESTAMP_NS,
        conv: (v) => {
          const ns = rfc3339Nanos(v)
          return ns === null ? null : new DuckDBTimestampNanosecondsValue(ns)
        },
      }
    case 'json':
      return {sql: 'VARCHAR', type: VARCHAR, conv: (v) => (v === undefined || v === null ? null : JSON.stringify(v))}
    default:
      return {sql: 'VARCHAR', type: VARCHAR, conv: toText}
  }
}

function toText(v: unknown): DuckDBValue {
  if (typeof v === 'string') return v
  if (v === undefined || v === null) return null
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

function toBigInt(v: unknown): DuckDBValue {
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : null
  if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) return BigInt(v)
  if (typeof v === 'boolean') return v ? 1n : 0n
  return null
}

/** The column (or struct member) of a schema node. */
export function column(n: SchemaNode): Column {
  let base: {sql: string; type: DuckDBType; conv: (v: unknown) => DuckDBValue}
  if (n.children) {
    const kids = n.children.map(column)
    const entries: Record<string, DuckDBType> = {}
    for (const k of kids) entries[k.key] = k.type
    base = {
      sql: `STRUCT(${kids.map((k) => `${quote(k.key)} ${k.sql}`).join(', ')})`,
      type: STRUCT(entries),
      conv: (v) => {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return null
        const o = v as Record<string, unknown>
        const out: Record<string, DuckDBValue> = {}
        for (const k of kids) out[k.key] = k.conv(o[k.key])
        return structValue(out)
      },
    }
  } else base = scalar(n)
  if (!n.array) return {key: n.key, ...base}
  const inner = base
  return {
    key: n.key,
    sql: `${inner.sql}[]`,
    type: LIST(inner.type),
    conv: (v) => {
      if (v === undefined || v === null) return null
      const arr = Array.isArray(v) ? v : [v]
      return listValue(arr.map(inner.conv))
    },
  }
}
