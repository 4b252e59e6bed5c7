/** The index template from the fields lists, and `pbx setup es` installing it on the fake cluster. */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {commonFields} from '../../../src/event/fields.js'
import {fields as flowFields} from '../../../src/flows/fields.js'
import {indexTemplate, mappings} from '../../../src/output/elasticsearch/template.js'
import {protocols} from '../../../src/protocols/registry.js'
import {pbxAsync} from '../shared/run-cli-async.js'
import {FakeEs} from './fake-es.js'

type M = {type?: string; properties?: Record<string, M>}
const at = (m: M, dotted: string): M | undefined => dotted.split('.').reduce<M | undefined>((x, k) => x?.properties?.[k], m)

describe('index template', () => {
  const all = [...commonFields, ...protocols.flatMap((p) => p.fields), ...flowFields]
  const m = mappings(all) as M & {dynamic: boolean}

  it('maps every field of the lists with its declared type', () => {
    expect(m.dynamic).toBe(false)
    const want: Record<string, string> = {keyword: 'keyword', long: 'long', double: 'double', boolean: 'boolean', ip: 'ip', date: 'date_nanos', text: 'text'}
    let checked = 0
    for (const f of all) {
      const node = at(m, f.name)
      expect(node, f.name).toBeDefined()
      if (f.type === 'object') {
        // Records (dns.answers) carry their members; free-form objects (headers) are flattened.
        expect(node!.properties !== undefined || node!.type === 'flattened', f.name).toBe(true)
      } else {
        // The first list that names a field decides (common fields before protocols').
        const first = all.find((g) => g.name === f.name)!
        expect(node!.type, f.name).toBe(want[first.type])
        checked++
      }
    }
    expect(checked).toBeGreaterThan(300)
    expect(at(m, '@timestamp')!.type).toBe('date_nanos')
    expect(at(m, 'source.ip')!.type).toBe('ip')
    expect(at(m, 'dns.answers.ttl')!.type).toBe('long')
    expect(at(m, 'http.request.headers')!.type).toBe('flattened')
  })

  it('declares a data stream when asked', () => {
    expect(indexTemplate(commonFields, {patterns: ['logs-pbx-*'], dataStream: true})).toMatchObject({index_patterns: ['logs-pbx-*'], data_stream: {}})
    expect(indexTemplate(commonFields, {patterns: ['pbx-*'], dataStream: false}).data_stream).toBeUndefined()
  })
})

describe('pbx setup es', () => {
  const es = new FakeEs()
  beforeAll(() => es.start())
  afterAll(() => es.stop())

  it('installs the template under the given name, with the API key from the environment never printed', async () => {
    const r = await pbxAsync(['setup', 'es', '--es', es.url, '--name', 'pbx-test', '--pattern', 'pbxt-*', '--shards', '1', '-p', 'http,dns'], {PBX_ES_API_KEY: 'id9:topsecret'})
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('installed index template pbx-test for pbxt-*')
    expect(r.stdout + r.stderr).not.toContain('topsecret')
    expect(es.auth.length).toBeGreaterThan(0)
    expect(es.auth.every((a) => a === `ApiKey ${Buffer.from('id9:topsecret').toString('base64')}`)).toBe(true)
    const t = es.templates.get('pbx-test') as {index_patterns: string[]; template: {settings: unknown; mappings: M}}
    expect(t.index_patterns).toEqual(['pbxt-*'])
    expect(t.template.settings).toEqual({number_of_shards: 1})
    expect(at(t.template.mappings, 'url.path')!.type).toBe('keyword')
    expect(at(t.template.mappings, 'tls')).toBeUndefined()
  })

  it('exits 2 when the cluster cannot be reached', async () => {
    const r = await pbxAsync(['setup', 'es', '--es', 'http://127.0.0.1:1'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^pbx: output\.elasticsearch: cannot reach http:\/\/127\.0\.0\.1:1/)
  })
})
