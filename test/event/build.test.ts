import {describe, expect, it} from 'vitest'
import {buildEvent} from '../../src/event/build.js'
import type {ConnInfo} from '../../src/reassembly/types.js'
import type {Transaction} from '../../src/event/types.js'

const conn: ConnInfo = {
  id: 1,
  transport: 'tcp',
  ipVersion: 4,
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  clientPort: 51000,
  serverPort: 80,
  communityId: '1:abc=',
  roleBy: 'syn',
}

function txn(over: Partial<Transaction> = {}): Transaction {
  return {
    type: 'http',
    conn,
    status: 'OK',
    startSec: 1700000000,
    startNsec: 100_000_000,
    startFrame: 4,
    endSec: 1700000001,
    endNsec: 50_000_123,
    endFrame: 9,
    requestBytes: 100,
    responseBytes: 2000,
    method: 'GET',
    query: 'GET /x',
    fields: {http: {response: {status_code: 200}}, pbx: {http: {pipelined: false}}},
    ...over,
  }
}

describe('buildEvent', () => {
  it('fills the common ECS fields from the transaction', () => {
    const ev = buildEvent(txn(), {precision: 'ns'}) as Record<string, any>
    expect(ev['@timestamp']).toBe('2023-11-14T22:13:20.100000000Z')
    expect(ev.event.duration).toBe(950_000_123)
    expect(ev.event.end).toBe('2023-11-14T22:13:21.050000123Z')
    expect(ev.source).toEqual({ip: '10.0.0.1', port: 51000, bytes: 100})
    expect(ev.destination).toEqual({ip: '10.0.0.2', port: 80, bytes: 2000})
    expect(ev.client).toEqual(ev.source)
    expect(ev.server).toEqual(ev.destination)
    expect(ev.network).toEqual({transport: 'tcp', type: 'ipv4', protocol: 'http', community_id: '1:abc=', direction: 'internal', bytes: 2100})
    expect(ev.related).toEqual({ip: ['10.0.0.1', '10.0.0.2']})
    expect(ev.ecs).toEqual({version: '8.0.0'})
    expect(ev.http.response.status_code).toBe(200)
    expect(ev.pbx).toEqual({frames: [4, 9], http: {pipelined: false}})
    expect('notes' in ev).toBe(false)
    expect('resource' in ev).toBe(false)
  })

  it('prints microseconds for microsecond captures and names the file when asked', () => {
    const ev = buildEvent(txn({notes: ['no response']}), {precision: 'us', file: 'a.pcap'}) as Record<string, any>
    expect(ev['@timestamp']).toBe('2023-11-14T22:13:20.100000Z')
    expect(ev.notes).toEqual(['no response'])
    expect(ev.pbx.file).toBe('a.pcap')
  })

  it('serialises deterministically with the documented key order', () => {
    const a = JSON.stringify(buildEvent(txn(), {precision: 'us'}))
    const b = JSON.stringify(buildEvent(txn(), {precision: 'us'}))
    expect(a).toBe(b)
    expect(Object.keys(JSON.parse(a)).slice(0, 4)).toEqual(['@timestamp', 'type', 'status', 'event'])
  })

  it('lets a protocol add endpoint fields without replacing ip, port or bytes', () => {
    const ev = buildEvent(txn({fields: {destination: {domain: 'example.com', ip: 'spoofed'}}}), {precision: 'us'}) as Record<string, any>
    expect(ev.destination).toEqual({ip: '10.0.0.2', port: 80, bytes: 2000, domain: 'example.com'})
    expect(ev.server.domain).toBe('example.com')
    expect(ev.related).toEqual({ip: ['10.0.0.1', '10.0.0.2'], hosts: ['example.com']})
  })

  it('gives network.direction from internal (private, loopback, link-local) and external addresses, as the event is oriented', () => {
    const dir = (clientIp: string, serverIp: string, sentByServer = false) =>
      (buildEvent(txn({conn: {...conn, id: 77, clientIp, serverIp}, sentByServer}), {precision: 'us'}) as Record<string, any>).network.direction
    expect(dir('192.168.1.5', '8.8.8.8')).toBe('outbound')
    expect(dir('192.168.1.5', '8.8.8.8', true)).toBe('inbound')
    expect(dir('203.0.113.9', '172.16.0.1')).toBe('inbound')
    expect(dir('203.0.113.9', '198.51.100.1')).toBe('external')
    expect(dir('127.0.0.1', '127.0.0.1')).toBe('internal')
    expect(dir('fd00::1', '2001:db8::1')).toBe('outbound')
    expect(dir('fe80::1', '::ffff:10.1.2.3')).toBe('internal')
    expect(dir('172.32.0.1', '11.0.0.1')).toBe('external')
  })

  it('lists one related.ip when both ends are the same address and adds a forwarded ip', () => {
    const same = {...conn, id: 78, clientIp: '127.0.0.1', serverIp: '127.0.0.1'}
    expect((buildEvent(txn({conn: same}), {precision: 'us'}) as Record<string, any>).related).toEqual({ip: ['127.0.0.1']})
    const fwd = buildEvent(txn({fields: {network: {forwarded_ip: '198.51.100.7'}}}), {precision: 'us'}) as Record<string, any>
    expect(fwd.related.ip).toEqual(['10.0.0.1', '10.0.0.2', '198.51.100.7'])
  })

  it('orients source/destination as sent for a message from the server, keeping client/server', () => {
    const ev = buildEvent(txn({sentByServer: true}), {precision: 'us'}) as Record<string, any>
    expect(ev.source.ip).toBe('10.0.0.2')
    expect(ev.destination.ip).toBe('10.0.0.1')
    expect(ev.client.ip).toBe('10.0.0.1')
    expect(ev.server.ip).toBe('10.0.0.2')
  })

  it('leaves ports out for ICMP conversations and clamps a backwards clock to duration 0', () => {
    const icmp = {...conn, transport: 'icmp' as const, clientPort: 0, serverPort: 0}
    const ev = buildEvent(txn({conn: icmp, endSec: 1699999999}), {precision: 'us'}) as Record<string, any>
    expect(ev.source.port).toBeUndefined()
    expect(ev.event.duration).toBe(0)
  })
})
