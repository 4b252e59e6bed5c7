/**
 * The ICMP protocol's schema (Packetbeat's icmp fields). Single source for CSV columns and
 * `pbx fields`.
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'icmp.version', type: 'long', description: 'ICMP version: 4 (ICMP) or 6 (ICMPv6).'},
  {name: 'icmp.request.type', type: 'long', description: 'Type of the request (or of a single message, e.g. an error report).'},
  {name: 'icmp.request.code', type: 'long', description: 'Code of the request / single message.'},
  {name: 'icmp.request.message', type: 'keyword', description: 'Readable type and code, e.g. "EchoRequest", "DestinationUnreachable(Port)".'},
  {name: 'icmp.response.type', type: 'long', description: 'Type of the reply.'},
  {name: 'icmp.response.code', type: 'long', description: 'Code of the reply.'},
  {name: 'icmp.response.message', type: 'keyword', description: 'Readable type and code of the reply, e.g. "EchoReply".'},
  {name: 'pbx.icmp.id', type: 'long', description: 'Identifier of a request/reply pair (echo, timestamp, ...).'},
  {name: 'pbx.icmp.seq', type: 'long', description: 'Sequence number of a request/reply pair.'},
]
