import {describe, expect, it} from 'vitest'
import {detect, protocol} from '../../../src/protocols/http2/index.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'
import {block, frame, grpcMessage, PREFACE, settings, u32} from './synth.js'

const END_STREAM = 0x1
const END_HEADERS = 0x4
const PADDED = 0x8
const PRIORITY = 0x20

function run(steps: Step[], cuts?: (n: number) => number[], options: Record<string, unknown> = {}, limits = {}) {
  const c = collector(limits, options)
  const h = protocol.tcp!.create(fakeConn('tcp', 8080), c.ctx)
  drive(h, steps, cuts)
  return c
}

const padded = (body: string, pad: number) => Buffer.concat([Buffer.from([pad]), Buffer.from(body), Buffer.alloc(pad)])

// Stream 1: GET with a query, literal fields indexed into the client's dynamic table (Huffman).
const req1 = block([
  {index: 2},
  {index: 6},
  {name: 4, value: '/index.html?lang=en', mode: 'incremental', huffman: true},
  {name: 1, value: 'example.com:8080', mode: 'incremental', huffman: true},
  {name: 58, value: 'curl/8.5.0', mode: 'incremental'},
  {name: 'accept', value: '*/*'},
])
// Stream 3: POST reusing the dynamic table (62 = user-agent, 63 = :authority), split by CONTINUATION.
const req3 = block([
  {index: 3},
  {index: 6},
  {name: 4, value: '/submit'},
  {index: 63},
  {index: 62},
  {name: 31, value: 'application/x-www-form-urlencoded'},
  {name: 51, value: 'http://example.com/form'},
  {name: 23, value: 'Basic YWxpY2U6c2VjcmV0', mode: 'never'},
])
// Stream 7: a server-streaming gRPC call ending with a non-zero grpc-status.
const req7 = block([
  {index: 3},
  {index: 6},
  {name: 4, value: '/routeguide.RouteGuide/ListFeatures'},
  {index: 63},
  {name: 31, value: 'application/grpc'},
  {name: 'te', value: 'trailers'},
  {name: 'grpc-encoding', value: 'identity'},
])
const grpcReq = grpcMessage(20)

const conversation: Step[] = [
  {dir: 0, bytes: Buffer.concat([PREFACE, settings([[1, 4096], [3, 100]]), frame(8, 0, 0, u32(1 << 20))]), t: 1},
  {dir: 1, bytes: Buffer.concat([settings([[3, 128], [1, 8192]]), frame(4, 1, 0)]), t: 1.001},
  {dir: 0, bytes: Buffer.concat([frame(4, 1, 0), frame(1, END_STREAM | END_HEADERS, 1, req1)]), t: 1.002},
  {
    dir: 1,
    bytes: Buffer.concat([
      frame(1, END_HEADERS, 1, block([{index: 8}, {name: 31, value: 'text/html; charset=utf-8', mode: 'incremental'}, {name: 28, value: '10'}])),
      frame(0, PADDED, 1, padded('<html>', 3)),
      frame(0, END_STREAM, 1, '</b>'),
    ]),
    t: 1.01,
  },
  {
    dir: 0,
    bytes: Buffer.concat([
      frame(1, PRIORITY, 3, Buffer.concat([u32(0), Buffer.from([15]), req3.subarray(0, 7)])),
      frame(9, 0, 3, req3.subarray(7, 20)),
      frame(9, END_HEADERS, 3, req3.subarray(20)),
      frame(2, 0, 3, Buffer.concat([u32(0), Buffer.from([200])])),
      frame(0, END_STREAM, 3, 'a=1&b=2'),
    ]),
    t: 2,
  },
  {dir: 1, bytes: frame(1, END_STREAM | END_HEADERS, 3, block([{index: 13}, {index: 62}])), t: 2.1},
  {dir: 0, bytes: Buffer.concat([frame(1, END_HEADERS | END_STREAM, 5, block([{index: 2}, {index: 6}, {name: 4, value: '/slow'}, {index: 64}])), frame(6, 0, 0, Buffer.alloc(8))]), t: 3},
  {dir: 1, bytes: frame(6, 1, 0, Buffer.alloc(8)), t: 3.05},
  {dir: 0, bytes: frame(3, 0, 5, u32(8)), t: 3.1},
  {
    dir: 0,
    bytes: Buffer.concat([frame(1, END_HEADERS, 7, req7), frame(0, 0, 7, grpcReq.subarray(0, 3)), frame(0, END_STREAM, 7, grpcReq.subarray(3))]),
    t: 4,
  },
  {
    dir: 1,
    bytes: Buffer.concat([
      frame(1, END_HEADERS, 7, block([{index: 8}, {name: 31, value: 'application/grpc+proto'}])),
      frame(0, 0, 7, Buffer.concat([grpcMessage(7), grpcMessage(0, true), grpcMessage(3).subarray(0, 4)])),
      frame(8, 0, 7, u32(100)),
      frame(0, 0, 7, grpcMessage(3).subarray(4)),
      frame(1, END_STREAM | END_HEADERS, 7, block([{name: 'grpc-status', value: '5'}, {name: 'grpc-message', value: 'no%20such%20feature'}])),
    ]),
    t: 4.2,
  },
  {dir: 1, bytes: frame(7, 0, 0, u32(7, 0)), t: 5},
]

describe('http2 detection', () => {
  it('detects the client preface, and only it', () => {
    expect(detect(PREFACE, 0)).toBe(true)
    expect(detect(PREFACE.subarray(0, 6), 0)).toBe(true)
    expect(detect(PREFACE, 1)).toBe(false)
    expect(detect(Buffer.from('PRI'), 0)).toBe(false)
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe(false)
  })
})

describe('http2 session', () => {
  it('turns streams into transactions with HTTP/1 field names', () => {
    const {out, stats} = run(conversation)
    expect(out.map((t) => [t.fields.pbx, t.status, t.query])).toEqual([
      [{http2: {stream_id: 1}}, 'OK', 'GET /index.html'],
      [{http2: {stream_id: 3}}, 'Error', 'POST /submit'],
      [{http2: {stream_id: 5}}, 'Error', 'GET /slow'],
      [{http2: {stream_id: 7}}, 'Error', 'POST /routeguide.RouteGuide/ListFeatures'],
    ])
    const [t1, t3, t5, t7] = out
    expect(t1!.fields.http).toEqual({
      version: '2',
      request: {method: 'GET', bytes: 9 + req1.length, body: {bytes: 0}},
      response: {status_code: 200, bytes: out[0]!.responseBytes, body: {bytes: 10}, mime_type: 'text/html'},
    })
    // HEADERS 9 + (1 + 1 + 25 + 2 + 3), padded DATA 9 + 1 + 6 + 3, DATA 9 + 4
    expect(t1!.responseBytes).toBe(41 + 19 + 13)
    expect(t1!.fields.url).toEqual({
      scheme: 'http',
      domain: 'example.com',
      port: 8080,
      original: '/index.html?lang=en',
      path: '/index.html',
      query: 'lang=en',
      full: 'http://example.com:8080/index.html?lang=en',
    })
    expect(t1!.fields.user_agent).toEqual({original: 'curl/8.5.0'})
    expect([t1!.startSec, t1!.startNsec, t1!.endSec, t1!.endNsec]).toEqual([1, 2_000_000, 1, 10_000_000])

    const h3 = t3!.fields.http as Record<string, Record<string, unknown>>
    expect(h3.request).toMatchObject({method: 'POST', body: {bytes: 7}, mime_type: 'application/x-www-form-urlencoded', referrer: 'http://example.com/form'})
    expect(h3.response).toMatchObject({status_code: 404, body: {bytes: 0}, mime_type: 'text/html'})
    expect(t3!.fields.user).toEqual({name: 'alice'})
    expect(t3!.fields.user_agent).toEqual({original: 'curl/8.5.0'})

    expect(t5!.anomalies).toEqual(['http2.rst_stream'])
    expect(t5!.notes).toEqual(['stream reset by the client: CANCEL'])

    expect(t7!.fields.grpc).toEqual({
      service: 'routeguide.RouteGuide',
      method: 'ListFeatures',
      status_code: 5,
      message: 'no such feature',
      encoding: 'identity',
      request: {messages: 1, message_bytes: 20, compressed_messages: 0},
      response: {messages: 3, message_bytes: 10, compressed_messages: 1},
    })
    expect(t7!.anomalies).toBeUndefined()
    // The reset stream had no response.
    expect([stats.unmatchedRequests, stats.unmatchedResponses]).toEqual([1, 0])
  })

  it('gives identical transactions when split at every byte offset', () => {
    const want = comparable(run(conversation).out)
    const max = Math.max(...conversation.map((s) => s.bytes.length))
    for (let k = 1; k < max; k++) {
      const got = comparable(run(conversation, (n) => (k < n ? [k] : [])).out)
      expect(got, `split at ${k}`).toEqual(want)
    }
    const bytewise = comparable(run(conversation, (n) => Array.from({length: n - 1}, (_, i) => i + 1)).out)
    // Byte-at-a-time delivery moves start times to the packet of a frame's first byte: equal here
    // because every step has a single timestamp.
    expect(bytewise).toEqual(want)
  })

  it('adds request and response headers with send_headers', () => {
    const t = run(conversation, undefined, {send_headers: true}).out[0]!
    const http = t.fields.http as Record<string, Record<string, unknown>>
    expect(http.request!.headers).toEqual({'user-agent': 'curl/8.5.0', accept: '*/*'})
    expect(http.response!.headers).toEqual({'content-type': 'text/html; charset=utf-8', 'content-length': 10})
  })

  it('reports a request without a response and a stream cut by the end of the connection', () => {
    const steps: Step[] = [
      {dir: 0, bytes: Buffer.concat([PREFACE, settings(), frame(1, END_HEADERS | END_STREAM, 1, block([{index: 2}, {index: 6}, {index: 4}]))]), t: 1},
      {dir: 0, bytes: frame(1, END_HEADERS, 3, block([{index: 3}, {index: 6}, {index: 4}])), t: 2},
      {dir: 1, bytes: Buffer.concat([settings(), frame(1, END_HEADERS, 3, block([{index: 8}])), frame(0, 0, 3, 'par')]), t: 2.5},
    ]
    const {out, stats} = run(steps)
    expect(out.map((t) => [t.status, t.anomalies])).toEqual([
      ['Error', ['http2.no_response']],
      ['OK', ['http2.stream_incomplete']],
    ])
    expect(stats.unmatchedRequests).toBe(1)
  })

  it('notes streams refused by GOAWAY and a GOAWAY with an error code', () => {
    const steps: Step[] = [
      {dir: 0, bytes: Buffer.concat([PREFACE, settings(), frame(1, END_HEADERS | END_STREAM, 1, block([{index: 2}, {index: 6}, {index: 4}])), frame(1, END_HEADERS | END_STREAM, 3, block([{index: 2}, {index: 6}, {index: 4}]))]), t: 1},
      {dir: 1, bytes: Buffer.concat([settings(), frame(7, 0, 0, u32(1, 11)), frame(1, END_HEADERS | END_STREAM, 1, block([{index: 8}]))]), t: 1.1},
    ]
    const out = run(steps).out
    expect(out.map((t) => [t.fields.pbx, t.anomalies])).toEqual([
      [{http2: {stream_id: 1}}, ['http2.goaway']],
      [{http2: {stream_id: 3}}, ['http2.goaway', 'http2.goaway', 'http2.no_response']],
    ])
    expect(out[1]!.notes!.slice(0, 2)).toEqual([
      'connection closed by the server with GOAWAY ENHANCE_YOUR_CALM',
      'stream not processed: GOAWAY from the server with last stream 1',
    ])
  })

  it('handles server push: the promised stream carries the pushed request', () => {
    const steps: Step[] = [
      {dir: 0, bytes: Buffer.concat([PREFACE, settings(), frame(1, END_HEADERS | END_STREAM, 1, block([{index: 2}, {index: 6}, {index: 4}]))]), t: 1},
      {
        dir: 1,
        bytes: Buffer.concat([
          settings(),
          frame(5, END_HEADERS | PADDED, 1, Buffer.concat([Buffer.from([2]), u32(2), block([{index: 2}, {index: 6}, {name: 4, value: '/style.css'}]), Buffer.alloc(2)])),
          frame(1, END_HEADERS | END_STREAM, 1, block([{index: 8}])),
          frame(1, END_HEADERS, 2, block([{index: 8}])),
          frame(0, END_STREAM, 2, 'body{}'),
        ]),
        t: 1.1,
      },
    ]
    const out = run(steps).out
    expect(out.map((t) => [t.fields.pbx, t.query, t.status])).toEqual([
      [{http2: {stream_id: 1}}, 'GET /', 'OK'],
      [{http2: {stream_id: 2}}, 'GET /style.css', 'OK'],
    ])
  })

  it('stops a direction on a bad preface, a bad frame, an HPACK error and a gap, without throwing', () => {
    const bad = run([{dir: 0, bytes: Buffer.from('PRI * HTTP/1.1\r\n\r\n'), t: 1}])
    expect(bad.out).toEqual([])
    expect(bad.stats).toBeDefined()

    const hpackErr = run([
      {dir: 0, bytes: Buffer.concat([PREFACE, frame(1, END_HEADERS | END_STREAM, 1, block([{index: 2}, {index: 6}, {index: 4}]))]), t: 1},
      {dir: 1, bytes: frame(1, END_HEADERS | END_STREAM, 1, Buffer.from([0xff, 0x7f])), t: 1.1},
    ]).out
    expect(hpackErr.map((t) => t.anomalies)).toEqual([['http2.hpack', 'http2.no_response']])

    const interleaved = run([
      {dir: 0, bytes: Buffer.concat([PREFACE, frame(1, END_HEADERS | END_STREAM, 1, block([{index: 2}, {index: 6}, {index: 4}]))]), t: 1},
      {dir: 1, bytes: Buffer.concat([frame(1, 0, 1, block([{index: 8}])), frame(0, 0, 1, 'x')]), t: 1.1},
    ]).out
    expect(interleaved.map((t) => t.anomalies)).toEqual([['http2.malformed', 'http2.no_response']])

    const c = collector()
    const h = protocol.tcp!.create(fakeConn(), c.ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    h.data(0, Buffer.concat([PREFACE, frame(1, END_HEADERS, 1, block([{index: 3}, {index: 6}, {index: 4}]))]), at)
    h.gap(0, 100, at)
    h.data(0, frame(0, END_STREAM, 1, 'late'), at)
    h.data(1, frame(1, END_HEADERS | END_STREAM, 1, block([{index: 8}])), at)
    h.end('fin', at)
    expect(c.out.map((t) => [t.status, t.anomalies])).toEqual([['OK', ['tcp.gap', 'http2.stream_incomplete']]])
  })

  it('bounds header blocks and streams by the limits', () => {
    const big = block([{index: 2}, {index: 6}, {index: 4}, {name: 'x-big', value: 'v'.repeat(300)}])
    const a = run([{dir: 0, bytes: Buffer.concat([PREFACE, frame(1, END_HEADERS | END_STREAM, 1, big)]), t: 1}], undefined, {}, {maxHeaderBytes: 200}).out
    expect(a).toEqual([])
    const reqs: Buffer[] = [PREFACE]
    for (let id = 1; id <= 7; id += 2) reqs.push(frame(1, END_HEADERS | END_STREAM, id, block([{index: 2}, {index: 6}, {index: 4}])))
    const b = run([{dir: 0, bytes: Buffer.concat(reqs), t: 1}], undefined, {}, {maxPendingRequests: 2})
    expect(b.out.map((t) => t.anomalies)).toEqual([
      ['limit.pending_requests', 'http2.no_response'],
      ['limit.pending_requests', 'http2.no_response'],
      ['http2.no_response'],
      ['http2.no_response'],
    ])
    // A table size update above the receiver's SETTINGS_HEADER_TABLE_SIZE (capped by the limit).
    const c = run(
      [
        {dir: 1, bytes: settings([[1, 100]]), t: 0.5},
        {dir: 0, bytes: Buffer.concat([PREFACE, frame(1, END_HEADERS | END_STREAM, 1, block([{index: 2}, {index: 6}, {index: 4}], 200))]), t: 1},
      ],
      undefined,
      {},
      {http2MaxHeaderTableBytes: 1000},
    ).out
    expect(c).toEqual([])
  })
})
