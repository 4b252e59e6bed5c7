/**
 * The field processors of Packetbeat (libbeat's processors), each compiled once from its config
 * body into a Processor. Mutating processors have `apply`; drop_event has `filter`. Options and
 * defaults follow the Beats documentation; where Beats records a failure on the event, pbx does the
 * same: `error.message` is set, and with fail_on_error (the default where Beats has it) the changes
 * of that processor are undone first.
 */
import type {PbxEvent} from '../event/build.js'
import {communityIdFromStrings} from '../util/community-id.js'
import {tryParseIp} from '../util/ip.js'
import {compileRe2} from './conditions.js'
import {
  addError,
  type Ctx,
  checkKeys,
  fail,
  isObj,
  optBool,
  optNumber,
  optString,
  reqString,
  show,
  strList,
} from './options.js'
import {cloneValue, deletePath, getPath, putPath} from './path.js'
import type {Processor} from './types.js'

/** Fields every event keeps: drop_fields may not remove them, include_fields always keeps them. */
const PROTECTED = ['@timestamp', 'type']

/** Records changes so that a failing processor can put the event back as it was. */
class Undo {
  private log: [string, unknown][] = []
  put(ev: PbxEvent, path: string, v: unknown): void {
    this.log.push([path, getPath(ev, path)])
    putPath(ev, path, v)
  }
  del(ev: PbxEvent, path: string): void {
    this.log.push([path, getPath(ev, path)])
    deletePath(ev, path)
  }
  rollback(ev: PbxEvent): void {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const [p, v] = this.log[i]
      if (v === undefined) deletePath(ev, p)
      else putPath(ev, p, v)
    }
    this.log.length = 0
  }
  clear(): void {
    this.log.length = 0
  }
}

interface FromTo {
  from: string
  to: string
}

/** Reads `fields: [{from, to}, ...]`, resolving legacy names in `from`. */
function fromToList(body: Record<string, unknown>, path: string, ctx: Ctx, toRequired = true): FromTo[] {
  const v = body.fields
  if (!Array.isArray(v) || v.length === 0) fail(`${path}.fields`, `expected a list of {from, to}, got ${show(v)}`)
  return v.map((it, i) => {
    const p = `${path}.fields[${i}]`
    if (!isObj(it)) fail(p, `expected {from: FIELD, to: FIELD}, got ${show(it)}`)
    const from = ctx.fields.resolve(reqString(it, 'from', p), p).path
    const to = toRequired ? reqString(it, 'to', p) : (optString(it, 'to', p) ?? '')
    return {from, to}
  })
}

/**
 * Runs `step` for each item with Beats' error policy: an error message from a step either undoes
 * the processor's changes and stops (fail_on_error) or is recorded and the next item runs.
 */
function stepper<T>(items: T[], failOnError: boolean, name: string, step: (ev: PbxEvent, it: T, undo: Undo) => string | null): Processor {
  const undo = new Undo()
  return {
    name,
    apply(ev) {
      for (const it of items) {
        const err = step(ev, it, undo)
        if (err === null) continue
        if (failOnError) {
          undo.rollback(ev)
          addError(ev, `${name}: ${err}`)
          return true
        }
        addError(ev, `${name}: ${err}`)
      }
      undo.clear()
      return true
    },
  }
}

export function dropEvent(body: Record<string, unknown>, path: string): Processor {
  checkKeys(body, [], path)
  return {name: path, filter: () => false}
}

/** Dotted paths of every leaf of `o` (arrays are leaves), with the objects on the way. */
function leafPaths(o: Record<string, unknown>, prefix: string, out: string[]): string[] {
  for (const k of Object.keys(o)) {
    const v = o[k]
    const p = prefix === '' ? k : `${prefix}.${k}`
    out.push(p)
    if (isObj(v)) leafPaths(v, p, out)
  }
  return out
}

export function dropFields(body: Record<string, unknown>, path: string, ctx: Ctx): Processor {
  checkKeys(body, ['fields', 'ignore_missing'], path)
  const names = strList(body, 'fields', path)
  optBool(body, 'ignore_missing', path, false)
  const paths: string[] = []
  // Beats: a name written /.../ is a regular expression matched against the dotted field names.
  const patterns: ReturnType<typeof compileRe2>[] = []
  for (const n of names) {
    if (PROTECTED.includes(n)) fail(`${path}.fields`, `"${n}" cannot be dropped (every event keeps @timestamp and type)`)
    if (n.length > 2 && n.startsWith('/') && n.endsWith('/')) patterns.push(compileRe2(n.slice(1, -1), `${path}.fields`))
    else paths.push(ctx.fields.resolve(n, path).path)
  }
  // A missing field is already absent: nothing to report whether or not ignore_missing is set.
  return {
    name: path,
    apply(ev) {
      for (const p of paths) deletePath(ev, p)
      if (patterns.length > 0) {
        for (const p of leafPaths(ev, '', [])) {
          if (PROTECTED.includes(p)) continue
          for (const re of patterns) {
            if (re.test(p)) {
              deletePath(ev, p)
              break
            }
          }
        }
      }
      return true
    },
  }
}

export function includeFields(body: Record<string, unknown>, path: string, ctx: Ctx): Processor {
  checkKeys(body, ['fields'], path)
  const paths = [...PROTECTED, ...strList(body, 'fields', path).map((n) => ctx.fields.resolve(n, path).path)]
  return {
    name: path,
    apply(ev) {
      const kept: PbxEvent = {}
      for (const p of paths) {
        const v = getPath(ev, p)
        if (v !== undefined) putPath(kept, p, v)
      }
      for (const k of Object.keys(ev)) delete ev[k]
      Object.assign(ev, kept)
      return true
    },
  }
}

/** Deep-merges `src` into the object at `target` ('' = the event root), `src` winning. */
function mergeInto(ev: PbxEvent, target: string, src: Record<string, unknown>): void {
  let dst: Record<string, unknown>
  if (target === '') dst = ev
  else {
    const cur = getPath(ev, target)
    if (isObj(cur)) dst = cur
    else {
      dst = {}
      putPath(ev, target, dst)
    }
  }
  const merge = (d: Record<string, unknown>, s: Record<string, unknown>) => {
    for (const k of Object.keys(s)) {
      const sv = s[k]
      const dv = d[k]
      if (isObj(sv) && isObj(dv)) merge(dv, sv)
      else d[k] = cloneValue(sv)
    }
  }
  merge(dst, src)
}

export function addFields(body: Record<string, unknown>, path: string): Processor {
  checkKeys(body, ['target', 'fields'], path)
  const target = optString(body, 'target', path, 'fields') as string
  const fields = body.fields
  if (!isObj(fields)) fail(`${path}.fields`, `expected a mapping of field: value, got ${show(fields)}`)
  // Dotted keys in `fields` (`a.b: 1`) mean nested fields, as in Beats.
  const nested: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) putPath(nested, k, v)
  return {
    name: path,
    apply(ev) {
      mergeInto(ev, target, nested)
      return true
    },
  }
}

export function addTags(body: Record<string, unknown>, path: string): Processor {
  checkKeys(body, ['tags', 'target'], path)
  const tags = strList(body, 'tags', path)
  const target = optString(body, 'target', path, 'tags') as string
  return {
    name: path,
    apply(ev) {
      const cur = getPath(ev, target)
      const list = Array.isArray(cur) ? cur : cur === undefined ? [] : [cur]
      for (const t of tags) if (!list.includes(t)) list.push(t)
      if (list !== cur) putPath(ev, target, list)
      return true
    },
  }
}

export function addLabels(body: Record<string, unknown>, path: string): Processor {
  checkKeys(body, ['labels'], path)
  const labels = body.labels
  if (!isObj(labels)) fail(`${path}.labels`, `expected a mapping, got ${show(labels)}`)
  // ECS labels are flat: nested mappings become dotted keys (`labels: {env: {tier: a}}` -> labels["env.tier"]).
  const flat: [string, unknown][] = []
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (isObj(v)) walk(v, `${prefix}${k}.`)
      else flat.push([`${prefix}${k}`, v])
    }
  }
  walk(labels, '')
  return {
    name: path,
    apply(ev) {
      let l = ev.labels as Record<string, unknown> | undefined
      if (!isObj(l)) {
        l = {}
        ev.labels = l
      }
      for (const [k, v] of flat) l[k] = cloneValue(v)
      return true
    },
  }
}

export function rename(body: Record<string, unknown>, path: string, ctx: Ctx): Processor {
  checkKeys(body, ['fields', 'ignore_missing', 'fail_on_error'], path)
  const items = fromToList(body, path, ctx)
  const ignoreMissing = optBool(body, 'ignore_missing', path, false)
  return stepper(items, optBool(body, 'fail_on_error', path, true), path, (ev, {from, to}, undo) => {
    const v = getPath(ev, from)
    if (v === undefined) return ignoreMissing ? null : `field "${from}" is missing`
    if (from === to) return null
    if (getPath(ev, to) !== undefined) return `target field "${to}" already exists`
    undo.del(ev, from)
    undo.put(ev, to, v)
    return null
  })
}

export function copyFields(body: Record<string, unknown>, path: string, ctx: Ctx): Processor {
  checkKeys(body, ['fields', 'ignore_missing', 'fail_on_error'], path)
  const items = fromToList(body, path, ctx)
  const ignoreMissing = optBool(body, 'ignore_missing', path, false)
  return stepper(items, optBool(body, 'fail_on_error', path, true), path, (ev, {from, to}, undo) => {
    const v = getPath(ev, from)
    if (v === undefined) return ignoreMissing ? null : `field "${from}" is missing`
    if (getPath(ev, to) !== undefined) return `target field "${to}" already exists`
    undo.put(ev, to, cloneValue(v))
    return null
  })
}

const CONVERT_TYPES = ['integer', 'long', 'float', 'double', 'string', 'boolean', 'ip'] as const
type ConvertType = (typeof CONVERT_TYPES)[number]

/** Converts a scalar; returns undefined when it cannot (an error for the caller). */
function convertValue(v: unknown, type: ConvertType): unknown {
  switch (type) {
    case 'integer':
    case 'long': {
      let n: number
      if (typeof v === 'number') n = Math.trunc(v)
      else if (typeof v === 'boolean') n = v ? 1 : 0
      else if (typeof v === 'string' && /^\s*[+-]?(\d+|0x[0-9a-fA-F]+)\s*$/.test(v)) {
        const t = v.trim()
        const neg = t.startsWith('-')
        const u = t.replace(/^[+-]/, '')
        n = (neg ? -1 : 1) * (u.startsWith('0x') ? Number.parseInt(u.slice(2), 16) : Number(u))
      } else return undefined
      if (!Number.isFinite(n)) return undefined
      if (type === 'integer' && (n < -2147483648 || n > 2147483647)) return undefined
      return n
    }
    case 'float':
    case 'double': {
      if (typeof v === 'number') return v
      if (typeof v === 'boolean') return v ? 1 : 0
      if (typeof v === 'string' && v.trim() !== '') {
        const n = Number(v.trim())
        return Number.isNaN(n) ? undefined : n
      }
      return undefined
    }
    case 'string':
      return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)
    case 'boolean': {
      if (typeof v === 'boolean') return v
      if (typeof v === 'number') return v !== 0
      if (typeof v === 'string') {
        if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true
        if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false
      }
      return undefined
    }
    case 'ip':
      return typeof v === 'string' && tryParseIp(v) !== null ? v : undefined
  }
}

export function convert(body: Record<string, unknown>, path: string, ctx: Ctx): Processor {
  checkKeys(body, ['fields', 'ignore_missing', 'fail_on_error', 'mode'], path)
  const raw = body.fields
  if (!Array.isArray(raw) || raw.length === 0) fail(`${path}.fields`, `expected a list of {from, to, type}, got ${show(raw)}`)
  const items = fromToList(body, path, ctx, false).map((ft, i) => {
    const p = `${path}.fields[${i}]`
    const t = (raw[i] as Record<string, unknown>).type
    if (t === undefined) return {...ft, type: undefined}
    if (typeof t !== 'string' || !(CONVERT_TYPES as readonly string[]).includes(t)) fail(`${p}.type`, `expected one of ${CONVERT_TYPES.join(', ')}, got ${show(t)}`)
    return {...ft, type: t as ConvertType}
  })
  const mode = optString(body, 'mode', path, 'copy')
  if (mode !== 'copy' && mode !== 'rename') fail(`${path}.mode`, `expected copy or rename, got ${show(mode)}`)
  const ignoreMissing = optBool(body, 'ignore_missing', path, false)
  return stepper(items, optBool(body, 'fail_on_error', path, true), path, (ev, {from, to, type}, undo) => {
    const v = getPath(ev, from)
    if (v === undefined) return ignoreMissing ? null : `field "${from}" is missing`
    let out: unknown = v
    if (type !== undefined) {
      out = Array.isArray(v) ? v.map((x) => convertValue(x, type)) : convertValue(v, type)
      if (out === undefined || (Array.isArray(out) && out.includes(undefined))) return `cannot convert ${show(v)} of "${from}" to ${type}`
    }
    const dest = to === '' ? from : to
    if (dest !== from && mode === 'rename') undo.del(ev, from)
    undo.put(ev, dest, out)
    return null
  })
}

/** The longest prefix of `s` whose UTF-8 encoding fits `max` bytes, never splitting a character. */
function truncateBytes(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8')
  if (b.length <= max) return s
  let end = max
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--
  return b.subarray(0, end).toString('utf8')
}

export function truncateFields(body: Record<string, unknown>, path: string, ctx: Ctx): Processor {
  checkKeys(body, ['fields', 'max_bytes', 'max_characters', 'fail_on_error', 'ignore_missing'], path)
  const paths = strList(body, 'fields', path).map((n) => ctx.fields.resolve(n, path).path)
  const maxBytes = optNumber(body, 'max_bytes', path, 0)
  const maxChars = optNumber(body, 'max_characters', path, 0)
  if ((maxBytes === undefined) === (maxChars === undefined)) fail(path, 'set exactly one of max_bytes and max_characters')
  const ignoreMissing = optBool(body, 'ignore_missing', path, false)
  return stepper(paths, optBool(body, 'fail_on_error', path, true), path, (ev, p, undo) => {
    const v = getPath(ev, p)
    if (v === undefined) return ignoreMissing ? null : `field "${p}" is missing`
    if (typeof v !== 'string') return `field "${p}" is not a string`
    let out: string
    if (maxBytes !== undefined) out = truncateBytes(v, maxBytes)
    else {
      const chars = Array.from(v)
      out = chars.length > (maxChars as number) ? chars.slice(0, maxChars).join('') : v
    }
    if (out === v) return null
    undo.put(ev, p, out)
    // Beats marks truncated events with log.flags: [truncated].
    const flags = getPath(ev, 'log.flags')
    if (!(Array.isArray(flags) && flags.includes('truncated'))) undo.put(ev, 'log.flags', [...(Array.isArray(flags) ? flags : []), 'truncated'])
    return null
  })
}

export function replace(body: Record<string, unknown>, path: string, ctx: Ctx): Processor {
  checkKeys(body, ['fields', 'ignore_missing', 'fail_on_error'], path)
  const raw = body.fields
  if (!Array.isArray(raw) || raw.length === 0) fail(`${path}.fields`, `expected a list of {field, pattern, replacement}, got ${show(raw)}`)
  const items = raw.map((it, i) => {
    const p = `${path}.fields[${i}]`
    if (!isObj(it)) fail(p, `expected {field, pattern, replacement}, got ${show(it)}`)
    const field = ctx.fields.resolve(reqString(it, 'field', p), p).path
    const re = compileRe2(it.pattern, `${p}.pattern`)
    const replacement = it.replacement ?? ''
    if (typeof replacement !== 'string') fail(`${p}.replacement`, `expected a string, got ${show(replacement)}`)
    return {field, re, replacement}
  })
  const ignoreMissing = optBool(body, 'ignore_missing', path, false)
  // Replacement syntax: $1 and ${name} refer to groups (RE2 / Go's Expand; re2js in Java mode).
  return stepper(items, optBool(body, 'fail_on_error', path, true), path, (ev, {field, re, replacement}, undo) => {
    const v = getPath(ev, field)
    if (v === undefined) return ignoreMissing ? null : `field "${field}" is missing`
    if (typeof v !== 'string') return `field "${field}" is not a string`
    const out = re.matcher(v).replaceAll(replacement, true)
    if (out !== v) undo.put(ev, field, out)
    return null
  })
}

const TRANSPORTS: Record<string, number> = {icmp: 1, tcp: 6, udp: 17, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132}

export function communityIdProcessor(body: Record<string, unknown>, path: string): Processor {
  checkKeys(body, ['fields', 'target', 'seed'], path)
  const f = body.fields ?? {}
  if (!isObj(f)) fail(`${path}.fields`, `expected a mapping, got ${show(f)}`)
  const KEYS = ['source_ip', 'source_port', 'destination_ip', 'destination_port', 'transport', 'iana_number', 'icmp_type', 'icmp_code']
  for (const k of Object.keys(f)) if (!KEYS.includes(k)) fail(`${path}.fields.${k}`, `unknown field option; expected one of ${KEYS.join(', ')}`)
  const fp = `${path}.fields`
  const srcIp = optString(f, 'source_ip', fp, 'source.ip') as string
  const srcPort = optString(f, 'source_port', fp, 'source.port') as string
  const dstIp = optString(f, 'destination_ip', fp, 'destination.ip') as string
  const dstPort = optString(f, 'destination_port', fp, 'destination.port') as string
  const transport = optString(f, 'transport', fp, 'network.transport') as string
  const iana = optString(f, 'iana_number', fp, 'network.iana_number') as string
  // Beats reads icmp.type/icmp.code; pbx ICMP events carry the request's under icmp.request.
  const icmpType = optString(f, 'icmp_type', fp)
  const icmpCode = optString(f, 'icmp_code', fp)
  const target = optString(body, 'target', path, 'network.community_id') as string
  const seed = optNumber(body, 'seed', path, 0) ?? 0
  if (!Number.isInteger(seed) || seed > 65535) fail(`${path}.seed`, `expected an integer 0..65535, got ${show(seed)}`)
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined)
  return {
    name: path,
    apply(ev) {
      const s = getPath(ev, srcIp)
      const d = getPath(ev, dstIp)
      if (typeof s !== 'string' || typeof d !== 'string') return true
      let proto = num(getPath(ev, iana))
      if (proto === undefined) {
        const t = getPath(ev, transport)
        proto = typeof t === 'string' ? TRANSPORTS[t.toLowerCase()] : undefined
      }
      if (proto === undefined) return true
      let sp: number | undefined
      let dp: number | undefined
      if (proto === 1 || proto === 58) {
        sp = num(icmpType ? getPath(ev, icmpType) : (getPath(ev, 'icmp.type') ?? getPath(ev, 'icmp.request.type')))
        dp = num(icmpCode ? getPath(ev, icmpCode) : (getPath(ev, 'icmp.code') ?? getPath(ev, 'icmp.request.code')))
      } else if (proto === 6 || proto === 17 || proto === 132) {
        sp = num(getPath(ev, srcPort))
        dp = num(getPath(ev, dstPort))
      } else {
        sp = 0
        dp = 0
      }
      if (sp === undefined || dp === undefined) return true
      const id = communityIdFromStrings(s, d, proto, sp, dp, seed)
      if (id !== '') putPath(ev, target, id)
      return true
    },
  }
}

/**
 * Beats' registered_domain: reads a host name from `field` and writes its registered domain
 * (eTLD+1) to `target_field`, its public suffix to `target_etld_field` and what precedes the
 * registered domain to `target_subdomain_field` (each only when set and non-empty). A missing
 * field is an error unless ignore_missing; a value that is not a string or has no registered
 * domain (a public suffix itself, an IP literal, `localhost`) is an error unless ignore_failure.
 * Errors go to `error.message`; the event goes on. Lookups: src/util/public-suffix.ts.
 */
export function registeredDomain(body: Record<string, unknown>, path: string, ctx: Ctx): Processor {
  checkKeys(body, ['field', 'target_field', 'target_etld_field', 'target_subdomain_field', 'ignore_missing', 'ignore_failure'], path)
  const lookup = ctx.publicSuffix
  const field = ctx.fields.resolve(reqString(body, 'field', path), path).path
  const target = reqString(body, 'target_field', path)
  const etldField = optString(body, 'target_etld_field', path)
  const subField = optString(body, 'target_subdomain_field', path)
  const ignoreMissing = optBool(body, 'ignore_missing', path, false)
  const ignoreFailure = optBool(body, 'ignore_failure', path, false)
  return {
    name: path,
    apply(ev) {
      const v = getPath(ev, field)
      if (v === undefined || v === null) {
        if (!ignoreMissing) addError(ev, `${path}: source field "${field}" is missing`)
        return true
      }
      if (typeof v !== 'string') {
        if (!ignoreFailure) addError(ev, `${path}: source field "${field}" is not a string (${show(v)})`)
        return true
      }
      const r = lookup(v)
      if (r.registeredDomain === null) {
        if (!ignoreFailure) addError(ev, `${path}: no registered domain in ${show(v)}`)
        return true
      }
      putPath(ev, target, r.registeredDomain)
      if (etldField && r.topLevelDomain) putPath(ev, etldField, r.topLevelDomain)
      if (subField && r.subdomain) putPath(ev, subField, r.subdomain)
      return true
    },
  }
}
