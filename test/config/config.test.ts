import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import {buildEffectiveConfig, ConfigError, type EffectiveConfig, formatEffectiveConfig, loadConfig, loadEffectiveConfig, parseLimitFlags} from '../../src/config/index.js'
import type {PbxEvent} from '../../src/event/build.js'
import {DEFAULT_LIMITS} from '../../src/limits.js'
import {type ProcessorCounters, runChainOn} from '../../src/processors/index.js'
import {getPath} from '../../src/processors/path.js'
import {allSampleEvents, sampleEvents} from '../processors/samples.js'
import {protocols} from '../../src/protocols/registry.js'

const fx = (name: string) => path.join(import.meta.dirname, 'fixtures', name)
const yaml = (text: string, counters?: ProcessorCounters) => buildEffectiveConfig(parse(text), 'x.yml', {counters})
const enabled = (c: EffectiveConfig) => Object.entries(c.protocols).filter(([, p]) => p.enabled).map(([n]) => n).sort()
const errorOf = (text: string) => {
  try {
    yaml(text)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as Error).message
  }
  throw new Error('no error')
}

describe('the reference packetbeat.yml layout', () => {
  const c = loadEffectiveConfig(fx('reference.yml'))
  it('reads interfaces, flows, protocols, fields, tags, outputs', () => {
    expect(c.interfaces).toEqual({device: 'any', snaplen: 65535, type: 'af_packet', buffer_size_mb: 100, bpf_filter: 'tcp port 80 or udp port 53'})
    expect(c.flows).toMatchObject({enabled: true, timeoutSec: 30, periodSec: 10})
    expect(enabled(c)).toEqual(['amqp', 'cassandra', 'dhcpv4', 'dns', 'http', 'icmp', 'memcache', 'mongodb', 'mysql', 'nfs', 'pgsql', 'redis', 'sip', 'thrift', 'tls'])
    expect(c.protocols.thrift.ports).toEqual([9090])
    expect(c.protocols.http.ports).toEqual([80, 8080, 8000, 5000, 8002])
    expect(c.protocols.http.options).toEqual({send_headers: ['User-Agent', 'Host'], hide_keywords: ['pass', 'password', 'passwd']})
    expect(c.protocols.mysql.ports).toEqual([3306, 3307])
    expect(c.tags).toEqual(['service-X', 'web-tier'])
    expect(c.fields).toEqual({env: 'staging'})
    expect(c.outputs).toEqual({elasticsearch: {hosts: ['localhost:9200'], preset: 'balanced', protocol: 'https', api_key: 'id:api_key', username: 'elastic', password: 'changeme'}})
    expect(c.limits).toEqual(DEFAULT_LIMITS)
  })
  it('names every unsupported key in one warning and lists ignored service keys', () => {
    expect(c.warnings).toHaveLength(1)
    expect(c.warnings[0]).toBe(
      `config ${fx('reference.yml')}: not supported, ignored: ` +
        'processors[0].else[0].add_host_metadata (processor add_host_metadata), processors[1].detect_mime_type (processor detect_mime_type), ' +
        'processors[2].detect_mime_type (processor detect_mime_type)',
    )
    expect(c.ignored).toEqual(['setup.template', 'setup.dashboards', 'setup.kibana', 'logging.level', 'logging.selectors', 'monitoring.enabled'])
    expect(c.notes[0]).toContain('packetbeat.interfaces is used by live capture')
  })
  it('the top-level chain adds fields and tags and runs the if/then/else', () => {
    const ev: PbxEvent = {...sampleEvents('http/nginx.ndjson')[0], host: {name: 'h'}}
    expect(runChainOn(c.processors, ev)).toBe(true)
    expect(ev.fields).toEqual({env: 'staging'})
    expect(ev.tags).toEqual(['service-X', 'web-tier'])
    expect(ev.host).toEqual({name: 'h'}) // not "forwarded": the else branch (skipped processor) ran
    const fwd: PbxEvent = {...sampleEvents('http/nginx.ndjson')[0], host: {name: 'h'}, tags: ['forwarded']}
    runChainOn(c.processors, fwd)
    expect(fwd.host).toBeUndefined()
  })
  it('prints the effective configuration with secrets redacted', () => {
    const text = formatEffectiveConfig(c)
    expect(text).toContain('api_key: <redacted>')
    expect(text).toContain('password: <redacted>')
    expect(text).not.toContain('changeme')
    expect(text).not.toContain('id:api_key')
    expect(text).toContain('username: elastic')
    expect(text).toContain('ports: [ 80, 8080, 8000, 5000, 8002 ]')
    expect(text).toContain('maxConnections: 100000')
    const back = parse(text)
    expect(back.protocols.http.enabled).toBe(true)
    expect(back.flows).toEqual({enabled: true, timeout: '30s', period: '10s'})
    expect(Object.keys(back.protocols).sort()).toEqual(protocols.map((p) => p.name).sort())
  })
})

describe('per-protocol options and processors', () => {
  const c = loadEffectiveConfig(fx('per-protocol.yml'))
  it('normalises the options of each protocol', () => {
    expect(c.protocols.http.options).toEqual({
      send_request: true,
      send_response: false,
      include_body_for: ['application/json'],
      split_cookie: true,
      real_ip_header: 'X-Forwarded-For',
      redact_authorization: true,
      redact_headers: ['Cookie'],
      max_message_size: 1048576,
      transaction_timeout: 5,
    })
    expect(c.protocols.dns.options).toEqual({include_authorities: true, include_additionals: true})
    expect(c.protocols.mysql.options).toEqual({max_rows: 10, max_row_length: 1024})
    expect(c.protocols.redis).toMatchObject({enabled: false, options: {queue_max_bytes: 1048576, queue_max_messages: 20000}})
    expect(c.protocols.tls.options).toEqual({send_certificates: false, include_raw_certificates: true, fingerprints: ['sha1', 'sha256']})
    expect(c.protocols.mongodb.options).toEqual({max_docs: 5, max_doc_length: 100})
    expect(c.protocols.pgsql.options).toEqual({max_rows: 3})
    expect(enabled(c)).toEqual(['dns', 'http', 'mongodb', 'mysql', 'pgsql', 'tls']) // Packetbeat: only listed protocols; redis disabled
    expect(c.limits.maxConnections).toBe(5000)
    expect(c.limitOverrides).toEqual({maxConnections: 5000})
  })
  it('warns once for the unknown option and once for the legacy field', () => {
    expect(c.warnings).toEqual([
      `config ${fx('per-protocol.yml')}: not supported, ignored: packetbeat.protocols[5].no_such_option`,
      'packetbeat.protocols[0].processors[0].drop_event.when.equals: "http.response.code" is a legacy Packetbeat field name; pbx reads the ECS field "http.response.status_code"',
    ])
  })
  it('runs the protocol chain (fields, tags, processors) then the top-level chain on nginx events', () => {
    const kept = sampleEvents('http/nginx.ndjson').filter((e) => runChainOn(c.protocols.http.processors, e) && runChainOn(c.processors, e))
    expect(kept).toHaveLength(12) // the one 304 is dropped
    for (const e of kept) {
      expect(e.fields).toEqual({team: 'web'})
      expect(e.tags).toEqual(['http-tier'])
      expect(e.checked).toBe(true)
      expect(e.user_agent).toBeUndefined()
    }
    const dns = sampleEvents('dns/dnsmasq.ndjson').filter((e) => runChainOn(c.protocols.dns.processors, e))
    expect(dns.every((e) => (e.tags as string[])[0] === 'dns')).toBe(true)
  })
  it('loadConfig keeps the shape analyze.ts reads', () => {
    const old = loadConfig(fx('per-protocol.yml'))
    expect(old.limits).toEqual({maxConnections: 5000})
    expect(old.protocols.redis.enabled).toBe(false)
    expect(old.protocols.http).toMatchObject({enabled: true, ports: [80, 18080], send_request: true, include_body_for: ['application/json']})
    expect(old.protocols.icmp).toEqual({enabled: false})
    expect(loadConfig(undefined).protocols.http).toEqual({enabled: true})
  })
})

describe('flows', () => {
  const c = loadEffectiveConfig(fx('flows.yml'))
  it('reads enabled, timeout, period -1 and the flow chain', () => {
    expect(c.flows).toMatchObject({enabled: true, timeoutSec: 60, periodSec: 0, tags: ['flow']})
    expect(c.flows.processors).toHaveLength(2) // add_tags + drop_event
    expect(c.outputs).toEqual({console: {pretty: true}})
    expect(c.warnings).toEqual([])
    expect(enabled(c)).toEqual(['dns'])
    const local = {type: 'flow', source: {ip: '10.1.2.3'}}
    const remote = {type: 'flow', source: {ip: '8.8.8.8'}}
    expect(runChainOn(c.flows.processors, local)).toBe(false)
    expect(runChainOn(c.flows.processors, remote)).toBe(true)
    expect(remote).toEqual({type: 'flow', source: {ip: '8.8.8.8'}, tags: ['flow']})
    expect(formatEffectiveConfig(c)).toContain('period: -1')
  })
  it('no flows section: flows off; enabled: off turns them off', () => {
    expect(yaml('packetbeat.protocols: [{type: http}]').flows.enabled).toBe(false)
    expect(yaml('packetbeat.flows: {enabled: off}').flows.enabled).toBe(false)
    expect(yaml('packetbeat.flows:').flows).toMatchObject({enabled: true, timeoutSec: 30, periodSec: 10})
  })
})

describe('the design document configuration', () => {
  it('selects http, keeps the elasticsearch output raw, and gives response_time to exactly the 2xx HTTP events', () => {
    const counters: ProcessorCounters = {}
    const c = loadEffectiveConfig(fx('design.yml'), {counters})
    expect(enabled(c)).toEqual(['http'])
    expect(c.outputs).toEqual({elasticsearch: {hosts: ['localhost:9200']}})
    expect(c.warnings).toHaveLength(2)
    expect(c.warnings[0]).toContain('"http.response.code" is a legacy Packetbeat field name; pbx reads the ECS field "http.response.status_code"')
    expect(c.warnings[1]).toContain('"http.response.time" is a legacy Packetbeat field; pbx computes it as event.duration / 1e6 (milliseconds)')
    let with2xx = 0
    for (const ev of allSampleEvents()) {
      const code = getPath(ev, 'http.response.status_code') as number | undefined
      const is2xx = ev.type === 'http' && code !== undefined && code >= 200 && code < 300
      runChainOn(c.protocols[ev.type as string]?.processors ?? [], ev)
      runChainOn(c.processors, ev)
      if (is2xx) {
        with2xx++
        expect(ev.response_time).toBe((getPath(ev, 'event.duration') as number) / 1e6)
      } else expect(ev).not.toHaveProperty('response_time')
    }
    expect(with2xx).toBe(10)
    expect(counters).toEqual({})
  })
})

describe('values and keys', () => {
  it.each([
    ['packetbeat.protocols: [{type: http, enabled: maybe}]', 'config x.yml: packetbeat.protocols[0].enabled: expected a boolean (true/false, yes/no, on/off), got "maybe"'],
    ['packetbeat.protocols: [{type: http, ports: [80, 70000]}]', 'packetbeat.protocols[0].ports: expected a list of port numbers (0..65535), got [80,70000]'],
    ['packetbeat.protocols: [{type: htpp}]', 'packetbeat.protocols[0].type: unknown protocol "htpp"; pbx analyses http, http2, dns'],
    ['packetbeat.protocols: {http: 5}', 'packetbeat.protocols.http: expected a mapping of protocol options, got 5'],
    ['packetbeat.protocols: [{type: http, transaction_timeout: soon}]', 'packetbeat.protocols[0].transaction_timeout: expected a duration such as 10s'],
    ['packetbeat.protocols: [{type: mysql, max_rows: lots}]', 'packetbeat.protocols[0].max_rows: expected an integer, got "lots"'],
    ['packetbeat.protocols: [{type: http, hide_keywords: 3}]', 'packetbeat.protocols[0].hide_keywords: expected a list of strings, got 3'],
    ['packetbeat.protocols: [{type: http, send_all_headers: 1}]', 'send_all_headers: expected a boolean'],
    ['packetbeat.flows: {timeout: forever}', 'packetbeat.flows.timeout: expected a duration'],
    ['packetbeat.inputs: [{type: sniffer, protocols: [http, foo]}]', 'packetbeat.inputs[0].protocols: unknown protocol "foo"'],
    ['packetbeat.inputs: [{type: pcap_file}]', 'packetbeat.inputs[0].type: expected "sniffer", got "pcap_file"'],
    ['limits: {maxConnections: many}', 'limits.maxConnections: expected a non-negative number, got "many"'],
    ['limits: {maxConections: 5}', 'limits.maxConections: unknown limit'],
    ['processors: [{drop_event: {when: {range: {http.response.status_code.gte: x}}}}]', 'config x.yml: processors[0].drop_event.when.range: "http.response.status_code.gte" must be a number, got "x"'],
    ['packetbeat.protocols: [{type: http, processors: [{rename: {fields: [{from: a}]}}]}]', 'packetbeat.protocols[0].processors[0].rename.fields[0].to: is required'],
    ['fields_under_root: sometimes', 'fields_under_root: expected a boolean'],
    ['- a', '(top level): expected a mapping'],
  ])('%s', (text, msg) => {
    expect(errorOf(text)).toContain(msg)
  })
  it('YAML 1.1 booleans', () => {
    for (const [v, want] of [['yes', true], ['no', false], ['on', true], ['off', false], ['true', true], ['False', false], ['"yes"', true]] as const) {
      expect(yaml(`protocols: {redis: {enabled: ${v}}}`).protocols.redis.enabled).toBe(want)
    }
  })
  it('pbx map form: every protocol on unless disabled; options validated too', () => {
    const c = yaml('protocols:\n  redis: {enabled: false}\n  http: {send_headers: true, include_body_for: [text/html], bogus: 1}')
    // every registered protocol but the disabled redis
    expect(enabled(c)).toEqual(protocols.map((p) => p.name).filter((n) => n !== 'redis').sort())
    expect(enabled(c)).toContain('starttls')
    expect(c.protocols.http.options).toEqual({send_headers: true, include_body_for: ['text/html']})
    expect(c.warnings).toEqual(['config x.yml: not supported, ignored: protocols.http.bogus'])
  })
  it('dotted and nested spellings are the same', () => {
    const a = yaml('packetbeat.flows.timeout: 5s\npacketbeat.interfaces.device: eth1\noutput.file.path: /tmp/x')
    const b = yaml('packetbeat:\n  flows: {timeout: 5s}\n  interfaces: {device: eth1}\noutput: {file: {path: /tmp/x}}')
    expect(a.flows).toEqual(b.flows)
    expect(a.interfaces).toEqual({device: 'eth1'})
    expect(a.outputs).toEqual(b.outputs)
  })
  it('packetbeat.inputs protocols intersect with packetbeat.protocols', () => {
    const c = yaml('packetbeat.inputs: [{type: sniffer, protocols: [http, dns]}]\npacketbeat.protocols: [{type: http}, {type: tls}]')
    expect(enabled(c)).toEqual(['http'])
  })
  it('outputs other than the supported ones warn "not supported yet"; all are kept raw', () => {
    const c = yaml('output.kafka: {hosts: [k:9092]}\npacketbeat.output.clickhouse: {url: "http://u:secret@ch:8123"}')
    expect(c.outputs).toEqual({kafka: {hosts: ['k:9092']}, clickhouse: {url: 'http://u:secret@ch:8123'}})
    expect(c.warnings).toEqual(['output.kafka: output type "kafka" is not supported yet (pbx writes elasticsearch, clickhouse, file, console, duckdb, parquet); it is ignored'])
    const text = formatEffectiveConfig(c)
    expect(text).toContain('url: http://u:<redacted>@ch:8123')
    expect(text).not.toContain('secret')
  })
  it('unknown keys anywhere are named with their full path, in one warning', () => {
    const c = yaml('foo: {bar: 1, baz: {q: 2}}\npacketbeat.nonsense: 1\npacketbeat.interfaces: {device: any, turbo: true}\npacketbeat.flows: {enabled: true, colour: red}\npacketbeat.procs: {enabled: false}\nname: sensor-1\nqueue.mem.events: 4096')
    expect(new Set(c.unsupported)).toEqual(new Set(['packetbeat.interfaces.turbo', 'foo.bar', 'foo.baz.q', 'packetbeat.nonsense', 'packetbeat.flows.colour']))
    expect(c.warnings).toHaveLength(1)
    for (const k of c.unsupported) expect(c.warnings[0]).toContain(k)
    expect(c.ignored).toEqual(['name', 'queue.mem', 'packetbeat.procs'])
  })
  it('top-level fields_under_root puts fields at the root', () => {
    const c = yaml('fields: {site: lab}\nfields_under_root: true')
    const ev = {type: 'http'} as Record<string, unknown>
    runChainOn(c.processors, ev)
    expect(ev.site).toBe('lab')
  })
  it('no file: the defaults', () => {
    const c = loadEffectiveConfig(undefined)
    expect(enabled(c)).toEqual(protocols.map((p) => p.name).sort())
    expect(c.warnings).toEqual([])
    expect(formatEffectiveConfig(c)).toContain('(defaults)')
  })
  it('unreadable and invalid files', () => {
    expect(() => loadEffectiveConfig('/nonexistent/p.yml')).toThrow('cannot read config /nonexistent/p.yml')
    expect(() => loadEffectiveConfig(fx('../config.test.ts'))).toThrow(ConfigError)
  })
  it('parseLimitFlags', () => {
    expect(parseLimitFlags(['maxConnections=10'])).toEqual({maxConnections: 10})
    expect(() => parseLimitFlags(['x'])).toThrow('--limit expects name=number, got "x"')
  })
})

describe('cassandra options', () => {
  it('reads Packetbeat cassandra options with their types', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pbx-cql-'))
    const f = path.join(dir, 'c.yml')
    writeFileSync(f, 'packetbeat.protocols:\n- type: cassandra\n  ports: [9042, 19042]\n  send_request_header: false\n  compressor: snappy\n  ignored_ops: [OPTIONS, REGISTER]\n')
    const c = loadEffectiveConfig(f)
    expect(c.protocols.cassandra.ports).toEqual([9042, 19042])
    expect(c.protocols.cassandra.options).toEqual({send_request_header: false, compressor: 'snappy', ignored_ops: ['OPTIONS', 'REGISTER']})
    expect(c.warnings).toEqual([])
  })
})
