/**
 * ICMP (IP protocol 1) and ICMPv6 (58): request/reply pairs and single messages as transactions.
 * parser.ts reads headers and names types; session.ts receives the packets; matcher.ts pairs
 * (decisions documented there).
 */
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {IcmpSession} from './session.js'

export const protocol: Protocol = {
  name: 'icmp',
  fields,
  ip: {
    protos: [1, 58],
    create: (ctx) => new IcmpSession(ctx),
  },
}
