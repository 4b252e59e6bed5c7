import {describe, expect, it} from 'vitest'
import {type HeaderField, HpackDecoder} from '../../../src/protocols/http2/hpack.js'
import {HUFFMAN_CODES, HUFFMAN_LENGTHS, huffmanDecode, huffmanEncode} from '../../../src/protocols/http2/huffman.js'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const pairs = (h: HeaderField[]) => h.map((f) => [f.name, f.value])

function decode(d: HpackDecoder, h: string): string[][] {
  const out: HeaderField[] = []
  expect(d.decode(hex(h), out), d.reason).toBe(true)
  return pairs(out)
}

const REQ = [
  [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
  [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
]
const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT'
const RESP = [
  [[':status', '302'], ['cache-control', 'private'], ['date', date1], ['location', 'https://www.example.com']],
  [[':status', '307'], ['cache-control', 'private'], ['date', date1], ['location', 'https://www.example.com']],
  [
    [':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], ['location', 'https://www.example.com'],
    ['content-encoding', 'gzip'], ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
  ],
]

describe('HPACK Huffman code (RFC 7541 Appendix B)', () => {
  it('derives the printed codes from the code lengths', () => {
    expect(HUFFMAN_CODES[0]).toBe(0x1ff8)
    expect(HUFFMAN_CODES[1]).toBe(0x7fffd8)
    expect(HUFFMAN_CODES[0x20]).toBe(0x14)
    expect(HUFFMAN_CODES[0x61]).toBe(0x3)
    expect(HUFFMAN_CODES[0x7f]).toBe(0xffffffc)
    expect(HUFFMAN_CODES[255]).toBe(0x3ffffee)
    expect(HUFFMAN_CODES[256]).toBe(0x3fffffff)
    // A complete prefix code: Kraft sum exactly 1.
    expect(HUFFMAN_LENGTHS.reduce((s, l) => s + 2 ** -l, 0)).toBe(1)
  })

  it('round-trips every octet', () => {
    const all = Array.from({length: 256}, (_, i) => String.fromCharCode(i)).join('')
    const enc = huffmanEncode(all)
    expect(huffmanDecode(enc, 0, enc.length)).toBe(all)
  })

  it('rejects EOS, long padding and padding that is not ones', () => {
    // "a" = 00011 + 111 padding = 0x1f; padding of zeros = 0x18
    expect(huffmanDecode(hex('1f'), 0, 1)).toBe('a')
    expect(huffmanDecode(hex('18'), 0, 1)).toBeNull()
    // 8 bits of padding after a full byte of symbols is > 7 bits
    expect(huffmanDecode(hex('ff'), 0, 1)).toBeNull()
    // EOS itself (30 ones) followed by padding
    expect(huffmanDecode(hex('ffffffff'), 0, 4)).toBeNull()
  })
})

describe('HPACK decoder (RFC 7541 Appendix C)', () => {
  it('C.2.1 literal with indexing', () => {
    const d = new HpackDecoder(4096, 65536)
    expect(decode(d, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')).toEqual([['custom-key', 'custom-header']])
    expect(d.tableSize).toBe(55)
  })

  it('C.2.2 literal without indexing, C.2.3 never indexed, C.2.4 indexed', () => {
    const d = new HpackDecoder(4096, 65536)
    expect(decode(d, '040c 2f73 616d 706c 652f 7061 7468')).toEqual([[':path', '/sample/path']])
    expect(decode(d, '1008 7061 7373 776f 7264 0673 6563 7265 74')).toEqual([['password', 'secret']])
    expect(decode(d, '82')).toEqual([[':method', 'GET']])
    expect(d.tableLength).toBe(0)
  })

  it('C.3 requests without Huffman coding, one context', () => {
    const d = new HpackDecoder(4096, 65536)
    expect(decode(d, '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')).toEqual(REQ[0])
    expect(d.tableSize).toBe(57)
    expect(decode(d, '8286 84be 5808 6e6f 2d63 6163 6865')).toEqual(REQ[1])
    expect(d.tableSize).toBe(110)
    expect(decode(d, '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65')).toEqual(REQ[2])
    expect(d.tableSize).toBe(164)
    expect(d.entry(0)).toEqual({name: 'custom-key', value: 'custom-value'})
    expect(d.entry(2)).toEqual({name: ':authority', value: 'www.example.com'})
  })

  it('C.4 requests with Huffman coding, one context', () => {
    const d = new HpackDecoder(4096, 65536)
    expect(decode(d, '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')).toEqual(REQ[0])
    expect(decode(d, '8286 84be 5886 a8eb 1064 9cbf')).toEqual(REQ[1])
    expect(decode(d, '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')).toEqual(REQ[2])
    expect(d.tableSize).toBe(164)
  })

  it('C.5 responses without Huffman coding, 256-byte table with evictions', () => {
    const d = new HpackDecoder(256, 65536, 256)
    expect(
      decode(
        d,
        `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768
         7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
      ),
    ).toEqual(RESP[0])
    expect(d.tableSize).toBe(222)
    expect(decode(d, '4803 3330 37c1 c0bf')).toEqual(RESP[1])
    expect(d.tableSize).toBe(222)
    expect(
      decode(
        d,
        `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153
         444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
         3d31`,
      ),
    ).toEqual(RESP[2])
    expect(d.tableSize).toBe(215)
    expect(d.tableLength).toBe(3)
  })

  it('C.6 responses with Huffman coding, 256-byte table with evictions', () => {
    const d = new HpackDecoder(256, 65536, 256)
    expect(
      decode(d, '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3'),
    ).toEqual(RESP[0])
    expect(d.tableSize).toBe(222)
    expect(decode(d, '4883 640e ffc1 c0bf')).toEqual(RESP[1])
    expect(
      decode(
        d,
        `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b
         3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
      ),
    ).toEqual(RESP[2])
    expect(d.tableSize).toBe(215)
    expect(d.entry(0)?.name).toBe('set-cookie')
  })

  it('applies size updates and rejects those above the limit or after a field', () => {
    const d = new HpackDecoder(4096, 65536)
    decode(d, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')
    expect(decode(d, '20')).toEqual([]) // size 0 evicts everything
    expect(d.tableLength).toBe(0)
    const out: HeaderField[] = []
    expect(d.decode(hex('be'), out)).toBe(false)
    expect(d.reason).toMatch(/beyond the dynamic table/)
    expect(d.decode(hex('3fe21f'), out)).toBe(false) // 4097
    expect(d.reason).toMatch(/above the limit 4096/)
    expect(d.decode(hex('82 20'), out)).toBe(false)
    expect(d.reason).toMatch(/after a header field/)
  })

  it('fails cleanly on truncated input and bounds the header list', () => {
    for (const h of ['ff', '41', '418c f1e3', '40', '0f77']) {
      expect(new HpackDecoder(4096, 65536).decode(hex(h), [])).toBe(false)
    }
    const d = new HpackDecoder(4096, 40)
    expect(d.decode(hex('8286'), [])).toBe(false)
    expect(d.reason).toMatch(/header list larger than 40/)
  })
})
