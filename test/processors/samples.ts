/** Events from the committed sample goldens (samples/<proto>/<name>.ndjson), parsed fresh per call. */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import type {PbxEvent} from '../../src/event/build.js'
import {ROOT} from '../helpers/run-cli.js'

export function sampleEvents(rel: string): PbxEvent[] {
  return readFileSync(path.join(ROOT, 'samples', rel), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PbxEvent)
}

/** All sample events of every protocol. */
export function allSampleEvents(): PbxEvent[] {
  return [
    'http/nginx.ndjson',
    'http/ipv6-vlan-chunked.ndjson',
    'dns/dnsmasq.ndjson',
    'icmp/ping.ndjson',
    'tls/openssl.ndjson',
    'mysql/mariadb.ndjson',
    'pgsql/postgres.ndjson',
    'redis/redis.ndjson',
    'memcache/memcached.ndjson',
    'mongodb/synthetic.ndjson',
  ].flatMap(sampleEvents)
}
