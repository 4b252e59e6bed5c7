/**
 * SQL fingerprint: one normalised text per query *shape*, so that `SELECT * FROM t WHERE id = 1`
 * and `select *  from t where id=2 -- x` group together (the idea of pt-query-digest's
 * fingerprint and of pg_stat_statements' normalised query text).
 *
 * Choices (documented contract of `fingerprint`):
 * - literals become `?`: quoted strings ('...' with '' and backslash escapes; "..." too when
 *   `dialect` is 'mysql', where double quotes delimit strings), numbers (integers, decimals,
 *   exponents, 0x.. / 0b.. forms), X'..' / B'..' / N'..' / E'..' / _charset'..' literals,
 *   PostgreSQL dollar-quoted strings ($tag$...$tag$), TRUE / FALSE, and placeholders (`?`, `$1`).
 *   NULL is kept (it changes a query's meaning: `IS NULL`). A sign before a number is kept as an
 *   operator (`- ?`), as the scanner does not know whether it is unary.
 * - `IN (?, ?, ...)` lists of literals only collapse to `IN (?+)`; a multi-row
 *   `VALUES (?, ?), (?, ?)` collapses to `VALUES (?+)` (as pt-query-digest does).
 * - comments (`-- ...`, `# ...` in MySQL, `/* ... *\/`) are removed; runs of whitespace and
 *   comments become one space; leading/trailing whitespace and trailing `;` are dropped.
 * - a fixed list of SQL keywords is upper-cased; identifiers keep their case (table names can be
 *   case-sensitive); quoted identifiers (`x`, and "x" outside MySQL) are kept verbatim.
 * Cost: one forward scan over at most MAX_FINGERPRINT_INPUT characters, no regular expressions,
 * so time is linear in the input. Longer input is cut there and the result ends with ` ...`.
 */

export type SqlDialect = 'mysql' | 'pgsql' | 'generic'

/** Characters of SQL looked at; the rest is not fingerprinted (the result then ends with " ..."). */
export const MAX_FINGERPRINT_INPUT = 16 * 1024

const KEYWORDS = new Set(
  (
    'SELECT FROM WHERE AND OR NOT IN IS NULL INSERT INTO VALUES VALUE UPDATE SET DELETE JOIN LEFT RIGHT ' +
    'INNER OUTER FULL CROSS NATURAL ON USING AS ORDER BY GROUP HAVING LIMIT OFFSET UNION ALL DISTINCT ' +
    'CREATE TABLE DROP ALTER INDEX LIKE ILIKE BETWEEN EXISTS CASE WHEN THEN ELSE END ASC DESC SHOW USE ' +
    'BEGIN COMMIT ROLLBACK WITH RETURNING DEFAULT PRIMARY KEY IF REPLACE TRUNCATE DATABASE SCHEMA VIEW ' +
    'GRANT REVOKE CALL EXPLAIN DESCRIBE FOR LOCK UNLOCK TABLES START TRANSACTION SAVEPOINT RELEASE ' +
    'PREPARE EXECUTE DEALLOCATE DUPLICATE IGNORE FETCH COPY TO STDIN STDOUT ANALYZE VACUUM LISTEN NOTIFY'
  ).split(' '),
)

enum Kind {
  Word = 0,
  Lit = 1,
  Punct = 2,
  Other = 3,
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128
}
function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11
}

/** Index just past a quoted run starting at s[i] (the opening quote q); SQL '' doubling and \ escapes. */
function skipQuoted(s: string, i: number, q: number, backslash: boolean): number {
  const n = s.length
  let j = i + 1
  while (j < n) {
    const c = s.charCodeAt(j)
    if (backslash && c === 92) {
      j += 2
      continue
    }
    if (c === q) {
      if (j + 1 < n && s.charCodeAt(j + 1) === q) {
        j += 2
        continue
      }
      return j + 1
    }
    j++
  }
  return n
}

export function fingerprint(sql: string, dialect: SqlDialect = 'generic'): string {
  const cut = sql.length > MAX_FINGERPRINT_INPUT
  const s = cut ? sql.slice(0, MAX_FINGERPRINT_INPUT) : sql
  const n = s.length
  const mysql = dialect === 'mysql'
  // Token texts and kinds; `sp[i]` is true when whitespace/comments preceded token i.
  const tok: string[] = []
  const kind: Kind[] = []
  const sp: boolean[] = []
  let space = false
  const push = (t: string, k: Kind): void => {
    tok.push(t)
    kind.push(k)
    sp.push(space)
    space = false
  }
  let i = 0
  while (i < n) {
    const c = s.charCodeAt(i)
    if (isSpace(c)) {
      space = true
      i++
      continue
    }
    // -- comment (MySQL requires a space after --; accept both) and # comment (MySQL)
    if ((c === 45 && s.charCodeAt(i + 1) === 45) || (c === 35 && mysql)) {
      while (i < n && s.charCodeAt(i) !== 10) i++
      space = true
      continue
    }
    if (c === 47 && s.charCodeAt(i + 1) === 42) {
      const e = s.indexOf('*/', i + 2)
      i = e < 0 ? n : e + 2
      space = true
      continue
    }
    if (c === 39 || (c === 34 && mysql)) {
      i = skipQuoted(s, i, c, mysql || dialect === 'generic')
      push('?', Kind.Lit)
      continue
    }
    if (c === 34 || c === 96) {
      const j = skipQuoted(s, i, c, false)
      push(s.slice(i, j), Kind.Word)
      i = j
      continue
    }
    if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) {
      let j = i + 1
      while (j < n) {
        const d = s.charCodeAt(j)
        if (isIdentChar(d) || d === 46) j++
        else if ((d === 43 || d === 45) && (s.charCodeAt(j - 1) | 32) === 101 && !s.startsWith('0x', i)) j++
        else break
      }
      push('?', Kind.Lit)
      i = j
      continue
    }
    if (c === 36) {
      // $1 placeholder, or $tag$ ... $tag$ dollar quoting (PostgreSQL)
      let j = i + 1
      if (isDigit(s.charCodeAt(j))) {
        while (j < n && isDigit(s.charCodeAt(j))) j++
        push('?', Kind.Lit)
        i = j
        continue
      }
      while (j < n && isIdentChar(s.charCodeAt(j)) && s.charCodeAt(j) !== 36) j++
      if (j < n && s.charCodeAt(j) === 36 && dialect !== 'mysql') {
        const tag = s.slice(i, j + 1)
        const e = s.indexOf(tag, j + 1)
        i = e < 0 ? n : e + tag.length
        push('?', Kind.Lit)
        continue
      }
      push('$', Kind.Other)
      i++
      continue
    }
    if (c === 63) {
      push('?', Kind.Lit)
      i++
      continue
    }
    if (isIdentStart(c)) {
      let j = i + 1
      while (j < n && isIdentChar(s.charCodeAt(j))) j++
      const w = s.slice(i, j)
      // X'..' B'..' N'..' E'..' _utf8'..' literals
      if (j < n && s.charCodeAt(j) === 39 && (j - i === 1 || c === 95) && (j - i > 1 || 'xXbBnNeE'.includes(w))) {
        i = skipQuoted(s, j, 39, mysql || (w === 'e' || w === 'E'))
        push('?', Kind.Lit)
        continue
      }
      const up = w.toUpperCase()
      if (up === 'TRUE' || up === 'FALSE') push('?', Kind.Lit)
      else push(KEYWORDS.has(up) ? up : w, Kind.Word)
      i = j
      continue
    }
    if (c === 40 || c === 41 || c === 44) {
      push(s[i] as string, Kind.Punct)
      i++
      continue
    }
    // operators and anything else: one character per token keeps this linear and simple
    push(s[i] as string, Kind.Other)
    i++
  }
  // drop trailing semicolons
  while (tok.length > 0 && tok[tok.length - 1] === ';') {
    tok.pop()
    kind.pop()
    sp.pop()
  }
  let out = ''
  let k = 0
  const m = tok.length
  while (k < m) {
    const t = tok[k] as string
    const prev = k > 0 ? (tok[k - 1] as string) : ''
    if (t === '(' && (prev === 'IN' || prev === 'VALUES' || prev === 'VALUE')) {
      const end = literalList(tok, kind, k, prev !== 'IN')
      if (end > 0) {
        out += `${sp[k] ? ' ' : ''}(?+)`
        k = end
        continue
      }
    }
    if (k > 0 && sp[k]) out += ' '
    out += t
    k++
  }
  return cut ? `${out} ...` : out
}

/**
 * If tok[k] opens `( lit , lit ... )` (and, when `rows`, further `, ( ... )` groups), returns the
 * index after the last `)`; else 0. Each token is visited at most once per call and a call only
 * happens at an IN/VALUES "(", so the whole pass stays linear.
 */
function literalList(tok: string[], kind: Kind[], k: number, rows: boolean): number {
  let j = k
  for (;;) {
    if (tok[j] !== '(') return 0
    j++
    for (;;) {
      if (kind[j] !== Kind.Lit) return 0
      j++
      if (tok[j] === ',') {
        j++
        continue
      }
      if (tok[j] === ')') break
      return 0
    }
    j++
    if (rows && tok[j] === ',' && tok[j + 1] === '(') {
      j++
      continue
    }
    return j
  }
}
