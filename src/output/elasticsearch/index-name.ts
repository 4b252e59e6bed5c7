/**
 * Beats index names: `%{+yyyy.MM.dd}`-style date patterns read from the event's @timestamp (the
 * capture clock, never the wall clock; UTC) and `%{[dotted.field]}` references to event fields.
 * Supported date letters: yyyy, yy, MM, dd, HH (Joda names, as Beats writes them); other text is
 * kept as is. The index name must be deterministic and valid: an event without a usable
 * @timestamp gets the date of 1970-01-01, a missing or non-scalar field `unknown`.
 */
import {OutputConfigError} from '../types.js'
import {pick} from '../shared/schema.js'

type Part = string | {date: string} | {field: string[]}

export class IndexName {
  private readonly parts: Part[] = []
  private readonly constant: string | null
  private readonly dated: boolean
  private lastDay = ''
  private lastName = ''
  private lastHour = Number.NaN
  private lastHourName = ''
  /** True when the name depends on nothing but @timestamp (ofTime() can be used). */
  readonly timeOnly: boolean

  constructor(pattern: string) {
    const re = /%\{(\+[^}]*|\[[^\]]+\])\}/g
    let at = 0
    for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
      if (m.index > at) this.parts.push(pattern.slice(at, m.index))
      const inner = m[1]
      if (inner.startsWith('+')) {
        const fmt = inner.slice(1)
        if (!/^(yyyy|yy|MM|dd|HH|[^A-Za-z])+$/.test(fmt)) {
          throw new OutputConfigError(`output.elasticsearch.index: unsupported date pattern "%{${inner}}" (use yyyy, yy, MM, dd, HH)`)
        }
        this.parts.push({date: fmt})
      } else this.parts.push({field: inner.slice(1, -1).split('.')})
      at = m.index + m[0].length
    }
    if (at < pattern.length) this.parts.push(pattern.slice(at))
    if (pattern.includes('%{') && this.parts.every((p) => typeof p === 'string')) {
      throw new OutputConfigError(`output.elasticsearch.index: cannot read the pattern ${JSON.stringify(pattern)}`)
    }
    this.constant = this.parts.every((p) => typeof p === 'string') ? pattern : null
    this.dated = this.parts.some((p) => typeof p !== 'string' && 'date' in p)
    this.timeOnly = this.parts.every((p) => typeof p === 'string' || 'date' in p)
  }

  /**
   * The name of an event whose @timestamp is `sec` seconds since the epoch (UTC), the same as of()
   * gives for its RFC 3339 text; only when timeOnly.
   */
  ofTime(sec: number): string {
    if (this.constant !== null) return this.constant
    const hour = Math.floor(sec / 3600)
    if (hour === this.lastHour) return this.lastHourName
    const d = new Date(hour * 3_600_000)
    const ts = Number.isNaN(d.getTime()) ? '1970-01-01T00:00:00Z' : d.toISOString()
    let s = ''
    for (const p of this.parts) s += typeof p === 'string' ? p : 'date' in p ? formatDate(p.date, ts) : 'unknown'
    this.lastHour = hour
    this.lastHourName = s
    return s
  }

  of(ev: Record<string, unknown>): string {
    if (this.constant !== null) return this.constant
    const ts = typeof ev['@timestamp'] === 'string' ? (ev['@timestamp'] as string) : '1970-01-01T00:00:00Z'
    const onlyDate = this.dated && this.parts.every((p) => typeof p === 'string' || 'date' in p)
    // One index name per hour of data is reused (the common case: every event of a run in one day).
    const hour = ts.slice(0, 13)
    if (onlyDate && hour === this.lastDay) return this.lastName
    let s = ''
    for (const p of this.parts) {
      if (typeof p === 'string') s += p
      else if ('date' in p) s += formatDate(p.date, ts)
      else {
        const v = pick(ev, p.field)
        s += typeof v === 'string' || typeof v === 'number' ? String(v).toLowerCase() : 'unknown'
      }
    }
    if (onlyDate) {
      this.lastDay = hour
      this.lastName = s
    }
    return s
  }
}

function formatDate(fmt: string, ts: string): string {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}/.test(ts)
  const y = ok ? ts.slice(0, 4) : '1970'
  const mo = ok ? ts.slice(5, 7) : '01'
  const d = ok ? ts.slice(8, 10) : '01'
  const h = ok ? ts.slice(11, 13) : '00'
  return fmt.replace(/yyyy|yy|MM|dd|HH/g, (t) => (t === 'yyyy' ? y : t === 'yy' ? y.slice(2) : t === 'MM' ? mo : t === 'dd' ? d : h))
}
