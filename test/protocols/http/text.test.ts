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
