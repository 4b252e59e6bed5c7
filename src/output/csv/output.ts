/**
 * CSV output. Columns: the common fields, then the fields of each selected protocol (from its
 * fields.ts), in registry order; nested event objects are flattened with dots. Arrays are joined
 * with ';'; objects that are not listed as columns are left out. csv-stringify does the quoting.
 *
 * Control characters: in text cells every C0 control (tab, CR, LF included), DEL and C1 control is
 * written as \xNN, as the summary shows them (src/util/sanitize.ts), so raw ESC sequences from
 * packets never reach a terminal that displays the file and every record stays on one line.
 *
 * CSV injection (OWASP): a text cell that begins with = + - @, a tab or a carriage return is
 * prefixed with a single quote, so a spreadsheet never evaluates packet data as a formula (checked
 * after the escaping above). Numbers are written as numbers and are never altered.
 */
import {createRequire} from 'node:module'
import type {PbxEvent} from '../../event/build.js'
import type {FieldSpec} from '../../event/types.js'
import {escapeControls} from '../../util/sanitize.js'
import type {Output, RunInfo} from '../types.js'
import type {TextWriter} from '../writer.js'

const DANGEROUS = /^[=+\-@\t\r]/

type Stringify = (rows: string[][]) => string
let stringifyFn: Stringify | undefined
/** csv-stringify, loaded on first use (its CommonJS build) so that runs without CSV do not pay for it at start-up. */
function stringify(rows: string[][]): string {
  if (stringifyFn === undefined) stringifyFn = (createRequire(import.meta.url)('csv-stringify/sync') as {stringify: Stringify}).stringify
  return stringifyFn(rows)
}

export function neutralizeCell(s: string): string {
  return DANGEROUS.test(s) ? "'" + s : s
}

/** A text cell as written: control characters escaped, then formula-looking text neutralized. */
export function textCell(s: string): string {
  return neutralizeCell(escapeControls(s))
}

/**
 * The value at `path`. Through an array of objects (dns.answers is [{name, data, ...}]) the rest of
 * the path is looked up in each element and the found values are returned as an array (one cell,
 * joined with ';'); elements without the field are skipped.
 */
function lookup(ev: unknown, path: string[], from = 0): unknown {
  let v: unknown = ev
  for (let i = from; i < path.length; i++) {
    if (Array.isArray(v)) {
      const out: unknown[] = []
      for (const e of v) {
        const x = lookup(e, path, i)
        if (x !== undefined && x !== null) out.push(x)
      }
      return out.length > 0 ? out : undefined
    }
    const k = path[i]
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return v
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (typeof v === 'string') return textCell(v)
  if (Array.isArray(v)) return textCell(v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(';'))
  return textCell(JSON.stringify(v))
}

export class CsvOutput implements Output {
  private readonly columns: string[]
  private readonly paths: string[][]

  constructor(
    private readonly w: TextWriter,
    private readonly closeStream: boolean,
    fields: FieldSpec[],
  ) {
    const seen = new Set<string>()
    this.columns = []
    for (const f of fields) {
      if (f.type === 'object' || seen.has(f.name)) continue
      seen.add(f.name)
      this.columns.push(f.name)
    }
    // '@timestamp' is one key; every other dotted name is a path into nested objects.
    this.paths = this.columns.map((c) => (c.startsWith('@') ? [c] : c.split('.')))
  }

  begin(_run: RunInfo): void {
    this.w.write(stringify([this.columns]))
  }

  write(ev: PbxEvent): void {
    const row = new Array<string>(this.paths.length)
    for (let i = 0; i < this.paths.length; i++) row[i] = cell(lookup(ev, this.paths[i]))
    this.w.write(stringify([row]))
  }

  get blocked(): boolean {
    return this.w.blocked
  }

  get closed(): boolean {
    return this.w.closed
  }

  drain(): Promise<void> {
    return this.w.drain()
  }

  flush(): void {
    this.w.flush()
  }

  end(_run: RunInfo): Promise<void> {
    return this.w.end(this.closeStream)
  }
}
