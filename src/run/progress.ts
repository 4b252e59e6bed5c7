/**
 * The progress line on standard error (a terminal only). Contract with the terminal:
 *   - nothing is drawn during the first second of wall time (short inputs never show a bar);
 *   - the bar is one line, drawn with `\r` and erase-to-end-of-line, cut to the terminal's width
 *     so it never wraps; it never saves, restores or moves the cursor up, and never changes line
 *     wrapping;
 *   - stop() erases the line and leaves the cursor at its start, and the run calls it before any
 *     output writes its end (the summary), so nothing is ever printed over or under a live bar.
 * Redraws are throttled to 5 per second. Wall time here only paces the display; data never sees it.
 */
import type {CaptureSource} from '../capture/source.js'
import {terminalSafe} from '../util/sanitize.js'

export interface Progress {
  update(source: CaptureSource, bytesRead: number): void
  stop(): void
}

const SHOW_AFTER_MS = 1000
const REDRAW_MS = 200

export class TerminalProgress implements Progress {
  private readonly sizes = new Map<string, number>()
  private readonly total: number
  private readonly started = Date.now()
  private lastDraw = 0
  private drawn = false
  private stopped = false
  private done = 0
  private current = ''

  constructor(
    sources: readonly CaptureSource[],
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    let total = 0
    for (const s of sources) {
      this.sizes.set(s.name, s.size ?? 0)
      total += s.size ?? 0
    }
    this.total = total
  }

  /** A bar for these sources on standard error, or null (not a terminal, unknown sizes). */
  static create(sources: readonly CaptureSource[], enabled: boolean): TerminalProgress | null {
    if (!enabled || sources.length === 0 || sources.some((s) => s.size === undefined)) return null
    const p = new TerminalProgress(sources)
    return p.total > 0 ? p : null
  }

  update(source: CaptureSource, bytesRead: number): void {
    if (this.stopped) return
    if (source.name !== this.current) {
      this.done += this.sizes.get(this.current) ?? 0
      this.current = source.name
    }
    const now = Date.now()
    if (now - this.started < SHOW_AFTER_MS || now - this.lastDraw < REDRAW_MS) return
    this.lastDraw = now
    const at = this.done + Math.min(bytesRead, this.sizes.get(source.name) ?? bytesRead)
    this.draw(Math.min(1, at / this.total), source.name)
  }

  private draw(fraction: number, name: string): void {
    const cols = Math.max(20, this.stream.columns ?? 80)
    const pct = `${Math.floor(fraction * 100)}%`.padStart(4)
    const width = Math.max(10, Math.min(40, cols - 30))
    const fill = Math.round(fraction * width)
    let line = `pbx [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${pct} ${terminalSafe(name, 200)}`
    if (line.length > cols - 1) line = line.slice(0, cols - 1)
    this.stream.write(`\r${line}\x1b[K`)
    this.drawn = true
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    if (this.drawn) this.stream.write('\r\x1b[K')
  }
}
