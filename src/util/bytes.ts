/**
 * Unsigned integer reads from a byte array, for the per-packet paths (capture framing, decode).
 *
 * Buffer's readUInt16BE and friends check their argument's type and range on every call; these
 * read the bytes directly and V8 inlines them. Contract: the caller has already checked that
 * b[o .. o + width) lies inside the data it means to read. They never throw: a byte beyond the
 * array reads as 0, so an unchecked read yields a wrong number, not a crash.
 */

/** Big-endian (network order) 16-bit value at b[o]. */
export function u16be(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1]
}

/** Little-endian 16-bit value at b[o]. */
export function u16le(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8)
}

/** Big-endian 32-bit value at b[o], unsigned (0 .. 2^32 - 1). */
export function u32be(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
}

/** Little-endian 32-bit value at b[o], unsigned (0 .. 2^32 - 1). */
export function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
}
