import {describe, expect, it} from 'vitest'
import {DEFAULT_LIMITS} from '../../src/limits.js'
import {ARENA_MAX_BYTES, NIL, type OooList, OooStore} from '../../src/reassembly/ooo-store.js'
import {TcpReassembler} from '../../src/reassembly/tcp.js'
import {Stats} from '../../src/stats.js'
import {ACK, PSH, pkt, Recorder, SYN} from './helpers.js'

const list = (): OooList => ({oooHead: NIL, oooTail: NIL, oooCount: 0})
const at = (frame: number) => ({frame, tsSec: 1_700_000_000 + frame, tsNsec: frame * 1000})

/** The held segments of `l` in list order: [unsigned seq, bytes as text, trunc, frame]. */
function dump(st: OooStore, l: OooList): [number, string, number, number][] {
  const out: [number, string, number, number][] = []
  const m = {frame: 0, tsSec: 0, tsNsec: 0}
  for (let h = st.first(l); h !== NIL; h = st.next(h)) {
    out.push([st.seq(h) >>> 0, st.data(h).toString('latin1'), st.trunc(h), st.moment(h, m).frame])
  }
  return out
}

describe('OooStore', () => {
  it('keeps segments sorted by sequence relative to the base, whatever the arrival order', () => {
    const st = new OooStore()
    const l = list()
    for (const [seq, s, f] of [
      [1300, 'd', 1],
      [1100, 'b', 2],
      [1400, 'e', 3],
      [1200, 'c', 4],
    ] as const) {
      expect(st.insert(l, 1000, seq, Buffer.from(s), 0, at(f))).toBe(true)
    }
    expect(dump(st, l)).toEqual([
      [1100, 'b', 0, 2],
      [1200, 'c', 0, 4],
      [1300, 'd', 0, 1],
      [1400, 'e', 0, 3],
    ])
    expect(l.oooCount).toBe(4)
    expect(st.count).toBe(4)
    expect(st.bytes).toBe(4)
  })

  it('orders across the 2^32 wrap (seq below the base numerically but after it in sequence space)', () => {
    const st = new OooStore()
    const l = list()
    const base = 0xffffff00
    st.insert(l, base, 0x00000010, Buffer.from('after-wrap'), 0, at(1)) // base + 0x110
    st.insert(l, base, 0xffffff80, Buffer.from('before-wrap'), 0, at(2)) // base + 0x80
    st.insert(l, base, 0x00000200, Buffer.from('later'), 0, at(3))
    expect(dump(st, l).map((r) => r[1])).toEqual(['before-wrap', 'after-wrap', 'later'])
    expect(dump(st, l)[0][0]).toBe(0xffffff80)
  })

  it('drops a segment covered by one starting at the same point or earlier; keeps partial overlaps', () => {
    const st = new OooStore()
    const l = list()
    expect(st.insert(l, 0, 100, Buffer.from('0123456789'), 0, at(1))).toBe(true)
    expect(st.insert(l, 0, 100, Buffer.from('0123456789'), 0, at(2))).toBe(false) // exact retransmission
    expect(st.insert(l, 0, 103, Buffer.from('345'), 0, at(3))).toBe(false) // inside
    expect(st.insert(l, 0, 105, Buffer.from('56789AB'), 0, at(4))).toBe(true) // runs past the end
    expect(st.insert(l, 0, 100, Buffer.from('0123456789X'), 0, at(5))).toBe(true) // same start, longer
    expect(st.insert(l, 0, 104, Buffer.from('4'), 2, at(6))).toBe(false) // 4 + 2 uncaptured, covered
    expect(dump(st, l)).toEqual([
      [100, '0123456789', 0, 1],
      [100, '0123456789X', 0, 5],
      [105, '56789AB', 0, 4],
    ])
    expect(st.bytes).toBe(28)
  })

  it('uncaptured bytes count toward coverage', () => {
    const st = new OooStore()
    const l = list()
    expect(st.insert(l, 0, 10, Buffer.from('ab'), 8, at(1))).toBe(true) // covers 10..20
    expect(st.insert(l, 0, 15, Buffer.from('xyz'), 0, at(2))).toBe(false)
    expect(st.insert(l, 0, 15, Buffer.from('xyz'), 3, at(3))).toBe(true) // 15..21
  })

  it('shift/free deliver in order, release bytes, and copies do not alias the input', () => {
    const st = new OooStore()
    const l = list()
    const src = Buffer.from('hello')
    st.insert(l, 0, 5, src, 0, at(1))
    src.fill(0x21)
    st.insert(l, 0, 1, Buffer.from('w'), 0, at(2))
    const h = st.shift(l)
    expect(st.data(h).toString()).toBe('w')
    st.free(h)
    expect(l.oooCount).toBe(1)
    const h2 = st.shift(l)
    expect(st.data(h2).toString()).toBe('hello')
    expect(l.oooHead).toBe(NIL)
    expect(l.oooTail).toBe(NIL)
    st.free(h2)
    expect(st.count).toBe(0)
    expect(st.bytes).toBe(0)
    expect(st.shift(l)).toBe(NIL)
  })

  it('reuses freed blocks and records; many lists stay independent; large copies get their own buffer', () => {
    const st = new OooStore()
    const lists = Array.from({length: 300}, list)
    const big = Buffer.alloc(ARENA_MAX_BYTES + 1, 0x5a)
    for (let round = 0; round < 3; round++) {
      lists.forEach((l, i) => {
        st.insert(l, 0, 1000 + i, Buffer.from(`seg-${round}-${i}`), 0, at(i))
        st.insert(l, 0, 10, Buffer.from(`low-${round}-${i}`), 0, at(i))
      })
      st.insert(lists[7], 0, 5000, big, 0, at(1))
      expect(st.count).toBe(601)
      lists.forEach((l, i) => {
        const got = dump(st, l).map((r) => r[1])
        expect(got.slice(0, 2)).toEqual([`low-${round}-${i}`, `seg-${round}-${i}`])
      })
      expect(st.data(lists[7].oooTail).equals(big)).toBe(true)
      const held = st.bytes
      expect(held).toBe(big.length + lists.reduce((a, _, i) => a + `seg-${round}-${i}`.length * 2, 0))
      let n = 0
      for (const l of lists) n += st.clear(l)
      expect(n).toBe(held)
      expect(st.count).toBe(0)
      expect(st.bytes).toBe(0)
    }
  })

  it('zero-length segments (all bytes uncaptured) are held and ordered', () => {
    const st = new OooStore()
    const l = list()
    st.insert(l, 0, 50, Buffer.alloc(0), 10, at(1))
    st.insert(l, 0, 20, Buffer.from('x'), 0, at(2))
    expect(dump(st, l)).toEqual([
      [20, 'x', 0, 2],
      [50, '', 10, 1],
    ])
  })
})

describe('TcpReassembler with the OooStore: bounds and wrap-around', () => {
  const open = (r: TcpReassembler, isn: number) => {
    r.segment(pkt({sport: 40000, dport: 80, seq: isn, flags: SYN, t: 1}))
    r.segment(pkt({sport: 80, dport: 40000, seq: 7, ack: isn + 1, flags: SYN | ACK, t: 1}))
  }
  const data = (r: TcpReassembler, seq: number, s: string, t = 2) => r.segment(pkt({sport: 40000, dport: 80, seq: seq >>> 0, ack: 8, flags: ACK | PSH, data: s, t}))
  const bytes = (rec: Recorder) => rec.log.map((e) => (e.k === 'data' && e.dir === 0 ? e.s : '')).join('')

  it('reorders a stream whose sequence numbers wrap at 2^32 while held out of order', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, DEFAULT_LIMITS, stats)
    const isn = 0xfffffff9 // data starts at 0xfffffffa: "abcdef" ends exactly at the wrap
    open(r, isn)
    data(r, isn + 1 + 12, 'MNOP')
    data(r, isn + 1 + 6, 'ghijkl')
    data(r, isn + 1 + 6, 'ghijkl') // retransmission of a held segment
    expect(r.storedBytes).toBe(10)
    data(r, isn + 1, 'abcdef')
    expect(bytes(rec)).toBe('abcdefghijklMNOP')
    expect(r.storedBytes).toBe(0)
    expect(stats.tcpGaps).toBe(0)
    expect(stats.tcpRetransmittedBytes).toBe(6)
  })

  it('tcpOooBytesPerConn: reaching it reports the earliest hole as a gap and delivers what follows', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, {...DEFAULT_LIMITS, tcpOooBytesPerConn: 8}, stats)
    const isn = 0xfffffffe
    open(r, isn)
    data(r, isn + 1 + 2, 'cdef') // hole of 2 bytes before it
    data(r, isn + 1 + 6, 'ghij') // 8 bytes held: at the bound
    expect(r.storedBytes).toBe(8)
    data(r, isn + 1 + 10, 'kl') // over the bound: the hole becomes a gap
    expect(stats.limitsHit.get('tcpOooBytesPerConn')).toBe(1)
    expect(stats.tcpGaps).toBe(1)
    expect(stats.tcpGapBytes).toBe(2)
    expect(bytes(rec)).toBe('cdefghijkl')
    expect(r.storedBytes).toBe(0)
  })

  it('tcpOooBytesTotal is shared by all connections and freed when a connection ends', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, {...DEFAULT_LIMITS, tcpOooBytesTotal: 10}, stats)
    for (let k = 0; k < 3; k++) {
      r.segment(pkt({sport: 40000 + k, dport: 80, seq: 100, flags: SYN, t: 1}))
      r.segment(pkt({sport: 80, dport: 40000 + k, seq: 7, ack: 101, flags: SYN | ACK, t: 1}))
      r.segment(pkt({sport: 40000 + k, dport: 80, seq: 111, ack: 8, flags: ACK | PSH, data: 'xxxx', t: 2}))
    }
    expect(r.storedBytes).toBe(8) // the third connection's segment went over the total
    expect(stats.limitsHit.get('tcpOooBytesTotal')).toBe(1)
    r.end({frame: 99, tsSec: 3, tsNsec: 0})
    expect(r.storedBytes).toBe(0)
    expect(stats.tcpGaps).toBe(3)
  })

  it('tcpOooSegmentsPerDir bounds the held segments of one direction', () => {
    const rec = new Recorder()
    const stats = new Stats()
    const r = new TcpReassembler(rec, {...DEFAULT_LIMITS, tcpOooSegmentsPerDir: 3}, stats)
    open(r, 0x7ffffffe) // crosses 2^31 (int32 sign change)
    for (let i = 4; i >= 1; i--) data(r, 0x7fffffff + i * 2, String.fromCharCode(0x60 + i) + '.')
    expect(stats.limitsHit.get('tcpOooSegmentsPerDir')).toBe(1)
    data(r, 0x7fffffff, 'S.')
    r.end({frame: 99, tsSec: 3, tsNsec: 0})
    // The 4th arrival ('a.', the earliest data) found 3 held: the stream skipped the 2-byte hole to
    // it and drained the rest; 'S.' then arrived for bytes given up as a gap (a late copy).
    expect(bytes(rec)).toBe('a.b.c.d.')
    expect(stats.tcpGaps).toBe(1)
    expect(stats.tcpGapBytes).toBe(2)
    expect(stats.tcpRetransmittedBytes).toBe(2)
  })
})
