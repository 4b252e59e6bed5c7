/**
 * Key schedule vectors: the TLS 1.2 PRF vectors posted to the IETF TLS list
 * (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html, SHA-256 and SHA-384; the
 * same outputs come from `openssl kdf TLS1-PRF`), and RFC 8448 §3 (TLS 1.3 simple 1-RTT
 * handshake) traffic secrets -> write key and IV.
 */
import {describe, expect, it} from 'vitest'
import {hkdfExpandLabel, keyBlock12, prf12, trafficKeys13} from '../../../../src/protocols/tls/decrypt/kdf.js'

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

describe('TLS 1.2 PRF', () => {
  it('P_SHA256, 100 bytes', () => {
    const out = prf12('sha256', h('9bbe436ba940f017b17652849a71db35'), 'test label', h('a0ba9f936cda311827a6f796ffd5198c'), 100)
    expect(out.toString('hex')).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    )
  })
  it('P_SHA384, 148 bytes', () => {
    const out = prf12('sha384', h('b80b733d6ceefcdc71566ea48e5567df'), 'test label', h('cd665cf6a8447dd6ff8b27555edb7465'), 148)
    expect(out.toString('hex')).toBe(
      '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f',
    )
  })
  it('key block = PRF(master, "key expansion", server_random + client_random): a prefix of a longer block', () => {
    const m = Buffer.alloc(48, 7)
    const cr = Buffer.alloc(32, 1)
    const sr = Buffer.alloc(32, 2)
    const kb = keyBlock12('sha256', m, cr, sr, 40)
    expect(kb).toEqual(prf12('sha256', m, 'key expansion', Buffer.concat([sr, cr]), 72).subarray(0, 40))
    expect(kb).not.toEqual(prf12('sha256', m, 'key expansion', Buffer.concat([cr, sr]), 40))
  })
})

describe('TLS 1.3 HKDF-Expand-Label (RFC 8448 §3)', () => {
  const cases: [string, string, string, string][] = [
    ['server handshake', 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38', '3fce516009c21727d0f2e4e86ee403bc', '5d313eb2671276ee13000b30'],
    ['client handshake', 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21', 'dbfaa693d1762c5b666af5d950258d01', '5bd3c71b836e0b76bb73265f'],
    ['server application', 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643', '9f02283b6c9c07efc26bb9f2ac92e356', 'cf782b88dd83549aadf1e984'],
    ['client application', '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5', '17422dda596ed5d9acd890e3c63f5051', '5b78923dee08579033e523d9'],
  ]
  for (const [name, secret, key, iv] of cases) {
    it(`${name} traffic secret -> key, iv`, () => {
      const k = trafficKeys13('sha256', h(secret), 16)
      expect(k.key.toString('hex')).toBe(key)
      expect(k.iv.toString('hex')).toBe(iv)
    })
  }
  it('finished key of the server handshake secret (label "finished")', () => {
    const fk = hkdfExpandLabel('sha256', h(cases[0]![1]), 'finished', Buffer.alloc(0), 32)
    expect(fk.toString('hex')).toBe('008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8')
  })
})
