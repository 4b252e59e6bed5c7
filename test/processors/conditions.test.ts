import {describe, expect, it} from 'vitest'
import {compileConditionStandalone as cc, NAMED_NETWORKS} from '../../src/processors/conditions.js'
import {accessorOf, getPath} from '../../src/processors/path.js'
import {ProcessorConfigError} from '../../src/processors/types.js'
import {tryParseIp} from '../../src/util/ip.js'
import {sampleEvents} from './samples.js'

const nginx = sampleEvents('http/nginx.ndjson')
const dns = sampleEvents('dns/dnsmasq.ndjson')
const count = (cond: unknown, evs = nginx) => evs.filter((e) => cc(cond, 'when')(accessorOf(e))).length

describe('conditions on the nginx sample (7 x 200, 1 x 304, 5 x 404)', () => {
  it('equals on numbers, strings and several fields', () => {
    expect(count({equals: {'http.response.status_code': 200}})).toBe(7)
    expect(count({equals: {'http.response.status_code': '200'}})).toBe(0) // a string never equals a number
    expect(count({equals: {type: 'http', 'http.response.status_code': 404}})).toBe(5)
    expect(count({equals: {status: 'Error'}})).toBe(5)
  })
  it('range with lt/lte/gt/gte', () => {
    expect(count({range: {'http.response.status_code.gte': 200, 'http.response.status_code.lt': 300}})).toBe(7)
    expect(count({range: {'http.response.status_code.gt': 300}})).toBe(6)
    expect(count({range: {'http.response.status_code.lte': 304, 'event.duration.gte': 0}})).toBe(8)
  })
  it('contains and regexp (RE2, unanchored)', () => {
    expect(count({contains: {'url.path': 'missing'}})).toBeGreaterThan(0)
    expect(count({regexp: {'url.path': '\\.(json|html)$'}})).toBe(nginx.filter((e) => /\.(json|html)$/.test(String((e.url as {path: string}).path))).length)
    expect(count({regexp: {'http.response.mime_type': '^text/'}})).toBe(nginx.filter((e) => String(getPath(e, 'http.response.mime_type') ?? '').startsWith('text/')).length)
  })
  it('has_fields, and, or, not', () => {
    expect(count({has_fields: ['http.response.status_code', 'user_agent.original']})).toBe(nginx.filter((e) => e.user_agent !== undefined).length)
    expect(count({has_fields: ['http.response.status_code']})).toBe(13)
    expect(count({has_fields: ['http.request.headers']})).toBe(0)
    expect(count({not: {equals: {'http.response.status_code': 200}}})).toBe(6)
    expect(count({or: [{equals: {'http.response.status_code': 304}}, {equals: {'http.response.status_code': 404}}]})).toBe(6)
    expect(count({and: [{equals: {type: 'http'}}, {not: {has_fields: ['http.response.status_code']}}]})).toBe(0)
  })
  it('arrays match when one element does (dns.resolved_ip, event.category)', () => {
    expect(count({equals: {'event.category': 'network'}})).toBe(13)
    const withIp = dns.filter((e) => Array.isArray(getPath(e, 'dns.resolved_ip'))).length
    expect(withIp).toBeGreaterThan(0)
    expect(count({network: {'dns.resolved_ip': ['0.0.0.0/0', '::/0']}}, dns)).toBe(withIp)
  })
  it('network: CIDR and named classes', () => {
    expect(count({network: {'source.ip': 'loopback'}})).toBe(13)
    expect(count({network: {'source.ip': '127.0.0.0/8'}})).toBe(13)
    expect(count({network: {'source.ip': ['10.0.0.0/8', 'private']}})).toBe(0)
    expect(count({network: {'source.ip': 'public'}})).toBe(0)
  })
  it('legacy names resolve to ECS fields and warn once each', () => {
    const warnings: string[] = []
    const c = cc({and: [{equals: {'http.response.code': 404}}, {range: {'http.response.code.gte': 400, 'responsetime.gte': 0}}]}, 'processors[0].drop_event.when', (m) => warnings.push(m))
    expect(nginx.filter((e) => c(accessorOf(e))).length).toBe(5)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toContain('"http.response.status_code"')
    expect(warnings[1]).toContain('event.duration / 1e6')
  })
  it('responsetime is event.duration in milliseconds', () => {
    // The first nginx event lasts 687000 ns = 0.687 ms.
    expect(cc({range: {'responsetime.gt': 0.686, 'responsetime.lt': 0.688}}, 'w')(accessorOf(nginx[0]))).toBe(true)
    expect(cc({range: {'http.response.time.gte': 1}}, 'w')(accessorOf(nginx[0]))).toBe(false)
  })
})

describe('network classes as Beats (Go net.IP) defines them', () => {
  const is = (cls: string, ip: string) => {
    const p = tryParseIp(ip)!
    return NAMED_NETWORKS.get(cls)!(p.version, p.words)
  }
  it.each([
    ['loopback', '127.1.2.3', true],
    ['loopback', '::1', true],
    ['loopback', '10.0.0.1', false],
    ['private', '10.1.1.1', true],
    ['private', '172.31.255.255', true],
    ['private', '172.32.0.1', false],
    ['private', '192.168.0.1', true],
    ['private', 'fd12::1', true],
    ['public', '8.8.8.8', true],
    ['public', '2001:4860::8888', true],
    ['public', '192.168.1.1', false],
    ['public', '169.254.1.1', false],
    ['public', '255.255.255.255', false],
    ['multicast', '224.0.0.251', true],
    ['multicast', 'ff02::fb', true],
    ['link_local_unicast', '169.254.3.4', true],
    ['link_local_unicast', 'fe80::1', true],
    ['link_local_multicast', '224.0.0.1', true],
    ['link_local_multicast', '224.0.1.1', false],
    ['interface_local_multicast', 'ff01::1', true],
    ['unspecified', '0.0.0.0', true],
    ['unspecified', '::', true],
    ['unicast', '8.8.8.8', true],
    ['unicast', '10.0.0.1', true],
    ['unicast', '127.0.0.1', false],
    ['unicast', '255.255.255.255', false],
    ['link_local', 'fe80::1', true],
  ])('%s %s -> %s', (cls, ip, want) => {
    expect(is(cls, ip)).toBe(want)
  })
  it('IPv4-mapped IPv6 counts as IPv4', () => {
    expect(cc({network: {ip: '10.0.0.0/8'}}, 'w')(accessorOf({ip: '::ffff:10.1.2.3'}))).toBe(false) // `ip` is legacy: server.ip
    expect(cc({network: {'server.ip': '10.0.0.0/8'}}, 'w')(accessorOf({server: {ip: '::ffff:10.1.2.3'}}))).toBe(true)
  })
})

describe('condition config errors name the path', () => {
  const err = (cfg: unknown) => {
    try {
      cc(cfg, 'processors[1].drop_event.when')
    } catch (e) {
      expect(e).toBeInstanceOf(ProcessorConfigError)
      return (e as Error).message
    }
    throw new Error('no error')
  }
  it.each([
    [{range: {'http.response.status_code.gte': 'x'}}, 'processors[1].drop_event.when.range: "http.response.status_code.gte" must be a number, got "x"'],
    [{range: {'http.response.status_code': 5}}, 'processors[1].drop_event.when.range: "http.response.status_code" must be FIELD.lt'],
    [{regexp: {'url.path': '(a'}}, 'processors[1].drop_event.when.regexp.url.path: invalid RE2'],
    [{regexp: {'url.path': '(a)\\1'}}, 'invalid RE2'],
    [{network: {'source.ip': '10.0.0.0/33'}}, 'processors[1].drop_event.when.network.source.ip: "10.0.0.0/33" is neither a CIDR'],
    [{network: {'source.ip': ['private', 'nowhere']}}, 'network.source.ip[1]'],
    [{equals: {a: 1}, contains: {b: 'x'}}, 'a condition has exactly one key, got equals, contains'],
    [{equls: {a: 1}}, 'unknown condition "equls"'],
    [{and: []}, 'processors[1].drop_event.when.and: expected a non-empty list'],
    [{or: [{equals: {a: {}}}]}, 'processors[1].drop_event.when.or[0].equals.a: expected a number, string or boolean'],
    [{has_fields: [1]}, 'has_fields: expected a list of field names'],
    ['x', 'a condition must be a mapping'],
  ])('%j', (cfg, msg) => {
    expect(err(cfg)).toContain(msg)
  })
})

describe('regexp runs in linear time', () => {
  it('a pattern that backtracks catastrophically in JavaScript RegExp is fast', () => {
    const c = cc({regexp: {'url.path': '^(a+)+$'}}, 'w')
    const ev = accessorOf({url: {path: 'a'.repeat(5000) + '!'}})
    const t0 = performance.now()
    expect(c(ev)).toBe(false)
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})
