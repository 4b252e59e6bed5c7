/**
 * Configuration: a YAML file (`--config FILE`) and flags, merged flags-over-file. Shape:
 *
 *   limits:                 # any field of Limits (src/limits.ts)
 *     tcpOooBytesPerConn: 8388608
 *   protocols:
 *     http: {enabled: true, send_headers: true, ports: [80, 8080]}
 *     redis: {enabled: false}
 *
 * Errors name the file and what is wrong; the command turns them into exit code 2.
 */
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

/** The yaml package, loaded only when a config file is given (it costs ~40 ms of start-up). */
function parse(text: string): unknown {
  return (createRequire(import.meta.url)('yaml') as {parse: (t: string) => unknown}).parse(text)
}

export interface PbxConfig {
  limits: Record<string, number>
  protocols: Record<string, Record<string, unknown>>
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export function loadConfig(file: string | undefined): PbxConfig {
  const cfg: PbxConfig = {limits: {}, protocols: {}}
  if (!file) return cfg
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new ConfigError(`cannot read config ${file}: ${(e as Error).message}`)
  }
  let doc: unknown
  try {
    doc = parse(text)
  } catch (e) {
    throw new ConfigError(`config ${file} is not valid YAML: ${(e as Error).message}`)
  }
  if (doc === null || doc === undefined) return cfg
  if (!isObject(doc)) throw new ConfigError(`config ${file}: the top level must be a mapping`)
  for (const key of Object.keys(doc)) {
    if (key !== 'limits' && key !== 'protocols') throw new ConfigError(`config ${file}: unknown key "${key}" (known: limits, protocols)`)
  }
  if (doc.limits !== undefined) {
    if (!isObject(doc.limits)) throw new ConfigError(`config ${file}: limits must be a mapping`)
    for (const [k, v] of Object.entries(doc.limits)) {
      if (typeof v !== 'number') throw new ConfigError(`config ${file}: limits.${k} must be a number`)
      cfg.limits[k] = v
    }
  }
  if (doc.protocols !== undefined) {
    if (!isObject(doc.protocols)) throw new ConfigError(`config ${file}: protocols must be a mapping`)
    for (const [k, v] of Object.entries(doc.protocols)) {
      if (!isObject(v)) throw new ConfigError(`config ${file}: protocols.${k} must be a mapping`)
      if (v.ports !== undefined && !(Array.isArray(v.ports) && v.ports.every((x) => Number.isInteger(x) && x >= 0 && x <= 65535))) {
        throw new ConfigError(`config ${file}: protocols.${k}.ports must be a list of port numbers`)
      }
      cfg.protocols[k] = {...v}
    }
  }
  return cfg
}

/** Parses `--limit name=value` flags. */
export function parseLimitFlags(items: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const it of items) {
    const m = /^([A-Za-z0-9]+)=([0-9.eE+]+)$/.exec(it)
    if (!m) throw new ConfigError(`--limit expects name=number, got "${it}"`)
    out[m[1]] = Number(m[2])
  }
  return out
}
