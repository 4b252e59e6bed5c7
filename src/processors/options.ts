/**
 * Shared plumbing for compiling processors: option readers that throw ProcessorConfigError naming
 * the key, the compile context (field resolver, counters, script base directory, public suffix
 * lookup), and the run-time helpers that record a processor error on the event.
 */
import type {PbxEvent} from '../event/build.js'
import type {DomainParts} from '../util/public-suffix.js'
import type {FieldResolver} from './legacy.js'
import {ProcessorConfigError} from './types.js'

/** Run counters of the processors stage, by anomaly code (`processor.script_error`, ...). */
export type ProcessorCounters = Record<string, number>

/** A public-suffix lookup for a host name (registered_domain); src/util/public-suffix.ts by default. */
export type PublicSuffixLookup = (host: string) => DomainParts

export interface CompileOptions {
  /** Where anomaly counts go; defaults to the module-wide `processorCounters`. */
  counters?: ProcessorCounters
  /** Directory that relative script `file`/`files` paths are read from (the config's directory). */
  baseDir?: string
  /** Public suffix list lookup for registered_domain (default: the tldts list, cached). */
  publicSuffix?: PublicSuffixLookup
  /** Bound of the default lookup's cache (limits.publicSuffixCacheEntries). */
  publicSuffixCacheEntries?: number
  /** Shared legacy-name resolver, so that each legacy name warns once per configuration. */
  fields?: FieldResolver
  /**
   * Receives libbeat processors pbx does not implement (`processors[2].add_host_metadata (processor
   * add_host_metadata)`); they are skipped. Default: a warning through `warn`.
   */
  unsupported?: (what: string) => void
}

export interface Ctx {
  warn: (msg: string) => void
  fields: FieldResolver
  counters: ProcessorCounters
  baseDir: string
  publicSuffix: PublicSuffixLookup
  unsupported: (what: string) => void
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

export function fail(path: string, msg: string): never {
  throw new ProcessorConfigError(`${path}: ${msg}`)
}

const TRUE = new Set(['true', 'yes', 'on', 'y'])
const FALSE = new Set(['false', 'no', 'off', 'n'])

/** A boolean option: YAML booleans, or the YAML 1.1 words yes/no/on/off/y/n (any case). */
export function optBool(body: Record<string, unknown>, key: string, path: string, dflt: boolean): boolean {
  const v = body[key]
  if (v === undefined || v === null) return dflt
  if (typeof v === 'boolean') return v
  if (typeof v === 'string') {
    const l = v.toLowerCase()
    if (TRUE.has(l)) return true
    if (FALSE.has(l)) return false
  }
  fail(`${path}.${key}`, `expected a boolean (true/false, yes/no, on/off), got ${show(v)}`)
}

export function optString(body: Record<string, unknown>, key: string, path: string, dflt?: string): string | undefined {
  const v = body[key]
  if (v === undefined || v === null) return dflt
  if (typeof v !== 'string') fail(`${path}.${key}`, `expected a string, got ${show(v)}`)
  return v
}

export function reqString(body: Record<string, unknown>, key: string, path: string): string {
  const v = optString(body, key, path)
  if (v === undefined || v === '') fail(`${path}.${key}`, 'is required (a string)')
  return v
}

export function optNumber(body: Record<string, unknown>, key: string, path: string, min = Number.NEGATIVE_INFINITY): number | undefined {
  const v = body[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) fail(`${path}.${key}`, `expected a number${min > Number.NEGATIVE_INFINITY ? ` >= ${min}` : ''}, got ${show(v)}`)
  return v
}

/** A list of strings; a single string counts as a one-element list. */
export function strList(body: Record<string, unknown>, key: string, path: string, required = true): string[] {
  const v = body[key]
  if (v === undefined || v === null) {
    if (required) fail(`${path}.${key}`, 'is required (a list of field names)')
    return []
  }
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x !== '')) fail(`${path}.${key}`, `expected a list of strings, got ${show(v)}`)
  return list as string[]
}

/** Rejects keys other than `allowed` (plus the common `when`, `tag`, `id`). */
export function checkKeys(body: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(body)) {
    if (k === 'when' || k === 'tag' || k === 'id' || allowed.includes(k)) continue
    fail(`${path}.${k}`, `unknown option; ${allowed.length ? `expected one of ${[...allowed, 'when', 'tag'].join(', ')}` : 'this processor takes only when'}`)
  }
}

/** Parses a Go-style duration (`100ms`, `2s`, `1m30s`) or a number of seconds; returns milliseconds. */
export function parseDurationMs(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000
  if (typeof v === 'string') {
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y
    let total = 0
    let pos = 0
    const s = v.trim()
    while (pos < s.length) {
      re.lastIndex = pos
      const m = re.exec(s)
      if (!m) break
      const n = Number(m[1])
      total += n * {ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000}[m[2] as 'ms']
      pos = re.lastIndex
    }
    if (pos === s.length && s.length > 0) return total
  }
  fail(path, `expected a duration such as 100ms, 5s or 1m, got ${show(v)}`)
}

// ------------------------------------------------------------------------------ run-time helpers

/** Appends `msg` to the event's `error.message` (a string, or a list when there are several). */
export function addError(ev: PbxEvent, msg: string): void {
  let err = ev.error as Record<string, unknown> | undefined
  if (!isObj(err)) {
    err = {}
    ev.error = err
  }
  const cur = err.message
  if (cur === undefined) err.message = msg
  else if (Array.isArray(cur)) cur.push(msg)
  else err.message = [cur, msg]
}

/** Records an anomaly: counter + `pbx.anomalies` code + a note on the event. */
export function addAnomaly(ev: PbxEvent, counters: ProcessorCounters, code: string, note: string): void {
  counters[code] = (counters[code] ?? 0) + 1
  let pbx = ev.pbx as Record<string, unknown> | undefined
  if (!isObj(pbx)) {
    pbx = {}
    ev.pbx = pbx
  }
  const list = pbx.anomalies
  if (Array.isArray(list)) {
    if (!list.includes(code)) list.push(code)
  } else pbx.anomalies = [code]
  const notes = ev.notes
  if (Array.isArray(notes)) notes.push(note)
  else ev.notes = [note]
}
