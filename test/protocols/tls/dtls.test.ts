/**
 * DTLS over UDP (src/protocols/tls/dtls.ts): records with epoch/sequence, handshake fragments
 * reassembled whatever the fragment boundary and order, retransmissions delivered once, the
 * HelloVerifyRequest cookie exchange, and the TLS fields/fingerprints of the TLS matcher.
 */
import {describe, expect, it} from 'vitest'
import {makeLimits} from '../../../src/limits.js'
import type {ConnInfo, Dir} from '../../../src/reassembly/types.js'
import {type DtlsSession, detectDtls, withoutCookie} from '../../../src/protocols/tls/dtls.js'
import {ja3String, md5Hex} from '../../../src/protocols/tls/fingerprint.js'
import {protocol} from '../../../src/protocols/tls/index.js'
import {parseHello} from '../../../src/protocols/tls/parser.js'
import {clientHello, ext, get, harness, serverHello, u16, u24} from './helpers.js'

const conn: ConnInfo = {
  id: 7,
  transport: 'udp',
  ipVersion: 4,
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  clientPort: 50000,
  serverPort: 4433,
  communityId: '1:test',
  roleBy: 'port',
}

const DTLS12 = 0xfefd
/** A ClientHello body (TLS layout from the TLS helpers) with a DTLS cookie after the session id. */
function dtlsClientHelloBody(cookie: Buffer): Buffer {
  const tls = clientHello({version: DTLS12, ciphers: [0xc02b, 0xc02f, 0x009c], extensions: [ext.sni('iot.example.org'), ext.alpn(['coap'])]}).subarray(4)
  const at = 35 + tls[34]!
  return Buffer.concat([tls.subarray(0, at), Buffer.from([cookie.length]), cookie, tls.subarray(at)])
}
const shBody = serverHello({version: DTLS12, cipher: 0xc02b}).subarray(4)

/** One DTLS handshake fragment: 12-byte header then the bytes [off, off+len) of `body`. */
function fragment(type: number, seq: number, body: Buffer, off: number, len: number): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), u16(seq), u24(off), u24(len), body.subarray(off, off + len)])
}
let recSeq = 0
function record(type: number, body: Buffer, epoch = 0): Buffer {
  const h = Buffer.alloc(13)
  h[0] = type
  h.writeUInt16BE(DTLS12, 1)
  h.writeUInt16BE(epoch, 3)
  h.writeUIntBE(recSeq++, 7, 6)
  h.writeUInt16BE(body.length, 11)
  return Buffer.concat([h, body])
}
const hs = (seq: number, type: number, body: Buffer) => record(22, fragment(type, seq, body, 0, body.length))

function run(datagrams: [Dir, Buffer][]) {
  const h = harness(makeLimits())
  const u = protocol.udp!.create(conn, h.ctx)
  const at = {frame: 0, tsSec: 0, tsNsec: 0}
  datagrams.forEach(([dir, d], i) => {
    at.frame = i + 1
    at.tsSec = 1000 + i
    u.datagram(dir, d, at)
  })
  u.end(at)
  return h
}

const cookie = Buffer.alloc(20, 0x5c)
const ch0 = dtlsClientHelloBody(Buffer.alloc(0))
const ch1 = dtlsClientHelloBody(cookie)
const hvr = Buffer.concat([u16(DTLS12), Buffer.from([cookie.length]), cookie])
const expectedJa3 = md5Hex(ja3String(parseHello(withoutCookie(ch0)!, false)))

describe('DTLS', () => {
  it('detects plaintext DTLS hellos of epoch 0 only', () => {
    expect(detectDtls(hs(0, 1, ch0), 0)).toBe(true)
    expect(detectDtls(hs(0, 3, hvr), 1)).toBe(true)
    expect(detectDtls(hs(0, 1, ch0), 1)).toBe(false)
    expect(detectDtls(record(22, fragment(1, 0, ch0, 0, ch0.length), 1), 0)).toBe(false)
    expect(detectDtls(Buffer.from([0x16, 3, 3, 0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0]), 0)).toBe(false)
  })

  it('a cookie exchange then a handshake is one session with the fields and fingerprints of TLS', () => {
    const h = run([
      [0, hs(0, 1, ch0)],
      [1, hs(0, 3, hvr)],
      [0, hs(1, 1, ch1)],
      [1, Buffer.concat([hs(1, 2, shBody), hs(2, 14, Buffer.alloc(0))])],
      [0, Buffer.concat([record(20, Buffer.from([1])), record(22, Buffer.alloc(40, 0xee), 1)])],
      [1, Buffer.concat([record(20, Buffer.from([1])), record(22, Buffer.alloc(40, 0xee), 1)])],
      [0, record(23, Buffer.alloc(30), 1)],
    ])
    expect(h.txs).toHaveLength(1)
    const t = h.txs[0]!
    expect(get(t, 'tls.version')).toBe('1.2')
    expect(get(t, 'tls.version_protocol')).toBe('dtls')
    expect(get(t, 'tls.cipher')).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256')
    expect(get(t, 'tls.established')).toBe(true)
    expect(get(t, 'tls.client.server_name')).toBe('iot.example.org')
    expect(get(t, 'tls.client.ja3')).toBe(expectedJa3)
    expect(String(get(t, 'tls.client.ja4'))).toMatch(/^dd2d0302cp_[0-9a-f]{12}_[0-9a-f]{12}$/)
    expect(get(t, 'tls.server.ja3s')).toMatch(/^[0-9a-f]{32}$/)
  })

  it('reassembles a ClientHello fragmented at every offset, in order, reversed and retransmitted', () => {
    for (let k = 1; k < ch0.length; k++) {
      const a = record(22, fragment(1, 0, ch0, 0, k))
      const b = record(22, fragment(1, 0, ch0, k, ch0.length - k))
      const orders: [Dir, Buffer][][] = [
        [[0, a], [0, b]],
        [[0, b], [0, a]],
        [[0, Buffer.concat([a, b])], [0, hs(0, 1, ch0)]],
      ]
      for (const o of orders) {
        const h = run([...o, [1, hs(0, 2, shBody)]])
        expect(h.txs.length, `split at ${k}`).toBe(1)
        expect(get(h.txs[0]!, 'tls.client.ja3'), `split at ${k}`).toBe(expectedJa3)
        expect(get(h.txs[0]!, 'tls.client.server_name'), `split at ${k}`).toBe('iot.example.org')
      }
    }
  })

  it('bounds: a fragment beyond its message and an oversized message are noted, never thrown', () => {
    const bad = record(22, Buffer.concat([Buffer.from([1]), u24(10), u16(0), u24(8), u24(5), Buffer.alloc(5)]))
    const huge = record(22, Buffer.concat([Buffer.from([1]), u24(0xffffff), u16(0), u24(0), u24(4), Buffer.alloc(4)]))
    const h = harness(makeLimits({maxMessageBytes: 1 << 16}))
    const u = protocol.udp!.create(conn, h.ctx)
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    u.datagram(0, bad, at)
    u.datagram(0, huge, at)
    u.datagram(0, Buffer.from([0x16, 0xfe]), at)
    u.end(at)
    expect(h.txs).toEqual([])
    expect([...h.stats.malformed.keys()].sort()).toEqual([
      'tls: handshake fragment beyond its message',
      'tls: handshake message exceeds maxMessageBytes',
      'tls: record header is not DTLS',
    ])
  })

  it('a hostile capture of many flows claiming 16 MiB messages holds only the bytes that arrived', () => {
    // Each flow: 8 messages claiming 16 MiB - 1 (under maxMessageBytes, over the DTLS bound), then 8
    // claiming 100 KiB (under the DTLS bound) with one 4-byte fragment each at the far end.
    const FLOWS = 300
    const claimHuge = (seq: number) => record(22, Buffer.concat([Buffer.from([11]), u24(0xffffff), u16(seq), u24(0xfffff0), u24(4), Buffer.alloc(4, 1)]))
    const claimBig = (seq: number) => record(22, Buffer.concat([Buffer.from([11]), u24(100 * 1024), u16(seq), u24(100 * 1024 - 4), u24(4), Buffer.alloc(4, 2)]))
    const h = harness(makeLimits())
    const before = process.memoryUsage().arrayBuffers
    const sessions: DtlsSession[] = []
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    for (let f = 0; f < FLOWS; f++) {
      const u = protocol.udp!.create({...conn, id: 100 + f, clientPort: 20000 + f}, h.ctx) as DtlsSession
      sessions.push(u)
      for (const dir of [0, 1] as Dir[]) {
        u.datagram(dir, hs(0, dir === 0 ? 1 : 2, dir === 0 ? ch0 : shBody), at)
        for (let s = 1; s <= 8; s++) u.datagram(dir, claimHuge(s), at)
        for (let s = 9; s <= 16; s++) u.datagram(dir, claimBig(s), at)
      }
    }
    const held = sessions.reduce((n, u) => n + u.heldBytes(), 0)
    const grown = process.memoryUsage().arrayBuffers - before
    // The skipped 16 MiB messages hold nothing, so seq 9..16 wait for them no longer: 8 x 4 bytes
    // per direction are held (allocating the claimed lengths would be 300 x 2 x 8 x 100 KiB = 480 MiB
    // for the small claims alone).
    expect(held).toBe(FLOWS * 2 * 8 * 4)
    expect(grown).toBeLessThan(64 * 1024 * 1024)
    expect(h.stats.malformed.get('tls: handshake message exceeds dtlsMaxHandshakeMessageBytes')).toBe(FLOWS * 2 * 8)
    for (const u of sessions) u.end(at)
    expect(h.txs).toHaveLength(FLOWS)
    const t = h.txs[0]!
    expect(t.notes?.filter((n) => n.includes('dtlsMaxHandshakeMessageBytes')).length).toBeGreaterThan(0)
    expect(get(t, 'tls.client.server_name')).toBe('iot.example.org')
  })

  it('a message over the DTLS bound is skipped and the messages after it are still delivered', () => {
    const h = harness(makeLimits({dtlsMaxHandshakeMessageBytes: 1024}))
    const u = protocol.udp!.create(conn, h.ctx) as DtlsSession
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    const big = Buffer.alloc(2000, 7)
    // client: seq 0 over the bound in two fragments (the second dropped silently), then the ClientHello as seq 1
    u.datagram(0, record(22, fragment(11, 0, big, 0, 1000)), at)
    u.datagram(0, record(22, fragment(11, 0, big, 1000, 1000)), at)
    u.datagram(0, hs(1, 1, ch0), at)
    u.datagram(1, hs(0, 2, shBody), at)
    expect(u.heldBytes()).toBe(0)
    u.end(at)
    expect(h.txs).toHaveLength(1)
    expect(get(h.txs[0]!, 'tls.client.ja3')).toBe(expectedJa3)
    expect(h.txs[0]!.anomalies).toEqual(['limit.dtls_handshake_bytes', 'tls.handshake_incomplete'])
    expect(h.txs[0]!.notes?.[0]).toBe('handshake message exceeds dtlsMaxHandshakeMessageBytes (client)')
    expect(h.stats.malformed.get('tls: handshake message exceeds dtlsMaxHandshakeMessageBytes')).toBe(1)
  })

  it('a message scattered into too many stretches is skipped and its bytes released', () => {
    const h = harness(makeLimits())
    const u = protocol.udp!.create(conn, h.ctx) as DtlsSession
    const at = {frame: 1, tsSec: 1, tsNsec: 0}
    const body = Buffer.alloc(2000, 3)
    for (let i = 0; i < 600; i++) u.datagram(0, record(22, fragment(11, 0, body, i * 3, 1)), at)
    expect(u.heldBytes()).toBe(0)
    expect(h.stats.malformed.get('tls: handshake message in too many fragments (skipped)')).toBe(1)
    // the next message is still delivered in order
    u.datagram(0, hs(1, 1, ch0), at)
    u.datagram(1, hs(0, 2, shBody), at)
    u.end(at)
    expect(get(h.txs[0]!, 'tls.client.ja3')).toBe(expectedJa3)
  })
})
