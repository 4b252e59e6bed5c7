/**
 * HTTP/1.x (RFC 9110, RFC 9112). One HttpSession (./session.ts) per TCP connection: a parser per
 * direction (requests on dir 0, responses on dir 1) feeding one FIFO matcher that emits transactions.
 *
 * Options (`protocols.http.*`, Packetbeat's): send_headers, send_all_headers, split_cookie,
 * real_ip_header, hide_keywords, redact_authorization, redact_headers, send_request, send_response,
 * include_body_for, include_request_body_for, include_response_body_for, decode_body,
 * max_message_size, transaction_timeout: see ./options.ts.
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {METHODS} from './parser.js'
import {HttpSession} from './session.js'

/**
 * Cheap content test on the first payload bytes of a connection: a status line "HTTP/1." or a
 * known method followed by one space and the first byte of a request-target. Never throws.
 */
export function detect(data: Buffer, _dir: Dir): boolean {
  if (data.length >= 7 && data.toString('latin1', 0, 7) === 'HTTP/1.') return true
  let i = 0
  const n = Math.min(data.length, 18)
  while (i < n && ((data[i] >= 0x41 && data[i] <= 0x5a) || data[i] === 0x2d || data[i] === 0x5f)) i++
  if (i < 3 || i + 1 >= data.length || data[i] !== 0x20) return false
  const t = data[i + 1]
  // origin-form '/', asterisk-form '*', absolute-form / authority-form start with a letter or digit.
  const targetStart = t === 0x2f || t === 0x2a || (t >= 0x30 && t <= 0x39) || (t >= 0x41 && t <= 0x5a) || (t >= 0x61 && t <= 0x7a)
  return targetStart && METHODS.has(data.toString('latin1', 0, i))
}

export const protocol: Protocol = {
  name: 'http',
  fields,
  tcp: {
    ports: [80, 8080, 8000, 5000, 8002],
    detect,
    create: (conn, ctx) => new HttpSession(conn, ctx),
  },
}
