import {describe, expect, it} from 'vitest'
import {req, res, run} from './harness.js'

// The session makes its response parser on the first bytes or gap from the server, and shares its
// capture policies between sessions of the same options: neither may change what is reported.
describe('http session: response parser made on demand, policies shared', () => {
  const GET = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n'
  const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'

  it('a gap from the server before any response bytes is noted on the next response', () => {
    const r = run([req(GET), {gap: 1, n: 40}, req(GET), res(OK)])
    expect(r.stats.malformed.get('http: gap between messages')).toBe(1)
    const notes = r.tx.flatMap((t) => t.notes ?? [])
    expect(notes.some((n) => n.includes('gap of 40 bytes before this message'))).toBe(true)
  })

  it('a server that never sends: requests end unanswered, nothing is counted for the response side', () => {
    const r = run([req(GET), req(GET)])
    expect(r.tx).toHaveLength(2)
    expect(r.tx.every((t) => t.status === 'Error')).toBe(true)
    expect([...r.stats.malformed.keys()].filter((k) => k.startsWith('http: gap'))).toEqual([])
  })

  it('sessions of the same options keep their own heads and bodies', () => {
    const options = {send_request: true, send_response: true, include_body_for: ['text/plain']}
    const body = (s: string) => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${s.length}\r\n\r\n${s}`
    const a = run([req(GET), res(body('first'))], {options})
    const b = run([req(GET.replace('/a', '/b')), res(body('second!'))], {options})
    const text = (r: typeof a) => JSON.stringify(r.tx[0].fields)
    expect(text(a)).toContain('first')
    expect(text(a)).not.toContain('second!')
    expect(text(b)).toContain('second!')
    expect(text(b)).toContain('/b')
    expect(text(b)).not.toContain('first')
  })
})
