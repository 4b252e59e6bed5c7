/**
 * AMQP 0-9-1 over TCP (RabbitMQ, Qpid, ...). Default port 5672; on other ports the client's
 * protocol header "AMQP\0\0\x09\x01" is recognised. Layout: codec.ts (method table, arguments,
 * content header, field tables), parser.ts (framing), session.ts (the StreamHandler),
 * matcher.ts (request/reply pairing per channel, one-message events), fields.ts (schema).
 * Options (protocols.amqp.*): parse_headers, parse_arguments, hide_connection_information,
 * max_body_length (see ./matcher.ts amqpOptions).
 */
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {PROTOCOL_HEADER} from './parser.js'
import {AmqpSession} from './session.js'

/** The 0-9-1 protocol header from the client (never throws). */
export function detect(data: Buffer, dir: Dir): boolean {
  return dir === 0 && data.length >= 8 && data.compare(PROTOCOL_HEADER, 0, 8, 0, 8) === 0
}

export const protocol: Protocol = {
  name: 'amqp',
  fields,
  tcp: {
    ports: [5672],
    detect,
    create: (conn, ctx) => new AmqpSession(conn, ctx),
  },
}
