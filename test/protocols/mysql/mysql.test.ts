import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {detect, protocol} from '../../../src/protocols/mysql/index.js'
import {MysqlFramer} from '../../../src/protocols/mysql/parser.js'
import {plain, run, runInner, type Seg, splits} from '../../helpers/segment-harness.js'

// --- builders (MySQL Client/Server Protocol) ---------------------------------------------------
const pkt = (seq: number, payload: Buffer): Buffer => {
  const h = Buffer.alloc(4)
  h.writeUIntLE(payload.length, 0, 3)
  h[3] = seq
  return Buffer.concat([h, payload])
}
const lenenc = (n: number): Buffer => (n < 251 ? Buffer.from([n]) : Buffer.from([0xfc, n & 0xff, n >> 8]))
const lstr = (s: string): Buffer => Buffer.concat([lenenc(Buffer.byteLength(s)), Buffer.from(s)])
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
const CAPS = 0x200 | 0x8000 | 0x8 | 0x80000 // PROTOCOL_41, SECURE_CONNECTION, CONNECT_WITH_DB, PLUGIN_AUTH
/** `ext`: MariaDB extended capabilities (reserved bytes 6..9 of the greeting, CLIENT_MYSQL unset). */
const greeting = (caps = CAPS, ext = 0): Buffer => {
  const b = Buffer.concat([
    Buffer.from([10]),
    Buffer.from('8.0.36\0'),
    Buffer.from([1, 0, 0, 0]),
    Buffer.alloc(8, 0x41),
    Buffer.from([0]),
    Buffer.from([caps & 0xff, (caps >> 8) & 0xff, 0x21, 2, 0, (caps >> 16) & 0xff, (caps >>> 24) & 0xff, 21]),
    Buffer.alloc(6),
    u32(ext),
    Buffer.alloc(13, 0x42),
    Buffer.from('mysql_native_password\0'),
  ])
  return pkt(0, b)
}
/** `ext`: MariaDB extended capabilities (last 4 of the 23 filler bytes). */
const handshakeResponse = (user: string, db: string | null, caps = CAPS, ext = 0): Buffer => {
  const c = Buffer.alloc(4)
  c.writeUInt32LE((db ? caps : caps & ~0x8) >>> 0)
  return pkt(
    1,
    Buffer.concat([c, Buffer.from([0, 0, 0, 1, 33]), Buffer.alloc(19), u32(ext), Buffer.from(`${user}\0`), Buffer.from([20]), Buffer.alloc(20, 7), db ? Buffer.from(`${db}\0`) : Buffer.alloc(0)]),
  )
}
const ok = (seq: number, affected = 0, insertId = 0, status = 2): Buffer =>
  pkt(seq, Buffer.concat([Buffer.from([0]), lenenc(affected), lenenc(insertId), Buffer.from([status & 0xff, status >> 8, 0, 0])]))
const err = (seq: number, code: number, state: string, msg: string): Buffer =>
  pkt(seq, Buffer.concat([Buffer.from([0xff, code & 0xff, code >> 8]), Buffer.from(`#${state}${msg}`)]))
const eof = (seq: number, status = 2): Buffer => pkt(seq, Buffer.from([0xfe, 0, 0, status & 0xff, status >> 8]))
const coldef = (seq: number, schema: string, table: string, name: string): Buffer =>
  pkt(seq, Buffer.concat([lstr('def'), lstr(schema), lstr(table), lstr(table), lstr(name), lstr(name), Buffer.from([0x0c, 33, 0, 0xff, 0, 0, 0, 0xfd, 0, 0, 0, 0, 0])]))
const row = (seq: number, ...vals: string[]): Buffer => pkt(seq, Buffer.concat(vals.map(lstr)))
const query = (sql: string): Buffer => pkt(0, Buffer.concat([Buffer.from([3]), Buffer.from(sql)]))
const cmd = (c: number, rest: Buffer = Buffer.alloc(0)): Buffer => pkt(0, Buffer.concat([Buffer.from([c]), rest]))

/** A result set: column count, defs, EOF, rows, EOF (classic, no DEPRECATE_EOF). */
const resultSet = (cols: [string, string, string][], rows: string[][], last = 2): Buffer => {
  let seq = 1
  const parts = [pkt(seq++, lenenc(cols.length))]
  for (const c of cols) parts.push(coldef(seq++, ...c))
  parts.push(eof(seq++))
  for (const r of rows) parts.push(row(seq++, ...r))
  parts.push(eof(seq++, last))
  return Buffer.concat(parts)
}

const login: Seg[] = [
  {dir: 1, bytes: greeting()},
  {dir: 0, bytes: handshakeResponse('alice', 'shop')},
  {dir: 1, bytes: ok(2)},
]

const conversation: Seg[] = [
  ...login,
  {dir: 0, bytes: query("SELECT id, name FROM users WHERE id IN (1, 2, 3) AND name = 'x'")},
  {dir: 1, bytes: resultSet([['shop', 'users', 'id'], ['shop', 'users', 'name']], [['1', 'a'], ['2', 'b'], ['3', 'c']])},
  {dir: 0, bytes: query('UPDATE users SET name = "y" WHERE id = 2')},
  {dir: 1, bytes: ok(1, 5, 0)},
  {dir: 0, bytes: query('select * from nope')},
  {dir: 1, bytes: err(1, 1146, '42S02', "Table 'shop.nope' doesn't exist")},
  {dir: 0, bytes: cmd(0x02, Buffer.from('other'))},
  {dir: 1, bytes: ok(1)},
  {dir: 0, bytes: cmd(0x16, Buffer.from('SELECT name FROM users WHERE id = ?'))},
  {
    dir: 1,
    bytes: Buffer.concat([
      pkt(1, Buffer.concat([Buffer.from([0]), u32(7), Buffer.from([1, 0, 1, 0, 0, 0, 0])])),
      coldef(2, '', '', '?'),
      eof(3),
      coldef(4, 'shop', 'users', 'name'),
      eof(5),
    ]),
  },
  {dir: 0, bytes: cmd(0x17, Buffer.concat([u32(7), Buffer.from([0, 1, 0, 0, 0, 0, 1, 3, 0, 2, 0, 0, 0])]))},
  {dir: 1, bytes: resultSet([['shop', 'users', 'name']], [['bob']])},
  {dir: 0, bytes: cmd(0x19, u32(7))},
  {dir: 0, bytes: cmd(0x0e)},
  {dir: 1, bytes: ok(1)},
  {dir: 0, bytes: cmd(0x01)},
]

describe('mysql conversation', () => {
  const {out, stats} = run(protocol, conversation)

  it('emits one transaction per command with Packetbeat fields', () => {
    expect(out.map((t) => [t.method, t.status])).toEqual([
      ['SELECT', 'OK'],
      ['UPDATE', 'OK'],
      ['SELECT', 'Error'],
      ['USE', 'OK'],
      ['SELECT', 'OK'],
      ['SELECT', 'OK'],
      ['STMT_CLOSE', 'OK'],
      ['PING', 'OK'],
      ['QUIT', 'OK'],
    ])
    const [sel, upd, bad, use, prep, exec] = out as [typeof out[0], typeof out[0], typeof out[0], typeof out[0], typeof out[0], typeof out[0]]
    expect(sel.fields.mysql).toEqual({affected_rows: 0, insert_id: 0, num_fields: 2, num_rows: 3})
    expect(sel.path).toBe('shop.users')
    expect(sel.query).toBe("SELECT id, name FROM users WHERE id IN (1, 2, 3) AND name = 'x'")
    expect((sel.fields.pbx as Record<string, unknown>).query_fingerprint).toBe('SELECT id, name FROM users WHERE id IN (?+) AND name = ?')
    expect((sel.fields.pbx as {mysql: unknown}).mysql).toMatchObject({user: 'alice', database: 'shop', server_version: '8.0.36', command: 'COM_QUERY'})
    expect(upd.fields.mysql).toEqual({affected_rows: 5, insert_id: 0})
    expect(bad.fields.mysql).toEqual({error_code: 1146, error_message: "42S02: Table 'shop.nope' doesn't exist"})
    expect((bad.fields.pbx as {mysql: {sql_state: string}}).mysql.sql_state).toBe('42S02')
    expect(use.query).toBe('USE other')
    expect((prep.fields.pbx as {mysql: {statement_id: number}}).mysql.statement_id).toBe(7)
    expect(prep.fields.mysql).toEqual({affected_rows: 0, insert_id: 0, num_fields: 1})
    // EXECUTE carries the prepared statement's text
    expect(exec.query).toBe('SELECT name FROM users WHERE id = ?')
    expect(exec.fields.mysql).toEqual({affected_rows: 0, insert_id: 0, num_fields: 1, num_rows: 1})
    expect(exec.fields.params).toEqual(['2'])
    expect((exec.fields.pbx as {mysql: {database: string}}).mysql.database).toBe('other')
    expect(stats.unmatchedRequests).toBe(0)
    expect(stats.malformed.size).toBe(0)
  })

  it('counts request and response bytes (headers included) and times', () => {
    const sel = out[0] as (typeof out)[0]
    expect(sel.requestBytes).toBe((conversation[3] as Seg).bytes.length)
    expect(sel.responseBytes).toBe((conversation[4] as Seg).bytes.length)
    expect([sel.startFrame, sel.endFrame]).toEqual([4, 5])
  })

  it('gives identical transactions however the segments are split', () => {
    const want = plain(out)
    for (const [name, split] of splits(conversation)) {
      expect(plain(run(protocol, conversation, split).out), name).toEqual(want)
    }
  })
})

describe('mysql edge cases', () => {
  it('reports a failed login as an Error LOGIN transaction', () => {
    const {out} = run(protocol, [login[0] as Seg, login[1] as Seg, {dir: 1, bytes: err(2, 1045, '28000', 'Access denied')}])
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({method: 'LOGIN', status: 'Error', fields: {mysql: {error_code: 1045}}})
  })

  it('hands every byte after the SSL Request packet to TLS, however the segments are split', () => {
    const c = Buffer.alloc(32)
    c.writeUInt32LE(CAPS | 0x800)
    const ch = Buffer.from([0x16, 3, 1, 0, 5, 1, 0, 0, 1, 9])
    const sh = Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0])
    const apart: Seg[] = [login[0] as Seg, {dir: 0, bytes: pkt(1, c)}, {dir: 0, bytes: ch}, {dir: 1, bytes: sh}]
    const glued: Seg[] = [login[0] as Seg, {dir: 0, bytes: Buffer.concat([pkt(1, c), ch])}, {dir: 1, bytes: sh}]
    for (const segs of [apart, glued]) {
      for (const [name, split] of splits(segs)) {
        const {out, inner} = runInner(protocol, segs, split)
        expect(out, name).toEqual([])
        expect(inner.opened, name).toEqual([{self: 'mysql', prefer: 'tls'}])
        expect(inner.bytes[0].equals(ch), name).toBe(true)
        expect(inner.bytes[1].equals(sh), name).toBe(true)
      }
    }
  })

  it('without a dispatch stage (no openInner), stops at an SSLRequest with a note', () => {
    const c = Buffer.alloc(32)
    c.writeUInt32LE(CAPS | 0x800)
    const {out, stats} = run(protocol, [login[0] as Seg, {dir: 0, bytes: pkt(1, c)}, {dir: 0, bytes: Buffer.from([0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5])}])
    expect(out.map((t) => t.method)).toEqual(['TLS'])
    expect(out[0]?.notes?.[0]).toMatch(/TLS/)
    expect(stats.malformed.get('mysql: TLS, not parsed')).toBe(1)
  })

  it('sums rows over multi-results and uses OK-with-0xfe under CLIENT_DEPRECATE_EOF', () => {
    const caps = CAPS | 0x1000000
    const okfe = (seq: number, status: number) => pkt(seq, Buffer.from([0xfe, 0, 0, status & 0xff, status >> 8, 0, 0]))
    const resp = Buffer.concat([
      pkt(1, lenenc(1)),
      coldef(2, 'd', 't', 'a'),
      row(3, '1'),
      row(4, '2'),
      okfe(5, 0x0008 | 2),
      pkt(6, lenenc(1)),
      coldef(7, 'd', 'u', 'b'),
      row(8, '3'),
      okfe(9, 2),
    ])
    const {out} = run(protocol, [
      {dir: 1, bytes: greeting(caps)},
      {dir: 0, bytes: handshakeResponse('u', null, caps)},
      {dir: 1, bytes: ok(2)},
      {dir: 0, bytes: query('CALL p()')},
      {dir: 1, bytes: resp},
    ])
    expect(out).toHaveLength(1)
    expect(out[0]?.fields.mysql).toEqual({affected_rows: 0, insert_id: 0, num_fields: 1, num_rows: 3})
    expect(out[0]?.path).toBe('d.t, d.u')
    expect(out[0]?.fields.pbx).toMatchObject({mysql: {result_sets: 2}})
  })

  describe('MariaDB MARIADB_CLIENT_CACHE_METADATA (column count + "metadata follows" byte)', () => {
    const CACHE = 1 << 4 // bit 36 of the 64-bit capabilities = bit 4 of the extended 32
    // binary protocol row: 0x00 header, NULL bitmap ((2 + 2 + 7) / 8 = 1 byte), then values
    const brow = (seq: number, id: number, name: string) =>
      pkt(seq, Buffer.concat([Buffer.from([0, 0]), u32(id), Buffer.alloc(4), lstr(name)]))
    const execute = (id: number) => cmd(0x17, Buffer.concat([u32(id), Buffer.from([0, 1, 0, 0, 0])]))
    const count = (n: number, follows: number | null) =>
      pkt(1, follows === null ? lenenc(n) : Buffer.concat([lenenc(n), Buffer.from([follows])]))
    const convo = (deprecateEof: boolean, ext: number): Seg[] => {
      const caps = deprecateEof ? CAPS | 0x1000000 : CAPS
      const follows = (ext & CACHE) !== 0
      const end = (seq: number) =>
        deprecateEof ? pkt(seq, Buffer.from([0xfe, 0, 0, 2, 0, 0, 0])) : eof(seq)
      const withMeta = Buffer.concat([
        count(2, follows ? 1 : null),
        coldef(2, 'shop', 'items', 'id'),
        coldef(3, 'shop', 'items', 'name'),
        ...(deprecateEof ? [] : [eof(4)]),
        brow(deprecateEof ? 4 : 5, 1, 'apple'),
        brow(deprecateEof ? 5 : 6, 2, 'pear'),
        end(deprecateEof ? 6 : 7),
      ])
      // metadata cached by the client: no column definitions (only when the capability is on)
      const noMeta = follows
        ? Buffer.concat([
            count(2, 0),
            ...(deprecateEof ? [] : [eof(2)]),
            brow(deprecateEof ? 2 : 3, 3, 'fig'),
            end(deprecateEof ? 3 : 4),
          ])
        : withMeta
      return [
        {dir: 1, bytes: greeting(caps, ext)},
        {dir: 0, bytes: handshakeResponse('u', 'shop', caps, ext)},
        {dir: 1, bytes: ok(2)},
        {dir: 0, bytes: cmd(0x16, Buffer.from('SELECT id, name FROM items WHERE id > ?'))},
        {
          dir: 1,
          bytes: Buffer.concat([
            pkt(1, Buffer.concat([Buffer.from([0]), u32(3), Buffer.from([2, 0, 0, 0, 0, 0, 0])])),
            coldef(2, 'shop', 'items', 'id'),
            coldef(3, 'shop', 'items', 'name'),
            ...(deprecateEof ? [] : [eof(4)]),
          ]),
        },
        {dir: 0, bytes: execute(3)},
        {dir: 1, bytes: withMeta},
        {dir: 0, bytes: execute(3)},
        {dir: 1, bytes: noMeta},
        {dir: 0, bytes: cmd(0x0e)},
        {dir: 1, bytes: ok(1)},
      ]
    }
    const cases: [string, boolean, number][] = [
      ['classic EOF', false, CACHE | 0x1d],
      ['CLIENT_DEPRECATE_EOF', true, CACHE],
      ['capability off: no metadata byte', false, 0],
    ]
    for (const [name, deprecateEof, ext] of cases) {
      it(`${name}: counts rows and pairs every later reply`, () => {
        const segs = convo(deprecateEof, ext)
        const {out, stats} = run(protocol, segs)
        expect(stats.unmatchedRequests + stats.unmatchedResponses).toBe(0)
        expect(out.map((t) => [t.method, t.status, t.fields.mysql, t.notes])).toEqual([
          ['SELECT', 'OK', {affected_rows: 0, insert_id: 0, num_fields: 2}, undefined],
          ['SELECT', 'OK', {affected_rows: 0, insert_id: 0, num_fields: 2, num_rows: 2}, undefined],
          ['SELECT', 'OK', {affected_rows: 0, insert_id: 0, num_fields: 2, num_rows: (ext & CACHE) !== 0 ? 1 : 2}, undefined],
          ['PING', 'OK', {affected_rows: 0, insert_id: 0}, undefined],
        ])
        expect(out[1]?.path).toBe('shop.items')
        expect(out.map((t) => t.responseBytes)).toEqual([4, 6, 8, 10].map((i) => (segs[i] as Seg).bytes.length))
        const want = plain(out)
        for (const [label, split] of splits(segs)) expect(plain(run(protocol, segs, split).out), label).toEqual(want)
      })
    }
  })

  it('joins 0xffffff continuation packets and truncates at maxMessageBytes', () => {
    const big = Buffer.alloc(0xffffff + 10, 0x61)
    big[0] = 3
    const p1 = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0]), big.subarray(0, 0xffffff)])
    const p2 = Buffer.concat([Buffer.from([10, 0, 0, 1]), big.subarray(0xffffff)])
    const {out} = run(protocol, [{dir: 0, bytes: p1}, {dir: 0, bytes: p2}, {dir: 1, bytes: ok(2, 1)}], undefined, {maxMessageBytes: 1000})
    expect(out).toHaveLength(1)
    expect(out[0]?.requestBytes).toBe(p1.length + p2.length)
    expect(out[0]?.query).toHaveLength(999)
    expect(out[0]?.notes).toContain('query truncated (limits.maxMessageBytes)')
  })

  it('emits a request without response at end, and a response without request', () => {
    const a = run(protocol, [{dir: 0, bytes: query('SELECT 1')}])
    expect(a.out[0]).toMatchObject({status: 'Error', notes: ['no response']})
    expect(a.stats.unmatchedRequests).toBe(1)
    const b = run(protocol, [{dir: 1, bytes: ok(1)}])
    expect(b.out[0]).toMatchObject({status: 'Error', notes: ['response without request']})
    expect(b.stats.unmatchedResponses).toBe(1)
  })

  it('emits a response cut by a gap with the rows seen, then resynchronises', () => {
    const rs = resultSet([['d', 't', 'a']], [['1'], ['2'], ['3']])
    const {out} = run(protocol, [
      {dir: 0, bytes: query('SELECT a FROM t')},
      {dir: 1, bytes: rs.subarray(0, rs.length - 14)},
      {dir: 1, gap: 100},
      {dir: 1, bytes: Buffer.from([1, 2, 3])},
      {dir: 0, bytes: query('SELECT 2')},
      {dir: 1, bytes: ok(1)},
    ])
    expect(out.map((t) => [t.query, t.status])).toEqual([
      ['SELECT a FROM t', 'OK'],
      ['SELECT 2', 'OK'],
    ])
    expect(out[0]?.fields.mysql).toMatchObject({num_rows: 2})
    expect(out[0]?.notes?.[0]).toMatch(/packet loss/)
  })

  it('detects greetings and query packets', () => {
    expect(detect(greeting(), 1)).toBe(true)
    expect(detect(query('SELECT 1'), 0)).toBe(true)
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe(false)
    expect(detect(Buffer.from([0x16, 3, 1, 0, 0x20]), 0)).toBe(false)
  })

  it('never throws on random bytes in random chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.uint8Array({maxLength: 64})), {maxLength: 30}), (chunks) => {
        const segs = chunks.map(([dir, b]) => ({dir, bytes: Buffer.from(b)}))
        run(protocol, segs, undefined, {maxMessageBytes: 64})
        run(protocol, [...login, ...segs], undefined, {maxMessageBytes: 64})
      }),
      {numRuns: 300},
    )
  })

  it('framer skips row bodies without buffering them', () => {
    const got: number[] = []
    const f = new MysqlFramer(16, {packet: (p, _s, total, tr) => got.push(p.length, total, tr ? 1 : 0)})
    f.skipBodies = true
    const r = row(1, 'x'.repeat(100))
    f.push(r.subarray(0, 50))
    f.push(r.subarray(50))
    expect(got).toEqual([1, 101, 1])
  })
})
