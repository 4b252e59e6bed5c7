/**
 * ICMP (IP protocol 1) and ICMPv6 (58): request/reply pairs and single messages as transactions.
 * parser.ts reads headers and names types; matcher.ts pairs (decisions documented there).
 */
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {IcmpMatcher} from './matcher.js'

export const protocol: Protocol = {
  name: 'icmp',
  fields,
  ip: {
    protos: [1, 58],
    create: (ctx) => new IcmpMatcher(ctx),
  },
}
