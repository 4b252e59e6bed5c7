import {describe, expect, it} from 'vitest'
import {detect, protocol} from '../../../src/protocols/amqp/index.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'

// --- a small AMQP 0-9-1 encoder (spec 4.2) --------------------------------------------------------
const u8 = (n: number) => Buffer.from([n])
const u16 = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}
const u64 = (n: number) => Buffer.concat([u32(Math.floor(n / 2 ** 32)), u32(n % 2 ** 32)])
const sstr = (s: string) => Buffer.concat([u8(Buffer.byteLength(s)), Buffer.from(s)])
const lstr = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)])
const bits = (...b: boolean[]) => u8(b.reduce((a, v, i) => a | (v ? 1 << i : 0), 0))
/** A field table of [name, type letter, encoded value]. */
const table = (...e: [string, string, Buffer][]) => {
  const body = Buffer.concat(e.flatMap(([k, t, v]) => [sstr(k), Buffer.from(t), v]))
  return Buffer.concat([u32(body.length), body])
}
const frame = (type: number, ch: number, payload: Buffer) => Buffer.concat([u8(type), u16(ch), u32(payload.length), payload, u8(0xce)])
const method = (ch: number, cls: number, mid: number, ...args: Buffer[]) => frame(1, ch, Buffer.concat([u16(cls), u16(mid), ...args]))
const header = (ch: number, size: number, flags: number, ...props: Buffer[]) => frame(2, ch, Buffer.concat([u16(60), u16(0), u64(size), u16(flags), ...props]))
const body = (ch: number, s: string) => frame(3, ch, Buffer.from(s))
const cat = (...b: Buffer[]) => Buffer.concat(b)

const HDR = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')
const CLOSE_404 = [u16(404), sstr("NOT_FOUND - no exchange 'plop' in vhost '/'"), u16(50), u16(20)]

const session: Step[] = [
  {dir: 0, bytes: HDR, t: 1},
  {dir: 1, bytes: method(0, 10, 10, u8(0), u8(9), table(['product', 'S', lstr('RabbitMQ')]), lstr('PLAIN'), lstr('en_US')), t: 1.001},
  {dir: 0, bytes: method(0, 10, 11, table(), sstr('PLAIN'), lstr('\x00guest\x00guest'), sstr('en_US')), t: 1.002},
  {dir: 1, bytes: method(0, 10, 30, u16(2047), u32(131072), u16(60)), t: 1.003},
  {dir: 0, bytes: cat(method(0, 10, 31, u16(2047), u32(131072), u16(60)), method(0, 10, 40, sstr('/'), sstr(''), bits(false))), t: 1.004},
  {dir: 1, bytes: method(0, 10, 41, sstr('')), t: 1.005},
  {dir: 0, bytes: method(1, 20, 10, sstr('')), t: 1.006},
  {dir: 1, bytes: method(1, 20, 11, lstr('')), t: 1.007},
  // exchange.declare no-wait: emitted at once
  {dir: 0, bytes: method(1, 40, 10, u16(0), sstr('logs'), sstr('fanout'), bits(false, true, false, false, true), table()), t: 2},
  // anonymous queue.declare with arguments; the reply names the queue
  {dir: 0, bytes: method(1, 50, 10, u16(0), sstr(''), bits(false, false, true, false, false), table(['x-max-length', 'I', u32(100)], ['x-mode', 'S', lstr('lazy')])), t: 3},
  {dir: 1, bytes: method(1, 50, 11, sstr('amq.gen-1'), u32(0), u32(0)), t: 3.5},
  {dir: 0, bytes: frame(8, 0, Buffer.alloc(0)), t: 3.6},
  // publish: method, header with properties (content-type, headers, delivery-mode, timestamp), body in two frames
  {
    dir: 0,
    bytes: cat(
      method(1, 60, 40, u16(0), sstr('logs'), sstr('rk'), bits(true, false)),
      header(1, 11, 0x8000 | 0x2000 | 0x1000 | 0x0040, sstr('text/plain'), table(['tenant', 'S', lstr('acme')], ['n', 'F', table(['ok', 't', u8(1)])], ['l', 'A', cat(u32(3), Buffer.from('b'), u8(7), Buffer.from('V'))]), u8(2), u64(1700000000)),
      body(1, 'hello '),
      body(1, 'world'),
    ),
    t: 4,
  },
  // deliver from the server (header and body in one segment)
  {dir: 1, bytes: cat(method(1, 60, 60, sstr('ctag'), u64(1), bits(false), sstr('logs'), sstr('rk')), header(1, 2, 0x8000, sstr('text/plain')), body(1, 'hi')), t: 5},
  {dir: 0, bytes: method(1, 60, 80, u64(1), bits(false)), t: 5.1},
  // basic.get answered by get-ok with content, then by get-empty
  {dir: 0, bytes: method(1, 60, 70, u16(0), sstr('work'), bits(false)), t: 6},
  {dir: 1, bytes: cat(method(1, 60, 71, u64(2), bits(true), sstr(''), sstr('work'), u32(3)), header(1, 0, 0)), t: 6.2},
  {dir: 0, bytes: method(1, 60, 70, u16(0), sstr('work'), bits(false)), t: 7},
  {dir: 1, bytes: method(1, 60, 72, sstr('')), t: 7.1},
  // queue.bind the server refuses by closing the channel
  {dir: 0, bytes: method(1, 50, 20, u16(0), sstr('amq.gen-1'), sstr('plop'), sstr(''), bits(false), table()), t: 8},
  {dir: 1, bytes: method(1, 20, 40, ...CLOSE_404), t: 8.1},
  {dir: 0, bytes: method(1, 20, 41), t: 8.2},
  // normal shutdown: hidden
  {dir: 0, bytes: method(0, 10, 50, u16(200), sstr('bye'), u16(0), u16(0)), t: 9},
  {dir: 1, bytes: method(0, 10, 51), t: 9.1},
]

function run(steps: Step[], cuts?: (n: number) => number[], options: Record<string, unknown> = {}, limits = {}) {
  const c = collector(limits, options)
  const h = protocol.tcp!.create(fakeConn('tcp', 5672), c.ctx)
  drive(h, steps, cuts)
  return c
}

describe('amqp', () => {
  const whole = run(session)

  it('reports methods as Packetbeat does (set-up and normal closes hidden)', () => {
    const t = whole.out
    expect(t.map((x) => `${x.method} ${x.status}`)).toEqual([
      'exchange.declare OK',
      'queue.declare OK',
      'basic.publish OK',
      'basic.deliver OK',
      'basic.ack OK',
      'basic.get OK',
      'basic.get-empty OK',
      'channel.close Error',
    ])
    expect(t[0].fields).toEqual({amqp: {exchange: 'logs', 'exchange-type': 'fanout', passive: false, durable: true, 'auto-delete': false, internal: false, 'no-wait': true}})
    expect(t[0].event).toEqual({action: 'amqp.exchange.declare'})
    expect(t[1].fields.amqp).toMatchObject({queue: 'amq.gen-1', exclusive: true, arguments: {'x-max-length': 100, 'x-mode': 'lazy'}, 'message-count': 0})
    expect(t[1].endSec).toBe(3)
    expect(t[1].endNsec).toBe(500_000_000)
    expect(t[2].fields.amqp).toEqual({
      exchange: 'logs',
      'routing-key': 'rk',
      mandatory: true,
      immediate: false,
      'content-type': 'text/plain',
      headers: {tenant: 'acme', n: {ok: true}, l: [7, null]},
      'delivery-mode': 'persistent',
      timestamp: '2023-11-14T22:13:20.000Z',
    })
    // wire bytes of the method, header and the two body frames
    expect(t[2].requestBytes).toBe(session[12].bytes.length)
    expect(t[2].responseBytes).toBe(0)
    expect(t[3].sentByServer).toBe(true)
    expect(t[3].fields.amqp).toMatchObject({'consumer-tag': 'ctag', 'delivery-tag': 1, redelivered: false, 'content-type': 'text/plain'})
    expect(t[5].fields.amqp).toMatchObject({queue: 'work', 'delivery-tag': 2, redelivered: true, 'message-count': 3})
    expect(t[7].sentByServer).toBe(true)
    expect(t[7].fields.amqp).toEqual({'reply-code': 404, 'reply-text': "NOT_FOUND - no exchange 'plop' in vhost '/'", 'class-id': 50, 'method-id': 20})
    expect(t[7].anomalies).toEqual(['amqp.closed_before_reply'])
    expect(t[7].notes).toEqual(['queue.bind on channel 1 got no reply: closed by this channel.close'])
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

  it('honours hide_connection_information, parse_headers and parse_arguments', () => {
    const c = run(session, undefined, {hide_connection_information: false, parse_headers: false, parse_arguments: false})
    const names = c.out.map((x) => x.method)
    expect(names.slice(0, 5)).toEqual(['connection.start', 'connection.tune', 'connection.open', 'channel.open', 'exchange.declare'])
    expect(names.at(-1)).toBe('connection.close')
    expect(c.out.at(-1)!.status).toBe('OK')
    const start = c.out[0]
    expect(start.sentByServer).toBe(true)
    expect(start.fields.amqp).toMatchObject({'version-major': 0, 'version-minor': 9, 'server-properties': {product: 'RabbitMQ'}, mechanism: 'PLAIN'})
    const pub = c.out.find((x) => x.method === 'basic.publish')!
    expect(pub.fields.amqp).not.toHaveProperty('headers')
    const q = c.out.find((x) => x.method === 'queue.declare')!
    expect(q.fields.amqp).not.toHaveProperty('arguments')
  })

  it('reports unanswered requests and incomplete content at the end, and unmatched replies', () => {
    const c = run([
      {dir: 0, bytes: HDR, t: 1},
      {dir: 1, bytes: method(1, 50, 21), t: 1.5},
      {dir: 0, bytes: method(1, 50, 30, u16(0), sstr('q'), bits(false)), t: 2},
      {dir: 0, bytes: cat(method(1, 60, 40, u16(0), sstr(''), sstr('q'), bits(false, false)), header(1, 100, 0), body(1, 'part')), t: 3},
    ])
    expect(c.out.map((x) => `${x.method} ${x.status} ${x.anomalies}`)).toEqual([
      'queue.bind-ok Error amqp.unmatched_response',
      'basic.publish Error amqp.content_incomplete',
      'queue.purge Error amqp.no_response',
    ])
    expect(c.stats.unmatchedRequests).toBe(1)
    expect(c.stats.unmatchedResponses).toBe(1)
  })

  it('resynchronises after a gap and after a bad frame', () => {
    const decl = method(1, 50, 10, u16(0), sstr('after'), bits(false, false, false, false, false), table())
    const bad = Buffer.from(method(1, 50, 10, u16(0), sstr('bad'), bits(false), table()))
    bad[bad.length - 1] = 0x00 // frame-end octet wrong
    const c = collector({}, {})
    const h = protocol.tcp!.create(fakeConn('tcp', 5672), c.ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    h.data(0, HDR, at)
    h.data(0, decl.subarray(0, 9), at)
    h.gap(0, 100, at)
    h.data(0, cat(Buffer.from('junk'), decl.subarray(0, 20)), at)
    h.data(0, decl.subarray(20), at)
    h.data(1, method(1, 50, 11, sstr('after'), u32(0), u32(0)), at)
    h.data(0, cat(bad, decl), at)
    h.data(1, method(1, 50, 11, sstr('after'), u32(0), u32(0)), at)
    h.end('fin', at)
    expect(c.out.map((x) => `${x.method} ${x.status} ${x.anomalies}`)).toEqual(['queue.declare OK tcp.gap', 'queue.declare OK amqp.malformed'])
    expect(c.out[0].fields.amqp).toMatchObject({queue: 'after'})
  })

  it('skips frames larger than maxMessageBytes', () => {
    const c = run([{dir: 0, bytes: cat(HDR, method(1, 60, 40, u16(0), sstr('x'.repeat(200)), sstr(''), bits(false, false)), method(1, 90, 10)), t: 1}, {dir: 1, bytes: method(1, 90, 11), t: 2}], undefined, {}, {maxMessageBytes: 100})
    expect(c.out.map((x) => `${x.method} ${x.status}`)).toEqual(['tx.select OK'])
    expect(c.out[0].anomalies).toEqual(['amqp.malformed'])
  })

  it('detects the 0-9-1 protocol header from the client only', () => {
    expect(detect(HDR, 0)).toBe(true)
    expect(detect(cat(HDR, method(0, 10, 10)), 0)).toBe(true)
    expect(detect(HDR, 1)).toBe(false)
    expect(detect(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'), 0)).toBe(false)
    expect(detect(Buffer.from('AMQP'), 0)).toBe(false)
  })
})
