/**
 * MongoDB wire protocol over TCP. Default port 27017; on other ports the first bytes are recognised
 * by a plausible message header (length within bounds, a known opcode).
 */
import {DEFAULT_LIMITS} from '../../limits.js'
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {MongoSession} from './session.js'
import {OP, plausibleHeader} from './parser.js'

/** Cheap content check (never throws): a header with a plausible length and a known opcode. */
export function detect(data: Buffer, dir: Dir): boolean {
  if (!plausibleHeader(data, 0, DEFAULT_LIMITS.maxMessageBytes)) return false
  const op = data.readInt32LE(12)
  // Client messages are anything but OP_REPLY (responseTo is 0 or -1 in practice, not relied on).
  if (dir === 0) return op !== OP.REPLY
  return op === OP.REPLY || op === OP.MSG || op === OP.COMPRESSED
}

export const protocol: Protocol = {
  name: 'mongodb',
  fields,
  tcp: {
    ports: [27017],
    detect,
    create: (conn, ctx) => new MongoSession(conn, ctx),
  },
}
