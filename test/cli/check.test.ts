/**
 * `pbx check`, `pbx baseline` and `pbx diff` as CI runs them: exit codes 0/1/2, the text, JSON
 * and JUnit outputs, --init round trip, and diff of a baseline file against captures.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {pbx} from '../helpers/run-cli.js'
import {shopRun} from '../check/synth.js'

let tmp: string
let good: string
let bad: string
let rules: string

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'pbx-cli-check-'))
  good = path.join(tmp, 'good.pcap')
  bad = path.join(tmp, 'bad.pcap')
  writeFileSync(good, shopRun())
  writeFileSync(bad, shopRun({slowSearch: 1.2, errors: 2}))
  rules = path.join(tmp, 'rules.yml')
  writeFileSync(
    rules,
    `rules:
  - name: shop traffic
    where: type == "http"
    count: {min: 20}
  - name: no server errors
    http_status_below: 500
  - name: latency per route
    latency: {by: route, p95: 100ms}
`,
  )
})

describe('pbx check', () => {
  it('exits 0 when every rule holds', () => {
    const r = pbx(['check', good, '--rules', rules])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('PASS no server errors\n')
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('3 rules, 3 passed, 0 failed (22 events)')
  })

  it('exits 1 when a rule fails, with expected, seen and example frames; JUnit and JSON agree', () => {
    const junit = path.join(tmp, 'junit.xml')
    const r = pbx(['check', bad, '--rules', rules, '--junit', junit])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('FAIL no server errors\n  expected: no HTTP response with status >= 500\n  seen:     2 of 24 HTTP responses >= 500 (503: 2)\n  frames ')
    expect(r.stdout).toContain('FAIL latency per route')
    expect(r.stdout).toContain('FAIL /search: 1 events, p95 1.20s')
    const xml = readFileSync(junit, 'utf8')
    expect(xml.match(/<testcase /g)).toHaveLength(3)
    expect(xml.match(/<failure /g)).toHaveLength(2)
    const j = pbx(['check', bad, '--rules', rules, '--json'])
    expect(j.status).toBe(1)
    const doc = JSON.parse(j.stdout)
    expect(doc.ok).toBe(false)
    expect(doc.rules.map((x: {ok: boolean}) => x.ok)).toEqual([true, false, false])
    expect(doc.rules[1].examples[0].frames).toHaveLength(2)
  })

  it('exits 2 on a bad rules file, naming the rule and the key', () => {
    const broken = path.join(tmp, 'broken.yml')
    writeFileSync(broken, 'rules:\n  - name: fast\n    latency: {by: route, p99: soon}\n')
    const r = pbx(['check', good, '--rules', broken])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`pbx: ${broken}: rules[0] "fast".latency.p99: expected a duration`)
    expect(r.stdout).toBe('')
    expect(pbx(['check', good]).status).toBe(2)
    expect(pbx(['check', good, '--rules', path.join(tmp, 'none.yml')]).stderr).toContain('cannot read the rules file')
  })

  it('exits 2 for a damaged or unreadable capture, never 0, and says so in the JUnit file', () => {
    const cut = path.join(tmp, 'cut.pcap')
    const whole = readFileSync(good)
    writeFileSync(cut, whole.subarray(0, whole.length - 25))
    const junit = path.join(tmp, 'cut.xml')
    const r = pbx(['check', cut, '--rules', rules, '--junit', junit])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('cut.pcap')
    expect(r.stdout).toContain('the run did not complete')
    expect(readFileSync(junit, 'utf8')).toMatch(/errors="1"/)
    const missing = pbx(['check', path.join(tmp, 'nope.pcap'), '--rules', rules])
    expect(missing.status).toBe(2)
  })

  it('--init writes rules that pass on the capture they came from', () => {
    for (const sample of [good, 'samples/http/nginx.pcap', 'samples/pgsql/postgres.pcap', 'samples/dns/dnsmasq.pcap', 'samples/tls/openssl.pcap']) {
      const init = pbx(['check', '--init', sample])
      expect(init.status).toBe(0)
      expect(init.stdout).toMatch(/^# pbx check rules/)
      const file = path.join(tmp, 'init.yml')
      writeFileSync(file, init.stdout)
      const r = pbx(['check', sample, '--rules', file])
      expect(r.stdout).not.toContain('FAIL')
      expect(r.status).toBe(0)
    }
    // ... and catch the regression of the modified run.
    const file = path.join(tmp, 'init-shop.yml')
    writeFileSync(file, pbx(['check', '--init', good]).stdout)
    const r = pbx(['check', bad, '--rules', file])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('FAIL no HTTP server errors')
    expect(r.stdout).toContain('FAIL HTTP latency per route')
  })
})

describe('pbx baseline / pbx diff', () => {
  it('a capture against its own baseline: no differences, exit 0; against a modified run: exit 1 and a table', () => {
    const base = path.join(tmp, 'baseline.json')
    const b = pbx(['baseline', good, '-o', base])
    expect(b.status).toBe(0)
    expect(JSON.parse(readFileSync(base, 'utf8')).version).toBe(1)
    const same = pbx(['diff', base, good])
    expect(same.status).toBe(0)
    expect(same.stdout).toBe('no differences beyond the thresholds\n')
    const moved = pbx(['diff', base, bad])
    expect(moved.status).toBe(1)
    expect(moved.stdout).toMatch(/^ +section +change +key +before +after\n/)
    expect(moved.stdout).toMatch(/REGRESSION +http_status +appeared +503 +- +2\n/)
    expect(moved.stdout).toMatch(/REGRESSION +routes +p95 \+\d+% +http 10\.1\.0\.2:80 GET \/search +11\.0ms +1\.20s\n/)
    const json = JSON.parse(pbx(['diff', good, bad, '--json']).stdout)
    expect(json.regression).toBe(true)
    expect(json.differences.length).toBe(moved.stdout.trimEnd().split('\n').length - 2)
    // Loose thresholds: counts and latency tolerated, the new route listed but not a regression;
    // the new 503s still are (exit 1).
    const loose = pbx(['diff', base, bad, '-t', 'count=10', '-t', 'latency=1000', '-t', 'new_endpoints=ignore'])
    expect(loose.status).toBe(1)
    expect(loose.stdout).toMatch(/\nchanged +routes +appeared +http 10\.1\.0\.2:80 GET \/pay/)
    expect(loose.stdout).not.toContain('/search')
    expect(loose.stdout).toContain('3 differences, 2 regressions')
  })

  it('exits 2 on a bad baseline, a bad threshold or a damaged capture', () => {
    const junk = path.join(tmp, 'junk.json')
    writeFileSync(junk, '{"version": 1}')
    expect(pbx(['diff', junk, good]).stderr).toContain('not a pbx baseline')
    expect(pbx(['diff', junk, good]).status).toBe(2)
    const t = pbx(['diff', good, good, '-t', 'latency=fast'])
    expect(t.status).toBe(2)
    expect(t.stderr).toContain('--threshold latency=fast')
    const cut = path.join(tmp, 'cut2.pcap')
    const whole = readFileSync(good)
    writeFileSync(cut, whole.subarray(0, whole.length - 25))
    expect(pbx(['diff', good, cut]).status).toBe(2)
    expect(pbx(['baseline', cut, '-o', path.join(tmp, 'b2.json')]).status).toBe(2)
  })
})
