/**
 * RESP2 / RESP3 parser (https://redis.io/docs/latest/develop/reference/protocol-spec/), push-style
 * over a contiguous view.
 *
 * `parseMessage(buf, off, st)` parses ONE complete top-level value starting at `off` and returns the
 * offset just past it, or NEED (more bytes needed; `st.need` is then a lower bound of the message
 * length, counted from `off`, so the caller can skip re-parsing until that many bytes are there) or
 * BAD (`st.reason` says why). It never throws and never reads past `buf.length`.
 *
 * Memory: only a bounded summary of a value is built (MAX_ITEMS elements per aggregate, MAX_STR
 * characters per string); rows are counted (`count`), not stored. Nesting depth is bounded by
 * MAX_DEPTH and bulk / aggregate lengths by `maxBytes` (limits.maxMessageBytes).
 *
 * Client requests are arrays of bulk strings, or "inline commands" (a plain text line split on
 * spaces, with "..." and '...' quoting as redis-server's sdssplitargs does).
 */

import {utf8Escaped} from '../shared/text.js'

export const NEED = -1
export const BAD = -2

export const MAX_DEPTH = 32
export const MAX_ITEMS = 64
export const MAX_STR = 512
/** Longest type line (`$123\r\n`, `+OK\r\n`, an inline command) accepted. */
export const MAX_LINE = 64 * 1024

export interface RespValue {
  /** The RESP type byte ('+', '-', ':', '$', '*', ...) or 0 for an inline command. */
  type: number
  /** Scalar rendering (strings, errors, doubles, big numbers, booleans); truncated at MAX_STR. */
  str?: string
  /** Integer value (':'); large values lose precision, as in a JS number. */
  int?: number
  /** Null ('_', '$-1', '*-1'). */
  isNull?: boolean
  /** Aggregates: the first MAX_ITEMS elements (maps: keys and values interleaved). */
  items?: RespValue[]
  /** Aggregates: declared element count (maps: pairs * 2). */
  count?: number
  /** Inline commands: why the line was split without quote handling (redis-server rejects it). */
  bad?: string
}

export interface ParseState {
  value: RespValue | null
  need: number
  reason: string
  maxBytes: number
}

export function newParseState(maxBytes: number): ParseState {
  return {value: null, need: 0, reason: '', maxBytes}
}

const CR = 13
const LF = 10

/** Type bytes of RESP2 and RESP3. */
export function isRespType(b: number): boolean {
  switch (b) {
    case 0x2b: // + simple string
    case 0x2d: // - error
    case 0x3a: // : integer
    case 0x24: // $ bulk string
    case 0x2a: // * array
    case 0x5f: // _ null
    case 0x2c: // , double
    case 0x23: // # boolean
    case 0x21: // ! bulk error
    case 0x3d: // = verbatim string
    case 0x28: // ( big number
    case 0x25: // % map
    case 0x7e: // ~ set
    case 0x3e: // > push
    case 0x7c: // | attribute
      return true
    default:
      return false
  }
}

/** Index of the CR of the next CRLF at or after `from`, or NEED / BAD (line too long, bare CR). */
function lineEnd(buf: Buffer, from: number, base: number, st: ParseState): number {
  const limit = Math.min(buf.length, from + MAX_LINE)
  const i = buf.indexOf(LF, from)
  if (i < 0 || i >= limit + 1) {
    if (buf.length - from > MAX_LINE) {
      st.reason = 'line too long'
      return BAD
    }
    st.need = Math.max(st.need, buf.length - base + 1)
    return NEED
  }
  if (i === from || buf[i - 1] !== CR) {
    st.reason = 'line not terminated by CRLF'
    return BAD
  }
  return i - 1
}

/** Parses a signed decimal in buf[s, e); NaN when not a plain integer. */
function parseIntAscii(buf: Buffer, s: number, e: number): number {
  if (s >= e || e - s > 20) return Number.NaN
  let neg = false
  let i = s
  if (buf[i] === 0x2d) {
    neg = true
    i++
  } else if (buf[i] === 0x2b) i++
  if (i >= e) return Number.NaN
  let n = 0
  for (; i < e; i++) {
    const c = buf[i] - 0x30
    if (c < 0 || c > 9) return Number.NaN
    n = n * 10 + c
  }
  return neg ? -n : n
}

/**
 * A string value: UTF-8, bytes that are not well-formed UTF-8 escaped as \xNN (binary keys and
 * values stay visible and distinct; ../shared/text.ts), cut at MAX_STR bytes on a character boundary.
 */
function text(buf: Buffer, s: number, e: number): string {
  let end = e
  if (e - s > MAX_STR) {
    end = s + MAX_STR
    // do not cut a multi-byte character in two
    for (let k = 0; k < 3 && end > s && (buf[end] & 0xc0) === 0x80; k++) end--
  }
  return utf8Escaped(buf, s, end)
}

/**
 * Parses one value at `off` (see the file comment). `base` is the offset of the enclosing top-level
 * message, used to express `st.need` relative to it.
 */
function parseValue(buf: Buffer, off: number, depth: number, base: number, st: ParseState): number {
  if (off >= buf.length) {
    st.need = Math.max(st.need, off - base + 1)
    return NEED
  }
  if (depth > MAX_DEPTH) {
    st.reason = 'nesting too deep'
    return BAD
  }
  const t = buf[off]
  const le = lineEnd(buf, off + 1, base, st)
  if (le < 0) return le
  const next = le + 2
  switch (t) {
    case 0x2b: // +
    case 0x2d: // -
    case 0x2c: // ,
    case 0x28: // (
      st.value = {type: t, str: text(buf, off + 1, le)}
      return next
    case 0x3a: {
      const n = parseIntAscii(buf, off + 1, le)
      if (Number.isNaN(n)) {
        st.reason = 'bad integer'
        return BAD
      }
      st.value = {type: t, int: n}
      return next
    }
    case 0x5f:
      if (le !== off + 1) {
        st.reason = 'bad null'
        return BAD
      }
      st.value = {type: t, isNull: true}
      return next
    case 0x23: {
      const c = le === off + 2 ? buf[off + 1] : 0
      if (c !== 0x74 && c !== 0x66) {
        st.reason = 'bad boolean'
        return BAD
      }
      st.value = {type: t, str: c === 0x74 ? 'true' : 'false'}
      return next
    }
    case 0x24: // $
    case 0x21: // !
    case 0x3d: {
      // =
      const n = parseIntAscii(buf, off + 1, le)
      if (n === -1 && t === 0x24) {
        st.value = {type: t, isNull: true}
        return next
      }
      if (Number.isNaN(n) || n < 0) {
        st.reason = buf[off + 1] === 0x3f ? 'streamed strings not supported' : 'bad bulk length'
        return BAD
      }
      if (n > st.maxBytes) {
        st.reason = 'bulk longer than maxMessageBytes'
        return BAD
      }
      const end = next + n + 2
      if (end > buf.length) {
        st.need = Math.max(st.need, end - base)
        return NEED
      }
      if (buf[end - 2] !== CR || buf[end - 1] !== LF) {
        st.reason = 'bulk not terminated by CRLF'
        return BAD
      }
      // Verbatim strings start with a 3-letter format and ':' ("txt:"); show the text only.
      const s = t === 0x3d && n >= 4 ? next + 4 : next
      st.value = {type: t, str: text(buf, s, next + n)}
      return end
    }
    case 0x2a: // *
    case 0x25: // %
    case 0x7e: // ~
    case 0x3e: // >
    case 0x7c: {
      // |
      let n = parseIntAscii(buf, off + 1, le)
      if (n === -1 && t === 0x2a) {
        st.value = {type: t, isNull: true}
        return next
      }
      if (Number.isNaN(n) || n < 0) {
        st.reason = buf[off + 1] === 0x3f ? 'streamed aggregates not supported' : 'bad aggregate length'
        return BAD
      }
      if (t === 0x25 || t === 0x7c) n *= 2
      // Every element takes at least 3 bytes ("_\r\n"): a count beyond that is not plausible.
      if (n * 3 > st.maxBytes) {
        st.reason = 'aggregate longer than maxMessageBytes'
        return BAD
      }
      const items: RespValue[] = []
      let p = next
      for (let i = 0; i < n; i++) {
        const r = parseValue(buf, p, depth + 1, base, st)
        if (r < 0) {
          if (r === NEED) st.need = Math.max(st.need, p - base + 3 * (n - i))
          return r
        }
        if (items.length < MAX_ITEMS) items.push(st.value!)
        p = r
      }
      if (t === 0x7c) {
        // An attribute carries metadata about the value that follows it: report that value.
        return parseValue(buf, p, depth, base, st)
      }
      st.value = {type: t, items, count: n}
      return p
    }
    default:
      st.reason = 'unknown type byte'
      return BAD
  }
}

/** Parses one server reply (any RESP type). */
export function parseReply(buf: Buffer, off: number, st: ParseState): number {
  st.need = 0
  st.value = null
  return parseValue(buf, off, 0, off, st)
}

/**
 * Parses one client command: a RESP array (or any RESP value), or an inline command line.
 * An empty inline line (a bare CRLF, as redis-cli sends for keep-alive) yields an inline value with
 * no items; the caller skips it.
 */
export function parseRequest(buf: Buffer, off: number, st: ParseState): number {
  st.need = 0
  st.value = null
  if (off < buf.length && isRespType(buf[off])) return parseValue(buf, off, 0, off, st)
  const i = buf.indexOf(LF, off)
  if (i < 0 || i - off > MAX_LINE) {
    if (buf.length - off > MAX_LINE) {
      st.reason = 'inline command too long'
      return BAD
    }
    st.need = buf.length - off + 1
    return NEED
  }
  // Inline commands may end in a bare LF (redis-server accepts it).
  const e = i > off && buf[i - 1] === CR ? i - 1 : i
  const items = splitInline(buf, off, e, true)
  if (items === null) {
    // redis-server answers "-ERR Protocol error: unbalanced quotes": still a request to pair.
    const plain = splitInline(buf, off, e, false)!
    st.value = {type: 0, items: plain, count: plain.length, bad: 'unbalanced quotes in inline command'}
    return i + 1
  }
  st.value = {type: 0, items, count: items.length}
  return i + 1
}

/** sdssplitargs-like split of an inline command line; null on unbalanced quotes. */
export function splitInline(buf: Buffer, s: number, e: number, quotes: boolean): RespValue[] | null {
  const out: RespValue[] = []
  let i = s
  while (i < e) {
    while (i < e && (buf[i] === 0x20 || buf[i] === 0x09)) i++
    if (i >= e) break
    let cur = ''
    let inD = false
    let inS = false
    for (; i < e; i++) {
      const c = buf[i]
      if (inD) {
        if (c === 0x5c && i + 1 < e) {
          i++
          const d = buf[i]
          if (d === 0x78 && i + 2 < e && isHex(buf[i + 1]) && isHex(buf[i + 2])) {
            cur += String.fromCharCode(Number.parseInt(String.fromCharCode(buf[i + 1], buf[i + 2]), 16))
            i += 2
          } else cur += d === 0x6e ? '\n' : d === 0x72 ? '\r' : d === 0x74 ? '\t' : String.fromCharCode(d)
        } else if (c === 0x22) {
          inD = false
          i++
          break
        } else cur += String.fromCharCode(c)
      } else if (inS) {
        if (c === 0x5c && i + 1 < e && buf[i + 1] === 0x27) {
          cur += "'"
          i++
        } else if (c === 0x27) {
          inS = false
          i++
          break
        } else cur += String.fromCharCode(c)
      } else if (c === 0x20 || c === 0x09) break
      else if (quotes && c === 0x22 && cur === '') inD = true
      else if (quotes && c === 0x27 && cur === '') inS = true
      else cur += String.fromCharCode(c)
      if (cur.length > MAX_STR) {
        // Skip the rest of an over-long argument.
        while (i + 1 < e && buf[i + 1] !== 0x20) i++
      }
    }
    if (inD || inS) return null
    if (out.length < MAX_ITEMS) out.push({type: 0x24, str: cur.slice(0, MAX_STR)})
  }
  return out
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

/** Short rendering of a reply for redis.return_value, bounded to `max` characters. */
export function render(v: RespValue, max = 1024): string {
  const s = renderInner(v, max, 0)
  return s.length > max ? s.slice(0, max) + '...' : s
}

function renderInner(v: RespValue, max: number, depth: number): string {
  if (v.isNull) return 'nil'
  if (v.int !== undefined) return String(v.int)
  if (v.items === undefined) return v.str ?? ''
  if (depth > 8) return '[...]'
  const isMap = v.type === 0x25
  let s = isMap ? '{' : '['
  for (let i = 0; i < v.items.length && s.length <= max; i++) {
    if (i > 0) s += isMap && i % 2 === 1 ? ': ' : ', '
    s += renderInner(v.items[i], max, depth + 1)
  }
  if ((v.count ?? 0) > v.items.length) s += ', ...'
  return s + (isMap ? '}' : ']')
}

/** The string content of a scalar element (bulk/simple/int), or undefined. */
export function scalar(v: RespValue | undefined): string | undefined {
  if (v === undefined || v.isNull) return undefined
  if (v.int !== undefined) return String(v.int)
  return v.items === undefined ? v.str : undefined
}
