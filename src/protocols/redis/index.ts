/**
 * Redis (RESP2 / RESP3) over TCP. Default port 6379; on other ports the first client bytes are
 * recognised as a RESP array of bulk strings ("*N\r\n$") or a known inline command.
 *
 * Options (`protocols.redis.*`): queue_max_messages, queue_max_bytes (bounds on the requests
 * waiting for a reply, see ./matcher.ts).
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {RedisSession} from './session.js'

const INLINE = new Set([
  'PING', 'AUTH', 'HELLO', 'INFO', 'SELECT', 'GET', 'SET', 'DEL', 'KEYS', 'EXISTS', 'INCR', 'DECR',
  'MGET', 'MSET', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'LLEN', 'LRANGE', 'HGET', 'HSET', 'HGETALL',
  'SADD', 'SMEMBERS', 'ZADD', 'ZRANGE', 'EXPIRE', 'TTL', 'TYPE', 'SUBSCRIBE', 'PSUBSCRIBE',
  'PUBLISH', 'MULTI', 'EXEC', 'FLUSHALL', 'FLUSHDB', 'DBSIZE', 'CLIENT', 'CONFIG', 'QUIT', 'ECHO',
  'MONITOR', 'SCAN', 'COMMAND',
])

/** Cheap content check on the first bytes of a connection (never throws). */
export function detect(data: Buffer, dir: Dir): boolean {
  if (data.length < 4) return false
  if (dir === 0 && data[0] === 0x2a) {
    // *<digits>\r\n$
    let i = 1
    while (i < data.length && i < 12 && data[i] >= 0x30 && data[i] <= 0x39) i++
    return i > 1 && i + 2 < data.length && data[i] === 13 && data[i + 1] === 10 && data[i + 2] === 0x24
  }
  if (dir === 0) {
    const sp = data.indexOf(0x20)
    const nl = data.indexOf(13)
    const e = sp > 0 && (nl < 0 || sp < nl) ? sp : nl
    if (e <= 0 || e > 12) return false
    if (!INLINE.has(data.toString('latin1', 0, e).toUpperCase())) return false
    // Not an HTTP request line ("GET / HTTP/1.1").
    const line = data.toString('latin1', 0, Math.min(data.length, 256))
    return nl > 0 && !/ HTTP\/\d/.test(line)
  }
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
