import {describe, expect, it} from 'vitest'
import {createDecryptor, type DecryptParams, type TlsDecryptor} from '../../../../src/protocols/tls/decrypt/decryptor.js'
import {keyBlock12, nextTrafficSecret13, trafficKeys13} from '../../../../src/protocols/tls/decrypt/kdf.js'
import {KeyLog} from '../../../../src/protocols/tls/decrypt/keylog.js'
import type {Dir} from '../../../../src/reassembly/types.js'
import {seal12Cbc, seal12Chacha, seal12Gcm, seal13} from './seal.js'

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const CR = h('cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7')
const SR = Buffer.alloc(32, 0x5e)
const hs = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body])

/** Everything the sink saw, as text lines. */
function rig(params: DecryptParams, keylogText: string, maxMessageBytes = 1 << 20) {
  const log: string[] = []
  const keylog = new KeyLog()
  keylog.addText(keylogText, 'test')
  const r = createDecryptor<number>(
    params,
    keylog,
    {
      applicationData: (dir: Dir, d: Buffer, at) => log.push(`${at} app${dir} ${d.toString('hex')}`),
      handshake: (dir: Dir, type: number, body: Buffer) => log.push(`hs${dir} ${type} ${body.toString('hex')}`),
      alert: (dir: Dir, l: number, d: number) => log.push(`alert${dir} ${l} ${d}`),
      anomaly: (dir: Dir, code: string) => log.push(`anomaly${dir} ${code}`),
    },
    {maxMessageBytes},
  )
  if (!r.ok) throw new Error(r.reason)
  return {log, dec: r.decryptor as TlsDecryptor<number>}
}

// RFC 8448 §3 traffic secrets and the client's protected records.
const RFC = {
  cHs: 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21',
  sHs: 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
  cAp: '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5',
  sAp: 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643',
  clientFinished: '75ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546',
  clientApp:
    'a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4',
}
const cr = CR.toString('hex')
const log13 = (s: typeof RFC, early?: string) =>
  [
    `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${cr} ${s.cHs}`,
    `SERVER_HANDSHAKE_TRAFFIC_SECRET ${cr} ${s.sHs}`,
    `CLIENT_TRAFFIC_SECRET_0 ${cr} ${s.cAp}`,
    `SERVER_TRAFFIC_SECRET_0 ${cr} ${s.sAp}`,
    early === undefined ? '' : `CLIENT_EARLY_TRAFFIC_SECRET ${cr} ${early}`,
  ].join('\n')
const P13: DecryptParams = {version: 0x0304, cipherSuite: 0x1301, clientRandom: CR, serverRandom: SR}
const keys = (secret: string) => trafficKeys13('sha256', h(secret), 16)

describe('TLS 1.3', () => {
  it('RFC 8448 §3: client Finished under the handshake keys, then application data 00..31', () => {
    const {log, dec} = rig(P13, log13(RFC))
    dec.record(0, 22, 0x0303, Buffer.from([1]), 1) // a plaintext record (ignored)
    dec.record(0, 20, 0x0303, Buffer.from([1]), 1) // the dummy ChangeCipherSpec (ignored)
    dec.record(0, 23, 0x0303, h(RFC.clientFinished), 2)
    dec.record(0, 23, 0x0303, h(RFC.clientApp), 3)
    const counting = Buffer.from(Array.from({length: 50}, (_, i) => i)).toString('hex')
    expect(log).toEqual(['hs0 20 a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61', `3 app0 ${counting}`])
    expect(dec.decrypted).toEqual([2, 0])
  })

  it('server flight: messages spanning records, padding, switch to application keys after Finished, KeyUpdate', () => {
    const {log, dec} = rig(P13, log13(RFC))
    const k = keys(RFC.sHs)
    const ee = hs(8, Buffer.from('0000', 'hex'))
    const cert = hs(11, Buffer.alloc(3000, 0xce))
    const fin = hs(20, Buffer.alloc(32, 0xf1))
    const flight = Buffer.concat([ee, cert, fin])
    // Cut the flight at odd places: EE + part of Certificate | rest of Certificate + Finished.
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', k.key, k.iv, 0, 22, flight.subarray(0, 1000), 7), 1)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', k.key, k.iv, 1, 22, flight.subarray(1000)), 2)
    const a = keys(RFC.sAp)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', a.key, a.iv, 0, 23, Buffer.from('one')), 3)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', a.key, a.iv, 1, 22, hs(24, Buffer.from([0]))), 4)
    const next = trafficKeys13('sha256', nextTrafficSecret13('sha256', h(RFC.sAp)), 16)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', next.key, next.iv, 0, 23, Buffer.from('two')), 5)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', next.key, next.iv, 1, 21, Buffer.from([1, 0])), 6)
    expect(log).toEqual([
      'hs1 8 0000',
      `hs1 11 ${'ce'.repeat(3000)}`,
      `hs1 20 ${'f1'.repeat(32)}`,
      `3 app1 ${Buffer.from('one').toString('hex')}`,
      'hs1 24 00',
      `5 app1 ${Buffer.from('two').toString('hex')}`,
      'alert1 1 0',
    ])
  })

  it('a record still under the old key after a KeyUpdate fails: tls.decrypt_failed once, the direction stops', () => {
    const {log, dec} = rig(P13, log13(RFC))
    const k = keys(RFC.sHs)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', k.key, k.iv, 0, 22, hs(20, Buffer.alloc(32))), 1)
    const a = keys(RFC.sAp)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', a.key, a.iv, 0, 22, hs(24, Buffer.from([0]))), 2)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', a.key, a.iv, 1, 23, Buffer.from('x')), 3)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', a.key, a.iv, 2, 23, Buffer.from('y')), 4)
    expect(log.slice(2)).toEqual(['anomaly1 tls.decrypt_failed'])
    expect(dec.active(1)).toBe(false)
    // The client direction is unaffected.
    dec.record(0, 23, 0x0303, h(RFC.clientFinished), 5)
    expect(log.at(-1)).toMatch(/^hs0 20 /)
  })

  it('a flipped bit, a truncated record and a gap each stop only their direction', () => {
    const bad = h(RFC.clientFinished)
    bad[10]! ^= 1
    const r1 = rig(P13, log13(RFC))
    r1.dec.record(0, 23, 0x0303, bad, 1)
    r1.dec.record(0, 23, 0x0303, h(RFC.clientFinished), 2)
    expect(r1.log).toEqual(['anomaly0 tls.decrypt_failed'])
    const r2 = rig(P13, log13(RFC))
    r2.dec.record(0, 23, 0x0303, Buffer.alloc(5), 1)
    expect(r2.log).toEqual(['anomaly0 tls.decrypt_failed'])
    const r3 = rig(P13, log13(RFC))
    r3.dec.gap(0, 1)
    r3.dec.gap(0, 2)
    r3.dec.record(0, 23, 0x0303, h(RFC.clientFinished), 3)
    expect(r3.log).toEqual(['anomaly0 tls.decrypt_gap'])
    expect(r3.dec.active(1)).toBe(true)
  })

  it('0-RTT: early data under the early secret, EndOfEarlyData, then handshake keys', () => {
    const early = '11'.repeat(32)
    const {log, dec} = rig(P13, log13(RFC, early))
    const e = keys(early)
    dec.record(0, 23, 0x0303, seal13('aes-128-gcm', e.key, e.iv, 0, 23, Buffer.from('GET /')), 1)
    dec.record(0, 23, 0x0303, seal13('aes-128-gcm', e.key, e.iv, 1, 22, hs(5, Buffer.alloc(0))), 2)
    dec.record(0, 23, 0x0303, h(RFC.clientFinished), 3)
    dec.record(0, 23, 0x0303, h(RFC.clientApp), 4)
    expect(log.map((l) => l.slice(0, 12))).toEqual([`1 app0 ${Buffer.from('GET /').toString('hex')}`.slice(0, 12), 'hs0 5 ', 'hs0 20 a8ec4', '4 app0 00010'])
  })

  it('an early secret in the log but no 0-RTT: the first record falls back to the handshake keys', () => {
    const {log, dec} = rig(P13, log13(RFC, '22'.repeat(32)))
    dec.record(0, 23, 0x0303, h(RFC.clientFinished), 1)
    expect(log[0]).toMatch(/^hs0 20 a8ec/)
  })

  it('ChaCha20-Poly1305 and AES-128-CCM-8 suites', () => {
    for (const [suite, cipher, keyLen, tag] of [
      [0x1303, 'chacha20-poly1305', 32, 16],
      [0x1305, 'aes-128-ccm', 16, 8],
      [0x1304, 'aes-128-ccm', 16, 16],
    ] as const) {
      const {log, dec} = rig({...P13, cipherSuite: suite}, log13(RFC))
      const k = trafficKeys13('sha256', h(RFC.sHs), keyLen)
      dec.record(1, 23, 0x0303, seal13(cipher, k.key, k.iv, 0, 22, hs(20, Buffer.alloc(32, 1)), 0, tag), 1)
      const a = trafficKeys13('sha256', h(RFC.sAp), keyLen)
      dec.record(1, 23, 0x0303, seal13(cipher, a.key, a.iv, 0, 23, Buffer.from('hi'), 3, tag), 2)
      expect(log, `suite ${suite}`).toEqual([`hs1 20 ${'01'.repeat(32)}`, '2 app1 6869'])
    }
  })

  it('a decrypted handshake message above maxMessageBytes is an anomaly, not a buffer', () => {
    const {log, dec} = rig(P13, log13(RFC), 100)
    const k = keys(RFC.sHs)
    dec.record(1, 23, 0x0303, seal13('aes-128-gcm', k.key, k.iv, 0, 22, hs(11, Buffer.alloc(200)).subarray(0, 50)), 1)
    expect(log).toEqual(['anomaly1 tls.decrypt_message_too_large'])
  })
})

describe('TLS 1.2', () => {
  const master = Buffer.alloc(48, 0x4d)
  const keylog = `CLIENT_RANDOM ${cr} ${master.toString('hex')}`
  /** RFC 5246 §6.3 key block split, written out here independently of the decryptor. */
  function split(macLen: number, keyLen: number, ivLen: number, hash: 'sha256' | 'sha384' = 'sha256') {
    const kb = keyBlock12(hash, master, CR, SR, 2 * (macLen + keyLen + ivLen))
    let o = 0
    const take = (n: number) => kb.subarray(o, (o += n))
    return {cMac: take(macLen), sMac: take(macLen), cKey: take(keyLen), sKey: take(keyLen), cIv: take(ivLen), sIv: take(ivLen)}
  }
  const P12 = (suite: number, etm = false): DecryptParams => ({version: 0x0303, cipherSuite: suite, clientRandom: CR, serverRandom: SR, encryptThenMac: etm})
  const fin = hs(20, Buffer.alloc(12, 0xf1))

  it('AES-256-GCM (SHA-384 PRF): plaintext until ChangeCipherSpec, then Finished and data per direction', () => {
    const {log, dec} = rig(P12(0xc030), keylog)
    const k = split(0, 32, 4, 'sha384')
    dec.record(0, 22, 0x0303, Buffer.from('plaintext handshake'), 1)
    dec.record(0, 20, 0x0303, Buffer.from([1]), 2)
    dec.record(0, 22, 0x0303, seal12Gcm('aes-256-gcm', k.cKey, k.cIv, 0, 22, fin), 3)
    dec.record(1, 20, 0x0303, Buffer.from([1]), 4)
    dec.record(1, 22, 0x0303, seal12Gcm('aes-256-gcm', k.sKey, k.sIv, 0, 22, fin), 5)
    dec.record(0, 23, 0x0303, seal12Gcm('aes-256-gcm', k.cKey, k.cIv, 1, 23, Buffer.from('GET')), 6)
    dec.record(1, 21, 0x0303, seal12Gcm('aes-256-gcm', k.sKey, k.sIv, 1, 21, Buffer.from([2, 40])), 7)
    expect(log).toEqual([`hs0 20 ${'f1'.repeat(12)}`, `hs1 20 ${'f1'.repeat(12)}`, '6 app0 474554', 'alert1 2 40'])
  })

  it('ChaCha20-Poly1305 and AES-128-CCM-8', () => {
    const c = split(0, 32, 12)
    const r1 = rig(P12(0xcca8), keylog)
    r1.dec.record(1, 20, 0x0303, Buffer.from([1]), 1)
    r1.dec.record(1, 22, 0x0303, seal12Chacha(c.sKey, c.sIv, 0, 22, fin), 2)
    r1.dec.record(1, 23, 0x0303, seal12Chacha(c.sKey, c.sIv, 1, 23, Buffer.from('ok')), 3)
    expect(r1.log.slice(1)).toEqual(['3 app1 6f6b'])
    const m = split(0, 16, 4)
    const r2 = rig(P12(0xc0ae), keylog)
    r2.dec.record(0, 20, 0x0303, Buffer.from([1]), 1)
    r2.dec.record(0, 23, 0x0303, seal12Gcm('aes-128-ccm', m.cKey, m.cIv, 0, 23, Buffer.from('ok'), 8), 2)
    expect(r2.log).toEqual(['2 app0 6f6b'])
  })

  for (const [name, suite, cipher, block, mac, macLen, keyLen] of [
    ['AES-128-CBC-SHA', 0xc013, 'aes-128-cbc', 16, 'sha1', 20, 16],
    ['AES-256-CBC-SHA384', 0xc028, 'aes-256-cbc', 16, 'sha384', 48, 32],
    ['3DES-EDE-CBC-SHA', 0x000a, 'des-ede3-cbc', 8, 'sha1', 20, 24],
  ] as const) {
    for (const etm of [false, true]) {
      it(`${name}, ${etm ? 'encrypt_then_mac' : 'MAC-then-encrypt'}: data decrypts; a bad MAC stops the direction`, () => {
        const hash = mac === 'sha384' ? 'sha384' : 'sha256'
        const k = split(macLen, keyLen, 0, hash)
        const {log, dec} = rig(P12(suite, etm), keylog)
        dec.record(0, 20, 0x0303, Buffer.from([1]), 1)
        dec.record(0, 22, 0x0303, seal12Cbc(cipher, block, mac, k.cMac, k.cKey, 0, 22, fin, etm), 2)
        // Lengths around the block size (padding of 0 .. block-1 bytes).
        ;[0, 1, 15, 16, 100].forEach((n, i) => {
          dec.record(0, 23, 0x0303, seal12Cbc(cipher, block, mac, k.cMac, k.cKey, 1 + i, 23, Buffer.alloc(n + 1, 0x61), etm), 3)
        })
        // Sequence number 6 is due; a record sealed as 7 does not verify, and nothing after it is read.
        dec.record(0, 23, 0x0303, seal12Cbc(cipher, block, mac, k.cMac, k.cKey, 7, 23, Buffer.from('x'), etm), 4)
        dec.record(0, 23, 0x0303, seal12Cbc(cipher, block, mac, k.cMac, k.cKey, 6, 23, Buffer.from('x'), etm), 5)
        expect(log).toEqual([
          `hs0 20 ${'f1'.repeat(12)}`,
          ...[0, 1, 15, 16, 100].map((n) => `3 app0 ${'61'.repeat(n + 1)}`),
          'anomaly0 tls.decrypt_failed',
        ])
      })
    }
  }

  it('a CBC record sealed with the wrong MAC mode does not decrypt', () => {
    const k = split(20, 16, 0)
    const {log, dec} = rig(P12(0xc013, false), keylog)
    dec.record(0, 20, 0x0303, Buffer.from([1]), 1)
    dec.record(0, 23, 0x0303, seal12Cbc('aes-128-cbc', 16, 'sha1', k.cMac, k.cKey, 0, 23, Buffer.from('abc'), true), 2)
    expect(log).toEqual(['anomaly0 tls.decrypt_failed'])
  })

  it('a handshake message other than Finished after ChangeCipherSpec is renegotiation: stopped', () => {
    const k = split(0, 16, 4)
    const {log, dec} = rig(P12(0xc02f), keylog)
    dec.record(0, 20, 0x0303, Buffer.from([1]), 1)
    dec.record(0, 22, 0x0303, seal12Gcm('aes-128-gcm', k.cKey, k.cIv, 0, 22, hs(1, Buffer.alloc(40))), 2)
    expect(log).toEqual(['hs0 1 '.padEnd(6 + 80, '0'), 'anomaly0 tls.decrypt_renegotiation'])
  })
})

describe('createDecryptor', () => {
  const kl = new KeyLog()
  kl.addText(`CLIENT_RANDOM ${cr} ${'aa'.repeat(48)}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET ${cr} ${RFC.cHs}`, 't')
  const sink = {applicationData() {}, handshake() {}, alert() {}, anomaly() {}}
  const o = {maxMessageBytes: 1000}
  const P = {clientRandom: CR, serverRandom: SR}
  it('leaves connections without keys, with unknown suites or versions undecrypted', () => {
    expect(createDecryptor({...P, version: 0x0303, cipherSuite: 0xc02f, clientRandom: SR}, kl, sink, o)).toEqual({ok: false, reason: 'no-keys'})
    expect(createDecryptor({...P, version: 0x0304, cipherSuite: 0x1301}, kl, sink, o)).toEqual({ok: false, reason: 'no-keys'}) // partial 1.3 log
    expect(createDecryptor({...P, version: 0x0303, cipherSuite: 0x0005}, kl, sink, o)).toEqual({ok: false, reason: 'unsupported-suite'}) // RC4
    expect(createDecryptor({...P, version: 0x0301, cipherSuite: 0x002f}, kl, sink, o)).toEqual({ok: false, reason: 'unsupported-version'})
    expect(createDecryptor({...P, version: 0x0303, cipherSuite: 0xc02f, serverRandom: Buffer.alloc(3)}, kl, sink, o)).toEqual({ok: false, reason: 'bad-params'})
    expect(createDecryptor({...P, version: 0x0303, cipherSuite: 0xc02f}, kl, sink, o).ok).toBe(true)
  })
})
