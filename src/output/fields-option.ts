/**
 * The `fields` option of the NDJSON and CSV outputs (`--fields a,b,c`, as `tshark -T fields -e` and
 * zeek-cut users expect): which fields come out, in which order. A name may be a leaf
 * (`url.path`) or an object (`http.request`: the whole object). Names pbx never emits are kept
 * (processors may add them) but warned about once.
 */
import {type EventAccessor, splitPath} from '../event/view.js'
import {OutputConfigError, type OutputContext} from './types.js'

/** Validates the option's value: undefined, or a non-empty list of dotted names. */
export function fieldsOption(v: unknown, ctx: OutputContext): string[] | undefined {
  if (v === undefined) return undefined
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && /^@?[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(x))) {
    throw new OutputConfigError(`fields must be a comma-separated list of field names such as "url.path,http.response.status_code", got ${JSON.stringify(v)}`)
  }
  const known = new Set(ctx.fields.map((f) => f.name))
  const unknown = list.filter((n) => !known.has(n) && !ctx.fields.some((f) => f.name.startsWith(`${n}.`)))
  if (unknown.length > 0) ctx.warn(`fields: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not emitted by pbx (see \`pbx fields\`); kept in case a processor adds ${unknown.length === 1 ? 'it' : 'them'}`)
  return list as string[]
}

/** The chosen fields of one event as a nested object, in the chosen order; absent fields left out. */
export function project(fields: readonly string[], ev: EventAccessor): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    const v = ev.get(f)
    if (v === undefined) continue
    const parts = splitPath(f)
    let o = out
    for (let i = 0; i < parts.length - 1; i++) {
      const k = parts[i]
      let next = o[k]
      if (next === null || typeof next !== 'object' || Array.isArray(next)) o[k] = next = {}
      o = next as Record<string, unknown>
    }
    o[parts[parts.length - 1]] = v
  }
  return out
}
