import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {detect, protocol} from '../../../src/protocols/redis/index.js'
import {BAD, NEED, newParseState, parseReply, parseRequest, render} from '../../../src/protocols/redis/parser.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'

const b = (s: string) => Buffer.from(s, 'latin1')
const cmd = (...args: string[]) => b(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''))

function run(steps: Step[], cuts?: (n: number) => number[], limits = {}) {
  const c = collector(limits)
  const h = protocol.tcp!.create(fakeConn(), c.ctx)
  drive(h, steps, cuts)
  return c
}

const session: Step[] = [
  {dir: 0, bytes: cmd('set', 'key3', 'me'), t: 1},
  {dir: 1, bytes: b('+OK\r\n'), t: 1.001},
  {dir: 0, bytes: cmd('get', 'key3'), t: 2},
  {dir: 1, bytes: b('$2\r\nme\r\n'), t: 2.5},
  {dir: 0, bytes: cmd('llen', 'key3'), t: 3},
  {dir: 1, bytes: b('-ERR Operation against a key holding the wrong kind of value\r\n'), t: 3.1},
  // pipelined: three commands, then three replies in one segment
  {dir: 0, bytes: Buffer.concat([cmd('lpush', 'l', 'a'), cmd('lrange', 'l', '0', '-1'), b('PING\r\n')]), t: 4},
  {dir: 1, bytes: b(':1\r\n*2\r\n$1\r\na\r\n$-1\r\n+PONG\r\n'), t: 4.2},
  // RESP3 types in a map reply, with an attribute in front
  {dir: 0, bytes: cmd('hello', '3'), t: 5},
  {dir: 1, bytes: b('|1\r\n+ttl\r\n:5\r\n%3\r\n+server\r\n$5\r\nredis\r\n+proto\r\n:3\r\n+x\r\n~2\r\n,1.5\r\n#t\r\n'), t: 5.1},
  {dir: 0, bytes: cmd('debug', 'x'), t: 6},
  {dir: 1, bytes: b('!9\r\nERR nope!\r\n'), t: 6.1},
  {dir: 0, bytes: cmd('get', 'big'), t: 7},
  {dir: 1, bytes: b('(3492890328409238509324850943850943825024385\r\n'), t: 7.1},
  {dir: 0, bytes: cmd('get', 'v'), t: 8},
  {dir: 1, bytes: b('=15\r\ntxt:Some string\r\n'), t: 8.1},
]

describe('redis parser', () => {
  it.each([
    ['+OK\r\n', 'OK'],
    [':-12\r\n', '-12'],
    ['$-1\r\n', 'nil'],
    ['*-1\r\n', 'nil'],
    ['_\r\n', 'nil'],
    ['#f\r\n', 'false'],
    [',inf\r\n', 'inf'],
    ['*2\r\n*1\r\n:1\r\n$0\r\n\r\n', '[[1], ]'],
    ['%1\r\n+a\r\n:1\r\n', '{a: 1}'],
    ['>2\r\n+message\r\n+x\r\n', '[message, x]'],
  ])('renders %j as %j', (wire, want) => {
    const st = newParseState(1 << 20)
    const r = parseReply(b(wire), 0, st)
    expect(r).toBe(wire.length)
    expect(render(st.value!)).toBe(want)
  })

  it.each([
    ['$5\r\nabc', NEED],
    ['*3\r\n:1\r\n', NEED],
    ['?x\r\n', BAD],
    [':12a\r\n', BAD],
    ['$3\r\nabcd\r\n', BAD],
    ['$?\r\n', BAD],
    ['#x\r\n', BAD],
    ['+OK\n', BAD],
  ])('%j -> %i', (wire, want) => {
    expect(parseReply(b(wire), 0, newParseState(1 << 20))).toBe(want)
  })

  it('bounds nesting depth and bulk length', () => {
    const st = newParseState(100)
    expect(parseReply(b('*1\r\n'.repeat(40) + ':1\r\n'), 0, st)).toBe(BAD)
    expect(st.reason).toBe('nesting too deep')
    expect(parseReply(b('$1000\r\n'), 0, st)).toBe(BAD)
    expect(parseReply(b('*1000\r\n'), 0, st)).toBe(BAD)
  })

  it('reports how many bytes a bulk needs', () => {
    const st = newParseState(1 << 20)
    expect(parseReply(b('$100\r\nab'), 0, st)).toBe(NEED)
    expect(st.need).toBe(6 + 100 + 2)
  })

  it('splits inline commands with quotes', () => {
    const st = newParseState(1 << 20)
    const wire = b('set "a b" \'c\\\'d\' "x\\x41\\n"\r\n')
    expect(parseRequest(wire, 0, st)).toBe(wire.length)
    expect(st.value!.items!.map((v) => v.str)).toEqual(['set', 'a b', "c'd", 'xA\n'])
    // Unbalanced quotes: still a request (redis-server answers it with an error), split plainly.
    expect(parseRequest(b('set "a\r\n'), 0, st)).toBe(8)
    expect(st.value!.bad).toBe('unbalanced quotes in inline command')
    expect(st.value!.items!.map((v) => v.str)).toEqual(['set', '"a'])
  })
})

describe('redis transactions', () => {
  const whole = run(session)

  it('pairs pipelined requests and replies in order', () => {
    expect(whole.out.map((t) => [t.method, t.resource, t.status])).toEqual([
      ['SET', 'key3', 'OK'],
      ['GET', 'key3', 'OK'],
      ['LLEN', 'key3', 'Error'],
      ['LPUSH', 'l', 'OK'],
      ['LRANGE', 'l', 'OK'],
      ['PING', undefined, 'OK'],
      ['HELLO', '3', 'OK'],
      ['DEBUG', 'x', 'Error'],
      ['GET', 'big', 'OK'],
      ['GET', 'v', 'OK'],
    ])
    const t = whole.out
    expect(t[0].query).toBe('set key3 me')
    expect(t[0].fields).toEqual({redis: {return_value: 'OK'}})
    expect(t[1].fields).toEqual({redis: {return_value: 'me'}})
    expect(t[1].requestBytes).toBe(cmd('get', 'key3').length)
    expect(t[1].responseBytes).toBe(8)
    expect(t[1].startSec).toBe(2)
    expect(t[1].endNsec).toBe(500_000_000)
    expect(t[2].fields).toEqual({redis: {error: 'ERR Operation against a key holding the wrong kind of value'}})
    expect(t[4].fields).toEqual({redis: {return_value: '[a, nil]'}})
    expect(t[5].query).toBe('PING')
    expect(t[6].fields).toEqual({redis: {return_value: '{server: redis, proto: 3, x: [1.5, true]}'}})
    expect(t[7].fields).toEqual({redis: {error: 'ERR nope!'}})
    expect(t[8].fields).toEqual({redis: {return_value: '3492890328409238509324850943850943825024385'}})
    expect(t[9].fields).toEqual({redis: {return_value: 'Some string'}})
    expect(whole.stats.malformed.size).toBe(0)
  })

  it('gives identical transactions when split at every byte offset', () => {
    const want = comparable(whole.out)
    const total = Math.max(...session.map((s) => s.bytes.length))
    for (let k = 1; k < total; k++) {
      const c = run(session, (n) => (k < n ? [k] : []))
      expect(comparable(c.out), `split at ${k}`).toEqual(want)
    }
    const one = run(session, (n) => Array.from({length: n - 1}, (_, i) => i + 1))
    expect(comparable(one.out)).toEqual(want)
  })

  it('reports pub/sub pushes as their own events', () => {
    const c = run([
      {dir: 0, bytes: cmd('subscribe', 'a', 'b'), t: 1},
      {dir: 1, bytes: b('*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n'), t: 1.1},
      {dir: 1, bytes: b('*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n'), t: 2},
      {dir: 1, bytes: b('>4\r\n$8\r\npmessage\r\n$2\r\nb*\r\n$2\r\nbx\r\n$1\r\n!\r\n'), t: 3},
      {dir: 0, bytes: cmd('unsubscribe'), t: 4},
      {dir: 1, bytes: b('*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n'), t: 4.1},
    ])
    const msg = '*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n'
    const pmsg = '>4\r\n$8\r\npmessage\r\n$2\r\nb*\r\n$2\r\nbx\r\n$1\r\n!\r\n'
    // pushes are sent by the server: sentByServer, bytes counted as response bytes, no request bytes
    expect(c.out.map((t) => [t.method, t.resource, t.status, t.sentByServer, t.requestBytes, t.responseBytes])).toEqual([
      ['SUBSCRIBE', 'a', 'OK', undefined, cmd('subscribe', 'a', 'b').length, 2 * 30],
      ['MESSAGE', 'a', 'OK', true, 0, msg.length],
      ['PMESSAGE', 'bx', 'OK', true, 0, pmsg.length],
      ['UNSUBSCRIBE', undefined, 'OK', undefined, cmd('unsubscribe').length, 2 * 33],
    ])
    expect(c.out[1].fields).toEqual({redis: {return_value: '[message, a, hi]'}})
    expect(c.stats.unmatchedRequests + c.stats.unmatchedResponses).toBe(0)
  })

  it('emits requests without reply under CLIENT REPLY OFF / SKIP', () => {
    const c = run([
      {dir: 0, bytes: Buffer.concat([cmd('client', 'reply', 'off'), cmd('set', 'a', '1'), cmd('client', 'reply', 'on')]), t: 1},
      {dir: 1, bytes: b('+OK\r\n'), t: 1.1},
      {dir: 0, bytes: Buffer.concat([cmd('client', 'reply', 'skip'), cmd('set', 'b', '1'), cmd('get', 'b')]), t: 2},
      {dir: 1, bytes: b('$1\r\n1\r\n'), t: 2.1},
    ])
    expect(c.out.map((t) => [t.query, t.status, t.notes?.length ?? 0])).toEqual([
      ['client reply off', 'OK', 1],
      ['set a 1', 'OK', 1],
      ['client reply on', 'OK', 0],
      ['client reply skip', 'OK', 1],
      ['set b 1', 'OK', 1],
      ['get b', 'OK', 0],
    ])
    expect(c.out[5].fields).toEqual({redis: {return_value: '1'}})
  })

  it('reports unmatched halves and resynchronises after a gap', () => {
    const c = collector()
    const h = protocol.tcp!.create(fakeConn(), c.ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    h.data(1, b('+OK\r\n'), at)
    h.data(0, cmd('get', 'a').subarray(0, 7), at)
    h.gap(0, 100, at)
    h.data(0, b('xx\r\n').subarray(0, 4), at)
    h.data(0, cmd('get', 'b'), at)
    h.gap(1, 10, at)
    h.data(1, b('$1\r\n1\r\n'), at)
    h.data(0, cmd('get', 'c'), at)
    h.end('fin', at)
    expect(c.out.map((t) => [t.method, t.resource, t.status, t.notes])).toEqual([
      [undefined, undefined, 'Error', ['response without request']],
      ['GET', 'b', 'Error', ['no response (gap in the server stream)', 'gap: 100 bytes missing in the client stream', 'gap: 10 bytes missing in the server stream']],
      [undefined, undefined, 'Error', ['response without request']],
      ['GET', 'c', 'Error', ['no response']],
    ])
    expect(c.stats.unmatchedResponses).toBe(2)
    expect(c.stats.unmatchedRequests).toBe(2)
  })

  it('bounds pending requests and message size', () => {
    const c = run([{dir: 0, bytes: Buffer.concat(Array.from({length: 5}, () => cmd('ping'))), t: 1}], undefined, {maxPendingRequests: 2})
    expect(c.out.length).toBe(5)
    expect(c.stats.limitsHit.get('maxPendingRequests')).toBe(3)
    const big = run(
      [
        {dir: 0, bytes: cmd('set', 'k', 'x'.repeat(500)), t: 1},
        {dir: 0, bytes: cmd('get', 'k'), t: 2},
        {dir: 1, bytes: b('+OK\r\n'), t: 3},
      ],
      (n) => (n > 100 ? [50, 100] : []),
      {maxMessageBytes: 200},
    )
    expect(big.out.map((t) => [t.method, t.status])).toEqual([['GET', 'OK']])
    expect(big.stats.malformed.get('redis: bulk longer than maxMessageBytes')).toBe(1)
  })

  it('detects RESP on other ports', () => {
    expect(detect(cmd('set', 'a', 'b'), 0)).toBe(true)
    expect(detect(b('PING\r\n'), 0)).toBe(true)
    expect(detect(b('GET / HTTP/1.1\r\n'), 0)).toBe(false)
    expect(detect(b('\x16\x03\x01\x02\x00'), 0)).toBe(false)
    expect(detect(b('*x\r\n'), 0)).toBe(false)
  })

  it('never throws on random bytes in random chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 0, max: 1}), fc.uint8Array({maxLength: 64}))), (chunks) => {
        const c = collector({maxMessageBytes: 1000})
        const h = protocol.tcp!.create(fakeConn(), c.ctx)
        const at = {frame: 0, tsSec: 0, tsNsec: 0}
        for (const [d, u] of chunks) {
          at.frame++
          h.data(d as 0 | 1, Buffer.from(u), at)
          if (u.length === 7) h.gap(d as 0 | 1, 3, at)
        }
        h.end('eof', at)
      }),
      {numRuns: 300},
    )
  })
})

describe('redis: bytes that are not UTF-8', () => {
  it('are escaped as \\xNN, not replaced with U+FFFD; valid UTF-8 is decoded', () => {
    const bin = Buffer.concat([b('*3\r\n$3\r\nSET\r\n$4\r\nk\xff\xfe1\r\n$6\r\n'), Buffer.from('h\u00e9\u00e9', 'utf8'), b('\x80\r\n')])
    const c = run([
      {dir: 0, bytes: bin, t: 1},
      {dir: 1, bytes: Buffer.concat([b('$3\r\n'), Buffer.from([0xc3, 0x28, 0x41]), b('\r\n')]), t: 1.1},
    ])
    expect(c.out).toHaveLength(1)
    expect(c.out[0].resource).toBe('k\\xff\\xfe1')
    expect(c.out[0].query).toBe('SET k\\xff\\xfe1 h\u00e9\u00e9\\x80')
    expect(c.out[0].fields).toEqual({redis: {return_value: '\\xc3(A'}})
  })
})
