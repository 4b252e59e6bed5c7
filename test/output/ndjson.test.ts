/**
 * NdjsonOutput: the fast path writeTransaction(t, o) (serializeEvent straight into the writer's
 * bytes) must write exactly what write(buildEvent(t, o)) = JSON.stringify + '\n' writes, for every
 * transaction, including shapes no protocol produces on purpose. Checked on a table of edge cases
 * and on random transactions (fast-check).
 */
import {PassThrough} from 'node:stream'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {type BuildOptions, buildEvent} from '../../src/event/build.js'
import {NdjsonOutput} from '../../src/output/ndjson/index.js'
import {TextWriter} from '../../src/output/writer.js'
import type {ConnInfo} from '../../src/reassembly/types.js'
import type {Transaction} from '../../src/event/types.js'
import {Stats} from '../../src/stats.js'
import {networkDirection} from '../../src/util/ip.js'

const run = {files: [], stats: new Stats(), captures: [], errors: []}

function sink(): {out: NdjsonOutput; text: () => string} {
  const s = new PassThrough()
  const chunks: Buffer[] = []
  s.on('data', (c: Buffer) => chunks.push(c))
  const out = new NdjsonOutput(new TextWriter(s, 'memory'), false)
  return {out, text: () => Buffer.concat(chunks).toString('utf8')}
}

/** Both paths over the same transactions; returns [fast, reference]. */
async function both(ts: Transaction[], o: BuildOptions): Promise<[string, string]> {
  const a = sink()
  const b = sink()
  for (const t of ts) {
    a.out.writeTransaction(t, o)
    b.out.write(buildEvent(t, o))
  }
  await a.out.end(run)
  await b.out.end(run)
  return [a.text(), b.text()]
}

const tcp: ConnInfo = {
  id: 1,
  transport: 'tcp',
  ipVersion: 4,
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  clientPort: 51000,
  serverPort: 80,
  communityId: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
  roleBy: 'syn',
}
const icmp6: ConnInfo = {...tcp, id: 2, transport: 'ipv6-icmp', ipVersion: 6, clientIp: 'fe80::1', serverIp: 'ff02::1', clientPort: 0, serverPort: 0}

function txn(over: Partial<Transaction> = {}): Transaction {
  return {
    type: 'http',
    conn: tcp,
    status: 'OK',
    startSec: 1700000000,
    startNsec: 100_000_000,
    startFrame: 4,
    endSec: 1700000001,
    endNsec: 50_000_123,
    endFrame: 9,
    requestBytes: 100,
    responseBytes: 2000,
    method: 'GET',
    query: 'GET /x',
    fields: {http: {response: {status_code: 200}}, pbx: {http: {pipelined: false}}},
    ...over,
  }
}

class Point {
  constructor(readonly x: number) {}
}

const cyclic: Record<string, unknown> = {a: 1}
cyclic.self = cyclic

const cases: [string, Partial<Transaction>][] = [
  ['a typical transaction', {}],
  ['sent by the server', {sentByServer: true, fields: {dhcp: {op: 'reply'}}}],
  ['ICMPv6 without ports, notes, resource and path', {conn: icmp6, type: 'icmp', notes: ['no response', 'gap'], anomalies: ['icmp.no_response', 'tcp.gap'], resource: 'r', path: '/p'}],
  ['endpoint additions, with keys that must not replace ip/port/bytes', {fields: {destination: {domain: 'example.com', ip: 'spoofed', bytes: 1, port: 2, toString: 'x', nothing: undefined}, source: {}}}],
  ['a port added to a conversation without ports', {conn: icmp6, fields: {source: {port: 7, geo: {x: 1}}}}],
  ['event additions', {event: {action: 'query', reason: undefined, n: 3}}],
  ['an event addition that replaces a common key (slow path)', {event: {kind: 'alert', action: 'x'}}],
  ['a field named like a common key (slow path)', {fields: {network: {x: 1}, http: {}}}],
  ['a field replacing an optional key that is set (slow path)', {fields: {method: 'POST'}}],
  ['a field for an optional key that is not set', {method: undefined, fields: {method: 'POST', z: 1}}],
  ['array-index keys (slow path)', {fields: {'0': 'a', b: 1}}],
  ['array-index keys in pbx (slow path)', {fields: {pbx: {'7': 1}}}],
  ['pbx additions replacing frames (slow path)', {fields: {pbx: {frames: [1]}}}],
  ['a falsy pbx', {fields: {pbx: null, http: {a: 1}}}],
  ['anomaly codes before pbx additions', {notes: ['gap in body'], anomalies: ['tcp.gap'], fields: {pbx: {http: {x: 1}}}}],
  ['pbx additions replacing anomalies (slow path)', {anomalies: ['tcp.gap'], fields: {pbx: {anomalies: 'x'}}}],
  ['strings that need escaping', {query: 'a"b\\c\n\t\u0000\u001f\u007f', fields: {x: {'k"ey': 'v\u2028', long: `${'é'.repeat(300)}"`, ascii: 'a'.repeat(500), quoted: `${'a'.repeat(200)}"`}}}],
  ['non-ASCII and lone surrogates', {path: 'ünïcødé 😀', fields: {s: ['\ud800', 'a\udc00b', '😀'.repeat(50)]}}],
  ['numbers', {requestBytes: 0, responseBytes: 2 ** 40, fields: {n: [-0, 0, -1, 1.5, 1e21, 1e-7, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), Number.MAX_SAFE_INTEGER]}}],
  ['odd values', {fields: {o: {u: undefined, f: () => 1, s: Symbol('s'), n: null, t: true, f2: false}, a: [undefined, () => 1, Symbol('x'), null, [], {}]}}],
  ['values with toJSON and class instances', {fields: {d: new Date(0), b: Buffer.from('hi'), m: new Map([[1, 2]]), p: new Point(3), j: {toJSON: () => undefined}, k: {toJSON: (k: string) => `key:${k}`}, arr: [new Date(1), {toJSON: () => undefined}], boxed: Object('s')}}],
  ['null-prototype objects and deep nesting', {fields: {np: Object.assign(Object.create(null), {a: 1}), deep: JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`)}}],
  ['a backwards clock and non-integer times', {endSec: 1699999999, startNsec: 1.5, endNsec: 999_999_999}],
  ['a non-string status and type (slow path)', {status: 5 as unknown as 'OK'}],
  ['strings for numbers', {requestBytes: '5' as unknown as number}],
  ['a different protocol on the same connection', {type: 'tls'}],
  ['inherited enumerable properties', {event: Object.create({inherited: 1}, {own: {value: 2, enumerable: true}}), fields: {src: Object.create({x: 1}), pbx: Object.create({y: 1}), destination: Object.create({z: 1}, {d: {value: 'e', enumerable: true}})}}],
  ['inherited enumerable fields (slow path)', {fields: Object.create({inherited: {a: 1}}, {own: {value: 1, enumerable: true}})}],
  ['an id shared by two different connections', {conn: {...tcp, serverIp: '10.9.9.9', communityId: '1:other'}}],
]

describe('NdjsonOutput.writeTransaction', () => {
  it.each(cases)('writes what write(buildEvent()) writes: %s', async (_name, over) => {
    const t = txn(over)
    for (const o of [{precision: 'us'}, {precision: 'ns', file: 'dir/a "b".pcap'}] as BuildOptions[]) {
      // Twice: the second event of a connection uses the cached connection parts.
      const [fast, ref] = await both([t, t], o)
      expect(fast).toBe(ref)
    }
  })

  it('throws where JSON.stringify throws, leaving no partial line', async () => {
    const {out, text} = sink()
    out.writeTransaction(txn(), {precision: 'us'})
    expect(() => out.writeTransaction(txn({fields: {big: {n: 10n}}}), {precision: 'us'})).toThrow(TypeError)
    expect(() => out.writeTransaction(txn({fields: {c: cyclic}}), {precision: 'us'})).toThrow(TypeError)
    expect(() => JSON.stringify(buildEvent(txn({fields: {c: cyclic}}), {precision: 'us'}))).toThrow(TypeError)
    out.writeTransaction(txn({status: 'Error'}), {precision: 'us'})
    await out.end(run)
    const lines = text().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines.slice(0, 2).map((l) => JSON.parse(l).status)).toEqual(['OK', 'Error'])
  })

  it('keeps every line intact across arena and flush boundaries (events larger than the arena too)', async () => {
    const ts: Transaction[] = []
    for (let i = 0; i < 3000; i++) ts.push(txn({startFrame: i, query: 'q'.repeat(i % 500), fields: {v: 'é'.repeat(i % 97)}}))
    ts.push(txn({fields: {huge: 'x'.repeat(3 * 1024 * 1024)}}))
    ts.push(txn({fields: {huge: ['é'.repeat(700_000), 'a'.repeat(900_000)]}}))
    for (let i = 0; i < 500; i++) ts.push(txn({endFrame: i}))
    const [fast, ref] = await both(ts, {precision: 'us'})
    expect(fast.length).toBe(ref.length)
    expect(fast).toBe(ref)
  })

  const key = fc.oneof(fc.constantFrom('a', 'b', 'ip', 'port', 'bytes', 'pbx', 'source', 'destination', 'frames', 'file', 'kind', 'method', 'status', '0', '__proto__', 'toString'), fc.string({maxLength: 6}))
  const value = fc.oneof(
    {depthSize: 'small'},
    fc.anything({key, maxDepth: 3, withBoxedValues: true, withDate: true, withMap: true, withNullPrototype: true, withSparseArray: true, withTypedArray: true, withObjectString: true, values: [fc.string({unit: 'binary'}), fc.double(), fc.integer(), fc.constant(undefined), fc.constant(null)]}),
    fc.jsonValue(),
  )
  const conn = fc.record({
    id: fc.nat(),
    transport: fc.constantFrom('tcp', 'udp', 'icmp', 'ipv6-icmp'),
    ipVersion: fc.constantFrom(4, 6),
    clientIp: fc.oneof(fc.ipV4(), fc.ipV6()),
    serverIp: fc.oneof(fc.ipV4(), fc.ipV6()),
    clientPort: fc.integer({min: 0, max: 65535}),
    serverPort: fc.integer({min: 0, max: 65535}),
    communityId: fc.string(),
    roleBy: fc.constant('syn'),
  }) as fc.Arbitrary<ConnInfo>
  const transaction = fc.record(
    {
      type: fc.constantFrom('http', 'dns', 'tls'),
      conn,
      status: fc.constantFrom('OK', 'Error', 'Client Error', 'Server Error'),
      startSec: fc.integer({min: -1e10, max: 1e10}),
      startNsec: fc.integer({min: 0, max: 999_999_999}),
      startFrame: fc.nat(),
      endSec: fc.integer({min: -1e10, max: 1e10}),
      endNsec: fc.integer({min: 0, max: 999_999_999}),
      endFrame: fc.nat(),
      requestBytes: fc.oneof(fc.nat(), fc.double()),
      responseBytes: fc.nat(),
      method: fc.option(fc.string({unit: 'binary'}), {nil: undefined}),
      query: fc.option(fc.string({unit: 'grapheme'}), {nil: undefined}),
      resource: fc.option(fc.string(), {nil: undefined}),
      path: fc.option(fc.string(), {nil: undefined}),
      notes: fc.option(fc.array(fc.string()), {nil: undefined}),
      anomalies: fc.option(fc.array(fc.constantFrom('tcp.gap', 'http.no_response', 'a"b')), {nil: undefined}),
      fields: fc.dictionary(key, value, {maxKeys: 6}),
      sentByServer: fc.option(fc.boolean(), {nil: undefined}),
      event: fc.option(fc.dictionary(key, value, {maxKeys: 3}), {nil: undefined}),
    },
    {requiredKeys: ['type', 'conn', 'status', 'startSec', 'startNsec', 'startFrame', 'endSec', 'endNsec', 'endFrame', 'requestBytes', 'responseBytes', 'fields']},
  ) as fc.Arbitrary<Transaction>

  it('never writes another connection\'s values (same id, different addresses, ports, transport, community id)', async () => {
    // serializeEvent caches by connection id (network.direction): an entry must serve only the
    // connection it was computed for.
    const conns: ConnInfo[] = [
      tcp,
      {...tcp, clientIp: '8.8.8.8'},
      {...tcp, serverIp: '1.1.1.1'},
      {...tcp, serverIp: '10.0.0.1'},
      {...tcp, clientPort: 7},
      {...tcp, serverPort: 8080},
      {...tcp, transport: 'udp'},
      {...tcp, transport: 'icmp', clientPort: 0, serverPort: 0},
      {...tcp, communityId: '1:"q\\\u2028\ud800\u0001'},
      {...tcp, id: tcp.id + 4096},
      icmp6,
      {...icmp6, id: tcp.id, clientIp: 'fe80::1', serverIp: 'fe80::1'},
    ]
    const ts = [...conns, ...conns.reverse()].flatMap((conn) => [txn({conn}), txn({conn, sentByServer: true})])
    for (const o of [{precision: 'us'}, {precision: 'ns'}] as BuildOptions[]) {
      const [fast, ref] = await both(ts, o)
      expect(fast).toBe(ref)
      // Both paths share that cache: each line's direction is checked against its own addresses too.
      const reversed = {internal: 'internal', outbound: 'inbound', inbound: 'outbound', external: 'external', unknown: 'unknown'} as const
      const lines = fast.trimEnd().split('\n').map((l) => JSON.parse(l) as {network: {direction: string}})
      expect(lines.map((l) => l.network.direction)).toEqual(
        ts.map((t) => {
          const d = networkDirection(t.conn.clientIp, t.conn.serverIp)
          return t.sentByServer ? reversed[d] : d
        }),
      )
    }
  })

  it('writes what write(buildEvent()) writes for random transactions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(transaction, {minLength: 1, maxLength: 4}), fc.constantFrom<BuildOptions>({precision: 'us'}, {precision: 'ns', file: 'f.pcap'}), async (ts, o) => {
        let ref: string | undefined
        try {
          ref = ts.map((t) => `${JSON.stringify(buildEvent(t, o))}\n`).join('')
        } catch {
          ref = undefined // JSON.stringify throws (BigInt, cycle): the fast path must throw as well
        }
        if (ref === undefined) {
          const {out} = sink()
          expect(() => {
            for (const t of ts) out.writeTransaction(t, o)
          }).toThrow()
          return
        }
        const [fast] = await both(ts, o)
        expect(fast).toBe(ref)
      }),
      {numRuns: 1500},
    )
  })
})

describe('TextWriter', () => {
  it('hands every byte to the stream in order, never reusing a buffer it handed over', async () => {
    const s = new PassThrough()
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    const w = new TextWriter(s, 'memory')
    let want = ''
    for (let i = 0; i < 20000; i++) {
      const piece = i % 1000 === 0 ? 'ü'.repeat(100_000 + i) : `line ${i} ${'x'.repeat(i % 300)} ☃\n`
      w.write(piece)
      want += piece
    }
    await w.end(false)
    expect(chunks.length).toBeGreaterThan(10)
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(300_000 * 3)
    expect(Buffer.concat(chunks).toString('utf8')).toBe(want)
  })

  it('drops an aborted record and keeps the records around it', async () => {
    const s = new PassThrough()
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    const w = new TextWriter(s, 'memory')
    w.write('a\n')
    expect(w.startRecord()).toBe(true)
    w.room(2_000_000) // forces a fresh, larger arena for this record
    w.arena.fill(0x78, w.pos, w.pos + 2_000_000)
    w.pos += 2_000_000
    w.abortRecord()
    w.write('b\n')
    await w.end(false)
    expect(Buffer.concat(chunks).toString('utf8')).toBe('a\nb\n')
  })
})
