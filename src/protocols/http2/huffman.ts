/**
 * The HPACK Huffman code (RFC 7541 section 5.2, Appendix B). The code is canonical: within one code
 * length the codes are consecutive in symbol order, and each length starts where the shorter ones
 * end. So the table is kept as the code LENGTH of each of the 257 symbols (256 octets and EOS) and
 * the codes are derived from it once, at module load (checked in the tests against values printed
 * in Appendix B and against the Appendix C examples).
 *
 * Decoding walks a binary tree (flat Int16Array, built on the first decode, so a run without HTTP/2
 * traffic does not pay for building it). Per RFC 7541 section 5.2 a string is
 * malformed when it holds EOS, or when its padding is longer than 7 bits or is not the most
 * significant bits of EOS (all ones): huffmanDecode() then answers null. Never throws.
 */

// Code lengths of symbols 0..256, sixteen per line (Appendix B).
// biome-ignore format: the table reads as the RFC's rows
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
]

export const EOS = 256

/** Code of each symbol, right-aligned (the low `HUFFMAN_LENGTHS[s]` bits). */
export const HUFFMAN_CODES: readonly number[] = canonicalCodes(LENGTHS)
export const HUFFMAN_LENGTHS: readonly number[] = LENGTHS

function canonicalCodes(lengths: readonly number[]): number[] {
  const order = lengths.map((_, s) => s).sort((a, b) => lengths[a]! - lengths[b]! || a - b)
  const codes = new Array<number>(lengths.length).fill(0)
  let code = 0
  let len = lengths[order[0]!]!
  for (const s of order) {
    const l = lengths[s]!
    // Left shift by multiplication: codes reach 30 bits, beyond which << would go negative.
    if (l > len) code *= 2 ** (l - len)
    len = l
    codes[s] = code
    code++
  }
  return codes
}

/**
 * Decoding tree: node i has children tree[2i] (bit 0) and tree[2i+1] (bit 1); a child value > 0 is
 * the next node, <= 0 is a leaf holding -symbol. Node 0 is the root; 256 internal nodes.
 */
let decodeTree: Int16Array | undefined

function buildTree(): Int16Array {
  const t = new Int16Array(2 * 256)
  let next = 1
  for (let s = 0; s < LENGTHS.length; s++) {
    const len = LENGTHS[s]!
    const code = HUFFMAN_CODES[s]!
    let node = 0
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1
      const slot = 2 * node + bit
      if (i === 0) {
        t[slot] = -s
      } else {
        if (t[slot] <= 0) t[slot] = next++
        node = t[slot]
      }
    }
  }
  return t
}

/**
 * Decodes `len` Huffman-coded octets of `src` from `off` into a latin1 string; null when malformed
 * (EOS in the string, or bad padding). Symbol 0 is a leaf too: leaves are told from inner nodes by
 * the sign, and 0 is never an inner node index as a child (the root is not a child).
 */
export function huffmanDecode(src: Uint8Array, off: number, len: number): string | null {
  decodeTree ??= buildTree()
  const tree = decodeTree
  let out = ''
  let node = 0
  /** Bits read since the last symbol, and whether they were all ones (valid padding so far). */
  let depth = 0
  let ones = true
  const end = off + len
  for (let i = off; i < end; i++) {
    const byte = src[i]!
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1
      const v = tree[2 * node + bit]!
      if (v > 0) {
        node = v
        depth++
        if (bit === 0) ones = false
        continue
      }
      const sym = -v
      if (sym === EOS) return null
      out += String.fromCharCode(sym)
      node = 0
      depth = 0
      ones = true
    }
  }
  if (depth > 7 || !ones) return null
  return out
}

/** Huffman-encodes a latin1 string (used by tests and the sample tooling; not on the hot path). */
export function huffmanEncode(s: string): Buffer {
  const bytes: number[] = []
  let acc = 0
  let nbits = 0
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff
    const code = HUFFMAN_CODES[sym]!
    for (let k = LENGTHS[sym]! - 1; k >= 0; k--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** k) & 1)
      if (++nbits === 8) {
        bytes.push(acc)
        acc = 0
        nbits = 0
      }
    }
  }
  if (nbits > 0) bytes.push(((acc << (8 - nbits)) | ((1 << (8 - nbits)) - 1)) & 0xff)
  return Buffer.from(bytes)
}
