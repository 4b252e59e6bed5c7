import {describe, expect, it} from 'vitest'
import {protocol as http} from '../../../src/protocols/http/index.js'
// Registers the h2c hand-off with the HTTP/1 session.
import '../../../src/protocols/http2/index.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'
import {block, frame, PREFACE, settings} from './synth.js'

const END_STREAM = 0x1
const END_HEADERS = 0x4

function run(steps: Step[], cuts?: (n: number) => number[]) {
  const c = collector()
  const h = http.tcp!.create(fakeConn('tcp', 80), c.ctx)
  drive(h, steps, cuts)
  return c
}

const upgrade: Step[] = [
  {
    dir: 0,
    bytes: Buffer.from('GET /up?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n'),
    t: 1,
  },
  {
    dir: 1,
    bytes: Buffer.concat([
      Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'),
      settings(),
      frame(1, END_HEADERS, 1, block([{index: 8}, {name: 31, value: 'text/plain'}])),
      frame(0, END_STREAM, 1, 'upgraded'),
    ]),
    t: 1.1,
  },
  {dir: 0, bytes: Buffer.concat([PREFACE, settings(), frame(4, 1, 0), frame(1, END_HEADERS | END_STREAM, 3, block([{index: 2}, {index: 6}, {name: 4, value: '/second'}, {name: 1, value: 'example.com'}]))]), t: 1.2},
  {dir: 1, bytes: frame(1, END_HEADERS | END_STREAM, 3, block([{index: 13}])), t: 1.3},
]

describe('HTTP/1.1 hand-off to HTTP/2', () => {
  it('Upgrade: h2c: the 101 is an HTTP/1 transaction, then streams 1 and 3 are HTTP/2', () => {
    const {out} = run(upgrade)
    expect(out.map((t) => [t.type, t.query, t.status, (t.fields.http as {response?: {status_code: number}}).response?.status_code])).toEqual([
      ['http', 'GET /up', 'OK', 101],
      ['http2', 'GET /up', 'OK', 200],
      ['http2', 'GET /second', 'Error', 404],
    ])
    const s1 = out[1]!
    expect(s1.anomalies).toEqual(['http2.upgraded'])
    expect(s1.fields.url).toMatchObject({domain: 'example.com', query: 'q=1', full: 'http://example.com/up?q=1'})
    expect((s1.fields.http as {response: unknown}).response).toMatchObject({body: {bytes: 8}, mime_type: 'text/plain'})
    expect(s1.requestBytes).toBe(0)
  })

  it('gives identical transactions when split at every byte offset', () => {
    const want = comparable(run(upgrade).out)
    const max = Math.max(...upgrade.map((s) => s.bytes.length))
    for (let k = 1; k < max; k++) expect(comparable(run(upgrade, (n) => (k < n ? [k] : [])).out), `split at ${k}`).toEqual(want)
  })

  it('prior knowledge on an HTTP/1 port: the whole connection is HTTP/2', () => {
    const {out} = run([
      {dir: 0, bytes: Buffer.concat([PREFACE, settings(), frame(1, END_HEADERS | END_STREAM, 1, block([{index: 2}, {index: 6}, {index: 4}, {name: 1, value: 'h'}]))]), t: 1},
      {dir: 1, bytes: Buffer.concat([settings(), frame(1, END_HEADERS | END_STREAM, 1, block([{index: 8}]))]), t: 1.1},
    ])
    expect(out.map((t) => [t.type, t.query, t.status, t.anomalies])).toEqual([['http2', 'GET /', 'OK', undefined]])
  })

  it('an Upgrade to a protocol nobody takes over stays a plain tunnel', () => {
    const {out} = run([
      {dir: 0, bytes: Buffer.from('GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), t: 1},
      {dir: 1, bytes: Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi'), t: 1.1},
    ])
    expect(out.map((t) => [t.type, t.anomalies])).toEqual([['http', ['http.tunnel']]])
  })
})
