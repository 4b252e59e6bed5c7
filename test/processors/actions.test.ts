import {describe, expect, it} from 'vitest'
import type {PbxEvent} from '../../src/event/build.js'
import {compileProcessors, ProcessorConfigError, runChainOn} from '../../src/processors/index.js'
import {accessorOf, getPath} from '../../src/processors/path.js'
import {communityIdFromStrings} from '../../src/util/community-id.js'
import {sampleEvents} from './samples.js'

const nginx = () => sampleEvents('http/nginx.ndjson')
const chain = (list: unknown, warn: (m: string) => void = () => {}, opts = {}) => compileProcessors(list, 'processors', warn, opts)
/** Runs a chain over events; returns the kept ones (mutated in place). */
const run = (list: unknown, evs: PbxEvent[], opts = {}) => {
  const c = chain(list, () => {}, opts)
  return evs.filter((e) => runChainOn(c, e))
}

describe('drop_event', () => {
  it('is a filter, and drops the matching events only', () => {
    const c = chain([{drop_event: {when: {range: {'http.response.status_code.gte': 400}}}}])
    expect(c[0].filter).toBeTypeOf('function')
    expect(c[0].apply).toBeUndefined()
    expect(nginx().filter((e) => c[0].filter!(accessorOf(e)))).toHaveLength(8)
  })
  it('without when drops everything', () => {
    expect(run([{drop_event: null}], nginx())).toHaveLength(0)
  })
})

describe('field processors on nginx events', () => {
  it('drop_fields removes fields and empty parents; refuses @timestamp', () => {
    const [ev] = run([{drop_fields: {fields: ['user_agent.original', 'http.request', 'nope'], ignore_missing: true}}], nginx().slice(0, 1))
    expect(ev.user_agent).toBeUndefined()
    expect(getPath(ev, 'http.request')).toBeUndefined()
    expect(getPath(ev, 'http.response.status_code')).toBe(200)
    expect(() => chain([{drop_fields: {fields: ['@timestamp']}}])).toThrow('processors[0].drop_fields.fields: "@timestamp" cannot be dropped')
  })
  it('drop_fields with /regexp/ names matches dotted field names (RE2), never @timestamp or type', () => {
    const [ev] = run([{drop_fields: {fields: ['/^(client|server)\\./', '/^event\\.(start|end)$/', '/^(type|@timestamp)$/']}}], nginx().slice(0, 1))
    expect(ev.client).toBeUndefined()
    expect(ev.server).toBeUndefined()
    expect(ev.event).toEqual({kind: 'event', category: ['network'], type: ['connection', 'protocol'], dataset: 'http', duration: 687000})
    expect(ev.type).toBe('http')
    expect(ev['@timestamp']).toBe('2026-11-28T21:42:17.779233Z')
    expect(getPath(ev, 'source.ip')).toBe('127.0.0.1')
  })
  it('include_fields keeps only the listed fields plus @timestamp and type', () => {
    const [ev] = run([{include_fields: {fields: ['http.response.status_code', 'source.ip']}}], nginx().slice(0, 1))
    expect(ev).toEqual({'@timestamp': '2026-11-28T21:42:17.779233Z', type: 'http', http: {response: {status_code: 200}}, source: {ip: '127.0.0.1'}})
  })
  it('add_fields under a target (default "fields") and at the root', () => {
    const [ev] = run([{add_fields: {fields: {site: 'lab', 'a.b': 1}}}, {add_fields: {target: '', fields: {service: {name: 'web'}}}}, {add_fields: {target: 'http', fields: {extra: true}}}], nginx().slice(0, 1))
    expect(ev.fields).toEqual({site: 'lab', a: {b: 1}})
    expect(ev.service).toEqual({name: 'web'})
    expect(getPath(ev, 'http.extra')).toBe(true)
    expect(getPath(ev, 'http.version')).toBe('1.1') // merged, not replaced
  })
  it('add_tags appends without duplicates; add_labels flattens', () => {
    const [ev] = run([{add_tags: {tags: ['a', 'b']}}, {add_tags: {tags: 'a'}}, {add_tags: {tags: ['x'], target: 'pbx.mine'}}, {add_labels: {labels: {env: 'prod', tier: {level: 2}}}}], nginx().slice(0, 1))
    expect(ev.tags).toEqual(['a', 'b'])
    expect(getPath(ev, 'pbx.mine')).toEqual(['x'])
    expect(ev.labels).toEqual({env: 'prod', 'tier.level': 2})
  })
  it('rename moves a field; a legacy from-name resolves; an existing target fails and is undone', () => {
    const warns: string[] = []
    const c = chain([{rename: {fields: [{from: 'http.response.code', to: 'code'}, {from: 'url.path', to: 'p'}]}}], (m) => warns.push(m))
    const ev = nginx()[0]
    expect(runChainOn(c, ev)).toBe(true)
    expect(ev.code).toBe(200)
    expect(ev.p).toBe('/index.html')
    expect(getPath(ev, 'http.response.status_code')).toBeUndefined()
    expect(warns).toHaveLength(1)
    const ev2 = nginx()[0]
    runChainOn(chain([{rename: {fields: [{from: 'url.path', to: 'p'}, {from: 'method', to: 'query'}]}}]), ev2)
    expect(getPath(ev2, 'url.path')).toBe('/index.html') // undone
    expect(ev2.p).toBeUndefined()
    expect(getPath(ev2, 'error.message')).toBe('processors[0].rename: target field "query" already exists')
    const ev3 = nginx()[0]
    runChainOn(chain([{rename: {fields: [{from: 'url.path', to: 'p'}, {from: 'missing', to: 'x'}], fail_on_error: false}}]), ev3)
    expect(ev3.p).toBe('/index.html') // kept: fail_on_error false
    expect(getPath(ev3, 'error.message')).toContain('field "missing" is missing')
  })
  it('copy_fields copies deeply', () => {
    const [ev] = run([{copy_fields: {fields: [{from: 'http.response', to: 'resp'}]}}], nginx().slice(0, 1))
    expect(ev.resp).toEqual(getPath(ev, 'http.response'))
    expect(ev.resp).not.toBe(getPath(ev, 'http.response'))
  })
  it('convert: types, to, mode rename, failures', () => {
    const [ev] = run(
      [
        {
          convert: {
            fields: [
              {from: 'http.response.status_code', to: 'code_s', type: 'string'},
              {from: 'source.port', type: 'string'},
              {from: 'http.version', to: 'v', type: 'double'},
              {from: 'source.ip', to: 'sip', type: 'ip'},
            ],
          },
        },
        {convert: {fields: [{from: 'code_s', to: 'code_i', type: 'integer'}], mode: 'rename'}},
      ],
      nginx().slice(0, 1),
    )
    expect(ev.code_i).toBe(200)
    expect(ev.code_s).toBeUndefined()
    expect(getPath(ev, 'source.port')).toBe('44778')
    expect(ev.v).toBe(1.1)
    expect(ev.sip).toBe('127.0.0.1')
    const [bad] = run([{convert: {fields: [{from: 'url.path', to: 'n', type: 'long'}]}}], nginx().slice(0, 1))
    expect(bad.n).toBeUndefined()
    expect(getPath(bad, 'error.message')).toContain('cannot convert "/index.html" of "url.path" to long')
    expect(() => chain([{convert: {fields: [{from: 'a', type: 'int'}]}}])).toThrow('processors[0].convert.fields[0].type: expected one of integer')
  })
  it('truncate_fields by bytes (UTF-8 safe) and characters, flags log.flags', () => {
    const ev: PbxEvent = {'@timestamp': 't', type: 'http', a: 'héllo wörld', b: 'héllo'}
    runChainOn(chain([{truncate_fields: {fields: ['a'], max_bytes: 2}}, {truncate_fields: {fields: ['b'], max_characters: 2}}]), ev)
    expect(ev.a).toBe('h') // "é" is two bytes and does not fit
    expect(ev.b).toBe('hé')
    expect(getPath(ev, 'log.flags')).toEqual(['truncated'])
    expect(() => chain([{truncate_fields: {fields: ['a']}}])).toThrow('set exactly one of max_bytes and max_characters')
  })
  it('replace with RE2 and group references', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a replace template, not a JS template
    const [ev] = run([{replace: {fields: [{field: 'url.full', pattern: '^http://([^:/]+):(\\d+)', replacement: 'https://$1'}, {field: 'query', pattern: '(?P<m>[A-Z]+) ', replacement: '${m}:'}]}}], nginx().slice(0, 1))
    expect(getPath(ev, 'url.full')).toBe('https://127.0.0.1/index.html')
    expect(ev.query).toBe('GET:/index.html')
    expect(() => chain([{replace: {fields: [{field: 'a', pattern: '(?=x)'}]}}])).toThrow('processors[0].replace.fields[0].pattern: invalid RE2')
  })
  it('community_id recomputes the sample value, and ICMP from icmp.request', () => {
    for (const ev of [...nginx(), ...sampleEvents('icmp/ping.ndjson'), ...sampleEvents('dns/dnsmasq.ndjson')]) {
      const want = getPath(ev, 'network.community_id')
      runChainOn(chain([{drop_fields: {fields: ['network.community_id']}}, {community_id: null}]), ev)
      expect(getPath(ev, 'network.community_id')).toBe(want)
    }
    const [ev] = run([{community_id: {target: 'cid', seed: 7}}], nginx().slice(0, 1))
    expect(ev.cid).toBe(communityIdFromStrings('127.0.0.1', '127.0.0.1', 6, 44778, 18080, 7))
  })
  it('registered_domain writes the registered domain, eTLD and subdomain from the public suffix list', () => {
    const ev: PbxEvent = {'@timestamp': 't', type: 'dns', dns: {question: {name: 'www.shop.example.co.uk'}}}
    const full = {field: 'dns.question.name', target_field: 'dns.question.registered_domain', target_etld_field: 'dns.question.top_level_domain', target_subdomain_field: 'dns.question.subdomain'}
    runChainOn(chain([{registered_domain: full}]), ev)
    expect(ev.dns).toEqual({question: {name: 'www.shop.example.co.uk', registered_domain: 'example.co.uk', top_level_domain: 'co.uk', subdomain: 'www.shop'}})
    // private suffixes count (github.io), case is kept, a trailing dot is ignored, no subdomain field when there is none
    const ev2: PbxEvent = {'@timestamp': 't', type: 'http', url: {domain: 'Project.GitHub.io.'}}
    runChainOn(chain([{registered_domain: {...full, field: 'url.domain', target_field: 'rd', target_etld_field: 'tld', target_subdomain_field: 'sub'}}]), ev2)
    expect([ev2.rd, ev2.tld, ev2.sub]).toEqual(['Project.GitHub.io', 'GitHub.io', undefined])
  })
  it('registered_domain: missing field and failures are errors unless ignore_missing / ignore_failure', () => {
    const mk = (): PbxEvent => ({'@timestamp': 't', type: 'x', a: 'co.uk', n: 5})
    const err = (opts: Record<string, unknown>) => {
      const ev = mk()
      runChainOn(chain([{registered_domain: {target_field: 'rd', ...opts}}]), ev)
      return [ev.rd, (ev.error as {message?: unknown} | undefined)?.message]
    }
    expect(err({field: 'missing'})).toEqual([undefined, 'processors[0].registered_domain: source field "missing" is missing'])
    expect(err({field: 'missing', ignore_missing: true})).toEqual([undefined, undefined])
    expect(err({field: 'a'})).toEqual([undefined, 'processors[0].registered_domain: no registered domain in "co.uk"'])
    expect(err({field: 'n'})).toEqual([undefined, 'processors[0].registered_domain: source field "n" is not a string (5)'])
    expect(err({field: 'a', ignore_failure: true})).toEqual([undefined, undefined])
    expect(() => chain([{registered_domain: {field: 'a'}}])).toThrow('processors[0].registered_domain.target_field: is required')
    expect(() => chain([{registered_domain: {field: 'a', target_field: 'b', id: 'rd1', when: {has_fields: ['a']}}}])).not.toThrow()
  })
  it('registered_domain uses an injected lookup when one is given', () => {
    const lookup = () => ({registeredDomain: 'x.test', topLevelDomain: 'test', subdomain: 'w'})
    const ev: PbxEvent = {'@timestamp': 't', type: 'x', h: 'anything'}
    runChainOn(chain([{registered_domain: {field: 'h', target_field: 'rd', target_subdomain_field: 's'}}], () => {}, {publicSuffix: lookup}), ev)
    expect([ev.rd, ev.s]).toEqual(['x.test', 'w'])
  })
})

describe('when and if/then/else', () => {
  it('when restricts a mutation', () => {
    const evs = run([{add_tags: {tags: ['err'], when: {equals: {status: 'Error'}}}}], nginx())
    expect(evs.filter((e) => Array.isArray(e.tags))).toHaveLength(5)
  })
  it('if/then/else with mutations', () => {
    // biome-ignore lint/suspicious/noThenProperty: Packetbeat's if/then/else processor config
    const evs = run([{if: {range: {'http.response.status_code.lt': 400}}, then: [{add_fields: {target: '', fields: {ok: true}}}], else: {add_fields: {target: '', fields: {ok: false}}}}], nginx())
    expect(evs.map((e) => e.ok)).toEqual(nginx().map((e) => (getPath(e, 'http.response.status_code') as number) < 400))
  })
  it('if/then/else of filters is itself a filter', () => {
    // biome-ignore lint/suspicious/noThenProperty: Packetbeat's if/then/else processor config
    const c = chain([{if: {equals: {status: 'OK'}}, then: [{drop_event: {when: {equals: {'http.response.status_code': 304}}}}], else: [{drop_event: null}]}])
    expect(c[0].filter).toBeTypeOf('function')
    expect(nginx().filter((e) => c[0].filter!(accessorOf(e)))).toHaveLength(7)
  })
  it('design-document form {type, condition} works for any processor', () => {
    const evs = run([{type: 'add_tags', name: 't', condition: {equals: {status: 'Error'}}, tags: ['e']}], nginx())
    expect(evs.filter((e) => e.tags)).toHaveLength(5)
  })
})

describe('libbeat processors pbx does not implement', () => {
  it('are skipped with a warning naming them, inside if/then/else too', () => {
    const w: string[] = []
    // biome-ignore lint/suspicious/noThenProperty: Packetbeat's if/then/else processor config
    const c = chain([{add_host_metadata: null}, {'if.contains.tags': 'forwarded', then: [{drop_fields: {fields: ['host']}}], else: [{add_cloud_metadata: null}]}], (m) => w.push(m))
    expect(c).toHaveLength(1)
    expect(w).toEqual([
      'processors[0].add_host_metadata (processor add_host_metadata): not supported by pbx; skipped (see docs/packetbeat.md)',
      'processors[1].else[0].add_cloud_metadata (processor add_cloud_metadata): not supported by pbx; skipped (see docs/packetbeat.md)',
    ])
    const tagged = {...nginx()[0], tags: ['forwarded'], host: {name: 'x'}}
    expect(runChainOn(c, tagged)).toBe(true)
    expect(tagged.host).toBeUndefined()
  })
})

describe('nested spellings Beats accepts', () => {
  it('condition fields may be nested mappings', () => {
    const c = chain([{drop_event: {when: {equals: {http: {response: {status_code: 404}}}}}}, {drop_event: {when: {range: {event: {duration: {lt: 100000}}}}}}])
    expect(nginx().filter((e) => runChainOn(c, e)).length).toBe(nginx().filter((e) => getPath(e, 'http.response.status_code') !== 404 && (getPath(e, 'event.duration') as number) >= 100000).length)
  })
})

describe('processor config errors', () => {
  it.each([
    [[{drop_fields: {fields: 'a', ignore_missing: 'maybe'}}], 'processors[0].drop_fields.ignore_missing: expected a boolean (true/false, yes/no, on/off), got "maybe"'],
    [[{add_tags: {tags: ['a']}}, {add_tag: {tags: ['a']}}], 'processors[1].add_tag: unknown processor "add_tag"'],
    [[{rename: {fields: [{from: 'a'}]}}], 'processors[0].rename.fields[0].to: is required'],
    [[{rename: {fields: [{from: 'a', to: 'b'}], bogus: 1}}], 'processors[0].rename.bogus: unknown option'],
    [[{drop_event: {when: {range: {'a.gte': 'x'}}}}], 'processors[0].drop_event.when.range: "a.gte" must be a number, got "x"'],
    [[{add_tags: {tags: ['a']}, drop_event: null}], 'processors[0]: a processor entry has one key'],
    [[{if: {equals: {a: 1}}}], 'processors[0].then: is required with if'],
    ['x', 'processors: expected a list of processors'],
  ])('%j', (cfg, msg) => {
    expect(() => chain(cfg)).toThrow(ProcessorConfigError)
    expect(() => chain(cfg)).toThrow(msg)
  })
})
