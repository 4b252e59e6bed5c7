import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {detect, protocol} from '../../../src/protocols/pgsql/index.js'
import {tagRows} from '../../../src/protocols/pgsql/parser.js'
import {plain, run, runInner, type Seg, splits} from '../../helpers/segment-harness.js'

// --- builders (PostgreSQL protocol 3.0, 53.7 Message Formats) ----------------------------------
const msg = (type: string, ...parts: (Buffer | string)[]): Buffer => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)))
  const h = Buffer.alloc(5)
  h.write(type, 0, 'latin1')
  h.writeUInt32BE(body.length + 4, 1)
  return Buffer.concat([h, body])
}
const i16 = (n: number): Buffer => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}
const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
const untyped = (...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts)
  return Buffer.concat([i32(body.length + 4), body])
}
const startup = untyped(i32(196608), Buffer.from('user\0bob\0database\0shop\0application_name\0psql\0\0'))
const sslRequest = untyped(i32(80877103))
const authOk = msg('R', i32(0))
const ready = msg('Z', 'I')
const paramStatus = msg('S', 'server_version\x0016.2\0')
const rowDesc = (n: number) => msg('T', i16(n), Buffer.alloc(n * 19, 0))
const dataRow = (...v: string[]) => msg('D', i16(v.length), ...v.flatMap((s) => [i32(Buffer.byteLength(s)), s]))
const complete = (tag: string) => msg('C', `${tag}\0`)
const error = (sev: string, code: string, m: string) => msg('E', `S${sev}\0V${sev}\0C${code}\0M${m}\0\0`)
const q = (sql: string) => msg('Q', `${sql}\0`)

const login: Seg[] = [
  {dir: 0, bytes: sslRequest},
  {dir: 1, bytes: Buffer.from('N')},
  {dir: 0, bytes: startup},
  {dir: 1, bytes: Buffer.concat([authOk, paramStatus, msg('K', i32(1), i32(2)), ready])},
]

const conversation: Seg[] = [
  ...login,
  {dir: 0, bytes: q("SELECT * FROM t WHERE a IN (1, 2) AND b = 'x'")},
  {dir: 1, bytes: Buffer.concat([rowDesc(2), dataRow('1', 'a'), dataRow('2', 'b'), complete('SELECT 2'), ready])},
  {dir: 0, bytes: q('INSERT INTO t VALUES (1); UPDATE t SET a = 2')},
  {dir: 1, bytes: Buffer.concat([complete('INSERT 0 1'), complete('UPDATE 3'), ready])},
  {dir: 0, bytes: q('INSERT INTO t VALUES (1)')},
  {dir: 1, bytes: Buffer.concat([msg('N', 'SNOTICE\0Mhm\0\0'), error('ERROR', '23505', 'duplicate key'), ready])},
  // extended: named statement, two Executes in one batch
  {
    dir: 0,
    bytes: Buffer.concat([
      msg('P', 's1\0', 'SELECT a FROM t WHERE id = $1\0', i16(0)),
      msg('B', '\0', 's1\0', i16(0), i16(0), i16(0)),
      msg('D', 'P\0'),
      msg('E', '\0', i32(0)),
      msg('B', 'p2\0', 's1\0', i16(0), i16(0), i16(0)),
      msg('E', 'p2\0', i32(0)),
      msg('S'),
    ]),
  },
  {
    dir: 1,
    bytes: Buffer.concat([msg('1'), msg('2'), rowDesc(1), dataRow('x'), complete('SELECT 1'), msg('2'), dataRow('y'), dataRow('z'), complete('SELECT 2'), ready]),
  },
  // COPY FROM STDIN
  {dir: 0, bytes: q('COPY t FROM STDIN')},
  {dir: 1, bytes: msg('G', Buffer.from([0]), i16(1), i16(0))},
  {dir: 0, bytes: Buffer.concat([msg('d', '1\n'), msg('d', '2\n'), msg('c')])},
  {dir: 1, bytes: Buffer.concat([complete('COPY 2'), ready])},
  {dir: 0, bytes: msg('X')},
]

describe('pgsql conversation', () => {
  const {out, stats} = run(protocol, conversation)

  it('emits one transaction per query / Execute with Packetbeat fields', () => {
    expect(out.map((t) => [t.method, t.status, t.query])).toEqual([
      ['SELECT', 'OK', "SELECT * FROM t WHERE a IN (1, 2) AND b = 'x'"],
      ['INSERT', 'OK', 'INSERT INTO t VALUES (1); UPDATE t SET a = 2'],
      ['INSERT', 'Error', 'INSERT INTO t VALUES (1)'],
      ['SELECT', 'OK', 'SELECT a FROM t WHERE id = $1'],
      ['SELECT', 'OK', 'SELECT a FROM t WHERE id = $1'],
      ['COPY', 'OK', 'COPY t FROM STDIN'],
    ])
    const [sel, multi, bad, ex1, ex2, copy] = out as [(typeof out)[0], (typeof out)[0], (typeof out)[0], (typeof out)[0], (typeof out)[0], (typeof out)[0]]
    expect(sel.fields.pgsql).toEqual({num_fields: 2, num_rows: 2})
    expect(sel.fields.pbx).toMatchObject({
      query_fingerprint: 'SELECT * FROM t WHERE a IN (?+) AND b = ?',
      pgsql: {user: 'bob', database: 'shop', application_name: 'psql', server_version: '16.2', command_tag: 'SELECT 2'},
    })
    expect(multi.fields.pgsql).toEqual({num_rows: 3}) // the last statement's (UPDATE 3), not 1 + 3
    expect(multi.fields.pbx).toMatchObject({pgsql: {statements: 2, command_tag: 'UPDATE 3'}})
    expect(bad.fields.pgsql).toEqual({error_code: '23505', error_message: 'duplicate key', error_severity: 'ERROR'})
    expect(bad.fields.pbx).toMatchObject({pgsql: {notices: 1}})
    expect(ex1.fields.pgsql).toEqual({num_fields: 1, num_rows: 1})
    // no Describe for the second portal: no RowDescription
    expect(ex2.fields.pgsql).toEqual({num_rows: 2})
    expect(copy.fields.pbx).toMatchObject({pgsql: {copy_messages: 2, command_tag: 'COPY 2'}})
    expect(copy.fields.pgsql).toEqual({num_rows: 2})
    expect(stats.malformed.size).toBe(0)
    expect(stats.unmatchedRequests + stats.unmatchedResponses).toBe(0)
  })

  it('counts bytes: the request, the response without ReadyForQuery', () => {
    const sel = out[0] as (typeof out)[0]
    expect(sel.requestBytes).toBe((conversation[4] as Seg).bytes.length)
    expect(sel.responseBytes).toBe((conversation[5] as Seg).bytes.length - 6)
    const copy = out[5] as (typeof out)[0]
    expect(copy.requestBytes).toBe((conversation[12] as Seg).bytes.length + (conversation[14] as Seg).bytes.length)
  })

  it('gives identical transactions however the segments are split', () => {
    const want = plain(out)
    for (const [name, split] of splits(conversation)) {
      expect(plain(run(protocol, conversation, split).out), name).toEqual(want)
    }
  })
})

describe('pgsql edge cases', () => {
  it('reports a failed login as an Error LOGIN transaction', () => {
    const {out} = run(protocol, [
      {dir: 0, bytes: startup},
      {dir: 1, bytes: msg('R', i32(5), Buffer.alloc(4))},
      {dir: 0, bytes: msg('p', 'md5xxxx\0')},
      {dir: 1, bytes: error('FATAL', '28P01', 'password authentication failed')},
    ])
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({method: 'LOGIN', status: 'Error', fields: {pgsql: {error_code: '28P01', error_severity: 'FATAL'}}})
  })

  it('hands every byte after SSLRequest answered S to TLS, however the segments are split', () => {
    const ch = Buffer.from([0x16, 3, 1, 0, 4, 1, 0, 0, 0])
    const sh = Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0])
    const segs: Seg[] = [
      {dir: 0, bytes: sslRequest},
      {dir: 1, bytes: Buffer.from('S')},
      {dir: 0, bytes: ch},
      {dir: 1, bytes: sh},
    ]
    const glued: Seg[] = [segs[0] as Seg, {dir: 1, bytes: Buffer.concat([Buffer.from('S'), sh])}, segs[2] as Seg]
    for (const s of [segs, glued]) {
      for (const [name, split] of splits(s)) {
        const {out, inner} = runInner(protocol, s, split)
        expect(out, name).toEqual([])
        expect(inner.opened, name).toEqual([{self: 'pgsql', prefer: 'tls'}])
        expect(inner.bytes[0].equals(ch), name).toBe(true)
        expect(inner.bytes[1].equals(sh), name).toBe(true)
        expect(inner.ended, name).toBe(true)
      }
    }
  })

  it('GSSENCRequest answered N, then SSLRequest answered N: the startup continues in clear', () => {
    const gss = untyped(i32(80877104))
    const segs: Seg[] = [{dir: 0, bytes: gss}, {dir: 1, bytes: Buffer.from('N')}, {dir: 0, bytes: sslRequest}, ...login.slice(1)]
    for (const [name, split] of splits(segs)) {
      const {out, inner} = runInner(protocol, [...segs, {dir: 0, bytes: q('SELECT 1')}, {dir: 1, bytes: Buffer.concat([complete('SELECT 0'), ready])}], split)
      expect(inner.opened, name).toEqual([])
      expect(out.map((t) => t.method), name).toEqual(['SELECT'])
    }
  })

  it('without a dispatch stage (no openInner), stops after SSLRequest answered S, with a note', () => {
    const {out, stats} = run(protocol, [
      {dir: 0, bytes: sslRequest},
      {dir: 1, bytes: Buffer.from('S')},
      {dir: 0, bytes: Buffer.from([0x16, 3, 1, 0, 1, 0])},
    ])
    expect(out.map((t) => t.method)).toEqual(['TLS'])
    expect(out[0]?.notes?.[0]).toMatch(/encrypted/)
    expect(stats.malformed.get('pgsql: TLS, not parsed')).toBe(1)
  })

  it('marks Executes skipped after an error in the batch', () => {
    const {out} = run(protocol, [
      {
        dir: 0,
        bytes: Buffer.concat([
          msg('P', '\0', 'SELECT 1/0\0', i16(0)),
          msg('B', '\0', '\0', i16(0), i16(0), i16(0)),
          msg('E', '\0', i32(0)),
          msg('P', '\0', 'SELECT 2\0', i16(0)),
          msg('B', '\0', '\0', i16(0), i16(0), i16(0)),
          msg('E', '\0', i32(0)),
          msg('S'),
        ]),
      },
      {dir: 1, bytes: Buffer.concat([msg('1'), msg('2'), error('ERROR', '22012', 'division by zero'), ready])},
    ])
    expect(out.map((t) => [t.query, t.status, t.notes])).toEqual([
      ['SELECT 1/0', 'Error', undefined],
      ['SELECT 2', 'Error', ['not executed: an earlier message of the batch failed']],
    ])
  })

  it('reports a Parse error of a batch without Execute', () => {
    const {out} = run(protocol, [
      {dir: 0, bytes: Buffer.concat([msg('P', 'x\0', 'SELEC 1\0', i16(0)), msg('S')])},
      {dir: 1, bytes: Buffer.concat([error('ERROR', '42601', 'syntax error'), ready])},
    ])
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({query: 'SELEC 1', status: 'Error', fields: {pgsql: {error_code: '42601'}}})
  })

  it('emits unanswered requests at end and unexpected responses', () => {
    const a = run(protocol, [{dir: 0, bytes: q('SELECT 1')}])
    expect(a.out[0]).toMatchObject({status: 'Error', notes: ['no response']})
    expect(a.stats.unmatchedRequests).toBe(1)
    const b = run(protocol, [{dir: 1, bytes: Buffer.concat([complete('SELECT 1'), ready])}])
    expect(b.out[0]).toMatchObject({status: 'Error', notes: ['response without request']})
    expect(b.stats.unmatchedResponses).toBe(1)
  })

  it('a multi-statement simple Query reports the last result set, not sums over result sets', () => {
    const {out} = run(protocol, [
      {dir: 0, bytes: q('SELECT a, b, c FROM t; SELECT x FROM u')},
      {dir: 1, bytes: Buffer.concat([rowDesc(3), dataRow('1', '2', '3'), dataRow('4', '5', '6'), complete('SELECT 2'), rowDesc(1), dataRow('9'), complete('SELECT 1'), ready])},
      {dir: 0, bytes: q('SELECT a FROM t; DELETE FROM u')},
      {dir: 1, bytes: Buffer.concat([rowDesc(1), dataRow('1'), complete('SELECT 1'), complete('DELETE 7'), ready])},
    ])
    expect(out.map((t) => [t.fields.pgsql, (t.fields.pbx as {pgsql: {statements: number; command_tag: string}}).pgsql])).toEqual([
      [{num_fields: 1, num_rows: 1}, expect.objectContaining({statements: 2, command_tag: 'SELECT 1'})],
      // the SELECT's result set, not DELETE's 7 or 1 + 7
      [{num_fields: 1, num_rows: 1}, expect.objectContaining({statements: 2, command_tag: 'DELETE 7'})],
    ])
  })

  it('emits a response cut by a gap and resynchronises at the next query', () => {
    const {out} = run(protocol, [
      {dir: 0, bytes: q('SELECT a FROM big')},
      {dir: 1, bytes: Buffer.concat([rowDesc(1), dataRow('1'), dataRow('2')])},
      {dir: 1, gap: 500},
      {dir: 1, bytes: Buffer.from([0, 0, 1, 2])},
      {dir: 0, bytes: q('SELECT 2')},
      {dir: 1, bytes: Buffer.concat([rowDesc(1), dataRow('2'), complete('SELECT 1'), ready])},
    ])
    expect(out.map((t) => [t.query, t.fields.pgsql])).toEqual([
      ['SELECT a FROM big', {num_fields: 1, num_rows: 2}],
      ['SELECT 2', {num_fields: 1, num_rows: 1}],
    ])
    expect(out[0]?.notes?.[0]).toMatch(/packet loss/)
  })

  it('parses command tags', () => {
    const cases: [string, number][] = [
      ['SELECT 5', 5],
      ['INSERT 0 1', 1],
      ['UPDATE 10', 10],
      ['COPY 3', 3],
      ['CREATE TABLE', -1],
      ['BEGIN', -1],
      ['SELECT x', -1],
    ]
    for (const [tag, n] of cases) expect(tagRows(tag), tag).toBe(n)
  })

  it('detects startup-phase messages only', () => {
    expect(detect(startup, 0)).toBe(true)
    expect(detect(sslRequest, 0)).toBe(true)
    expect(detect(sslRequest, 1)).toBe(false)
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe(false)
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
})
