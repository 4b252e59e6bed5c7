/** dns protocol options: include_authorities / include_additionals (Packetbeat's names). */
import {describe, expect, it} from 'vitest'
import {DnsUdpSession} from '../../../src/protocols/dns/session.js'
import {at, buildMsg, collector, fakeConn, ipv4Rdata, query} from './helpers.js'

function answer(options: Record<string, unknown>): Record<string, unknown> {
  return run(options).dns as Record<string, unknown>
}

function run(options: Record<string, unknown>): Record<string, unknown> {
  const c = collector({}, options)
  const h = new DnsUdpSession(fakeConn('udp'), c.ctx)
  const r = buildMsg({
    id: 9,
    qr: true,
    questions: [{name: 'nx.example', type: 1}],
    rcode: 3,
    authorities: [{name: 'example', type: 1, ttl: 60, rdata: ipv4Rdata('10.0.0.9')}],
    additionals: [{name: 'ns.example', type: 1, ttl: 60, rdata: ipv4Rdata('10.0.0.53')}],
  })
  h.datagram(0, query(9, 'nx.example'), at(1, 1))
  h.datagram(1, r, at(1, 2))
  h.end(at(2, 3))
  expect(c.out).toHaveLength(1)
  return c.out[0].fields
}

describe('dns options', () => {
  it('unset: authorities and additionals are listed (pbx default)', () => {
    const d = answer({})
    expect(d.authorities).toHaveLength(1)
    expect(d.additionals).toHaveLength(1)
  })
  it('include_authorities / include_additionals false: records not listed, counts kept', () => {
    const d = answer({include_authorities: false, include_additionals: false})
    expect(d.authorities).toBeUndefined()
    expect(d.additionals).toBeUndefined()
    expect([d.authorities_count, d.additionals_count]).toEqual([1, 1])
    const only = answer({include_authorities: true, include_additionals: false})
    expect(only.authorities).toHaveLength(1)
    expect(only.additionals).toBeUndefined()
  })
  it('send_request / send_response: the messages as text in Packetbeat layout; off by default', () => {
    const f = run({send_request: true, send_response: true})
    expect(f.request).toBe('ID 9; QR query; OPCODE QUERY; FLAGS rd; RCODE NOERROR; QUESTION class IN, type A, nx.example')
    expect(f.response).toBe(
      'ID 9; QR response; OPCODE QUERY; FLAGS ; RCODE NXDOMAIN; QUESTION class IN, type A, nx.example; ' +
        'AUTHORITY example: ttl 60, class IN, type A, 10.0.0.9; ADDITIONAL ns.example: ttl 60, class IN, type A, 10.0.0.53',
    )
    const off = run({})
    expect([off.request, off.response]).toEqual([undefined, undefined])
    expect(run({send_response: true}).request).toBeUndefined()
  })
})

describe('dns transaction_timeout', () => {
  const pair = (options: Record<string, unknown>) => {
    const c = collector({}, options)
    const h = new DnsUdpSession(fakeConn('udp'), c.ctx)
    h.datagram(0, query(7, 'slow.example'), at(1, 1))
    h.datagram(1, buildMsg({id: 7, qr: true, questions: [{name: 'slow.example', type: 1}]}), at(4, 2))
    h.end(at(5, 3))
    return c.out.map((t) => t.status)
  }
  it('a response later than transaction_timeout seconds of capture time does not answer the query', () => {
    expect(pair({})).toEqual(['OK'])
    expect(pair({transaction_timeout: 2})).toEqual(['Error', 'Error'])
    expect(pair({transaction_timeout: 5})).toEqual(['OK'])
  })
})
