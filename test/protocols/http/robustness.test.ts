import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {detect} from '../../../src/protocols/http/index.js'
import {makeLimits} from '../../../src/limits.js'
import {type HttpMessage, HttpParser, parseContentLength} from '../../../src/protocols/http/parser.js'
import {Stats} from '../../../src/stats.js'
import {req, res, run, type Step} from './harness.js'

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`
const OK = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`

describe('detect', () => {
  const table: Array<[string, 0 | 1, boolean]> = [
    ['GET / HTTP/1.1\r\n', 0, true],
    ['POST /x HTTP/1.0\r\n', 0, true],
    ['OPTIONS * HTTP/1.1\r\n', 0, true],
    ['CONNECT example.com:443 HTTP/1.1\r\n', 0, true],
    ['GET http://a/ HTTP/1.1', 0, true],
    ['HTTP/1.1 200 OK\r\n', 1, true],
    ['HTTP/1.0 404 Not Found', 1, true],
    ['HTTP/2.0 200', 1, false],
    ['EHLO mail.example.com\r\n', 0, false],
    ['SET key value\r\n', 0, false],
    ['GET', 0, false],
    ['GET ', 0, false],
    ['get / HTTP/1.1', 0, false],
    ['\x16\x03\x01\x02\x00', 0, false],
    ['', 0, false],
  ]
  for (const [text, dir, want] of table) {
    it(`${JSON.stringify(text)} -> ${want}`, () => expect(detect(Buffer.from(text, 'latin1'), dir)).toBe(want))
  }
})

describe('parseContentLength', () => {
  const table: Array<[string, number]> = [
    ['0', 0],
    ['42', 42],
    [' 7 ', 7],
    ['5, 5', 5],
    ['5, 6', -1],
    ['', -1],
    ['-1', -1],
    ['1e3', -1],
    ['99999999999999999999', -1],
  ]
  for (const [s, want] of table) it(JSON.stringify(s), () => expect(parseContentLength(s)).toBe(want))
})

describe('maxPendingRequests', () => {
  it('emits the oldest request unanswered when too many are pending', () => {
    const r = run([req(GET('/1') + GET('/2') + GET('/3')), res(OK('a') + OK('b'))], {limits: {maxPendingRequests: 2}})
    expect(r.tx.map((t) => [t.path, t.status, t.notes ?? [], t.anomalies ?? []])).toEqual([
      ['/1', 'Error', ['no response', 'emitted unanswered: limits.maxPendingRequests requests were pending'], ['http.no_response', 'limit.pending_requests']],
      ['/2', 'OK', [], []],
      ['/3', 'OK', [], []],
    ])
    expect(r.stats.limitsHit.get('maxPendingRequests')).toBe(1)
  })
})

describe('hostile input', () => {
  const fragments = [
    'GET / HTTP/1.1\r\n',
    'HTTP/1.1 200 OK\r\n',
    'HTTP/1.1 100 Continue\r\n\r\n',
    'Content-Length: 5\r\n',
    'Content-Length: 99999999999999999\r\n',
    'Transfer-Encoding: chunked\r\n',
    'Content-Encoding: gzip\r\n',
    'Content-Encoding: deflate\r\n',
    'Upgrade: websocket\r\n',
    'CONNECT a:1 HTTP/1.1\r\n',
    'HEAD / HTTP/1.1\r\n',
    '\r\n',
    '\n',
    ' folded\r\n',
    'ffffffff;x\r\n',
    '0\r\n\r\n',
    '__proto__: x\r\n',
    'Host: [::1]:99999\r\n',
  ]
  const chunk = fc.oneof(
    fc.constantFrom(...fragments).map((s) => Buffer.from(s, 'latin1')),
    fc.uint8Array({maxLength: 64}).map((a) => Buffer.from(a)),
  )
  const step: fc.Arbitrary<Step> = fc.oneof(
    {weight: 6, arbitrary: fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.array(chunk, {maxLength: 6})).map(([dir, parts]) => ({dir, data: Buffer.concat(parts)}))},
    {weight: 1, arbitrary: fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.integer({min: 1, max: 5000})).map(([dir, n]) => ({gap: dir, n}))},
  )

  it('random byte streams in random chunks never throw and give well-formed transactions', () => {
    fc.assert(
      fc.property(fc.array(step, {maxLength: 30}), fc.boolean(), fc.integer({min: 16, max: 512}), (steps, sendHeaders, maxHeaderBytes) => {
        const r = run(steps, {options: {send_headers: sendHeaders}, limits: {maxHeaderBytes, maxPendingRequests: 4, maxDecodedBodyBytes: 4096}})
        for (const t of r.tx) {
          expect(t.type).toBe('http')
          expect(['OK', 'Error']).toContain(t.status)
          expect(Number.isFinite(t.requestBytes) && t.requestBytes >= 0).toBe(true)
          expect(Number.isFinite(t.responseBytes) && t.responseBytes >= 0).toBe(true)
          expect(() => JSON.stringify(t.fields)).not.toThrow()
        }
        // Everything the parsers met is either a transaction or counted.
        expect(r.stats.unmatchedRequests + r.stats.unmatchedResponses).toBeLessThanOrEqual(r.tx.length)
      }),
      {numRuns: 400, seed: 20240611},
    )
  })

  it('the same random stream gives the same result however it is cut', () => {
    fc.assert(
      fc.property(fc.array(chunk, {minLength: 1, maxLength: 12}), fc.array(chunk, {minLength: 1, maxLength: 12}), fc.array(fc.integer({min: 1, max: 40}), {minLength: 1, maxLength: 10}), (reqParts, resParts, cuts) => {
        const a = Buffer.concat([Buffer.from(GET('/')), ...reqParts])
        const b = Buffer.concat([Buffer.from(OK('x')), ...resParts])
        const whole = run([req(a), res(b)])
        const split = run([req(a), res(b)], {
          split: (buf) => {
            const out: Buffer[] = []
            let p = 0
            let k = 0
            while (p < buf.length) {
              const n = cuts[k++ % cuts.length]
              out.push(buf.subarray(p, p + n))
              p += n
            }
            return out
          },
        })
        expect(JSON.stringify(split.tx)).toBe(JSON.stringify(whole.tx))
      }),
      {numRuns: 300, seed: 7},
    )
  })
})

describe('bounded buffering', () => {
  it('never holds more than maxHeaderBytes of a header section, however it arrives', () => {
    const limits = makeLimits({maxHeaderBytes: 1000})
    const stats = new Stats()
    const seen: HttpMessage[] = []
    const p = new HttpParser(true, limits, stats, {onHead: () => {}, onMessage: (_p, m) => seen.push(m), requestMethod: () => undefined})
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    const huge = Buffer.from(`GET / HTTP/1.1\r\nX: ${'v'.repeat(10_000)}\r\n\r\nGET /ok HTTP/1.1\r\n\r\n`)
    let maxHeld = 0
    for (let i = 0; i < huge.length; i += 7) {
      p.push(huge.subarray(i, i + 7), at)
      const held = (p as unknown as {headBuf: Buffer | null}).headBuf
      maxHeld = Math.max(maxHeld, held?.length ?? 0)
    }
    expect(maxHeld).toBeGreaterThan(0)
    expect(maxHeld).toBeLessThanOrEqual(1000)
    // the oversize request is still reported (start line read), cut at the limit, then /ok
    expect(seen.map((m) => [m.target, m.complete])).toEqual([
      ['/', false],
      ['/ok', true],
    ])
    expect(stats.limitsHit.get('maxHeaderBytes')).toBe(1)
  })
})
