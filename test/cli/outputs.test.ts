/**
 * Several outputs in one run, and outputs opened only once an input can be read.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {pbx, ROOT} from '../helpers/run-cli.js'

const SAMPLE = 'samples/http/nginx.pcap'
const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-outputs-'))
const golden = readFileSync(path.join(ROOT, 'samples/http/nginx.ndjson'), 'utf8')

describe('outputs of a run', () => {
  it('writes the summary on the terminal and NDJSON and CSV to files in one run', () => {
    const nd = path.join(tmp, 'one.ndjson')
    const csv = path.join(tmp, 'one.csv')
    const r = pbx(['analyze', SAMPLE, '-f', 'summary', '-f', `ndjson=${nd}`, '-f', `csv=${csv}`])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/Transactions: 13/)
    expect(readFileSync(nd, 'utf8')).toBe(golden)
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(14)
  })

  it('sends the summary to standard error when standard output carries NDJSON', () => {
    const r = pbx(['analyze', SAMPLE, '-f', 'ndjson', '-f', 'summary'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(golden)
    expect(r.stderr).toMatch(/Transactions: 13/)
  })

  it('refuses two data outputs on standard output, and -o with several bare formats, with exit 2', () => {
    const a = pbx(['analyze', SAMPLE, '-f', 'ndjson', '-f', 'csv'])
    expect(a.status).toBe(2)
    expect(a.stderr).toMatch(/only one output can write to standard output/)
    const b = pbx(['analyze', SAMPLE, '-f', 'ndjson', '-f', 'csv', '-o', path.join(tmp, 'x')])
    expect(b.status).toBe(2)
    expect(b.stderr).toMatch(/-o\/--output needs exactly one --format/)
    const c = pbx(['analyze', SAMPLE, '-f', 'gopher'])
    expect(c.status).toBe(2)
    expect(c.stderr).toMatch(/unknown output "gopher"; known: summary, ndjson, csv/)
  })

  it('does not touch an existing -o FILE when no input can be opened, and prints no empty summary', () => {
    const out = path.join(tmp, 'keep.ndjson')
    writeFileSync(out, 'precious\n')
    const r = pbx(['analyze', path.join(tmp, 'missing.pcap'), '-f', 'ndjson', '-o', out])
    expect(r.status).toBe(3)
    expect(readFileSync(out, 'utf8')).toBe('precious\n')
    const notCapture = path.join(tmp, 'text.pcap')
    writeFileSync(notCapture, 'hello world\n')
    const s = pbx(['analyze', notCapture, '-o', out])
    expect(s.status).toBe(3)
    expect(s.stderr).toMatch(/not a capture file at byte offset 0: unknown magic number/)
    expect(readFileSync(out, 'utf8')).toBe('precious\n')
    const m = pbx(['analyze', path.join(tmp, 'missing.pcap')])
    expect(m.stdout).toBe('')
    expect(m.stderr).toMatch(/missing\.pcap: cannot read: no such file/)
  })

  it('summarises many inputs in one header line instead of one line per file', () => {
    const files = Array.from({length: 5}, () => SAMPLE)
    const r = pbx(['analyze', ...files])
    expect(r.status).toBe(0)
    const header = r.stdout.split('\n').filter((l) => /^captures? /.test(l))
    expect(header).toEqual([`captures 5 files (pcap 5), link ethernet: ${SAMPLE} ... ${SAMPLE}`])
    expect(r.stdout).toMatch(/Transactions: 65/)
    const three = pbx(['analyze', SAMPLE, SAMPLE, SAMPLE])
    expect(three.stdout.split('\n').filter((l) => l.startsWith('capture '))).toHaveLength(3)
  })

  it('chooses the NDJSON and CSV fields and their order with --fields', () => {
    const nd = pbx(['analyze', SAMPLE, '-f', 'ndjson', '--fields', 'url.path,http.response.status_code'])
    expect(nd.status).toBe(0)
    const want = golden
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((e) => JSON.stringify({url: {path: e.url.path}, http: {response: {status_code: e.http.response.status_code}}}))
    expect(nd.stdout.trim().split('\n')).toEqual(want)
    const csv = pbx(['analyze', SAMPLE, '-f', 'csv', '--fields', 'http.response.status_code,url.path,no.such'])
    expect(csv.status).toBe(0)
    const rows = csv.stdout.trim().split('\n')
    expect(rows[0]).toBe('http.response.status_code,url.path,no.such')
    expect(rows[1]).toBe('200,/index.html,')
    expect(csv.stderr).toMatch(/fields: no\.such is not emitted by pbx/)
    const bad = pbx(['analyze', SAMPLE, '-f', 'ndjson', '--fields', 'url.path,,x y'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/fields must be a comma-separated list/)
  })
})
