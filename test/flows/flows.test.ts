/**
 * Flow records driven through the real TcpReassembler / UdpFlows with the flow observer attached:
 * per-direction counters, final records at FIN (after the linger), RST, idle timeout, eviction and
 * end of input, periodic interim records on capture time, UDP flows, and the event shape.
 */
import fc from 'fast-check'
import {beforeEach, describe, expect, it} from 'vitest'
import {IpProto} from '../../src/decode/types.js'
import {createFlowObserver} from '../../src/flows/index.js'
import {communityIdFromStrings} from '../../src/util/community-id.js'
import {ACK, FIN, IP_A, IP_B, PSH, pkt, RST, resetFrames, SYN} from '../reassembly/helpers.js'
import {at, type FlowEvent, rig} from './helpers.js'

const IP_C = 0x0a000003
const DATA = ACK | PSH

/** Client 10.0.0.1:40000 -> server 10.0.0.2:80; d 0 = client. */
function seg(d: 0 | 1, t: number, flags: number, seq: number, ack: number, data?: string) {
  return pkt({
    src: d === 0 ? IP_A : IP_B,
    dst: d === 0 ? IP_B : IP_A,
    sport: d === 0 ? 40000 : 80,
    dport: d === 0 ? 80 : 40000,
    seq,
    ack,
    flags,
    data,
    t,
  })
}

/** Handshake, one exchange, orderly close: 5 client packets (205 IP bytes), 3 server (127). */
function closedConversation(t0 = 0) {
  return [
    seg(0, t0 + 0, SYN, 100, 0),
    seg(1, t0 + 0.1, SYN | ACK, 500, 101),
    seg(0, t0 + 0.2, ACK, 101, 501),
    seg(0, t0 + 0.3, DATA, 101, 501, 'hello'),
    seg(1, t0 + 0.4, DATA, 501, 106, 'world!!'),
    seg(0, t0 + 0.5, FIN | ACK, 106, 508),
    seg(1, t0 + 0.6, FIN | ACK, 508, 107),
    seg(0, t0 + 0.7, ACK, 107, 509),
  ]
}

function udpPkt(d: 0 | 1, t: number, len: number, o: {client?: number; cport?: number} = {}) {
  const client = o.client ?? IP_A
  const cport = o.cport ?? 33333
  return pkt({
    proto: IpProto.UDP,
    src: d === 0 ? client : IP_B,
    dst: d === 0 ? IP_B : client,
    sport: d === 0 ? cport : 53,
    dport: d === 0 ? 53 : cport,
    data: Buffer.alloc(len, 0x41),
    t,
  })
}

beforeEach(() => resetFrames())

describe('final records (TCP)', () => {
  it('FIN: counted per direction, trailing ACK in the linger included, emitted when the linger ends', () => {
    const r = rig()
    for (const p of closedConversation()) r.tcp.segment(p)
    // A trailing (duplicate) ACK from the server during the 5 s linger is counted against the flow.
    r.tcp.segment(seg(1, 2, ACK, 509, 107))
    expect(r.events).toHaveLength(0)
    expect(r.obs.open).toBe(1)
    // Another connection's packet 6 s after the last activity ends the linger: the final record.
    r.tcp.segment(pkt({src: IP_C, dst: IP_B, sport: 50000, dport: 80, data: 'x', t: 8}))
    expect(r.events).toHaveLength(1)
    const e = r.events[0]
    expect(e.type).toBe('flow')
    expect(e.status).toBe('OK')
    expect(e.flow.final).toBe(true)
    expect(e.flow.id).toMatch(/^[A-Za-z0-9_-]{20}$/)
    expect(e.event).toEqual({
      kind: 'event',
      category: ['network'],
      type: ['connection', 'end'],
      dataset: 'flow',
      start: '1970-01-01T00:00:00.000000000Z',
      end: '1970-01-01T00:00:02.000000000Z',
      duration: 2_000_000_000,
      action: 'network_flow',
    })
    expect(e.source).toEqual({ip: '10.0.0.1', port: 40000, packets: 5, bytes: 205})
    expect(e.destination).toEqual({ip: '10.0.0.2', port: 80, packets: 4, bytes: 167})
    expect(e.client).toEqual({ip: '10.0.0.1', port: 40000, bytes: 205, packets: 5})
    expect(e.server).toEqual({ip: '10.0.0.2', port: 80, bytes: 167, packets: 4})
    expect(e.network).toEqual({
      transport: 'tcp',
      type: 'ipv4',
      community_id: communityIdFromStrings('10.0.0.1', '10.0.0.2', 6, 40000, 80),
      direction: 'internal',
      packets: 9,
      bytes: 372,
    })
    expect(e.pbx).toEqual({
      frames: [1, 9],
      flow: {
        payload_bytes: {source: 5, destination: 7},
        end_reason: 'fin',
        history: 'ShADdFfa',
        tcp_flags: {source: 'FSPA', destination: 'FSPA'},
      },
    })
    expect(r.obs.open).toBe(1)
    r.finish(at(9))
    expect(r.events).toHaveLength(2)
    expect(r.events[1].pbx.flow.end_reason).toBe('eof')
    expect(r.events[1].source).toEqual({ip: '10.0.0.3', port: 50000, packets: 1, bytes: 41})
    expect(r.events[1].destination.packets).toBe(0)
    expect(r.obs.open).toBe(0)
  })

  it('RST, end of input: the lingering record is flushed with reason rst', () => {
    const r = rig()
    const hs = closedConversation().slice(0, 4)
    for (const p of hs) r.tcp.segment(p)
    r.tcp.segment(seg(1, 0.4, RST | ACK, 501, 106))
    expect(r.events).toHaveLength(0)
    r.finish(at(0.4))
    expect(r.events).toHaveLength(1)
    const e = r.events[0]
    expect(e.pbx.flow.end_reason).toBe('rst')
    expect(e.pbx.flow.tcp_flags).toEqual({source: 'SPA', destination: 'SRA'})
    expect(e.pbx.flow.history).toBe('ShADr')
    expect([e.source.packets, e.destination.packets]).toEqual([3, 2])
  })

  it('end of input: open connections end with eof, in creation order', () => {
    const r = rig()
    r.tcp.segment(pkt({src: IP_C, dst: IP_B, sport: 50001, dport: 80, data: 'a', t: 1}))
    for (const p of closedConversation(2).slice(0, 5)) r.tcp.segment(p)
    r.finish(at(3))
    expect(r.events.map((e) => [e.source.port, e.pbx.flow.end_reason, e.flow.final])).toEqual([
      [50001, 'eof', true],
      [40000, 'eof', true],
    ])
  })

  it('idle timeout on capture time: final record ends at the last packet, before the next flow', () => {
    const r = rig({}, {tcpIdleTimeoutSec: 30})
    for (const p of closedConversation().slice(0, 5)) r.tcp.segment(p)
    r.tcp.segment(pkt({src: IP_C, dst: IP_B, sport: 50000, dport: 80, data: 'x', t: 20}))
    expect(r.events).toHaveLength(0)
    r.tcp.segment(pkt({src: IP_C, dst: IP_B, sport: 50000, dport: 80, data: 'y', t: 31}))
    expect(r.events).toHaveLength(1)
    expect(r.events[0].pbx.flow.end_reason).toBe('timeout')
    expect(r.events[0].event.end).toBe('1970-01-01T00:00:00.400000000Z')
    expect(r.events[0].pbx.frames).toEqual([1, 5])
    r.finish(at(31))
    expect(r.events.map((e) => e.pbx.flow.end_reason)).toEqual(['timeout', 'eof'])
    expect(r.events[1].source.packets).toBe(2)
  })

  it('eviction at maxConnections: the evicted flow is reported with reason evicted', () => {
    const r = rig({}, {maxConnections: 1})
    r.tcp.segment(pkt({src: IP_A, dst: IP_B, sport: 40000, dport: 80, data: 'a', t: 1}))
    r.tcp.segment(pkt({src: IP_C, dst: IP_B, sport: 40001, dport: 80, data: 'b', t: 2}))
    expect(r.events.map((e) => [e.source.port, e.pbx.flow.end_reason])).toEqual([[40000, 'evicted']])
    expect(r.obs.open).toBe(1)
    r.finish(at(2))
    expect(r.events.map((e) => [e.source.port, e.pbx.flow.end_reason])).toEqual([
      [40000, 'evicted'],
      [40001, 'eof'],
    ])
  })

  it('a failed protocol handler does not hide how the connection ended', () => {
    const cases: [string, number, string][] = [
      ['both FINs', FIN | ACK, 'fin'],
      ['RST', RST | ACK, 'rst'],
      ['no close seen', ACK, 'error'],
    ]
    for (const [name, closeFlags, want] of cases) {
      resetFrames()
      const r = rig()
      r.rec.throwOn = 'boom'
      r.tcp.segment(seg(0, 0, SYN, 100, 0))
      r.tcp.segment(seg(1, 0.1, SYN | ACK, 500, 101))
      r.tcp.segment(seg(0, 0.2, DATA, 101, 501, 'boom'))
      r.tcp.segment(seg(0, 0.3, closeFlags, 105, 501))
      r.tcp.segment(seg(1, 0.4, closeFlags, 501, 106))
      r.finish(at(0.4))
      expect(r.stats.malformed.get('tcp: handler threw'), name).toBe(1)
      expect(r.events.map((e) => [e.pbx.flow.end_reason, e.network.packets]), name).toEqual([[want, 5]])
    }
  })

  it('port reuse: a new SYN after the close is a new flow with a new id', () => {
    const r = rig()
    for (const p of closedConversation()) r.tcp.segment(p)
    r.tcp.segment(seg(0, 1, SYN, 9000, 0))
    r.finish(at(1))
    expect(r.events).toHaveLength(2)
    expect(r.events[0].pbx.flow.end_reason).toBe('fin')
    expect(r.events[1].source.packets).toBe(1)
    expect(r.events[1].pbx.flow.history).toBe('S')
    expect(r.events[0].flow.id).not.toBe(r.events[1].flow.id)
  })
})

describe('final records (UDP)', () => {
  it('counts both directions, ends at idle timeout; no TCP flags', () => {
    const r = rig({}, {udpFlowIdleTimeoutSec: 60})
    r.udp.datagram(udpPkt(0, 1, 10))
    r.udp.datagram(udpPkt(1, 1.5, 20))
    r.udp.datagram(udpPkt(0, 2, 10))
    r.udp.datagram(udpPkt(1, 2.5, 20))
    r.udp.datagram(udpPkt(0, 3, 10))
    r.udp.datagram(udpPkt(0, 100, 1, {client: IP_C}))
    expect(r.events).toHaveLength(1)
    const e = r.events[0]
    expect(e.network.transport).toBe('udp')
    expect(e.network.community_id).toBe(communityIdFromStrings('10.0.0.1', '10.0.0.2', 17, 33333, 53))
    expect(e.source).toEqual({ip: '10.0.0.1', port: 33333, packets: 3, bytes: 3 * 38})
    expect(e.destination).toEqual({ip: '10.0.0.2', port: 53, packets: 2, bytes: 2 * 48})
    expect(e.pbx.flow).toEqual({payload_bytes: {source: 30, destination: 40}, end_reason: 'timeout', history: 'Dd'})
    expect(e.event.duration).toBe(2_000_000_000)
    r.finish(at(100))
    expect(r.events.map((x) => x.pbx.flow.end_reason)).toEqual(['timeout', 'eof'])
  })
})

describe('periodic interim records (capture time)', () => {
  it('reports every open flow at each boundary, cumulative, without the crossing packet', () => {
    const r = rig({periodSec: 10})
    r.tcp.segment(seg(0, 3, SYN, 100, 0))
    r.tcp.segment(seg(1, 4, SYN | ACK, 500, 101))
    r.tcp.segment(seg(0, 5, ACK, 101, 501))
    r.udp.datagram(udpPkt(0, 8, 10))
    expect(r.events).toHaveLength(0)
    // Crosses 10: the TCP flow (without this packet) and the UDP flow, in creation order.
    r.tcp.segment(seg(0, 12, DATA, 101, 501, 'abc'))
    expect(r.events.map((e) => [e.network.transport, e.flow.final, e.network.packets])).toEqual([
      ['tcp', false, 3],
      ['udp', false, 1],
    ])
    const first = r.events[0]
    expect(first.event.type).toEqual(['connection'])
    expect(first.event.end).toBe('1970-01-01T00:00:05.000000000Z')
    expect(first.pbx.flow.end_reason).toBeUndefined()
    expect(first.pbx.flow.history).toBe('ShA')
    expect(first.pbx.flow.payload_bytes).toEqual({source: 0, destination: 0})
    // Jumps over 20 and 30: one report, not two.
    r.udp.datagram(udpPkt(1, 35, 20))
    expect(r.events.slice(2).map((e) => [e.network.transport, e.source.packets, e.destination.packets])).toEqual([
      ['tcp', 3, 1],
      ['udp', 1, 0],
    ])
    expect(r.events[2].pbx.flow.history).toBe('ShAD')
    // Crosses 40 with a packet that opens a new flow: that flow is not in the report.
    r.udp.datagram(udpPkt(0, 41, 5, {client: IP_C}))
    expect(r.events.slice(4).map((e) => [e.network.transport, e.source.ip, e.network.packets])).toEqual([
      ['tcp', '10.0.0.1', 4],
      ['udp', '10.0.0.1', 2],
    ])
    r.finish(at(41))
    const finals = r.events.slice(6)
    expect(finals.map((e) => [e.network.transport, e.source.ip, e.flow.final, e.network.packets, e.pbx.flow.end_reason])).toEqual([
      ['tcp', '10.0.0.1', true, 4, 'eof'],
      ['udp', '10.0.0.1', true, 2, 'eof'],
      ['udp', '10.0.0.3', true, 1, 'eof'],
    ])
    // The id is the same on every record of a flow and differs between flows.
    const ids = new Map<string, Set<string>>()
    for (const e of r.events) {
      const k = `${e.network.transport} ${e.source.ip}`
      if (!ids.has(k)) ids.set(k, new Set())
      ids.get(k)?.add(e.flow.id)
    }
    expect([...ids.values()].map((s) => s.size)).toEqual([1, 1, 1])
    expect(new Set(r.events.map((e) => e.flow.id)).size).toBe(3)
    expect(r.obs.open).toBe(0)
  })

  it('whole-second periods are epoch-aligned; fractional periods are anchored at the first second', () => {
    const times = (periodSec: number, ts: number[]): number[] => {
      const r = rig({periodSec})
      const out: number[] = []
      for (const t of ts) {
        const before = r.events.length
        r.udp.datagram(udpPkt(0, t, 1))
        if (r.events.length > before) out.push(t)
      }
      return out
    }
    // Grid 60, 120, 180: the first report is at 60 although the capture starts at 59.
    expect(times(60, [59, 59.5, 60, 61, 119.999, 120, 500])).toEqual([60, 120, 500])
    // Grid anchored at second 7: 7.5, 8, 8.5, ...
    expect(times(0.5, [7.2, 7.4, 7.5, 7.9, 8.1, 9.9])).toEqual([7.5, 8.1, 9.9])
  })

  it('a flow closed before the boundary is not reported again; final record follows its interim ones', () => {
    const r = rig({periodSec: 1}, {udpFlowIdleTimeoutSec: 3})
    r.udp.datagram(udpPkt(0, 0.5, 10))
    r.udp.datagram(udpPkt(0, 1.5, 10, {client: IP_C}))
    // Crossing 1: reports the first flow only (the second is opened by the crossing packet).
    expect(r.events.map((e) => [e.source.ip, e.flow.final])).toEqual([['10.0.0.1', false]])
    r.udp.datagram(udpPkt(0, 3.2, 10, {client: IP_C}))
    expect(r.events.slice(1).map((e) => [e.source.ip, e.flow.final])).toEqual([
      ['10.0.0.1', false],
      ['10.0.0.3', false],
    ])
    r.udp.datagram(udpPkt(0, 4, 10, {client: IP_C}))
    // The table's sweep at 4 ends the first flow (idle 3.5 s > 3 s) before the report for 4.
    expect(r.events.slice(3).map((e) => [e.source.ip, e.flow.final, e.pbx.flow.end_reason, e.network.packets])).toEqual([
      ['10.0.0.1', true, 'timeout', 1],
      ['10.0.0.3', false, undefined, 2],
    ])
  })

  it('rejects invalid periods', () => {
    expect(() => createFlowObserver({periodSec: -1})).toThrow(RangeError)
    expect(() => createFlowObserver({periodSec: Number.NaN})).toThrow(RangeError)
    expect(() => createFlowObserver({periodSec: Number.POSITIVE_INFINITY})).toThrow(RangeError)
    expect(() => createFlowObserver({periodSec: 0})).not.toThrow()
  })
})

describe('robustness', () => {
  it('a SYN right after mid-stream data on the same 4-tuple starts a flow with its own id (fast-check counterexample)', () => {
    resetFrames()
    const r = rig({periodSec: 0}, {tcpIdleTimeoutSec: 5, udpFlowIdleTimeoutSec: 3, maxConnections: 3})
    const seg = (flags: number, len: number) => pkt({proto: IpProto.TCP, src: IP_A, dst: IP_B, sport: 40000, dport: 80, seq: 0, flags, data: Buffer.alloc(len), t: 0})
    r.tcp.segment(seg(0, 1))
    r.tcp.segment(seg(SYN | 0x20, 0))
    r.finish(at(0))
    const finals = r.events.filter((e: FlowEvent) => e.flow.final)
    expect(finals.reduce((n, e) => n + e.network.packets, 0)).toBe(2)
    expect(finals).toHaveLength(2)
    expect(finals[0]!.flow.id).not.toBe(finals[1]!.flow.id)
  })
  it('random traffic: never throws, every flow gets exactly one final record, state returns to empty', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            udp: fc.boolean(),
            c: fc.integer({min: 0, max: 3}),
            d: fc.integer({min: 0, max: 1}),
            dt: fc.integer({min: 0, max: 4000}),
            flags: fc.integer({min: 0, max: 255}),
            len: fc.integer({min: 0, max: 40}),
            seq: fc.integer({min: 0, max: 200}),
          }),
          {maxLength: 80},
        ),
        fc.constantFrom(0, 1, 3),
        (ops, periodSec) => {
          resetFrames()
          const r = rig({periodSec}, {tcpIdleTimeoutSec: 5, udpFlowIdleTimeoutSec: 3, maxConnections: 3})
          let t = 0
          for (const o of ops) {
            t += o.dt / 1000
            const client = IP_A + o.c
            const p = pkt({
              proto: o.udp ? IpProto.UDP : IpProto.TCP,
              src: o.d === 0 ? client : IP_B,
              dst: o.d === 0 ? IP_B : client,
              sport: o.d === 0 ? 40000 + o.c : 80,
              dport: o.d === 0 ? 80 : 40000 + o.c,
              seq: o.seq,
              flags: o.udp ? 0 : o.flags,
              data: Buffer.alloc(o.len),
              t,
            })
            if (o.udp) r.udp.datagram(p)
            else r.tcp.segment(p)
          }
          r.finish(at(t))
          expect(r.obs.open).toBe(0)
          const finals = r.events.filter((e: FlowEvent) => e.flow.final)
          expect(finals).toHaveLength(r.stats.tcpConnections + r.stats.udpFlows)
          expect(new Set(finals.map((e) => e.flow.id)).size).toBe(finals.length)
          // every packet is in exactly one flow, but for late copies of a closed connection's
          // packets, which open no connection (stats.tcpLateCopies)
          const total = finals.reduce((n, e) => n + e.network.packets, 0)
          expect(total + r.stats.tcpLateCopies).toBe(ops.length)
        },
      ),
      {numRuns: 300},
    )
  })
})
