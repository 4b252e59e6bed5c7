import {describe, expect, it} from 'vitest'
import {req, res, run} from './harness.js'

const u = (s: string) => Buffer.from(s, 'utf8')

describe('http text decoding', () => {
  it('decodes UTF-8 in the target, header values and status phrase; invalid bytes stay visible as \\xNN', () => {
    const r = run([
      req(Buffer.concat([u('GET /caf\u00e9/bidi\u202eevil?q=\u00fc HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\u00e9st '), Buffer.from([0xff, 0xc3]), u('\r\n\r\n')])),
      res(Buffer.concat([u('HTTP/1.1 200 Tr\u00e8s bien\r\nContent-Length: 0\r\n\r\n')])),
    ])
    expect(r.tx).toHaveLength(1)
    const f = r.tx[0].fields as {url: Record<string, string>; user_agent: {original: string}; http: {response: {status_phrase?: string}}}
    expect(f.url.original).toBe('/caf\u00e9/bidi\u202eevil?q=\u00fc')
    expect(f.url.path).toBe('/caf\u00e9/bidi\u202eevil')
    expect(f.user_agent.original).toBe('t\u00e9st \\xff\\xc3')
    expect(JSON.stringify(r.tx[0].fields)).not.toContain('\u00e2\u0080')
    expect(JSON.stringify(r.tx[0].fields)).not.toContain('\ufffd')
    expect(JSON.stringify(r.tx[0].fields)).toContain('Tr\u00e8s bien')
  })
})

describe('http header values seen before', () => {
  it('are the same text as a first decode, whatever bytes differ between them (same length, invalid UTF-8, long values)', () => {
    // Values of one length that differ in a single byte at every position, repeated, interleaved with
    // invalid UTF-8 and values around the length the parser keeps recent texts for.
    const values: Buffer[] = []
    const base = 'agent/1.0 (x; y) 0123456789abcdef'
    for (let k = 0; k < base.length; k++) {
      values.push(u(base.slice(0, k) + (base[k] === 'z' ? 'y' : 'z') + base.slice(k + 1)))
      values.push(u(base))
    }
    values.push(Buffer.from([0x61, 0xff, 0x62]), Buffer.from([0x61, 0xfe, 0x62]), Buffer.from([0x61, 0xc3, 0xa9]), Buffer.from([0x61, 0xff, 0x62]))
    for (const n of [159, 160, 161, 300]) values.push(u('v'.repeat(n - 1) + 'w'), u('v'.repeat(n)), u('v'.repeat(n - 1) + 'w'))
    const expected = (b: Buffer): string =>
      [...b.toString('latin1')].map((c) => (c.charCodeAt(0) < 0x80 ? c : c === '\u00c3' ? '' : c === '\u00a9' ? '\u00e9' : `\\x${c.charCodeAt(0).toString(16)}`)).join('')
    const steps = values.flatMap((v, i) => [
      req(Buffer.concat([u(`GET /${i} HTTP/1.1\r\nHost: h${i % 3}.example\r\nUser-Agent: `), v, u('\r\nContent-Type: text/plain\r\n\r\n')])),
      res(`HTTP/1.1 200 OK\r\nContent-Type: text/${i % 2 === 0 ? 'html' : 'css'}\r\nContent-Length: 0\r\n\r\n`),
    ])
    const r = run(steps)
    expect(r.tx).toHaveLength(values.length)
    r.tx.forEach((t, i) => {
      const f = t.fields as {user_agent: {original: string}; url: {domain: string}; http: {request: {mime_type: string}; response: {mime_type: string}}}
      expect(f.user_agent.original).toBe(expected(values[i]))
      expect(f.url.domain).toBe(`h${i % 3}.example`)
      expect(f.http.response.mime_type).toBe(i % 2 === 0 ? 'text/html' : 'text/css')
    })
  })
})
