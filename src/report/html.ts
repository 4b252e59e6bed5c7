/**
 * The report page: one self-contained HTML document (inline CSS, inline SVG charts, no script, no
 * external resource), so it opens offline from a CI artifact. Every string that came from packets
 * (URLs, queries, names, certificate subjects, notes, file names) goes through esc() exactly once,
 * at the place it is written into the page.
 */
import {formatDuration} from '../output/summary/output.js'
import {LATENCY_BINS, LATENCY_BINS_PER_DECADE, LATENCY_MIN_NS, type ReportData, type Row, TIME_BINS} from './aggregate.js'
import {colorOf, esc, hbars, stackedBars} from './svg.js'

export interface RenderOptions {
  /** Rows per table. */
  top: number
  /** Reference time for certificate expiry (ms since epoch): the end of the capture by default. */
  nowMs?: number
  title?: string
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--bg:#f6f7f9;--card:#fff;--bad:#c62828;--warn:#b26a00}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0 0 6px;font-size:20px}
header .facts{display:flex;flex-wrap:wrap;gap:6px 24px;color:#c9d1de}header .facts b{color:#fff}
main{padding:16px 24px;display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px;align-items:start}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:0;overflow-x:auto}
section.wide{grid-column:1/-1}h2{font-size:15px;margin:0 0 8px}h3{font-size:13px;margin:10px 0 4px;color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.req,td.srv{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}td.srv,td.t{white-space:nowrap}td.bad{color:var(--bad)}td.warn{color:var(--warn)}
.muted{color:var(--muted)}.empty{color:var(--muted);font-style:italic}.row{display:flex;flex-wrap:wrap;gap:16px}
svg.chart{max-width:100%;height:auto;display:block}svg .grid{stroke:#eceff3}svg .axis{stroke:#9aa3b2}
svg text{font:11px system-ui,sans-serif;fill:#5b6475}svg .ylab{text-anchor:end;dominant-baseline:middle}svg .xlab{text-anchor:middle}
svg .blab{text-anchor:end;fill:#1d2330}svg .legend{fill:#1d2330}
.err{color:var(--bad);font-weight:600}
`

const LINK_NAMES: Record<number, string> = {0: 'null/loopback', 1: 'ethernet', 101: 'raw', 113: 'linux-sll', 276: 'linux-sll2'}

function n(x: number): string {
  return x.toLocaleString('en-US')
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC') : '-'
}

function pct(a: number, b: number): string {
  return b === 0 ? '-' : `${((100 * a) / b).toFixed(a === 0 || a === b ? 0 : 1)}%`
}

function table(head: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const th = head.map((h, i) => `<th${numeric.has(i) ? ' class="n"' : ''}>${esc(h)}</th>`).join('')
  return `<table><thead><tr>${th}</tr></thead><tbody>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`
}

const td = (s: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${esc(s)}</td>`

function section(title: string, body: string, wide = false): string {
  return `<section${wide ? ' class="wide"' : ''}><h2>${esc(title)}</h2>${body}</section>`
}

function empty(what: string): string {
  return `<p class="empty">${esc(what)}</p>`
}

function countsTable(head: [string, string], items: [string, number][]): string {
  return table(
    head,
    items.map(([k, c]) => [td(k, 'req'), td(n(c), 'n')]),
    new Set([1]),
  )
}

function frames(r: Row): string {
  if (r.frames.length === 0) return '-'
  const f = r.frames.length === 2 && r.frames[0] !== r.frames[1] ? `${r.frames[0]}–${r.frames[1]}` : r.frames.join(', ')
  return f
}

function txTable(rows: Row[], multiFile: boolean): string {
  const head = ['protocol', 'server', 'request', 'status', 'duration', 'frames', 'start']
  if (multiFile) head.push('file')
  return table(
    head,
    rows.map((r) => {
      const cells = [
        td(r.type),
        td(r.server, 'srv'),
        td(r.request.length > 300 ? `${r.request.slice(0, 300)}…` : r.request, 'req'),
        td(r.error || r.status, r.status === 'OK' ? '' : 'bad'),
        td(formatDuration(r.durationNs), 'n'),
        td(frames(r), 'n'),
        td(iso(r.startMs), 't'),
      ]
      if (multiFile) cells.push(td(r.file))
      return cells
    }),
    new Set([4, 5]),
  )
}

function latencyLabel(i: number): string {
  if (i === 0) return `<${formatDuration(LATENCY_MIN_NS)}`
  return formatDuration(LATENCY_MIN_NS * 10 ** ((i - 1) / LATENCY_BINS_PER_DECADE))
}

function latencyChart(d: ReportData): string {
  let lo = LATENCY_BINS
  let hi = -1
  for (const p of d.protos.values()) {
    for (let i = 0; i < LATENCY_BINS; i++) {
      if (p.bins[i] > 0) {
        lo = Math.min(lo, i)
        hi = Math.max(hi, i)
      }
    }
  }
  if (hi < 0) return empty('no answered transactions')
  // Show whole decades around the data.
  lo = Math.max(0, lo - ((lo - 1 + LATENCY_BINS_PER_DECADE) % LATENCY_BINS_PER_DECADE) - 1)
  hi = Math.min(LATENCY_BINS - 1, hi + 1)
  const series = [...d.protos].filter(([, p]) => p.latency.count > 0).map(([name, p]) => ({name, values: p.bins.subarray(lo, hi + 1)}))
  return stackedBars(series, {
    title: 'Latency histogram by protocol',
    xLabel: (i) => ((lo + i - 1) % LATENCY_BINS_PER_DECADE === 0 ? formatDuration(LATENCY_MIN_NS * 10 ** ((lo + i - 1) / LATENCY_BINS_PER_DECADE)) : ''),
    tip: (i) => `${latencyLabel(lo + i)} – ${latencyLabel(lo + i + 1)}`,
  })
}

function timelineChart(d: ReportData): string {
  if (d.timeline.size === 0) return empty('no timestamps')
  let used = 0
  for (const bins of d.timeline.values()) for (let i = 0; i < TIME_BINS; i++) if (bins[i] > 0) used = Math.max(used, i + 1)
  used = Math.max(used, 2)
  const series = [...d.timeline].map(([name, values]) => ({name, values: values.subarray(0, used)}))
  const binMs = d.binNs / 1e6
  const rel = (i: number) => (i === 0 ? '0' : formatDuration(i * d.binNs))
  return stackedBars(series, {
    width: 1160,
    height: 200,
    title: `Transactions over time (per ${formatDuration(d.binNs)})`,
    xLabel: (i) => (i % Math.max(1, Math.ceil(used / 8)) === 0 ? `+${rel(i)}` : ''),
    tip: (i) => `${iso(d.timeOriginMs + i * binMs)}, per ${formatDuration(d.binNs)}`,
  })
}

function serviceTable(d: ReportData, top: number): string {
  const rows = d.services.slice(0, top).map((s) => {
    const h = s.latency
    const q = (x: number) => formatDuration(h.quantile(x))
    return [
      td(`${s.server}/${s.type}`, 'req'),
      td(n(s.count), 'n'),
      td(`${n(s.errors)} (${pct(s.errors, s.count)})`, s.errors > 0 ? 'n bad' : 'n'),
      td(q(0.5), 'n'),
      td(q(0.95), 'n'),
      td(q(0.99), 'n'),
      td(h.count ? formatDuration(h.max) : '-', 'n'),
    ]
  })
  let more = ''
  if (d.services.length > top) more += `<p class="muted">${n(d.services.length - top)} more services not shown.</p>`
  if (d.servicesDropped > 0) more += `<p class="muted">${n(d.servicesDropped)} transactions of services past the table bound are not listed.</p>`
  return table(['service (server:port/protocol)', 'count', 'errors', 'p50', 'p95', 'p99', 'max'], rows, new Set([1, 2, 3, 4, 5, 6])) + more
}

function statusColor(label: string): string {
  const c = Number.parseInt(label, 10)
  if (c >= 500) return '#c62828'
  if (c >= 400) return '#e08a1e'
  if (c >= 300) return '#2aa3b8'
  if (c >= 200) return '#1f9d6b'
  return '#7a7a7a'
}

function header(d: ReportData, title: string): string {
  const s = d.stats
  const malformed = s ? [...s.malformed.values()].reduce((a, b) => a + b, 0) : 0
  const facts = [
    ['files', d.files.length <= 3 ? d.files.join(', ') : `${d.files.length} files: ${d.files[0]} … ${d.files[d.files.length - 1]}`],
    ['time', `${iso(d.firstMs)} → ${iso(d.lastMs)} (${Number.isFinite(d.firstMs) ? formatDuration((d.lastMs - d.firstMs) * 1e6) : '-'})`],
    ['packets', s ? n(s.packets) : '-'],
    ['transactions', n(d.transactions)],
    ['failed', `${n(d.failedTotal)} (${pct(d.failedTotal, d.transactions)})`],
    ['decode problems', s ? n(malformed + s.truncatedRecords) : '-'],
  ]
  const errs = d.errors.map((e) => `<div class="err">${esc(e)}</div>`).join('')
  return `<header><h1>${esc(title)}</h1><div class="facts">${facts.map(([k, v]) => `<span>${esc(k)}: <b>${esc(v)}</b></span>`).join('')}</div>${errs}</header>`
}

function capturesSection(d: ReportData): string {
  const s = d.stats
  const rows = d.captures.map((c) => [td(c.file, 'req'), td(`${c.format}${c.gzip ? ' (gzip)' : ''}`), td(c.precision), td(c.linkTypes.map((l) => LINK_NAMES[l] ?? `linktype ${l}`).join(', '))])
  let body = rows.length > 0 ? table(['file', 'format', 'timestamps', 'link types'], rows) : empty('no readable capture')
  if (s && s.malformed.size > 0) {
    body += '<h3>Decode problems</h3>' + countsTable(['reason', 'count'], [...s.malformed].sort((a, b) => b[1] - a[1]).slice(0, 20))
  }
  if (s && s.truncatedRecords > 0) body += `<p>${n(s.truncatedRecords)} records cut by the snapshot length.</p>`
  return section('Captures', body)
}

function tcpSection(d: ReportData): string {
  const s = d.stats
  if (!s) return ''
  const rst = d.flowEnds.get('rst') ?? 0
  const rows: [string, string, boolean][] = [
    ['tcp connections', n(s.tcpConnections), false],
    ['connections ended by RST', d.flows > 0 ? `${n(rst)} (${pct(rst, d.flows)} of flows)` : '-', rst > 0],
    ['content gaps', `${n(s.tcpGaps)} (${n(s.tcpGapBytes)} bytes)`, s.tcpGaps > 0],
    ['retransmitted bytes', n(s.tcpRetransmittedBytes), s.tcpRetransmittedBytes > 0],
    ['out-of-order segments', n(s.tcpOutOfOrderSegments), false],
    ['connections evicted', n(s.tcpConnectionsEvicted), s.tcpConnectionsEvicted > 0],
    ['unmatched requests / responses', `${n(s.unmatchedRequests)} / ${n(s.unmatchedResponses)}`, s.unmatchedRequests + s.unmatchedResponses > 0],
    ['udp flows', n(s.udpFlows), false],
  ]
  let body = table(
    ['', ''],
    rows.map(([k, v, bad]) => [td(k), td(v, bad ? 'n warn' : 'n')]),
    new Set([1]),
  )
  if (d.flowEnds.size > 0) {
    body += '<h3>How flows ended</h3>' + hbars([...d.flowEnds].sort((a, b) => b[1] - a[1]), {title: 'Flow end reasons', colorFor: (l) => (l === 'rst' ? '#c62828' : '#2f6fdf')})
  }
  if (s.limitsHit.size > 0) body += '<h3>Limits reached</h3>' + countsTable(['limit', 'count'], [...s.limitsHit])
  return section('TCP health', body)
}

function tlsSection(d: ReportData, nowMs: number): string {
  if (d.tlsVersions.size === 0) return section('TLS', empty('no TLS handshakes'))
  let body = '<div class="row"><div>' + hbars([...d.tlsVersions].sort((a, b) => b[1] - a[1]), {title: 'TLS versions', colorFor: (l) => (/1\.[01]$|ssl/i.test(l) ? '#c62828' : '#8a4fd8')}) + '</div></div>'
  body += '<h3>Server names (SNI)</h3>' + (d.sni.length ? countsTable(['server name', 'count'], d.sni) : empty('none'))
  body += '<h3>Client fingerprints</h3>'
  const fp: [string, number][] = [...d.ja3.map(([k, c]) => [`JA3 ${k}`, c] as [string, number]), ...d.ja4.map(([k, c]) => [`JA4 ${k}`, c] as [string, number])]
  body += fp.length ? countsTable(['fingerprint', 'count'], fp) : empty('none')
  body += '<h3>Certificates</h3>'
  body += d.certs.length
    ? table(
        ['server', 'subject', 'issuer', 'not after', 'expires in'],
        d.certs.map((c) => {
          const days = (Date.parse(c.notAfter) - nowMs) / 86_400_000
          const left = Number.isFinite(days) ? (days < 0 ? `expired ${Math.ceil(-days)} d ago` : `${Math.floor(days)} d`) : '-'
          return [td(c.server, 'req'), td(c.subject, 'req'), td(c.issuer, 'req'), td(c.notAfter), td(left, days < 0 ? 'n bad' : days < 30 ? 'n warn' : 'n')]
        }),
        new Set([4]),
      )
    : empty('no certificates seen (TLS 1.3 encrypts them)')
  return section('TLS', body)
}

function dnsSection(d: ReportData): string {
  if (d.dnsRcode.size === 0) return section('DNS', empty('no DNS transactions'))
  let body = hbars([...d.dnsRcode].sort((a, b) => b[1] - a[1]), {title: 'DNS response codes', colorFor: (l) => (l === 'NOERROR' ? '#1f9d6b' : l === 'NXDOMAIN' ? '#e08a1e' : '#c62828')})
  body += '<h3>Top names</h3>' + countsTable(['name', 'queries'], d.dnsNames)
  body += '<h3>NXDOMAIN</h3>' + (d.nxdomain.length ? countsTable(['name', 'count'], d.nxdomain) : empty('none'))
  return section('DNS', body)
}

function statusSection(d: ReportData): string {
  let body = ''
  if (d.httpStatus.size > 0) {
    body += '<h3>HTTP status codes</h3>' + hbars(
      [...d.httpStatus].sort((a, b) => a[0] - b[0]).map(([c, k]) => [c === 0 ? 'no response' : String(c), k]),
      {title: 'HTTP status codes', colorFor: statusColor},
    )
  }
  if (d.sqlErrors.length > 0) body += '<h3>SQL errors</h3>' + countsTable(['protocol, code, message', 'count'], d.sqlErrors)
  if (body === '') body = empty('no HTTP or SQL transactions')
  if (d.notes.length > 0) body += '<h3>Notes</h3>' + countsTable(['note', 'count'], d.notes)
  return section('Status and errors', body)
}

/** The whole page. */
export function renderReport(d: ReportData, o: RenderOptions): string {
  const title = o.title ?? 'pbx traffic report'
  const nowMs = o.nowMs ?? (Number.isFinite(d.lastMs) ? d.lastMs : 0)
  const multiFile = d.files.length > 1
  const protoLegend = [...d.protos]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([name, p], i) => [
      `<td><span style="color:${colorOf(name, i)}">■</span> ${esc(name)}</td>`,
      td(n(p.count), 'n'),
      td(`${n(p.errors)} (${pct(p.errors, p.count)})`, p.errors > 0 ? 'n bad' : 'n'),
      td(formatDuration(p.latency.quantile(0.5)), 'n'),
      td(formatDuration(p.latency.quantile(0.99)), 'n'),
    ])
  const parts = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    // No network: the policy forbids every external load, even if a string escaped escaping.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>`,
    header(d, title),
    '<main>',
    section(
      'Protocols',
      protoLegend.length ? table(['protocol', 'transactions', 'errors', 'p50', 'p99'], protoLegend, new Set([1, 2, 3, 4])) : empty('no transactions'),
    ),
    section('Latency histogram', latencyChart(d)),
    section('Transactions over time', timelineChart(d), true),
    section('Services', d.services.length ? serviceTable(d, o.top) : empty('no transactions'), true),
    section('Slowest transactions', d.slowest.length ? txTable(d.slowest.slice(0, o.top), multiFile) : empty('no answered transactions'), true),
    section(
      `Failed transactions (${n(d.failedTotal)})`,
      d.failed.length ? txTable(d.failed.slice(0, o.top), multiFile) + (d.failedTotal > Math.min(o.top, d.failed.length) ? `<p class="muted">The ${Math.min(o.top, d.failed.length)} slowest of ${n(d.failedTotal)} shown.</p>` : '') : empty('none'),
      true,
    ),
    statusSection(d),
    section(`Top talkers (bytes, from ${d.talkerSource})`, d.talkers.length ? countsTable(['client → server', 'bytes'], d.talkers) : empty('none')),
    tlsSection(d, nowMs),
    dnsSection(d),
    tcpSection(d),
    capturesSection(d),
    '</main></body></html>\n',
  ]
  return parts.join('')
}
