/**
 * The record ring of a run split over workers (./parallel.ts): one writer (the main thread, which
 * frames the capture) and N readers (the workers), over SharedArrayBuffers.
 *
 * Layout. `ctrl` (Int32Array): [WRITE] the writer's byte counter, [READ_SEQ] bumped by a reader
 * after it moved on, [DEAD] set to 1 by a worker that failed, [READ0 + w] reader w's byte
 * counter. Counters only grow and wrap at 2^32; a position is `counter & (size - 1)` (the size is a
 * power of two) and distances are `(a - b) >>> 0`. The writer never overwrites bytes a reader has
 * not passed: free space is size minus the distance to the slowest reader.
 *
 * Records start on 8-byte boundaries: i32 total length (8-aligned, header included), i32 kind,
 * then the kind's fields. PACKET: i32 frame, linkType, tsNsec, origLen, dataLen, pad; f64 tsSec
 * at byte 32, f64 offset at 40; captured bytes from byte 48. WRAP: the rest of the ring up to its
 * end is padding (a record never straddles the end). TEXT kinds (BEGIN, INFO): UTF-8 JSON from
 * byte 16, length at byte 8. SECRETS: i32 secrets type at 8, i32 length at 12, f64 offset at 16,
 * bytes from 24. END: no fields.
 *
 * Publication: the writer stores WRITE with Atomics.store and wakes readers with Atomics.notify
 * (every PUBLISH_BYTES and whenever it must wait); a reader copies everything up to WRITE out of
 * the ring, then stores its own counter and bumps READ_SEQ (waking a writer waiting for room).
 */

export const Kind = {PACKET: 1, WRAP: 2, BEGIN: 3, INFO: 4, SECRETS: 5, END: 6, QUIT: 7} as const

export const CTRL_WRITE = 0
export const CTRL_READ_SEQ = 1
export const CTRL_DEAD = 2
export const CTRL_READ0 = 8
export const CTRL_SLOTS = 8 + 64

export const PACKET_HEADER = 48
/** The writer publishes at least this often (bytes written since the last publication). */
export const PUBLISH_BYTES = 256 * 1024

export function align8(n: number): number {
  return (n + 7) & ~7
}

/** A ring big enough for records of up to `maxRecordBytes` (at least 16 MiB, a power of two). */
export function ringBytes(maxRecordBytes: number): number {
  let n = 16 * 1024 * 1024
  while (n < 8 * (maxRecordBytes + PACKET_HEADER)) n *= 2
  return n
}

export interface RingBuffers {
  ctrl: SharedArrayBuffer
  data: SharedArrayBuffer
}

export function newRing(size: number): RingBuffers {
  return {ctrl: new SharedArrayBuffer(CTRL_SLOTS * 4), data: new SharedArrayBuffer(size)}
}
