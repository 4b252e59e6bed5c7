/**
 * Every rule kind, passing and failing, on samples/ captures and synthetic ones, through the run
 * layer (runCheck); and rules-file errors that name the rule and the key.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {checkExitCode, runCheck} from '../../src/check/index.js'
import {compileRules, type RuleResult, RulesError} from '../../src/check/rules.js'
import {shopRun} from './synth.js'

let tmp: string
let shop: string
let shopBad: string

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'pbx-check-'))
  shop = path.join(tmp, 'shop.pcap')
  shopBad = path.join(tmp, 'shop-bad.pcap')
  writeFileSync(shop, shopRun())
  writeFileSync(shopBad, shopRun({slowSearch: 1.2, errors: 2}))
})

async function check(file: string, yaml: string): Promise<RuleResult[]> {
  const report = await runCheck({files: [file]}, compileRules(yaml, 'rules.yml'))
  expect(report.complete).toBe(true)
  return report.results
}

const one = async (file: string, yaml: string) => (await check(file, yaml))[0]

describe('count', () => {
  it('passes within bounds and fails outside, with the extra events as examples', async () => {
    const ok = await one('samples/http/nginx.pcap', 'rules: [{name: n, where: type == "http", count: {exact: 13}}]')
    expect(ok).toMatchObject({ok: true, seen: '13 events', expected: 'exactly 13 events'})
    const bad = await one('samples/http/nginx.pcap', 'rules: [{name: n, when: {equals: {http.response.status_code: 404}}, count: {max: 1}}]')
    expect(bad.ok).toBe(false)
    expect(bad.seen).toMatch(/^\d+ events$/)
    expect(bad.examples.length).toBeGreaterThan(0)
    for (const e of bad.examples) expect(e.event).toContain('-> 404')
    expect(bad.examples[0].frames.length).toBeGreaterThan(0)
    const min = await one('samples/dns/dnsmasq.pcap', 'rules: [{name: n, where: type == "http", count: {min: 1}}]')
    expect(min).toMatchObject({ok: false, seen: '0 events'})
  })
})

describe('http_status_below', () => {
  it('passes on a clean run and fails with the 5xx events and their frames', async () => {
    expect((await one(shop, 'rules: [{name: s, http_status_below: 500}]')).ok).toBe(true)
    const r = await one(shopBad, 'rules: [{name: s, http_status_below: 500}]')
    expect(r.ok).toBe(false)
    expect(r.seen).toContain('2 of 24 HTTP responses >= 500 (503: 2)')
    expect(r.examples).toHaveLength(2)
    expect(r.examples[0].event).toContain('GET /pay -> 503')
    expect(r.examples[0].frames[0]).toBeGreaterThan(3)
  })
})

describe('dns_nxdomain_ratio', () => {
  it('compares the NXDOMAIN share of DNS answers with the bound', async () => {
    const pass = await one('samples/dns/dnsmasq.pcap', 'rules: [{name: d, dns_nxdomain_ratio: {max: 0.5}}]')
    expect(pass.ok).toBe(true)
    expect(pass.seen).toMatch(/^1 NXDOMAIN of 14 DNS answers/)
    const fail = await one('samples/dns/dnsmasq.pcap', 'rules: [{name: d, dns_nxdomain_ratio: 0}]')
    expect(fail.ok).toBe(false)
    expect(fail.examples[0].event).toContain('NXDOMAIN')
  })
})

describe('tls_min_version', () => {
  it('passes at 1.2 on the TLS 1.2/1.3 sample and fails at 1.3 with the 1.2 sessions', async () => {
    expect((await one('samples/tls/openssl.pcap', 'rules: [{name: t, tls_min_version: "1.2"}]')).ok).toBe(true)
    const r = await one('samples/tls/openssl.pcap', 'rules: [{name: t, tls_min_version: "1.3"}]')
    expect(r.ok).toBe(false)
    expect(r.seen).toMatch(/below TLS 1\.3 \(.*TLS 1\.2: \d+/)
    expect(r.examples.length).toBeGreaterThan(0)
  })
})

describe('no_anomaly', () => {
  it('fails on an anomaly present, passes on one absent or excepted', async () => {
    const r = await one('samples/http/midstream-gap.pcap.gz', 'rules: [{name: a, no_anomaly: tcp.gap}]')
    expect(r).toMatchObject({ok: false, seen: 'tcp.gap: 1'})
    expect(r.examples[0].frames.length).toBeGreaterThan(0)
    expect((await one('samples/http/midstream-gap.pcap.gz', 'rules: [{name: a, no_anomaly: [limit.message_bytes]}]')).ok).toBe(true)
    expect((await one('samples/http/midstream-gap.pcap.gz', 'rules: [{name: a, no_anomaly: {codes: "*", except: [tcp.gap, http.no_response]}}]')).ok).toBe(true)
  })
})

describe('latency', () => {
  it('groups by route template: ids collapse, a slow route fails with its slow events', async () => {
    const yaml = 'rules: [{name: l, latency: {by: route, p95: 100ms, max: 500ms}}]'
    const ok = await one(shop, yaml)
    expect(ok.ok).toBe(true)
    expect(ok.details).toContain('ok /items/:id: 20 events, p95 3.0ms, max 3.0ms')
    expect(ok.details?.some((d) => d.startsWith('ok /orders/:uuid: 1 events'))).toBe(true)
    const bad = await one(shopBad, yaml)
    expect(bad.ok).toBe(false)
    expect(bad.seen).toContain('/search: p95 1.20s > 100ms, max 1.20s > 500ms')
    expect(bad.examples[0].event).toBe('http 10.1.0.2:80 GET /search -> 200 1.20s')
  })

  it('groups by url.path and by SQL fingerprint', async () => {
    const byPath = await one(shop, 'rules: [{name: l, latency: {by: url.path, p50: 1ms}}]')
    expect(byPath.ok).toBe(false)
    // 20 distinct item paths + orders + search.
    expect(byPath.seen).toMatch(/of 22 groups over/)
    const sqlOk = await one('samples/pgsql/postgres.pcap', 'rules: [{name: q, latency: {by: pbx.query_fingerprint, max: 10s}}]')
    expect(sqlOk.ok).toBe(true)
    const sql = await one('samples/pgsql/postgres.pcap', 'rules: [{name: q, latency: {by: pbx.query_fingerprint, max: 10ms}}]')
    expect(sql.ok).toBe(false)
    expect(sql.seen).toContain('CREATE TABLE items')
  })
})

describe('destinations', () => {
  it('allows by CIDR and port, forbids by network, name and port', async () => {
    expect((await one(shop, 'rules: [{name: d, destinations: {allow: {networks: [10.1.0.0/16], ports: [80, 443]}}}]')).ok).toBe(true)
    const port = await one(shop, 'rules: [{name: d, destinations: {allow: {networks: [10.1.0.0/16], ports: [443]}}}]')
    expect(port).toMatchObject({ok: false})
    expect(port.seen).toBe('not allowed: shop.example:80 (22)')
    expect((await one(shop, 'rules: [{name: d, destinations: {forbid: {networks: [public]}}}]')).ok).toBe(true)
    expect((await one(shop, 'rules: [{name: d, destinations: {forbid: {networks: [private]}}}]')).ok).toBe(false)
    expect((await one('samples/tls/openssl.pcap', 'rules: [{name: d, destinations: {forbid: {names: ["*.test", pbx.test]}}}]')).ok).toBe(false)
    // One session of the sample has no SNI: allowed by its network only.
    const names = await one('samples/tls/openssl.pcap', 'rules: [{name: d, destinations: {allow: {names: [pbx.test, other.example]}}}]')
    expect(names.ok).toBe(false)
    expect(names.seen).toMatch(/^not allowed: 127\.0\.0\.1:\d+ \(1\)$/)
    expect((await one('samples/tls/openssl.pcap', 'rules: [{name: d, destinations: {allow: {names: [pbx.test], networks: [127.0.0.0/8]}}}]')).ok).toBe(true)
    expect((await one(shop, 'rules: [{name: d, destinations: {forbid: {ports: [80]}}}]')).ok).toBe(false)
  })
})

describe('fields', () => {
  it('checks present and absent fields in the rule scope', async () => {
    expect((await one(shop, 'rules: [{name: f, where: type == "http", fields: {present: [url.path, http.response.status_code, pbx.frames], absent: [http.request.headers]}}]')).ok).toBe(true)
    const r = await one('samples/pgsql/postgres.pcap', 'rules: [{name: f, fields: {present: [pbx.query_fingerprint, pgsql.num_rows]}}]')
    expect(r.ok).toBe(false)
    expect(r.seen).toBe('pgsql.num_rows missing in 3 of 21 events')
    expect(r.examples).toHaveLength(3)
    expect((await one(shop, 'rules: [{name: f, fields: {absent: [url.path]}}]')).ok).toBe(false)
  })
})

describe('the verdict', () => {
  it('is 0 when every rule holds, 1 when one fails', async () => {
    const rules = 'rules: [{name: a, count: {min: 1}}, {name: b, http_status_below: 500}]'
    expect(checkExitCode(await runCheck({files: [shop]}, compileRules(rules, 'r')))).toBe(0)
    expect(checkExitCode(await runCheck({files: [shopBad]}, compileRules(rules, 'r')))).toBe(1)
  })

  it('is 2 for a damaged capture, even when every rule would hold', async () => {
    const cut = path.join(tmp, 'cut.pcap')
    const whole = shopRun()
    writeFileSync(cut, whole.subarray(0, whole.length - 30))
    const r = await runCheck({files: [cut]}, compileRules('rules: [{name: a, count: {min: 1}}]', 'r'))
    expect(r.results[0].ok).toBe(true)
    expect(r.complete).toBe(false)
    expect(r.errors.join()).toMatch(/cut\.pcap/)
    expect(checkExitCode(r)).toBe(2)
  })
})

describe('rules file errors name the rule and the key', () => {
  const err = (yaml: string) => {
    try {
      compileRules(yaml, 'rules.yml')
    } catch (e) {
      expect(e).toBeInstanceOf(RulesError)
      return (e as Error).message
    }
    throw new Error('no error')
  }
  it.each([
    ['rules: [{name: x, count: {min: -1}}]', 'rules.yml: rules[0] "x".count.min: must be a whole number >= 0, got -1'],
    ['rules: [{name: x, latency: {by: route, p95: fast}}]', 'rules.yml: rules[0] "x".latency.p95: expected a duration'],
    ['rules: [{name: x, count: {min: 1}}, {name: y, tls_min_version: new}]', 'rules.yml: rules[1] "y".tls_min_version: expected a TLS version'],
    ['rules: [{name: x, no_anomaly: tcp.nope}]', 'rules[0] "x".no_anomaly: unknown anomaly code "tcp.nope"'],
    ['rules: [{name: x, when: {range: {a.gte: z}}, count: {min: 1}}]', 'rules[0] "x".when.range: "a.gte" must be a number'],
    ['rules: [{name: x, where: "type ==", count: {min: 1}}]', 'rules[0] "x".where'],
    ['rules: [{name: x, destinations: {allow: {networks: [10.0.0.0/33]}}}]', 'rules[0] "x".destinations.allow.networks[0]'],
    ['rules: [{name: x, cuont: {min: 1}}]', 'rules[0] "x": unknown key "cuont"'],
    ['rules: [{name: x, count: {min: 1}, fields: {present: [a]}}]', 'more than one rule kind (count, fields)'],
    ['rules: [{count: {min: 1}}]', 'rules[0].name: every rule needs a name'],
    ['rules: [{name: x, count: {min: 1}}, {name: x, count: {max: 1}}]', 'rules[1] "x".name: another rule has this name'],
    ['rules: [{name: x, count: {least: 1}}]', 'rules[0] "x".count.least: unknown key'],
    ['rules: [{name: x, fields: {present: []}}]', 'rules[0] "x".fields: needs present or absent'],
    ['rules: [{name: x, dns_nxdomain_ratio: 2}]', 'rules[0] "x".dns_nxdomain_ratio: expected a ratio'],
    ['rules: [{name: x, http_status_below: "5xx"}]', 'rules[0] "x".http_status_below: expected an HTTP status code'],
    ['rules: {a: 1}', 'rules.yml: expected a mapping with a "rules:" list'],
    ['rules: [a: [', 'rules.yml: not valid YAML'],
  ])('%s', (yaml, message) => {
    expect(err(yaml)).toContain(message)
  })
})
