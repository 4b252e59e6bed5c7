/**
 * The index template `pbx setup es` installs, generated from the fields lists (src/event/fields.ts,
 * src/protocols/<name>/fields.ts, src/flows/fields.ts), so nothing is mapped by guess:
 *   keyword -> keyword (ignore_above 1024), text -> text with a .keyword sub-field,
 *   long -> long, double -> double, boolean -> boolean, ip -> ip,
 *   date -> date_nanos (nanosecond captures keep their 9 digits),
 *   object with sub-fields -> object with properties (arrays of records need nothing special),
 *   object without sub-fields (http.request.headers, tls.detailed.alerts) -> flattened.
 * `dynamic: false`: a field missing from the lists (a processor's addition) stays in _source but is
 * not indexed; strict would reject the document, and losing events over a rename is worse.
 * With dataStream, the template declares a data stream (documents then go with op_type create).
 */
import type {FieldSpec} from '../../event/types.js'
import {type SchemaNode, schemaTree} from '../shared/schema.js'

export interface TemplateOptions {
  /** Index patterns the template applies to (default ["pbx-*"]). */
  patterns: string[]
  dataStream: boolean
  shards?: number
  replicas?: number
  priority?: number
}

type Mapping = Record<string, unknown>

function mapNode(n: SchemaNode): Mapping {
  if (n.children) {
    const properties: Record<string, Mapping> = {}
    for (const c of n.children) properties[c.key] = mapNode(c)
    return {properties}
  }
  switch (n.type) {
    case 'keyword':
      return {type: 'keyword', ignore_above: 1024}
    case 'text':
      return {type: 'text', fields: {keyword: {type: 'keyword', ignore_above: 1024}}}
    case 'long':
      return {type: 'long'}
    case 'double':
      return {type: 'double'}
    case 'boolean':
      return {type: 'boolean'}
    case 'ip':
      return {type: 'ip'}
    case 'date':
      return {type: 'date_nanos'}
    default:
      return {type: 'flattened'}
  }
}

/** The mappings (properties tree) of a field list. */
export function mappings(fields: readonly FieldSpec[]): Mapping {
  const properties: Record<string, Mapping> = {}
  for (const n of schemaTree(fields)) properties[n.key] = mapNode(n)
  return {dynamic: false, date_detection: false, properties}
}

/** The body of PUT _index_template/<name>. */
export function indexTemplate(fields: readonly FieldSpec[], o: TemplateOptions): Record<string, unknown> {
  const settings: Record<string, unknown> = {}
  if (o.shards !== undefined) settings.number_of_shards = o.shards
  if (o.replicas !== undefined) settings.number_of_replicas = o.replicas
  const body: Record<string, unknown> = {
    index_patterns: o.patterns,
    priority: o.priority ?? 200,
    template: {settings, mappings: mappings(fields)},
    _meta: {description: 'pbx events (generated from the fields lists by `pbx setup es`)'},
  }
  if (o.dataStream) body.data_stream = {}
  return body
}
