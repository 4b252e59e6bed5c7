/**
 * Schema tree (../shared/schema.ts) -> DuckDB column types.
 *
 * Nested names become STRUCT columns, not flat quoted columns: `url.path`, `event.duration`,
 * `dns.question.name` then work in SQL exactly as jq and Kibana spell them (struct member access),
 * Parquet files keep the same nesting as the NDJSON, and a table has a dozen top-level columns
 * instead of hundreds. Flat columns would need "url.path" in quotes everywhere and would clash with
 * struct access. Types: keyword/text/ip -> VARCHAR (DuckDB's inet type is an extension, not always
 * installed), long -> BIGINT, double -> DOUBLE, boolean -> BOOLEAN, date -> TIMESTAMP_NS (UTC,
 * nanoseconds kept), free-form objects -> VARCHAR holding the JSON text, arrays -> LIST, arrays of
 * records (dns.answers) -> LIST of STRUCT.
 */
import type {SchemaNode} from '../shared/schema.js'

export interface Column {
  key: string
  sql: string
}

export const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`

const SCALAR: Record<string, string> = {long: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', date: 'TIMESTAMP_NS'}

/** The column (or struct member) of a schema node. */
export function column(n: SchemaNode): Column {
  const base = n.children ? `STRUCT(${n.children.map((c) => `${quote(c.key)} ${column(c).sql}`).join(', ')})` : (SCALAR[n.type ?? ''] ?? 'VARCHAR')
  return {key: n.key, sql: n.array ? `${base}[]` : base}
}
