/**
 * Without send_headers the parser turns only USED_HEADERS into strings and skips the other field
 * lines by their bytes. That must not change anything an event shows: the same streams give the
 * same transactions (headers objects aside), notes and statistics with and without send_headers.
 */
import {readFileSync} from 'node:fs'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {USED_HEADERS} from '../../../src/protocols/http/parser.js'
import type {Transaction} from '../../../src/event/types.js'
import {req, res, run, type RunResult, type Step} from './harness.js'

/** Transactions and counters, with the send_headers objects taken out. */
function withoutHeaders(r: RunResult): string {
  const tx = r.tx.map((t: Transaction) => {
    const http = structuredClone(t.fields.http) as {request?: {headers?: unknown}; response?: {headers?: unknown}} | undefined
    if (http?.request) delete http.request.headers
    if (http?.response) delete http.response.headers
    return {...t, fields: {...t.fields, http}}
  })
  return JSON.stringify({tx, bad: [...r.stats.malformed].sort(), lim: [...r.stats.limitsHit].sort(), u: [r.stats.unmatchedRequests, r.stats.unmatchedResponses]})
}

function same(steps: Step[], limits?: Record<string, number>): void {
  const all = run(steps, {options: {send_headers: true}, limits})
  const used = run(steps, {options: {send_headers: false}, limits})
  expect(withoutHeaders(used)).toBe(withoutHeaders(all))
}

describe('header selection (send_headers off)', () => {
  it('every header() lookup in the http folder names a field in USED_HEADERS', () => {
    const names = new Set<string>()
    for (const f of ['matcher.ts', 'parser.ts', 'index.ts']) {
      const src = readFileSync(new URL(`../../../src/protocols/http/${f}`, import.meta.url), 'utf8')
      for (const m of src.matchAll(/\.header\(\s*'([^']+)'\s*\)/g)) names.add(m[1])
      expect(src).not.toMatch(/\.header\(\s*[^'\s)]/) // lookups by a computed name could not be checked
    }
    expect(names.size).toBeGreaterThan(4)
    for (const n of names) expect(USED_HEADERS).toContain(n)
  })

  it.each([
    ['odd casing of used names', ['GET /a HTTP/1.1\r\nHOST: Example.COM:8080\r\nuSeR-aGeNt: ua\r\nREFERER: r\r\nAuthorization: Basic dXNlcjpwdw==\r\n\r\n'], ['HTTP/1.1 200 OK\r\nCONTENT-TYPE: Text/HTML; charset=x\r\ncontent-LENGTH: 2\r\n\r\nhi']],
    ['folds onto kept and skipped fields', ['GET /b HTTP/1.1\r\nX-Skip: a\r\n folded onto skipped\r\nUser-Agent: u\r\n\tfolded onto kept\r\n\r\n'], ['HTTP/1.1 204 No Content\r\nServer: s\r\n more\r\n\r\n']],
    ['a fold before any field and bad lines between', ['GET /c HTTP/1.1\r\n first line folded\r\nno colon here\r\n: empty name\r\nHost : spaced\r\n\r\n'], ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']],
    ['names that only look like used ones', ['GET /d HTTP/1.1\r\nHostx: a\r\nHos: b\r\nUser_Agent: c\r\nUser-Agen\u00e9: d\r\nContent-Length\r: 5\r\n\r\n'], ['HTTP/1.1 200 OK\r\nContent-Lengtj: 9\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n']],
    ['framing fields with repeats and conflicts', ['POST /e HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\nabcd'], ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nContent-Encoding: identity\r\n\r\n0\r\n\r\n']],
    ['an upgrade', ['GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'], ['HTTP/1.1 101 Switching Protocols\r\nUPGRADE: WebSocket\r\n\r\n']],
  ])('%s', (_name, reqs, resps) => {
    same([...reqs.map((s) => req(s)), ...resps.map((s) => res(s))])
  })

  const fragments = [
    'GET / HTTP/1.1\r\n',
    'POST /p HTTP/1.1\r\n',
    'HTTP/1.1 200 OK\r\n',
    'HTTP/1.1 101 Switching Protocols\r\n',
    'Content-Length: 5\r\n',
    'CONTENT-length: 3\r\n',
    'Transfer-Encoding: chunked\r\n',
    'Content-Encoding: gzip\r\n',
    'Upgrade: h2c\r\n',
    'Host: a.example\r\n',
    'hOsT: b.example:81\r\n',
    'User-Agent: ua\r\n',
    'Referer: /r\r\n',
    'Content-Type: text/plain\r\n',
    'Authorization: Basic YTpi\r\n',
    'X-Other: 1\r\n',
    'Server : s\r\n',
    ' folded\r\n',
    '\tfolded too\r\n',
    'no colon\r\n',
    '\r\n',
    '\n',
    '0\r\n\r\n',
  ]
  const chunk = fc.oneof(
    {weight: 4, arbitrary: fc.constantFrom(...fragments).map((s) => Buffer.from(s, 'latin1'))},
    {weight: 1, arbitrary: fc.uint8Array({maxLength: 24}).map((a) => Buffer.from(a))},
  )
  const step: fc.Arbitrary<Step> = fc.oneof(
    {weight: 6, arbitrary: fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.array(chunk, {maxLength: 8})).map(([dir, parts]) => ({dir, data: Buffer.concat(parts)}))},
    {weight: 1, arbitrary: fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.integer({min: 1, max: 50})).map(([dir, n]) => ({gap: dir, n}))},
  )

  it('random streams give the same transactions, notes and counters with and without send_headers', () => {
    fc.assert(
      fc.property(fc.array(step, {maxLength: 20}), fc.integer({min: 24, max: 400}), (steps, maxHeaderBytes) => {
        same(steps, {maxHeaderBytes})
      }),
      {numRuns: 600, seed: 424242},
    )
  })
})
