import {describe, expect, it} from 'vitest'
import {buildUrl} from '../../../src/protocols/http/matcher.js'
import type {HttpMessage} from '../../../src/protocols/http/parser.js'
import {conn} from './harness.js'

const msg = (target: string, host?: string) => ({target, header: (n: string) => (n === 'host' ? host : undefined)}) as unknown as HttpMessage

describe('url.port and url.full', () => {
  it('take the server port when the Host header names none, and leave the scheme default out', () => {
    const on8080 = {...conn, serverPort: 8080}
    expect(buildUrl(msg('/a?b=1', 'example.com'), on8080).fields).toMatchObject({domain: 'example.com', port: 8080, full: 'http://example.com:8080/a?b=1'})
    const onDefault = buildUrl(msg('/a', 'example.com'), conn).fields
    expect(onDefault.port).toBeUndefined()
    expect(onDefault.full).toBe('http://example.com/a')
    const explicit80 = buildUrl(msg('/a', 'example.com:80'), on8080).fields
    expect(explicit80.port).toBeUndefined()
    expect(explicit80.full).toBe('http://example.com/a')
    expect(buildUrl(msg('/a', 'example.com:9000'), conn).fields).toMatchObject({port: 9000, full: 'http://example.com:9000/a'})
    const https = buildUrl(msg('https://secure.example/x'), {...conn, serverPort: 443}).fields
    expect(https.port).toBeUndefined()
    expect(https.full).toBe('https://secure.example/x')
  })
})
