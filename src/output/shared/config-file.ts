/**
 * Config file reading for the setup commands (src/commands/setup/*): `output.<name>.*` and `setup.*` from a YAML config file, flags
 * over them. Until the run layer's config loader knows `output:` and `setup:` (src/config.ts), the
 * two sections are read here; anything else in the file is ignored by setup.
 */
import {readFileSync} from 'node:fs'
import {parse} from 'yaml'

export interface SetupConfig {
  output: Record<string, unknown>
  setup: Record<string, unknown>
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Reads `output.<name>` and `setup` of a config file (empty when there is no file). */
export function setupConfig(file: string | undefined, name: string): SetupConfig {
  if (!file) return {output: {}, setup: {}}
  let doc: unknown
  try {
    doc = parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`cannot read config ${file}: ${(e as Error).message}`)
  }
  if (doc === null || doc === undefined) return {output: {}, setup: {}}
  if (!isObject(doc)) throw new Error(`config ${file}: the top level must be a mapping`)
  const out = isObject(doc.output) ? doc.output[name] : undefined
  if (out !== undefined && !isObject(out)) throw new Error(`config ${file}: output.${name} must be a mapping`)
  if (doc.setup !== undefined && !isObject(doc.setup)) throw new Error(`config ${file}: setup must be a mapping`)
  return {output: {...(out ?? {})}, setup: {...((doc.setup as Record<string, unknown>) ?? {})}}
}

/** Comma-separated protocol names checked against the registry (all when absent). */
export function protocolList(flag: string | undefined, known: readonly string[]): string[] {
  if (!flag) return [...known]
  const names = flag.split(',').map((s) => s.trim()).filter(Boolean)
  for (const n of names) if (!known.includes(n)) throw new Error(`unknown protocol "${n}"; known: ${known.join(', ')}`)
  return names
}
