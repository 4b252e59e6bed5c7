import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {makeLimits} from '../../src/limits.js'
import {SummaryOutput} from '../../src/output/summary/index.js'
import {TextWriter} from '../../src/output/writer.js'
import {Stats} from '../../src/stats.js'

function ev(type: string, status: string, durationNs: number, reqBytes: number, respBytes: number, extra: Record<string, unknown> = {}) {
  return {
    type,
    status,
    event: {duration: durationNs},
    source: {ip: '10.0.0.1', port: 1000, bytes: reqBytes},
    destination: {ip: '10.0.0.2', port: 53, bytes: respBytes},
    network: {bytes: reqBytes + respBytes},
    ...extra,
  }
}

function render(events: Record<string, unknown>[]): string {
  const out = new SummaryOutput(new TextWriter(new PassThrough(), 'test'), false, makeLimits(), {color: false})
  for (const e of events) out.write(e)
  return out.render({files: [], stats: new Stats(), captures: [], errors: []})
}

describe('SummaryOutput', () => {
  it('computes latency only over answered transactions', () => {
    const text = render([
      ev('dns', 'OK', 2_000_000, 40, 80),
      ev('dns', 'OK', 2_000_000, 40, 80),
      ev('dns', 'Error', 0, 40, 0, {notes: ['no response']}),
      ev('dns', 'Error', 0, 0, 80, {notes: ['response without request']}),
    ])
    const row = text.split('\n').find((l) => l.trim().startsWith('dns'))!
    expect(row.split(/\s+/).filter(Boolean)).toEqual(['dns', '4', '2', '2', '0', '2.0ms', '2.0ms', '2.0ms', '2.0ms', '360', 'B'])
    expect(text).toContain('dns: no response')
  })

  it('puts a server-sent message (destination = the client) under the server\'s service', () => {
    const server = {ip: '10.0.0.2', port: 9042}
    const push = ev('cassandra', 'OK', 0, 37, 0, {source: {ip: '10.0.0.2', port: 9042, bytes: 37}, destination: {ip: '10.0.0.1', port: 1000, bytes: 0}, server, method: 'EVENT'})
    const query = ev('cassandra', 'OK', 1000, 40, 80, {destination: {ip: '10.0.0.2', port: 9042, bytes: 80}, server, method: 'QUERY'})
    const text = render([push, query])
    expect(text).toMatch(/cassandra 10\.0\.0\.2:9042 +2 /)
    expect(text).not.toContain('10.0.0.1:1000')
  })

  it('escapes terminal control sequences from packet data', () => {
    const text = render([ev('http', 'OK', 1000, 10, 10, {query: 'GET /\x1b[2J\x1b]0;owned\x07'})])
    expect(text).not.toContain('\x1b')
    expect(text).toContain('GET /\\x1b[2J\\x1b]0;owned\\x07')
  })
})

function http(path: string, code: number, durationNs: number, frames: [number, number], server = '10.2.0.10', extra: Record<string, unknown> = {}) {
  return {
    type: 'http',
    status: code >= 400 ? 'Error' : 'OK',
    event: {duration: durationNs},
    source: {ip: '10.1.0.5', port: 40000, bytes: 80},
    destination: {ip: server, port: 8080, bytes: 200},
    network: {bytes: 280},
    method: 'GET',
    query: `GET ${path}`,
    url: {path: path.split('?')[0]},
    http: {response: {status_code: code, status_phrase: code === 500 ? 'Internal Server Error' : code === 404 ? 'Not Found' : 'OK'}},
    pbx: {frames},
    ...extra,
  }
}

function renderWith(events: Record<string, unknown>[], opts: {color?: boolean; top?: number} = {}): string {
  const out = new SummaryOutput(new TextWriter(new PassThrough(), 'test'), false, makeLimits(), {color: opts.color ?? false, top: opts.top})
  for (const e of events) out.write(e)
  return out.render({files: [], stats: new Stats(), captures: [], errors: []})
}

/** The lines of the block headed `title` (up to the next blank line). */
function block(text: string, title: string): string[] {
  const lines = text.split('\n')
  const i = lines.findIndex((l) => l.startsWith(title))
  expect(i, title).toBeGreaterThanOrEqual(0)
  const end = lines.indexOf('', i)
  return lines.slice(i + 1, end < 0 ? undefined : end)
}

const cols = (l: string) => l.trim().split(/\s{2,}/)

describe('SummaryOutput: what was slow, what failed', () => {
  const traffic = [
    ...Array.from({length: 60}, (_, i) => http(`/api/users/${100 + i}`, i % 20 === 3 ? 404 : 200, (5 + (i % 7)) * 1e6, [10 + 2 * i, 11 + 2 * i])),
    ...Array.from({length: 20}, (_, i) => http(`/api/orders/${i}?page=2`, 200, 2e6, [300 + i, 301 + i])),
    http('/slow', 500, 4.5e9, [261, 311]),
  ]

  it('shows the 4.5 s GET /slow that returned 500 as a row of the slowest and of the failed', () => {
    const text = renderWith(traffic)
    const slow = block(text, 'Slowest transactions')
    expect(cols(slow[0])).toEqual(['duration', 'protocol', 'server', 'request', 'status', 'frames'])
    expect(cols(slow[1])).toEqual(['4.50s', 'http', '10.2.0.10:8080', 'GET /slow', '500 Internal Server Error', '261-311'])
    expect(slow).toHaveLength(1 + 5)
    const failed = block(text, 'Failed transactions: 4 (the 4 slowest)'.replace(' (the 4 slowest)', ''))
    expect(cols(failed[1])).toEqual(['4.50s', 'http', '10.2.0.10:8080', 'GET /slow', '500 Internal Server Error', '261-311'])
    expect(failed.slice(2).map((l) => cols(l)[4])).toEqual(['404 Not Found', '404 Not Found', '404 Not Found'])
  })

  it('says how many failed when it lists only the slowest of them', () => {
    const many = Array.from({length: 30}, (_, i) => http(`/x/${i}`, 503, (i + 1) * 1e6, [i, i]))
    const text = renderWith(many)
    const failed = block(text, 'Failed transactions: 30 (the 5 slowest)')
    expect(failed.slice(1).map((l) => cols(l)[0])).toEqual(['30.0ms', '29.0ms', '28.0ms', '27.0ms', '26.0ms'])
  })

  it('gives latency per route template under the top services', () => {
    const svc = block(renderWith(traffic), 'Services and routes')
    expect(cols(svc[0])).toEqual(['service / route', 'count', 'errors', 'p50', 'p90', 'p99', 'max'])
    expect(cols(svc[1]).slice(0, 3)).toEqual(['http 10.2.0.10:8080', '81', '4 (4.9%)'])
    expect(cols(svc[1])[6]).toBe('4.50s')
    expect(svc[2]).toMatch(/^ {4}GET \/api\/users\/\{n\}/)
    expect(cols(svc[2]).slice(0, 3)).toEqual(['GET /api/users/{n}', '60', '3 (5.0%)'])
    expect(cols(svc[3]).slice(0, 3)).toEqual(['GET /api/orders/{n}', '20', '0'])
    expect(cols(svc[3])[3]).toBe('2.0ms')
    expect(cols(svc[4]).slice(0, 3)).toEqual(['GET /slow', '1', '1 (100%)'])
  })

  it('groups SQL by its fingerprint', () => {
    const sql = (q: string, fp: string, ms: number) => ({
      ...ev('pgsql', 'OK', ms * 1e6, 50, 50),
      destination: {ip: '10.0.0.9', port: 5432, bytes: 50},
      query: q,
      pbx: {query_fingerprint: fp, frames: [1, 2]},
    })
    const text = renderWith([sql('SELECT * FROM t WHERE id = 1', 'SELECT * FROM t WHERE id = ?', 1), sql('SELECT * FROM t WHERE id = 2', 'SELECT * FROM t WHERE id = ?', 3), sql('BEGIN', 'BEGIN', 1)])
    const svc = block(text, 'Services and routes')
    expect(cols(svc[2]).slice(0, 2)).toEqual(['SELECT * FROM t WHERE id = ?', '2'])
    expect(cols(svc[3]).slice(0, 2)).toEqual(['BEGIN', '1'])
  })

  it('fits one screen (50 lines) by default however many services and routes there are', () => {
    const wide: Record<string, unknown>[] = []
    for (let s = 0; s < 300; s++) for (let r = 0; r < 5; r++) wide.push(http(`/svc${s}/route${r}`, r === 4 ? 500 : 200, (s + r) * 1e5, [s, r], `10.3.${s >> 8}.${s & 255}`))
    const text = renderWith(wide, {top: 10})
    expect(text.split('\n').length).toBeLessThanOrEqual(50)
    expect(text).toMatch(/… \d+ more services/)
    for (const l of text.split('\n')) expect(l.length).toBeLessThanOrEqual(120)
  })

  it('colours failures and headings only when asked (a terminal), never otherwise', () => {
    const plain = renderWith(traffic, {color: false})
    expect(plain).not.toContain('\x1b')
    const tty = renderWith(traffic, {color: true})
    expect(tty).toContain('\x1b[1mSlowest transactions\x1b[0m')
    expect(tty).toContain('\x1b[31m500 Internal Server Error\x1b[39m')
    // Colour codes add no width: without them the lines are the plain ones.
    expect(tty.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain)
  })

  it('escapes control sequences in the listed requests', () => {
    const text = renderWith([http('/a\x1b]0;owned\x07', 500, 1e6, [1, 2])])
    expect(text).not.toContain('\x1b')
    expect(block(text, 'Failed transactions')[1]).toContain('GET /a\\x1b]0;owned\\x07')
  })
})
