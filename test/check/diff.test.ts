/**
 * Baselines and diff thresholds: a capture against itself (and against the same traffic from
 * another client port, at another time) has no differences; a modified capture has exactly the
 * expected ones, and each threshold moves them as documented.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {type Baseline, parseBaseline} from '../../src/check/baseline.js'
import {diffBaselines, diffTable, parseThresholds} from '../../src/check/diff.js'
import {runBaseline} from '../../src/check/index.js'
import {pcapFile, TcpConversation} from '../support/synth/packets.js'
import {shopRun} from './synth.js'

let good: Baseline
let moved: Baseline
let bad: Baseline

async function baselineOf(buf: Buffer, name: string): Promise<Baseline> {
  const file = path.join(tmp, name)
  writeFileSync(file, buf)
  const r = await runBaseline({files: [file]})
  expect(r.complete).toBe(true)
  return r.baseline
}

let tmp: string
beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'pbx-diff-'))
  good = await baselineOf(shopRun(), 'good.pcap')
  moved = await baselineOf(shopRun({clientPort: 51515}), 'moved.pcap')
  bad = await baselineOf(shopRun({slowSearch: 1.2, errors: 2, extraPath: '/admin'}), 'bad.pcap')
})

describe('baseline', () => {
  it('holds aggregates with route templates, no client ports, times or ids, and a version', async () => {
    expect(good.version).toBe(1)
    expect(good.counts.endpoints).toEqual({'http 10.1.0.2:80': 22})
    expect(Object.keys(good.latency.routes)).toEqual(['http 10.1.0.2:80 GET /items/:id', 'http 10.1.0.2:80 GET /orders/:uuid', 'http 10.1.0.2:80 GET /search'])
    expect(good.latency.routes['http 10.1.0.2:80 GET /items/:id']).toEqual({count: 20, p50: 3e6, p90: 3e6, p95: 3e6, p99: 3e6, max: 3e6})
    const text = JSON.stringify(good)
    expect(text).not.toContain('40001')
    expect(text).not.toContain('2023-')
    expect(parseBaseline(text, 'b.json')).toEqual(good)
    expect(() => parseBaseline(JSON.stringify({...good, version: 9}), 'b.json')).toThrow('b.json: baseline version 9')
    expect(() => parseBaseline('{"a":1}', 'b.json')).toThrow('not a pbx baseline')
  })

  it('has SQL fingerprints, methods, DNS names and rcodes, TLS versions and SNI from the samples', async () => {
    const pg = (await runBaseline({files: ['samples/pgsql/postgres.pcap']})).baseline
    expect(Object.keys(pg.latency.sql).some((k) => k.startsWith('pgsql 127.0.0.1:15432 SELECT'))).toBe(true)
    expect(pg.counts.methods['pgsql SELECT']).toBeGreaterThan(0)
    const dns = (await runBaseline({files: ['samples/dns/dnsmasq.pcap']})).baseline
    expect(dns.counts.dns_rcode.NXDOMAIN).toBe(1)
    expect(dns.counts.dns_names['www.pbx.test A']).toBeGreaterThan(0)
    const tls = (await runBaseline({files: ['samples/tls/openssl.pcap']})).baseline
    expect(tls.counts.tls_sni).toEqual({'pbx.test': 6})
    expect(Object.keys(tls.counts.tls_versions).sort()).toEqual(['TLS 1.2', 'TLS 1.3'])
    const gap = (await runBaseline({files: ['samples/http/midstream-gap.pcap.gz']})).baseline
    expect(gap.counts.anomalies).toEqual({'http.no_response': 1, 'tcp.gap': 1})
  })
})

describe('diff', () => {
  it('finds nothing between a capture and itself, or the same traffic from another client port', () => {
    expect(diffBaselines(good, good)).toEqual([])
    expect(diffBaselines(good, moved)).toEqual([])
    expect(diffTable([], parseThresholds([]))).toBe('no differences beyond the thresholds\n')
  })

  it('reports what appeared and moved in a modified capture, as regressions', () => {
    const d = diffBaselines(good, bad)
    const brief = d.map((x) => `${x.regression ? 'R' : '-'} ${x.section} ${x.change} ${x.key} ${x.before} ${x.after}`)
    expect(brief).toEqual([
      'R protocols count http 22 25',
      'R endpoints count http 10.1.0.2:80 22 25',
      'R endpoint_errors appeared http 10.1.0.2:80 null 2',
      'R http_status count 200 22 23',
      'R http_status appeared 503 null 2',
      'R routes appeared http 10.1.0.2:80 GET /admin null 2000000',
      'R routes appeared http 10.1.0.2:80 GET /pay null 2000000',
      'R routes latency http 10.1.0.2:80 GET /search 11000000 1201000000',
    ])
    const table = diffTable(d, parseThresholds([]))
    expect(table).toContain('REGRESSION  routes           p95 +10818%')
    expect(table.trimEnd().split('\n').at(-1)).toBe('8 differences, 8 regressions')
  })

  it('moves with the thresholds: counts, latency, floor, metric, new endpoints', () => {
    const t = (...items: string[]) => diffBaselines(good, bad, parseThresholds(items))
    // Counts that moved by 3 or less are no longer differences.
    expect(t('count=3').map((x) => x.change)).toEqual(['appeared', 'appeared', 'appeared', 'appeared', 'latency'])
    // Per section: only endpoints tolerate a change of 3.
    expect(t('count.endpoints=3').some((x) => x.section === 'endpoints')).toBe(false)
    expect(t('count.endpoints=3').some((x) => x.section === 'protocols')).toBe(true)
    // A relative latency change of 200x is tolerated; so is anything under a 2 s floor.
    expect(t('latency=200').some((x) => x.change === 'latency')).toBe(false)
    expect(t('latency_floor=2s').some((x) => x.change === 'latency')).toBe(false)
    expect(t('latency_metric=p50').find((x) => x.change === 'latency')?.after).toBe(1201000000)
    // New routes are listed but are not regressions with new_endpoints=ignore.
    const ignore = t('new_endpoints=ignore').filter((x) => x.section === 'routes' && x.change === 'appeared')
    expect(ignore.map((x) => x.regression)).toEqual([false, false])
  })

  it('does not call an improvement a regression', () => {
    const d = diffBaselines(bad, good)
    const errs = d.filter((x) => x.section === 'http_status' && x.key === '503' || x.section === 'endpoint_errors')
    expect(errs.map((x) => [x.change, x.regression])).toEqual([['disappeared', false], ['disappeared', false]])
    const faster = d.find((x) => x.change === 'latency')
    expect(faster).toMatchObject({key: 'http 10.1.0.2:80 GET /search', regression: false})
  })

  it('rejects bad thresholds naming the item', () => {
    expect(() => parseThresholds(['latency=x'])).toThrow('--threshold latency=x: expected a number >= 0')
    expect(() => parseThresholds(['count.nope=1'])).toThrow('unknown section "nope"')
    expect(() => parseThresholds(['latency_metric=p42'])).toThrow('expected one of p50, p90, p95, p99, max')
    expect(() => parseThresholds(['speed=1'])).toThrow('unknown threshold')
  })

  it('keeps a second server apart and reports it as a new endpoint', async () => {
    const c = new TcpConversation({client: '10.1.0.1', server: '10.9.9.9', clientPort: 40002, serverPort: 8080})
    c.handshake()
    c.send('client', 'GET /x HTTP/1.1\r\nHost: new\r\n\r\n')
    c.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
    c.close()
    const other = await baselineOf(pcapFile(c.frames), 'other.pcap')
    const d = diffBaselines(good, other, parseThresholds(['new_endpoints=ignore']))
    expect(d.find((x) => x.section === 'endpoints' && x.key === 'http 10.9.9.9:8080')).toMatchObject({change: 'appeared', regression: false})
    expect(d.find((x) => x.section === 'endpoints' && x.key === 'http 10.1.0.2:80')).toMatchObject({change: 'disappeared', regression: true})
  })
})
