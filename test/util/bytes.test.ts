import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {u16be, u16le, u32be, u32le} from '../../src/util/bytes.js'

describe('util/bytes', () => {
  it('reads what Buffer.readUInt* reads, at every offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 4, maxLength: 64}), fc.nat(), (a, k) => {
        const b = Buffer.from(a)
        const o2 = k % (b.length - 1)
        const o4 = k % (b.length - 3)
        expect(u16be(b, o2)).toBe(b.readUInt16BE(o2))
        expect(u16le(b, o2)).toBe(b.readUInt16LE(o2))
        expect(u32be(b, o4)).toBe(b.readUInt32BE(o4))
        expect(u32le(b, o4)).toBe(b.readUInt32LE(o4))
      }),
    )
  })

  it('32-bit values with the top bit set are unsigned', () => {
    const b = Buffer.from([0xff, 0xff, 0xff, 0xfe])
    expect(u32be(b, 0)).toBe(0xfffffffe)
    expect(u32le(b, 0)).toBe(0xfeffffff)
  })

  it('bytes beyond the array read as 0 instead of throwing', () => {
    const b = Buffer.from([0x12, 0x34])
    expect(u16be(b, 1)).toBe(0x3400)
    expect(u32be(b, 0)).toBe(0x12340000)
    expect(u32le(b, 1)).toBe(0x34)
    expect(u16le(b, 5)).toBe(0)
  })
})
