/**
 * Deterministic randomness for the fuzzer. Every input is generated from one 32-bit seed, derived
 * from the run seed and the input's index, so an input (and a saved recipe) replays exactly on any
 * machine. The generator is mulberry32 (scripts/bench/rng.ts), extended with byte helpers.
 */
import {Rng} from '../bench/rng.js'

export {Rng}

/** 32-bit avalanche mix (murmur3 finalizer) of a run seed and an input index. */
export function inputSeed(runSeed: number, index: number): number {
  let h = (runSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** `n` random bytes. */
export function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = (rng.next() * 256) | 0
  return b
}

/** Values that length and count fields break on: 0, 1, sign boundaries, all ones. */
export const INTERESTING: readonly number[] = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe,
  0xffffffff,
]

/**
 * Writes an "interesting" value (or the old value +-1..16) as an 8/16/32-bit big- or little-endian
 * integer at `pos` (clipped to the buffer). This is the "length-field damage" of the fuzzer.
 */
export function damageInt(rng: Rng, b: Buffer, pos: number): void {
  const width = rng.pick([1, 2, 2, 4, 4])
  if (pos + width > b.length) return
  const le = rng.chance(0.3)
  let old = 0
  if (width === 1) old = b[pos]
  else if (width === 2) old = le ? b.readUInt16LE(pos) : b.readUInt16BE(pos)
  else old = le ? b.readUInt32LE(pos) : b.readUInt32BE(pos)
  const v = rng.chance(0.5) ? rng.pick(INTERESTING) : old + (rng.chance(0.5) ? 1 : -1) * rng.int(1, 16)
  const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff
  const w = ((v % (max + 1)) + (max + 1)) % (max + 1)
  if (width === 1) b[pos] = w
  else if (width === 2) le ? b.writeUInt16LE(w, pos) : b.writeUInt16BE(w, pos)
  else le ? b.writeUInt32LE(w >>> 0, pos) : b.writeUInt32BE(w >>> 0, pos)
}

/**
 * Wireshark's `editcap -E p` on buf[start, end): each byte is hit with probability p; a hit is
 * (weights as in editcap.c) a bit flip, a random byte, a short random alnum string, a printf
 * format string, or a run of 0xAA.
 */
export function editcapErrors(rng: Rng, b: Buffer, start: number, end: number, p: number): number {
  let hits = 0
  // Skip ahead geometrically instead of drawing per byte: same distribution, far fewer draws.
  const logq = Math.log(1 - p)
  let i = start + Math.floor(Math.log(1 - rng.next()) / logq)
  while (i < end) {
    hits++
    const t = rng.int(0, 11)
    if (t < 5) b[i] ^= 1 << rng.int(0, 7)
    else if (t < 7) b[i] = rng.int(0, 255)
    else if (t < 9) {
      const n = Math.min(rng.int(1, 16), end - i)
      const a = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
      for (let k = 0; k < n; k++) b[i + k] = a.charCodeAt(rng.int(0, a.length - 1))
    } else if (t < 11) {
      const f = rng.pick(['%s', '%x', '%n', '%%', '%08x'])
      for (let k = 0; k < f.length && i + k < end; k++) b[i + k] = f.charCodeAt(k)
    } else {
      const n = Math.min(rng.int(1, 16), end - i)
      b.fill(0xaa, i, i + n)
    }
    i += 1 + Math.floor(Math.log(1 - rng.next()) / logq)
  }
  return hits
}
