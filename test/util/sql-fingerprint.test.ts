import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {fingerprint, MAX_FINGERPRINT_INPUT} from '../../src/util/sql-fingerprint.js'

describe('fingerprint', () => {
  const cases: [string, string, 'mysql' | 'pgsql' | 'generic'][] = [
    ["select * from t where id = 1 and name = 'bob'", 'SELECT * FROM t WHERE id = ? AND name = ?', 'generic'],
    ['SELECT  *\n FROM t   WHERE id=42;', 'SELECT * FROM t WHERE id=?', 'generic'],
    ['select a from t where b in (1, 2, 3)', 'SELECT a FROM t WHERE b IN (?+)', 'generic'],
    ["select a from t where b in ('x','y')", 'SELECT a FROM t WHERE b IN (?+)', 'generic'],
    ['select a from t where b in (select c from u)', 'SELECT a FROM t WHERE b IN (SELECT c FROM u)', 'generic'],
    ['insert into t values (1, "a"), (2, "b")', 'INSERT INTO t VALUES (?+)', 'mysql'],
    ['insert into t values (1, now())', 'INSERT INTO t VALUES (?, now())', 'mysql'],
    ['select "Col" from t where x = $1', 'SELECT "Col" FROM t WHERE x = ?', 'pgsql'],
    ['select `Col` from t1 where t1.x2 = 0x1F and y = 1.5e-3', 'SELECT `Col` FROM t1 WHERE t1.x2 = ? AND y = ?', 'mysql'],
    ["select 'it''s', 'a\\'b' -- comment\n from t", 'SELECT ?, ? FROM t', 'mysql'],
    ['select /* hi */ 1 # mysql comment', 'SELECT ?', 'mysql'],
    ['select $$a;b$$, $tag$x$tag$', 'SELECT ?, ?', 'pgsql'],
    ["select x'ff', b'01', N'n', E'e\\n'", 'SELECT ?, ?, ?, ?', 'generic'],
    ['update t set flag = true where v is null', 'UPDATE t SET flag = ? WHERE v IS NULL', 'generic'],
    ['select ? , ?', 'SELECT ? , ?', 'mysql'],
    ['select -5', 'SELECT -?', 'generic'],
  ]
  it.each(cases)('%s', (sql, want, dialect) => {
    expect(fingerprint(sql, dialect)).toBe(want)
  })

  it('groups queries that differ only in literals, spacing and keyword case', () => {
    expect(fingerprint("SELECT * FROM t WHERE id = 1 AND n IN (1,2)")).toBe(fingerprint("select *  from t where id = 99 and n in (5, 6, 7) -- x"))
  })

  it('bounds its input', () => {
    const long = `SELECT ${'a, '.repeat(MAX_FINGERPRINT_INPUT)}b`
    const fp = fingerprint(long)
    expect(fp.endsWith(' ...')).toBe(true)
    expect(fp.length).toBeLessThanOrEqual(MAX_FINGERPRINT_INPUT + 8)
  })

  it('is linear: pathological inputs finish fast', () => {
    const inputs = ["'".repeat(100000), '/*'.repeat(50000), '$a'.repeat(50000), 'in ('.repeat(20000), `in (${'1,'.repeat(50000)}`]
    const t0 = performance.now()
    for (const s of inputs) fingerprint(s)
    expect(performance.now() - t0).toBeLessThan(2000)
  })

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 200}), fc.constantFrom<'mysql' | 'pgsql' | 'generic'>('mysql', 'pgsql', 'generic'), (s, d) => {
        expect(typeof fingerprint(s, d)).toBe('string')
      }),
      {numRuns: 500},
    )
  })
})
