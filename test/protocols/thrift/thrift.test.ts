import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseIdl} from '../../../src/protocols/thrift/idl.js'
import {detect, protocol} from '../../../src/protocols/thrift/index.js'
import {checkThriftOptions} from '../../../src/protocols/thrift/options.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'
import {bool, byte, dbl, i16, i32, i64, list, map, type MsgOptions, message, set, str, struct} from './encode.js'

const CALL = 1
const REPLY = 2
const EXC = 3
const ONEWAY = 4

/** A conversation exercising every value type, nesting, exceptions and oneway. */
function conversation(o: MsgOptions): Step[] {
  const m = (type: number, name: string, seq: number, body: ReturnType<typeof struct>) => message(type, name, seq, body, o)
  return [
    {dir: 0, bytes: m(CALL, 'echo', 1, struct([1, str('hello')], [2, i32(42)])), t: 1},
    {dir: 1, bytes: m(REPLY, 'echo', 1, struct([0, str('hello')])), t: 1.1},
    {
      dir: 0,
      bytes: m(
        CALL,
        'store',
        2,
        struct(
          [1, struct([1, byte(-3)], [2, i16(-300)], [3, i64(-34359738368n)], [4, dbl(1.25)], [5, bool(true)], [6, bool(false)])],
          [2, list('i32', i32(1), i32(2), i32(3))],
          [3, map('string', 'struct', [str('k'), struct([1, set('string', str('a'), str('b'))])])],
          [20, str(Buffer.from([0xde, 0xad, 0x00, 0xff]))],
        ),
      ),
      t: 2,
    },
    {dir: 1, bytes: m(REPLY, 'store', 2, struct()), t: 2.2},
    {dir: 0, bytes: m(CALL, 'divide', 3, struct([1, i32(1)], [2, i32(0)])), t: 3},
    {dir: 1, bytes: m(REPLY, 'divide', 3, struct([1, struct([1, i32(4)], [2, str('Cannot divide by 0')])])), t: 3.3},
    {dir: 0, bytes: m(ONEWAY, 'log', 4, struct([1, str('bye')])), t: 4},
    {dir: 0, bytes: m(CALL, 'nope', 5, struct()), t: 5},
    {dir: 1, bytes: m(EXC, 'nope', 5, struct([1, str('Invalid method name')], [2, i32(1)])), t: 5.5},
  ]
}

function run(steps: Step[], cuts?: (n: number) => number[], options: Record<string, unknown> = {}, limits = {}) {
  const c = collector(limits, options)
  const h = protocol.tcp!.create(fakeConn('tcp', 9090), c.ctx)
  drive(h, steps, cuts)
  return c
}

const STORE_PARAMS = '(1: (1: -3, 2: -300, 3: -34359738368, 4: 1.25, 5: true, 6: false), 2: [1, 2, 3], 3: {"k": (1: ["a", "b"])}, 20: dead00ff)'

describe('thrift', () => {
  const variants: [string, MsgOptions, string, string][] = [
    ['binary socket', {}, 'binary', 'socket'],
    ['binary framed', {framed: true}, 'binary', 'framed'],
    ['compact socket', {compact: true}, 'compact', 'socket'],
    ['compact framed', {compact: true, framed: true}, 'compact', 'framed'],
    ['old binary socket', {old: true}, 'binary', 'socket'],
  ]
  for (const [label, o, proto, transport] of variants) {
    describe(label, () => {
      const steps = conversation(o)
      const whole = run(steps)
      it('renders calls, replies, exceptions and oneway calls as Packetbeat does', () => {
        const t = whole.out
        expect(t.map((x) => `${x.method} ${x.status}`)).toEqual(['echo OK', 'store OK', 'divide Error', 'log OK', 'nope Error'])
        expect(t[0].fields).toEqual({thrift: {params: '(1: "hello", 2: 42)', return_value: '"hello"', protocol: proto, transport}})
        expect(t[0].query).toBe('echo(1: "hello", 2: 42)')
        expect(t[0].requestBytes).toBe(steps[0].bytes.length)
        expect(t[0].responseBytes).toBe(steps[1].bytes.length)
        expect(t[0].endSec + t[0].endNsec / 1e9).toBeCloseTo(1.1)
        expect(t[1].fields.thrift).toMatchObject({params: STORE_PARAMS, return_value: ''})
        expect(t[2].fields.thrift).toMatchObject({return_value: '', exceptions: '(1: (1: 4, 2: "Cannot divide by 0"))'})
        expect(t[3].fields.thrift).toEqual({params: '(1: "bye")', protocol: proto, transport})
        expect(t[3].responseBytes).toBe(0)
        expect(t[4].fields.thrift).toMatchObject({params: '()', exceptions: '(1: "Invalid method name", 2: 1)'})
        expect(t.every((x) => x.notes === undefined)).toBe(true)
        expect(whole.stats.malformed.size).toBe(0)
      })
      it('gives identical transactions when split at every byte offset', () => {
        const want = comparable(whole.out)
        const total = Math.max(...steps.map((s) => s.bytes.length))
        for (let k = 1; k < total; k++) {
          const c = run(steps, (n) => (k < n ? [k] : []))
          expect(comparable(c.out), `split at ${k}`).toEqual(want)
        }
        const one = run(steps, (n) => Array.from({length: n - 1}, (_, i) => i + 1))
        expect(comparable(one.out)).toEqual(want)
      })
      it('reads every message of one segment (pipelined calls)', () => {
        const req = steps.filter((s) => s.dir === 0)
        const res = steps.filter((s) => s.dir === 1)
        const c = run([
          {dir: 0, bytes: Buffer.concat(req.map((s) => s.bytes)), t: 1},
          {dir: 1, bytes: Buffer.concat(res.map((s) => s.bytes)), t: 2},
        ])
        expect(c.out.map((x) => `${x.method} ${x.status}`).sort()).toEqual(['divide Error', 'echo OK', 'log OK', 'nope Error', 'store OK'])
      })
    })
  }

  it('honours the transport_type / protocol_type options', () => {
    const framed = conversation({framed: true})
    expect(run(framed, undefined, {transport_type: 'framed', protocol_type: 'binary'}).out).toHaveLength(5)
    // told "compact", binary traffic is no Thrift at all: nothing but malformed notes
    const c = run(framed, undefined, {protocol_type: 'compact'})
    expect(c.out).toHaveLength(0)
    expect(c.stats.malformed.size).toBeGreaterThan(0)
  })

  it('bounds strings and collections, obfuscates strings', () => {
    const steps: Step[] = [
      {dir: 0, bytes: message(CALL, 'f', 1, struct([1, str('abcdefgh')], [2, list('i32', i32(1), i32(2), i32(3), i32(4))], [3, str('éé')])), t: 1},
      {dir: 1, bytes: message(REPLY, 'f', 1, struct([0, map('i32', 'i32', [i32(1), i32(2)], [i32(3), i32(4)], [i32(5), i32(6)])])), t: 2},
    ]
    const c = run(steps, undefined, {string_max_size: 3, collection_max_size: 2})
    expect(c.out[0].fields.thrift).toMatchObject({params: '(1: "abc...", 2: [1, 2, ...], ...)', return_value: '{1: 2, 3: 4, ...}'})
    expect(c.out[0].anomalies).toEqual(['thrift.value_cut', 'thrift.value_cut'])
    const multi = run(steps, undefined, {string_max_size: 3})
    // a cut inside a two-byte character drops the partial character
    expect(multi.out[0].fields.thrift).toMatchObject({params: '(1: "abc...", 2: [1, 2, 3, 4], 3: "é...")'})
    const ob = run(steps, undefined, {obfuscate_strings: true})
    expect(ob.out[0].fields.thrift).toMatchObject({params: '(1: "*", 2: [1, 2, 3, 4], 3: "*")'})
  })

  it('leaves the texts out past drop_after_n_struct_fields, with a note', () => {
    const steps: Step[] = [
      {dir: 0, bytes: message(CALL, 'f', 1, struct([1, i32(1)], [2, i32(2)], [3, i32(3)])), t: 1},
      {dir: 1, bytes: message(REPLY, 'f', 1, struct([0, i32(6)])), t: 2},
    ]
    const c = run(steps, undefined, {drop_after_n_struct_fields: 2})
    expect(c.out).toHaveLength(1)
    expect(c.out[0].fields.thrift).not.toHaveProperty('params')
    expect(c.out[0].fields.thrift).toMatchObject({return_value: '6'})
    expect(c.out[0].anomalies).toEqual(['thrift.fields_dropped'])
  })

  it('capture_reply false skips reply contents; send_request / send_response give Packetbeat texts', () => {
    const steps = conversation({})
    const off = run(steps, undefined, {capture_reply: false})
    expect(off.out[0].fields.thrift).not.toHaveProperty('return_value')
    expect(off.out[2].fields.thrift).not.toHaveProperty('exceptions')
    expect(off.out[2].status).toBe('OK')
    const raw = run(steps, undefined, {send_request: true, send_response: true})
    expect(raw.out[0].fields).toMatchObject({request: 'echo(1: "hello", 2: 42)', response: '"hello"'})
    expect(raw.out[2].fields.response).toBe('Exceptions: (1: (1: 4, 2: "Cannot divide by 0"))')
    expect(run(steps).out[0].fields).not.toHaveProperty('request')
  })

  it('names services, parameters, exceptions and nested fields from idl_files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pbx-thrift-'))
    const file = path.join(dir, 'calc.thrift')
    writeFileSync(
      file,
      `namespace py calc // comment
       typedef map<string, Bag> Bags
       struct Bag { 1: set<string> items (annotation = "x") }
       /* block
          comment */
       struct Inner { 1: byte b, 2: i16 s, 3: i64 l, 4: double d, 5: bool t, 6: bool f }
       exception DivByZero { 1: i32 code; 2: string why }
       const list<i32> PRIMES = [2, 3, 5]
       service Calc extends base.Base {
         string echo(1: string text, 2: i32 n),
         void store(1: Inner inner, 2: list<i32> nums, 3: Bags bags, 20: binary blob),
         i32 divide(1: i32 a, 2: i32 b) throws (1: DivByZero dz),
         oneway void log(1: string line)
       }`,
    )
    const c = run(conversation({compact: true}), undefined, {idl_files: [file]})
    const t = c.out
    expect(t[0].fields.thrift).toMatchObject({service: 'Calc', params: '(text: "hello", n: 42)'})
    expect(t[1].fields.thrift).toMatchObject({params: '(inner: (b: -3, s: -300, l: -34359738368, d: 1.25, t: true, f: false), nums: [1, 2, 3], bags: {"k": (items: ["a", "b"])}, blob: dead00ff)'})
    expect(t[2].fields.thrift).toMatchObject({exceptions: '(dz: (code: 4, why: "Cannot divide by 0"))'})
    expect(t[4].fields.thrift).not.toHaveProperty('service')
    expect(checkThriftOptions({idl_files: [file]})).toEqual({errors: [], warnings: []})
    expect(checkThriftOptions({idl_files: [path.join(dir, 'missing.thrift')], transport_type: 'http'}).errors).toEqual([
      'thrift.transport_type: "http" is not socket or framed',
      expect.stringContaining(`thrift.idl_files: cannot read Thrift IDL file ${path.join(dir, 'missing.thrift')}`),
    ])
  })

  it('treats a call of an IDL oneway function as oneway and a reused seqid as the end of a call', () => {
    const idl = parseIdl('service S { oneway void zip() }', 'x.thrift')
    expect(idl.functions.get('zip')?.oneway).toBe(true)
    const c = run([
      {dir: 0, bytes: message(CALL, 'zip', 0, struct()), t: 1},
      {dir: 0, bytes: message(CALL, 'ping', 0, struct()), t: 2},
      {dir: 1, bytes: message(REPLY, 'ping', 0, struct()), t: 3},
    ])
    expect(c.out.map((x) => `${x.method} ${x.status} ${x.anomalies ?? ''}`)).toEqual(['zip Error thrift.no_response', 'ping OK '])
  })

  it('reports unmatched replies, unanswered calls and resynchronises after a gap and bad bytes', () => {
    const c = collector({}, {})
    const h = protocol.tcp!.create(fakeConn('tcp', 9090), c.ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    const call = message(CALL, 'after', 7, struct([1, i32(1)]))
    h.data(1, message(REPLY, 'orphan', 9, struct([0, i32(1)])), at)
    h.data(0, call.subarray(0, 10), at)
    h.gap(0, 50, at)
    h.data(0, Buffer.concat([Buffer.from('junk junk'), call]), at)
    h.data(1, message(REPLY, 'after', 7, struct([0, i32(2)])), at)
    // a body with a bad field type: the call is reported, then the reader resynchronises
    const bad = Buffer.from(message(CALL, 'broken', 8, struct([1, i32(1)])))
    bad[bad.length - 8] = 0x63
    h.data(0, Buffer.concat([bad, message(CALL, 'last', 10, struct())]), at)
    h.end('fin', at)
    expect(c.out.map((x) => `${x.method} ${x.status} ${x.anomalies?.join(',') ?? ''}`)).toEqual([
      'orphan Error thrift.unmatched_response',
      'after OK tcp.gap',
      'broken Error thrift.malformed,thrift.no_response',
      'last Error thrift.no_response',
    ])
    expect(c.out[0].sentByServer).toBe(true)
    expect(c.out[1].fields.thrift).toMatchObject({params: '(1: 1)', return_value: '2'})
    expect(c.stats.unmatchedResponses).toBe(1)
  })

  it('skips messages larger than maxMessageBytes', () => {
    const big = message(CALL, 'big', 1, struct([1, str('x'.repeat(500))]), {framed: true})
    const small = message(CALL, 'small', 2, struct(), {framed: true})
    const c = run([{dir: 0, bytes: Buffer.concat([big, small]), t: 1}, {dir: 1, bytes: message(REPLY, 'small', 2, struct(), {framed: true}), t: 2}], undefined, {}, {maxMessageBytes: 100})
    expect(c.out.map((x) => `${x.method} ${x.status}`)).toEqual(['small OK'])
    expect(c.out[0].anomalies).toContain('limit.message_bytes')
  })

  it('hands a connection whose first bytes cannot be Thrift to content detection (port 9090 is shared)', () => {
    const c = collector({}, {})
    const seen: string[] = []
    const ctx = {
      ...c.ctx,
      openInner: (_conn: unknown, o: {self: string}) => {
        seen.push(o.self)
        return {data: (d: number, b: Buffer) => seen.push(`${d}:${b.toString('latin1')}`), gap: () => seen.push('gap'), end: () => seen.push('end')}
      },
    }
    const h = protocol.tcp!.create(fakeConn('tcp', 9090), ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    h.data(0, Buffer.from('GET /metrics HTTP/1.1\r\n\r\n'), at)
    h.data(1, Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), at)
    h.gap(1, 10, at)
    h.end('fin', at)
    expect(seen).toEqual(['thrift', '0:GET /metrics HTTP/1.1\r\n\r\n', '1:HTTP/1.1 200 OK\r\n\r\n', 'gap', 'end'])
    expect(c.out).toHaveLength(0)
    // Thrift bytes first: no handover
    const t = collector({}, {})
    let opened = 0
    const h2 = protocol.tcp!.create(fakeConn('tcp', 9090), {
      ...t.ctx,
      openInner: () => {
        opened++
        return null
      },
    })
    drive(h2, conversation({}))
    expect(opened).toBe(0)
    expect(t.out).toHaveLength(5)
  })

  it('detects strict binary and compact headers, bare or framed', () => {
    for (const o of [{}, {framed: true}, {compact: true}, {compact: true, framed: true}]) {
      expect(detect(message(CALL, 'getUser', 1, struct()), 0)).toBe(true)
      expect(detect(message(REPLY, 'getUser', 1, struct(), o), 1)).toBe(true)
    }
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe(false)
    expect(detect(Buffer.from([0x80, 0x01, 0x00, 0x09, 0, 0, 0, 3, 0x61, 0x62, 0x63]), 0)).toBe(false)
    expect(detect(Buffer.from([0x82, 0x21, 0x00, 0x05, 0x00, 0x01]), 0)).toBe(false)
    expect(detect(Buffer.alloc(0), 0)).toBe(false)
    expect(detect(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x80, 0x01]), 0)).toBe(false)
  })

  it('reads IDL text robustly: errors are reported, never thrown', () => {
    const idl = parseIdl('struct A { 1: list<i32 x }\nservice S { i32 ok(1: i32 a), ??? , void fine() }\nwhat', 'bad.thrift')
    expect(idl.errors.length).toBeGreaterThan(0)
    expect(idl.errors[0]).toMatch(/^bad\.thrift:1: /)
    expect(idl.functions.get('ok')?.params.get(1)?.name).toBe('a')
    expect(idl.functions.has('fine')).toBe(true)
    for (const junk of ['{{{{{{{', 'service', 'struct X {', '"unterminated', '/* open', 'map<'.repeat(100), 'service S { oneway']) {
      expect(() => parseIdl(junk, 'j.thrift')).not.toThrow()
    }
  })
})
