/** tls protocol options: send_certificates, include_raw_certificates, fingerprints (Packetbeat's). */
import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {CERT_DER, CERT_SHA1} from './cert-fixture.js'
import {ccs, certificate, clientHello, encryptedFinished, type Flight, get, handshake, harness, record, run, serverHello} from './helpers.js'

/** The second chain entry (the fixture again: only its position matters here). */
const OTHER = Buffer.from(CERT_DER)
const flights: Flight[] = [
  [0, record(22, clientHello({ciphers: [0xc02f]}), 0x0301)],
  [1, record(22, Buffer.concat([serverHello({cipher: 0xc02f}), certificate([CERT_DER, OTHER]), handshake(12, Buffer.alloc(20, 1)), handshake(14, Buffer.alloc(0))]))],
  [0, Buffer.concat([record(22, handshake(16, Buffer.alloc(66, 2))), ccs(), encryptedFinished()])],
  [1, Buffer.concat([ccs(), encryptedFinished()])],
]

function tx(options: Record<string, unknown>) {
  const h = harness()
  const withOpts = {...h, ctx: {...h.ctx, options}}
  run(flights, undefined, withOpts)
  expect(h.txs).toHaveLength(1)
  return h.txs[0]!
}

const hex = (alg: string) => createHash(alg).update(CERT_DER).digest('hex').toUpperCase()

describe('tls options', () => {
  it('defaults: certificate fields with the sha1 fingerprint, no raw certificates', () => {
    const t = tx({})
    expect(get(t, 'tls.server.hash')).toEqual({sha1: CERT_SHA1})
    expect(get(t, 'tls.server.x509.subject.common_name')).toBe('test.pbx.example')
    expect(get(t, 'tls.server.certificate')).toBeUndefined()
  })
  it('send_certificates false leaves every certificate field out; the handshake is still read', () => {
    const t = tx({send_certificates: false})
    for (const f of ['x509', 'hash', 'subject', 'issuer', 'certificate_chain_length', 'not_before']) expect(get(t, `tls.server.${f}`)).toBeUndefined()
    expect(get(t, 'tls.established')).toBe(true)
    expect(get(t, 'tls.resumed')).toBe(false)
  })
  it('include_raw_certificates: base64 DER of the leaf and of the rest of the chain', () => {
    const t = tx({include_raw_certificates: true})
    expect(get(t, 'tls.server.certificate')).toBe(CERT_DER.toString('base64'))
    expect(get(t, 'tls.server.certificate_chain')).toEqual([OTHER.toString('base64')])
  })
  it('fingerprints selects the hashes (md5, sha1, sha256) of the leaf', () => {
    expect(get(tx({fingerprints: ['md5', 'sha256']}), 'tls.server.hash')).toEqual({md5: hex('md5'), sha256: hex('sha256')})
    expect(get(tx({fingerprints: ['SHA1', 'sha256']}), 'tls.server.hash')).toEqual({sha1: CERT_SHA1, sha256: hex('sha256')})
    expect(get(tx({fingerprints: []}), 'tls.server.hash')).toBeUndefined()
  })
})
