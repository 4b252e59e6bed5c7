/**
 * samples/pgsql-tls/postgres-tls.pcap (scripts/samples/make-pgsql-tls.sh: psql against a PostgreSQL
 * server with ssl=on, SSLRequest answered 'S') against tshark's dissection: for every connection
 * pbx's TLS session has tshark's SNI, JA3 (first ClientHello), JA3S and cipher suite (last
 * ServerHello, after a HelloRetryRequest), negotiated version, and the certificate's DNS names and
 * serial number; each carries the PostgreSQL switch (pbx.starttls).
 */
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ROOT} from '../../helpers/run-cli.js'

const FILE = path.join(ROOT, 'samples/pgsql-tls/postgres-tls.pcap')
const PORT = 15433

interface Side {
  sni?: string
  ja3?: string
  ja3s?: string
  cipher?: number
  version?: string
  dns?: string[]
  serial?: string
}

const VERSIONS: Record<string, string> = {'0x0304': '1.3', '0x0303': '1.2', '0x0302': '1.1', '0x0301': '1.0'}

function tshark(): Map<number, Side> {
  const fields = ['tcp.srcport', 'tcp.dstport', 'tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions.supported_version', 'tls.handshake.version', 'tls.handshake.ja3', 'tls.handshake.ja3s', 'tls.handshake.ciphersuite', 'x509ce.dNSName', 'x509af.serialNumber']
  const out = execFileSync('tshark', ['-r', FILE, '-d', `tcp.port==${PORT},pgsql`, '-Y', 'tls.handshake', '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString()
  const m = new Map<number, Side>()
  for (const line of out.split('\n').filter(Boolean)) {
    const [src, dst, types, sni, sv, ver, ja3, ja3s, cipher, dns, serial] = line.split('|')
    const client = Number(src) === PORT ? Number(dst) : Number(src)
    const s = m.get(client) ?? {}
    m.set(client, s)
    const t = types!.split(',')
    if (t.includes('1') && s.ja3 === undefined) {
      s.ja3 = ja3
      if (sni) s.sni = sni
    }
    if (t.includes('2')) {
      s.ja3s = ja3s
      s.cipher = Number.parseInt(cipher!.split(',')[0]!, 16)
      s.version = VERSIONS[sv || ver!.split(',')[0]!]
    }
    if (dns) s.dns = dns.split(',')
    if (serial) s.serial = BigInt('0x' + serial.replaceAll(':', '')).toString(10)
  }
  return m
}

// biome-ignore lint/suspicious/noExplicitAny: events are parsed NDJSON, read field by field
type J = Record<string, any>

describe('PostgreSQL over TLS sample vs tshark', () => {
  it('every connection: SNI, JA3, JA3S, cipher, version and certificate agree', () => {
    const events = readFileSync(FILE.replace(/\.pcap$/, '.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as J)
    const ts = tshark()
    expect(ts.size).toBe(3)
    expect(events.map((e) => e.source.port).sort()).toEqual([...ts.keys()].sort())
    for (const e of events) {
      const t = ts.get(e.source.port)!
      const pbx: Side = {
        ja3: e.tls.client?.ja3,
        ja3s: e.tls.server?.ja3s,
        cipher: Number(String(e.pbx.tls.ja3s_full).split(',')[1]),
        version: e.tls.version,
      }
      if (e.tls.client?.server_name !== undefined) pbx.sni = e.tls.client.server_name
      const x = e.tls.server?.x509
      if (x !== undefined) {
        pbx.dns = x.alternative_names.filter((n: string) => !/^\d+\.\d+\.\d+\.\d+$/.test(n))
        pbx.serial = x.serial_number
      }
      expect(pbx).toEqual(t)
      expect(e.pbx.starttls).toMatchObject({protocol: 'pgsql', command: 'SSLRequest'})
    }
    // the three kinds of session the script makes
    expect(events.map((e) => [e.tls.version, e.tls.client?.server_name ?? null])).toEqual([
      ['1.3', 'localhost'],
      ['1.2', 'localhost'],
      ['1.3', null],
    ])
  })
})
