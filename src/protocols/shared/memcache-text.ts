/**
 * The memcache text protocol's command-line grammar (memcached doc/protocol.txt), as a pure
 * predicate shared by memcache's content detection and Redis's (whose inline commands overlap
 * memcache's: `get k`, `set k 0 0 3`, `quit`): a line that is a well-formed memcache command is
 * memcache's, so Redis declines it. Looks only at the one line given; never throws.
 */

import {isDigits, isOneLine, isSpaceCode, isVisibleAscii} from './chars.js'

/** A decimal number of at most 20 digits. */
const isNum = (s: string | undefined): boolean => s !== undefined && isDigits(s, 1, 20)
/** A key: 1 to 250 visible ASCII characters. */
const isKey = (s: string | undefined): boolean => s !== undefined && isVisibleAscii(s, 1, 250)
/** `rest` is all keys (at least one). */
const keys = (rest: string[]): boolean => rest.length > 0 && rest.every(isKey)
/** Optional trailing `noreply` after `n` fixed arguments. */
const fixed = (a: string[], n: number): boolean => a.length === n || (a.length === n + 1 && a[n] === 'noreply')

/**
 * True when `line` (one command line without its CR LF, case as sent) is a well-formed memcache
 * text request: a lower-case command name (memcached's are case-sensitive) with the arguments its
 * grammar requires.
 */
export function isMemcacheRequestLine(line: string): boolean {
  const tok = line.split(' ').filter((s) => s.length > 0)
  if (tok.length === 0) return false
  const a = tok.slice(1)
  switch (tok[0]) {
    case 'set':
    case 'add':
    case 'replace':
    case 'append':
    case 'prepend':
      return fixed(a, 4) && isKey(a[0]) && isNum(a[1]) && isNum(a[2]) && isNum(a[3])
    case 'cas':
      return fixed(a, 5) && isKey(a[0]) && isNum(a[1]) && isNum(a[2]) && isNum(a[3]) && isNum(a[4])
    case 'get':
    case 'gets':
      return keys(a)
    case 'gat':
    case 'gats':
      return isNum(a[0]) && keys(a.slice(1))
    case 'incr':
    case 'decr':
      return fixed(a, 2) && isKey(a[0]) && isNum(a[1])
    case 'touch':
      return fixed(a, 2) && isKey(a[0]) && isNum(a[1])
    case 'delete':
      return (fixed(a, 1) || (a.length === 2 && a[1] === '0') || (a.length === 3 && a[1] === '0' && a[2] === 'noreply')) && isKey(a[0])
    case 'stats':
      return a.length <= 2
    case 'flush_all':
      return a.length === 0 || (a.length === 1 && (isNum(a[0]) || a[0] === 'noreply')) || (a.length === 2 && isNum(a[0]) && a[1] === 'noreply')
    case 'verbosity':
      return fixed(a, 1) && isNum(a[0])
    case 'version':
    case 'quit':
      return a.length === 0
    case 'mg':
    case 'md':
    case 'ma':
    case 'mn':
      return tok[0] === 'mn' ? a.length === 0 : isKey(a[0])
    case 'ms':
      return isKey(a[0]) && isNum(a[1])
    default:
      return false
  }
}

/** Text response lines a memcached server starts a reply with (protocol.txt), for server-side detection. */
export function isMemcacheResponseLine(line: string): boolean {
  switch (line) {
    case 'STORED':
    case 'NOT_STORED':
    case 'EXISTS':
    case 'NOT_FOUND':
    case 'DELETED':
    case 'TOUCHED':
    case 'END':
      return true
  }
  if (line.startsWith('VALUE ')) {
    // VALUE <key> <flags> <bytes> [<cas>]
    const f = line.slice(6).split(' ')
    return (f.length === 3 || f.length === 4) && isKey(f[0]) && isDigits(f[1]) && isDigits(f[2]) && (f.length === 3 || isDigits(f[3]))
  }
  if (line.startsWith('STAT ')) {
    // STAT <name> <value>: the name runs to the first space; the value is anything on the line
    let i = 5
    while (i < line.length && line.charCodeAt(i) >= 0x21 && line.charCodeAt(i) <= 0x7e) i++
    return i > 5 && line.charCodeAt(i) === 0x20 && isOneLine(line, i + 1)
  }
  if (line.startsWith('VERSION ')) {
    if (line.length === 8) return false
    for (let i = 8; i < line.length; i++) if (isSpaceCode(line.charCodeAt(i))) return false
    return true
  }
  return (line.startsWith('CLIENT_ERROR ') || line.startsWith('SERVER_ERROR ')) && isOneLine(line, 13)
}
