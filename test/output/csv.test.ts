import {PassThrough} from 'node:stream'
import {parse} from 'csv-parse/sync'
import {describe, expect, it} from 'vitest'
import {CsvOutput, neutralizeCell, textCell} from '../../src/output/csv/index.js'
import {TextWriter} from '../../src/output/writer.js'
import {Stats} from '../../src/stats.js'

async function renderText(events: Record<string, unknown>[]): Promise<string> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (c: Buffer) => chunks.push(c))
  const out = new CsvOutput(new TextWriter(sink, 'test'), false, [
    {name: '@timestamp', type: 'date', description: ''},
    {name: 'source.ip', type: 'ip', description: ''},
    {name: 'http.request.method', type: 'keyword', description: ''},
    {name: 'notes', type: 'keyword', array: true, description: ''},
    {name: 'event.duration', type: 'long', description: ''},
  ])
  const run = {files: [], stats: new Stats(), captures: [], errors: []}
  out.begin(run)
  for (const e of events) out.write(e)
  await out.end(run)
  return Buffer.concat(chunks).toString('utf8')
}

async function render(events: Record<string, unknown>[]): Promise<string[][]> {
  return parse(await renderText(events))
}

describe('CsvOutput', () => {
  it('writes a header from the field list and flattens nested fields', async () => {
    const rows = await render([
      {'@timestamp': 't0', source: {ip: '1.2.3.4'}, http: {request: {method: 'GET'}}, notes: ['a', 'b'], event: {duration: -5}},
      {'@timestamp': 't1', source: {ip: '::1'}},
    ])
    expect(rows[0]).toEqual(['@timestamp', 'source.ip', 'http.request.method', 'notes', 'event.duration'])
    expect(rows[1]).toEqual(['t0', '1.2.3.4', 'GET', 'a;b', '-5'])
    expect(rows[2]).toEqual(['t1', '::1', '', '', ''])
  })

  it('neutralizes formula-looking text cells (OWASP CSV injection) but not numbers', async () => {
    const rows = await render([{http: {request: {method: '=HYPERLINK("http://x")'}}, notes: ['@SUM(1)'], event: {duration: -1}}])
    expect(rows[1][2]).toBe('\'=HYPERLINK("http://x")')
    expect(rows[1][3]).toBe("'@SUM(1)")
    expect(rows[1][4]).toBe('-1')
    for (const c of ['+1', '-x', '\tA', '\rB']) expect(neutralizeCell(c).startsWith("'")).toBe(true)
    expect(neutralizeCell('GET')).toBe('GET')
  })

  it('escapes control characters from packets as \\xNN, like the summary', async () => {
    const ev = {
      '@timestamp': 't',
      http: {request: {method: 'GET\x1b[2J\x1b]0;owned\x07'}},
      notes: ['line\r\nbreak', 'tab\there', 'nul\x00 del\x7f csi\x9b1m'],
      source: {ip: {nested: 'x\x1by'}},
    }
    const text = await renderText([ev])
    // no raw control character anywhere but the record terminators
    expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    expect(text.split('\n').filter(Boolean)).toHaveLength(2)
    const rows = parse(text)
    expect(rows[1][2]).toBe('GET\\x1b[2J\\x1b]0;owned\\x07')
    expect(rows[1][3]).toBe('line\\x0d\\x0abreak;tab\\x09here;nul\\x00 del\\x7f csi\\x9b1m')
    // objects are JSON text, whose own escaping already leaves no control character
    expect(rows[1][1]).toBe('{"nested":"x\\u001by"}')
  })

  it('keeps neutralizing formulas after escaping, and leaves other text alone', () => {
    expect(textCell('=cmd|\x1b')).toBe("'=cmd|\\x1b")
    expect(textCell('@\x00')).toBe("'@\\x00")
    // a leading tab or CR is escaped, so the cell no longer starts with one
    expect(textCell('\t=1+1')).toBe('\\x09=1+1')
    expect(textCell('\r-2')).toBe('\\x0d-2')
    const plain = 'GET /caf\u00e9 \u{1f600} \u00a0'
    expect(textCell(plain)).toBe(plain)
  })

  it('does not read inherited properties such as __proto__ or constructor', async () => {
    const ev = JSON.parse('{"http":{"request":{"__proto__":{"method":"polluted"}}}}')
    const rows = await render([ev])
    expect(rows[1][2]).toBe('')
  })
})

describe('CsvOutput: fields inside arrays of objects', () => {
  it('fills dns.answers.name / dns.answers.data from every answer, joined with ";"', async () => {
    const sink = new PassThrough()
    const chunks: Buffer[] = []
    sink.on('data', (c: Buffer) => chunks.push(c))
    const out = new CsvOutput(new TextWriter(sink, 'test'), false, [
      {name: 'dns.answers', type: 'object', array: true, description: ''},
      {name: 'dns.answers.name', type: 'keyword', description: ''},
      {name: 'dns.answers.data', type: 'keyword', description: ''},
      {name: 'dns.answers.ttl', type: 'long', description: ''},
    ])
    const run = {files: [], stats: new Stats(), captures: [], errors: []}
    out.begin(run)
    out.write({dns: {answers: [{name: 'a.example', type: 'CNAME', data: 'b.example', ttl: 5}, {name: 'b.example', type: 'A', data: '1.2.3.4', ttl: 6}]}})
    out.write({dns: {answers: []}})
    await out.end(run)
    const rows: string[][] = parse(Buffer.concat(chunks).toString('utf8'))
    expect(rows).toEqual([
      ['dns.answers.name', 'dns.answers.data', 'dns.answers.ttl'],
      ['a.example;b.example', 'b.example;1.2.3.4', '5;6'],
      ['', '', ''],
    ])
  })
})
