/**
 * Small SVG charts drawn on the server side: the report's charts are static pictures of fixed
 * aggregates, so a few hundred lines of SVG replace a charting library, need no script in the page
 * (the report opens with JavaScript disabled, in a mail client, in a CI artifact viewer) and weigh a
 * few kilobytes. Every label goes through esc(); callers pass raw strings.
 */

/** HTML/XML text and attribute escaping: & < > " ' (enough for element content and quoted attributes). */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'))
}

/** Colours by protocol (stable across reports), then a fallback cycle. */
const PROTO_COLORS: Record<string, string> = {
  http: '#2f6fdf',
  dns: '#1f9d6b',
  tls: '#8a4fd8',
  mysql: '#e08a1e',
  pgsql: '#336791',
  redis: '#d8392b',
  mongodb: '#4d9e3f',
  memcache: '#7a7a7a',
  icmp: '#c44d9a',
  dhcpv4: '#2aa3b8',
}
const CYCLE = ['#2f6fdf', '#e08a1e', '#1f9d6b', '#d8392b', '#8a4fd8', '#2aa3b8', '#c44d9a', '#7a7a7a']

export function colorOf(name: string, i: number): string {
  return PROTO_COLORS[name] ?? CYCLE[i % CYCLE.length]
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1)
}

export interface Series {
  name: string
  values: ArrayLike<number>
}

export interface BarChartOptions {
  /** Accessible title of the chart. */
  title: string
  /** Label under bar i ('' for none). */
  xLabel: (i: number) => string
  /** Tooltip text of bar i. */
  tip: (i: number) => string
  width?: number
  height?: number
  /** Draw lines instead of stacked bars. */
  lines?: boolean
}

function niceMax(v: number): number {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

/** Stacked vertical bars (or lines) of several series over the same bins, with a legend. */
export function stackedBars(series: Series[], o: BarChartOptions): string {
  const W = o.width ?? 560
  const H = o.height ?? 220
  const L = 44
  const R = 8
  const T = 26
  const B = 28
  const n = series.length === 0 ? 0 : series[0].values.length
  const totals = new Float64Array(n)
  let peak = 0
  for (const s of series) for (let i = 0; i < n; i++) totals[i] += s.values[i]
  if (o.lines) for (const s of series) for (let i = 0; i < n; i++) peak = Math.max(peak, s.values[i])
  else for (let i = 0; i < n; i++) peak = Math.max(peak, totals[i])
  const max = niceMax(peak)
  const pw = W - L - R
  const ph = H - T - B
  const bw = n > 0 ? pw / n : pw
  const y = (v: number) => T + ph - (v / max) * ph
  const parts: string[] = []
  parts.push(`<svg class="chart" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${esc(o.title)}</title>`)
  // grid and y axis labels
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4
    const yy = num(y(v))
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" class="grid"/>`)
    parts.push(`<text x="${L - 4}" y="${yy}" class="ylab">${esc(num(v))}</text>`)
  }
  if (o.lines) {
    series.forEach((s, si) => {
      const pts: string[] = []
      for (let i = 0; i < n; i++) pts.push(`${num(L + (i + 0.5) * bw)},${num(y(s.values[i]))}`)
      parts.push(`<polyline fill="none" stroke="${colorOf(s.name, si)}" stroke-width="1.6" points="${pts.join(' ')}"><title>${esc(s.name)}</title></polyline>`)
    })
  } else {
    const base = new Float64Array(n)
    series.forEach((s, si) => {
      const c = colorOf(s.name, si)
      for (let i = 0; i < n; i++) {
        const v = s.values[i]
        if (v <= 0) continue
        const y1 = y(base[i] + v)
        const h = y(base[i]) - y1
        base[i] += v
        parts.push(
          `<rect x="${num(L + i * bw + 0.5)}" y="${num(y1)}" width="${num(Math.max(1, bw - 1))}" height="${num(Math.max(0.5, h))}" fill="${c}"><title>${esc(`${s.name}: ${v} (${o.tip(i)})`)}</title></rect>`,
        )
      }
    })
  }
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${T + ph}" y2="${T + ph}" class="axis"/>`)
  let lastX = Number.NEGATIVE_INFINITY
  for (let i = 0; i < n; i++) {
    const lab = o.xLabel(i)
    if (!lab) continue
    const x = L + i * bw
    if (x - lastX < 48) continue
    lastX = x
    parts.push(`<line x1="${num(x)}" x2="${num(x)}" y1="${T + ph}" y2="${T + ph + 4}" class="axis"/><text x="${num(x)}" y="${H - 8}" class="xlab">${esc(lab)}</text>`)
  }
  // legend
  let lx = L
  series.forEach((s, si) => {
    parts.push(`<rect x="${lx}" y="6" width="10" height="10" fill="${colorOf(s.name, si)}"/><text x="${lx + 14}" y="15" class="legend">${esc(s.name)}</text>`)
    lx += 24 + s.name.length * 7
  })
  parts.push('</svg>')
  return parts.join('')
}

/** Horizontal bars of labelled counts, largest first as given. `colorFor` picks a bar's colour. */
export function hbars(items: [string, number][], o: {title: string; colorFor?: (label: string, i: number) => string; width?: number}): string {
  const W = o.width ?? 360
  const rowH = 20
  const labW = Math.min(170, 14 + Math.max(4, ...items.map(([l]) => Math.min(l.length, 22))) * 7.2)
  const H = items.length * rowH + 8
  const max = Math.max(1, ...items.map(([, n]) => n))
  const barW = W - labW - 60
  const parts: string[] = [`<svg class="chart" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${esc(o.title)}</title>`]
  items.forEach(([label, n], i) => {
    const y = 4 + i * rowH
    const w = Math.max(1, (n / max) * barW)
    const shown = label.length > 22 ? `${label.slice(0, 21)}…` : label
    const c = o.colorFor?.(label, i) ?? '#2f6fdf'
    parts.push(
      `<text x="${num(labW - 6)}" y="${y + 14}" class="blab">${esc(shown)}<title>${esc(label)}</title></text><rect x="${num(labW)}" y="${y + 3}" width="${num(w)}" height="${rowH - 6}" fill="${c}"><title>${esc(`${label}: ${n}`)}</title></rect><text x="${num(labW + w + 4)}" y="${y + 14}" class="bval">${n}</text>`,
    )
  })
  parts.push('</svg>')
  return parts.join('')
}
