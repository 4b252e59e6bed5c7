import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {DnsTcpSession, DnsUdpSession} from '../../../src/protocols/dns/session.js'
import type {Transaction} from '../../../src/event/types.js'
import {answerA, at, buildMsg, collector, encName, fakeConn, ipv4Rdata, plain, query, tcpFrame, u16, u32} from './helpers.js'

function udpRun(msgs: [Buffer, number][], limits = {}): {out: Transaction[]; stats: ReturnType<typeof collector>['stats']} {
  const c = collector(limits)
  const h = new DnsUdpSession(fakeConn('udp'), c.ctx)
  let last = 0
  msgs.forEach(([m, sec], i) => {
    h.datagram(0, m, at(sec, i + 1))
    last = sec
  })
  h.end(at(last, msgs.length + 1))
  return {out: c.out, stats: c.stats}
}

describe('dns over UDP: matching', () => {
  it('pairs a query and its response into one OK transaction with Packetbeat fields', () => {
    const q = query(0x1234, 'Example.COM')
    const r = answerA(0x1234, 'example.com', ['192.0.2.1', '192.0.2.2'])
    const {out} = udpRun([
      [q, 100],
      [r, 100.5],
    ])
    expect(out).toHaveLength(1)
    const t = out[0]
    expect(t.status).toBe('OK')
    expect([t.requestBytes, t.responseBytes, t.startFrame, t.endFrame]).toEqual([q.length, r.length, 1, 2])
    expect([t.method, t.query, t.resource]).toEqual(['QUERY', 'class IN, type A, Example.COM', 'Example.COM'])
    const dns = t.fields.dns as Record<string, unknown>
    expect(dns).toMatchObject({
      id: 0x1234,
      op_code: 'QUERY',
      response_code: 'NOERROR',
      question: {name: 'Example.COM', type: 'A', class: 'IN'},
      answers_count: 2,
      resolved_ip: ['192.0.2.1', '192.0.2.2'],
      flags: {recursion_desired: true, recursion_available: true, authoritative: false, truncated_response: false},
    })
    expect((dns.answers as unknown[])[0]).toEqual({name: 'example.com', type: 'A', class: 'IN', ttl: 60, data: '192.0.2.1'})
    expect(t.notes).toBeUndefined()
  })

  it('rcode NXDOMAIN -> status Error', () => {
    const {out} = udpRun([
      [query(1, 'nothing.example'), 1],
      [answerA(1, 'nothing.example', [], 3), 1.1],
    ])
    expect(out.map((t) => [t.status, (t.fields.dns as {response_code: string}).response_code])).toEqual([['Error', 'NXDOMAIN']])
  })

  it('a query without answer is emitted at end() as Error "no response"', () => {
    const {out, stats} = udpRun([[query(5, 'a.example'), 1]])
    expect(out).toHaveLength(1)
    expect(out[0].status).toBe('Error')
    expect(out[0].notes).toEqual(['no response'])
    expect((out[0].fields.dns as Record<string, unknown>).response_code).toBeUndefined()
    expect(stats.unmatchedRequests).toBe(1)
  })

  it('times out on capture time, checked on later datagrams', () => {
    const c = collector({udpTransactionTimeoutSec: 10})
    const h = new DnsUdpSession(fakeConn('udp'), c.ctx)
    h.datagram(0, query(1, 'a.example'), at(100, 1))
    h.datagram(0, query(2, 'b.example'), at(105, 2))
    expect(c.out).toHaveLength(0)
    h.datagram(0, query(3, 'c.example'), at(110.5, 3))
    expect(c.out.map((t) => (t.fields.dns as {id: number}).id)).toEqual([1])
    // a late answer to 1 is now a response without request
    h.datagram(1, answerA(1, 'a.example', ['1.1.1.1']), at(111, 4))
    expect(c.out[1].notes).toEqual(['response without request'])
    expect(c.stats.unmatchedResponses).toBe(1)
    h.end(at(200, 5))
    expect(c.out.map((t) => (t.fields.dns as {id: number}).id)).toEqual([1, 1, 2, 3])
  })

  it('a response without query -> Error with a note', () => {
    const {out} = udpRun([[answerA(9, 'x.example', ['1.2.3.4']), 1]])
    expect(out[0].status).toBe('Error')
    expect(out[0].notes).toEqual(['response without request'])
    expect(out[0].requestBytes).toBe(0)
  })

  it('a retransmitted query closes the earlier copy as unanswered; the response pairs with the later one', () => {
    const {out} = udpRun([
      [query(7, 'r.example'), 1],
      [query(7, 'r.example'), 2],
      [answerA(7, 'r.example', ['1.2.3.4']), 2.1],
    ])
    expect(out.map((t) => [t.status, t.startFrame, t.endFrame, t.notes])).toEqual([
      ['Error', 1, 1, ['no response before the query was retransmitted']],
      ['OK', 2, 3, undefined],
    ])
  })

  it('same id, different questions are different transactions', () => {
    const {out} = udpRun([
      [query(7, 'a.example'), 1],
      [query(7, 'b.example'), 1],
      [answerA(7, 'b.example', ['2.2.2.2']), 2],
      [answerA(7, 'a.example', ['1.1.1.1']), 3],
    ])
    expect(out.map((t) => [t.resource, (t.fields.dns as {resolved_ip: string[]}).resolved_ip[0]])).toEqual([
      ['b.example', '2.2.2.2'],
      ['a.example', '1.1.1.1'],
    ])
  })

  it('flags TC, decodes NOTIFY and UPDATE opcodes', () => {
    const tc = buildMsg({id: 3, qr: true, tc: true, questions: [{name: 'big.example', type: 16}]})
    const notify = buildMsg({id: 4, opcode: 4, aa: true, questions: [{name: 'zone.example', type: 6}]})
    const notifyR = buildMsg({id: 4, opcode: 4, qr: true, aa: true, questions: [{name: 'zone.example', type: 6}]})
    const upd = buildMsg({
      id: 5,
      opcode: 5,
      questions: [{name: 'zone.example', type: 6}],
      authorities: [{name: 'h.zone.example', type: 1, ttl: 60, rdata: ipv4Rdata('10.1.1.1')}],
    })
    const updR = buildMsg({id: 5, opcode: 5, qr: true, questions: [{name: 'zone.example', type: 6}]})
    const {out} = udpRun([
      [query(3, 'big.example', 16), 1],
      [tc, 1],
      [notify, 2],
      [notifyR, 2],
      [upd, 3],
      [updR, 3],
    ])
    expect(out.map((t) => [t.method, (t.fields.dns as {flags: {truncated_response: boolean}}).flags.truncated_response])).toEqual([
      ['QUERY', true],
      ['NOTIFY', false],
      ['UPDATE', false],
    ])
  })

  it('bounds pending queries by maxPendingRequests', () => {
    const c = collector({maxPendingRequests: 2})
    const h = new DnsUdpSession(fakeConn('udp'), c.ctx)
    for (let i = 0; i < 3; i++) h.datagram(0, query(i, 'a.example'), at(1, i + 1))
    expect(c.out.map((t) => t.notes)).toEqual([['emitted unanswered: limits.maxPendingRequests requests were pending']])
    expect(c.out.map((t) => t.anomalies)).toEqual([['limit.pending_requests']])
    expect(c.stats.limitsHit.get('maxPendingRequests')).toBe(1)
  })

  it('a compression pointer that loops: the name is cut, the note has its own code', () => {
    const head = Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0])
    const question = Buffer.concat([encName('a.example'), u16(1), u16(1)])
    const off = head.length + question.length
    // the answer's owner name is a pointer to itself
    const answer = Buffer.concat([Buffer.from([0xc0 | (off >> 8), off & 0xff]), u16(1), u16(1), u32(60), u16(4), Buffer.from([192, 0, 2, 1])])
    const {out} = udpRun([
      [query(0x1234, 'a.example'), 1],
      [Buffer.concat([head, question, answer]), 1],
    ])
    expect(out).toHaveLength(1)
    expect(out[0].notes?.[0]).toMatch(/^malformed response: .*compression pointer does not point backwards/)
    expect(out[0].anomalies).toEqual(['dns.bad_compression'])
  })

  it('short datagram: counted, noted on the next transaction, no throw', () => {
    const {out, stats} = udpRun([
      [Buffer.from([1, 2, 3]), 1],
      [query(1, 'a.example'), 2],
      [answerA(1, 'a.example', ['1.1.1.1']), 2],
    ])
    expect(stats.malformed.get('dns: message shorter than the 12-byte header')).toBe(1)
    expect(out[0].notes).toEqual(['message shorter than the 12-byte header skipped'])
    expect(out[0].anomalies).toEqual(['dns.short_message'])
  })
})

// ------------------------------------------------------------------------------------- TCP

function tcpRun(chunks: [0 | 1, Buffer][], gaps: [number, 0 | 1, number][] = []): {out: Transaction[]; stats: ReturnType<typeof collector>['stats']} {
  const c = collector()
  const h = new DnsTcpSession(fakeConn('tcp'), c.ctx)
  chunks.forEach(([dir, b], i) => {
    for (const [gi, gdir, n] of gaps) if (gi === i) h.gap(gdir, n, at(1, i))
    h.data(dir, b, at(1 + i, i + 1))
  })
  h.end('fin', at(100, 999))
  return {out: c.out, stats: c.stats}
}

/** Re-delivers each direction's bytes split at `cut` (and then 1 byte at a time when cut = -1). */
function resplit(chunks: [0 | 1, Buffer][], cut: number): [0 | 1, Buffer][] {
  const out: [0 | 1, Buffer][] = []
  for (const [dir, b] of chunks) {
    if (cut < 0) for (let i = 0; i < b.length; i++) out.push([dir, b.subarray(i, i + 1)])
    else if (cut > 0 && cut < b.length) out.push([dir, b.subarray(0, cut)], [dir, b.subarray(cut)])
    else out.push([dir, b])
  }
  return out
}

function stable(ts: Transaction[]): unknown[] {
  return plain(ts).map((t) => ({...(t as object), startSec: 0, endSec: 0, startFrame: 0, endFrame: 0}))
}

describe('dns over TCP: framing', () => {
  const q1 = tcpFrame(query(1, 'a.example'))
  const q2 = tcpFrame(query(2, 'b.example', 28))
  const r1 = tcpFrame(answerA(1, 'a.example', ['1.1.1.1']))
  const v6 = Buffer.alloc(16, 0)
  v6[0] = 0x20
  v6[15] = 9
  const r2 = tcpFrame(buildMsg({id: 2, qr: true, questions: [{name: 'b.example', type: 28}], answers: [{name: 'b.example', type: 28, rdata: v6}]}))
  // two queries in one segment (pipelined), responses out of order in one segment
  const conv: [0 | 1, Buffer][] = [
    [0, Buffer.concat([q1, q2])],
    [1, Buffer.concat([r2, r1])],
  ]

  it('parses several length-prefixed messages per segment and pairs them', () => {
    const {out} = tcpRun(conv)
    expect(out.map((t) => [t.resource, t.status, (t.fields.dns as {resolved_ip: string[]}).resolved_ip])).toEqual([
      ['b.example', 'OK', ['2000::9']],
      ['a.example', 'OK', ['1.1.1.1']],
    ])
    expect(out[1].requestBytes).toBe(q1.length - 2)
  })

  it('gives identical transactions for every split offset and for 1-byte deliveries', () => {
    const want = stable(tcpRun(conv).out)
    const max = Math.max(...conv.map(([, b]) => b.length))
    for (let cut = -1; cut <= max; cut++) expect(stable(tcpRun(resplit(conv, cut)).out), `cut ${cut}`).toEqual(want)
  })

  it('a gap inside a message drops it, keeps framing, and notes it', () => {
    // deliver q1 minus 5 bytes in the middle (gap), then q2 intact
    const qa = q1.subarray(0, 8)
    const qb = q1.subarray(13)
    const {out, stats} = tcpRun(
      [
        [0, qa],
        [0, Buffer.concat([qb, q2])],
        [1, r2],
      ],
      [[1, 0, 5]],
    )
    expect(out.map((t) => [t.resource, t.status])).toEqual([['b.example', 'OK']])
    expect(out[0].notes).toEqual(['message lost in a gap of the TCP stream'])
    expect(stats.malformed.get('dns: gap in TCP stream')).toBe(1)
  })

  it('a gap across message boundaries resynchronises at a plausible message start', () => {
    const {out} = tcpRun(
      [
        [0, q1.subarray(0, 4)],
        [0, q1.subarray(10)], // mid-message after the lost framing: ignored
        [0, q2],
        [1, r2],
      ],
      [[1, 0, 30]],
    )
    expect(out.map((t) => [t.resource, t.status])).toEqual([['b.example', 'OK']])
  })

  it('AXFR: one transaction for many response messages; counts and bytes summed', () => {
    const soa = Buffer.concat([encName('ns.zone'), encName('admin.zone'), u32(1), u32(2), u32(3), u32(4), u32(5)])
    const axfrQ = buildMsg({id: 77, questions: [{name: 'zone', type: 252}]})
    const m1 = buildMsg({
      id: 77,
      qr: true,
      aa: true,
      questions: [{name: 'zone', type: 252}],
      answers: [
        {name: 'zone', type: 6, rdata: soa},
        {name: 'a.zone', type: 1, rdata: ipv4Rdata('10.0.0.1')},
      ],
    })
    const m2 = buildMsg({
      id: 77,
      qr: true,
      aa: true,
      answers: [
        {name: 'b.zone', type: 1, rdata: ipv4Rdata('10.0.0.2')},
        {name: 'zone', type: 6, rdata: soa},
      ],
    })
    const {out} = tcpRun([
      [0, tcpFrame(axfrQ)],
      [1, tcpFrame(m1)],
      [1, tcpFrame(m2)],
    ])
    expect(out).toHaveLength(1)
    const dns = out[0].fields.dns as {answers_count: number; answers: {name: string}[]}
    expect(dns.answers_count).toBe(4)
    expect(dns.answers.map((a) => a.name)).toEqual(['zone', 'a.zone', 'b.zone', 'zone'])
    expect(out[0].responseBytes).toBe(m1.length + m2.length)
    expect([out[0].status, out[0].endFrame]).toEqual(['OK', 3])
  })

  it('a message over maxMessageBytes is skipped without buffering', () => {
    const c = collector({maxMessageBytes: 20})
    const h = new DnsTcpSession(fakeConn('tcp'), c.ctx)
    h.data(0, Buffer.concat([tcpFrame(query(1, 'long-name.example')), u16(0)]), at(1))
    h.end('fin', at(2))
    expect(c.stats.limitsHit.get('maxMessageBytes')).toBe(1)
    expect(c.out).toHaveLength(0)
  })
})

describe('dns: hostile input', () => {
  it('random bytes in random chunks never throw (UDP and TCP)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.uint8Array({maxLength: 300})), {maxLength: 30}), (chunks) => {
        const c = collector()
        const u = new DnsUdpSession(fakeConn('udp'), c.ctx)
        const t = new DnsTcpSession(fakeConn('tcp'), c.ctx)
        chunks.forEach(([dir, b], i) => {
          const buf = Buffer.from(b)
          u.datagram(dir, buf, at(i, i))
          if (i % 7 === 3) t.gap(dir, b.length + 1, at(i, i))
          t.data(dir, buf, at(i, i))
        })
        u.end(at(99, 99))
        t.end('eof', at(99, 99))
      }),
      {numRuns: 300},
    )
  })

  it('mutated valid messages never throw and keep counts', () => {
    const base = answerA(1, 'www.example.com', ['1.2.3.4', '5.6.7.8'])
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 6}), (muts) => {
        const b = Buffer.from(base)
        for (const [i, v] of muts) b[i] = v
        const c = collector()
        const u = new DnsUdpSession(fakeConn('udp'), c.ctx)
        u.datagram(1, b, at(1))
        u.end(at(2))
        expect(c.out.length).toBeLessThanOrEqual(1)
      }),
      {numRuns: 500},
    )
  })
})
