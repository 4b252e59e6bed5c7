import fc from 'fast-check'
import {beforeEach, describe, expect, it} from 'vitest'
import type {DecodedPacket} from '../../src/decode/types.js'
import type {Limits} from '../../src/limits.js'
import type {Conn, ConnObserver} from '../../src/reassembly/conn.js'
import {TcpReassembler} from '../../src/reassembly/tcp.js'
import type {ConnInfo, Dir, EndReason, Moment} from '../../src/reassembly/types.js'
import {Stats} from '../../src/stats.js'
import {communityIdFromStrings} from '../../src/util/community-id.js'
import {ACK, FIN, IP_A, IP_B, limits, PSH, pkt, Recorder, RST, resetFrames, SYN} from './helpers.js'

const CPORT = 40000
const SPORT = 80

/** A segment: d 0 = client (10.0.0.1:40000) -> server (10.0.0.2:80). Seqs/acks relative to ISNs. */
interface Seg {
  d: Dir
  rel: number
  f?: number
  data?: string
  trunc?: number
  /** Ack relative to the peer's ISN (default 1). */
  ackRel?: number
  t?: number
}

interface Case {
  name: string
  isn?: [number, number]
  limits?: Partial<Limits>
  segs: Seg[]
  want: string[]
  stats?: Partial<Pick<Stats, 'tcpGaps' | 'tcpGapBytes' | 'tcpRetransmittedBytes' | 'tcpOutOfOrderSegments'>>
  limitsHit?: Record<string, number>
  bad?: Record<string, number>
}

const HS: Seg[] = [
  {d: 0, rel: 0, f: SYN},
  {d: 1, rel: 0, f: SYN | ACK},
  {d: 0, rel: 1, f: ACK},
]

const DATA = ACK | PSH

function toPacket(s: Seg, isn: [number, number]): DecodedPacket {
  const mine = isn[s.d]
  const peer = isn[s.d === 0 ? 1 : 0]
  return pkt({
    src: s.d === 0 ? IP_A : IP_B,
    dst: s.d === 0 ? IP_B : IP_A,
    sport: s.d === 0 ? CPORT : SPORT,
    dport: s.d === 0 ? SPORT : CPORT,
    seq: mine + s.rel,
    ack: peer + (s.ackRel ?? 1),
    flags: s.f ?? DATA,
    data: s.data,
    trunc: s.trunc,
    t: s.t,
  })
}

function run(c: {isn?: [number, number]; limits?: Partial<Limits>; segs: Seg[]; eof?: boolean}) {
  resetFrames()
  const rec = new Recorder()
  const stats = new Stats()
  const r = new TcpReassembler(rec, limits(c.limits), stats)
  const isn = c.isn ?? [1000, 5000]
  let last: DecodedPacket | null = null
  for (const s of c.segs) {
    last = toPacket(s, isn)
    r.segment(last)
  }
  if (c.eof !== false) r.end({frame: 999, tsSec: last?.tsSec ?? 0, tsNsec: 0})
  return {rec, stats, r}
}

const s = (d: Dir, rel: number, data: string, extra: Partial<Seg> = {}): Seg => ({d, rel, data, ...extra})
const cFin = (rel: number): Seg => ({d: 0, rel, f: FIN | ACK})
const sFin = (rel: number, ackRel = 1): Seg => ({d: 1, rel, f: FIN | ACK, ackRel})
const x100 = (ch: string) => ch.repeat(100)

const CASES: Case[] = [
  {
    name: 'in-order both directions, closed by FINs',
    segs: [...HS, s(0, 1, 'GET /'), s(0, 6, ' HTTP'), s(1, 1, 'HTTP/1.1 200'), cFin(11), sFin(13)],
    want: ['D0 GET / HTTP', 'D1 HTTP/1.1 200', 'END fin'],
    stats: {tcpGaps: 0, tcpRetransmittedBytes: 0, tcpOutOfOrderSegments: 0},
  },
  {
    name: 'reordered segments are delivered in sequence',
    segs: [...HS, s(0, 4, 'def'), s(0, 7, 'ghi'), s(0, 1, 'abc')],
    want: ['D0 abcdefghi', 'END eof'],
    stats: {tcpOutOfOrderSegments: 2, tcpGaps: 0},
  },
  {
    name: 'duplicates and retransmissions are delivered once',
    segs: [...HS, s(0, 1, 'abc'), s(0, 1, 'abc'), s(0, 4, 'def'), s(0, 7, 'ghi'), s(0, 4, 'def')],
    want: ['D0 abcdefghi', 'END eof'],
    stats: {tcpRetransmittedBytes: 6},
  },
  {
    name: 'duplicate out-of-order segments are stored once',
    segs: [...HS, s(0, 7, 'ghi'), s(0, 7, 'ghi'), s(0, 1, 'abc'), s(0, 4, 'def')],
    want: ['D0 abcdefghi', 'END eof'],
    // both copies arrived ahead of the expected sequence; the second is not stored again
    stats: {tcpRetransmittedBytes: 3, tcpOutOfOrderSegments: 2},
  },
  {
    name: 'partial overlaps are trimmed (in order)',
    segs: [...HS, s(0, 1, 'abcd'), s(0, 3, 'cdef'), s(0, 2, 'bcdefgh')],
    want: ['D0 abcdefgh', 'END eof'],
    stats: {tcpRetransmittedBytes: 7},
  },
  {
    name: 'partial overlaps are trimmed (out of order)',
    segs: [...HS, s(0, 7, 'ghij'), s(0, 5, 'efgh'), s(0, 1, 'abcd')],
    want: ['D0 abcdefghij', 'END eof'],
    stats: {tcpRetransmittedBytes: 2, tcpOutOfOrderSegments: 2},
  },
  {
    name: 'sequence numbers wrap across 2^32 (client ISN 0xffffff00, server 0xfffffffe)',
    isn: [0xffffff00, 0xfffffffe],
    segs: [
      ...HS,
      s(0, 301, x100('d')),
      s(0, 101, x100('b')),
      s(0, 201, x100('c')),
      s(0, 1, x100('a')),
      s(1, 1, 'xyz'),
      s(1, 4, 'w'),
      cFin(401),
      sFin(5),
    ],
    want: [`D0 ${x100('a')}${x100('b')}${x100('c')}${x100('d')}`, 'D1 xyzw', 'END fin'],
    stats: {tcpGaps: 0, tcpOutOfOrderSegments: 3},
  },
  {
    name: 'hole at FIN, proven lost by the peer ACKing the FIN: gap, then the stored data',
    segs: [...HS, s(0, 1, 'abc'), s(0, 7, 'ghi'), cFin(10), sFin(1, 11)],
    want: ['D0 abc', 'G0 3', 'D0 ghi', 'END fin'],
    stats: {tcpGaps: 1, tcpGapBytes: 3},
  },
  {
    name: 'bytes missing right before an acknowledged FIN are a gap',
    segs: [...HS, s(0, 1, 'abc'), cFin(7), sFin(1, 8)],
    want: ['D0 abc', 'G0 3', 'END fin'],
    stats: {tcpGaps: 1, tcpGapBytes: 3},
  },
  {
    name: 'hole at FIN not proven lost: the late segment still fills it, then FIN/FIN ends',
    segs: [...HS, s(0, 1, 'abc'), s(0, 7, 'ghi'), cFin(10), sFin(1), s(0, 4, 'def')],
    want: ['D0 abcdefghi', 'END fin'],
    stats: {tcpGaps: 0},
  },
  {
    name: 'hole at FIN never filled nor proven: reported at end of input',
    segs: [...HS, s(0, 1, 'abc'), cFin(7), sFin(1)],
    want: ['D0 abc', 'G0 3', 'END eof'],
    stats: {tcpGaps: 1, tcpGapBytes: 3},
  },
  {
    name: 'hole still open at end of input',
    segs: [...HS, s(0, 1, 'abc'), s(0, 7, 'ghi')],
    want: ['D0 abc', 'G0 3', 'D0 ghi', 'END eof'],
    stats: {tcpGaps: 1, tcpGapBytes: 3},
  },
  {
    name: 'segments-per-direction bound: earliest hole becomes a gap, delivery continues',
    limits: {tcpOooSegmentsPerDir: 2},
    segs: [...HS, s(0, 1, 'a'), s(0, 3, 'c'), s(0, 5, 'e'), s(0, 7, 'g'), s(0, 4, 'd'), s(0, 6, 'f')],
    want: ['D0 a', 'G0 1', 'D0 cdefg', 'END eof'],
    limitsHit: {tcpOooSegmentsPerDir: 1},
  },
  {
    name: 'bytes-per-connection bound',
    limits: {tcpOooBytesPerConn: 4},
    segs: [...HS, s(0, 1, 'ab'), s(0, 5, 'efg'), s(0, 9, 'ijk')],
    want: ['D0 ab', 'G0 2', 'D0 efg', 'G0 1', 'D0 ijk', 'END eof'],
    limitsHit: {tcpOooBytesPerConn: 1},
    stats: {tcpGaps: 2, tcpGapBytes: 3},
  },
  {
    name: 'total bytes bound, the new segment being the earliest: delivered from the packet',
    limits: {tcpOooBytesTotal: 4},
    segs: [...HS, s(0, 1, 'a'), s(0, 8, 'xyz'), s(0, 3, 'cd')],
    want: ['D0 a', 'G0 1', 'D0 cd', 'G0 3', 'D0 xyz', 'END eof'],
    limitsHit: {tcpOooBytesTotal: 1},
  },
  {
    name: 'RST flushes holes and ends the stream; later data is ignored',
    segs: [...HS, s(0, 1, 'abc'), s(0, 7, 'ghi'), {d: 1, rel: 1, f: RST}, s(0, 10, 'jkl')],
    want: ['D0 abc', 'G0 3', 'D0 ghi', 'END rst'],
  },
  {
    name: 'snaplen-truncated payload is a gap in place',
    segs: [...HS, s(0, 1, 'abc', {trunc: 2}), s(0, 6, 'fgh')],
    want: ['D0 abc', 'G0 2', 'D0 fgh', 'END eof'],
    stats: {tcpGaps: 1, tcpGapBytes: 2},
  },
  {
    name: 'data after FIN is ignored',
    segs: [...HS, s(0, 1, 'abc'), cFin(4), s(0, 4, 'zzz'), sFin(1)],
    want: ['D0 abc', 'END fin'],
    bad: {'tcp: data after fin': 1},
  },
  {
    name: 'data carried in the SYN starts after the SYN sequence number',
    segs: [{d: 0, rel: 0, f: SYN, data: 'hi'}, {d: 1, rel: 0, f: SYN | ACK, ackRel: 3}, s(0, 3, '!')],
    want: ['D0 hi!', 'END eof'],
  },
  {
    name: 'TCP Fast Open: data on the SYN and on the SYN-ACK both reach the stream, each after its SYN',
    segs: [{d: 0, rel: 0, f: SYN, data: 'GET'}, {d: 1, rel: 0, f: SYN | ACK, ackRel: 4, data: 'OK'}, {d: 0, rel: 4, f: ACK, ackRel: 3, data: '!'}, s(1, 3, '?')],
    want: ['D0 GET', 'D1 OK', 'D0 !', 'D1 ?', 'END eof'],
  },
  {
    name: 'SYN-ACK data when the SYN was not captured',
    segs: [{d: 1, rel: 0, f: SYN | ACK, ackRel: 1, data: 'hello'}, s(1, 6, ' world'), s(0, 1, 'x')],
    want: ['D1 hello world', 'D0 x', 'END eof'],
  },
  {
    name: 'a segment covering both delivered and stored bytes is trimmed on both sides',
    segs: [...HS, s(0, 1, 'ab'), s(0, 6, 'fg'), s(0, 1, 'abcdefg'), s(0, 8, 'h')],
    want: ['D0 abcdefgh', 'END eof'],
    stats: {tcpRetransmittedBytes: 4},
  },
]

describe('TcpReassembler: segments in -> deliveries out', () => {
  beforeEach(() => resetFrames())

  it.each(CASES)('$name', (c) => {
    const {rec, stats} = run(c)
    expect(rec.compact()).toEqual(c.want)
    expect(rec.afterEnd).toEqual([])
    for (const [k, v] of Object.entries(c.stats ?? {})) expect(stats[k as keyof typeof c.stats], k).toBe(v)
    for (const [k, v] of Object.entries(c.limitsHit ?? {})) expect(stats.limitsHit.get(k), k).toBe(v)
    for (const [k, v] of Object.entries(c.bad ?? {})) expect(stats.malformed.get(k), k).toBe(v)
  })
})

describe('TcpReassembler: behaviour', () => {
  beforeEach(() => resetFrames())

  it('delivers in-order data as a view of the packet payload (zero copy) with the packet as `at`', () => {
    const seen: {same: boolean; atIsPacket: boolean}[] = []
    const p = pkt({src: IP_A, dst: IP_B, sport: CPORT, dport: SPORT, seq: 101, flags: DATA, data: 'hello'})
    const r = new TcpReassembler(
      {
        open: () => ({
          data: (_d, b, at) => seen.push({same: b.buffer === p.payload.buffer && b.byteOffset === p.payload.byteOffset, atIsPacket: at === p}),
          gap: () => {},
          end: () => {},
        }),
      },
      limits(),
      new Stats(),
    )
    r.segment(pkt({src: IP_A, dst: IP_B, sport: CPORT, dport: SPORT, seq: 100, flags: SYN}))
    r.segment(p)
    expect(seen).toEqual([{same: true, atIsPacket: true}])
  })

  it('IPv6: both directions of a 5-tuple meet in one connection; addresses differing in one word do not', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, limits(), stats)
    const v6 = (fromA: boolean, lastWordA: number, o: Parameters<typeof pkt>[0]): DecodedPacket => {
      const p = pkt(o)
      const a = [0x20010db8, 0, 0, lastWordA]
      const b = [0x20010db8, 0, 0, 2]
      const [src, dst] = fromA ? [a, b] : [b, a]
      return {...p, ipVersion: 6, src0: src[0], src1: src[1], src2: src[2], src3: src[3], dst0: dst[0], dst1: dst[1], dst2: dst[2], dst3: dst[3]}
    }
    r.segment(v6(true, 1, {sport: 40000, dport: 443, seq: 10, flags: SYN}))
    r.segment(v6(false, 1, {sport: 443, dport: 40000, seq: 90, flags: SYN | ACK}))
    r.segment(v6(true, 1, {sport: 40000, dport: 443, seq: 11, data: 'hello'}))
    r.segment(v6(false, 1, {sport: 443, dport: 40000, seq: 91, data: 'world'}))
    r.segment(v6(true, 3, {sport: 40000, dport: 443, seq: 11, data: 'other'}))
    r.end({frame: 0, tsSec: 0, tsNsec: 0})
    expect(stats.tcpConnections).toBe(2)
    expect(rec.compact(1)).toEqual(['D0 hello', 'D1 world', 'END eof'])
    const open = rec.log[0]
    expect(open.k === 'open' && [open.client, open.server]).toEqual(['2001:db8::1:40000', '2001:db8::2:443'])
  })

  it('stored segments are delivered with their own frame and time', () => {
    const {rec} = run({segs: [...HS, s(0, 4, 'def', {t: 5}), s(0, 1, 'abc', {t: 6})]})
    const data = rec.log.filter((r) => r.k === 'data')
    // frames: 1..3 handshake, 4 = 'def' (stored), 5 = 'abc'
    expect(data.map((r) => (r.k === 'data' ? [r.s, r.frame] : null))).toEqual([
      ['abc', 5],
      ['def', 4],
    ])
  })

  it('a peer ACK beyond a hole reports the gap at once (bytes lost before the capture)', () => {
    const {rec} = run({
      segs: [...HS, s(0, 1, 'abc'), s(0, 7, 'ghi'), {d: 1, rel: 1, f: ACK, ackRel: 10}, s(0, 10, 'jkl')],
      eof: false,
    })
    expect(rec.compact()).toEqual(['D0 abc', 'G0 3', 'D0 ghijkl'])
    const gap = rec.log.find((r) => r.k === 'gap')
    expect(gap?.frame).toBe(6) // the ACK's frame
  })

  it.each([
    // [description, first packet src port, dst port, flags, expected client port, server port, roleBy]
    ['SYN: sender is client', 40000, 80, SYN, 40000, 80, 'syn'],
    ['SYN-ACK: receiver is client', 80, 40000, SYN | ACK, 40000, 80, 'synack'],
    ['mid-stream from a service port', 80, 40000, DATA, 40000, 80, 'port'],
    ['mid-stream to a registered service port', 51000, 3306, DATA, 51000, 3306, 'port'],
    ['mid-stream from a registered service port', 6379, 51000, DATA, 51000, 6379, 'port'],
    ['mid-stream, no service port: the lower port is the server', 50000, 40000, DATA, 50000, 40000, 'port'],
    ['mid-stream, both service ports: the lower port is the server', 8080, 443, DATA, 8080, 443, 'port'],
    ['mid-stream, equal ports: the sender is client', 7000, 7000, DATA, 7000, 7000, 'first-packet'],
  ] as const)('roles: %s', (_n, sp, dp, flags, cport, sport, roleBy) => {
    const rec = new Recorder()
    const r = new TcpReassembler(rec, limits(), new Stats())
    r.segment(pkt({src: IP_A, dst: IP_B, sport: sp, dport: dp, seq: 7, flags, data: flags === DATA ? 'x' : undefined}))
    // a connection that is its client's SYN only is not opened yet: the SYN-ACK opens it
    if (flags === SYN) r.segment(pkt({src: IP_B, dst: IP_A, sport: dp, dport: sp, seq: 70, ack: 8, flags: SYN | ACK}))
    const open = rec.log[0]
    expect(open.k).toBe('open')
    if (open.k !== 'open') return
    expect(open.roleBy).toBe(roleBy)
    expect(open.client.endsWith(`:${cport}`)).toBe(true)
    expect(open.server.endsWith(`:${sport}`)).toBe(true)
    // the mid-stream data went to the right direction
    if (flags === DATA) {
      const d = rec.log.find((x) => x.k === 'data')
      expect(d?.k === 'data' && d.dir).toBe(sp === cport ? 0 : 1)
    }
  })

  it('mid-stream pickup starts at the first segment seen and reassembles from there', () => {
    const rec = new Recorder()
    const r = new TcpReassembler(rec, limits(), new Stats())
    const srv = (seq: number, data: string) => pkt({src: IP_B, dst: IP_A, sport: 80, dport: 40000, seq, data})
    r.segment(srv(5000, 'abc'))
    r.segment(srv(5006, 'ghi'))
    r.segment(srv(5003, 'def'))
    r.segment(srv(4990, 'old')) // before the pickup point: dropped as already-delivered
    r.end({frame: 0, tsSec: 0, tsNsec: 0})
    expect(rec.compact()).toEqual(['D1 abcdefghi', 'END eof'])
  })

  it('idle timeout follows capture time, not the wall clock', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, limits({tcpIdleTimeoutSec: 300}), stats)
    r.segment(pkt({sport: 40000, dport: 80, seq: 1, flags: SYN, t: 1000, frame: 1}))
    r.segment(pkt({sport: 40000, dport: 80, seq: 2, data: 'abc', t: 1001, frame: 2}))
    r.segment(pkt({sport: 40000, dport: 80, seq: 8, data: 'ghi', t: 1002, frame: 3})) // hole
    // another connection's packets move the capture clock
    r.segment(pkt({sport: 40001, dport: 80, seq: 1, flags: SYN, t: 1200, frame: 4}))
    expect(rec.compact(1)).toEqual(['D0 abc']) // 198 s idle: still open
    r.segment(pkt({sport: 40001, dport: 80, seq: 2, data: 'x', t: 1302.5, frame: 5}))
    expect(rec.compact(1)).toEqual(['D0 abc', 'G0 3', 'D0 ghi', 'END timeout'])
    const end = rec.log.find((x) => x.k === 'end' && x.conn === 1)
    expect(end?.k === 'end' ? end.frame : -1).toBe(3) // `at` is the conn's last packet
    expect(r.size).toBe(1)
    // a packet of the expired 4-tuple now starts a new (mid-stream) connection
    r.segment(pkt({sport: 40000, dport: 80, seq: 11, data: 'late', t: 1303, frame: 6}))
    expect(stats.tcpConnections).toBe(3)
  })

  it('evicts the least recently active connection at maxConnections', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, limits({maxConnections: 2}), stats)
    const syn = (port: number, t: number) => pkt({sport: port, dport: 80, seq: 1, flags: SYN, t})
    const data = (port: number, d: string, t: number) => pkt({sport: port, dport: 80, seq: 2, data: d, t})
    r.segment(syn(1, 0))
    r.segment(syn(2, 0))
    r.segment(data(1, 'one', 0)) // conn 1 is now more recent than conn 2
    r.segment(syn(3, 0))
    expect(stats.tcpConnectionsEvicted).toBe(1)
    expect(stats.limitsHit.get('maxConnections')).toBe(1)
    // conn 2 was its SYN only (a half-open record): evicted without ever being opened
    expect(rec.log.filter((x) => x.conn === 2)).toEqual([])
    expect(rec.compact(1)).toEqual(['D0 one'])
    expect(r.size).toBe(2)
    // conn 3 (half-open) is now more recent than conn 1: a fourth evicts conn 1
    r.segment(syn(4, 0))
    expect(rec.compact(1)).toEqual(['D0 one', 'END evicted'])
    // conn 3 is promoted by its SYN-ACK, keeps its id, and is the older of the two left
    r.segment(pkt({src: IP_B, dst: IP_A, sport: 80, dport: 3, seq: 50, ack: 2, flags: SYN | ACK, t: 0}))
    r.segment(data(3, 'three', 0))
    r.segment(syn(5, 0))
    expect(rec.compact(3)).toEqual(['D0 three'])
    expect(rec.log.filter((x) => x.conn === 4)).toEqual([])
    expect(stats.tcpConnectionsEvicted).toBe(3)
    expect(r.size).toBe(2)
  })

  it('half-open records: a promoted connection is the one its SYN would have made', () => {
    // the same packets with an observer (a full connection record from the SYN) and without (a
    // half-open record until the SYN-ACK) give the same deliveries, counters, history and times
    const segs: Seg[] = [{d: 0, rel: 0, f: SYN}, {d: 0, rel: 0, f: SYN}, ...HS.slice(1), s(0, 1, 'GET'), s(1, 1, 'OK!'), cFin(4), sFin(4)]
    const isn: [number, number] = [4000000000, 5000]
    const obs: ConnObserver = {opened: () => {}, packet: () => {}, closed: () => {}}
    const runs: unknown[] = []
    for (const observer of [obs, undefined]) {
      resetFrames()
      const conns: ConnInfo[] = []
      const rec = new Recorder()
      const factory = {
        open: (c: ConnInfo) => {
          conns.push(c)
          return rec.open(c)
        },
      }
      const stats = new Stats()
      const r = new TcpReassembler(factory, limits(), stats, observer)
      for (const sg of segs) r.segment(toPacket(sg, isn))
      const c = conns[0] as Conn
      runs.push({
        log: rec.compact(),
        opens: rec.opens,
        conns: stats.tcpConnections,
        conn: [c.id, c.roleBy, c.clientPort, c.serverPort, c.history, c.packets, c.ipBytes, c.payloadBytes, c.tcpFlagsSeen],
        times: [c.firstFrame, c.firstSec, c.firstNsec, c.lastFrame],
      })
    }
    expect(runs[1]).toEqual(runs[0])
    expect((runs[0] as {conn: unknown[]}).conn[4]).toBe('ShADdFf')
  })

  it('port reuse: a SYN with a new ISN after FIN/FIN starts a new connection; trailing ACKs do not', () => {
    const {rec, stats} = run({
      segs: [
        ...HS,
        s(0, 1, 'first'),
        cFin(6),
        sFin(1),
        {d: 0, rel: 7, f: ACK, ackRel: 2}, // last ACK: counted against the closed conn
        {d: 0, rel: 100000, f: SYN},
        {d: 1, rel: 70000, f: SYN | ACK, ackRel: 100001},
        {d: 0, rel: 100001, data: 'second'},
      ],
    })
    expect(stats.tcpConnections).toBe(2)
    expect(rec.compact(1)).toEqual(['D0 first', 'END fin'])
    expect(rec.compact(2)).toEqual(['D0 second', 'END eof'])
  })

  it('late copies of a closed connection after its linger open no connection (wsgi_drum replays)', () => {
    const late = 10 // seconds: past TCP_CLOSED_LINGER_SEC, the record is gone
    const {rec, stats} = run({
      segs: [
        ...HS,
        s(0, 1, 'GET /'),
        s(1, 1, 'HTTP/1.1 200'),
        cFin(6),
        sFin(13),
        {d: 0, rel: 7, f: ACK, ackRel: 14},
        {d: 0, rel: 0, f: SYN, t: late}, // duplicate SYN, same ISN
        {d: 1, rel: 1, data: 'HTTP/1.1 200', t: late}, // re-sent response bytes, already delivered
        {d: 1, rel: 0, f: SYN | ACK, t: late},
        {d: 0, rel: 7, f: ACK, ackRel: 14, t: late},
      ],
    })
    expect(stats.tcpConnections).toBe(1)
    expect(rec.compact()).toEqual(['D0 GET /', 'D1 HTTP/1.1 200', 'END fin'])
    expect(stats.tcpRetransmittedBytes).toBe(12)
  })

  it('after a closed connection, a SYN with a new ISN or bytes past its end still open one', () => {
    const late = 10
    const {stats} = run({
      segs: [...HS, s(0, 1, 'abc'), cFin(4), sFin(1), {d: 0, rel: 5, f: ACK, ackRel: 2}, {d: 0, rel: 50000, f: SYN, t: late}],
    })
    expect(stats.tcpConnections).toBe(2)
    const mid = run({
      segs: [...HS, s(0, 1, 'abc'), cFin(4), sFin(1), {d: 0, rel: 5, f: ACK, ackRel: 2}, s(0, 100, 'new data', {t: late})],
    })
    expect(mid.stats.tcpConnections).toBe(2)
  })

  it('a retransmitted SYN (same ISN) stays on the same connection', () => {
    const {stats, rec} = run({segs: [{d: 0, rel: 0, f: SYN}, {d: 0, rel: 0, f: SYN}, ...HS, s(0, 1, 'a')]})
    expect(stats.tcpConnections).toBe(1)
    expect(rec.compact()).toEqual(['D0 a', 'END eof'])
  })

  it('a throwing handler ends its connection with "error" and nothing follows', () => {
    const rec = new Recorder()
    rec.throwOn = 'boom'
    const stats = new Stats()
    const r = new TcpReassembler(rec, limits(), stats)
    const c = (seq: number, data: string) => pkt({sport: 40000, dport: 80, seq, data})
    r.segment(pkt({sport: 40000, dport: 80, seq: 0, flags: SYN}))
    r.segment(c(5, 'later')) // stored
    r.segment(c(1, 'boom')) // throws; the stored segment must not be delivered
    r.segment(c(10, 'more'))
    r.segment(pkt({sport: 40001, dport: 80, seq: 0, flags: SYN})) // other conns unaffected
    r.segment(pkt({sport: 40001, dport: 80, seq: 1, data: 'fine'}))
    r.end({frame: 0, tsSec: 0, tsNsec: 0})
    expect(rec.compact(1)).toEqual(['D0 boom', 'END error'])
    expect(rec.compact(2)).toEqual(['D0 fine', 'END eof'])
    expect(stats.malformed.get('tcp: handler threw')).toBe(1)
    expect(rec.afterEnd).toEqual([])
    expect(r.storedBytes).toBe(0)
  })

  it('ends everything at end of input in connection-creation order', () => {
    const rec = new Recorder()
    const r = new TcpReassembler(rec, limits(), new Stats())
    for (const port of [5, 3, 9, 1]) r.segment(pkt({sport: port + 40000, dport: 80, seq: 0, flags: SYN}))
    // touch them in another order
    for (const port of [1, 9, 3, 5]) r.segment(pkt({sport: port + 40000, dport: 80, seq: 1, data: 'x'}))
    rec.log.length = 0
    r.end({frame: 77, tsSec: 0, tsNsec: 0})
    expect(rec.log.map((x) => (x.k === 'end' ? [x.conn, x.reason, x.frame] : null))).toEqual([
      [1, 'eof', 77],
      [2, 'eof', 77],
      [3, 'eof', 77],
      [4, 'eof', 77],
    ])
    expect(r.size).toBe(0)
  })

  it('a factory returning null still tracks the connection (counted, closed at FIN) without deliveries', () => {
    const rec = new Recorder()
    rec.ignorePorts.add(80)
    const stats = new Stats()
    const closed: EndReason[] = []
    const obs: ConnObserver = {opened() {}, packet() {}, closed: (_c, reason) => closed.push(reason)}
    const r = new TcpReassembler(rec, limits(), stats, obs)
    r.segment(pkt({sport: 40000, dport: 80, seq: 0, flags: SYN}))
    r.segment(pkt({sport: 40000, dport: 80, seq: 1, data: 'abc'}))
    r.segment(pkt({sport: 40000, dport: 80, seq: 4, flags: FIN | ACK}))
    r.segment(pkt({src: IP_B, dst: IP_A, sport: 80, dport: 40000, seq: 9, flags: FIN | ACK}))
    r.end({frame: 0, tsSec: 0, tsNsec: 0})
    expect(rec.opens).toBe(1)
    expect(rec.compact()).toEqual([])
    expect(closed).toEqual(['fin'])
  })

  it('SYN-only connections (scans) open once and allocate no stores', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, limits(), stats)
    for (let port = 1; port <= 500; port++) r.segment(pkt({sport: 40000, dport: port, seq: 99, flags: SYN}))
    expect(stats.tcpConnections).toBe(500)
    expect(r.size).toBe(500)
    // half-open records: never opened, nothing to end
    expect(rec.opens).toBe(0)
    expect(r.storedBytes).toBe(0)
    r.end({frame: 0, tsSec: 0, tsNsec: 0})
    expect(r.size).toBe(0)
    expect(rec.log.filter((x) => x.k === 'end').length).toBe(0)
  })

  it('observer: counters, Zeek-style history, strings and community id', () => {
    const events: string[] = []
    let conn: Conn | null = null
    const obs: ConnObserver = {
      opened: (c) => {
        conn = c
        events.push('opened')
      },
      packet: (_c, dir: Dir, p: DecodedPacket) => events.push(`p${dir}:${p.frame}`),
      closed: (_c, reason: EndReason, at: Moment) => events.push(`closed ${reason} @${at.frame}`),
    }
    resetFrames()
    const rec = new Recorder()
    const r = new TcpReassembler(rec, limits(), new Stats(), obs)
    const isn: [number, number] = [1000, 5000]
    const segs: Seg[] = [...HS, s(0, 1, 'GET'), s(1, 1, 'OK!'), {d: 1, rel: 4, f: ACK, ackRel: 4}, cFin(4), sFin(4), {d: 0, rel: 5, f: ACK, ackRel: 5}]
    for (const sg of segs) r.segment(toPacket(sg, isn))
    r.end({frame: 50, tsSec: 0, tsNsec: 0})
    expect(events).toEqual(['opened', 'p0:1', 'p1:2', 'p0:3', 'p0:4', 'p1:5', 'p1:6', 'p0:7', 'p1:8', 'p0:9', 'closed fin @50'])
    const c = conn as unknown as Conn
    expect(c.history).toBe('ShADdaFf')
    expect(c.packets).toEqual([5, 4])
    expect(c.payloadBytes).toEqual([3, 3])
    expect(c.ipBytes).toEqual([5 * 40 + 3, 4 * 40 + 3])
    expect(c.tcpFlagsSeen[0] & (SYN | FIN | ACK | PSH)).toBe(SYN | FIN | ACK | PSH)
    expect([c.firstFrame, c.lastFrame]).toEqual([1, 9])
    expect(c.clientIp).toBe('10.0.0.1')
    expect(c.serverIp).toBe('10.0.0.2')
    expect(c.communityId).toBe(communityIdFromStrings('10.0.0.2', '10.0.0.1', 6, 80, 40000))
    expect(c.transport).toBe('tcp')
  })
})

describe('TcpReassembler: property', () => {
  it('any permutation/duplication of a segmented stream (no loss) delivers exactly the original bytes', () => {
    const dirStream = fc.record({
      bytes: fc.uint8Array({minLength: 1, maxLength: 300}),
      cuts: fc.array(fc.nat({max: 299}), {maxLength: 20}),
      // retransmissions with their own boundaries: [start, length]
      extra: fc.array(fc.tuple(fc.nat({max: 299}), fc.integer({min: 1, max: 80})), {maxLength: 10}),
      isn: fc.oneof(fc.constant(0xffffff00), fc.constant(0xfffffff0), fc.nat({max: 0xffffffff})),
    })
    fc.assert(
      fc.property(dirStream, dirStream, fc.array(fc.nat(), {minLength: 64, maxLength: 64}), fc.boolean(), (a, b, prio, withFin) => {
        resetFrames()
        const rec = new Recorder()
        const stats = new Stats()
        const r = new TcpReassembler(rec, limits(), stats)
        const isn: [number, number] = [a.isn, b.isn]
        const pieces: {d: Dir; start: number; data: Buffer; fin: boolean}[] = []
        for (const [d, st] of [
          [0, a],
          [1, b],
        ] as const) {
          const buf = Buffer.from(st.bytes)
          const cuts = [...new Set(st.cuts.filter((x) => x > 0 && x < buf.length))].sort((x, y) => x - y)
          let prev = 0
          for (const cut of [...cuts, buf.length]) {
            pieces.push({d, start: prev, data: buf.subarray(prev, cut), fin: false})
            prev = cut
          }
          for (const [start, len] of st.extra) {
            if (start >= buf.length) continue
            pieces.push({d, start, data: buf.subarray(start, Math.min(buf.length, start + len)), fin: false})
          }
          if (withFin) pieces.push({d, start: buf.length, data: Buffer.alloc(0), fin: true})
        }
        const order = pieces.map((p, i) => ({p, k: prio[i % prio.length] * 64 + i})).sort((x, y) => x.k - y.k)
        for (const sg of HS) r.segment(toPacket(sg, isn))
        for (const {p} of order) {
          const seg: Seg = {d: p.d, rel: 1 + p.start, f: p.fin ? FIN | ACK : DATA, data: p.fin ? undefined : p.data.toString('latin1')}
          r.segment(toPacket(seg, isn))
        }
        r.end({frame: 0, tsSec: 0, tsNsec: 0})
        expect(rec.stream(1, 0)).toBe(Buffer.from(a.bytes).toString('latin1'))
        expect(rec.stream(1, 1)).toBe(Buffer.from(b.bytes).toString('latin1'))
        expect(stats.tcpGaps).toBe(0)
        expect(rec.afterEnd).toEqual([])
        expect(rec.log.filter((x) => x.k === 'end').length).toBe(1)
        expect(r.storedBytes).toBe(0)
      }),
      {numRuns: 300},
    )
  })

  it('under tiny bounds every byte is delivered at its offset or counted in a gap, never twice', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({minLength: 1, maxLength: 200}),
        fc.array(fc.nat({max: 199}), {maxLength: 15}),
        fc.array(fc.tuple(fc.nat({max: 199}), fc.integer({min: 1, max: 50})), {maxLength: 8}),
        fc.array(fc.nat(), {minLength: 32, maxLength: 32}),
        fc.record({
          tcpOooSegmentsPerDir: fc.integer({min: 0, max: 3}),
          tcpOooBytesPerConn: fc.integer({min: 0, max: 40}),
          tcpOooBytesTotal: fc.integer({min: 0, max: 60}),
        }),
        (bytes, cutsIn, extra, prio, lim) => {
          resetFrames()
          const rec = new Recorder()
          const stats = new Stats()
          const r = new TcpReassembler(rec, limits(lim), stats)
          const isn: [number, number] = [0xffffffa0, 7]
          const buf = Buffer.from(bytes)
          const cuts = [...new Set(cutsIn.filter((x) => x > 0 && x < buf.length))].sort((x, y) => x - y)
          const pieces: [number, number][] = []
          let prev = 0
          for (const cut of [...cuts, buf.length]) {
            pieces.push([prev, cut])
            prev = cut
          }
          for (const [st, len] of extra) if (st < buf.length) pieces.push([st, Math.min(buf.length, st + len)])
          const order = pieces.map((p, i) => ({p, k: prio[i % prio.length] * 64 + i})).sort((x, y) => x.k - y.k)
          for (const sg of HS) r.segment(toPacket(sg, isn))
          for (const {p} of order) r.segment(toPacket(s(0, 1 + p[0], buf.subarray(p[0], p[1]).toString('latin1')), isn))
          r.end({frame: 0, tsSec: 0, tsNsec: 0})
          let off = 0
          for (const x of rec.log) {
            if (x.k === 'data') {
              expect(x.s).toBe(buf.subarray(off, off + x.s.length).toString('latin1'))
              off += x.s.length
            } else if (x.k === 'gap') {
              expect(x.n).toBeGreaterThan(0)
              off += x.n
            }
          }
          expect(off).toBe(buf.length)
          expect(r.storedBytes).toBe(0)
        },
      ),
      {numRuns: 300},
    )
  })
})
