/**
 * The report in a real browser: Debian's chromium, headless, via playwright-core. Every chart must
 * have drawn marks, the console must stay clean, no request may leave the page (it is
 * self-contained) and the hostile capture's markup must stay text. A screenshot is saved in the
 * test's temp dir (its path is printed for a person to look at).
 */
import {existsSync, mkdtempSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {type Browser, chromium} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {buildReport} from '../../src/report/index.js'
import {syntheticCapture} from '../support/report-capture.js'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'

describe('pbx report in Chromium', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pbx-report-browser-'))
  let browser: Browser

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `chromium at ${CHROMIUM} (set CHROMIUM=)`).toBe(true)
    browser = await chromium.launch({executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']})
  })
  afterAll(async () => {
    await browser?.close()
  })

  for (const [name, files] of [
    ['synthetic-hostile', null],
    ['samples', ['samples/http/nginx.pcap', 'samples/dns/dnsmasq.pcap', 'samples/tls/openssl.pcap', 'samples/mysql/mariadb.pcap', 'samples/pgsql/postgres.pcap']],
  ] as const) {
    it(`renders every chart, logs nothing, loads nothing: ${name}`, async () => {
      let inputs: string[]
      if (files === null) {
        const p = path.join(dir, 'hostile.pcap')
        writeFileSync(p, syntheticCapture({hostile: true}))
        inputs = [p]
      } else inputs = [...files]
      const rep = await buildReport({files: inputs})
      const html = path.join(dir, `${name}.html`)
      writeFileSync(html, rep.html)

      const page = await browser.newPage({viewport: {width: 1280, height: 900}})
      const consoleErrors: string[] = []
      const requests: string[] = []
      const dialogs: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`)
      })
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`))
      page.on('dialog', (d) => {
        dialogs.push(d.message())
        void d.dismiss()
      })
      page.on('request', (r) => {
        if (r.url() !== `file://${html}`) requests.push(r.url())
      })
      await page.goto(`file://${html}`, {waitUntil: 'load'})

      const charts = await page.$$eval('svg.chart', (svgs) =>
        svgs.map((s) => {
          const r = s.getBoundingClientRect()
          return {title: s.querySelector('title')?.textContent ?? '', marks: s.querySelectorAll('rect, polyline').length, w: r.width, h: r.height}
        }),
      )
      // Latency, timeline, HTTP status, DNS rcodes, flow ends at least (+ TLS versions for the samples).
      expect(charts.length).toBeGreaterThanOrEqual(files === null ? 5 : 6)
      for (const c of charts) {
        expect(c.marks, c.title).toBeGreaterThan(0)
        expect(c.w, c.title).toBeGreaterThan(100)
        expect(c.h, c.title).toBeGreaterThan(20)
      }
      expect(consoleErrors).toEqual([])
      expect(requests).toEqual([])
      expect(dialogs).toEqual([])
      // Packet markup stays text: no element was created from it.
      expect(await page.$$('main script, main img, main b')).toHaveLength(0)
      const text = await page.textContent('main')
      if (files === null) expect(text).toContain('GET /<script>alert("pwned")</script>')
      expect(text).toContain('Slowest transactions')

      const shot = path.join(dir, `${name}.png`)
      await page.screenshot({path: shot, fullPage: true})
      expect(statSync(shot).size).toBeGreaterThan(20_000)
      process.stdout.write(`report screenshot: ${shot}\n`)
      await page.close()
    })
  }
})
