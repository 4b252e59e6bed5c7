import {describe, expect, it} from 'vitest'
import {MAX_FRAGMENT, TlsRecordReader} from '../../../../src/protocols/tls/decrypt/record-reader.js'
import type {Dir} from '../../../../src/reassembly/types.js'

const rec = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 3, 3, body.length >> 8, body.length & 0xff]), body])

function reader() {
  const out: string[] = []
  const r = new TlsRecordReader<number>({
    record: (dir: Dir, type, version, frag, at) => out.push(`${dir} ${type} ${version.toString(16)} ${frag.length} ${frag.subarray(0, 4).toString('hex')} @${at}`),
    stopped: (dir: Dir, reason, at) => out.push(`${dir} stopped ${reason} @${at}`),
  })
  return {r, out}
}

describe('TlsRecordReader', () => {
  const stream = Buffer.concat([rec(22, Buffer.from('abcdef')), rec(20, Buffer.from([1])), rec(23, Buffer.alloc(MAX_FRAGMENT, 7)), rec(23, Buffer.alloc(0))])
  const whole = (() => {
    const {r, out} = reader()
    r.data(0, stream, 1)
    return out
  })()

  it('cuts records out of one chunk', () => {
    expect(whole).toEqual(['0 22 303 6 61626364 @1', '0 20 303 1 01 @1', `0 23 303 ${MAX_FRAGMENT} 07070707 @1`, '0 23 303 0  @1'])
  })

  it('gives the same records for a stream split at every offset (two chunks)', () => {
    for (let k = 1; k < stream.length; k += k < 40 ? 1 : 997) {
      const {r, out} = reader()
      r.data(0, stream.subarray(0, k), 1)
      r.data(0, stream.subarray(k), 1)
      expect(out, `split at ${k}`).toEqual(whole)
    }
  })

  it('byte by byte', () => {
    const {r, out} = reader()
    const small = stream.subarray(0, 17)
    for (let i = 0; i < small.length; i++) r.data(0, small.subarray(i, i + 1), 1)
    expect(out).toEqual(whole.slice(0, 2))
  })

  it('a non-TLS header or a gap stops the direction once; the other direction goes on', () => {
    const {r, out} = reader()
    r.data(0, Buffer.from('GET / HTTP/1.1\r\n'), 1)
    r.data(0, rec(23, Buffer.from('x')), 2)
    r.data(1, rec(23, Buffer.from('y')), 3)
    r.gap(1, 4)
    r.gap(1, 5)
    r.data(1, rec(23, Buffer.from('z')), 6)
    expect(out).toEqual(['0 stopped not-tls @1', '1 23 303 1 79 @3', '1 stopped gap @4'])
  })

  it('an oversized length is not TLS', () => {
    const {r, out} = reader()
    r.data(0, Buffer.from([23, 3, 3, 0xff, 0xff]), 1)
    expect(out).toEqual(['0 stopped not-tls @1'])
  })
})
