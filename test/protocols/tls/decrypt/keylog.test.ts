import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {KEYLOG_PROBLEMS_KEPT, KeyLog, KeyLogError} from '../../../../src/protocols/tls/decrypt/keylog.js'

const R1 = 'ab'.repeat(32)
const R2 = 'CD'.repeat(32)

describe('KeyLog', () => {
  it('stores TLS 1.2 and 1.3 secrets by client random; comments, blank lines and CRLF are fine', () => {
    const k = new KeyLog()
    k.addText(
      [
        '# SSL/TLS secrets log file',
        '',
        `CLIENT_RANDOM ${R1} ${'11'.repeat(48)}`,
        `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${R2} ${'21'.repeat(32)}\r`,
        `SERVER_HANDSHAKE_TRAFFIC_SECRET ${R2} ${'22'.repeat(32)}`,
        `CLIENT_TRAFFIC_SECRET_0 ${R2} ${'23'.repeat(48)}`,
        `SERVER_TRAFFIC_SECRET_0 ${R2} ${'24'.repeat(48)}`,
        `EXPORTER_SECRET ${R2} ${'25'.repeat(32)}`,
        `CLIENT_EARLY_TRAFFIC_SECRET ${R2} ${'26'.repeat(32)}`,
        `EARLY_EXPORTER_SECRET ${R2} ${'27'.repeat(32)}`,
        `RSA 0102030405060708 ${'31'.repeat(48)}`,
      ].join('\n'),
      'a.log',
    )
    expect(k.stats).toEqual({lines: 9, entries: 8, bad: 0, unused: 1})
    expect(k.size).toBe(2)
    expect(k.get(Buffer.from(R1, 'hex'))?.master?.toString('hex')).toBe('11'.repeat(48))
    const s = k.get(Buffer.from(R2, 'hex'))!
    expect(Object.fromEntries(Object.entries(s).map(([n, b]) => [n, (b as Buffer).toString('hex').slice(0, 2)]))).toEqual({
      clientHandshake: '21',
      serverHandshake: '22',
      clientTraffic0: '23',
      serverTraffic0: '24',
      exporter: '25',
      clientEarly: '26',
      earlyExporter: '27',
    })
    expect(k.get(Buffer.alloc(32))).toBeUndefined()
    expect(k.get(Buffer.alloc(3))).toBeUndefined()
  })

  it('counts bad lines with their reasons, never throws; a later line replaces an earlier one', () => {
    const k = new KeyLog()
    k.addText(
      [
        `CLIENT_RANDOM ${R1} ${'11'.repeat(48)}`,
        `SERVER_RANDOM ${R1} ${'11'.repeat(48)}`,
        `CLIENT_RANDOM ${R1}`,
        `CLIENT_RANDOM ${R1.slice(2)} ${'11'.repeat(48)}`,
        `CLIENT_RANDOM ${R1} ${'zz'.repeat(48)}`,
        `CLIENT_RANDOM ${R1} ${'11'.repeat(32)}`,
        `CLIENT_TRAFFIC_SECRET_0 ${R1} ${'11'.repeat(20)}`,
        `CLIENT_RANDOM ${R1} ${'99'.repeat(48)}`,
        '\u0000\u0001 garbage',
      ].join('\n'),
      'b.log',
    )
    expect(k.stats).toEqual({lines: 9, entries: 2, bad: 7, unused: 0})
    expect(k.problems).toEqual([
      'b.log:2: unknown label SERVER_RANDOM',
      'b.log:3: CLIENT_RANDOM: expected 3 fields, got 2',
      'b.log:4: CLIENT_RANDOM: client random is not 32 bytes of hex',
      'b.log:5: CLIENT_RANDOM: secret is not hex',
      'b.log:6: CLIENT_RANDOM: secret of 32 bytes',
      'b.log:7: CLIENT_TRAFFIC_SECRET_0: secret of 20 bytes',
      'b.log:9: unknown label \u0000\u0001',
    ])
    expect(k.get(Buffer.from(R1, 'hex'))?.master?.toString('hex')).toBe('99'.repeat(48))
  })

  it(`keeps ${KEYLOG_PROBLEMS_KEPT} problem descriptions but counts all`, () => {
    const k = new KeyLog()
    k.addText('x\n'.repeat(25), 'c')
    expect(k.stats.bad).toBe(25)
    expect(k.problems).toHaveLength(KEYLOG_PROBLEMS_KEPT)
  })

  it('reads files; a missing file is a KeyLogError naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pbx-keylog-'))
    const f = join(dir, 'k.log')
    writeFileSync(f, `CLIENT_RANDOM ${R1} ${'11'.repeat(48)}\n`)
    const k = new KeyLog()
    k.addFile(f)
    expect(k.size).toBe(1)
    expect(() => k.addFile(join(dir, 'nope.log'))).toThrow(KeyLogError)
    expect(() => k.addFile(join(dir, 'nope.log'))).toThrow(`${join(dir, 'nope.log')}: no such key log file`)
  })

  it('parses the committed sample key log: 20 connections, the RSA line unused', () => {
    const k = new KeyLog()
    k.addFile('samples/https/nginx.keylog')
    expect(k.stats).toEqual({lines: 45, entries: 44, bad: 0, unused: 1})
    expect(k.size).toBe(20)
  })
})
