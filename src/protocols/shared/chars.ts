/**
 * Hand-written character matching for packet-derived strings, in place of regular expressions
 * (project rule: no backtracking RegExp on untrusted data). Each function states the JavaScript
 * pattern it is equivalent to; test/protocols/chars.test.ts checks the equivalence differentially.
 * All run in one pass over their input, allocate nothing unless they return a new string, never throw.
 */

/** 0-9 (the `\d` of a non-unicode pattern). */
export const isDigitCode = (c: number): boolean => c >= 0x30 && c <= 0x39

/** `/^\d{min,max}$/.test(s)`. */
export function isDigits(s: string, min = 1, max = Number.POSITIVE_INFINITY): boolean {
  if (s.length < min || s.length > max) return false
  for (let i = 0; i < s.length; i++) if (!isDigitCode(s.charCodeAt(i))) return false
  return true
}

/** A character of JavaScript's `\s` (WhiteSpace and LineTerminator, ECMA-262 section 12.2/12.3). */
export function isSpaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d)
  if (c < 0xa0) return false
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  )
}

/** A line terminator: the characters `.` does not match (ECMA-262 section 12.3). */
export const isLineTerminatorCode = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029

/** `/^.*$/.test(s)`: s holds no line terminator. */
export function isOneLine(s: string, from = 0, to = s.length): boolean {
  for (let i = from; i < to; i++) if (isLineTerminatorCode(s.charCodeAt(i))) return false
  return true
}

/** `s.split(/\s+/)`. */
export function splitSpace(s: string): string[] {
  const out: string[] = []
  let start = 0
  let i = 0
  while (i < s.length) {
    if (isSpaceCode(s.charCodeAt(i))) {
      out.push(s.slice(start, i))
      while (i < s.length && isSpaceCode(s.charCodeAt(i))) i++
      start = i
    } else i++
  }
  out.push(s.slice(start))
  return out
}

/** `s.split(/\r?\n/)`. */
export function splitLines(s: string): string[] {
  const out: string[] = []
  let start = 0
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', start)) {
    out.push(s.slice(start, i > start && s.charCodeAt(i - 1) === 0x0d ? i - 1 : i))
    start = i + 1
  }
  out.push(s.slice(start))
  return out
}

/** `s.replace(/^"(.*)"$/, '$1')`: one pair of enclosing double quotes removed from a one-line string. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return s
  return isOneLine(s, 1, s.length - 1) ? s.slice(1, -1) : s
}

/** `/^[\x21-\x7e]{min,max}$/.test(s)`: visible ASCII only. */
export function isVisibleAscii(s: string, min = 1, max = Number.POSITIVE_INFINITY): boolean {
  if (s.length < min || s.length > max) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x21 || c > 0x7e) return false
  }
  return true
}

/** Case-insensitive ASCII prefix test (the `^prefix` of an `i`-flag pattern), for a lower-case prefix. */
export function startsWithIgnoreCase(s: string, lowerPrefix: string, at = 0): boolean {
  if (s.length - at < lowerPrefix.length) return false
  for (let i = 0; i < lowerPrefix.length; i++) {
    let c = s.charCodeAt(at + i)
    if (c >= 0x41 && c <= 0x5a) c += 0x20
    if (c !== lowerPrefix.charCodeAt(i)) return false
  }
  return true
}
