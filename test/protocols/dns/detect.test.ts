import {describe, expect, it} from 'vitest'
import {detect, detectTcp} from '../../../src/protocols/dns/index.js'
import {query, u16} from './helpers.js'

describe('dns content detection (non-standard ports)', () => {
  it('keeps an SRV (qtype 33) query as DNS', () => {
    const q = query(77, '_http._tcp.example.com', 33)
    expect(detect(q, 0)).toBe(true)
    expect(detectTcp(Buffer.concat([u16(q.length), q]), 0)).toBe(true)
  })
  it('keeps a NIMLOC-typed (32) ordinary name as DNS', () => {
    expect(detect(query(78, 'host.example.com', 32), 0)).toBe(true)
  })
  it('rejects NetBIOS name service NB / NBSTAT queries (first-level encoded name)', () => {
    const nb = 'CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' // "*" padded, RFC 1001 14.1
    expect(detect(query(79, nb, 33), 0)).toBe(false)
    expect(detect(query(80, `${'EB'.repeat(16)}.workgroup`, 32), 0)).toBe(false)
  })
})
