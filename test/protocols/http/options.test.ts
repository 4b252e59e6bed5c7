/** The http protocol options (src/protocols/http/options.ts), each with Packetbeat's meaning. */
import zlib from 'node:zlib'
import {describe, expect, it} from 'vitest'
import {encodeParams, parseParams, redactAuthorizationLines, splitCookie} from '../../../src/protocols/http/payload.js'
import {canon, req, res, run, type Step, splits} from './harness.js'

const POST_FORM = (body: string, extra = '') =>
  `POST /login?next=%2Fhome&pass=top HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`
const OK = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`
const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: example.com\r\n${extra}\r\n`

type Obj = Record<string, unknown>
const http = (t: {fields: Obj}) => t.fields.http as {request: Obj & {headers?: Obj; body: Obj}; response: Obj & {headers?: Obj; body: Obj}}

describe('http options', () => {
  it('defaults: no headers, no bodies, no raw text, url.query as sent', () => {
    const r = run([req(POST_FORM('user=monica&pass=secret')), res(OK('<p>hi</p>'))])
    const t = r.tx[0]
    expect(http(t).request.headers).toBeUndefined()
    expect(http(t).request.body.content).toBeUndefined()
    expect(t.fields.request).toBeUndefined()
    expect(t.fields.response).toBeUndefined()
    expect((t.fields.url as Obj).query).toBe('next=%2Fhome&pass=top')
  })

  it('send_headers list keeps only those names plus content-type and content-length', () => {
    const r = run([req(GET('/', 'User-Agent: x\r\nX-Other: 1\r\n')), res(OK('ab', 'Server: s\r\n'))], {options: {send_headers: ['User-Agent', 'server']}})
    expect({...http(r.tx[0]).request.headers}).toEqual({'user-agent': 'x'})
    expect({...http(r.tx[0]).response.headers}).toEqual({'content-type': 'text/html; charset=utf-8', 'content-length': 2, server: 's'})
  })

  it('send_all_headers keeps every header', () => {
    const r = run([req(GET('/', 'X-Other: 1\r\n')), res(OK(''))], {options: {send_all_headers: true}})
    expect({...http(r.tx[0]).request.headers}).toEqual({host: 'example.com', 'x-other': '1'})
  })

  it('split_cookie turns Cookie and Set-Cookie into objects (names lower-cased, quotes removed)', () => {
    const r = run([req(GET('/', 'Cookie: SID=abc; theme="dark"; flag\r\n')), res(OK('', 'Set-Cookie: a=1; Path=/\r\n'))], {
      options: {send_all_headers: true, split_cookie: true},
    })
    expect({...(http(r.tx[0]).request.headers!.cookie as Obj)}).toEqual({sid: 'abc', theme: 'dark'})
    expect({...(http(r.tx[0]).response.headers!['set-cookie'] as Obj)}).toEqual({a: '1', path: '/'})
    const off = run([req(GET('/', 'Cookie: SID=abc\r\n')), res(OK(''))], {options: {send_all_headers: true}})
    expect(http(off.tx[0]).request.headers!.cookie).toBe('SID=abc')
  })

  it('real_ip_header sets network.forwarded_ip from the first address; not an IP: left out', () => {
    const steps = [req(GET('/', 'X-Forwarded-For: 89.247.39.104, 10.0.0.1\r\n')), res(OK(''))]
    expect(run(steps, {options: {real_ip_header: 'X-Forwarded-For'}}).tx[0].fields.network).toEqual({forwarded_ip: '89.247.39.104'})
    expect(run(steps).tx[0].fields.network).toBeUndefined()
    const bad = run([req(GET('/', 'X-Forwarded-For: unknown\r\n')), res(OK(''))], {options: {real_ip_header: 'x-forwarded-for'}})
    expect(bad.tx[0].fields.network).toBeUndefined()
  })

  it('hide_keywords: query and form values become xxxxx, url.query rebuilt as Packetbeat (sorted, re-encoded)', () => {
    const r = run([req(POST_FORM('user=monica&password=s3cr%21t')), res(OK(''))], {options: {hide_keywords: ['pass', 'PASSWORD']}})
    const url = r.tx[0].fields.url as Obj
    expect(url.query).toBe('next=%2Fhome&pass=xxxxx&password=xxxxx&user=monica')
    expect(url.full).toBe('http://example.com/login?next=%2Fhome&pass=xxxxx&password=xxxxx&user=monica')
    expect(JSON.stringify(r.tx[0])).not.toContain('s3cr')
    expect(JSON.stringify(r.tx[0])).not.toContain('top')
    const get = run([req(GET('/a?user=monica&pass=x')), res(OK(''))], {options: {hide_keywords: ['pass']}})
    expect((get.tx[0].fields.url as Obj).query).toBe('pass=xxxxx&user=monica')
  })

  it('redact_authorization: headers and raw request show *, user.name not extracted', () => {
    const auth = 'Authorization: Basic dXNlcjpwYXNz\r\nProxy-Authorization: Basic eDp5\r\n'
    const r = run([req(GET('/', auth)), res(OK(''))], {options: {send_all_headers: true, send_request: true, redact_authorization: true}})
    const h = http(r.tx[0]).request.headers!
    expect(h.authorization).toBe('*')
    expect(h['proxy-authorization']).toBe('*')
    expect(r.tx[0].fields.user).toBeUndefined()
    expect(r.tx[0].fields.request).toBe(GET('/', 'Authorization:' + '*'.repeat(' Basic dXNlcjpwYXNz'.length) + '\r\nProxy-Authorization:' + '*'.repeat(' Basic eDp5'.length) + '\r\n'))
    expect((run([req(GET('/', auth)), res(OK(''))]).tx[0].fields.user as Obj).name).toBe('user')
  })

  it('redact_headers replaces the values of the named headers by REDACTED', () => {
    const r = run([req(GET('/', 'X-Api-Key: k\r\n')), res(OK(''))], {options: {send_all_headers: true, redact_headers: ['X-API-Key']}})
    expect(http(r.tx[0]).request.headers!['x-api-key']).toBe('REDACTED')
  })

  it('send_request / send_response: the head as sent, plus the body only when included', () => {
    const steps: Step[] = [req(POST_FORM('a=1')), res(OK('<p>hi</p>'))]
    const r = run(steps, {options: {send_request: true, send_response: true}})
    expect(r.tx[0].fields.request).toBe(POST_FORM('a=1').slice(0, -3))
    expect(r.tx[0].fields.response).toBe(OK('<p>hi</p>').slice(0, -9))
    const withBody = run(steps, {options: {send_response: true, include_body_for: ['text/html']}})
    expect(withBody.tx[0].fields.response).toBe(OK('<p>hi</p>'))
    expect(http(withBody.tx[0]).response.body.content).toBe('<p>hi</p>')
    expect(http(withBody.tx[0]).request.body.content).toBeUndefined()
  })

  it('include_request_body_for / include_response_body_for select one side; chunked bodies are de-chunked', () => {
    const chunked = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n3\r\n":1\r\n1\r\n}\r\n0\r\n\r\n'
    const steps: Step[] = [req(POST_FORM('x=1')), res(chunked)]
    const r = run(steps, {options: {include_request_body_for: ['urlencoded'], include_response_body_for: ['json']}})
    expect(http(r.tx[0]).request.body.content).toBe('x=1')
    expect(http(r.tx[0]).response.body.content).toBe('{"a":1}')
    // the kept body does not depend on how the bytes were cut
    const want = canon(run(steps, {options: {include_body_for: ['json', 'urlencoded']}}))
    for (const s of splits(steps)) expect(canon(run(steps, {options: {include_body_for: ['json', 'urlencoded']}, split: s.split}))).toBe(want)
  })

  it('decode_body (default on) decodes gzip bodies before they are included; off: the coded bytes', () => {
    const plain = '<html>' + 'hello '.repeat(100) + '</html>'
    const gz = zlib.gzipSync(plain)
    const head = `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`
    const steps: Step[] = [req(GET('/')), res(Buffer.concat([Buffer.from(head, 'latin1'), gz]))]
    expect(http(run(steps, {options: {include_body_for: ['text/html']}}).tx[0]).response.body.content).toBe(plain)
    const off = http(run(steps, {options: {include_body_for: ['text/html'], decode_body: false}}).tx[0]).response.body.content as string
    expect(off).not.toBe(plain)
    expect(off.length).toBeGreaterThan(0)
  })

  it('max_message_size bounds the kept body (head + body) and notes the cut', () => {
    const body = 'z'.repeat(2000)
    const r = run([req(GET('/')), res(OK(body))], {options: {include_body_for: ['text/html'], max_message_size: 1024}})
    const content = http(r.tx[0]).response.body.content as string
    expect(content.length).toBe(1024 - OK('').replace('Content-Length: 0', 'Content-Length: 2000').length)
    expect(http(r.tx[0]).response.body.bytes).toBe(2000)
    expect(r.tx[0].anomalies).toContain('limit.message_bytes')
    // limits.maxCapturedMessageBytes bounds it too
    const l = run([req(GET('/')), res(OK(body))], {options: {include_body_for: ['text/html']}, limits: {maxCapturedMessageBytes: 100}})
    expect((http(l.tx[0]).response.body.content as string).length).toBeLessThan(100)
  })

  it('transaction_timeout: a request unanswered for longer (capture time) is emitted alone; the late response too', () => {
    // steps are one second apart (harness momentOf)
    const steps: Step[] = [req(GET('/slow')), req(''), res(''), res(''), res(OK('late'))]
    const r = run(steps, {options: {transaction_timeout: 2}})
    expect(r.tx.map((t) => t.anomalies ?? [])).toEqual([['http.no_response'], ['http.unmatched_response']])
    const none = run(steps)
    expect(none.tx).toHaveLength(1)
    expect(none.tx[0].status).toBe('OK')
  })
})

describe('payload helpers', () => {
  it('parseParams / encodeParams follow Go url.ParseQuery / Values.Encode', () => {
    expect(encodeParams(parseParams('b=2&a=1&a=%41+x&bad=%zz&semi;x=1&=e&k'))).toBe('=e&a=1&a=A+x&b=2&k=')
    expect(encodeParams(parseParams('%7B+%22q%22%3A+1%7D%0A'))).toBe('%7B+%22q%22%3A+1%7D%0A=')
  })
  it('splitCookie and redactAuthorizationLines', () => {
    expect({...splitCookie(' A = 1 ;b="x"; ;c')}).toEqual({a: '1', b: 'x'})
    expect(redactAuthorizationLines('GET / HTTP/1.1\r\nauthorization: ab\r\nX: y\r\n\r\n')).toBe('GET / HTTP/1.1\r\nauthorization:***\r\nX: y\r\n\r\n')
  })
})
