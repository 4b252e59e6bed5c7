/**
 * Decrypts every TLS connection of samples/https (curl <-> nginx, TLS 1.2 and 1.3 suites, see its
 * README) and checks the HTTP inside against tshark's dissection with the same key log
 * (samples/https/nginx.tshark.tsv), from the pcap + key log file and from the pcapng whose
 * Decryption Secrets Block carries the key log.
 */
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {decryptCapture, type SampleResult} from './helpers.js'

const DIR = 'samples/https'

/** client port -> ["GET /big.txt body=", "200 body=40000", ...] in stream order (body = Content-Length). */
function oracle(): Map<number, string[]> {
  const m = new Map<number, string[]>()
  for (const line of readFileSync(`${DIR}/nginx.tshark.tsv`, 'latin1').split('\n')) {
    if (line === '') continue
    const [sport, dport, method, uri, code, length] = line.split('\t')
    const client = Number(method !== '' ? sport : dport)
    const l = m.get(client) ?? []
    l.push(`${method !== '' ? `${method} ${uri}` : code} body=${length}`)
    m.set(client, l)
  }
  return m
}

function pbx(r: SampleResult): Map<number, string[]> {
  const m = new Map<number, string[]>()
  for (const t of r.txs) {
    const l = m.get(t.conn.clientPort) ?? []
    const http = t.fields.http as {request: {body: {bytes: number}}; response?: {status_code?: number; body: {bytes: number}}}
    const rb = http.request.body.bytes
    l.push(`${t.method?.toUpperCase()} ${t.path} body=${rb === 0 ? '' : rb}`, `${http.response?.status_code} body=${http.response?.body.bytes}`)
    m.set(t.conn.clientPort, l)
  }
  return m
}

const SUITES = [0xc02f, 0xc030, 0xcca8, 0xc027, 0x0035, 0xc028, 0xc013, 0x1301, 0x1302, 0x1303]

function check(r: SampleResult): void {
  expect(r.conns).toHaveLength(20)
  // Every suite of the script, twice (full handshake + resumption).
  expect(r.conns.map((c) => c.suite).sort()).toEqual([...SUITES, ...SUITES].sort())
  for (const c of r.conns) {
    expect(c.createFailure, `port ${c.clientPort}`).toBeUndefined()
    expect(c.anomalies, `port ${c.clientPort}`).toEqual([])
    // Everything after the switch to protection decrypted (both sides end with close_notify).
    expect(c.decrypted[0]).toBeGreaterThan(0)
    expect(c.decrypted[1]).toBeGreaterThan(0)
    expect(c.alerts).toContain('0:1:0')
    if (c.version === 0x0304) {
      // Server: EncryptedExtensions, (Certificate, CertificateVerify | nothing when resumed), Finished.
      expect(c.handshakeTypes[1][0]).toBe(8)
      expect(c.handshakeTypes[1]).toContain(20)
      expect(c.handshakeTypes[1]).toContain(4) // NewSessionTicket after the handshake
      expect(c.handshakeTypes[0]).toEqual([20])
    } else {
      expect(c.handshakeTypes).toEqual([[20], [20]])
    }
  }
  // The 40 kB response arrived whole (several records) on each full-handshake connection.
  expect(r.conns.filter((c) => c.appBytes[1] > 40000)).toHaveLength(10)
  expect(pbx(r)).toEqual(oracle())
}

describe('decrypting samples/https', () => {
  it('with the key log file: the same HTTP requests, statuses and body sizes as tshark', async () => {
    const r = await decryptCapture(`${DIR}/nginx.pcap`, `${DIR}/nginx.keylog`)
    expect(r.keylog.stats).toMatchObject({bad: 0, unused: 1})
    expect(r.txs).toHaveLength(40)
    check(r)
  })

  it('with the key log from the pcapng Decryption Secrets Block', async () => {
    const r = await decryptCapture(`${DIR}/nginx-dsb.pcapng`)
    expect(r.keylog.size).toBe(20)
    check(r)
  })

  it('without keys: connections stay undecrypted, no HTTP, no anomaly', async () => {
    const r = await decryptCapture(`${DIR}/nginx.pcap`)
    expect(r.txs).toHaveLength(0)
    expect(r.conns.every((c) => c.createFailure === 'no-keys' && c.anomalies.length === 0)).toBe(true)
  })
})
