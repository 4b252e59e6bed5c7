/**
 * Every prefix of a valid frame, fed both as a snaplen-cut record (origLen = full length) and as a
 * complete-but-short record (origLen = prefix length): the decoder must never throw, and either
 * deliver the packet (headers complete: payload is the captured prefix, payloadTruncated the rest)
 * or count a malformed reason.
 */
import {describe, expect, it} from 'vitest'
import {TcpFlag} from '../../src/decode/types.js'
import {EtherType, ethernet, ipv4, ipv6, ipv6OptionsHeader, tcp, tcpFrame, udp} from '../support/synth/packets.js'
import {badCount, harness} from './helpers.js'

interface Case {
  name: string
  linkType: number
  frame: Buffer
  /** Offset where the transport payload starts (all headers complete from here on). */
  payloadAt: number
}

const payload = Buffer.from('0123456789abcdefghij')
const tcpOpts = Buffer.from([2, 4, 5, 0xb4, 1, 1, 4, 2])
const v4tcp = tcpFrame({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 3, flags: TcpFlag.ACK, options: tcpOpts, payload, vlan: [10, 20], vlanTpids: [0x88a8, 0x8100]})
const v6udp = (() => {
  const u = udp({srcPort: 53, dstPort: 53, payload}, '2001:db8::1', '2001:db8::2')
  return ethernet({etherType: EtherType.IPV6, payload: ipv6({src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17, payload: u, extHeaders: [ipv6OptionsHeader(0), ipv6OptionsHeader(60, Buffer.alloc(10))]})})
})()
const v4opts = (() => {
  const seg = tcp({srcPort: 1, dstPort: 2, seq: 3, flags: TcpFlag.ACK, payload}, '10.0.0.1', '10.0.0.2')
  const ip = ipv4({src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: seg, options: Buffer.from([0x94, 4, 0, 0])})
  const sll = Buffer.alloc(16)
  sll.writeUInt16BE(0x0800, 14)
  return Buffer.concat([sll, ip])
})()
const nullV4 = Buffer.concat([Buffer.from([2, 0, 0, 0]), ipv4({src: '1.2.3.4', dst: '5.6.7.8', proto: 17, payload: udp({srcPort: 9, dstPort: 10, payload}, '1.2.3.4', '5.6.7.8')})])

const cases: Case[] = [
  {name: 'QinQ IPv4 TCP with options', linkType: 1, frame: v4tcp, payloadAt: v4tcp.length - payload.length},
  {name: 'IPv6 ext headers UDP', linkType: 1, frame: v6udp, payloadAt: v6udp.length - payload.length},
  {name: 'SLL IPv4 options TCP', linkType: 113, frame: v4opts, payloadAt: v4opts.length - payload.length},
  {name: 'Null IPv4 UDP', linkType: 0, frame: nullV4, payloadAt: nullV4.length - payload.length},
]

describe.each(cases)('every prefix of $name', ({linkType, frame, payloadAt}) => {
  it('full frame decodes cleanly', () => {
    const h = harness()
    expect(h.feed(frame, {linkType})?.payload).toEqual(payload)
    expect(badCount(h.stats)).toBe(0)
  })

  it.each([true, false])('snaplen cut = %s: deliver or count a reason, never throw', (snapCut) => {
    for (let len = 0; len < frame.length; len++) {
      const h = harness()
      const prefix = frame.subarray(0, len)
      const s = h.feed(prefix, {linkType, origLen: snapCut ? frame.length : len})
      if (len >= payloadAt) {
        expect(s, `len ${len}`).toBeDefined()
        expect(s?.payload).toEqual(payload.subarray(0, len - payloadAt))
        expect(s?.payloadTruncated).toBe(frame.length - len)
        // a snaplen cut is normal; a short record whose IP length lies is counted
        expect(badCount(h.stats), `len ${len}`).toBe(snapCut ? 0 : 1)
      } else {
        expect(s, `len ${len}`).toBeUndefined()
        expect(badCount(h.stats), `len ${len}`).toBeGreaterThanOrEqual(1)
      }
    }
  })
})
