/**
 * The human summary (default format): per-protocol transaction counts, status mix, latency
 * percentiles, top servers, top requests, HTTP status codes, then the run's statistics. Everything
 * is aggregated in bounded structures (log histograms, space-saving top-N counters) as events
 * arrive; nothing per event is kept. Strings from packets pass through terminalSafe().
 */
import type {PbxEvent} from '../../event/build.js'
import type {Limits} from '../../limits.js'
import {LogHistogram, TopCounter} from '../../util/histogram.js'
import {terminalSafe} from '../../util/sanitize.js'
import type {Output, RunInfo} from '../types.js'
import type {TextWriter} from '../writer.js'

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
  const o = ev[a]
  return o && typeof o === 'object' ? (o as Record<string, unknown>)[b] : undefined
}

export class SummaryOutput implements Output {
  private readonly protos = new Map<string, ProtoAgg>()
  private readonly servers: TopCounter
  private readonly requests: TopCounter
  private readonly httpCodes = new Map<number, number>()
  private readonly notes: TopCounter
  private readonly color: boolean

  constructor(
    private readonly w: TextWriter,
    private readonly closeStream: boolean,
    limits: Limits,
    opts: {color: boolean; top?: number},
  ) {
    this.servers = new TopCounter(limits.summaryTopKeys)
    this.requests = new TopCounter(limits.summaryTopKeys)
    this.notes = new TopCounter(limits.summaryTopKeys)
    this.color = opts.color
    this.topN = opts.top ?? 10
  }

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
    const dip = get(ev, 'destination', 'ip')
    const dport = get(ev, 'destination', 'port')
    this.servers.add(`${type} ${dip}${dport !== undefined ? (String(dip).includes(':') ? `.${dport}` : `:${dport}`) : ''}`)
    const what = ev.query ?? ev.resource ?? ev.method
    if (typeof what === 'string' && what) this.requests.add(`${type} ${what.length > 120 ? what.slice(0, 120) + '…' : what}`)
    if (type === 'http') {
      const code = get(ev, 'http', 'response') as Record<string, unknown> | undefined
      const sc = code && typeof code.status_code === 'number' ? code.status_code : 0
      this.httpCodes.set(sc, (this.httpCodes.get(sc) ?? 0) + 1)
    }
    if (Array.isArray(ev.notes)) for (const n of ev.notes) this.notes.add(`${type}: ${n}`)
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
    if (this.servers.size > 0) {
      line()
      line(this.h('Top servers'))
      for (const [k, n] of this.servers.top(this.topN)) line(`  ${String(n).padStart(8)}  ${terminalSafe(k)}`)
    }
    if (this.requests.size > 0) {
      line()
      line(this.h('Top requests'))
      for (const [k, n] of this.requests.top(this.topN)) line(`  ${String(n).padStart(8)}  ${terminalSafe(k)}`)
    }
    if (this.notes.size > 0) {
      line()
      line(this.h('Notes'))
      for (const [k, n] of this.notes.top(this.topN)) line(`  ${String(n).padStart(8)}  ${terminalSafe(k)}`)
    }
    line()
    line(this.h('Capture statistics'))
    const stat = (label: string, v: number | string) => line(`  ${label.padEnd(28)} ${v}`)
    stat('files', s.files)
    stat('packets', s.packets)
    stat('bytes captured', `${s.bytes} (${formatBytes(s.bytes)})`)
    if (s.truncatedRecords) stat('truncated records (snaplen)', s.truncatedRecords)
    stat('link types', [...s.linkTypes].map(([l, n]) => `${LINK_NAMES[l] ?? l}: ${n}`).join(', ') || '-')
    stat('ipv4 / ipv6 / non-ip', `${s.ipv4} / ${s.ipv6} / ${s.nonIp}`)
    if (s.vlanTagged) stat('vlan-tagged', s.vlanTagged)
    stat('tcp / udp / icmp / other', `${s.tcpPackets} / ${s.udpPackets} / ${s.icmpPackets} / ${s.otherIpProto}`)
    if (s.fragments) stat('ip fragments (reassembled)', `${s.fragments} (${s.fragmentsReassembled} datagrams, ${s.fragmentsDropped} dropped)`)
    stat('tcp connections', s.tcpConnections)
    if (s.udpFlows) stat('udp flows', s.udpFlows)
    stat('tcp gaps', s.tcpGaps ? `${s.tcpGaps} (${s.tcpGapBytes} bytes)` : 0)
    if (s.tcpOutOfOrderSegments) stat('tcp out-of-order segments', s.tcpOutOfOrderSegments)
    if (s.tcpRetransmittedBytes) stat('tcp retransmitted bytes', s.tcpRetransmittedBytes)
    if (s.tcpConnectionsEvicted) stat('tcp connections evicted', s.tcpConnectionsEvicted)
    if (run.captures.some((c) => c.format === 'live')) {
      stat('dropped (libpcap / interface)', `${s.liveDropped ?? 'not reported'} / ${s.liveIfDropped ?? 'not reported'}`)
    }
    stat('unmatched requests', s.unmatchedRequests)
    stat('unmatched responses', s.unmatchedResponses)
    if (s.malformed.size) {
      stat('malformed', [...s.malformed.values()].reduce((a, b) => a + b, 0))
      for (const [k, n] of [...s.malformed].sort((a, b) => b[1] - a[1]).slice(0, this.topN)) line(`    ${String(n).padStart(8)}  ${terminalSafe(k)}`)
    }
    if (s.limitsHit.size) {
      stat('limits reached', [...s.limitsHit].map(([k, n]) => `${k}: ${n}`).join(', '))
    }
    for (const e of run.errors) line(`  error: ${terminalSafe(e, 500)}`)
    return out.join('\n') + '\n'
  }
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
}
