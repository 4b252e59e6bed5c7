import {describe, expect, it} from 'vitest'
import {protocol} from '../../../src/protocols/mysql/index.js'
import {executeParams, type PreparedStatement, Reader} from '../../../src/protocols/mysql/parser.js'
import {run, type Seg} from '../../helpers/segment-harness.js'

const pkt = (seq: number, payload: Buffer): Buffer => {
  const h = Buffer.alloc(4)
  h.writeUIntLE(payload.length, 0, 3)
  h[3] = seq
  return Buffer.concat([h, payload])
}
const u16 = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff])
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return b
}
const lstr = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])

/** COM_STMT_EXECUTE of statement `id`: flags 0, one iteration, the bitmap, then bound types or not. */
const execute = (id: number, bitmap: number[], types: number[] | null, values: Buffer[]) =>
  Buffer.concat([
    Buffer.from([0x17]),
    u32(id),
    Buffer.from([0]),
    u32(1),
    Buffer.from(bitmap),
    Buffer.from([types ? 1 : 0]),
    ...(types ?? []).map(u16),
    ...values,
  ])

const i64 = (v: bigint, unsigned: boolean) => {
  const b = Buffer.alloc(8)
  if (unsigned) b.writeBigUInt64LE(v)
  else b.writeBigInt64LE(v)
  return b
}
const f32 = (v: number) => {
  const b = Buffer.alloc(4)
  b.writeFloatLE(v)
  return b
}
const f64 = (v: number) => {
  const b = Buffer.alloc(8)
  b.writeDoubleLE(v)
  return b
}

const U = 0x8000 // unsigned flag (0x80 in the type's second byte)
// 10 parameters: TINY -1, TINY unsigned 255, SHORT -2, LONG unsigned 4294967295, LONGLONG min,
// LONGLONG unsigned max, NULL by bitmap (VARCHAR), FLOAT 1.5, DOUBLE 0.1, DATETIME, then STRING
const TYPES = [0x01, 0x01 | U, 0x02, 0x03 | U, 0x08, 0x08 | U, 0x0f, 0x04, 0x05, 0x0c, 0xfe]
const VALUES = [
  Buffer.from([0xff]),
  Buffer.from([0xff]),
  u16(0xfffe),
  u32(0xffffffff),
  i64(-(2n ** 63n), false),
  i64(2n ** 64n - 1n, true),
  // parameter 6 is NULL: no value
  f32(1.5),
  f64(0.1),
  Buffer.from([7, 0xe1, 0x07, 7, 28, 23, 59, 5]),
  lstr('héllo'),
]
const WANT = ['-1', '255', '-2', '4294967295', '-9223372036854775808', '18446744073709551615', 'NULL', '1.5', '0.1', '2017/7/28 23:59:5', 'héllo']
const BITMAP = [1 << 6, 0]

const stmt = (): PreparedStatement => ({sql: 'q', numParams: TYPES.length})

describe('mysql COM_STMT_EXECUTE parameters', () => {
  const r = new Reader(Buffer.alloc(0))

  it('decodes several types, unsigned flags and NULL bitmap bits', () => {
    const st = stmt()
    const out: string[] = []
    expect(executeParams(execute(1, BITMAP, TYPES, VALUES), r, st, false, 1000, out)).toBeUndefined()
    expect(out).toEqual(WANT)
    expect(st.types).toEqual(TYPES)
  })

  it('uses the types of an earlier execute when the packet binds none', () => {
    const st = stmt()
    executeParams(execute(1, BITMAP, TYPES, VALUES), r, st, false, 1000, [])
    const out: string[] = []
    expect(executeParams(execute(1, BITMAP, null, VALUES), r, st, false, 1000, out)).toBeUndefined()
    expect(out).toEqual(WANT)
    // never bound: nothing, and not malformed
    const fresh: string[] = []
    expect(executeParams(execute(1, BITMAP, null, VALUES), r, stmt(), false, 1000, fresh)).toBeUndefined()
    expect(fresh).toEqual([])
  })

  it('renders MYSQL_TYPE_NULL, DATE, TIME and cuts values at the character budget shared by all', () => {
    const st: PreparedStatement = {sql: 'q', numParams: 5}
    const out: string[] = []
    const vals = [Buffer.from([4, 0xe1, 0x07, 1, 2]), Buffer.from([8, 1, 1, 0, 0, 0, 2, 3, 4]), lstr('abcdefgh'), lstr('xyz')]
    expect(executeParams(execute(2, [0], [0x06, 0x0a, 0x0b, 0xfd, 0xfc], vals), r, st, false, 30, out)).toBeUndefined()
    expect(out).toEqual(['NULL', '2017/1/2 ::', '-26:03:04', 'abcdef', ''])
  })

  it('never throws on a payload cut at any byte: values before the cut, then a reason', () => {
    const full = execute(1, BITMAP, TYPES, VALUES)
    for (let n = 0; n < full.length; n++) {
      const out: string[] = []
      const err = executeParams(full.subarray(0, n), r, stmt(), false, 1000, out)
      expect(typeof err, `cut at ${n}`).toBe('string')
      expect(WANT.slice(0, out.length), `cut at ${n}`).toEqual(out)
      expect(out.length).toBeLessThan(WANT.length)
    }
  })

  it('reports an unknown type and keeps at most num_params values', () => {
    const out: string[] = []
    expect(executeParams(execute(1, [0], [0x01, 0x42], [Buffer.from([5, 6])]), r, {sql: 'q', numParams: 2}, false, 100, out)).toBe('unknown parameter type 0x42')
    expect(out).toEqual(['5'])
  })

  it('reads a MySQL 8 query-attributes execute (parameter count, named types)', () => {
    const p = Buffer.concat([Buffer.from([0x17]), u32(3), Buffer.from([0]), u32(1), Buffer.from([2, 0, 1]), u16(0x03), lstr(''), u16(0xfe), lstr('attr'), u32(42), lstr('v')])
    const out: string[] = []
    expect(executeParams(p, r, {sql: 'q', numParams: 1}, true, 100, out)).toBeUndefined()
    expect(out).toEqual(['42'])
  })
})

describe('mysql params in events', () => {
  const greeting = pkt(0, Buffer.concat([Buffer.from([10]), Buffer.from('8.0.36\0'), u32(1), Buffer.alloc(9), u16(0xf7ff), Buffer.from([0x21]), u16(2), u16(0x0008), Buffer.from([21]), Buffer.alloc(10), Buffer.alloc(13), Buffer.from('caching_sha2_password\0')]))
  const hr = pkt(1, Buffer.concat([u32(0x200 | 0x8000 | 0x80000), u32(0x1000000), Buffer.from([0x21]), Buffer.alloc(23), Buffer.from('u\0'), Buffer.from([0]), Buffer.from('caching_sha2_password\0')]))
  const ok = (seq: number) => pkt(seq, Buffer.from([0, 0, 0, 2, 0, 0, 0]))
  const eof = (seq: number) => pkt(seq, Buffer.from([0xfe, 0, 0, 2, 0]))
  const coldef = (seq: number) => pkt(seq, Buffer.concat(['def', '', '', '', '?', ''].map(lstr).concat([Buffer.from([0x0c, 0x21, 0, 0, 0, 0, 0xfd, 0, 0, 0, 0, 0])])))
  const segs: Seg[] = [
    {dir: 1, bytes: greeting},
    {dir: 0, bytes: hr},
    {dir: 1, bytes: ok(2)},
    {dir: 0, bytes: pkt(0, Buffer.concat([Buffer.from([0x16]), Buffer.from('INSERT INTO t VALUES (?, ?)')]))},
    {dir: 1, bytes: Buffer.concat([pkt(1, Buffer.concat([Buffer.from([0]), u32(9), u16(0), u16(2), Buffer.from([0, 0, 0])])), coldef(2), coldef(3), eof(4)])},
    {dir: 0, bytes: pkt(0, execute(9, [0b10], [0x08, 0xfd], [i64(12n, false)]))},
    {dir: 1, bytes: ok(1)},
    {dir: 0, bytes: pkt(0, execute(9, [0], null, [i64(13n, false), lstr('x')]))},
    {dir: 1, bytes: ok(1)},
  ]
  const {out, stats} = run(protocol, segs)

  it('puts the values of each execute in params, types kept from the first', () => {
    expect(out.map((t) => t.fields.params)).toEqual([undefined, ['12', 'NULL'], ['13', 'x']])
    expect(stats.malformed.size).toBe(0)
  })
})
