import {beforeEach, describe, expect, it} from 'vitest'
import {IpProto} from '../../src/decode/types.js'
import type {Dir, Moment, UdpHandler} from '../../src/reassembly/types.js'
import type {Conn, ConnObserver} from '../../src/reassembly/conn.js'
import {DEFAULT_LIMITS} from '../../src/limits.js'
import {UdpFlows} from '../../src/reassembly/udp.js'
import {ProtocolChooser} from '../../src/dispatch/chooser.js'
import {protocols} from '../../src/protocols/registry.js'

const UDP_IDLE_TIMEOUT_SEC = DEFAULT_LIMITS.udpFlowIdleTimeoutSec
import {Stats} from '../../src/stats.js'
import {communityIdFromStrings} from '../../src/util/community-id.js'
import {IP_A, IP_B, limits, pkt, resetFrames} from './helpers.js'

/** Opens a recording handler for every flow; `log` lines are "<conn id> <event>". */
function recorder(opts: {throwOn?: string; ignore?: boolean} = {}) {
  const log: string[] = []
  const conns: Conn[] = []
  const open = (c: Conn): UdpHandler | null => {
    conns.push(c)
    log.push(`${c.id} open ${c.clientIp}:${c.clientPort} -> ${c.serverIp}:${c.serverPort} (${c.roleBy})`)
    if (opts.ignore) return null
    return {
      datagram: (dir: Dir, payload: Buffer, at: Moment) => {
        const s = payload.toString('latin1')
        log.push(`${c.id} d${dir} ${s} @${at.frame}`)
        if (opts.throwOn !== undefined && s === opts.throwOn) throw new Error('boom')
      },
      end: (at: Moment) => log.push(`${c.id} end @${at.frame}`),
    }
  }
  return {log, conns, open}
}

const A = (sport: number, dport: number, data: string, t = 0) => pkt({proto: IpProto.UDP, src: IP_A, dst: IP_B, sport, dport, data, t})
const B = (sport: number, dport: number, data: string, t = 0) => pkt({proto: IpProto.UDP, src: IP_B, dst: IP_A, sport, dport, data, t})

describe('UdpFlows', () => {
  beforeEach(() => resetFrames())

  it.each([
    // [name, first datagram (from A) src port, dst port, client port, server port, roleBy, its dir]
    ['the sender of the first datagram is the client', 53000, 53, 53000, 53, 'first-packet', 0],
    ['a first datagram from a service port to a non-service port came from the server', 53, 53000, 53000, 53, 'port', 1],
    ['from a registered service port (mDNS) to an ephemeral port', 5353, 50000, 50000, 5353, 'port', 1],
    ['both service ports: the sender is the client', 123, 123, 123, 123, 'first-packet', 0],
    ['DHCP server -> client: port 68 is the client', 67, 68, 68, 67, 'port', 1],
    ['DHCP client -> server', 68, 67, 68, 67, 'port', 0],
    ['no service port at all: the sender is the client', 50000, 40000, 50000, 40000, 'first-packet', 0],
  ] as const)('roles: %s', (_n, sp, dp, cport, sport, roleBy, dir) => {
    const rec = recorder()
    // The protocols' declared client ports (DHCP: 68) reach the reassembler through the chooser.
    const stats = new Stats()
    const chooser = new ProtocolChooser(protocols, () => ({limits: limits(), stats, options: {}, emit: () => {}}))
    const f = new UdpFlows(rec.open, limits(), stats, undefined, chooser.udpRole)
    f.datagram(A(sp, dp, 'q'))
    const c = rec.conns[0]
    expect([c.clientPort, c.serverPort, c.roleBy]).toEqual([cport, sport, roleBy])
    expect(rec.log[1]).toBe(`1 d${dir} q @1`)
    expect(c.clientIp).toBe(dir === 0 ? '10.0.0.1' : '10.0.0.2')
  })

  it('a handler that reports idle() is dropped without end() and a new one opened at the next datagram', () => {
    const log: string[] = []
    let handlers = 0
    const open = (c: Conn): UdpHandler => {
      const n = ++handlers
      let pending = 0
      log.push(`open ${n} conn ${c.id}`)
      return {
        datagram: (dir: Dir, payload: Buffer) => {
          pending += dir === 0 ? 1 : -1
          log.push(`${n} d${dir} ${payload.toString('latin1')}`)
        },
        end: () => log.push(`${n} end`),
        idle: () => pending === 0,
      }
    }
    const stats = new Stats()
    const f = new UdpFlows(open, limits(), stats)
    f.datagram(A(53000, 53, 'q1'))
    f.datagram(B(53, 53000, 'a1')) // answered: handler 1 is idle and dropped
    f.datagram(A(53000, 53, 'q2')) // the same flow opens handler 2
    f.end({frame: 9, tsSec: 0, tsNsec: 0})
    expect(log).toEqual(['open 1 conn 1', '1 d0 q1', '1 d1 a1', 'open 2 conn 1', '2 d0 q2', '2 end'])
    expect(stats.udpFlows).toBe(1)
    expect(f.size).toBe(0)
  })

  it('a young flow whose handler parks its state is a flat record: open + unpark at its next datagram or end, same conn fields', () => {
    const log: string[] = []
    const conns: Conn[] = []
    let handlers = 0
    const open = (c: Conn): UdpHandler => {
      const n = ++handlers
      conns.push(c)
      let held = ''
      log.push(`open ${n} conn ${c.id}`)
      return {
        datagram: (dir: Dir, payload: Buffer, at: Moment) => {
          held += payload.toString('latin1')
          log.push(`${n} d${dir} ${payload.toString('latin1')} @${at.frame}`)
        },
        end: (at: Moment) => log.push(`${n} end ${held} @${at.frame}`),
        park: (st) => {
          st.text = held
          st.n0 = n
          st.n1 = -1.5
          st.n2 = 2 ** 40
          log.push(`${n} park`)
          return true
        },
        unpark: (st) => {
          held = st.text
          log.push(`${n} unpark ${st.text} ${st.n0} ${st.n1} ${st.n2}`)
        },
      }
    }
    const stats = new Stats()
    const f = new UdpFlows(open, limits({maxConnections: 2}), stats)
    f.datagram(A(53000, 53, 'q1', 1)) // parked
    expect(f.size).toBe(1)
    f.datagram(B(53, 53000, 'a1', 2)) // restored, fed, parked again (2 datagrams)
    f.datagram(A(53001, 53, 'xy', 3)) // a second flow, parked
    const z = 'zé'.repeat(50) // 100 latin1 bytes: longer than a record holds inline (64)
    f.datagram(A(53002, 53, z, 4)) // a third: the least recently active (flow 1) is evicted
    f.datagram(A(53001, 53, 'w', 5)) // flow 2's second datagram: restored, fed, parked again
    f.datagram(B(53, 53001, 'v', 6)) // its third: restored and kept an object
    f.end({frame: 99, tsSec: 9, tsNsec: 0})
    expect(log).toEqual([
      'open 1 conn 1',
      '1 d0 q1 @1',
      '1 park',
      'open 2 conn 1',
      '2 unpark q1 1 -1.5 1099511627776',
      '2 d1 a1 @2',
      '2 park',
      'open 3 conn 2',
      '3 d0 xy @3',
      '3 park',
      'open 4 conn 1',
      '4 unpark q1a1 2 -1.5 1099511627776',
      '4 end q1a1 @2',
      'open 5 conn 3',
      `5 d0 ${z} @4`,
      '5 park',
      'open 6 conn 2',
      '6 unpark xy 3 -1.5 1099511627776',
      '6 d0 w @5',
      '6 park',
      'open 7 conn 2',
      '7 unpark xyw 6 -1.5 1099511627776',
      '7 d1 v @6',
      '7 end xywv @99',
      'open 8 conn 3',
      `8 unpark ${z} 5 -1.5 1099511627776`,
      `8 end ${z} @99`,
    ])
    expect(stats.limitsHit.get('maxConnections')).toBe(1)
    // the restored conns are the same conversation: id, roles, counters, history, capture times
    const c1 = conns[3]
    expect([c1.id, c1.clientIp, c1.clientPort, c1.serverIp, c1.serverPort, c1.roleBy]).toEqual([1, '10.0.0.1', 53000, '10.0.0.2', 53, 'first-packet'])
    expect([c1.packets, c1.payloadBytes, c1.history, c1.firstFrame, c1.lastFrame]).toEqual([[1, 1], [2, 2], 'Dd', 1, 2])
    expect([c1.firstSec, c1.lastSec]).toEqual([conns[0].firstSec, conns[1].lastSec])
    expect(c1.ipBytes).toEqual([conns[1].ipBytes[0], conns[1].ipBytes[1]])
    expect(c1.communityId).toBe(conns[0].communityId)
    expect(f.size).toBe(0)
  })

  it('pairs both directions into one flow and ends it at end of input', () => {
    const rec = recorder()
    const stats = new Stats()
    const f = new UdpFlows(rec.open, limits(), stats)
    f.datagram(A(53000, 53, 'query'))
    f.datagram(B(53, 53000, 'answer'))
    f.datagram(A(53001, 53, 'other'))
    f.end({frame: 42, tsSec: 0, tsNsec: 0})
    expect(rec.log).toEqual([
      '1 open 10.0.0.1:53000 -> 10.0.0.2:53 (first-packet)',
      '1 d0 query @1',
      '1 d1 answer @2',
      '2 open 10.0.0.1:53001 -> 10.0.0.2:53 (first-packet)',
      '2 d0 other @3',
      '1 end @42',
      '2 end @42',
    ])
    expect(stats.udpFlows).toBe(2)
    expect(f.size).toBe(0)
    expect(rec.conns[0].communityId).toBe(communityIdFromStrings('10.0.0.2', '10.0.0.1', 17, 53, 53000))
    expect(rec.conns[0].packets).toEqual([1, 1])
    expect(rec.conns[0].payloadBytes).toEqual([5, 6])
    expect(rec.conns[0].history).toBe('Dd')
  })

  it('idle timeout follows capture time', () => {
    const rec = recorder()
    const f = new UdpFlows(rec.open, limits(), new Stats())
    f.datagram(A(50000, 53, 'a', 100)) // frame 1
    f.datagram(A(50001, 53, 'b', 100 + UDP_IDLE_TIMEOUT_SEC)) // frame 2: flow 1 idle exactly the timeout
    expect(rec.log).not.toContain('1 end @1')
    f.datagram(A(50001, 53, 'c', 100 + UDP_IDLE_TIMEOUT_SEC + 1.5)) // frame 3
    expect(rec.log).toContain('1 end @1')
    // the same 5-tuple again is a new flow
    f.datagram(A(50000, 53, 'd', 300))
    expect(rec.conns.length).toBe(3)
    expect(rec.log).toContain('2 end @3')
  })

  it('evicts the least recently active flow at maxConnections', () => {
    const rec = recorder()
    const stats = new Stats()
    const closed: string[] = []
    const obs: ConnObserver = {opened() {}, packet() {}, closed: (c, reason) => closed.push(`${c.id} ${reason}`)}
    const f = new UdpFlows(rec.open, limits({maxConnections: 2}), stats, obs)
    f.datagram(A(1, 2000, 'a'))
    f.datagram(A(2, 2000, 'b'))
    f.datagram(A(1, 2000, 'a2'))
    f.datagram(A(3, 2000, 'c'))
    expect(closed).toEqual(['2 evicted'])
    expect(stats.limitsHit.get('maxConnections')).toBe(1)
    expect(f.size).toBe(2)
    f.end({frame: 0, tsSec: 0, tsNsec: 0})
    expect(closed).toEqual(['2 evicted', '1 eof', '3 eof'])
  })

  it('a throwing handler is ended once and dropped; the flow is still counted', () => {
    const rec = recorder({throwOn: 'bad'})
    const stats = new Stats()
    let packets = 0
    const obs: ConnObserver = {opened() {}, packet: () => void packets++, closed() {}}
    const f = new UdpFlows(rec.open, limits(), stats, obs)
    f.datagram(A(5000, 53, 'bad'))
    f.datagram(A(5000, 53, 'after'))
    f.end({frame: 9, tsSec: 0, tsNsec: 0})
    expect(rec.log).toEqual(['1 open 10.0.0.1:5000 -> 10.0.0.2:53 (first-packet)', '1 d0 bad @1', '1 end @1'])
    expect(stats.malformed.get('udp: handler threw')).toBe(1)
    expect(packets).toBe(2)
  })

  it('flows without a handler are tracked for the observer only', () => {
    const rec = recorder({ignore: true})
    const events: string[] = []
    const obs: ConnObserver = {
      opened: (c) => events.push(`opened ${c.id}`),
      packet: (_c, dir) => events.push(`p${dir}`),
      closed: (c, r, at) => events.push(`closed ${c.id} ${r} @${at.frame}`),
    }
    const f = new UdpFlows(rec.open, limits(), new Stats(), obs)
    f.datagram(A(40000, 9999, 'x'))
    f.datagram(B(9999, 40000, 'y'))
    f.end({frame: 5, tsSec: 0, tsNsec: 0})
    expect(events).toEqual(['opened 1', 'p0', 'p1', 'closed 1 eof @5'])
  })
})
