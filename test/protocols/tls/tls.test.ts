import {createHash} from 'node:crypto'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {makeLimits} from '../../../src/limits.js'
import {fields} from '../../../src/protocols/tls/fields.js'
import {ja4Alpn} from '../../../src/protocols/tls/fingerprint.js'
import {detect, protocol} from '../../../src/protocols/tls/index.js'
import {cipherName, isGrease, knownCipherCount} from '../../../src/protocols/tls/names.js'
import {CERT_DER, CERT_NOT_AFTER, CERT_NOT_BEFORE, CERT_SERIAL, CERT_SHA1} from './cert-fixture.js'
import {
  alert,
  appData,
  bytewise,
  ccs,
  certificate,
  clientHello,
  conn,
  encryptedFinished,
  ext,
  type Flight,
  get,
  HRR_RANDOM,
  handshake,
  harness,
  record,
  run,
  serverHello,
  splitAt,
} from './helpers.js'

const md5 = (s: string) => createHash('md5').update(s).digest('hex')
const sha12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12)
const ng = (l: number[]) => l.filter((v) => !((v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff)))

// --- a TLS 1.2 full handshake ------------------------------------------------------------------
const CIPHERS12 = [0xc02f, 0xc030, 0xcca8, 0x009c, 0x002f, 0x00ff]
const GROUPS12 = [29, 23, 24]
const SIGALGS12 = [0x0403, 0x0804, 0x0401]
const EXTS12 = [
  ext.sni('www.example.com'),
  ext.raw(23),
  ext.raw(65281, Buffer.from([0])),
  ext.groups(GROUPS12),
  ext.pointFormats([0]),
  ext.ticket(Buffer.alloc(0)),
  ext.alpn(['h2', 'http/1.1']),
  ext.sigAlgs(SIGALGS12),
]
const ch12 = clientHello({ciphers: CIPHERS12, extensions: EXTS12})
const sh12Exts = [ext.raw(65281, Buffer.from([0])), ext.raw(23), ext.alpn(['h2'])]
const sh12 = serverHello({cipher: 0xc02f, sessionId: Buffer.alloc(32, 7), extensions: sh12Exts})
const serverFlight12 = Buffer.concat([
  // ServerHello + Certificate + ServerKeyExchange + ServerHelloDone in one record
  record(22, Buffer.concat([sh12, certificate([CERT_DER, CERT_DER]), handshake(12, Buffer.alloc(100, 1)), handshake(14, Buffer.alloc(0))])),
])
const tls12: Flight[] = [
  [0, record(22, ch12, 0x0301)],
  [1, serverFlight12],
  [0, Buffer.concat([record(22, handshake(16, Buffer.alloc(66, 2))), ccs(), encryptedFinished()])],
  [1, Buffer.concat([ccs(), encryptedFinished()])],
  [0, appData(300)],
  [1, Buffer.concat([appData(1200), appData(20)])],
  [0, record(21, Buffer.alloc(26, 9))], // encrypted close_notify
]

describe('tls: TLS 1.2 handshake', () => {
  const {txs, stats} = run(tls12)
  const t = txs[0]!

  it('emits one OK transaction with the negotiated parameters', () => {
    expect(txs).toHaveLength(1)
    expect(t.status).toBe('OK')
    expect(t.notes).toBeUndefined()
    expect(get(t, 'tls.version')).toBe('1.2')
    expect(get(t, 'tls.version_protocol')).toBe('tls')
    expect(get(t, 'tls.cipher')).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')
    expect(get(t, 'tls.established')).toBe(true)
    expect(get(t, 'tls.resumed')).toBe(false)
    expect(get(t, 'tls.next_protocol')).toBe('h2')
    expect(get(t, 'tls.client.server_name')).toBe('www.example.com')
    expect(get(t, 'tls.detailed.version')).toBe('TLS 1.2')
    expect(get(t, 'tls.detailed.client_hello.version')).toBe('3.3')
    expect(get(t, 'tls.detailed.client_hello.extensions.supported_groups')).toEqual(['x25519', 'secp256r1', 'secp384r1'])
    expect(get(t, 'tls.detailed.client_hello.extensions.signature_algorithms')).toEqual([
      'ecdsa_secp256r1_sha256',
      'rsa_pss_rsae_sha256',
      'rsa_pkcs1_sha256',
    ])
    expect(get(t, 'tls.client.supported_ciphers')).toEqual([
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_RSA_WITH_AES_128_CBC_SHA',
      'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
    ])
    expect(stats.unmatchedRequests + stats.unmatchedResponses).toBe(0)
  })

  it('computes JA3 and JA3S as an independent computation does', () => {
    const ja3 = `771,${CIPHERS12.join('-')},${EXTS12.map((e) => e[0]).join('-')},${GROUPS12.join('-')},0`
    expect(get(t, 'pbx.tls.ja3_full')).toBe(ja3)
    expect(get(t, 'tls.client.ja3')).toBe(md5(ja3))
    const ja3s = `771,${0xc02f},${sh12Exts.map((e) => e[0]).join('-')}`
    expect(get(t, 'tls.server.ja3s')).toBe(md5(ja3s))
  })

  it('summarises the leaf certificate', () => {
    expect(get(t, 'tls.server.x509.subject.common_name')).toBe('test.pbx.example')
    expect(get(t, 'tls.server.x509.issuer.common_name')).toBe('test.pbx.example')
    expect(get(t, 'tls.server.x509.not_before')).toBe(CERT_NOT_BEFORE)
    expect(get(t, 'tls.server.x509.not_after')).toBe(CERT_NOT_AFTER)
    expect(get(t, 'tls.server.x509.serial_number')).toBe(CERT_SERIAL)
    expect(get(t, 'tls.server.x509.alternative_names')).toEqual(['test.pbx.example', 'alt.pbx.example'])
    expect(get(t, 'tls.server.hash.sha1')).toBe(CERT_SHA1)
    expect(get(t, 'tls.server.subject')).toBe('CN=test.pbx.example,O=pbx test,C=US')
    expect(get(t, 'tls.server.certificate_chain_length')).toBe(2)
  })

  it('gives the x509 details Packetbeat names (openssl x509 -text of the fixture) and the rest of the chain', () => {
    const x = get(t, 'tls.server.x509') as Record<string, any>
    expect(x.subject).toEqual({common_name: 'test.pbx.example', organization: ['pbx test'], country: ['US'], distinguished_name: 'CN=test.pbx.example,O=pbx test,C=US'})
    expect(x.issuer.distinguished_name).toBe('CN=test.pbx.example,O=pbx test,C=US')
    expect(x.public_key_algorithm).toBe('ECDSA')
    expect(x.public_key_size).toBe(256)
    expect(x.signature_algorithm).toBe('ECDSA-SHA256')
    expect(x.version_number).toBe('3')
    const chain = get(t, 'tls.detailed.server_certificate_chain') as Record<string, any>[]
    expect(chain).toHaveLength(1)
    expect(chain[0]).toEqual(x)
  })

  it('gives both hello randoms as hex', () => {
    expect(get(t, 'tls.detailed.client_hello.random')).toBe('11'.repeat(32))
    expect(get(t, 'tls.detailed.server_hello.random')).toBe('22'.repeat(32))
  })

  it('counts bytes, records and the encrypted alert; times end at the handshake', () => {
    const sum = (d: number) => tls12.filter((f) => f[0] === d).reduce((a, f) => a + f[1].length, 0)
    expect(t.requestBytes).toBe(sum(0))
    expect(t.responseBytes).toBe(sum(1))
    expect(get(t, 'pbx.tls.client_records')).toBe(6)
    expect(get(t, 'pbx.tls.server_records')).toBe(5)
    expect(get(t, 'pbx.tls.encrypted_alerts')).toBe(1)
    expect(get(t, 'tls.detailed.alerts')).toEqual([{severity: 'unknown', code: -1, type: 'encrypted alert', source: 'client'}])
    expect([t.startFrame, t.startSec, t.endFrame, t.endSec]).toEqual([1, 1000, 4, 1003])
  })

  it('gives identical transactions for every split offset and byte-at-a-time delivery', () => {
    const ref = JSON.stringify(run(tls12).txs)
    const maxLen = Math.max(...tls12.map((f) => f[1].length))
    for (let k = 1; k < maxLen; k++) expect(JSON.stringify(run(tls12, splitAt(k)).txs)).toBe(ref)
    expect(JSON.stringify(run(tls12, bytewise).txs)).toBe(ref)
  })

  it('reassembles a handshake message spread over several records', () => {
    // Certificate message cut into 3 records of arbitrary size.
    const msg = Buffer.concat([sh12, certificate([CERT_DER])])
    const recs = Buffer.concat([
      record(22, msg.subarray(0, 50)),
      record(22, msg.subarray(50, 301)),
      record(22, msg.subarray(301)),
    ])
    const {txs} = run([[0, record(22, ch12)], [1, recs]])
    expect(get(txs[0]!, 'tls.server.hash.sha1')).toBe(CERT_SHA1)
  })
})

// --- GREASE and JA4 ----------------------------------------------------------------------------
describe('tls: fingerprints', () => {
  it('removes GREASE values from JA3 lists, supported_ciphers and JA4 counts', () => {
    const ciphers = [0x4a4a, 0x1301, 0x1302, 0xc02b]
    const e = [ext.raw(0xdada), ext.sni('g.example'), ext.groups([0x8a8a, 29, 23]), ext.versionsCH([0x7a7a, 0x0304, 0x0303]), ext.raw(0x1a1a, Buffer.from([0]))]
    const {txs} = run([[0, record(22, clientHello({ciphers, extensions: e}))]])
    const t = txs[0]!
    const ja3 = `771,${ng(ciphers).join('-')},${ng(e.map((x) => x[0])).join('-')},29-23,`
    expect(get(t, 'pbx.tls.ja3_full')).toBe(ja3)
    expect(get(t, 'tls.client.ja3')).toBe(md5(ja3))
    expect(get(t, 'tls.client.supported_ciphers')).toHaveLength(3)
    expect(String(get(t, 'tls.client.ja4')).slice(0, 10)).toBe('t13d030300')
    expect(get(t, 'tls.detailed.client_hello.extensions.supported_versions')).toEqual(['TLS 1.3', 'TLS 1.2'])
    expect([0x0a0a, 0xfafa, 0x4a4a].every(isGrease)).toBe(true)
    expect([0x0a1a, 0x1301, 0x0a0b].some(isGrease)).toBe(false)
  })

  it("reproduces JA4.md's published example (t13d1516h2_8daaf6152771_e5627efa2ab1)", () => {
    const ciphers = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    const sig = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    const order = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015]
    const build = (sigs: number[]) =>
      order.map((t) =>
        t === 0 ? ext.sni('example.com') : t === 0x10 ? ext.alpn(['h2', 'http/1.1']) : t === 0x0d ? ext.sigAlgs(sigs) : t === 0x2b ? ext.versionsCH([0x0304, 0x0303]) : ext.raw(t),
      )
    const a = run([[0, record(22, clientHello({ciphers: [0x2a2a, ...ciphers], extensions: [ext.raw(0x3a3a), ...build(sig)]}))]])
    expect(get(a.txs[0]!, 'tls.client.ja4')).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1')
    // Spec: without signature algorithms the string has no '_' and hashes to 6d807ffa2a79.
    const b = run([[0, record(22, clientHello({ciphers, extensions: build([])}))]])
    expect(get(b.txs[0]!, 'tls.client.ja4')).toBe('t13d1516h2_8daaf6152771_6d807ffa2a79')
    // And our helper agrees with an independent sha256 of the spec's sorted strings.
    expect(sha12('002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9')).toBe('8daaf6152771')
  })

  it('JA4 ALPN characters follow the spec examples', () => {
    const s = (b: number[]) => Buffer.from(b).toString('latin1')
    expect(ja4Alpn(undefined)).toBe('00')
    expect(ja4Alpn('')).toBe('00')
    expect(ja4Alpn('http/1.1')).toBe('h1')
    expect(ja4Alpn('h')).toBe('hh')
    expect(ja4Alpn(s([0xab]))).toBe('ab')
    expect(ja4Alpn(s([0xab, 0xcd]))).toBe('ad')
    expect(ja4Alpn(s([0x30, 0xab]))).toBe('3b')
    expect(ja4Alpn(s([0x30, 0x31, 0xab, 0xcd]))).toBe('3d')
    expect(ja4Alpn(s([0x30, 0xab, 0xcd, 0x31]))).toBe('01')
  })

  it('JA4 for a TLS 1.2 client without SNI or ALPN, and with no ciphers', () => {
    const {txs} = run([[0, record(22, clientHello({ciphers: [0x002f], extensions: [ext.raw(23)]}))]])
    expect(get(txs[0]!, 'tls.client.ja4')).toBe(`t12i010100_${sha12('002f')}_${sha12('0017')}`)
    const r = run([[0, record(22, clientHello({ciphers: [], version: 0x0300}))]])
    expect(get(r.txs[0]!, 'tls.client.ja4')).toBe('ts3i000000_000000000000_000000000000')
  })
})

// --- TLS 1.3, HRR, resumption, alerts -----------------------------------------------------------
const ch13 = clientHello({
  ciphers: [0x1301, 0x1302],
  sessionId: Buffer.alloc(32, 5),
  extensions: [ext.sni('tls13.example'), ext.groups([29]), ext.versionsCH([0x0304, 0x0303]), ext.raw(51, Buffer.alloc(38, 1))],
})
const sh13 = (psk = false) =>
  serverHello({cipher: 0x1301, sessionId: Buffer.alloc(32, 5), extensions: [ext.versionSH(0x0304), ext.raw(51, Buffer.alloc(36, 1)), ...(psk ? [ext.psk()] : [])]})

describe('tls: TLS 1.3', () => {
  const flights = (psk: boolean): Flight[] => [
    [0, record(22, ch13, 0x0301)],
    [1, Buffer.concat([record(22, sh13(psk)), ccs(), appData(800), appData(60)])],
    [0, Buffer.concat([ccs(), appData(60)])],
    [1, appData(100)],
  ]
  it('takes the version from supported_versions and completes on encrypted records', () => {
    const {txs} = run(flights(false))
    const t = txs[0]!
    expect(t.status).toBe('OK')
    expect(get(t, 'tls.version')).toBe('1.3')
    expect(get(t, 'tls.detailed.version')).toBe('TLS 1.3')
    expect(get(t, 'tls.detailed.server_hello.version')).toBe('3.3')
    expect(get(t, 'tls.cipher')).toBe('TLS_AES_128_GCM_SHA256')
    expect(get(t, 'tls.established')).toBe(true)
    // The legacy session id echo of middlebox-compatibility mode is not resumption.
    expect(get(t, 'tls.resumed')).toBe(false)
    expect(t.endFrame).toBe(3)
  })
  it('reports resumption when the server accepts a PSK', () => {
    const t = run(flights(true)).txs[0]!
    expect(get(t, 'tls.resumed')).toBe(true)
    expect(get(t, 'tls.detailed.resumption_method')).toBe('psk')
  })
  it('is split-invariant', () => {
    const ref = JSON.stringify(run(flights(true)).txs)
    for (let k = 1; k < 900; k += 7) expect(JSON.stringify(run(flights(true), splitAt(k)).txs)).toBe(ref)
    expect(JSON.stringify(run(flights(true), bytewise).txs)).toBe(ref)
  })

  it('follows a HelloRetryRequest: a dummy CCS before the second ClientHello does not hide it', () => {
    const ch2 = clientHello({ciphers: [0x1301, 0x1302], extensions: [ext.sni('tls13.example'), ext.groups([23]), ext.versionsCH([0x0304])]})
    const hrr = serverHello({cipher: 0x1301, random: HRR_RANDOM, extensions: [ext.versionSH(0x0304), ext.raw(51, u16(23))]})
    const {txs} = run([
      [0, record(22, ch13, 0x0301)],
      [1, Buffer.concat([record(22, hrr), ccs()])],
      [0, Buffer.concat([ccs(), record(22, ch2)])],
      [1, Buffer.concat([record(22, sh13()), appData(500)])],
      [0, appData(60)],
    ])
    expect(txs).toHaveLength(1)
    const t = txs[0]!
    expect(get(t, 'pbx.tls.client_hellos')).toBe(2)
    expect(get(t, 'pbx.tls.hello_retry_request')).toBe(true)
    expect(t.notes).toContain('hello retry request')
    // JA3 of the first ClientHello (groups 29), as tshark and Zeek report the session.
    expect(String(get(t, 'pbx.tls.ja3_full')).split(',')[3]).toBe('29')
    expect(get(t, 'tls.version')).toBe('1.3')
    expect(t.status).toBe('OK')
  })
})

function u16(n: number) {
  return Buffer.from([n >> 8, n & 0xff])
}

describe('tls: resumption, alerts, unmatched halves', () => {
  it('detects session-id resumption (abbreviated handshake)', () => {
    const sid = Buffer.alloc(32, 0x42)
    const {txs} = run([
      [0, record(22, clientHello({ciphers: [0xc02f], sessionId: sid, extensions: [ext.sni('r.example')]}))],
      [1, Buffer.concat([record(22, serverHello({cipher: 0xc02f, sessionId: sid})), ccs(), encryptedFinished()])],
      [0, Buffer.concat([ccs(), encryptedFinished()])],
    ])
    const t = txs[0]!
    expect(get(t, 'tls.resumed')).toBe(true)
    expect(get(t, 'tls.detailed.resumption_method')).toBe('id')
    expect(t.status).toBe('OK')
  })

  it('a new session id with a full handshake is not resumption', () => {
    const t = run(tls12).txs[0]!
    expect(get(t, 'tls.resumed')).toBe(false)
  })

  it('a plaintext fatal alert makes the session an Error with the alert listed', () => {
    const h = run([
      [0, record(22, ch12, 0x0301)],
      [1, alert(2, 40)],
    ])
    const t = h.txs[0]!
    expect(t.status).toBe('Error')
    expect(get(t, 'tls.detailed.alerts')).toEqual([{severity: 'fatal', code: 40, type: 'handshake_failure', source: 'server'}])
    expect(t.notes).toEqual(['no response: no server hello', 'fatal alert: handshake_failure (server)'])
    expect(get(t, 'tls.version')).toBeUndefined()
    expect(h.stats.unmatchedRequests).toBe(1)
  })

  it('a ServerHello without a ClientHello is an Error and counted', () => {
    const h = run([[1, record(22, sh12)]])
    expect(h.txs[0]!.status).toBe('Error')
    expect(h.txs[0]!.notes?.[0]).toMatch(/^response without request/)
    expect(h.stats.unmatchedResponses).toBe(1)
  })

  it('a handshake cut off at the end is incomplete', () => {
    const t = run([[0, record(22, ch12)], [1, serverFlight12]]).txs[0]!
    expect(t.status).toBe('Error')
    expect(t.notes).toContain('handshake incomplete')
    expect(get(t, 'tls.established')).toBe(false)
  })
})

// --- malformed input, limits, gaps -------------------------------------------------------------
describe('tls: hostile input', () => {
  it('non-TLS bytes give no transaction and a counter', () => {
    const h = run([[0, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')], [1, Buffer.from('HTTP/1.1 200 OK\r\n\r\n')]])
    expect(h.txs).toHaveLength(0)
    expect(h.stats.malformed.get('tls: record header is not TLS')).toBe(2)
  })

  it('a certificate that is not X.509 becomes a note', () => {
    const bad = Buffer.concat([record(22, Buffer.concat([sh12, certificate([Buffer.from('not a certificate at all')])]))])
    const h = run([[0, record(22, ch12)], [1, bad]])
    expect(h.txs[0]!.notes).toContain('certificate does not parse as X.509 (server)')
    expect(get(h.txs[0]!, 'tls.server.x509')).toBeUndefined()
    expect(get(h.txs[0]!, 'tls.cipher')).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')
  })

  it('a handshake message above maxMessageBytes is skipped with a note', () => {
    const h = harness(makeLimits({maxMessageBytes: 200}))
    run([[0, record(22, ch12)], [1, serverFlight12]], (b) => [b], h)
    const t = h.txs[0]!
    expect(t.notes).toContain('handshake message exceeds maxMessageBytes (server)')
    expect(get(t, 'tls.cipher')).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')
    expect(get(t, 'tls.server.x509')).toBeUndefined()
  })

  it('resynchronises after a gap at the next record boundary', () => {
    const h = harness()
    const handler = protocol.tcp!.create(conn, h.ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    handler.data(0, record(22, ch12), at)
    handler.data(1, serverFlight12.subarray(0, 60), at)
    handler.gap(1, 500, at)
    handler.data(1, serverFlight12.subarray(600), at) // mid-record: discarded
    handler.data(1, Buffer.concat([ccs(), encryptedFinished()]), at) // a record boundary
    handler.data(0, Buffer.concat([ccs(), encryptedFinished()]), at)
    handler.end('fin', at)
    const t = h.txs[0]!
    expect(t.notes).toContain('gap: 500 bytes missing (server)')
    expect(get(t, 'pbx.tls.server_records')).toBe(3)
    // The ServerHello was inside the lost part of the first record.
    expect(get(t, 'tls.cipher')).toBeUndefined()
  })

  it('a ServerHello truncated before its cipher suite is an anomaly, not a crash', () => {
    const shBody = Buffer.concat([u16(0x0303), Buffer.alloc(32, 1), Buffer.from([40])]) // bad session id length
    const h = run([[0, record(22, ch12)], [1, record(22, handshake(2, shBody))]])
    const t = h.txs[0]!
    expect(t.notes).toContain('server hello: bad session id length (server)')
    expect(get(t, 'tls.cipher')).toBeUndefined()
    expect(get(t, 'tls.version')).toBe('1.2')
  })

  it('parses a TLS 1.3 draft-16 ServerHello (no session id, no compression)', () => {
    const body = Buffer.concat([u16(0x7f10), Buffer.alloc(32, 1), u16(0x1301), u16(0)])
    const t = run([[0, record(22, ch12)], [1, record(22, handshake(2, body))]]).txs[0]!
    expect(t.notes).toEqual(['handshake incomplete'])
    expect(get(t, 'tls.cipher')).toBe('TLS_AES_128_GCM_SHA256')
    expect(get(t, 'tls.detailed.version')).toBe('TLS 1.3 draft 16')
    expect(get(t, 'tls.version')).toBeUndefined()
    expect(get(t, 'pbx.tls.ja3s_full')).toBe('32528,4865,')
  })

  it('never throws on random bytes in random chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.uint8Array({maxLength: 64})), {maxLength: 30}),
        (chunks) => {
          const h = harness()
          const handler = protocol.tcp!.create(conn, h.ctx)
          const at = {frame: 1, tsSec: 1, tsNsec: 0}
          for (const [d, b] of chunks) handler.data(d, Buffer.from(b), at)
          handler.end('eof', at)
        },
      ),
      {numRuns: 300},
    )
  })

  it('never throws on corrupted handshakes (mutated bytes, random chunking)', () => {
    const whole = tls12.map((f) => f[1])
    fc.assert(
      fc.property(
        fc.integer({min: 0, max: whole.length - 1}),
        fc.array(fc.tuple(fc.nat(), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 8}),
        fc.integer({min: 1, max: 64}),
        (which, muts, chunk) => {
          const flights: Flight[] = tls12.map(([d, b], i) => {
            const c = Buffer.from(b)
            if (i === which) for (const [pos, v] of muts) c[pos % c.length] = v
            return [d, c]
          })
          const split = (b: Buffer) => {
            const out: Buffer[] = []
            for (let i = 0; i < b.length; i += chunk) out.push(b.subarray(i, i + chunk))
            return out
          }
          const h = run(flights, split)
          // A mutation can turn a later handshake message into a second ClientHello: that starts a
          // second session (as a renegotiation would), so at most two come out, never more.
          expect(h.txs.length).toBeLessThanOrEqual(2)
          for (const t of h.txs) expect(['OK', 'Error']).toContain(t.status)
        },
      ),
      {numRuns: 300, examples: [[2, [[522094235, 1], [6, 0]], 1]]},
    )
  })
})

// --- detection, SSLv2, names, schema ----------------------------------------------------------
describe('tls: detection and tables', () => {
  it('detects ClientHello/ServerHello records and SSLv2 hellos, not other protocols', () => {
    expect(detect(record(22, ch12, 0x0301), 0)).toBe(true)
    expect(detect(record(22, sh12), 1)).toBe(true)
    expect(detect(record(22, ch12).subarray(0, 5), 0)).toBe(true)
    expect(detect(record(22, sh12), 0)).toBe(false)
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe(false)
    expect(detect(Buffer.from([0x16, 0x03, 0x05, 0x00, 0x10, 0x01]), 0)).toBe(false)
    expect(detect(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01]), 0)).toBe(false)
    expect(detect(Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01, 0x00]), 0)).toBe(true)
    expect(detect(Buffer.alloc(0), 0)).toBe(false)
  })

  it('parses an SSLv2-compatible ClientHello', () => {
    // msg 1, version 3.1, 2 cipher specs (one SSLv2-only, one TLS), no session id, 16-byte challenge
    const body = Buffer.concat([
      Buffer.from([1, 3, 1, 0, 6, 0, 0, 0, 16]),
      Buffer.from([0x07, 0x00, 0xc0, 0x00, 0x00, 0x2f]),
      Buffer.alloc(16, 3),
    ])
    const rec = Buffer.concat([Buffer.from([0x80 | (body.length >> 8), body.length & 0xff]), body])
    expect(detect(rec, 0)).toBe(true)
    const flights: Flight[] = [
      [0, rec],
      [1, Buffer.concat([record(22, serverHello({cipher: 0x002f, version: 0x0301}), 0x0301), ccs(0x0301), encryptedFinished(0x0301)])],
      [0, Buffer.concat([ccs(0x0301), encryptedFinished(0x0301)])],
    ]
    const ref = JSON.stringify(run(flights).txs)
    const t = run(flights).txs[0]!
    expect(get(t, 'tls.client.supported_ciphers')).toEqual(['SSL2_0x0700C0', 'TLS_RSA_WITH_AES_128_CBC_SHA'])
    expect(get(t, 'tls.detailed.client_hello.ssl2')).toBe(true)
    expect(get(t, 'tls.version')).toBe('1.0')
    expect(t.status).toBe('OK')
    expect(JSON.stringify(run(flights, bytewise).txs)).toBe(ref)
  })

  it('names ciphers from the IANA table and unknown ones as hex', () => {
    expect(knownCipherCount).toBeGreaterThanOrEqual(150)
    expect(cipherName(0x1303)).toBe('TLS_CHACHA20_POLY1305_SHA256')
    expect(cipherName(0xc02c)).toBe('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384')
    expect(cipherName(0xff85)).toBe('0xFF85')
  })

  it('declares every field it emits in fields.ts', () => {
    const declared = new Set(fields.map((f) => f.name))
    const leaves = new Set<string>()
    const walk = (o: unknown, p: string) => {
      if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
        for (const [k, v] of Object.entries(o)) walk(v, p ? `${p}.${k}` : k)
      } else leaves.add(p)
    }
    for (const flights of [tls12]) for (const t of run(flights).txs) walk(t.fields, '')
    const undeclared = [...leaves].filter((l) => !declared.has(l) && !declared.has(l.split('.').slice(0, -1).join('.')))
    expect(undeclared).toEqual([])
  })
})
