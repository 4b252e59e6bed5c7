/**
 * Redis (RESP2 / RESP3) over TCP. Default port 6379; on other ports the first client bytes are
 * recognised as a RESP array of bulk strings ("*N\r\n$") or a strictly well-formed inline command.
 *
 * Options (`protocols.redis.*`): queue_max_messages, queue_max_bytes (bounds on the requests
 * waiting for a reply, see ./matcher.ts).
 */
import type {Dir} from '../../reassembly/types.js'
import {isDigitCode, isDigits} from '../shared/chars.js'
import {isMemcacheRequestLine} from '../shared/memcache-text.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {RedisSession} from './session.js'

/**
 * Inline commands recognised on other ports, with their argument counts [min, max] (redis.io
 * command reference; max -1: variadic). Strict on purpose: an inline line must have exactly the
 * shape Redis accepts, so `set foo 0 0 3` (memcache) or a data line is not taken for Redis.
 */
const INLINE: Record<string, [number, number]> = {
  PING: [0, 1], AUTH: [1, 2], HELLO: [0, 7], INFO: [0, -1], SELECT: [1, 1], GET: [1, 1], SET: [2, 8],
  DEL: [1, -1], KEYS: [1, 1], EXISTS: [1, -1], INCR: [1, 1], DECR: [1, 1], MGET: [1, -1], MSET: [2, -1],
  LPUSH: [2, -1], RPUSH: [2, -1], LPOP: [1, 2], RPOP: [1, 2], LLEN: [1, 1], LRANGE: [3, 3], HGET: [2, 2],
  HSET: [3, -1], HGETALL: [1, 1], SADD: [2, -1], SMEMBERS: [1, 1], ZADD: [3, -1], ZRANGE: [3, 7],
  EXPIRE: [2, 3], TTL: [1, 1], TYPE: [1, 1], SUBSCRIBE: [1, -1], PSUBSCRIBE: [1, -1], PUBLISH: [2, 2],
  MULTI: [0, 0], EXEC: [0, 0], FLUSHALL: [0, 1], FLUSHDB: [0, 1], DBSIZE: [0, 0], CLIENT: [1, -1],
  CONFIG: [1, -1], QUIT: [0, 0], ECHO: [1, 1], MONITOR: [0, 0], SCAN: [1, 7], COMMAND: [0, -1],
}
/** SET's options after key and value (SET key value [NX|XX] [GET] [EX s|PX ms|EXAT|PXAT t|KEEPTTL]). */
const SET_FLAGS = new Set(['NX', 'XX', 'GET', 'KEEPTTL'])
const SET_TIMED = new Set(['EX', 'PX', 'EXAT', 'PXAT'])

function setOptionsValid(opts: string[]): boolean {
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i].toUpperCase()
    if (SET_FLAGS.has(o)) continue
    if (!SET_TIMED.has(o) || !isDigits(opts[i + 1] ?? '', 1, 19)) return false
    i++
  }
  return true
}

/** `/ HTTP\/\d/.test(line)`: the line holds " HTTP/" followed by a digit. */
export function hasHttpVersion(line: string): boolean {
  for (let i = line.indexOf(' HTTP/'); i !== -1; i = line.indexOf(' HTTP/', i + 1)) if (isDigitCode(line.charCodeAt(i + 6))) return true
  return false
}

/** A strict inline command line: printable ASCII ending in CR LF, a known command with its arity. */
function inlineCommand(data: Buffer): boolean {
  const end = Math.min(data.length, 512)
  let nl = -1
  for (let i = 0; i < end; i++) {
    const c = data[i]
    if (c === 13) {
      nl = i
      break
    }
    if (c < 0x20 || c > 0x7e) return false
  }
  if (nl <= 0 || data[nl + 1] !== 10) return false
  const line = data.toString('latin1', 0, nl)
  if (hasHttpVersion(line)) return false // an HTTP request line ("GET / HTTP/1.1")
  if (isMemcacheRequestLine(line)) return false // `get k`, `quit`, ...: memcache's (see shared/memcache-text.ts)
  const tok = line.split(' ').filter((s) => s.length > 0)
  const arity = INLINE[tok[0]?.toUpperCase() ?? '']
  if (arity === undefined) return false
  const n = tok.length - 1
  if (n < arity[0] || (arity[1] >= 0 && n > arity[1])) return false
  if (tok[0].toUpperCase() === 'SET') return setOptionsValid(tok.slice(3))
  if (tok[0].toUpperCase() === 'SELECT') return isDigits(tok[1] ?? '', 1, 5)
  return true
}

/** Cheap content check on the first bytes of a connection (never throws). */
export function detect(data: Buffer, dir: Dir): boolean {
  if (data.length < 4) return false
  if (dir === 0 && data[0] === 0x2a) {
    // *<digits>\r\n$
    let i = 1
    while (i < data.length && i < 12 && data[i] >= 0x30 && data[i] <= 0x39) i++
    return i > 1 && i + 2 < data.length && data[i] === 13 && data[i + 1] === 10 && data[i + 2] === 0x24
  }
  if (dir === 0) return inlineCommand(data)
  // Server first (mid-stream capture): a greeting-like simple reply.
  return data.toString('latin1', 0, Math.min(5, data.length)) === '+OK\r\n' || data.toString('latin1', 0, 7) === '+PONG\r\n'
}

export const protocol: Protocol = {
  name: 'redis',
  fields,
  tcp: {
    ports: [6379],
    detect,
    create: (conn, ctx) => new RedisSession(conn, ctx),
  },
}
