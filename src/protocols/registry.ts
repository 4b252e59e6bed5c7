/**
 * Every protocol pbx knows, one line each, in priority order (the first protocol that claims a port
 * or detects its content wins). A protocol is a folder with the fixed shape of ./types.ts.
 */
import {protocol as amqp} from './amqp/index.js'
import {protocol as cassandra} from './cassandra/index.js'
import {protocol as dhcpv4} from './dhcpv4/index.js'
import {protocol as dns} from './dns/index.js'
import {protocol as http} from './http/index.js'
import {protocol as http2} from './http2/index.js'
import {protocol as icmp} from './icmp/index.js'
import {protocol as memcache} from './memcache/index.js'
import {protocol as mongodb} from './mongodb/index.js'
import {protocol as mysql} from './mysql/index.js'
import {protocol as nfs} from './nfs/index.js'
import {protocol as pgsql} from './pgsql/index.js'
import {protocol as redis} from './redis/index.js'
import {protocol as sip} from './sip/index.js'
import {protocol as socks} from './socks/index.js'
import {protocol as starttls} from './starttls/index.js'
import {protocol as thrift} from './thrift/index.js'
import {protocol as tls} from './tls/index.js'
import type {Protocol} from './types.js'

export const protocols: readonly Protocol[] = [
  http,
  http2,
  dns,
  tls,
  mysql,
  pgsql,
  mongodb,
  redis,
  memcache,
  icmp,
  dhcpv4,
  amqp,
  sip,
  thrift,
  nfs,
  cassandra,
  starttls,
  socks,
]

export function protocolByName(name: string): Protocol | undefined {
  return protocols.find((p) => p.name === name)
}
