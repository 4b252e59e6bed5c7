/** pcapng Decryption Secrets Blocks (4.7) through the onSecrets hook. */
import {describe, expect, it} from 'vitest'
import {CaptureParser} from '../../src/capture/parser.js'
import {SecretsType} from '../../src/capture/pcapng.js'
import {CaptureError, LinkType} from '../../src/capture/types.js'
import {makeLimits} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'
import {PcapngWriter} from '../support/synth/pcap-writer.js'

/** A DSB (little-endian), secrets padded to 32 bits, with an optional comment option. */
function dsb(type: number, secrets: Buffer, declared = secrets.length): Buffer {
  const pad = (4 - (secrets.length % 4)) % 4
  const opt = Buffer.concat([Buffer.from([1, 0, 2, 0]), Buffer.from('hi'), Buffer.alloc(2), Buffer.alloc(4)])
  const total = 16 + secrets.length + pad + opt.length + 4
  const head = Buffer.alloc(16)
  head.writeUInt32LE(0x0a, 0)
  head.writeUInt32LE(total, 4)
  head.writeUInt32LE(type, 8)
  head.writeUInt32LE(declared, 12)
  const tail = Buffer.alloc(4)
  tail.writeUInt32LE(total)
  return Buffer.concat([head, secrets, Buffer.alloc(pad), opt, tail])
}

function file(...blocks: Buffer[]): Buffer {
  const a = new PcapngWriter()
  a.addInterface(LinkType.RAW)
  const head = a.toBuffer()
  const b = new PcapngWriter()
  b.addInterface(LinkType.RAW)
  b.addEnhanced(0, 1, 0, Buffer.from('4500', 'hex'))
  const epb = b.toBuffer().subarray(head.length)
  return Buffer.concat([head, ...blocks, epb])
}

function run(input: Buffer, hook: boolean, step = input.length) {
  const seen: string[] = []
  const stats = new Stats()
  const p = new CaptureParser(
    'x.pcapng',
    {packet: (pk) => seen.push(`packet ${pk.frame} ${pk.data.toString('hex')}`)},
    makeLimits(),
    stats,
    undefined,
    hook ? (t, d, off) => seen.push(`secrets ${t.toString(16)} ${d.toString('latin1')} @${off}`) : undefined,
  )
  for (let i = 0; i < input.length; i += step) p.push(input.subarray(i, i + step))
  p.end()
  return {seen, stats}
}

describe('pcapng Decryption Secrets Block', () => {
  const text = Buffer.from('CLIENT_RANDOM aa bb\n')
  const input = file(dsb(SecretsType.TLS_KEY_LOG, text), dsb(SecretsType.WIREGUARD, Buffer.from('wg')))

  it('delivers each block\'s secrets type and data before the packets after it, also when split in 1-byte chunks', () => {
    const expected = [`secrets 544c534b ${text.toString('latin1')} @48`, 'secrets 57474b4c wg @100', 'packet 1 4500']
    expect(run(input, true).seen).toEqual(expected)
    expect(run(input, true, 1).seen).toEqual(expected)
    expect(run(input, true, 7).seen).toEqual(expected)
  })

  it('without the hook the block is skipped unread, as before', () => {
    expect(run(input, false).seen).toEqual(['packet 1 4500'])
  })

  it('a secrets length overrunning the block is counted as bad, the file goes on', () => {
    const r = run(file(dsb(SecretsType.TLS_KEY_LOG, text, 1000)), true)
    expect(r.seen).toEqual(['packet 1 4500'])
    expect(r.stats.malformed.get('pcapng: decryption secrets length overruns block')).toBe(1)
  })

  it('a block with a wrong trailer is a corrupt-file error at its offset', () => {
    const b = dsb(SecretsType.TLS_KEY_LOG, text)
    b.writeUInt32LE(4, b.length - 4)
    expect(() => run(file(b), true)).toThrow(CaptureError)
    expect(() => run(file(b), true)).toThrow(/48/)
  })
})
