/**
 * Hostile input: random and corrupted records into the record reader and the decryptor must never
 * throw, and each direction reports at most one stopping anomaly.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {describe, expect, it} from 'vitest'
import {createDecryptor} from '../../../../src/protocols/tls/decrypt/decryptor.js'
import {KeyLog} from '../../../../src/protocols/tls/decrypt/keylog.js'
import {TlsRecordReader} from '../../../../src/protocols/tls/decrypt/record-reader.js'
import type {Dir} from '../../../../src/reassembly/types.js'
import {decryptCapture} from './helpers.js'

/** xorshift32: deterministic. */
function rng(seed: number) {
  let s = seed >>> 0 || 1
  return (n: number) => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s % n
  }
}

describe('hostile input', () => {
  it('random records into TLS 1.2 and 1.3 decryptors of every mode: no throw, one anomaly per direction at most', () => {
    const CR = Buffer.alloc(32, 1)
    const kl = new KeyLog()
    const cr = CR.toString('hex')
    kl.addText(
      `CLIENT_RANDOM ${cr} ${'aa'.repeat(48)}\n${['CLIENT_HANDSHAKE', 'SERVER_HANDSHAKE', 'CLIENT', 'SERVER']
        .map((l) => `${l}_TRAFFIC_SECRET${l.endsWith('HANDSHAKE') ? '' : '_0'} ${cr} ${'bb'.repeat(48)}`)
        .join('\n')}`,
      't',
    )
    const r = rng(42)
    for (const [version, suite] of [
      [0x0303, 0xc02f],
      [0x0303, 0xcca8],
      [0x0303, 0xc013],
      [0x0303, 0xc0ae],
      [0x0304, 0x1302],
      [0x0304, 0x1305],
    ] as const) {
      for (let round = 0; round < 30; round++) {
        const anomalies: [number, number] = [0, 0]
        const res = createDecryptor<number>(
          {version, cipherSuite: suite, clientRandom: CR, serverRandom: Buffer.alloc(32, 2), encryptThenMac: r(2) === 0},
          kl,
          {applicationData() {}, handshake() {}, alert() {}, anomaly: (dir: Dir) => anomalies[dir]++},
          {maxMessageBytes: 1 << 16},
        )
        if (!res.ok) throw new Error(res.reason)
        for (let i = 0; i < 20; i++) {
          const frag = Buffer.alloc(r(120))
          for (let j = 0; j < frag.length; j++) frag[j] = r(256)
          res.decryptor.record(r(2) as Dir, 20 + r(5), 0x0303, frag, i)
        }
        expect(anomalies[0]).toBeLessThanOrEqual(1)
        expect(anomalies[1]).toBeLessThanOrEqual(1)
      }
    }
  })

  it('random bytes into the record reader: no throw', () => {
    const r = rng(7)
    const reader = new TlsRecordReader<number>({record() {}, stopped() {}})
    for (let i = 0; i < 200; i++) {
      const b = Buffer.alloc(r(64))
      for (let j = 0; j < b.length; j++) b[j] = j === 0 ? 20 + r(5) : j === 1 ? 3 : r(256)
      reader.data(r(2) as Dir, b, i)
    }
  })

  it('a corrupted key log secret: every connection of the sample fails cleanly with tls.decrypt_failed', async () => {
    const text = readFileSync('samples/https/nginx.keylog', 'latin1').replace(/ ([0-9a-f]{2})([0-9a-f]+)$/gm, (_, a: string, rest: string) => ` ${a === '00' ? '01' : '00'}${rest}`)
    const f = `${mkdtempSync(`${tmpdir()}/pbx-tls-`)}/bad.keylog`
    writeFileSync(f, text)
    const res = await decryptCapture('samples/https/nginx.pcap', f)
    expect(res.txs).toHaveLength(0)
    for (const c of res.conns) {
      expect(c.createFailure).toBeUndefined()
      // One failure per direction that sent a protected record (both, for every connection here).
      expect(c.anomalies.map((a) => a.split(': ')[0]).sort()).toEqual(['0:tls.decrypt_failed', '1:tls.decrypt_failed'])
    }
  })
})
