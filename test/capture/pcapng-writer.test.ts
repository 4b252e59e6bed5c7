/**
 * The product's pcapng writer (`pbx live --write`): what it writes is read back by pbx's own reader
 * and laid out as the format says, to the same packets, timestamps and lengths.
 */
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {PcapngWriteError, PcapngWriter} from '../../src/capture/pcapng-writer.js'
import {parse} from './collect.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-pcapng-writer-'))

interface In {
  sec: number
  nsec: number
  data: Buffer
  origLen: number
}

function payload(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff
  return b
}

const PACKETS: In[] = [
  {sec: 1_764_748_800, nsec: 123_456_789, data: payload(60, 1), origLen: 60},
  {sec: 1_764_748_800, nsec: 999_999_999, data: payload(1, 2), origLen: 1},
  {sec: 1_764_748_801, nsec: 0, data: payload(0, 3), origLen: 0},
  {sec: 0, nsec: 1, data: payload(3, 4), origLen: 3},
  {sec: 4_294_967_295, nsec: 500_000_001, data: payload(5, 5), origLen: 1500},
  {sec: 2_000_000_000, nsec: 7, data: payload(65535, 6), origLen: 65535},
]

function write(file: string, resolution: 'us' | 'ns', packets: In[]): PcapngWriter {
  const w = PcapngWriter.open(file, {linkType: 1, snaplen: 65535, resolution, interfaceName: 'lo'})
  for (const p of packets) w.packet(p.sec, p.nsec, p.data, p.origLen)
  expect(w.close()).toBeNull()
  return w
}

describe('PcapngWriter', () => {
  it('writes nanosecond timestamps, odd lengths and original lengths that pbx reads back exactly', () => {
    const file = path.join(tmp, 'ns.pcapng')
    const w = write(file, 'ns', PACKETS)
    expect(w.packets).toBe(PACKETS.length)
    const r = parse(readFileSync(file))
    expect(r.error).toBeNull()
    expect(r.info).toMatchObject({format: 'pcapng', precision: 'ns', linkTypes: [1]})
    expect(r.packets.map((p) => [p.frame, p.tsSec, p.tsNsec, p.origLen, p.data])).toEqual(
      PACKETS.map((p, i) => [i + 1, p.sec, p.nsec, p.origLen, p.data.toString('hex')]),
    )
  })

  it('writes microsecond resolution (pcapng default) by truncating nanoseconds', () => {
    const file = path.join(tmp, 'us.pcapng')
    write(file, 'us', PACKETS.slice(0, 2))
    const r = parse(readFileSync(file))
    expect(r.error).toBeNull()
    expect(r.info?.precision).toBe('us')
    expect(r.packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [1_764_748_800, 123_456_000],
      [1_764_748_800, 999_999_000],
    ])
  })

  it('streams through its bounded buffer: many large packets are all written, in order', () => {
    const file = path.join(tmp, 'big.pcapng')
    const many: In[] = []
    for (let i = 0; i < 40; i++) many.push({sec: 1_700_000_000 + i, nsec: i, data: payload(40_000 + i, i), origLen: 40_000 + i})
    write(file, 'ns', many)
    const r = parse(readFileSync(file))
    expect(r.error).toBeNull()
    expect(r.packets.length).toBe(40)
    expect(r.packets.map((p) => p.data.length / 2)).toEqual(many.map((p) => p.data.length))
    expect(r.packets[39].tsSec).toBe(1_700_000_039)
  })

  it('lays out the section, interface and packet blocks byte for byte (pcapng 4.1-4.3, little endian)', () => {
    // Checked once against tshark 4.0 as well (frame.time_epoch 1764748800.123456789, len 60, lo).
    const file = path.join(tmp, 'bytes.pcapng')
    write(file, 'ns', [{sec: 1_764_748_800, nsec: 123_456_789, data: Buffer.from('abcde'), origLen: 70}])
    const hex = readFileSync(file).toString('hex')
    const shb = '0a0d0d0a' + '28000000' + '4d3c2b1a' + '0100' + '0000' + 'ffffffffffffffff' + '0400' + '0300' + '70627800' + '00000000' + '28000000'
    const idb = '01000000' + '28000000' + '0100' + '0000' + 'ffff0000' + '0200' + '0200' + '6c6f0000' + '0900' + '0100' + '09000000' + '00000000' + '28000000'
    // 1764748800123456789 ns = 0x187da5af_0527cd15
    const epb = '06000000' + '28000000' + '00000000' + 'afa57d18' + '15cd2705' + '05000000' + '46000000' + '6162636465000000' + '28000000'
    expect(hex).toBe(shb + idb + epb)
  })

  it('reports a file that cannot be created, naming it', () => {
    const bad = path.join(tmp, 'no-such-dir', 'x.pcapng')
    expect(() => PcapngWriter.open(bad, {linkType: 1, snaplen: 65535, resolution: 'ns'})).toThrow(PcapngWriteError)
    expect(() => PcapngWriter.open(bad, {linkType: 1, snaplen: 65535, resolution: 'ns'})).toThrow(`${bad}: cannot create: ENOENT`)
  })

  it('keeps the first write error (disk full) and counts the packets it could not save, without throwing', () => {
    const w = PcapngWriter.open('/dev/full', {linkType: 1, snaplen: 65535, resolution: 'ns'})
    for (let i = 0; i < 30; i++) w.packet(1, 0, payload(60_000, i), 60_000)
    const err = w.close()
    expect(err?.message).toBe('/dev/full: cannot write: ENOSPC')
    expect(w.lost).toBeGreaterThan(0)
    expect(w.packets + w.lost).toBe(30)
  })
})
