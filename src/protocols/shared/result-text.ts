/**
 * The raw `response` text of database protocols with send_response, as Packetbeat writes it:
 *   - mysql / pgsql: the result set as CSV (Packetbeat's DumpInCSVFormat): a header line of column
 *     names, then at most `max_rows` rows, each cut at `max_row_length` characters (cells are
 *     cut so that a row's cells add up to at most that; cells after the cut are left out); a
 *     newline in a cell is written `\n`, a carriage return `\r`; cells are quoted as Go's
 *     encoding/csv does (when they hold a comma, a quote or start with a space).
 *   - mongodb: at most `max_docs` documents (0: no limit), one per line, each as JSON cut at
 *     `max_doc_length` characters (0: no limit) followed by " ..." when cut.
 * Whatever the options, the text kept is at most limits.maxCapturedMessageBytes characters, and
 * collecting stops once that much is held (memory is bounded by that limit, not by the options).
 */
import type {Limits} from '../../limits.js'

/** Options of the raw text of one protocol, read once from ProtocolContext.options. */
export interface RawTextOptions {
  sendRequest: boolean
  sendResponse: boolean
  /** Rows (documents) kept; for mongodb 0 means no limit. */
  maxRows: number
  /** Characters kept of a row (document); for mongodb 0 means no limit. */
  maxRowLength: number
  /** limits.maxCapturedMessageBytes: bound of the whole text. */
  maxChars: number
}

function nonNegInt(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : dflt
}

/**
 * Reads send_request / send_response and the row options (`rowsKey`, `lengthKey`: max_rows /
 * max_row_length, or max_docs / max_doc_length) with Packetbeat's defaults.
 */
export function rawTextOptions(
  options: Readonly<Record<string, unknown>>,
  limits: Limits,
  rowsKey: string,
  lengthKey: string,
  defaults: {rows: number; length: number},
): RawTextOptions {
  return {
    sendRequest: options.send_request === true,
    sendResponse: options.send_response === true,
    maxRows: nonNegInt(options[rowsKey], defaults.rows),
    maxRowLength: nonNegInt(options[lengthKey], defaults.length),
    maxChars: limits.maxCapturedMessageBytes,
  }
}

/** `s` cut to `max` characters. */
export function bounded(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) : s
}

/** Go encoding/csv's rule for quoting a field. */
function csvCell(s: string): string {
  if (s === '') return s
  const c = s.charCodeAt(0)
  if (s === '\\.' || c === 0x20 || c === 0x09 || s.includes(',') || s.includes('"') || s.includes('\r') || s.includes('\n')) {
    return `"${s.replaceAll('"', '""')}"`
  }
  return s
}

const escapeNl = (s: string) => (s.includes('\n') || s.includes('\r') ? s.replaceAll('\n', '\\n').replaceAll('\r', '\\r') : s)

/** A result set collected for the `response` text of mysql / pgsql (see the module comment). */
export class ResultText {
  private columns: string[] | null = null
  private readonly rows: string[] = []
  private chars = 0

  constructor(private readonly o: RawTextOptions) {}

  /** Starts a result set with these column names (drops what an earlier one collected). */
  setColumns(names: string[]): void {
    this.columns = names.map((n) => csvCell(n.replaceAll('\n', '\\n')))
    this.rows.length = 0
    this.chars = 0
  }

  /** True while another row would be kept: fewer than max_rows and the text bound not reached. */
  get wantsRows(): boolean {
    return this.rows.length < this.o.maxRows && this.chars < this.o.maxChars
  }

  /** Adds one row (cells as text; null for SQL NULL, written NULL), cut at max_row_length. */
  addRow(cells: readonly (string | null)[]): void {
    if (!this.wantsRows) return
    const out: string[] = []
    let len = 0
    const max = this.o.maxRowLength
    for (const c of cells) {
      if (len >= max) break
      let t = c ?? 'NULL'
      if (len + t.length > max) t = t.slice(0, max - len)
      len += t.length
      out.push(csvCell(escapeNl(t)))
    }
    const line = out.join(',')
    this.rows.push(line)
    this.chars += line.length + 1
  }

  /** The CSV text (undefined when no result set was seen), at most maxChars characters. */
  text(): string | undefined {
    if (this.columns === null) return undefined
    let s = this.columns.length > 0 ? `${this.columns.join(',')}\n` : ''
    for (const r of this.rows) s += `${r}\n`
    return bounded(s, this.o.maxChars)
  }
}

/** Documents collected for the mongodb `response` text (see the module comment). */
export class DocsText {
  private readonly docs: string[] = []
  private chars = 0

  constructor(private readonly o: RawTextOptions) {}

  get wantsDocs(): boolean {
    return (this.o.maxRows === 0 || this.docs.length < this.o.maxRows) && this.chars < this.o.maxChars
  }

  /** Adds one document, already rendered as JSON. */
  add(json: string): void {
    if (!this.wantsDocs) return
    const max = this.o.maxRowLength
    const t = max > 0 && json.length > max ? `${json.slice(0, max)} ...` : json
    this.docs.push(t)
    this.chars += t.length + 1
  }

  get count(): number {
    return this.docs.length
  }

  /** The documents one per line (undefined when there are none), at most maxChars characters. */
  text(): string | undefined {
    return this.docs.length === 0 ? undefined : bounded(this.docs.join('\n'), this.o.maxChars)
  }
}
