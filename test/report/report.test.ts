import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {makeLimits} from '../../src/limits.js'
import {latencyBin, ReportOutput} from '../../src/report/aggregate.js'
import {buildReport, esc} from '../../src/report/index.js'
import {Stats} from '../../src/stats.js'
import {pbx} from '../helpers/run-cli.js'
import {syntheticCapture} from '../support/report-capture.js'

const dir = mkdtempSync(path.join(tmpdir(), 'pbx-report-test-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const synth = path.join(dir, 'synth.pcap')
writeFileSync(synth, syntheticCapture({hostile: true}))

/** Text of the table rows of the section titled `title` (tags stripped, one string per row). */
function rows(html: string, title: string): string[] {
  const start = html.indexOf(`<h2>${title}`)
  expect(start, `section ${title}`).toBeGreaterThan(0)
  const body = html.slice(start, html.indexOf('</section>', start))
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => m[1].replace(/<\/td><td[^>]*>/g, ' | ').replace(/<[^>]+>/g, '').trim())
}

describe('pbx report: aggregation and page', async () => {
  const rep = await buildReport({files: [synth], top: 10})
  const html = rep.html

  it('is one self-contained page: no script, no external reference, a CSP that forbids loads', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/\b(src|href)=/i)
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    expect(html).toContain(`content="default-src 'none'`)
  })

  it('escapes packet strings: the hostile URL, Host and status phrase appear as text only', () => {
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>Bad')
    expect(html).toContain('<td class="req">GET /&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;</td>')
    expect(html).toContain('<td class="req">10.1.0.5 → 10.2.0.30:80</td>')
    expect(html).toContain('500 &lt;b&gt;Bad&lt;/b&gt;')
  })

  it('lists the slow 500 first among the slowest and the failed, with its frames', () => {
    const slow = rows(html, 'Slowest transactions')
    expect(slow[1]).toMatch(/^http \| 10\.2\.0\.10:8080 \| GET \/slow \| 500 Internal Server Error \| 4\.50s \| \d+–\d+ \|/)
    const failed = rows(html, 'Failed transactions')
    expect(failed[1]).toContain('GET /slow | 500 Internal Server Error | 4.50s')
    expect(failed.some((r) => r.includes('404 Not Found'))).toBe(true)
    expect(failed.some((r) => r.includes('NXDOMAIN'))).toBe(true)
    expect(html).toContain('<h2>Failed transactions (13)')
  })

  it('has the per-service table with counts, error rates and percentiles', () => {
    const svc = rows(html, 'Services')
    expect(svc[1]).toMatch(/^10\.2\.0\.10:8080\/http \| 121 \| 5 \(4\.1%\) \| [\d.]+ms \| [\d.]+ms \| [\d.]+ms \| 4\.50s$/)
    expect(svc.find((r) => r.startsWith('10.0.0.53:53/dns'))).toMatch(/\| 30 \| 6 \(20\.0%\) \|/)
  })

  it('breaks down HTTP status, DNS rcodes and names, flow ends, talkers', () => {
    expect(html).toMatch(/<title>404: 4<\/title>/)
    expect(html).toMatch(/<title>500: 2<\/title>/)
    expect(html).toMatch(/<title>NXDOMAIN: 6<\/title>/)
    expect(rows(html, 'DNS').some((r) => r === 'missing-3.example | 1')).toBe(true)
    expect(html).toMatch(/<title>rst: 1<\/title>/)
    expect(rows(html, 'TCP health')).toContain('connections ended by RST | 1 (1.2% of flows)')
    expect(rows(html, 'Top talkers')[1]).toMatch(/^10\.1\.0\.5 → 10\.2\.0\.10:8080 \| [\d,]+$/)
    expect(html).toContain('time: <b>2025-11-24 16:00:00.000 UTC → 2025-11-24 16:00:58')
  })

  it('reports TLS versions, SNI, JA3/JA4 and certificate expiry from the TLS sample', async () => {
    const tls = await buildReport({files: ['samples/tls/openssl.pcap']})
    const t = rows(tls.html, 'TLS')
    expect(t).toContain('pbx.test | 6')
    expect(t.some((r) => r.startsWith('JA3 22558766122974704364c9c75c5cce0a'))).toBe(true)
    expect(t.some((r) => r.startsWith('JA4 t12d2808h1_'))).toBe(true)
    // not_after 2026-12-28T23:00:57Z, capture on 2026-11-28: 29 days left, flagged as soon.
    expect(t.find((r) => r.includes('2026-12-28T23:00:57Z'))).toMatch(/\| 29 d$/)
    expect(tls.html).toMatch(/<title>tls 1\.2: \d+<\/title>/)
    expect(tls.html).toMatch(/<title>tls 1\.3: \d+<\/title>/)
  })

  it('reports SQL errors by code and message', async () => {
    const sql = await buildReport({files: ['samples/mysql/mariadb.pcap', 'samples/pgsql/postgres.pcap']})
    const s = rows(sql.html, 'Status and errors')
    expect(s.some((r) => r.startsWith('mysql 1146 42S02: Table &#39;shop.no_such_table&#39; doesn&#39;t exist'))).toBe(true)
    expect(s.some((r) => r.startsWith('pgsql 42P01 relation &quot;no_such_table&quot; does not exist'))).toBe(true)
  })
})

describe('ReportOutput bounds', () => {
  it('keeps at most `keep` slowest rows and summaryTopKeys services, whatever the input', () => {
    const out = new ReportOutput(makeLimits({summaryTopKeys: 50}), 5)
    out.begin({files: [], stats: new Stats(), captures: [], errors: []})
    for (let i = 0; i < 5000; i++) {
      out.write({
        type: 'http',
        status: i % 2 ? 'OK' : 'Error',
        event: {start: new Date(1.7e12 + i * 1000).toISOString(), duration: (i % 997) * 1e6},
        source: {ip: '10.0.0.1', bytes: 10},
        destination: {ip: `10.0.${i >> 8}.${i & 255}`, port: 80, bytes: 10},
        pbx: {frames: [i, i + 1]},
      })
    }
    const d = out.snapshot(10)
    expect(d.slowest.map((r) => r.durationNs)).toEqual([996e6, 996e6, 996e6, 996e6, 996e6])
    expect(d.failed).toHaveLength(5)
    expect(d.failedTotal).toBe(2500)
    expect(d.services).toHaveLength(50)
    expect(d.servicesDropped).toBe(4950)
    // 5000 s of events: the timeline widened its bins instead of growing.
    for (const bins of d.timeline.values()) expect(bins).toHaveLength(120)
    expect(d.binNs * 120).toBeGreaterThanOrEqual(5000e9)
    const total = [...d.timeline.values()].reduce((a, b) => a + b.reduce((x, y) => x + y, 0), 0)
    expect(total).toBe(5000)
  })

  it('bins latencies 4 per decade from 1 µs', () => {
    expect(latencyBin(500)).toBe(0)
    expect(latencyBin(1e3)).toBe(1)
    expect(latencyBin(1e4)).toBe(5)
    expect(latencyBin(4.5e9)).toBe(27)
    expect(latencyBin(1e20)).toBe(36)
  })

  it('esc escapes the five HTML metacharacters', () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
  })
})

describe('pbx report (CLI)', () => {
  it('writes the file and exits 0', () => {
    const out = path.join(dir, 'cli.html')
    const r = pbx(['report', synth, '-o', out])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(readFileSync(out, 'utf8')).toContain('GET /slow')
  })

  it('exits 3 and writes nothing when no input can be read', () => {
    const out = path.join(dir, 'none.html')
    const r = pbx(['report', path.join(dir, 'missing.pcap'), '-o', out])
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/missing\.pcap/)
    expect(existsSync(out)).toBe(false)
  })

  it('exits 4 on a damaged capture and still writes the report with the error in the header', () => {
    const cut = path.join(dir, 'cut.pcap')
    const full = readFileSync(synth)
    writeFileSync(cut, full.subarray(0, Math.floor(full.length / 2) + 7))
    const out = path.join(dir, 'cut.html')
    const r = pbx(['report', cut, '-o', out])
    expect(r.status).toBe(4)
    expect(readFileSync(out, 'utf8')).toMatch(/<div class="err">[^<]*cut\.pcap/)
  })
})
