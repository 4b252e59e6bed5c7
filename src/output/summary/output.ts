/**
 * The human summary (default format), meant to fit one terminal screen with the default `--top`:
 * per-protocol counts, status mix and latency percentiles; HTTP status codes; the top services with
 * latency per route (HTTP method + route template, SQL fingerprint, DNS question, ...); the slowest
 * and the failed transactions, each with server, request, status or error, duration and frame
 * numbers; notes; the events each other output of the run received and lost (with the reasons);
 * then the run's statistics. Everything is aggregated in bounded structures (log
 * histograms, space-saving top-N counters, short sorted lists) as events arrive; nothing per event
 * is kept beyond the few listed rows. Strings from packets pass through terminalSafe(). Colour
 * (bold headings, red failures) only when `color` is set (the factory sets it on a terminal).
 */
import type {PbxEvent} from '../../event/build.js'
import type {Limits} from '../../limits.js'
import {LogHistogram, TopCounter} from '../../util/histogram.js'
import {terminalSafe} from '../../util/sanitize.js'
import type {Output, RunInfo} from '../types.js'
import type {TextWriter} from '../writer.js'
import {errorOf, requestOf, routeOf, serverOf, str, sub} from './describe.js'

interface ProtoAgg {
  count: number
  status: Map<string, number>
  latency: LogHistogram
  bytes: number
}

const LINK_NAMES: Record<number, string> = {
  0: 'null/loopback',
  1: 'ethernet',
  12: 'raw',
  14: 'raw',
  101: 'raw',
  108: 'loop',
  113: 'linux-sll',
  228: 'ipv4',
  229: 'ipv6',
  276: 'linux-sll2',
}

/** Inputs listed one per line in the summary's header; more are summarised in one line. */
const MAX_CAPTURE_LINES = 3
/**
 * Bounds of the per-service and per-route latency tables: each key holds a LogHistogram (64 bytes to 12.8 KB),
 * so these stay far below summaryTopKeys. Transactions of services or routes past the bound are
 * still counted in the protocol table; the summary says how many were not placed.
 */
const MAX_SERVICES = 256
const MAX_ROUTES = 1024
/** Services whose routes are listed. */
const ROUTED_SERVICES = 3
/** Transaction lists fit this many columns (the request column is cut to fit). */
const LINE_WIDTH = 118
const MIN_REQUEST_WIDTH = 24
const STATUS_WIDTH = 36

interface LatencyAgg {
  count: number
  errors: number
  latency: LogHistogram
}

/** One listed transaction (slowest or failed). */
interface TxRow {
  type: string
  server: string
  request: string
  status: string
  durationNs: number
  answered: boolean
  frames: string
  file: string
}

/** The `keep` largest rows by duration, largest first (ties: the earlier one stays first). */
class SlowList {
  readonly rows: TxRow[] = []
  constructor(private readonly keep: number) {}
  offer(make: () => TxRow, durationNs: number): void {
    if (this.keep === 0) return
    if (this.rows.length === this.keep && durationNs <= this.rows[this.rows.length - 1].durationNs) return
    const r = make()
    let i = this.rows.length
    while (i > 0 && this.rows[i - 1].durationNs < durationNs) i--
    this.rows.splice(i, 0, r)
    if (this.rows.length > this.keep) this.rows.pop()
  }
}

export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '-'
  if (ns < 1e3) return `${Math.round(ns)}ns`
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)}µs`
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)}ms`
  return `${(ns / 1e9).toFixed(2)}s`
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

function get(ev: PbxEvent, a: string, b: string): unknown {
  return sub(ev[a], b)
}

function framesOf(ev: PbxEvent): string {
  const f = get(ev, 'pbx', 'frames')
  if (!Array.isArray(f) || f.length === 0) return '-'
  return f.length === 2 && f[0] !== f[1] ? `${f[0]}-${f[1]}` : f.join(',')
}

function cut(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s
}

export class SummaryOutput implements Output {
  /** Ended after the other outputs, so that it can say what each of them received. */
  readonly reportsDeliveries = true
  private readonly protos = new Map<string, ProtoAgg>()
  private readonly services = new Map<string, LatencyAgg>()
  private readonly routes = new Map<string, Map<string, LatencyAgg>>()
  private routeCount = 0
  private unplaced = 0
  private readonly slowest: SlowList
  private readonly failed: SlowList
  private failedTotal = 0
  private readonly files = new Set<string>()
  private readonly httpCodes = new Map<number, number>()
  private readonly notes: TopCounter
  private readonly color: boolean

  constructor(
    private readonly w: TextWriter,
    private readonly closeStream: boolean,
    limits: Limits,
    opts: {color: boolean; top?: number},
  ) {
    this.notes = new TopCounter(limits.summaryTopKeys)
    this.color = opts.color
    this.topN = opts.top ?? 10
    this.listN = Math.ceil(this.topN / 2)
    this.slowest = new SlowList(this.listN)
    this.failed = new SlowList(this.listN)
  }

  /** Rows of the slowest, failed and notes lists: half of --top, so the summary fits a screen. */
  private readonly listN: number

  private readonly topN: number
  private flows = 0
  private flowPackets = 0

  begin(_run: RunInfo): void {}

  write(ev: PbxEvent): void {
    const type = String(ev.type)
    if (type === 'flow') {
      // Flow records (--flows) are not transactions: counted on their own line.
      if (get(ev, 'flow', 'final') === true) this.flows++
      const np = get(ev, 'network', 'packets')
      if (typeof np === 'number' && get(ev, 'flow', 'final') === true) this.flowPackets += np
      return
    }
    let p = this.protos.get(type)
    if (!p) {
      p = {count: 0, status: new Map(), latency: new LogHistogram(), bytes: 0}
      this.protos.set(type, p)
    }
    p.count++
    const st = String(ev.status)
    p.status.set(st, (p.status.get(st) ?? 0) + 1)
    // Latency only for real request/response pairs: an unanswered request or a lone response (one
    // side sent no bytes) has no latency to speak of.
    const dur = get(ev, 'event', 'duration')
    const sb = get(ev, 'source', 'bytes')
    const db = get(ev, 'destination', 'bytes')
    if (typeof dur === 'number' && typeof sb === 'number' && sb > 0 && typeof db === 'number' && db > 0) p.latency.add(dur)
    const nb = get(ev, 'network', 'bytes')
    if (typeof nb === 'number') p.bytes += nb
    const answered = typeof dur === 'number' && typeof sb === 'number' && sb > 0 && typeof db === 'number' && db > 0
    const ok = st === 'OK'
    const server = serverOf(ev)
    this.placeLatency(type, server, ev, ok, answered ? (dur as number) : -1)
    const durationNs = typeof dur === 'number' ? dur : 0
    const pbxFile = get(ev, 'pbx', 'file')
    if (typeof pbxFile === 'string' && this.files.size < 2) this.files.add(pbxFile)
    const row = (): TxRow => ({
      type,
      server,
      request: requestOf(ev),
      status: ok ? 'OK' : errorOf(ev),
      durationNs,
      answered,
      frames: framesOf(ev),
      file: str(pbxFile),
    })
    if (answered) this.slowest.offer(row, durationNs)
    if (!ok) {
      this.failedTotal++
      this.failed.offer(row, durationNs)
    }
    if (type === 'http') {
      const code = get(ev, 'http', 'response') as Record<string, unknown> | undefined
      const sc = code && typeof code.status_code === 'number' ? code.status_code : 0
      this.httpCodes.set(sc, (this.httpCodes.get(sc) ?? 0) + 1)
    }
    if (Array.isArray(ev.notes)) for (const n of ev.notes) this.notes.add(`${type}: ${n}`)
  }

  /** Service and route latency, within MAX_SERVICES / MAX_ROUTES. `dur` < 0: unanswered. */
  private placeLatency(type: string, server: string, ev: PbxEvent, ok: boolean, dur: number): void {
    const skey = `${type} ${server}`
    let svc = this.services.get(skey)
    if (svc === undefined) {
      if (this.services.size >= MAX_SERVICES) {
        this.unplaced++
        return
      }
      svc = {count: 0, errors: 0, latency: new LogHistogram()}
      this.services.set(skey, svc)
      this.routes.set(skey, new Map())
    }
    svc.count++
    if (!ok) svc.errors++
    if (dur >= 0) svc.latency.add(dur)
    const routes = this.routes.get(skey)!
    const route = routeOf(ev)
    let r = routes.get(route)
    if (r === undefined) {
      if (this.routeCount >= MAX_ROUTES) return
      r = {count: 0, errors: 0, latency: new LogHistogram()}
      routes.set(route, r)
      this.routeCount++
    }
    r.count++
    if (!ok) r.errors++
    if (dur >= 0) r.latency.add(dur)
  }

  private red(s: string): string {
    return this.color ? `\x1b[31m${s}\x1b[39m` : s
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

  private h(s: string): string {
    return this.color ? `\x1b[1m${s}\x1b[0m` : s
  }

  async end(run: RunInfo): Promise<void> {
    this.w.write(this.render(run))
    await this.w.end(this.closeStream)
  }

  /**
   * The services with the most transactions (--top rows in all), each with latency percentiles;
   * under the first ROUTED_SERVICES of them, their busiest routes.
   */
  private renderServices(out: string[]): void {
    const budget = Math.max(1, this.topN)
    const services = [...this.services].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    const rows: string[][] = [['service / route', 'count', 'errors', 'p50', 'p90', 'p99', 'max']]
    const red: boolean[] = [false]
    const lat = (a: LatencyAgg, name: string) => {
      const h = a.latency
      rows.push([
        name,
        String(a.count),
        a.errors ? `${a.errors} (${((100 * a.errors) / a.count).toFixed(a.errors === a.count ? 0 : 1)}%)` : '0',
        formatDuration(h.quantile(0.5)),
        formatDuration(h.quantile(0.9)),
        formatDuration(h.quantile(0.99)),
        formatDuration(h.count ? h.max : Number.NaN),
      ])
      red.push(a.errors > 0)
    }
    // Services first (up to ROUTED_SERVICES of them get route rows), within the --top budget.
    // Half the rows for services, the rest for the routes of the first ROUTED_SERVICES.
    const withRoutes = services.slice(0, ROUTED_SERVICES).filter(([k]) => this.routes.get(k)!.size > 1).length
    const listedServices = services.slice(0, withRoutes > 0 ? Math.max(1, Math.ceil(budget / 2)) : budget)
    let routeBudget = budget - listedServices.length
    const routed = listedServices.slice(0, ROUTED_SERVICES)
    const perService = routed.length ? Math.ceil(routeBudget / routed.length) : 0
    for (const [key, agg] of listedServices) {
      lat(agg, terminalSafe(key, 60))
      if (!routed.some(([k]) => k === key) || routeBudget <= 0) continue
      const routes = [...this.routes.get(key)!].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
      // A service with one route only repeats its own row.
      if (routes.length < 2) continue
      const take = Math.min(perService, routeBudget, routes.length)
      for (const [route, r] of routes.slice(0, take)) lat(r, `  ${terminalSafe(cut(route, 56), 80)}`)
      routeBudget -= take
    }
    out.push('')
    out.push(this.h('Services and routes'))
    const t = table(rows)
    for (let i = 0; i < t.length; i++) out.push(red[i] ? this.redCols(t[i], rows[i]) : t[i])
    const more = services.length - listedServices.length
    if (more > 0) out.push(`  … ${more} more service${more === 1 ? '' : 's'}`)
    if (this.unplaced > 0) out.push(`  ${this.unplaced} transactions of services past the table bound (${MAX_SERVICES}) not listed`)
  }

  /** The errors cell of a table line in red (the line is already padded; colour codes add no width). */
  private redCols(lineText: string, row: string[]): string {
    if (!this.color) return lineText
    const cell = row[2]
    const i = lineText.lastIndexOf(` ${cell}`, lineText.length)
    return i < 0 ? lineText : `${lineText.slice(0, i + 1)}${this.red(cell)}${lineText.slice(i + 1 + cell.length)}`
  }

  /**
   * A transaction list that fits LINE_WIDTH columns: the request column gets what the others leave
   * (at least MIN_REQUEST_WIDTH), the status is cut at STATUS_WIDTH.
   */
  private txTable(list: TxRow[]): string[] {
    const multi = this.files.size > 1
    const rows: string[][] = [['duration', 'protocol', 'server', 'request', 'status', multi ? 'file:frames' : 'frames']]
    for (const r of list) {
      rows.push([
        r.answered ? formatDuration(r.durationNs) : 'no answer',
        r.type,
        terminalSafe(cut(r.server, 44)),
        terminalSafe(r.request, 200),
        terminalSafe(cut(r.status, STATUS_WIDTH)),
        multi ? `${terminalSafe(cut(r.file.split('/').pop() ?? r.file, 20))}:${r.frames}` : r.frames,
      ])
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
    const others = widths.reduce((a, b) => a + b, 0) - widths[3] + 2 + 2 * 5
    const reqWidth = Math.min(widths[3], Math.max(MIN_REQUEST_WIDTH, LINE_WIDTH - others))
    for (const row of rows) row[3] = cut(row[3], reqWidth)
    widths[3] = Math.max(...rows.map((row) => row[3].length))
    // Duration right-aligned, the text columns left-aligned.
    return rows.map((r, ri) => {
      const cells = r.map((c, i) => (i === 0 ? c.padStart(widths[i]) : i === 5 ? c : c.padEnd(widths[i])))
      if (ri > 0 && this.color && list[ri - 1].status !== 'OK') cells[4] = this.red(cells[4])
      return ('  ' + cells.join('  ')).trimEnd()
    })
  }

  render(run: RunInfo): string {
    const s = run.stats
    const out: string[] = []
    const line = (x = '') => out.push(x)
    const linkNames = (lts: number[]) => lts.map((l) => LINK_NAMES[l] ?? String(l))
    if (run.captures.length <= MAX_CAPTURE_LINES) {
      for (const c of run.captures) {
        line(
          `${this.h('capture')} ${terminalSafe(c.file)}: ${c.format}${c.gzip ? ' (gzip)' : ''}, ${c.precision === 'ns' ? 'nanosecond' : 'microsecond'} timestamps, link ${linkNames(c.linkTypes).join(', ')}`,
        )
      }
    } else {
      // Many inputs: one line, not one per file.
      const formats = new Map<string, number>()
      const links = new Set<string>()
      let gz = 0
      for (const c of run.captures) {
        formats.set(c.format, (formats.get(c.format) ?? 0) + 1)
        if (c.gzip) gz++
        for (const l of linkNames(c.linkTypes)) links.add(l)
      }
      const fmt = [...formats].map(([f, n]) => `${f} ${n}`).join(', ')
      const first = run.captures[0].file
      const last = run.captures[run.captures.length - 1].file
      line(
        `${this.h('captures')} ${run.captures.length} files (${fmt}${gz > 0 ? `, ${gz} gzip` : ''}), link ${[...links].join(', ')}: ${terminalSafe(first)} ... ${terminalSafe(last)}`,
      )
    }
    line()
    let total = 0
    for (const p of this.protos.values()) total += p.count
    line(this.h(`Transactions: ${total}`))
    if (this.flows > 0) line(`Flows: ${this.flows} (${this.flowPackets} packets)`)
    if (total > 0) {
      const rows: string[][] = [['protocol', 'count', 'OK', 'Error', 'other', 'p50', 'p90', 'p99', 'max', 'bytes']]
      for (const [name, p] of [...this.protos].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))) {
        const ok = p.status.get('OK') ?? 0
        const err = p.status.get('Error') ?? 0
        rows.push([
          name,
          String(p.count),
          String(ok),
          String(err),
          String(p.count - ok - err),
          formatDuration(p.latency.quantile(0.5)),
          formatDuration(p.latency.quantile(0.9)),
          formatDuration(p.latency.quantile(0.99)),
          formatDuration(p.latency.count ? p.latency.max : Number.NaN),
          formatBytes(p.bytes),
        ])
      }
      out.push(...table(rows))
    }
    if (this.httpCodes.size > 0) {
      line()
      line(this.h('HTTP status codes'))
      const codes = [...this.httpCodes].sort((a, b) => a[0] - b[0])
      line('  ' + codes.map(([c, n]) => `${c === 0 ? 'none' : c}: ${n}`).join('  '))
    }
    if (this.services.size > 0) this.renderServices(out)
    if (this.slowest.rows.length > 0) {
      line()
      line(this.h('Slowest transactions'))
      out.push(...this.txTable(this.slowest.rows))
    }
    if (this.failedTotal > 0) {
      line()
      const shown = this.failed.rows.length
      line(this.h(`Failed transactions: ${this.failedTotal}${this.failedTotal > shown ? ` (the ${shown} slowest)` : ''}`))
      out.push(...this.txTable(this.failed.rows))
    }
    if (this.notes.size > 0) {
      line()
      line(this.h('Notes'))
      for (const [k, n] of this.notes.top(this.listN)) line(`  ${String(n).padStart(8)}  ${terminalSafe(k)}`)
    }
    const deliveries = run.deliveries ?? []
    if (deliveries.length > 0) {
      line()
      line(this.h('Outputs'))
      const rows: string[][] = [['output', 'events', 'failed']]
      for (const d of deliveries) rows.push([terminalSafe(d.name, 80), String(d.sent), String(d.failed)])
      const lines = table(rows)
      line(lines[0])
      for (let i = 0; i < deliveries.length; i++) {
        const d = deliveries[i]
        const failed = d.failed > 0 || d.error !== undefined
        const why = [...d.reasons].sort((a, b) => b[1] - a[1]).slice(0, this.listN).map(([k, n]) => `${terminalSafe(k, 120)}: ${n}`)
        if (d.error !== undefined) why.unshift(terminalSafe(d.error, 200))
        const text = lines[i + 1] + (why.length > 0 ? `  (${why.join(', ')})` : '')
        line(failed ? this.red(text) : text)
      }
    }
    line()
    line(this.h('Capture statistics'))
    const stat = (label: string, v: number | string) => line(`  ${label.padEnd(28)} ${v}`)
    // The header already names up to MAX_CAPTURE_LINES files.
    if (run.captures.length > MAX_CAPTURE_LINES || s.files !== run.captures.length) stat('files', s.files)
    stat('packets', `${s.packets} (${formatBytes(s.bytes)} captured)`)
    if (s.truncatedRecords) stat('truncated records (snaplen)', s.truncatedRecords)
    // One link type and the files listed in the header (which names it): no line of its own.
    if (s.linkTypes.size !== 1 || run.captures.length > MAX_CAPTURE_LINES) {
      stat('link types', [...s.linkTypes].map(([l, n]) => `${LINK_NAMES[l] ?? l}: ${n}`).join(', ') || '-')
    }
    stat('ipv4 / ipv6 / non-ip', `${s.ipv4} / ${s.ipv6} / ${s.nonIp}`)
    if (s.vlanTagged) stat('vlan-tagged', s.vlanTagged)
    stat('tcp / udp / icmp / other', `${s.tcpPackets} / ${s.udpPackets} / ${s.icmpPackets} / ${s.otherIpProto}`)
    if (s.fragments) stat('ip fragments (reassembled)', `${s.fragments} (${s.fragmentsReassembled} datagrams, ${s.fragmentsDropped} dropped)`)
    stat('tcp connections / udp flows', `${s.tcpConnections} / ${s.udpFlows}`)
    stat('tcp gaps', s.tcpGaps ? `${s.tcpGaps} (${s.tcpGapBytes} bytes)` : 0)
    if (s.tcpOutOfOrderSegments) stat('tcp out-of-order segments', s.tcpOutOfOrderSegments)
    if (s.tcpRetransmittedBytes) stat('tcp retransmitted bytes', s.tcpRetransmittedBytes)
    if (s.tcpLateCopies) stat('tcp late copies (closed connections)', s.tcpLateCopies)
    if (s.tcpConnectionsEvicted) stat('tcp connections evicted', s.tcpConnectionsEvicted)
    if (run.captures.some((c) => c.format === 'live')) {
      stat('dropped (libpcap / interface)', `${s.liveDropped ?? 'not reported'} / ${s.liveIfDropped ?? 'not reported'}`)
      if (s.liveQueueDropped) stat('dropped (pbx queue full)', s.liveQueueDropped)
    }
    stat('unmatched requests / resp.', `${s.unmatchedRequests} / ${s.unmatchedResponses}`)
    if (s.malformed.size) {
      stat('malformed', [...s.malformed.values()].reduce((a, b) => a + b, 0))
      for (const [k, n] of [...s.malformed].sort((a, b) => b[1] - a[1]).slice(0, this.listN)) line(`    ${String(n).padStart(8)}  ${terminalSafe(k)}`)
    }
    if (s.limitsHit.size) {
      stat('limits reached', [...s.limitsHit].map(([k, n]) => `${k}: ${n}`).join(', '))
    }
    for (const e of run.errors) line(`  error: ${terminalSafe(e, 500)}`)
    return out.join('\n') + '\n'
  }
}

function table(rows: string[][], leftCols = 1): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => ('  ' + r.map((c, i) => (i < leftCols ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).trimEnd())
}
