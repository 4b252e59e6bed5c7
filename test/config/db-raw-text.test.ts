/**
 * mysql / pgsql max_rows and max_row_length, mongodb max_docs and max_doc_length: they bound the raw
 * `response` text of send_response (Packetbeat's meaning), set through a packetbeat.yml.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {DocsText, ResultText, rawTextOptions} from '../../src/protocols/shared/result-text.js'
import {DEFAULT_LIMITS} from '../../src/limits.js'
import {pbx} from '../helpers/run-cli.js'

const dir = mkdtempSync(path.join(tmpdir(), 'pbx-dbtext-'))

/** Events of `sample` analysed with one protocol entry `proto` (YAML flow mapping body). */
function events(sample: string, proto: string): Record<string, unknown>[] {
  const cfg = path.join(dir, `${proto.replace(/\W+/g, '_')}.yml`)
  writeFileSync(cfg, `packetbeat.protocols:\n- {${proto}}\n`)
  const r = pbx(['analyze', `samples/${sample}`, '-c', cfg, '--format', 'ndjson'])
  expect(r.status, r.stderr).toBe(0)
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l))
}

const byQuery = (evs: Record<string, unknown>[], q: string) => evs.find((e) => e.query === q) as Record<string, unknown>

describe('mysql max_rows / max_row_length', () => {
  const SEL = 'SELECT id, name, price FROM items ORDER BY id'
  it('send_response: the result set as CSV with Packetbeat defaults (10 rows, 1024 characters)', () => {
    const e = byQuery(events('mysql/mariadb.pcap', 'type: mysql, ports: [3306], send_request: true, send_response: true'), SEL)
    expect(e.request).toBe(SEL)
    expect(e.response).toBe('id,name,price\n1,apple,1.50\n2,pear,2.25\n3,plum,0.75\n')
  })
  it('max_rows keeps the first rows, max_row_length cuts each row (num_rows still counts all)', () => {
    const e = byQuery(events('mysql/mariadb.pcap', 'type: mysql, ports: [3306], send_response: true, max_rows: 2, max_row_length: 6'), SEL)
    expect(e.response).toBe('id,name,price\n1,apple\n2,pear,2\n')
    expect((e.mysql as Record<string, unknown>).num_rows).toBe(3)
  })
  it('without send_response there is no response text', () => {
    const evs = events('mysql/mariadb.pcap', 'type: mysql, ports: [3306], max_rows: 2')
    expect(evs.some((e) => 'response' in e || 'request' in e)).toBe(false)
  })
})

describe('pgsql max_rows / max_row_length', () => {
  const SEL = 'SELECT id, name, price FROM items ORDER BY id'
  it('max_rows and max_row_length bound the CSV of the result set', () => {
    const evs = events('pgsql/postgres.pcap', 'type: pgsql, ports: [5432], send_request: true, send_response: true, max_rows: 2, max_row_length: 8')
    const e = byQuery(evs, SEL)
    expect(e.request).toBe(SEL)
    expect(e.response).toBe('id,name,price\n1,apple,1.\n2,pear,2.2\n')
    expect((e.pgsql as Record<string, unknown>).num_rows).toBe(3)
    const all = byQuery(events('pgsql/postgres.pcap', 'type: pgsql, ports: [5432], send_response: true'), SEL)
    expect(all.response).toBe('id,name,price\n1,apple,1.50\n2,pear,2.25\n3,plum,0.75\n')
  })
})

describe('mongodb max_docs / max_doc_length', () => {
  const find = (evs: Record<string, unknown>[]) => evs.find((e) => e.method === 'ping') as Record<string, unknown>
  it('documents as JSON lines, cut at max_doc_length with " ..."', () => {
    const evs = events('mongodb/synthetic.pcap', 'type: mongodb, ports: [27017], send_request: true, send_response: true, max_doc_length: 20')
    const insert = evs.find((e) => e.method === 'insert' && e.response !== undefined) as Record<string, unknown>
    expect(insert.response).toBe('{"n":3,"ok":1}')
    const isMaster = evs.find((e) => e.method === 'isMaster') as Record<string, unknown>
    expect(isMaster.response).toBe(`${'{"ismaster":true,"maxBsonObjectSize":16777216'.slice(0, 20)} ...`)
    expect(find(evs).request).toBe('{"ping":1,"$db":"admin"}')
  })
  it('max_docs: at most that many documents (0: no limit)', () => {
    const t = new DocsText(rawTextOptions({max_docs: 2}, DEFAULT_LIMITS, 'max_docs', 'max_doc_length', {rows: 10, length: 5000}))
    for (const d of ['1', '2', '3', '4']) t.add(d)
    expect(t.text()).toBe('1\n2')
    const u = new DocsText(rawTextOptions({max_docs: 0, max_doc_length: 5}, DEFAULT_LIMITS, 'max_docs', 'max_doc_length', {rows: 10, length: 5000}))
    for (const d of ['"1234567"', '"123"', '"12"']) u.add(d)
    expect(u.text()).toBe('"1234 ...\n"123"\n"12"')
  })
})

describe('result text', () => {
  it('quotes cells as Go encoding/csv, escapes newlines, writes NULL, and stays within maxCapturedMessageBytes', () => {
    const o = rawTextOptions({}, {...DEFAULT_LIMITS, maxCapturedMessageBytes: 40}, 'max_rows', 'max_row_length', {rows: 10, length: 1024})
    const t = new ResultText(o)
    t.setColumns(['a', 'b,c'])
    t.addRow(['x "y"', null])
    t.addRow([' lead', 'two\nlines'])
    expect(t.text()).toBe('a,"b,c"\n"x ""y""",NULL\n" lead",two\\nlines\n'.slice(0, 40))
    for (let i = 0; i < 20; i++) t.addRow(['0123456789'])
    expect(t.text()!.length).toBeLessThanOrEqual(40)
  })
})
