import {beforeEach, describe, expect, it} from 'vitest'
import type {DecodedPacket} from '../../src/decode/types.js'
import {tupleHash} from '../../src/reassembly/conn-table.js'
import {TcpReassembler} from '../../src/reassembly/tcp.js'
import {Stale, type TombSide, type TombSource, TIME_WAIT_SEC, Tombstones} from '../../src/reassembly/tombstones.js'
import {Stats} from '../../src/stats.js'
import {ACK, FIN, IP_A, IP_B, limits, pkt, Recorder, resetFrames, SYN} from './helpers.js'

beforeEach(() => resetFrames())

const CISN = 1000
const SISN = 900_000

/** A connection's source record: client IP_A:sport, server IP_B:80, last packet at `t`. */
function source(sport: number, t: number): TombSource {
  const p = pkt({sport, dport: 80})
  return {
    hash: tupleHash(p),
    ipVersion: 4,
    zone: 0,
    c0: IP_A,
    c1: 0,
    c2: 0,
    c3: 0,
    s0: IP_B,
    s1: 0,
    s2: 0,
    s3: 0,
    clientPort: sport,
    serverPort: 80,
    lastSec: t,
    lastNsec: 0,
  }
}

/** Sides of a connection with SYNs seen: client [CISN, CISN + 11), server [SISN, SISN + 21). */
function sides(): [TombSide, TombSide] {
  return [
    {known: true, synSeen: true, low: CISN, high: CISN + 11},
    {known: true, synSeen: true, low: SISN, high: SISN + 21},
  ]
}

function stale(t: Tombstones, p: DecodedPacket, now: number): Stale {
  const f = p.tcpFlags
  return t.stale(p, tupleHash(p), (f & SYN) !== 0, (f & ACK) !== 0, (f & FIN) !== 0, now)
}

describe('Tombstones', () => {
  it('matches late copies by the ISN kept as low: same-ISN SYN and SYN-ACK, bytes inside the range', () => {
    const t = new Tombstones(100)
    const [d0, d1] = sides()
    t.add(source(40000, 10), d0, d1)
    expect(t.size).toBe(1)
    // same ISN SYN from the client, same ISN SYN-ACK from the server
    expect(stale(t, pkt({sport: 40000, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.LateCopy)
    expect(stale(t, pkt({src: IP_B, dst: IP_A, sport: 80, dport: 40000, seq: SISN, flags: SYN | ACK}), 20)).toBe(Stale.LateCopy)
    // a SYN with another ISN (port reuse), or the ISN of the other direction, is not
    expect(stale(t, pkt({sport: 40000, dport: 80, seq: CISN + 5, flags: SYN}), 20)).toBe(Stale.No)
    expect(stale(t, pkt({sport: 40000, dport: 80, seq: SISN, flags: SYN}), 20)).toBe(Stale.No)
    // re-sent bytes inside the covered range; data past its end is new
    expect(stale(t, pkt({src: IP_B, dst: IP_A, sport: 80, dport: 40000, seq: SISN + 1, data: 'x'.repeat(20)}), 20)).toBe(Stale.LateCopy)
    expect(stale(t, pkt({src: IP_B, dst: IP_A, sport: 80, dport: 40000, seq: SISN + 1, data: 'x'.repeat(21)}), 20)).toBe(Stale.No)
    // another tuple
    expect(stale(t, pkt({sport: 40001, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.No)
    // gone after TIME_WAIT
    expect(stale(t, pkt({sport: 40000, dport: 80, seq: CISN, flags: SYN}), 10 + TIME_WAIT_SEC + 1)).toBe(Stale.No)
    expect(t.size).toBe(0)
  })

  it('a direction without a SYN has no ISN: a SYN at its low does not match', () => {
    const t = new Tombstones(100)
    t.add(source(40000, 10), {known: true, synSeen: false, low: CISN, high: CISN + 11}, {known: true, synSeen: false, low: SISN, high: SISN + 21})
    expect(stale(t, pkt({sport: 40000, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.No)
    expect(stale(t, pkt({sport: 40000, dport: 80, seq: CISN, data: 'abc'}), 20)).toBe(Stale.LateCopy)
  })

  it('never allocates more ring slots than max + max/8, and keeps at most max live records', () => {
    const max = 1500 // past the first 1024-slot ring: a doubling would give 2048
    const t = new Tombstones(max)
    const [d0, d1] = sides()
    for (let i = 0; i < 5000; i++) t.add(source(1024 + i, 10), d0, d1)
    expect(t.capacity).toBeLessThanOrEqual(max + Math.ceil(max / 8))
    expect(t.size).toBe(max)
    // the newest max are kept, the older ones dropped
    expect(stale(t, pkt({sport: 1024 + 4999, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.LateCopy)
    expect(stale(t, pkt({sport: 1024 + 5000 - max, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.LateCopy)
    expect(stale(t, pkt({sport: 1024 + 5000 - max - 1, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.No)
  })

  it('compaction of forgotten records keeps exactly the live ones an unbounded ring would keep', () => {
    const max = 1024
    const t = new Tombstones(max)
    const [d0, d1] = sides()
    const forget = (port: number) => t.forget(pkt({sport: port, dport: 80}), tupleHash(pkt({sport: port, dport: 80})))
    // reference: live ports oldest first; the bound drops the oldest live one
    const ref: number[] = []
    const N = 8000
    for (let i = 0; i < N; i++) {
      const port = 1024 + i
      if (ref.length >= max) ref.shift()
      t.add(source(port, 10), d0, d1)
      ref.push(port)
      // forget many records (the newest, and older ones): dead slots pile up in the ring
      if (i % 2 === 0) {
        forget(port)
        ref.splice(ref.indexOf(port), 1)
      }
      if (i % 3 === 0 && i >= 37) {
        const k = ref.indexOf(port - 37)
        if (k !== -1) {
          forget(port - 37)
          ref.splice(k, 1)
        }
      }
      expect(t.capacity).toBeLessThanOrEqual(t.ceiling)
      expect(t.size).toBe(ref.length)
    }
    const live = new Set(ref)
    for (let i = 0; i < N; i++) {
      const want = live.has(1024 + i) ? Stale.LateCopy : Stale.No
      expect(stale(t, pkt({sport: 1024 + i, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(want)
    }
    expect(live.size).toBeGreaterThan(100)
  })

  it('a full ring of live records drops its oldest, not a newer one', () => {
    const max = 1024
    const t = new Tombstones(max)
    const [d0, d1] = sides()
    for (let i = 0; i < max; i++) t.add(source(2000 + i, 10), d0, d1)
    t.forget(pkt({sport: 2500, dport: 80}), tupleHash(pkt({sport: 2500, dport: 80})))
    t.add(source(9000, 10), d0, d1)
    t.add(source(9001, 10), d0, d1)
    expect(t.size).toBe(max)
    expect(stale(t, pkt({sport: 2000, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.No)
    expect(stale(t, pkt({sport: 2001, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.LateCopy)
    expect(stale(t, pkt({sport: 9001, dport: 80, seq: CISN, flags: SYN}), 20)).toBe(Stale.LateCopy)
  })
})

describe('TcpReassembler tombstones', () => {
  /** One full connection on client port `sport` at time `t`, closed by FIN/FIN. */
  function conn(r: TcpReassembler, sport: number, t: number): void {
    const c = (o: Partial<Parameters<typeof pkt>[0]>) => r.segment(pkt({sport, dport: 80, t, ...o}))
    const s = (o: Partial<Parameters<typeof pkt>[0]>) => r.segment(pkt({src: IP_B, dst: IP_A, sport: 80, dport: sport, t, ...o}))
    c({seq: CISN, flags: SYN})
    s({seq: SISN, ack: CISN + 1, flags: SYN | ACK})
    c({seq: CISN + 1, ack: SISN + 1, flags: ACK, data: 'GET /'})
    s({seq: SISN + 1, ack: CISN + 6, flags: ACK, data: 'HTTP/1.1 200'})
    c({seq: CISN + 6, ack: SISN + 13, flags: FIN | ACK})
    s({seq: SISN + 13, ack: CISN + 7, flags: FIN | ACK})
    c({seq: CISN + 7, ack: SISN + 14, flags: ACK})
  }

  it('late packets after close are matched to the closed connection (no new connection), past its bound not', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, limits({maxConnections: 1100}), stats)
    for (let i = 0; i < 3000; i++) conn(r, 1024 + i, 1)
    expect(stats.tcpConnections).toBe(3000)
    // 60 s later (past the linger, inside TIME_WAIT): a duplicate SYN and re-sent response bytes of
    // a recent connection are late copies of it
    const late = 61
    r.segment(pkt({sport: 1024 + 2999, dport: 80, seq: CISN, flags: SYN, t: late}))
    r.segment(pkt({src: IP_B, dst: IP_A, sport: 80, dport: 1024 + 2999, seq: SISN + 1, ack: CISN + 6, data: 'HTTP/1.1 200', t: late}))
    expect(stats.tcpConnections).toBe(3000)
    expect(stats.tcpLateCopies).toBe(2)
    expect(stats.tcpRetransmittedBytes).toBe(12)
    // the tombstones of the oldest connections were dropped (bound 1100): their late data opens one
    r.segment(pkt({src: IP_B, dst: IP_A, sport: 80, dport: 1024, seq: SISN + 1, ack: CISN + 6, data: 'HTTP/1.1 200', t: late}))
    expect(stats.tcpConnections).toBe(3001)
    expect(stats.tcpLateCopies).toBe(2)
    r.end({frame: 1e6, tsSec: late, tsNsec: 0})
  })
})
