/** The live receive queue (src/capture/live.ts PacketQueue): FIFO records as the binding writes them, bounded, blocks reused. */
import {describe, expect, it} from 'vitest'
import {PacketQueue} from '../../src/capture/live.js'
import {recordBytes} from '../../src/capture/native/types.js'

/** Writes records the way pcap_binding.c does (header of four host-order u32, bytes padded to 4) into the queue's target. */
function write(q: PacketQueue, packets: {n: number; fill: number; sec: number; nsec: number; len: number}[]): number {
  const t = q.target()
  let end = t.end
  for (const p of packets) {
    const u = new Uint32Array(t.buf.buffer, t.buf.byteOffset + end, 4)
    u.set([p.sec, p.nsec, p.n, p.len])
    t.buf.fill(p.fill, end + 16, end + 16 + p.n)
    end += recordBytes(p.n)
  }
  return q.wrote(packets.length, end)
}

describe('PacketQueue', () => {
  it('gives packets back in order with their bytes, times and original lengths, across blocks', () => {
    const q = new PacketQueue(recordBytes(400), 4, 2000)
    const dst = Buffer.alloc(400)
    const p = {tsSec: 0, tsNsec: 0, origLen: 0}
    let pushed = 0
    let popped = 0
    const size = (i: number) => 1 + ((i * 37) % 399)
    // Interleaved: more bytes pass than the queue could hold at once.
    for (let round = 0; round < 50; round++) {
      const batch = [0, 1, 2].map(() => {
        const i = pushed++
        return {n: size(i), fill: i & 0xff, sec: 1000 + i, nsec: i * 7, len: size(i) + 5}
      })
      expect(write(q, batch)).toBe(0)
      for (let k = 0; k < 3; k++, popped++) {
        const n = q.shift(dst, p)
        expect(n).toBe(size(popped))
        expect(dst.subarray(0, n).every((b) => b === (popped & 0xff))).toBe(true)
        expect(p).toEqual({tsSec: 1000 + popped, tsNsec: popped * 7, origLen: n + 5})
      }
    }
    expect(q.length).toBe(0)
    expect(q.shift(dst, p)).toBe(-1)
  })

  it('drops records once its blocks are full, and takes them again after reading', () => {
    const q = new PacketQueue(recordBytes(300), 2, 1000)
    const dst = Buffer.alloc(300)
    const p = {tsSec: 0, tsNsec: 0, origLen: 0}
    const one = [{n: 300, fill: 1, sec: 0, nsec: 0, len: 300}]
    let kept = 0
    let dropped = 0
    for (let i = 0; i < 10; i++) {
      const d = write(q, one)
      dropped += d
      kept += 1 - d
    }
    expect(kept).toBe(6) // three 316-byte records per 1000-byte block, two blocks
    expect(dropped).toBe(4)
    expect(q.length).toBe(6)
    for (let i = 0; i < 4; i++) expect(q.shift(dst, p)).toBe(300)
    expect(write(q, one)).toBe(0)
    expect(q.length).toBe(3)
    for (let i = 0; i < 3; i++) expect(q.shift(dst, p)).toBe(300)
    expect(q.shift(dst, p)).toBe(-1)
  })
})
