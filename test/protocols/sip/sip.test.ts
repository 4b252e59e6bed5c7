import {describe, expect, it} from 'vitest'
import {detect, protocol} from '../../../src/protocols/sip/index.js'
import {parseNameAddr, parseSdp, parseUri, parseVia} from '../../../src/protocols/sip/parser.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'

const sdp = 'v=0\r\no=alice 2890844526 2890844527 IN IP4 192.0.2.1\r\ns=call\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\nm=video 51372 RTP/AVP 96\r\nc=IN IP4 192.0.2.9\r\na=rtpmap:96 H264/90000\r\n'
const msg = (start: string, headers: string[], body = '') =>
  Buffer.from(`${start}\r\n${headers.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)

const invite = msg(
  'INVITE sip:bob@example.com SIP/2.0',
  [
    'Via: SIP/2.0/TCP pc33.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.1',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@example.com>',
    'From: "Alice A" <sip:alice@example.com>;tag=1928301774',
    'i: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 INVITE',
    'm: <sip:alice@pc33.example.com;transport=tcp>;expires=3600;q=0.7',
    'Allow: INVITE, ACK,',
    ' CANCEL, BYE',
    'User-Agent: pbx-test/1.0',
    'Content-Type: application/sdp',
  ],
  sdp,
)
const resp = (code: string, cseq: string, tag = ';tag=a6c85cf') =>
  msg(`SIP/2.0 ${code}`, [
    'Via: SIP/2.0/TCP pc33.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.1',
    `To: Bob <sip:bob@example.com>${tag}`,
    'From: "Alice A" <sip:alice@example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    `CSeq: ${cseq}`,
    'Server: uas/2',
  ])
const ack = msg('ACK sip:bob@192.0.2.4 SIP/2.0', ['Via: SIP/2.0/TCP pc33.example.com:5060;branch=z9hG4bKnashds9', 'Call-ID: a84b4c76e66710@pc33.example.com', 'CSeq: 314159 ACK'])

const session: Step[] = [
  {dir: 0, bytes: invite, t: 1},
  {dir: 1, bytes: Buffer.concat([resp('100 Trying', '314159 INVITE', ''), resp('180 Ringing', '314159 INVITE')]), t: 1.1},
  {dir: 1, bytes: resp('200 OK', '314159 INVITE'), t: 2},
  {dir: 0, bytes: Buffer.concat([Buffer.from('\r\n\r\n'), ack]), t: 2.1},
]

function runTcp(steps: Step[], cuts?: (n: number) => number[]) {
  const c = collector()
  const h = protocol.tcp!.create(fakeConn('tcp', 5060), c.ctx)
  drive(h, steps, cuts)
  return c
}

describe('sip parser', () => {
  it('parses URIs, name-addr, Via and SDP', () => {
    expect(parseUri('sips:alice:pw@[2001:db8::1]:5061;transport=tls')).toEqual({original: 'sips:alice:pw@[2001:db8::1]:5061;transport=tls', scheme: 'sips', username: 'alice', host: '[2001:db8::1]', port: 5061})
    expect(parseUri('tel:+15551234')).toMatchObject({scheme: 'tel', username: '+15551234'})
    const n = parseNameAddr('sip:carol@chicago.com;tag=xyz')
    expect(n.uri.host).toBe('chicago.com')
    expect(n.params.get('tag')).toBe('xyz')
    expect(parseVia('SIP / 2.0 / UDP 10.0.0.1;rport=5062;branch=z9hG4bKx, SIP/2.0/UDP other')).toEqual({transport: 'UDP', host: '10.0.0.1', branch: 'z9hG4bKx', rport: '5062'})
    const s = parseSdp(sdp)
    expect(s.owner).toEqual({username: 'alice', session_id: '2890844526', version: '2890844527', ip: '192.0.2.1'})
    expect(s.connection).toEqual({info: 'IN IP4 192.0.2.1', address: '192.0.2.1'})
    expect(s.media.map((m) => [m.description, m.port, m.codecs, m.connection])).toEqual([
      ['audio', 49170, ['PCMU/8000', 'PCMA/8000'], undefined],
      ['video', 51372, ['H264/90000'], '192.0.2.9'],
    ])
  })

  it('detects request and status lines only', () => {
    expect(detect(invite, 0)).toBe(true)
    expect(detect(resp('200 OK', '1 BYE'), 1)).toBe(true)
    expect(detect(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 0)).toBe(false)
    expect(detect(Buffer.from('SIP/2.0 999 nope\r\n'), 1)).toBe(false)
    expect(detect(Buffer.from('INVITE'), 0)).toBe(false)
  })
})

describe('sip over tcp', () => {
  const whole = runTcp(session)

  it('reports every message with Packetbeat sip.* fields', () => {
    const t = whole.out
    expect(t.map((x) => `${x.method} ${(x.fields.sip as {type: string}).type} ${(x.fields.sip as {code?: number}).code ?? ''}`)).toEqual([
      'INVITE request ',
      'INVITE response 100',
      'INVITE response 180',
      'INVITE response 200',
      'ACK request ',
    ])
    const s = t[0].fields.sip as Record<string, unknown>
    expect(s).toMatchObject({
      method: 'INVITE',
      version: '2.0',
      uri: {original: 'sip:bob@example.com', scheme: 'sip', username: 'bob', host: 'example.com'},
      call_id: 'a84b4c76e66710@pc33.example.com',
      cseq: {code: 314159, method: 'INVITE'},
      via: {transport: 'tcp', sent_by: {address: 'pc33.example.com', port: 5060}, received: {address: '192.0.2.1'}, branch: 'z9hG4bK776asdhds'},
      from: {display_info: 'Alice A', tag: '1928301774', uri: {username: 'alice'}},
      to: {display_info: 'Bob', uri: {host: 'example.com'}},
      contact: {uri: {host: 'pc33.example.com'}, transport: 'tcp', expires: '3600', q: '0.7'},
      max_forwards: 70,
      allow: ['INVITE', 'ACK', 'CANCEL', 'BYE'],
      user_agent: {original: 'pbx-test/1.0'},
      content_type: 'application/sdp',
      content_length: Buffer.byteLength(sdp),
      sdp: {version: '0', session: {name: 'call'}, connection: {address: '192.0.2.1'}},
    })
    expect((t[2].fields.sip as {to: {tag: string}}).to.tag).toBe('a6c85cf')
    expect(t[1].sentByServer).toBe(true)
    expect(t[1].responseBytes).toBe(resp('100 Trying', '314159 INVITE', '').length)
    expect(t[1].startSec).toBe(1)
    expect(t.every((x) => x.startNsec === x.endNsec && x.startSec === x.endSec)).toBe(true)
    expect(t.every((x) => x.notes === undefined)).toBe(true)
    expect(whole.stats.unmatchedResponses).toBe(0)
    expect(whole.stats.unmatchedRequests).toBe(0)
  })

  it('gives identical events when split at every byte offset', () => {
    const want = comparable(whole.out)
    const total = Math.max(...session.map((s) => s.bytes.length))
    for (let k = 1; k < total; k++) {
      const c = runTcp(session, (n) => (k < n ? [k] : []))
      expect(comparable(c.out), `split at ${k}`).toEqual(want)
    }
    const one = runTcp(session, (n) => Array.from({length: n - 1}, (_, i) => i + 1))
    expect(comparable(one.out)).toEqual(want)
  })

  it('resynchronises on the next start line after garbage and a gap', () => {
    const c = collector()
    const h = protocol.tcp!.create(fakeConn('tcp', 5060), c.ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    h.data(0, Buffer.from('garbage that is not sip\r\nmore junk\r\n'), at)
    h.data(0, invite, at)
    h.data(0, invite.subarray(0, 30), at)
    h.gap(0, 500, at)
    h.data(0, Buffer.concat([invite.subarray(40), ack]), at)
    h.end('fin', at)
    expect(c.out.map((x) => `${x.method} ${x.anomalies ?? ''}`)).toEqual(['INVITE sip.bad_message', 'ACK tcp.gap'])
  })
})

describe('sip over udp', () => {
  it('tracks transactions by Via branch and CSeq method: unmatched and retransmitted', () => {
    const c = collector()
    const h = protocol.udp!.create(fakeConn('udp', 5060), c.ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    const reg = msg('REGISTER sip:example.com SIP/2.0', [
      'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKreg1',
      'f: <sip:u@example.com>;tag=9',
      't: <sip:u@example.com>',
      'i: reg-1',
      'CSeq: 2 REGISTER',
      'Authorization: Digest username="u42", realm="example.com", nonce="n", uri="sip:example.com", response="r"',
    ])
    h.datagram(0, reg, at)
    h.datagram(0, reg, at) // retransmission
    const ok = msg('SIP/2.0 200 OK', ['Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKreg1', 'CSeq: 2 REGISTER'])
    h.datagram(1, ok, at)
    h.datagram(1, ok, at) // retransmitted final response
    h.datagram(1, msg('SIP/2.0 503 Service Unavailable', ['Via: SIP/2.0/UDP 10.0.0.1:5060;branch=other', 'CSeq: 1 OPTIONS']), at)
    h.datagram(0, Buffer.from('\r\n\r\n'), at) // keep-alive
    h.datagram(0, Buffer.from('not sip at all'), at)
    h.datagram(0, msg('OPTIONS sip:x SIP/2.0', ['Via: SIP/2.0/UDP h;branch=z9hG4bKo', 'CSeq: 5 OPTIONS']), at)
    h.end(at)
    expect(c.out.map((x) => `${x.method} ${x.status} ${x.anomalies ?? ''}`)).toEqual([
      'REGISTER OK ',
      'REGISTER OK sip.retransmission',
      'REGISTER OK ',
      'REGISTER OK sip.retransmission',
      'OPTIONS Error sip.unmatched_response',
      'OPTIONS OK sip.bad_message',
    ])
    expect(c.out[0].fields.user).toEqual({name: 'u42'})
    expect((c.out[0].fields.sip as {auth: unknown}).auth).toEqual({scheme: 'Digest', realm: 'example.com', uri: {original: 'sip:example.com', scheme: 'sip', host: 'example.com'}})
    expect(c.stats.unmatchedRequests).toBe(1)
    expect(c.stats.unmatchedResponses).toBe(1)
  })
})
