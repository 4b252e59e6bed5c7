import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {DecodedPacket} from '../../../src/decode/types.js'
import {protocol} from '../../../src/protocols/icmp/index.js'
import {message} from '../../../src/protocols/icmp/parser.js'
import type {IpHandler} from '../../../src/reassembly/types.js'
import {communityIdFromStrings} from '../../../src/util/community-id.js'
import {parseIp} from '../../../src/util/ip.js'
import {at, collector} from '../dns/helpers.js'

function pkt(src: string, dst: string, payload: Buffer, sec: number, frame: number): DecodedPacket {
  const s = parseIp(src).words
  const d = parseIp(dst).words
  const v = parseIp(src).version
  return {
    frame,
    tsSec: sec,
    tsNsec: 0,
    ipVersion: v,
    src0: s[0],
    src1: s[1],
    src2: s[2],
    src3: s[3],
    dst0: d[0],
    dst1: d[1],
    dst2: d[2],
    dst3: d[3],
    proto: v === 4 ? 1 : 58,
    ipLength: payload.length + 20,
    wirePackets: 1,
    wireBytes: payload.length + 20,
    vlan: -1,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    tcpFlags: 0,
    window: 0,
    payload,
    payloadTruncated: 0,
  }
}

function icmp(type: number, code: number, id: number, seq: number, data = 4): Buffer {
  const b = Buffer.alloc(8 + data)
  b[0] = type
  b[1] = code
  b.writeUInt16BE(id, 4)
  b.writeUInt16BE(seq, 6)
  return b
}

function run(pkts: DecodedPacket[], limits = {}) {
  const c = collector(limits)
  const h: IpHandler = protocol.ip!.create(c.ctx)
  for (const p of pkts) h.packet(p)
  h.end(at(9999))
  return c
}

describe('icmp', () => {
  it('pairs an IPv4 echo request and reply (Packetbeat fields, bytes = data after the 8-byte header)', () => {
    const {out} = run([pkt('10.0.0.1', '10.0.0.2', icmp(8, 0, 7, 1), 100, 1), pkt('10.0.0.2', '10.0.0.1', icmp(0, 0, 7, 1), 100.02, 2)])
    expect(out).toHaveLength(1)
    const t = out[0]
    expect([t.type, t.status, t.requestBytes, t.responseBytes, t.startFrame, t.endFrame]).toEqual(['icmp', 'OK', 4, 4, 1, 2])
    expect(t.fields.icmp).toEqual({
      version: 4,
      request: {type: 8, code: 0, message: 'EchoRequest'},
      response: {type: 0, code: 0, message: 'EchoReply'},
    })
    expect([t.conn.transport, t.conn.clientIp, t.conn.serverIp, t.conn.clientPort]).toEqual(['icmp', '10.0.0.1', '10.0.0.2', 0])
    expect(t.conn.communityId).toBe(communityIdFromStrings('10.0.0.1', '10.0.0.2', 1, 8, 0))
  })

  it('pairs ICMPv6 echo by (src, dst, id, seq), not by arrival order', () => {
    const {out} = run([
      pkt('::1', '::2', icmp(128, 0, 1, 1), 1, 1),
      pkt('::1', '::2', icmp(128, 0, 1, 2), 1, 2),
      pkt('::2', '::1', icmp(129, 0, 1, 2), 1.1, 3),
      pkt('::2', '::1', icmp(129, 0, 1, 1), 1.2, 4),
    ])
    expect(out.map((t) => [t.startFrame, t.endFrame, t.conn.transport, (t.fields.icmp as {version: number}).version])).toEqual([
      [2, 3, 'ipv6-icmp', 6],
      [1, 4, 'ipv6-icmp', 6],
    ])
  })

  it('unanswered request -> Error "no response" at end and on capture-time timeout', () => {
    const c = run([pkt('10.0.0.1', '10.0.0.2', icmp(8, 0, 1, 1), 100, 1), pkt('10.0.0.1', '10.0.0.2', icmp(8, 0, 1, 2), 111, 2)], {udpTransactionTimeoutSec: 10})
    expect(c.out.map((t) => [t.startFrame, t.status, t.notes])).toEqual([
      [1, 'Error', ['no response']],
      [2, 'Error', ['no response']],
    ])
    expect(c.stats.unmatchedRequests).toBe(2)
  })

  it('reply without request -> Error; oriented from the requester', () => {
    const c = run([pkt('10.0.0.2', '10.0.0.1', icmp(0, 0, 1, 1), 1, 1)])
    expect(c.out[0].status).toBe('Error')
    expect(c.out[0].notes).toEqual(['response without request'])
    expect([c.out[0].conn.clientIp, c.out[0].conn.serverIp]).toEqual(['10.0.0.1', '10.0.0.2'])
    expect(c.out[0].conn.communityId).toBe(communityIdFromStrings('10.0.0.1', '10.0.0.2', 1, 8, 0))
    expect(c.stats.unmatchedResponses).toBe(1)
  })

  it.each([
    [4, 3, 3, 'Error', 'DestinationUnreachable(Port)'],
    [4, 11, 0, 'Error', 'TimeExceeded(TTLExceeded)'],
    [4, 5, 1, 'OK', 'Redirect(Host)'],
    [6, 1, 4, 'Error', 'DestinationUnreachable(PortUnreachable)'],
    [6, 2, 0, 'Error', 'PacketTooBig'],
    [4, 42, 1, 'OK', 'Type42(Code1)'],
  ] as const)('single message v%i type %i code %i -> %s %s', (v, type, code, status, msg) => {
    const src = v === 4 ? '192.0.2.254' : '2001:db8::fe'
    const dst = v === 4 ? '10.0.0.1' : '2001:db8::1'
    const {out} = run([pkt(src, dst, icmp(type, code, 0, 0, 28), 1, 1)])
    expect(out.map((t) => [t.status, (t.fields.icmp as {request: {message: string}}).request.message, t.requestBytes])).toEqual([[status, msg, 28]])
    expect(message(v, type, code)).toBe(msg)
  })

  it('ignores neighbour discovery / MLD housekeeping', () => {
    const {out} = run([pkt('fe80::1', 'ff02::1', icmp(135, 0, 0, 0), 1, 1), pkt('fe80::1', 'ff02::1', icmp(143, 0, 0, 0), 1, 2)])
    expect(out).toEqual([])
  })

  it('random payloads never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({maxLength: 40})), {maxLength: 40}), (ps) => {
        const c = collector()
        const h = protocol.ip!.create(c.ctx)
        ps.forEach(([v6, b], i) => {
          h.packet(pkt(v6 ? '::1' : '1.1.1.1', v6 ? '::2' : '2.2.2.2', Buffer.from(b), i, i))
        })
        h.end(at(1000))
      }),
      {numRuns: 300},
    )
  })
})
