/**
 * The printable form of an EffectiveConfig (`pbx config check FILE`): YAML with every default
 * filled in, processors as written, and secrets (password, api_key, ... and the password part of
 * URLs) replaced by `<redacted>`. Output is deterministic for a given file.
 */
import {createRequire} from 'node:module'
import type * as Yaml from 'yaml'
import {protocolByName} from '../protocols/registry.js'
import type {EffectiveConfig} from './index.js'
import {SECRET_KEY} from './schema.js'

export const REDACTED = '<redacted>'

/** yaml, loaded when a configuration is printed: other runs do not pay its start-up. */
const yaml = (): typeof Yaml => createRequire(import.meta.url)('yaml') as typeof Yaml

/** A copy of `v` with secret values replaced (by key name, and user:password@ in URLs). */
export function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact)
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) && x !== null && x !== undefined && x !== '' ? REDACTED : redact(x)
    return out
  }
  if (typeof v === 'string') return v.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/i, `$1:${REDACTED}@`)
  return v
}

function seconds(s: number): string {
  return Number.isInteger(s) ? `${s}s` : `${Math.round(s * 1000)}ms`
}

/** The effective configuration as YAML text (ends with a newline). */
export function formatEffectiveConfig(c: EffectiveConfig): string {
  const protocols: Record<string, unknown> = {}
  for (const [name, p] of Object.entries(c.protocols)) {
    const proto = protocolByName(name)
    const ports = p.ports ?? [...new Set([...(proto?.tcp?.ports ?? []), ...(proto?.udp?.ports ?? [])])]
    const o: Record<string, unknown> = {enabled: p.enabled, ports}
    if (p.source) o.configured_at = p.source
    Object.assign(o, p.options)
    if (p.fields) o.fields = p.fields
    if (p.fieldsUnderRoot) o.fields_under_root = true
    if (p.tags.length) o.tags = p.tags
    if (p.processorsConfig.length) o.processors = p.processorsConfig
    protocols[name] = o
  }
  const flows: Record<string, unknown> = {enabled: c.flows.enabled, timeout: seconds(c.flows.timeoutSec), period: c.flows.periodSec === 0 ? -1 : seconds(c.flows.periodSec)}
  if (c.flows.fields) flows.fields = c.flows.fields
  if (c.flows.tags.length) flows.tags = c.flows.tags
  if (c.flows.processorsConfig.length) flows.processors = c.flows.processorsConfig
  const doc: Record<string, unknown> = {}
  if (c.interfaces) doc.interfaces = c.interfaces
  doc.protocols = protocols
  doc.flows = flows
  doc.processors = c.processorsConfig
  if (c.fields) doc.fields = c.fields
  doc.fields_under_root = c.fieldsUnderRoot
  doc.tags = c.tags
  doc.outputs = c.outputs
  doc.limits = c.limits
  if (c.ignored.length) doc.ignored = c.ignored
  if (c.unsupported.length) doc.unsupported = c.unsupported
  const head = `# pbx effective configuration${c.file ? ` of ${c.file}` : ' (defaults)'}; durations in seconds unless suffixed\n`
  const {Document, isScalar, visit} = yaml()
  const y = new Document(redact(doc))
  // Lists of scalars (ports, tags, ...) on one line.
  visit(y, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true
    },
  })
  return head + y.toString({lineWidth: 0})
}
