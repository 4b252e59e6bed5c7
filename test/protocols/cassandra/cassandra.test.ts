import {describe, expect, it} from 'vitest'
import {crc24, lz4Block, lz4Body, snappyBody} from '../../../src/protocols/cassandra/decompress.js'
import {detect, protocol} from '../../../src/protocols/cassandra/index.js'
import {
  envelope,
  errorBody,
  executeBody,
  i32,
  lz4Compress,
  lz4FrameBody,
  multimap,
  OPS,
  preparedResult,
  queryBody,
  rowsResult,
  schemaChangeResult,
  snappyCompress,
  statusEvent,
  str,
  strMap,
  u16,
  v5Frame,
  voidResult,
} from '../../../scripts/samples/cql-wire.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'

const req = (stream: number, op: number, body: Buffer, flags = 0, v = 4) => envelope(v, false, flags, stream, op, body)
const res = (stream: number, op: number, body: Buffer, flags = 0, v = 4) => envelope(v, true, flags, stream, op, body)
const cat = (...b: Buffer[]) => Buffer.concat(b)
const ID = Buffer.from('0123456789abcdef', 'hex')

// Interleaved streams: 1 and 2 are answered out of order, the EVENT push has stream -1.
const session: Step[] = [
  {dir: 0, bytes: req(0, OPS.OPTIONS, Buffer.alloc(0)), t: 1},
  {dir: 1, bytes: res(0, OPS.SUPPORTED, multimap({COMPRESSION: ['lz4', 'snappy'], CQL_VERSION: ['3.4.5']})), t: 1.001},
  {dir: 0, bytes: req(1, OPS.STARTUP, strMap({CQL_VERSION: '3.0.0'})), t: 1.002},
  {dir: 1, bytes: res(1, OPS.READY, Buffer.alloc(0)), t: 1.003},
  {dir: 0, bytes: cat(req(1, OPS.QUERY, queryBody('SELECT * FROM ks.t')), req(2, OPS.QUERY, queryBody('USE ks'))), t: 2},
  {dir: 1, bytes: res(2, OPS.RESULT, cat(i32(3), str('ks'))), t: 2.1},
  {dir: 1, bytes: cat(res(-1, OPS.EVENT, statusEvent('DOWN', [10, 0, 0, 7], 9042)), res(1, OPS.RESULT, rowsResult('ks', 't', ['a', 'b'], [['x', 'y'], ['z', 'w']]))), t: 2.2},
  {dir: 0, bytes: req(3, OPS.PREPARE, lstrBody('SELECT a FROM t WHERE b = ?')), t: 3},
  {dir: 1, bytes: res(3, OPS.RESULT, preparedResult(ID, 'ks', 't', 'b')), t: 3.1},
  {dir: 0, bytes: req(4, OPS.EXECUTE, executeBody(ID, ['y'])), t: 4},
  {dir: 1, bytes: res(4, OPS.RESULT, voidResult()), t: 4.1},
  {dir: 0, bytes: req(5, OPS.QUERY, queryBody('SELEC oops')), t: 5},
  {dir: 1, bytes: res(5, OPS.ERROR, errorBody(0x2000, "line 1:0 no viable alternative at input 'SELEC'")), t: 5.1},
  {dir: 0, bytes: req(6, OPS.QUERY, queryBody('INSERT INTO t (a) VALUES (1)')), t: 6},
  {dir: 1, bytes: res(6, OPS.ERROR, errorBody(0x1100, 'timeout', cat(u16(1), i32(0), i32(1), str('SIMPLE')))), t: 6.1},
  {dir: 0, bytes: req(7, OPS.QUERY, queryBody('CREATE TABLE t2 (a int PRIMARY KEY)')), t: 7},
  {dir: 1, bytes: res(7, OPS.RESULT, schemaChangeResult('CREATED', 'TABLE', 'ks', 't2')), t: 7.1},
  {dir: 0, bytes: req(8, OPS.QUERY, queryBody('SELECT now() FROM system.local')), t: 8},
]

function lstrBody(q: string): Buffer {
  return cat(i32(Buffer.byteLength(q)), Buffer.from(q))
}

function run(steps: Step[], cuts?: (n: number) => number[], options: Record<string, unknown> = {}) {
  const c = collector({}, options)
  drive(protocol.tcp!.create(fakeConn('tcp', 9042), c.ctx), steps, cuts)
  return c
}

// biome-ignore lint/suspicious/noExplicitAny: the cassandra object is free-form nested JSON
const cas = (t: {fields: Record<string, unknown>}) => t.fields.cassandra as Record<string, any>

describe('cassandra', () => {
  it('pairs by stream id (not FIFO), reports pushes, results and errors', () => {
    const {out} = run(session)
    const keys = out.map((t) => `${t.method} ${cas(t).request?.headers.stream ?? '-'} ${cas(t).response?.headers.op ?? '-'} ${t.status}`)
    expect(keys).toEqual([
      'OPTIONS 0 SUPPORTED OK',
      'STARTUP 1 READY OK',
      'QUERY 2 RESULT OK',
      'EVENT - EVENT OK',
      'QUERY 1 RESULT OK',
      'PREPARE 3 RESULT OK',
      'EXECUTE 4 RESULT OK',
      'QUERY 5 ERROR Error',
      'QUERY 6 ERROR Error',
      'QUERY 7 RESULT OK',
      'QUERY 8 - Error',
    ])
    expect(cas(out[0]).response.supported).toEqual({COMPRESSION: ['lz4', 'snappy'], CQL_VERSION: ['3.4.5']})
    expect(cas(out[2]).response.result).toEqual({type: 'setKeyspace', keyspace: 'ks'})
    expect(cas(out[3])).toMatchObject({no_request: true, response: {event: {type: 'STATUS_CHANGE', change: 'DOWN', host: '10.0.0.7', port: 9042}}})
    expect(out[3].sentByServer).toBe(true)
    expect(cas(out[4]).request.query).toBe('SELECT * FROM ks.t')
    expect(cas(out[4]).response.result).toEqual({type: 'rows', rows: {meta: {flags: 'GlobalTableSpec', col_count: 2, keyspace: 'ks', table: 't'}, num_rows: 2}})
    expect(cas(out[5]).response.result.prepared).toMatchObject({prepared_id: '0123456789abcdef', req_meta: {col_count: 1, pkey_columns: [0]}})
    expect(out[6].query).toBe('SELECT a FROM t WHERE b = ?')
    expect(cas(out[7]).response.error).toEqual({code: 0x2000, msg: "line 1:0 no viable alternative at input 'SELEC'", type: 'errSyntax'})
    expect(cas(out[8]).response.error.details).toEqual({read_consistency: 'ONE', received: 0, blockfor: 1, write_type: 'SIMPLE'})
    expect(cas(out[9]).response.result.schema_change).toEqual({change: 'CREATED', target: 'TABLE', keyspace: 'ks', object: 't2', table: 't2'})
    expect(out[10].anomalies).toEqual(['cassandra.no_response'])
    expect(out[0].requestBytes).toBe(9)
    expect(cas(out[1]).request.headers).toEqual({version: '4', flags: 'Default', stream: 1, op: 'STARTUP', length: 22})
  })

  it('gives identical transactions when split at every byte offset', () => {
    const whole = comparable(run(session).out)
    const max = Math.max(...session.map((s) => s.bytes.length))
    for (let cut = 1; cut < max; cut++) {
      expect(comparable(run(session, (n) => (cut < n ? [cut] : [])).out), `cut at ${cut}`).toEqual(whole)
    }
    expect(comparable(run(session, (n) => Array.from({length: n - 1}, (_, i) => i + 1)).out)).toEqual(whole)
  })

  it('applies ignored_ops and the send_* options', () => {
    const {out} = run(session, undefined, {ignored_ops: ['OPTIONS', 'startup'], send_request_header: false, send_response: false})
    expect(out.map((t) => t.method)).toEqual(['QUERY', 'EVENT', 'QUERY', 'PREPARE', 'EXECUTE', 'QUERY', 'QUERY', 'QUERY', 'QUERY'])
    expect(cas(out[0])).toEqual({request: {query: 'USE ks'}})
  })

  it('a request on a stream id still pending ends the older one; a response with no request is Error', () => {
    const {out} = run([
      {dir: 0, bytes: req(9, OPS.QUERY, queryBody('a')), t: 1},
      {dir: 0, bytes: req(9, OPS.QUERY, queryBody('b')), t: 2},
      {dir: 1, bytes: res(9, OPS.RESULT, voidResult()), t: 3},
      {dir: 1, bytes: res(10, OPS.RESULT, voidResult()), t: 4},
    ])
    expect(out.map((t) => `${t.query ?? '-'} ${t.status} ${t.anomalies?.join(',') ?? ''}`)).toEqual(['a Error cassandra.no_response', 'b OK ', '- Error cassandra.unmatched_response'])
  })

  for (const algo of ['lz4', 'snappy'] as const) {
    it(`decompresses ${algo} bodies negotiated in STARTUP, at every split`, () => {
      const z = (b: Buffer) => (algo === 'lz4' ? lz4FrameBody(b) : snappyCompress(b))
      const rows = rowsResult('ks', 'songs', ['title', 'artist'], Array.from({length: 20}, (_, i) => [`song ${i % 3}`, 'the same artist']))
      const steps: Step[] = [
        {dir: 0, bytes: req(0, OPS.STARTUP, strMap({CQL_VERSION: '3.0.0', COMPRESSION: algo})), t: 1},
        {dir: 1, bytes: res(0, OPS.READY, z(Buffer.alloc(0)), 1), t: 1.1},
        {dir: 0, bytes: req(1, OPS.QUERY, z(queryBody('SELECT * FROM ks.songs')), 1), t: 2},
        {dir: 1, bytes: res(1, OPS.RESULT, z(rows), 1), t: 2.1},
      ]
      const out = run(steps).out
      expect(out.map((t) => t.notes)).toEqual([undefined, undefined])
      expect(cas(out[1]).request.query).toBe('SELECT * FROM ks.songs')
      expect(cas(out[1]).response.result.rows.num_rows).toBe(20)
      expect(cas(out[1]).response.headers.flags).toBe('Compress')
      expect(steps[3].bytes.length).toBeLessThan(rows.length) // the compressor really compressed
      const whole = comparable(out)
      for (let cut = 1; cut < steps[3].bytes.length; cut += 3) expect(comparable(run(steps, (n) => (cut < n ? [cut] : [])).out)).toEqual(whole)
      // unknown algorithm (no STARTUP, no compressor option): headers only, with a note
      const bare = run(steps.slice(2)).out
      expect(bare[0].anomalies).toEqual(['cassandra.compressed', 'cassandra.compressed'])
      expect(cas(run(steps.slice(2), undefined, {compressor: algo}).out[0]).response.result.rows.num_rows).toBe(20)
    })
  }

  it('a body that does not decompress is a note, not a crash', () => {
    const steps: Step[] = [
      {dir: 0, bytes: req(0, OPS.STARTUP, strMap({COMPRESSION: 'lz4'})), t: 1},
      {dir: 1, bytes: res(0, OPS.READY, Buffer.alloc(0)), t: 1.1},
      {dir: 0, bytes: req(1, OPS.QUERY, cat(i32(1000), Buffer.from([0xf0, 1, 2])), 1), t: 2},
      {dir: 1, bytes: res(1, OPS.RESULT, cat(i32(1 << 30), Buffer.from([0x10, 1])), 1), t: 2.1},
    ]
    const out = run(steps).out
    expect(out[1].anomalies).toEqual(['cassandra.decompress_failed', 'cassandra.decompress_failed'])
    expect(out[1].notes?.[1]).toContain('exceeds the bound')
    expect(cas(out[1]).response.headers.op).toBe('RESULT')
  })

  for (const lz4 of [false, true]) {
    it(`switches to v5 framing after STARTUP/READY${lz4 ? ' with LZ4' : ''} (multi-envelope and multi-frame payloads, CRC checks)`, () => {
      const big = queryBody(`SELECT * FROM t WHERE a IN (${Array.from({length: 70000}, (_, i) => i % 10).join(',')})`, 5)
      const bigEnv = req(3, OPS.QUERY, big, 0, 5)
      const parts = [bigEnv.subarray(0, 131071), bigEnv.subarray(131071)]
      expect(parts[1].length).toBeGreaterThan(0)
      const steps: Step[] = [
        {dir: 0, bytes: req(0, OPS.STARTUP, strMap({CQL_VERSION: '3.0.0', ...(lz4 ? {COMPRESSION: 'lz4'} : {})}), 0, 5), t: 1},
        {dir: 1, bytes: res(0, OPS.READY, Buffer.alloc(0), 0, 5), t: 1.1},
        {dir: 0, bytes: v5Frame(cat(req(1, OPS.QUERY, queryBody('SELECT 1', 5), 0, 5), req(2, OPS.QUERY, queryBody('SELECT 2', 5), 0, 5)), true, lz4), t: 2},
        {dir: 1, bytes: v5Frame(cat(res(2, OPS.RESULT, voidResult(), 0, 5), res(1, OPS.RESULT, voidResult(), 0, 5)), true, lz4), t: 2.1},
        {dir: 0, bytes: cat(v5Frame(parts[0], false, lz4), v5Frame(parts[1], false, lz4)), t: 3},
        {dir: 1, bytes: v5Frame(res(3, OPS.RESULT, voidResult(), 0, 5), true, lz4), t: 3.1},
      ]
      const out = run(steps).out
      expect(out.map((t) => `${t.query?.slice(0, 8)} ${t.status} ${t.notes ?? ''}`)).toEqual(['undefined OK ', 'SELECT 2 OK ', 'SELECT 1 OK ', 'SELECT * OK '])
      expect(cas(out[3]).request.headers.length).toBe(big.length)
      const whole = comparable(out)
      for (const cut of [1, 5, 6, 7, 8, 9, 20, 40, 131000, 131080]) expect(comparable(run(steps, (n) => (cut < n ? [cut] : [])).out), `cut ${cut}`).toEqual(whole)
      // a corrupted payload byte: CRC32 mismatch, payload dropped, the request gets no response
      const bad = steps.map((s) => ({...s, bytes: Buffer.from(s.bytes)}))
      bad[3].bytes[lz4 ? 9 : 7] ^= 0xff
      const o2 = run(bad).out
      expect(o2.flatMap((t) => t.anomalies ?? [])).toContain('cassandra.bad_crc')
      expect(o2.filter((t) => t.status === 'Error').length).toBe(2)
    })
  }

  it('survives random and corrupted input without throwing', () => {
    let seed = 7
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    const base = session.map((s) => s.bytes)
    for (let k = 0; k < 200; k++) {
      const steps = base.map((b, i) => {
        const c = Buffer.from(b)
        for (let j = 0; j < 3; j++) c[Math.floor(rnd() * c.length)] = Math.floor(rnd() * 256)
        return {dir: session[i].dir, bytes: c, t: i}
      })
      expect(() => run(steps)).not.toThrow()
    }
  })

  it('detects OPTIONS / STARTUP on other ports and nothing else', () => {
    expect(detect(req(0, OPS.OPTIONS, Buffer.alloc(0)), 0)).toBe(true)
    expect(detect(req(1, OPS.STARTUP, strMap({CQL_VERSION: '3.0.0'})), 0)).toBe(true)
    expect(detect(req(1, OPS.STARTUP, strMap({CQL_VERSION: '3.0.0'})), 1)).toBe(false)
    expect(detect(req(1, OPS.QUERY, queryBody('x')), 0)).toBe(false)
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe(false)
    expect(detect(req(0, OPS.OPTIONS, Buffer.from([1])), 0)).toBe(false)
  })
})

describe('cassandra decompressors', () => {
  const samples = [Buffer.alloc(0), Buffer.from('a'), Buffer.from('abcabcabcabcabcabcabcabcabcabc'), Buffer.from('x'.repeat(70000)), Buffer.from(Array.from({length: 5000}, (_, i) => (i * 7919) % 251))]
  it('round-trip the test compressors (literals, overlapping copies, long lengths)', () => {
    for (const s of samples) {
      expect(lz4Body(lz4FrameBody(s), 0, lz4FrameBody(s).length, 1 << 20)).toEqual(s)
      const z = snappyCompress(s)
      expect(snappyBody(z, 0, z.length, 1 << 20)).toEqual(s)
    }
  })
  it('decode hand-made blocks from the format descriptions', () => {
    // LZ4: token 0x1f = 1 literal 'a', match len 15+4+0=19 at offset 1, then 0x10 literal 'b'
    expect(lz4Block(Buffer.from([0x1f, 0x61, 1, 0, 0, 0x10, 0x62]), 0, 7, 21, 100)).toEqual(Buffer.from(`${'a'.repeat(20)}b`))
    // Snappy: length 9, literal "ab", copy-1 len 7 offset 2
    expect(snappyBody(Buffer.from([9, 0x04, 0x61, 0x62, 0x01 | (3 << 2), 2]), 0, 6, 100)).toEqual(Buffer.from('ababababa'))
  })
  it('refuse malformed or oversized input with a reason', () => {
    expect(lz4Block(Buffer.from([0x0f, 5, 0]), 0, 3, 10, 100)).toMatch(/offset/)
    expect(lz4Block(Buffer.from([0xf0]), 0, 1, 10, 100)).toMatch(/truncated/)
    expect(lz4Block(lz4Compress(Buffer.from('hello')), 0, 6, 200, 100)).toMatch(/exceeds the bound/)
    expect(snappyBody(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), 0, 5, 1000)).toMatch(/exceeds the bound/)
    expect(snappyBody(Buffer.from([4, 0x01, 9]), 0, 3, 100)).toMatch(/offset/)
    expect(snappyBody(Buffer.from([5, 0x00, 0x61]), 0, 3, 100)).toMatch(/declared/)
  })
  it('CRC24 check value', () => {
    // the v5 spec's parameters applied to the empty input give the initial value
    expect(crc24(Buffer.alloc(0), 0, 0)).toBe(0x875060)
  })
})
