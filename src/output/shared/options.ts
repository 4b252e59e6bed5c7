/**
 * Reading an output's options (`output.<name>.*` keys, or flags turned into them). Every bad value
 * throws OutputConfigError naming the key, the value and what was expected.
 */
import {OutputConfigError} from '../types.js'

export type Options = Readonly<Record<string, unknown>>

/** Value at a dotted key, reading nested objects (`backoff.init`) or the flat dotted key. */
export function opt(o: Options, key: string): unknown {
  if (Object.hasOwn(o, key)) return o[key]
  let v: unknown = o
  for (const k of key.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return v
}

function bad(out: string, key: string, v: unknown, want: string): never {
  throw new OutputConfigError(`output.${out}.${key}: expected ${want}, got ${JSON.stringify(v)}`)
}

export function optString(out: string, o: Options, key: string, def: string): string
export function optString(out: string, o: Options, key: string, def?: string): string | undefined
export function optString(out: string, o: Options, key: string, def?: string): string | undefined {
  const v = opt(o, key)
  if (v === undefined || v === null) return def
  if (typeof v !== 'string' || v === '') bad(out, key, v, 'a non-empty string')
  return v
}

export function optStrings(out: string, o: Options, key: string, def: string[]): string[] {
  const v = opt(o, key)
  if (v === undefined || v === null) return def
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s !== '')) {
    bad(out, key, v, 'a string or a non-empty list of strings')
  }
  return list as string[]
}

export function optInt(out: string, o: Options, key: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = opt(o, key)
  if (v === undefined || v === null) return def
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) bad(out, key, v, `an integer from ${min} to ${max}`)
  return n
}

export function optBool(out: string, o: Options, key: string, def: boolean): boolean {
  const v = opt(o, key)
  if (v === undefined || v === null) return def
  if (v === true || v === 'true') return true
  if (v === false || v === 'false') return false
  return bad(out, key, v, 'true or false')
}

/** A duration as Beats writes it (`100ms`, `1s`, `1m`) or a number of seconds; in milliseconds. */
export function optDurationMs(out: string, o: Options, key: string, defMs: number): number {
  const v = opt(o, key)
  if (v === undefined || v === null) return defMs
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v) : null
  if (!m) return bad(out, key, v, 'a duration such as 500ms, 1s or 1m')
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000)
}

/** Rejects keys the output does not know (a typo must not be silently ignored); nested objects are read as dotted keys. */
export function checkKeys(out: string, o: Options, known: readonly string[]): void {
  const walk = (v: Record<string, unknown>, prefix: string) => {
    for (const k of Object.keys(v)) {
      const name = prefix + k
      if (known.includes(name)) continue
      const x = v[k]
      if (x !== null && typeof x === 'object' && !Array.isArray(x) && known.some((n) => n.startsWith(`${name}.`))) {
        walk(x as Record<string, unknown>, `${name}.`)
        continue
      }
      throw new OutputConfigError(`output.${out}: unknown option "${name}"; known: ${known.join(', ')}`)
    }
  }
  walk(o as Record<string, unknown>, '')
}
