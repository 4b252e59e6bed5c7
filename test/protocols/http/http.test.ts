import zlib from 'node:zlib'
import {describe, expect, it} from 'vitest'
import type {Transaction} from '../../../src/event/types.js'
import {canon, type RunOptions, type RunResult, req, res, run, type Step, splits} from './harness.js'

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: example.com\r\n${extra}\r\n`
const OK = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`
const len = (s: string | Buffer) => (typeof s === 'string' ? Buffer.byteLength(s, 'latin1') : s.length)

const gzBody = zlib.gzipSync(Buffer.from('<html>' + 'hello gzip world '.repeat(50) + '</html>'))
const gzDecoded = 6 + 17 * 50 + 7
const gzHead = `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\nContent-Length: ${gzBody.length}\r\n\r\n`
const dfPlain = Buffer.from('deflate me '.repeat(40))
const dfZlib = zlib.deflateSync(dfPlain)
const dfRaw = zlib.deflateRawSync(dfPlain)
const chunkedGz = (() => {
  const a = gzBody.subarray(0, 20)
  const b = gzBody.subarray(20)
  return Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n'),
    Buffer.from(a.length.toString(16) + '\r\n'),
    a,
    Buffer.from('\r\n' + b.length.toString(16) + '\r\n'),
    b,
    Buffer.from('\r\n0\r\n\r\n'),
  ])
})()

const chunkedResp = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=val;q="x y"\r\nhello\r\n6 \r\n world\r\nA\r\n0123456789\r\n0;last\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n'
const postCont = 'POST /upload HTTP/1.1\r\nHost: example.com\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n'

interface Case {
  name: string
  steps: Step[]
  opts?: RunOptions
  /** Partial transactions, in emission order (toMatchObject). */
  expect: Array<Record<string, unknown>>
  /** Further assertions on the run. */
  check?: (r: RunResult) => void
  /** Skip the split-at-every-offset check (only for cases whose meaning depends on call boundaries). */
  noSplit?: boolean
}

const cases: Case[] = [
  {
    name: 'keep-alive: three exchanges on one connection',
    steps: [req(GET('/a')), res(OK('aaa')), req(GET('/b?x=1&y=2', 'User-Agent: curl/8.0\r\nReferer: http://r.example/\r\n')), res(OK('')), req(GET('/c')), res('HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nnope')],
    expect: [
      {
        status: 'OK',
        method: 'GET',
        path: '/a',
        query: 'GET /a',
        requestBytes: len(GET('/a')),
        responseBytes: len(OK('aaa')),
        startFrame: 1,
        endFrame: 2,
        startSec: 1000,
        endSec: 1001,
        endNsec: 1000,
        fields: {
          http: {version: '1.1', request: {method: 'GET', bytes: len(GET('/a')), body: {bytes: 0}}, response: {status_code: 200, status_phrase: 'OK', bytes: len(OK('aaa')), body: {bytes: 3}}},
          url: {original: '/a', full: 'http://example.com/a', scheme: 'http', domain: 'example.com', path: '/a'},
          destination: {domain: 'example.com'},
        },
      },
      {
        status: 'OK',
        query: 'GET /b',
        path: '/b',
        startFrame: 3,
        endFrame: 4,
        fields: {
          http: {request: {referrer: 'http://r.example/'}, response: {status_code: 200, body: {bytes: 0}}},
          url: {original: '/b?x=1&y=2', path: '/b', query: 'x=1&y=2', full: 'http://example.com/b?x=1&y=2'},
          user_agent: {original: 'curl/8.0'},
        },
      },
      {status: 'Error', path: '/c', fields: {http: {response: {status_code: 404, status_phrase: 'Not Found', mime_type: 'text/plain', body: {bytes: 4}}}}},
    ],
    check: (r) => {
      expect(r.tx[0].notes).toBeUndefined()
      expect(r.tx[0].fields.url).not.toHaveProperty('port')
      expect(r.tx[0].fields).not.toHaveProperty('user_agent')
      expect((r.tx[0].fields.http as {request: object}).request).not.toHaveProperty('headers')
    },
  },
  {
    name: 'pipelining: three requests in one segment, three responses in one segment',
    steps: [req(GET('/1') + GET('/2') + GET('/3')), res(OK('one') + 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n' + 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nthree')],
    expect: [
      {path: '/1', status: 'OK', fields: {http: {response: {status_code: 200, body: {bytes: 3}}}}},
      {path: '/2', status: 'OK', fields: {http: {response: {status_code: 200, body: {bytes: 3}}}}},
      {path: '/3', status: 'Error', fields: {http: {response: {status_code: 500, status_phrase: 'Internal Server Error', body: {bytes: 5}}}}},
    ],
    check: (r) => {
      for (const t of r.tx) expect(t.requestBytes).toBe(len(GET('/1')))
      expect(r.tx[1].responseBytes).toBe(len('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n'))
    },
  },
  {
    name: 'chunked body with chunk extensions and trailers',
    steps: [req(GET('/chunks')), res(chunkedResp), req(GET('/after')), res(OK('z'))],
    expect: [
      {path: '/chunks', responseBytes: len(chunkedResp), fields: {http: {response: {status_code: 200, bytes: len(chunkedResp), body: {bytes: 21}}}}},
      {path: '/after', fields: {http: {response: {body: {bytes: 1}}}}},
    ],
    check: (r) => expect(r.tx[0].notes).toBeUndefined(),
  },
  {
    name: 'chunked request body',
    steps: [req('POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n'), res(OK('ok'))],
    expect: [{method: 'POST', fields: {http: {request: {body: {bytes: 4}}, response: {status_code: 200}}}}],
  },
  {
    name: 'close-delimited response body ended by the connection end',
    steps: [req('GET /stream HTTP/1.0\r\n\r\n'), res('HTTP/1.0 200 OK\r\nContent-Type: Text/Plain; charset=x\r\n\r\nfirst part '), res('second part'), {end: 'fin'}],
    expect: [{status: 'OK', endFrame: 3, fields: {http: {version: '1.0', response: {status_code: 200, body: {bytes: 22}, mime_type: 'text/plain'}}, url: {full: 'http://10.0.0.2/stream', domain: '10.0.0.2'}}}],
    check: (r) => expect(r.tx[0].notes).toBeUndefined(),
  },
  {
    name: 'close-delimited body ended by RST is noted',
    steps: [req('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), res('HTTP/1.1 200 OK\r\n\r\nabc'), {end: 'rst'}],
    expect: [{notes: ['body ended by connection rst'], fields: {http: {response: {body: {bytes: 3}}}}}],
  },
  {
    name: 'HEAD response with Content-Length has no body',
    steps: [req('HEAD /big HTTP/1.1\r\nHost: h\r\n\r\n'), res('HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n'), req(GET('/next')), res(OK('body'))],
    expect: [
      {method: 'HEAD', fields: {http: {response: {status_code: 200, body: {bytes: 0}}}}},
      {path: '/next', fields: {http: {response: {body: {bytes: 4}}}}},
    ],
  },
  {
    name: '204 and 304 responses have no body even with Content-Length',
    steps: [req(GET('/a') + GET('/b') + GET('/c')), res('HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n' + OK('xy'))],
    expect: [
      {status: 'OK', fields: {http: {response: {status_code: 204, body: {bytes: 0}}}}},
      {status: 'OK', fields: {http: {response: {status_code: 304, body: {bytes: 0}}}}},
      {status: 'OK', fields: {http: {response: {status_code: 200, body: {bytes: 2}}}}},
    ],
  },
  {
    name: '100-continue: interim response does not complete the transaction',
    steps: [req(postCont), res('HTTP/1.1 100 Continue\r\n\r\n'), req('0123456789'), res(OK('done'))],
    expect: [
      {
        method: 'POST',
        status: 'OK',
        requestBytes: len(postCont) + 10,
        responseBytes: len('HTTP/1.1 100 Continue\r\n\r\n') + len(OK('done')),
        endFrame: 4,
        fields: {http: {request: {body: {bytes: 10}}, response: {status_code: 200, bytes: len(OK('done'))}}, pbx: {http: {interim_status_codes: [100]}}},
      },
    ],
  },
  {
    name: 'early final response before the request body ends',
    steps: [req(postCont), res('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n'), req('0123456789'), req(GET('/x')), res(OK('x'))],
    expect: [
      {method: 'POST', status: 'Error', endFrame: 2, fields: {http: {request: {body: {bytes: 10}}, response: {status_code: 413}}}},
      {path: '/x', status: 'OK'},
    ],
  },
  {
    name: 'gzip body (Content-Length) counted on the wire and decoded',
    steps: [req(GET('/gz', 'Accept-Encoding: gzip\r\n')), res(Buffer.concat([Buffer.from(gzHead), gzBody]))],
    expect: [
      {
        fields: {
          http: {response: {status_code: 200, mime_type: 'text/html', body: {bytes: gzBody.length}, bytes: len(gzHead) + gzBody.length}},
          pbx: {http: {response: {body: {decoded_bytes: gzDecoded}}}},
        },
      },
    ],
    check: (r) => expect(r.tx[0].notes).toBeUndefined(),
  },
  {
    name: 'chunked gzip body decoded across chunks',
    steps: [req(GET('/gz')), res(chunkedGz)],
    expect: [{fields: {http: {response: {body: {bytes: gzBody.length}}}, pbx: {http: {response: {body: {decoded_bytes: gzDecoded}}}}}}],
  },
  {
    name: 'deflate bodies: zlib-wrapped and raw',
    steps: [
      req(GET('/z') + GET('/r')),
      res(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: ${dfZlib.length}\r\n\r\n`), dfZlib])),
      res(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: ${dfRaw.length}\r\n\r\n`), dfRaw])),
    ],
    expect: [
      {fields: {http: {response: {body: {bytes: dfZlib.length}}}, pbx: {http: {response: {body: {decoded_bytes: dfPlain.length}}}}}},
      {fields: {http: {response: {body: {bytes: dfRaw.length}}}, pbx: {http: {response: {body: {decoded_bytes: dfPlain.length}}}}}},
    ],
  },
  {
    name: 'decoded size capped by maxDecodedBodyBytes',
    steps: [req(GET('/gz')), res(Buffer.concat([Buffer.from(gzHead), gzBody]))],
    opts: {limits: {maxDecodedBodyBytes: 100}},
    expect: [{notes: ['decoded body exceeds maxDecodedBodyBytes: decoded size is a lower bound'], fields: {pbx: {http: {response: {body: {decoded_bytes: 100}}}}}}],
    check: (r) => expect(r.stats.limitsHit.get('maxDecodedBodyBytes')).toBe(1),
  },
  {
    name: 'corrupt gzip body: wire size kept, note added',
    steps: [req(GET('/bad')), res('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\nnot gzip at!')],
    expect: [{notes: ['malformed compressed body'], fields: {http: {response: {body: {bytes: 12}}}}}],
  },
  {
    name: 'header section over maxHeaderBytes: the request is emitted with what was parsed and a note, its response paired',
    steps: [
      req(`GET /huge HTTP/1.1\r\nHost: big.example\r\nX-Big: ${'a'.repeat(400)}\r\n\r\n`),
      res(OK('h')),
      req(GET('/small')),
      res(OK('s')),
    ],
    opts: {limits: {maxHeaderBytes: 200}},
    expect: [
      {path: '/huge', status: 'OK', notes: ['header section exceeds maxHeaderBytes: later headers and the body not read'], fields: {url: {domain: 'big.example'}}},
      // the rest of the oversize head (the X-Big line) was skipped
      {path: '/small', status: 'OK', notes: ['resynchronised: 411 bytes skipped before this message']},
    ],
    check: (r) => {
      expect(r.stats.limitsHit.get('maxHeaderBytes')).toBe(1)
      expect(r.stats.malformed.get('http: header section exceeds maxHeaderBytes')).toBe(1)
    },
  },
  {
    name: 'gap inside a body shortens the body',
    steps: [req(GET('/g')), res('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n' + 'a'.repeat(30)), {gap: 1, n: 40}, res('b'.repeat(30)), req(GET('/h')), res(OK('ok'))],
    expect: [
      {path: '/g', notes: ['gap in body'], endFrame: 4, fields: {http: {response: {body: {bytes: 60}}}}},
      {path: '/h', fields: {http: {response: {body: {bytes: 2}}}}},
    ],
    check: (r) => expect(r.tx[1].notes).toBeUndefined(),
  },
  {
    name: 'gap running past the end of a body: resync on the next status line',
    steps: [req(GET('/g') + GET('/h')), res('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), {gap: 1, n: 20}, res('tail of something\r\n' + OK('ok'))],
    expect: [
      {path: '/g', notes: ['gap in body'], fields: {http: {response: {body: {bytes: 3}}}}},
      {path: '/h', notes: ['resynchronised: 19 bytes skipped before this message'], fields: {http: {response: {body: {bytes: 2}}}}},
    ],
  },
  {
    name: 'gap inside a start line: partial request dropped, resync on the next request line',
    steps: [req('GE'), {gap: 0, n: 60}, req('ample.com\r\n\r\n' + GET('/found')), res(OK('f'))],
    expect: [
      {
        path: '/found',
        status: 'OK',
        notes: ['gap in headers: previous message dropped, resynchronised', 'resynchronised: 13 bytes skipped before this message'],
      },
    ],
    check: (r) => expect(r.stats.malformed.get('http: gap in headers')).toBe(1),
  },
  {
    name: 'gap in headers after the start line: truncated request kept, resync on the next one',
    steps: [req('GET /lost HTTP/1.1\r\nUser-Agent: ua\r\nHost: ex'), {gap: 0, n: 50}, req('ample.com\r\nAccept: */*\r\n\r\n' + GET('/found')), res(OK('l') + OK('f'))],
    expect: [
      {path: '/lost', status: 'OK', notes: ['gap in headers: message truncated'], fields: {user_agent: {original: 'ua'}, url: {domain: '10.0.0.2'}}},
      {path: '/found', status: 'OK', notes: ['resynchronised: 26 bytes skipped before this message']},
    ],
  },
  {
    name: 'gap inside a start line that still reads as one (snaplen-truncated packet): kept',
    steps: [req('GET /images/x.gif HTT'), {gap: 0, n: 500}, res('HTTP/1.1 200 OK\r\nDate: Tue, 16'), {gap: 1, n: 900}],
    expect: [
      {
        path: '/images/x.gif',
        status: 'OK',
        notes: ['bad HTTP version in request line', 'gap in headers: message truncated'],
        fields: {http: {response: {status_code: 200, bytes: 30}}},
      },
    ],
    check: (r) => expect(r.tx[0].fields.http).not.toHaveProperty('version'),
  },
  {
    name: 'unknown method with a broken version is not a request: its response stands alone',
    steps: [req('T / HTTP\r\n\r\n'), res('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')],
    expect: [{status: 'Error', notes: ['response without request'], fields: {http: {response: {status_code: 400}}}}],
    check: (r) => expect(r.stats.malformed.get('http: bad request line')).toBe(1),
  },
  {
    name: 'connection ends inside a response header section',
    steps: [req(GET('/x')), res('HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Le'), {end: 'fin'}],
    expect: [{status: 'Error', notes: ['connection ended inside headers'], fields: {http: {response: {status_code: 503, bytes: 45}}}}],
  },
  {
    name: 'request without response',
    steps: [req(GET('/alone')), {end: 'fin'}],
    expect: [{path: '/alone', status: 'Error', notes: ['no response'], responseBytes: 0, startFrame: 1, endFrame: 1}],
    check: (r) => {
      expect(r.stats.unmatchedRequests).toBe(1)
      expect((r.tx[0].fields.http as Record<string, unknown>).response).toBeUndefined()
    },
  },
  {
    name: 'response without request',
    steps: [res(OK('orphan'))],
    expect: [{status: 'Error', notes: ['response without request'], requestBytes: 0, fields: {http: {response: {status_code: 200, body: {bytes: 6}}}}}],
    check: (r) => {
      expect(r.stats.unmatchedResponses).toBe(1)
      expect(r.tx[0].method).toBeUndefined()
      expect(r.tx[0].fields.url).toBeUndefined()
    },
  },
  {
    name: 'status >= 400 is Error, 3xx is OK',
    steps: [req(GET('/a') + GET('/b') + GET('/c')), res('HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nHTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n\r\n')],
    expect: [{status: 'OK'}, {status: 'Error'}, {status: 'Error'}],
  },
  {
    name: 'absolute-form request target (proxy request)',
    steps: [req('GET http://Proxy.Example:8080/x/y?q=1#frag HTTP/1.1\r\nHost: proxy.example:8080\r\n\r\n'), res(OK(''))],
    expect: [
      {
        path: '/x/y',
        query: 'GET /x/y',
        fields: {url: {original: 'http://Proxy.Example:8080/x/y?q=1#frag', scheme: 'http', domain: 'proxy.example', port: 8080, path: '/x/y', query: 'q=1', full: 'http://proxy.example:8080/x/y?q=1'}},
      },
    ],
  },
  {
    name: 'absolute-form without a path, IPv6 Host with a port',
    steps: [req('GET http://host HTTP/1.1\r\n\r\nGET /v6 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n'), res(OK('') + OK(''))],
    expect: [
      {path: '/', fields: {url: {domain: 'host', path: '/', full: 'http://host/'}}},
      {fields: {url: {domain: '2001:db8::1', port: 8443, full: 'http://[2001:db8::1]:8443/v6'}}},
    ],
  },
  {
    name: 'send_headers: lower-cased names, repeats joined, hostile names stay own properties',
    steps: [req('GET / HTTP/1.1\r\nHost: h\r\n__proto__: polluted\r\nConstructor: c\r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Length: 0\r\n\r\n'), res(OK('abc', 'Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n'))],
    opts: {options: {send_headers: true}},
    expect: [
      {
        fields: {
          http: {
            request: {headers: {host: 'h', constructor: 'c', 'x-dup': '1, 2', 'content-length': 0}},
            response: {headers: {'set-cookie': 'a=1, b=2', 'content-length': 3}},
          },
        },
      },
    ],
    check: (r) => {
      const headers = (r.tx[0].fields.http as {request: {headers: Record<string, unknown>}}).request.headers
      expect(Object.hasOwn(headers, '__proto__')).toBe(true)
      expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('polluted')
      expect(Object.getOwnPropertyDescriptor(JSON.parse(JSON.stringify(headers)), '__proto__')?.value).toBe('polluted')
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect(Object.prototype).not.toHaveProperty('polluted')
    },
  },
  {
    name: 'Authorization: Basic gives user.name (never the password); other schemes and bad credentials give none',
    steps: [
      req(
        'GET /1 HTTP/1.1\r\nHost: h\r\nAuthorization: Basic c2ltcGxlc2ltb246YWJjZDEyMys=\r\n\r\n' +
          'GET /2 HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc.def\r\n\r\n' +
          'GET /3 HTTP/1.1\r\nHost: h\r\nAuthorization: basic bm9jb2xvbg==\r\n\r\n',
      ),
      res(OK('') + OK('') + OK('')),
    ],
    expect: [{path: '/1', fields: {user: {name: 'simplesimon'}}}, {path: '/2'}, {path: '/3'}],
    check: (r) => {
      expect(r.tx[1].fields).not.toHaveProperty('user')
      expect(r.tx[2].fields).not.toHaveProperty('user')
      expect(JSON.stringify(r.tx[0].fields)).not.toContain('abcd123')
    },
  },
  {
    name: 'obs-fold continuation lines are joined',
    steps: [req('GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: first\r\n  second\r\n\tthird\r\n\r\n'), res(OK(''))],
    expect: [{fields: {user_agent: {original: 'first second third'}}, notes: ['obsolete header line folding']}],
  },
  {
    name: 'bare LF line endings and empty lines between messages',
    steps: [req('GET /lf HTTP/1.1\nHost: h\n\n\r\n\r\nGET /two HTTP/1.1\nHost: h\n\n'), res('HTTP/1.1 200 OK\nContent-Length: 1\n\nx\r\nHTTP/1.1 200 OK\nContent-Length: 0\n\n')],
    expect: [
      {path: '/lf', fields: {http: {response: {body: {bytes: 1}}}}},
      {path: '/two', fields: {http: {response: {body: {bytes: 0}}}}},
    ],
    check: (r) => expect(r.tx.every((t) => t.notes === undefined)).toBe(true),
  },
  {
    name: 'CONNECT 200: tunnel, parsing stops in both directions',
    steps: [
      req('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
      res('HTTP/1.1 200 Connection established\r\n\r\n'),
      req(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x0a, 0x0d, 0x0a, 0x00])),
      res(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x02, 0x0a, 0x0a])),
    ],
    expect: [{method: 'CONNECT', status: 'OK', query: 'CONNECT example.com:443', notes: ['CONNECT tunnel established: HTTP parsing stopped'], fields: {url: {original: 'example.com:443', domain: 'example.com', port: 443}}}],
    check: (r) => {
      expect(r.tx).toHaveLength(1)
      expect(r.stats.malformed.size).toBe(0)
    },
  },
  {
    name: 'CONNECT refused: parsing goes on',
    steps: [req('CONNECT a:443 HTTP/1.1\r\n\r\n'), res('HTTP/1.1 407 Proxy Auth Required\r\nContent-Length: 0\r\n\r\n'), req(GET('/next')), res(OK('n'))],
    expect: [{method: 'CONNECT', status: 'Error'}, {path: '/next', status: 'OK'}],
  },
  {
    name: 'Upgrade to websocket (101): parsing stops',
    steps: [req(GET('/ws', 'Upgrade: websocket\r\nConnection: Upgrade\r\n')), res('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello'), req('\x81\x85abcdGET / HTTP/1.1\r\n\r\n')],
    expect: [{path: '/ws', status: 'OK', notes: ['switching protocols to websocket: HTTP parsing stopped'], fields: {http: {response: {status_code: 101}}}}],
    check: (r) => expect(r.tx).toHaveLength(1),
  },
  {
    name: 'bad chunk size: message cut short, next response resynchronised',
    steps: [req(GET('/a') + GET('/b')), res('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nrubbish\r\n' + OK('b'))],
    expect: [
      {path: '/a', notes: ['bad chunk size line']},
      {path: '/b', notes: ['resynchronised: 12 bytes skipped before this message'], fields: {http: {response: {body: {bytes: 1}}}}},
    ],
  },
  {
    name: 'lenient request lines: HTTP/0.9 simple request, odd version, extra token',
    steps: [
      req('GET /old\r\n'),
      res(OK('0.9')),
      req('GET /trunc HTT\r\nHost: h\r\n\r\n'),
      res(OK('t')),
      req('CONNECT mail.example:25 / HTTP/1.0\r\n\r\n'),
      res('HTTP/1.0 200 OK\r\n\r\n'),
    ],
    expect: [
      {path: '/old', status: 'OK', requestBytes: 10, fields: {http: {version: '0.9'}}},
      {path: '/trunc', status: 'OK', notes: ['bad HTTP version in request line']},
      {method: 'CONNECT', fields: {url: {original: 'mail.example:25', domain: 'mail.example', port: 25}}},
    ],
    check: (r) => expect(r.tx[1].fields.http).not.toHaveProperty('version'),
  },
  {
    name: 'known method alone on the request line',
    steps: [req('OPTIONS\nHost: h\n\n'), res('HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n')],
    expect: [{method: 'OPTIONS', status: 'Error', notes: ['request line without request-target'], fields: {url: {original: ''}, http: {response: {status_code: 400}}}}],
  },
  {
    name: 'strict start lines while resynchronising: body text is not taken for a request',
    steps: [req('XYZZY /a HT'), {gap: 0, n: 10}, req('xx\r\nGET /not-a-request\r\nPOST /b HTTP/1.1\r\nContent-Length: 0\r\n\r\n'), res(OK('1'))],
    expect: [{method: 'POST', path: '/b', notes: ['gap in headers: previous message dropped, resynchronised', 'resynchronised: 24 bytes skipped before this message']}],
  },
  {
    name: 'HTTP/0.9: a simple request answered by a bare body up to the connection end',
    steps: [req('GET /old\r\n'), res('<html>plain old body</html>\n'), res('more'), {end: 'fin'}],
    expect: [
      {
        status: 'OK',
        path: '/old',
        requestBytes: 10,
        responseBytes: 32,
        fields: {http: {version: '0.9', request: {method: 'GET'}, response: {bytes: 32, body: {bytes: 32}}}},
      },
    ],
    check: (r) => {
      const resp = (r.tx[0].fields.http as {response: Record<string, unknown>}).response
      expect(resp.status_code).toBeUndefined()
      expect(r.tx[0].notes ?? []).toEqual([])
      expect(r.stats.unmatchedResponses).toBe(0)
    },
  },
  {
    name: 'HTTP/0.9 request answered with a status line is read as that response',
    steps: [req('GET /HTTP/1.1\r\n'), res('HTTP/1.0 403 Forbidden\r\nContent-Length: 2\r\n\r\nno')],
    expect: [{status: 'Error', path: '/HTTP/1.1', fields: {http: {version: '0.9', response: {status_code: 403, body: {bytes: 2}}}}}],
  },
  {
    name: 'reversed roles: a request from the TCP server first (on its SYN-ACK, zeek payload-synack.pcap) is a request, oriented as sent',
    steps: [res('GET //index.php?page=../../../etc/passwd HTTP/1.1\r\nHost: victim.example\r\nUser-Agent: czxt2s\r\n\r\n'), req(OK('no'))],
    expect: [{method: 'GET', path: '//index.php', status: 'OK', sentByServer: true, fields: {source: {domain: 'victim.example'}, user_agent: {original: 'czxt2s'}, http: {response: {status_code: 200}}}}],
    check: (r) => expect(r.tx[0].fields.destination).toBeUndefined(),
  },
  {
    name: 'CCM_POST with a malformed version is kept like GET/POST/PUT (zeek methods.pcap)',
    steps: [req('CCM_POST / HTTP/1.\r\nHost: www.google.com\r\n\r\n'), res('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n')],
    expect: [{method: 'CCM_POST', path: '/', status: 'Error', notes: ['bad HTTP version in request line'], fields: {http: {response: {status_code: 405}}}}],
  },
  {
    name: 'request truncated by the connection end',
    steps: [req('POST /p HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc'), {end: 'fin'}],
    expect: [{status: 'Error', notes: ['connection ended inside body', 'no response'], fields: {http: {request: {body: {bytes: 3}}}}}],
  },
]

function assertCase(c: Case, r: RunResult): void {
  expect(r.tx).toHaveLength(c.expect.length)
  for (const [i, e] of c.expect.entries()) expect(r.tx[i] as unknown as Record<string, unknown>).toMatchObject(e)
  for (const t of r.tx) assertInvariants(t)
  c.check?.(r)
}

function assertInvariants(t: Transaction): void {
  expect(t.type).toBe('http')
  expect(t.requestBytes).toBeGreaterThanOrEqual(0)
  expect(t.responseBytes).toBeGreaterThanOrEqual(0)
  expect(t.endSec * 1e9 + t.endNsec).toBeGreaterThanOrEqual(t.startSec * 1e9 + t.startNsec)
  // No undefined or null values anywhere in the fields (SCHEMA: leave them out).
  const walk = (v: unknown): void => {
    expect(v).not.toBeNull()
    expect(v).not.toBeUndefined()
    if (v && typeof v === 'object') for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k])
  }
  walk(t.fields)
}

describe('http exchanges (table-driven)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const whole = run(c.steps, c.opts)
      assertCase(c, whole)
      if (c.noSplit) return
      const ref = canon(whole)
      let n = 0
      for (const s of splits(c.steps)) {
        const r = run(c.steps, {...c.opts, split: s.split})
        const got = canon(r)
        if (got !== ref) expect.fail(`${s.name}: result differs from unsplit run\n${got}\n${ref}`)
        n++
      }
      expect(n).toBeGreaterThan(0)
    })
  }
})
