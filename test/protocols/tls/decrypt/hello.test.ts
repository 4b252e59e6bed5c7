import {describe, expect, it} from 'vitest'
import {clientHelloRandom, serverHelloFacts} from '../../../../src/protocols/tls/decrypt/hello.js'
import {clientHello, ext, HRR_RANDOM, serverHello} from '../helpers.js'

const body = (msg: Buffer) => msg.subarray(4)

describe('hello facts for decryption', () => {
  it('TLS 1.2 ServerHello with encrypt_then_mac and a session id', () => {
    const f = serverHelloFacts(body(serverHello({cipher: 0xc027, sessionId: Buffer.alloc(32, 9), extensions: [ext.raw(23), ext.raw(22)]})))
    expect(f).toEqual({random: Buffer.alloc(32, 0x22), version: 0x0303, cipherSuite: 0xc027, encryptThenMac: true, helloRetryRequest: false})
  })
  it('TLS 1.3: the version comes from supported_versions; HelloRetryRequest is flagged', () => {
    expect(serverHelloFacts(body(serverHello({cipher: 0x1302, extensions: [ext.versionSH(0x0304)]})))?.version).toBe(0x0304)
    expect(serverHelloFacts(body(serverHello({cipher: 0x1301, random: HRR_RANDOM, extensions: [ext.versionSH(0x0304)]})))?.helloRetryRequest).toBe(true)
    expect(serverHelloFacts(body(serverHello({cipher: 0x1301})))?.encryptThenMac).toBe(false)
  })
  it('malformed bodies give undefined', () => {
    const good = body(serverHello({cipher: 0xc02f, extensions: [ext.raw(22)]}))
    for (let n = 0; n < good.length; n++) {
      const f = serverHelloFacts(good.subarray(0, n))
      // Cut inside the extensions block: undefined; cut before it: a hello without extensions.
      if (n >= 40 || n < 38) expect(f, `cut at ${n}`).toBeUndefined()
      else expect(f?.encryptThenMac).toBe(false)
    }
  })
  it('client random', () => {
    expect(clientHelloRandom(body(clientHello({ciphers: [0x1301]})))).toEqual(Buffer.alloc(32, 0x11))
    expect(clientHelloRandom(Buffer.alloc(20))).toBeUndefined()
  })
})
