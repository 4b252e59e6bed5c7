/**
 * HTTP CONNECT (RFC 9110 §9.3.6): the CONNECT is an http transaction; after its 2xx response every
 * byte of both directions goes to an inner connection opened by content (ProtocolContext.openInner),
 * however the segments are split; a refused CONNECT opens nothing.
 */
import {describe, expect, it} from 'vitest'
import {protocol} from '../../../src/protocols/http/index.js'
import {runInner, type Seg, splits} from '../../helpers/segment-harness.js'

const req = Buffer.from('CONNECT secure.example.com:443 HTTP/1.1\r\nHost: secure.example.com:443\r\n\r\n', 'latin1')
const ok = Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n', 'latin1')
const ch = Buffer.from([0x16, 3, 1, 0, 5, 1, 0, 0, 1, 9])
const sh = Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0])

describe('HTTP CONNECT tunnel', () => {
  it('hands the tunnel bytes to an inner connection chosen by content, at every split', () => {
    const apart: Seg[] = [{dir: 0, bytes: req}, {dir: 1, bytes: ok}, {dir: 0, bytes: ch}, {dir: 1, bytes: sh}]
    const glued: Seg[] = [{dir: 0, bytes: req}, {dir: 1, bytes: Buffer.concat([ok, sh])}, {dir: 0, bytes: ch}]
    for (const segs of [apart, glued]) {
      for (const [name, split] of splits(segs)) {
        const {out, inner} = runInner(protocol, segs, split)
        expect(out.map((t) => [t.method, t.fields.http && (t.fields.http as {response?: {status_code?: number}}).response?.status_code]), name).toEqual([
          ['CONNECT', 200],
        ])
        expect(inner.opened, name).toEqual([{self: 'http-connect', prefer: undefined}])
        expect(inner.bytes[0].equals(ch), name).toBe(true)
        expect(inner.bytes[1].equals(sh), name).toBe(true)
        expect(inner.ended, name).toBe(true)
      }
    }
  })

  it('a refused CONNECT opens no inner connection', () => {
    const segs: Seg[] = [{dir: 0, bytes: req}, {dir: 1, bytes: Buffer.from('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n')}]
    const {out, inner} = runInner(protocol, segs)
    expect(inner.opened).toEqual([])
    expect(out).toHaveLength(1)
  })
})
