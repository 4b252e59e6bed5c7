import {describe, expect, it} from 'vitest'
import {decodeMessage, fullRcode} from '../../../src/protocols/dns/codec.js'
import {buildMsg, encName, ipv4Rdata, u16, u32} from './helpers.js'

function one(type: number, rdata: Buffer, extra: Buffer[] = []): string {
  const msg = buildMsg({id: 1, qr: true, questions: [{name: 'example.com', type}], answers: [{name: 'example.com', type, rdata}]})
  const d = decodeMessage(Buffer.concat([msg, ...extra]))
  expect(d).not.toBeNull()
  expect(d!.message.errors).toEqual([])
  return d!.message.answers[0].data
}

const cs = (s: string): Buffer => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')])

describe('dns codec: RDATA presentation (dig style)', () => {
  const v6 = Buffer.alloc(16)
  v6.writeUInt16BE(0x2001, 0)
  v6.writeUInt16BE(0x0db8, 2)
  v6[15] = 1
  const svcb = Buffer.concat([
    u16(1),
    Buffer.from([0]),
    u16(1), // alpn
    u16(6),
    cs('h2'),
    cs('h3'),
    u16(3), // port
    u16(2),
    u16(8443),
    u16(4), // ipv4hint
    u16(8),
    ipv4Rdata('192.0.2.1'),
    ipv4Rdata('192.0.2.2'),
  ])
  const table: [string, number, Buffer, string][] = [
    ['A', 1, ipv4Rdata('192.0.2.7'), '192.0.2.7'],
    ['AAAA', 28, v6, '2001:db8::1'],
    ['CNAME', 5, encName('www.example.net'), 'www.example.net'],
    ['NS', 2, encName('ns1.example.com'), 'ns1.example.com'],
    ['PTR', 12, encName('host.example'), 'host.example'],
    ['MX', 15, Buffer.concat([u16(10), encName('mail.example.com')]), '10 mail.example.com'],
    ['TXT', 16, Buffer.concat([cs('v=spf1 -all'), cs('a "q" \\')]), '"v=spf1 -all" "a \\"q\\" \\\\"'],
    ['SOA', 6, Buffer.concat([encName('ns.x'), encName('admin.x'), u32(2024010101), u32(7200), u32(3600), u32(1209600), u32(300)]), 'ns.x admin.x 2024010101 7200 3600 1209600 300'],
    ['SRV', 33, Buffer.concat([u16(0), u16(5), u16(5060), encName('sip.example.com')]), '0 5 5060 sip.example.com'],
    ['CAA', 257, Buffer.concat([Buffer.from([0, 5]), Buffer.from('issueletsencrypt.org')]), '0 issue "letsencrypt.org"'],
    ['NAPTR', 35, Buffer.concat([u16(100), u16(10), cs('S'), cs('SIP+D2U'), cs(''), encName('_sip._udp.example.com')]), '100 10 "S" "SIP+D2U" "" _sip._udp.example.com'],
    ['HTTPS', 65, svcb, '1 . alpn=h2,h3 port=8443 ipv4hint=192.0.2.1,192.0.2.2'],
    ['DS', 43, Buffer.concat([u16(45586), Buffer.from([5, 1]), Buffer.from('d0fdf996', 'hex')]), '45586 5 1 D0FDF996'],
    ['DNSKEY', 48, Buffer.concat([u16(257), Buffer.from([3, 8]), Buffer.from([1, 2, 3])]), '257 3 8 AQID'],
    [
      'RRSIG',
      46,
      Buffer.concat([u16(43), Buffer.from([7, 2]), u32(86400), u32(1360252164), u32(1358434164), u16(41790), encName('org'), Buffer.from([1, 2, 3])]),
      'DS 7 2 86400 20130207154924 20130117144924 41790 org AQID',
    ],
    ['NSEC', 47, Buffer.concat([encName('b.example'), Buffer.from([0, 6, 0x40, 0x01, 0, 0, 0, 0x03])]), 'b.example A MX RRSIG NSEC'],
    ['NSEC3', 50, Buffer.concat([Buffer.from([1, 0]), u16(10), Buffer.from([2, 0xab, 0xcd]), Buffer.from([5, 0, 0, 0, 0, 0]), Buffer.from([0, 1, 0x40])]), '1 0 10 ABCD 00000000 A'],
    ['unknown type', 4660, Buffer.from([1, 2, 0xff]), '\\# 3 0102FF'],
    ['empty unknown', 4660, Buffer.alloc(0), '\\# 0'],
  ]
  for (const [label, type, rdata, want] of table) {
    it(label, () => {
      expect(one(type, rdata)).toBe(want)
    })
  }

  it('malformed known RDATA falls back to RFC 3597 form with an error', () => {
    const msg = buildMsg({id: 1, qr: true, answers: [{name: 'x', type: 1, rdata: Buffer.from([1, 2, 3])}]})
    const d = decodeMessage(msg)!
    expect(d.message.answers[0].data).toBe('\\# 3 010203')
    expect(d.message.errors).toEqual(['answer: malformed A RDATA'])
  })
})

describe('dns codec: names', () => {
  it('follows backward compression pointers and reports the byte count', () => {
    const msg = buildMsg({id: 7, qr: true, questions: [{name: 'www.example.com', type: 1}]})
    // answer owner = pointer to the question name (offset 12); CNAME target = "cdn" + pointer to "example.com" (offset 16)
    const ans = Buffer.concat([Buffer.from([0xc0, 12]), u16(5), u16(1), u32(60), u16(6), Buffer.from([3, 0x63, 0x64, 0x6e, 0xc0, 16])])
    const full = Buffer.concat([msg, ans])
    full.writeUInt16BE(1, 6)
    const d = decodeMessage(Buffer.concat([full, Buffer.from('trailing')]), 0, full.length)!
    expect(d.bytes).toBe(full.length)
    expect(d.message.answers[0]).toEqual({name: 'www.example.com', type: 5, class: 1, ttl: 60, data: 'cdn.example.com'})
  })

  it('decodes at an offset inside a larger buffer (pointers relative to the message)', () => {
    const msg = buildMsg({id: 7, qr: true, questions: [{name: 'a.b', type: 1}]})
    const ans = Buffer.concat([Buffer.from([0xc0, 12]), u16(1), u16(1), u32(1), u16(4), ipv4Rdata('1.2.3.4')])
    const m = Buffer.concat([msg, ans])
    m.writeUInt16BE(1, 6)
    const d = decodeMessage(Buffer.concat([Buffer.alloc(5), m]), 5)!
    expect(d.message.answers[0].name).toBe('a.b')
    expect(d.bytes).toBe(m.length)
  })

  it.each([
    ['self pointer', Buffer.from([0xc0, 12])],
    ['forward pointer', Buffer.from([0xc0, 40])],
    ['loop through a label', Buffer.from([1, 0x61, 0xc0, 12])],
  ])('rejects a %s without looping', (_l, name) => {
    const m = buildMsg({id: 1, questions: [{name, type: 1}]})
    const d = decodeMessage(m)!
    expect(d.message.questions).toEqual([])
    expect(d.message.errors[0]).toMatch(/^question: /)
  })

  it('bounds the name length to 255 octets', () => {
    const long = Array.from({length: 5}, () => 'x'.repeat(63)).join('.')
    const d = decodeMessage(buildMsg({id: 1, questions: [{name: long, type: 1}]}))!
    expect(d.message.errors).toEqual(['question: name longer than 255 octets'])
  })

  it('escapes odd bytes like dig and keeps case and punycode', () => {
    const raw = Buffer.concat([Buffer.from([4, 0x61, 0x2e, 0x20, 0xff, 5]), Buffer.from('xn--p'), Buffer.from([3]), Buffer.from('CoM'), Buffer.from([0])])
    const d = decodeMessage(buildMsg({id: 1, questions: [{name: raw, type: 1}]}))!
    expect(d.message.questions[0].name).toBe('a\\.\\032\\255.xn--p.CoM')
  })

  it('root name is "."', () => {
    const d = decodeMessage(buildMsg({id: 1, questions: [{name: '.', type: 2}]}))!
    expect(d.message.questions[0].name).toBe('.')
  })
})

describe('dns codec: header and EDNS', () => {
  it('reads flags, counts, OPT (udp size, DO, version, extended rcode, options)', () => {
    const opt = {
      name: '.',
      type: 41,
      class: 1232,
      ttl: (1 << 24) | 0x8000,
      rdata: Buffer.concat([u16(10), u16(8), Buffer.from('0102030405060708', 'hex'), u16(8), u16(7), u16(1), Buffer.from([24, 0, 192, 0, 2])]),
    }
    const m = buildMsg({id: 99, qr: true, aa: true, tc: true, rd: true, ra: true, ad: true, cd: true, rcode: 0, opcode: 4, additionals: [opt]})
    const d = decodeMessage(m)!.message
    expect([d.id, d.qr, d.opcode, d.aa, d.tc, d.rd, d.ra, d.ad, d.cd]).toEqual([99, true, 4, true, true, true, true, true, true])
    expect(d.additionals).toEqual([])
    expect(d.arcount).toBe(1)
    expect(d.opt).toEqual({udpSize: 1232, extRcode: 1, version: 0, do: true, options: {cookie: '0102030405060708', subnet: '192.0.2.0/24/0'}})
    expect(fullRcode(d)).toBe(16)
  })

  it('returns null below 12 bytes and notes records that overrun the message', () => {
    expect(decodeMessage(Buffer.alloc(11))).toBeNull()
    const m = buildMsg({id: 1, qr: true, answers: [{name: 'a', type: 1, rdata: ipv4Rdata('1.2.3.4')}]})
    const d = decodeMessage(m.subarray(0, m.length - 2))!
    expect(d.message.answers).toEqual([])
    expect(d.message.errors).toEqual(['answer: RDATA length past the end of the message'])
  })
})
