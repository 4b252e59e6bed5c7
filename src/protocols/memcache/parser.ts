/**
 * Memcache message parsers: the text protocol (memcached doc/protocol.txt) and the binary protocol
 * (memcached wiki "BinaryProtocolRevamped": 24-byte header, magic 0x80 request / 0x81 response).
 *
 * Each parse function reads ONE message (text: one command line plus its data block; one response
 * line plus its data block) at `off` of a contiguous view and returns the offset past it, NEED or
 * BAD (`st.reason`). The message summary goes to `st.msg`. Values are counted (bytes,
 * count_values), never stored. Every length field is checked against the bytes present and against
 * `st.maxBytes` (limits.maxMessageBytes) before use. Never throws.
 */
import {isDigits} from '../shared/chars.js'

/** `[a-z_]{1,32}`: a word-like command name. */
export function isWordName(s: string): boolean {
  if (s.length < 1 || s.length > 32) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c !== 0x5f && (c < 0x61 || c > 0x7a)) return false
  }
  return true
}

export const NEED = -1
export const BAD = -2
/** Longest text command / response line accepted (keys are at most 250 bytes). */
export const MAX_LINE = 8192
const MAX_KEYS = 64
const MAX_STR = 256

export interface McMsg {
  binary: boolean
  isRequest: boolean
  /** Text command ("get", "set", ...) or the text equivalent of a binary opcode. */
  command: string
  /** Packetbeat's classification: Load, Store, Delete, Counter, Info, Stats, Success, Fail, ... */
  type: string
  /** Wire bytes of the message. */
  wireBytes: number
  keys?: string[]
  flags?: number
  exptime?: number
  /** Value bytes carried (data block / binary value). */
  bytes?: number
  countValues?: number
  noreply?: boolean
  quiet?: boolean
  cas?: number
  delta?: number
  initial?: number
  value?: number
  verbosity?: number
  rawArgs?: string
  errorMsg?: string
  version?: string
  opaque?: number
  opcode?: string
  opcodeValue?: number
  vbucket?: number
  statusCode?: number
  status?: string
  /** Text response line kind: VALUE, END, STAT, STORED, ... ; 'COUNTER' for a number. */
  line?: string
  /** Binary stat response: the stat name (empty on the terminating response). */
  statName?: string
  /** Text storage request whose data block was not followed by CR LF ("bad data chunk"). */
  badChunk?: boolean
}

export interface ParseState {
  msg: McMsg | null
  reason: string
  need: number
  maxBytes: number
  /** Set by a storage command whose data block did not end in CR LF (see dataBlock). */
  badChunk: boolean
  /** The previous request had a bad data chunk: the next line is its leftover, taken as a command whatever its shape. */
  afterBadChunk: boolean
}

export function newParseState(maxBytes: number): ParseState {
  return {msg: null, reason: '', need: 0, maxBytes, badChunk: false, afterBadChunk: false}
}

// ---------------------------------------------------------------------------------------------
// text protocol

interface TextCmd {
  type: string
  /** 'store' (key flags exptime bytes [noreply]), 'cas' (+ cas), 'keys' (key*), 'gat' (exptime key*),
   * 'key' (key [noreply]), 'counter' (key delta [noreply]), 'touch' (key exptime [noreply]),
   * 'raw' (raw args), 'ms' (meta set: key datalen flags*), 'meta' (key flags*). */
  args: string
}

const TEXT_COMMANDS: Record<string, TextCmd> = {
  get: {type: 'Load', args: 'keys'},
  gets: {type: 'Load', args: 'keys'},
  gat: {type: 'Load', args: 'gat'},
  gats: {type: 'Load', args: 'gat'},
  set: {type: 'Store', args: 'store'},
  add: {type: 'Store', args: 'store'},
  replace: {type: 'Store', args: 'store'},
  append: {type: 'Store', args: 'store'},
  prepend: {type: 'Store', args: 'store'},
  cas: {type: 'Store', args: 'cas'},
  touch: {type: 'Store', args: 'touch'},
  incr: {type: 'Counter', args: 'counter'},
  decr: {type: 'Counter', args: 'counter'},
  delete: {type: 'Delete', args: 'key'},
  flush_all: {type: 'Delete', args: 'flush'},
  stats: {type: 'Stats', args: 'raw'},
  version: {type: 'Info', args: 'raw'},
  verbosity: {type: 'Info', args: 'verbosity'},
  quit: {type: 'Info', args: 'raw'},
  slabs: {type: 'SlabCtrl', args: 'raw'},
  lru_crawler: {type: 'LRUCrawler', args: 'raw'},
  mg: {type: 'Load', args: 'meta'},
  ms: {type: 'Store', args: 'ms'},
  md: {type: 'Delete', args: 'meta'},
  ma: {type: 'Counter', args: 'meta'},
  mn: {type: 'Info', args: 'raw'},
  me: {type: 'Info', args: 'meta'},
}

const SUCCESS_LINES = new Set(['STORED', 'EXISTS', 'TOUCHED', 'DELETED', 'OK', 'HD', 'MN'])
const FAIL_LINES = new Set(['NOT_STORED', 'NOT_FOUND', 'ERROR', 'CLIENT_ERROR', 'SERVER_ERROR', 'BUSY', 'BADCLASS', 'NOSPARE', 'NOTFULL', 'UNSAFE', 'SAME', 'EN', 'NF', 'NS', 'EX'])

/** Line end (index of the LF) at or after off, or NEED / BAD. */
function findLine(buf: Buffer, off: number, st: ParseState): number {
  const lim = Math.min(buf.length, off + MAX_LINE)
  const i = buf.subarray(off, lim).indexOf(10)
  if (i < 0) {
    if (buf.length - off >= MAX_LINE) {
      st.reason = 'line too long'
      return BAD
    }
    st.need = buf.length - off + 1
    return NEED
  }
  return off + i
}

/** Splits a text line into space-separated tokens (strings bounded to MAX_STR). */
function tokens(buf: Buffer, s: number, e: number): string[] {
  const out: string[] = []
  let i = s
  while (i < e && out.length < MAX_KEYS + 8) {
    while (i < e && buf[i] === 0x20) i++
    if (i >= e) break
    const j0 = i
    while (i < e && buf[i] !== 0x20) i++
    out.push(buf.toString('latin1', j0, Math.min(i, j0 + MAX_STR)))
  }
  return out
}

function uint(s: string | undefined): number | undefined {
  if (s === undefined || !isDigits(s, 1, 20)) return undefined
  return Number(s)
}

/**
 * Reads a data block of `n` bytes + CRLF at `p`. Returns the offset past it, NEED or BAD. A block
 * whose two bytes after the `n` are not CR LF is still consumed as `n` + 2 bytes, as memcached
 * does (proto_text.c complete_nread_ascii: it answers CLIENT_ERROR bad data chunk and parses what
 * follows as the next command line, typically answered ERROR); `st.badChunk` is set.
 */
function dataBlock(buf: Buffer, p: number, n: number, base: number, st: ParseState): number {
  if (n > st.maxBytes) {
    st.reason = 'data block larger than maxMessageBytes'
    return BAD
  }
  const end = p + n + 2
  if (end > buf.length) {
    st.need = end - base
    return NEED
  }
  if (buf[end - 2] !== 13 || buf[end - 1] !== 10) st.badChunk = true
  return end
}

/** One text request (command line and, for storage commands, its data block). */
export function parseTextRequest(buf: Buffer, off: number, st: ParseState): number {
  st.msg = null
  st.need = 0
  st.badChunk = false
  const lf = findLine(buf, off, st)
  if (lf < 0) return lf
  const e = lf > off && buf[lf - 1] === 13 ? lf - 1 : lf
  const tok = tokens(buf, off, e)
  let end = lf + 1
  if (tok.length === 0) {
    st.reason = 'empty command line'
    return BAD
  }
  const name = tok[0].toLowerCase()
  let def = TEXT_COMMANDS[name]
  if (def === undefined) {
    // A word-like unknown command is still a request (the server answers ERROR): keeps FIFO order.
    if (!isWordName(name) && !st.afterBadChunk) {
      st.reason = 'unknown command'
      return BAD
    }
    def = {type: 'UNKNOWN', args: 'raw'}
  }
  const m: McMsg = {binary: false, isRequest: true, command: name, type: def.type, wireBytes: 0}
  const a = tok.slice(1)
  const last = a[a.length - 1]
  switch (def.args) {
    case 'store':
    case 'cas': {
      m.keys = a[0] !== undefined ? [a[0]] : []
      m.flags = uint(a[1])
      m.exptime = uint(a[2])
      const n = uint(a[3])
      if (a[0] === undefined || n === undefined) {
        st.reason = 'bad storage command line'
        return BAD
      }
      m.bytes = n
      m.countValues = 1
      if (def.args === 'cas') m.cas = uint(a[4])
      m.noreply = last === 'noreply' && a.length === (def.args === 'cas' ? 6 : 5)
      end = dataBlock(buf, end, n, off, st)
      if (end < 0) return end
      break
    }
    case 'ms': {
      const n = uint(a[1])
      if (a[0] === undefined || n === undefined) {
        st.reason = 'bad meta set line'
        return BAD
      }
      m.keys = [a[0]]
      m.bytes = n
      m.countValues = 1
      m.quiet = a.includes('q')
      end = dataBlock(buf, end, n, off, st)
      if (end < 0) return end
      break
    }
    case 'meta':
      if (a[0] !== undefined) m.keys = [a[0]]
      m.quiet = a.slice(1).includes('q')
      break
    case 'keys':
      m.keys = a.slice(0, MAX_KEYS)
      break
    case 'gat':
      m.exptime = uint(a[0])
      m.keys = a.slice(1, 1 + MAX_KEYS)
      break
    case 'key':
      if (a[0] !== undefined) m.keys = [a[0]]
      m.noreply = last === 'noreply' && a.length >= 2
      break
    case 'counter':
      if (a[0] !== undefined) m.keys = [a[0]]
      m.delta = uint(a[1])
      m.noreply = last === 'noreply' && a.length === 3
      break
    case 'touch':
      if (a[0] !== undefined) m.keys = [a[0]]
      m.exptime = uint(a[1])
      m.noreply = last === 'noreply' && a.length === 3
      break
    case 'flush':
      if (a[0] !== undefined && a[0] !== 'noreply') m.exptime = uint(a[0])
      m.noreply = last === 'noreply'
      break
    case 'verbosity':
      m.verbosity = uint(a[0])
      m.noreply = last === 'noreply'
      break
    default:
      if (a.length > 0) m.rawArgs = a.join(' ')
  }
  m.wireBytes = end - off
  if (st.badChunk) m.badChunk = true
  st.afterBadChunk = st.badChunk
  st.msg = m
  return end
}

/**
 * One text response unit: a VALUE line with its data block, a VA (meta) line with its data
 * block, or any other single line (END, STAT, STORED, a counter value, VERSION, errors, ...).
 */
export function parseTextResponse(buf: Buffer, off: number, st: ParseState): number {
  st.msg = null
  st.need = 0
  const lf = findLine(buf, off, st)
  if (lf < 0) return lf
  const e = lf > off && buf[lf - 1] === 13 ? lf - 1 : lf
  let end = lf + 1
  const sp = buf.subarray(off, e).indexOf(0x20)
  const word = buf.toString('latin1', off, sp < 0 ? e : off + sp)
  const m: McMsg = {binary: false, isRequest: false, command: word, type: 'UNKNOWN', wireBytes: 0, line: word}
  if (word === 'VALUE' || word === 'VA') {
    const a = tokens(buf, off, e)
    const n = uint(word === 'VALUE' ? a[3] : a[1])
    if (n === undefined) {
      st.reason = 'bad VALUE line'
      return BAD
    }
    if (word === 'VALUE') {
      m.keys = [a[1]]
      m.flags = uint(a[2])
      if (a[4] !== undefined) m.cas = uint(a[4])
    }
    m.type = 'Load'
    m.bytes = n
    m.countValues = 1
    end = dataBlock(buf, end, n, off, st)
    if (end < 0) return end
  } else if (word === 'END') m.type = 'Load'
  else if (word === 'STAT') m.type = 'Stats'
  else if (word === 'VERSION') {
    m.type = 'Info'
    m.version = buf.toString('latin1', Math.min(e, off + 8), Math.min(e, off + 8 + MAX_STR))
  } else if (SUCCESS_LINES.has(word)) m.type = 'Success'
  else if (FAIL_LINES.has(word)) {
    m.type = 'Fail'
    if (sp >= 0 && e > off + sp + 1) m.errorMsg = buf.toString('latin1', off + sp + 1, Math.min(e, off + sp + 1 + MAX_STR))
  } else if (isDigits(word, 1, 20)) {
    m.type = 'Counter'
    m.line = 'COUNTER'
    m.command = 'COUNTER'
    m.value = Number(word)
  } else {
    st.reason = 'unknown response line'
    return BAD
  }
  m.wireBytes = end - off
  st.msg = m
  return end
}

// ---------------------------------------------------------------------------------------------
// binary protocol

/** Opcode -> [opcode name, text command, type, quiet]. */
const OPCODES: Record<number, [string, string, string, boolean]> = {
  0: ['Get', 'get', 'Load', false],
  1: ['Set', 'set', 'Store', false],
  2: ['Add', 'add', 'Store', false],
  3: ['Replace', 'replace', 'Store', false],
  4: ['Delete', 'delete', 'Delete', false],
  5: ['Increment', 'incr', 'Counter', false],
  6: ['Decrement', 'decr', 'Counter', false],
  7: ['Quit', 'quit', 'Info', false],
  8: ['Flush', 'flush_all', 'Delete', false],
  9: ['GetQ', 'get', 'Load', true],
  10: ['No-op', 'noop', 'Info', false],
  11: ['Version', 'version', 'Info', false],
  12: ['GetK', 'get', 'Load', false],
  13: ['GetKQ', 'get', 'Load', true],
  14: ['Append', 'append', 'Store', false],
  15: ['Prepend', 'prepend', 'Store', false],
  16: ['Stat', 'stats', 'Stats', false],
  17: ['SetQ', 'set', 'Store', true],
  18: ['AddQ', 'add', 'Store', true],
  19: ['ReplaceQ', 'replace', 'Store', true],
  20: ['DeleteQ', 'delete', 'Delete', true],
  21: ['IncrementQ', 'incr', 'Counter', true],
  22: ['DecrementQ', 'decr', 'Counter', true],
  23: ['QuitQ', 'quit', 'Info', true],
  24: ['FlushQ', 'flush_all', 'Delete', true],
  25: ['AppendQ', 'append', 'Store', true],
  26: ['PrependQ', 'prepend', 'Store', true],
  27: ['Verbosity', 'verbosity', 'Info', false],
  28: ['Touch', 'touch', 'Store', false],
  29: ['GAT', 'gat', 'Load', false],
  30: ['GATQ', 'gat', 'Load', true],
  32: ['SASL list mechs', 'sasl_list_mechs', 'Auth', false],
  33: ['SASL Auth', 'sasl_auth', 'Auth', false],
  34: ['SASL Step', 'sasl_step', 'Auth', false],
}

const STATUS: Record<number, string> = {
  0: 'Success',
  1: 'Key not found',
  2: 'Key exists',
  3: 'Value too large',
  4: 'Invalid arguments',
  5: 'Item not stored',
  6: 'Incr/Decr on non-numeric value',
  7: 'The vbucket belongs to another server',
  8: 'Authentication error',
  9: 'Authentication continue',
  129: 'Unknown command',
  130: 'Out of memory',
  131: 'Not supported',
  132: 'Internal error',
  133: 'Busy',
  134: 'Temporary failure',
}

export const BINARY_HEADER = 24

/** One binary message (request 0x80 or response 0x81) at `off`. */
export function parseBinary(buf: Buffer, off: number, st: ParseState): number {
  st.msg = null
  st.need = 0
  if (buf.length - off < BINARY_HEADER) {
    st.need = BINARY_HEADER
    return NEED
  }
  const magic = buf[off]
  if (magic !== 0x80 && magic !== 0x81) {
    st.reason = 'bad magic'
    return BAD
  }
  const opcode = buf[off + 1]
  const keyLen = buf.readUInt16BE(off + 2)
  const extLen = buf[off + 4]
  const body = buf.readUInt32BE(off + 8)
  if (body > st.maxBytes) {
    st.reason = 'body larger than maxMessageBytes'
    return BAD
  }
  if (keyLen + extLen > body) {
    st.reason = 'key and extras longer than the body'
    return BAD
  }
  const end = off + BINARY_HEADER + body
  if (end > buf.length) {
    st.need = BINARY_HEADER + body
    return NEED
  }
  const def = OPCODES[opcode]
  const isRequest = magic === 0x80
  const m: McMsg = {
    binary: true,
    isRequest,
    command: def ? def[1] : 'UNKNOWN',
    type: def ? def[2] : 'UNKNOWN',
    wireBytes: end - off,
    opcode: def ? def[0] : 'UNKNOWN',
    opcodeValue: opcode,
    opaque: buf.readUInt32BE(off + 12),
  }
  const v16 = buf.readUInt16BE(off + 6)
  const cas = buf.readUInt32BE(off + 16) * 2 ** 32 + buf.readUInt32BE(off + 20)
  const ext = off + BINARY_HEADER
  const keyOff = ext + extLen
  const valLen = body - extLen - keyLen
  const key = keyLen > 0 ? buf.toString('latin1', keyOff, keyOff + Math.min(keyLen, MAX_STR)) : undefined
  if (isRequest) {
    m.vbucket = v16
    if (def?.[3]) m.quiet = true
    if (key !== undefined) m.keys = [key]
    if (cas !== 0) m.cas = cas
    if (m.type === 'Store' && opcode !== 0x1c) {
      if (extLen >= 8) {
        m.flags = buf.readUInt32BE(ext)
        m.exptime = buf.readUInt32BE(ext + 4)
      }
      m.bytes = valLen
      m.countValues = 1
    } else if (m.type === 'Counter' && extLen >= 20) {
      m.delta = buf.readUInt32BE(ext) * 2 ** 32 + buf.readUInt32BE(ext + 4)
      m.initial = buf.readUInt32BE(ext + 8) * 2 ** 32 + buf.readUInt32BE(ext + 12)
      m.exptime = buf.readUInt32BE(ext + 16)
    } else if ((opcode === 0x1c || opcode === 0x1d || opcode === 0x1e || opcode === 0x08 || opcode === 0x18) && extLen >= 4) {
      m.exptime = buf.readUInt32BE(ext)
    } else if (opcode === 0x1b && extLen >= 4) {
      m.verbosity = buf.readUInt32BE(ext)
    } else if (opcode === 0x10 && key !== undefined) {
      m.rawArgs = key
      m.keys = undefined
    }
  } else {
    m.statusCode = v16
    m.status = STATUS[v16] ?? 'UNKNOWN'
    m.command = def ? def[1] : 'UNKNOWN'
    m.cas = cas
    if (opcode === 0x10) m.statName = key ?? ''
    else if (key !== undefined) m.keys = [key]
    if (v16 !== 0) {
      if (valLen > 0) m.errorMsg = buf.toString('latin1', keyOff + keyLen, keyOff + keyLen + Math.min(valLen, MAX_STR))
    } else if (m.type === 'Load') {
      if (extLen >= 4) m.flags = buf.readUInt32BE(ext)
      m.bytes = valLen
      m.countValues = 1
    } else if (m.type === 'Counter' && valLen >= 8) {
      const p = keyOff + keyLen
      m.value = buf.readUInt32BE(p) * 2 ** 32 + buf.readUInt32BE(p + 4)
    } else if (opcode === 0x0b) {
      m.version = buf.toString('latin1', keyOff + keyLen, keyOff + keyLen + Math.min(valLen, MAX_STR))
    }
  }
  st.msg = m
  return end
}
