import {describe, expect, it} from 'vitest'
import {compileConditionStandalone} from '../../src/processors/conditions.js'
import {accessorOf} from '../../src/processors/path.js'
import {compileWhere, parseWhere, WhereSyntaxError} from '../../src/processors/where.js'
import {allSampleEvents} from './samples.js'

const events = allSampleEvents()

describe('--where parses to the YAML condition form', () => {
  it.each([
    ['http.response.status_code >= 500 and type == "http"', {and: [{range: {'http.response.status_code.gte': 500}}, {equals: {type: 'http'}}]}],
    ['type == http', {equals: {type: 'http'}}],
    ["status != 'OK'", {not: {equals: {status: 'OK'}}}],
    ['has http.request.headers', {has_fields: ['http.request.headers']}],
    ['has a, b.c', {has_fields: ['a', 'b.c']}],
    ['source.ip in 10.0.0.0/8, private', {network: {'source.ip': ['10.0.0.0/8', 'private']}}],
    ['source.ip in (fd00::/8, loopback) and x < 3', {and: [{network: {'source.ip': ['fd00::/8', 'loopback']}}, {range: {'x.lt': 3}}]}],
    ['network in 10.0.0.0/8', {or: [{network: {'source.ip': ['10.0.0.0/8']}}, {network: {'destination.ip': ['10.0.0.0/8']}}]}],
    ['url.path ~ "^/api/" or query contains "SELECT"', {or: [{regexp: {'url.path': '^/api/'}}, {contains: {query: 'SELECT'}}]}],
    ['not (a == 1 or b == 2) and c == true', {and: [{not: {or: [{equals: {a: 1}}, {equals: {b: 2}}]}}, {equals: {c: true}}]}],
    ['!a == -1.5 && b <= 2e3 || c > 0', {or: [{and: [{not: {equals: {a: -1.5}}}, {range: {'b.lte': 2000}}]}, {range: {'c.gt': 0}}]}],
    ['@timestamp == "x\\"y"', {equals: {'@timestamp': 'x"y'}}],
  ])('%s', (src, cfg) => {
    expect(parseWhere(src)).toEqual(cfg)
  })
})

describe('--where selects the same events as the YAML form', () => {
  it.each([
    ['http.response.status_code >= 400 and type == "http"', {and: [{range: {'http.response.status_code.gte': 400}}, {equals: {type: 'http'}}]}],
    ['type == dns or type == icmp', {or: [{equals: {type: 'dns'}}, {equals: {type: 'icmp'}}]}],
    ['network in loopback and not type == redis', {and: [{network: {'source.ip': 'loopback'}}, {not: {equals: {type: 'redis'}}}]}],
    ['has mysql.error_code or status != "OK"', {or: [{has_fields: ['mysql.error_code']}, {not: {equals: {status: 'OK'}}}]}],
  ])('%s', (src, cfg) => {
    const a = compileWhere(src, () => {})
    const b = compileConditionStandalone(cfg, 'when')
    const picked = events.filter((e) => a(accessorOf(e)))
    expect(picked.length).toBeGreaterThan(0)
    expect(picked.length).toBeLessThan(events.length)
    expect(picked).toEqual(events.filter((e) => b(accessorOf(e))))
  })
  it('legacy names warn as in the YAML form', () => {
    const w: string[] = []
    const c = compileWhere('http.response.code == 404', (m) => w.push(m))
    expect(events.filter((e) => c(accessorOf(e)))).toHaveLength(6) // nginx 5 + ipv6-vlan-chunked 1
    expect(w).toEqual(['--where.equals: "http.response.code" is a legacy Packetbeat field name; pbx reads the ECS field "http.response.status_code"'])
  })
})

describe('--where errors point at the column', () => {
  const err = (src: string) => {
    try {
      compileWhere(src, () => {})
    } catch (e) {
      return e as WhereSyntaxError
    }
    throw new Error('no error')
  }
  it.each([
    ['http.response.status_code 500', 26, 'expected an operator after "http.response.status_code"'],
    ['a == 1 and', 10, 'expected a field name, found the end'],
    ['a = 1', 2, 'use "=="'],
    ['(a == 1', 7, 'expected ")" to close the "(" at column 1'],
    ['a == 1)', 6, 'unbalanced ")"'],
    ['a == "x', 5, 'unterminated string'],
    ['a < "x"', 4, 'expected a number'],
    ['a ~ x', 4, 'expected a quoted string'],
    ['', 0, 'empty condition'],
    ['and == 1', 0, 'found the keyword "and"'],
    ['a in', 4, 'expected a network'],
  ])('%j', (src, col, reason) => {
    const e = err(src)
    expect(e).toBeInstanceOf(WhereSyntaxError)
    expect(e.column).toBe(col)
    expect(e.message).toContain(reason)
    const lines = e.message.split('\n')
    expect(lines[1]).toBe(`  ${src}`)
    expect(lines[2]).toBe(`  ${' '.repeat(col)}^`)
  })
  it('a bad CIDR is a config error naming --where', () => {
    expect(() => compileWhere('source.ip in 10.0.0.0/99', () => {})).toThrow('--where.network.source.ip[0]: "10.0.0.0/99" is neither a CIDR')
  })
})
