import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {protocol} from '../../../src/protocols/dhcpv4/index.js'
import {at, collector, fakeConn} from '../dns/helpers.js'

/** A DHCP message: BOOTP fixed part + magic cookie + options ([code, bytes] pairs, then END). */
function dhcp(op: number, xid: number, opts: [number, number[]][], f: {yiaddr?: string; ciaddr?: string; flags?: number; sname?: string} = {}): Buffer {
  const b = Buffer.alloc(240)
  b[0] = op
  b[1] = 1
  b[2] = 6
  b.writeUInt32BE(xid, 4)
  b.writeUInt16BE(f.flags ?? 0, 10)
  const ip = (s: string | undefined, off: number) => {
    if (s) b.writeUInt32BE(s.split('.').reduce((a, x) => a * 256 + Number(x), 0), off)
  }
  ip(f.ciaddr, 12)
  ip(f.yiaddr, 16)
  Buffer.from([0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42]).copy(b, 28)
  if (f.sname) b.write(f.sname, 44, 'latin1')
  b.writeUInt32BE(0x63825363, 236)
  const parts = [b]
  for (const [code, data] of opts) parts.push(Buffer.from([code, data.length, ...data]))
  parts.push(Buffer.from([255]))
  return Buffer.concat(parts)
}

function run(msgs: [0 | 1, Buffer][]) {
  const c = collector()
  const h = protocol.udp!.create(fakeConn('udp', 67), c.ctx)
  msgs.forEach(([dir, m], i) => {
    h.datagram(dir, m, at(1 + i, i + 1))
  })
  h.end(at(100))
  return c
}

describe('dhcpv4', () => {
  it('one event per message with Packetbeat fields (discover, offer)', () => {
    const discover = dhcp(1, 0x3d1d, [
      [53, [1]],
      [50, [0, 0, 0, 0]],
      [55, [1, 3, 6, 42]],
    ])
    const offer = dhcp(
      2,
      0x3d1d,
      [
        [53, [2]],
        [1, [255, 255, 255, 0]],
        [58, [0, 0, 7, 8]],
        [59, [0, 0, 0x0c, 0x4e]],
        [51, [0, 0, 0x0e, 0x10]],
        [54, [192, 168, 0, 1]],
        [3, [192, 168, 0, 1]],
        [6, [8, 8, 8, 8, 1, 1, 1, 1]],
        [12, [...Buffer.from('host1')]],
        [60, [...Buffer.from('MSFT 5.0')]],
      ],
      {yiaddr: '192.168.0.10', sname: 'srv'},
    )
    const {out} = run([
      [0, discover],
      [1, offer],
    ])
    expect(out).toHaveLength(2)
    expect([out[0].requestBytes, out[0].responseBytes, out[1].requestBytes, out[1].responseBytes]).toEqual([discover.length, 0, 0, offer.length])
    expect(out[0].fields.dhcpv4).toEqual({
      op_code: 'bootrequest',
      hardware_type: 'Ethernet',
      hops: 0,
      transaction_id: '0x00003d1d',
      seconds: 0,
      flags: 'unicast',
      client_mac: '00:0b:82:01:fc:42',
      option: {message_type: 'discover', requested_ip_address: '0.0.0.0', parameter_request_list: ['Subnet Mask', 'Router', 'Domain Name Server', 'NTP Servers']},
    })
    expect(out[0].method).toBe('DISCOVER')
    expect(out[1].fields.dhcpv4).toMatchObject({
      op_code: 'bootreply',
      assigned_ip: '192.168.0.10',
      server_name: 'srv',
      option: {
        message_type: 'offer',
        subnet_mask: '255.255.255.0',
        renewal_time_sec: 1800,
        rebinding_time_sec: 3150,
        ip_address_lease_time_sec: 3600,
        server_identifier: '192.168.0.1',
        router: ['192.168.0.1'],
        dns_servers: ['8.8.8.8', '1.1.1.1'],
        hostname: 'host1',
        class_identifier: 'MSFT 5.0',
      },
    })
    expect(out.map((t) => t.status)).toEqual(['OK', 'OK'])
  })

  it('NAK is an Error; broadcast flag; option overload reads options from `file`', () => {
    const nak = dhcp(2, 1, [
      [53, [6]],
      [56, [...Buffer.from('wrong network')]],
    ])
    const ov = dhcp(1, 2, [
      [53, [3]],
      [52, [1]],
    ], {flags: 0x8000})
    Buffer.from([12, 3, 0x61, 0x62, 0x63, 255]).copy(ov, 108)
    const {out} = run([
      [1, nak],
      [0, ov],
    ])
    expect([out[0].status, (out[0].fields.dhcpv4 as {option: {message: string}}).option.message]).toEqual(['Error', 'wrong network'])
    expect(out[1].fields.dhcpv4).toMatchObject({flags: 'broadcast', option: {message_type: 'request', hostname: 'abc'}})
    expect((out[1].fields.dhcpv4 as Record<string, unknown>).boot_file_name).toBeUndefined()
  })

  it('short and malformed messages: noted, counted, no throw', () => {
    const bad = dhcp(1, 3, [[53, [1]]])
    bad[bad.length - 1] = 12 // END replaced by an option whose length byte is missing
    const c = run([
      [0, Buffer.alloc(100)],
      [0, bad],
    ])
    expect(c.out.map((t) => [t.status, t.notes])).toEqual([
      ['Error', ['message of 100 bytes shorter than the BOOTP header']],
      ['OK', ['option 12: length past the end']],
    ])
    expect(c.stats.malformed.get('dhcpv4: message shorter than the 236-byte BOOTP header')).toBe(1)
  })

  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 0, maxLength: 400}), (b) => {
        const buf = Buffer.from(b)
        if (buf.length >= 240) buf.writeUInt32BE(0x63825363, 236)
        const c = collector()
        const h = protocol.udp!.create(fakeConn('udp', 67), c.ctx)
        h.datagram(0, buf, at(1))
        h.end(at(2))
        expect(c.out).toHaveLength(1)
      }),
      {numRuns: 500},
    )
  })
})
