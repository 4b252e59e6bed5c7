/**
 * Regenerates docs/report.png, the README's picture of `pbx report`: builds the synthetic capture of
 * test/report/synthetic.ts, renders its report and photographs it in headless Chromium.
 *
 *   npx tsx scripts/report-screenshot.ts [OUT.png] [--html OUT.html]
 *
 * Needs Debian's chromium at /usr/bin/chromium (or CHROMIUM=/path).
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {chromium} from 'playwright-core'
import {buildReport} from '../src/report/index.js'
import {syntheticCapture} from '../test/support/report-capture.js'

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const htmlAt = args.indexOf('--html')
  const htmlOut = htmlAt >= 0 ? args[htmlAt + 1] : undefined
  const out = args.find((a, i) => !a.startsWith('--') && i !== htmlAt + 1) ?? 'docs/report.png'
  const dir = mkdtempSync(path.join(tmpdir(), 'pbx-report-'))
  try {
    const pcap = path.join(dir, 'checkout-service.pcap')
    writeFileSync(pcap, syntheticCapture())
    const rep = await buildReport({files: [pcap], top: 8, title: 'pbx report: checkout-service.pcap'})
    const html = path.join(dir, 'report.html')
    writeFileSync(html, rep.html.replaceAll(dir + path.sep, ''))
    if (htmlOut) writeFileSync(htmlOut, rep.html.replaceAll(dir + path.sep, ''))
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    try {
      const page = await browser.newPage({viewport: {width: 1280, height: 900}, deviceScaleFactor: 1})
      await page.goto(`file://${html}`)
      await page.screenshot({path: out, fullPage: true})
    } finally {
      await browser.close()
    }
    process.stdout.write(`wrote ${out}\n`)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`)
  process.exit(1)
})
