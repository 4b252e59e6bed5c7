import {Long, serialize} from 'bson'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {scanDocument} from '../../../src/protocols/mongodb/bson-walk.js'
import {detect, protocol} from '../../../src/protocols/mongodb/index.js'
import type {Moment} from '../../../src/reassembly/types.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'

function header(len: number, requestId: number, responseTo: number, op: number): Buffer {
  const h = Buffer.alloc(16)
  h.writeInt32LE(len, 0)
  h.writeInt32LE(requestId, 4)
  h.writeInt32LE(responseTo, 8)
  h.writeInt32LE(op, 12)
  return h
}
function msg(requestId: number, responseTo: number, op: number, ...body: Buffer[]): Buffer {
  const b = Buffer.concat(body)
  return Buffer.concat([header(16 + b.length, requestId, responseTo, op), b])
}
const i32 = (...v: number[]) => Buffer.concat(v.map((x) => {
  const b = Buffer.alloc(4)
  b.writeInt32LE(x)
  return b
}))
const i64 = (v: bigint) => {
  const b = Buffer.alloc(8)
  b.writeBigInt64LE(v)
  return b
}
const cstr = (s: string) => Buffer.from(s + '\0')
const doc = (o: Record<string, unknown>) => Buffer.from(serialize(o))
const opMsg = (id: number, to: number, flags: number, body: Record<string, unknown>, seq?: [string, Record<string, unknown>[]]) => {
  const parts = [i32(flags), Buffer.from([0]), doc(body)]
  if (seq) {
    const docs = Buffer.concat(seq[1].map(doc))
    const id2 = cstr(seq[0])
    parts.push(Buffer.from([1]), i32(4 + id2.length + docs.length), id2, docs)
  }
  return msg(id, to, 2013, ...parts)
}
const opQuery = (id: number, ns: string, skip: number, ret: number, q: Record<string, unknown>) => msg(id, 0, 2004, i32(0), cstr(ns), i32(skip, ret), doc(q))
const opReply = (id: number, to: number, flags: number, cursor: bigint, docs: Record<string, unknown>[]) =>
  msg(id, to, 1, i32(flags), i64(cursor), i32(0, docs.length), ...docs.map(doc))

const session: Step[] = [
  {dir: 0, bytes: opQuery(1, 'test.$cmd', 0, -1, {isMaster: 1}), t: 1},
  {dir: 1, bytes: opReply(100, 1, 8, 0n, [{ismaster: true, ok: 1}]), t: 1.1},
  {dir: 0, bytes: opQuery(2, 'test.restaurants', 2, 3, {cuisine: 'Thai'}), t: 2},
  {dir: 1, bytes: opReply(101, 2, 0, 9622641101n, [{a: 1}, {a: 2}, {a: 3}]), t: 2.1},
  {dir: 0, bytes: msg(3, 0, 2005, i32(0), cstr('test.restaurants'), i32(5), i64(9622641101n)), t: 3},
  {dir: 1, bytes: opReply(102, 3, 0, 0n, [{a: 4}]), t: 3.1},
  {dir: 0, bytes: msg(4, 0, 2002, i32(0), cstr('test.c'), doc({x: 1}), doc({x: 2})), t: 4},
  {dir: 0, bytes: opMsg(5, 0, 0, {insert: 'restaurants', ordered: true, $db: 'test'}, ['documents', [{_id: 1}, {_id: 2}]]), t: 5},
  {dir: 1, bytes: opMsg(103, 5, 0, {n: 0, writeErrors: [{index: 0, code: 11000, errmsg: 'E11000 duplicate key'}], ok: 1}), t: 5.2},
  {dir: 0, bytes: opMsg(6, 0, 0, {find: 'c', filter: {a: {$gt: 1}}, $db: 'd'}), t: 6},
  {dir: 1, bytes: opMsg(104, 6, 0, {cursor: {id: Long.fromBigInt(77n), ns: 'd.c', firstBatch: [{a: 2}, {a: 3}]}, ok: 1}), t: 6.1},
  {dir: 0, bytes: opMsg(7, 0, 2, {update: 'c', $db: 'd'}), t: 7},
  {dir: 0, bytes: opMsg(8, 0, 0, {drop: 'c', $db: 'd'}), t: 8},
  {dir: 1, bytes: opMsg(105, 8, 0, {ok: 0, errmsg: 'ns not found', code: 26}), t: 8.1},
  {dir: 0, bytes: msg(9, 0, 2012, i32(2013, 100), Buffer.from([1]), Buffer.alloc(20)), t: 9},
  {dir: 1, bytes: msg(106, 9, 2012, i32(2013, 100), Buffer.from([1]), Buffer.alloc(20)), t: 9.1},
  {dir: 0, bytes: msg(10, 0, 4242, Buffer.alloc(8)), t: 10},
]

function run(steps: Step[], cuts?: (n: number) => number[], limits = {}) {
  const c = collector(limits)
  const h = protocol.tcp!.create(fakeConn('tcp', 27017), c.ctx)
  drive(h, steps, cuts)
  return c
}

describe('mongodb', () => {
  const whole = run(session)
  it('decodes legacy opcodes and OP_MSG and pairs by responseTo', () => {
    const o = whole.out
    expect(o.map((t) => [t.method, t.resource, t.status])).toEqual([
      ['isMaster', 'test', 'OK'],
      ['find', 'test.restaurants', 'OK'],
      ['getMore', 'test.restaurants', 'OK'],
      ['insert', 'test.c', 'OK'],
      ['insert', 'test.restaurants', 'Error'],
      ['find', 'd.c', 'OK'],
      ['update', 'd.c', 'OK'],
      ['drop', 'd.c', 'Error'],
      ['OP_MSG', undefined, 'OK'],
    ])
    expect(o[0].query).toBe('{"isMaster":1}')
    expect(o[1].fields).toEqual({mongodb: {fullCollectionName: 'test.restaurants', numberToSkip: 2, numberToReturn: 3, numberReturned: 3, startingFrom: 0, cursorId: 9622641101}})
    expect(o[1].query).toBe('{"cuisine":"Thai"}')
    expect(o[2].fields).toEqual({mongodb: {fullCollectionName: 'test.restaurants', numberToReturn: 5, cursorId: 9622641101, numberReturned: 1, startingFrom: 0}})
    expect(o[3].fields).toEqual({mongodb: {fullCollectionName: 'test.c'}, pbx: {mongodb: {documents: 2}}})
    expect(o[3].responseBytes).toBe(0)
    expect(o[4].fields).toEqual({mongodb: {error: 'E11000 duplicate key'}, pbx: {mongodb: {documents: 2, n: 0}}})
    expect(o[4].query).toBe('{"insert":"restaurants","ordered":true,"$db":"test"}')
    expect(o[5].fields).toEqual({mongodb: {numberReturned: 2, cursorId: 77}})
    expect(o[5].query).toBe('{"find":"c","filter":{"a":{"$gt":1}},"$db":"d"}')
    expect(o[6].notes).toEqual(['moreToCome: no reply expected'])
    // nothing to report: no empty mongodb object
    expect(o[6].fields).toEqual({})
    expect(o[8].fields).toEqual({})
    expect(o[7].fields).toEqual({mongodb: {error: 'ns not found'}})
    expect(o[8].notes).toEqual(['compressed, not decoded', 'compressed, not decoded'])
    expect(o[1].startSec).toBe(2)
    expect(o[1].endNsec).toBe(100_000_000)
    expect(whole.stats.malformed.get('mongodb: unknown opcode')).toBe(1)
    expect(whole.stats.unmatchedRequests + whole.stats.unmatchedResponses).toBe(0)
  })

  it('reports the insert document count (sequence or body array) and the reply n', () => {
    const c = run([
      // documents as a body array (no kind-1 sequence); the reply's n
      {dir: 0, bytes: opMsg(1, 0, 0, {insert: 'c', documents: [{a: 1}, {a: 2}, {a: 3}], $db: 'd'}), t: 1},
      {dir: 1, bytes: opMsg(101, 1, 0, {n: 3, ok: 1}), t: 1.1},
      // a kind-1 sequence of another name is not an insert payload; delete reply n as a double
      {dir: 0, bytes: opMsg(2, 0, 0, {delete: 'c', $db: 'd'}, ['deletes', [{q: {}, limit: 0}]]), t: 2},
      {dir: 1, bytes: opMsg(102, 2, 0, {n: 5.0, ok: 1.0}), t: 2.1},
      // an ordinary command reply: nothing to report, no empty objects
      {dir: 0, bytes: opMsg(3, 0, 0, {ping: 1, $db: 'admin'}), t: 3},
      {dir: 1, bytes: opMsg(103, 3, 0, {ok: 1}), t: 3.1},
    ])
    expect(c.out.map((t) => [t.method, t.fields])).toEqual([
      ['insert', {pbx: {mongodb: {documents: 3, n: 3}}}],
      ['delete', {pbx: {mongodb: {n: 5}}}],
      ['ping', {}],
    ])
  })

  it('gives identical transactions when split at every byte offset', () => {
    const want = comparable(whole.out)
    const total = Math.max(...session.map((s) => s.bytes.length))
    for (let k = 1; k < total; k++) expect(comparable(run(session, (n) => (k < n ? [k] : [])).out), `split ${k}`).toEqual(want)
    expect(comparable(run(session, (n) => Array.from({length: n - 1}, (_, i) => i + 1)).out)).toEqual(want)
  })

  it('guards BSON depth and size before decoding', () => {
    let deep: Record<string, unknown> = {v: 1}
    for (let i = 0; i < 80; i++) deep = {a: deep}
    const d = doc(deep)
    expect(scanDocument(d, 0, d.length)).toBe(-2)
    const bad = Buffer.from(d)
    bad.writeInt32LE(d.length + 10, 0)
    expect(scanDocument(bad, 0, bad.length)).toBe(-1)
    const c = run([
      {dir: 0, bytes: opQuery(1, 'db.c', 0, 0, deep), t: 1},
      {dir: 1, bytes: opReply(2, 1, 0, 0n, []), t: 2},
    ])
    expect(c.out[0].method).toBe('find')
    expect(c.out[0].query).toBeUndefined()
    expect(c.out[0].notes).toEqual(['document nested too deeply, not rendered'])
  })

  it('reports unmatched halves, bounds pending requests and resynchronises', () => {
    const c = collector({maxPendingRequests: 2, maxMessageBytes: 1000})
    const h = protocol.tcp!.create(fakeConn('tcp', 27017), c.ctx)
    const at: Moment = {frame: 1, tsSec: 1, tsNsec: 0}
    h.data(1, opReply(50, 999, 0, 0n, [{ok: 1}]), at)
    for (let i = 1; i <= 3; i++) h.data(0, opQuery(i, 'a.b', 0, 0, {}), at)
    h.data(0, header(5000, 9, 0, 2004), at) // longer than maxMessageBytes
    h.data(0, Buffer.from('garbage'), at) // still lost: not a header
    h.gap(1, 100, at)
    h.data(1, opReply(51, 3, 0, 0n, []), at)
    h.end('fin', at)
    expect(c.out.map((t) => [t.method ?? '-', t.status, t.notes?.[0], t.anomalies?.[0]])).toEqual([
      ['-', 'Error', 'response without request', 'mongodb.unmatched_response'],
      ['find', 'Error', 'emitted unanswered: limits.maxPendingRequests requests were pending', 'limit.pending_requests'],
      ['find', 'OK', 'malformed request header (message longer than maxMessageBytes); skipped to the next segment', 'mongodb.bad_header'],
      ['find', 'Error', 'no response', 'mongodb.no_response'],
    ])
    expect(c.stats.malformed.get('mongodb: message longer than maxMessageBytes')).toBe(1)
    expect(c.stats.limitsHit.get('maxPendingRequests')).toBe(1)
  })

  it('detects a plausible header', () => {
    expect(detect(opQuery(1, 'a.$cmd', 0, -1, {ping: 1}), 0)).toBe(true)
    expect(detect(opReply(1, 1, 0, 0n, []), 1)).toBe(true)
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 0)).toBe(false)
    expect(detect(header(10, 1, 0, 2004), 0)).toBe(false)
  })

  it('never throws on random bytes or corrupted messages', () => {
    const valid = Buffer.concat(session.map((s) => s.bytes))
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 0, max: 1}), fc.uint8Array({maxLength: 64}))), fc.array(fc.nat()), (chunks, flips) => {
        const c = collector({maxMessageBytes: 4096})
        const h = protocol.tcp!.create(fakeConn('tcp', 27017), c.ctx)
        const at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
        const corrupt = Buffer.from(valid)
        for (const f of flips) corrupt[f % corrupt.length] ^= 0xff
        h.data(0, corrupt, at)
        for (const [d, b] of chunks) h.data(d as 0 | 1, Buffer.from(b), at)
        h.end('eof', at)
      }),
      {numRuns: 300},
    )
  })
})
