/**
 * The record rings of a run split over workers (./parallel.ts): one ring per worker, each with one
 * writer (the main thread, which frames, decodes and routes the capture) and one reader (the
 * worker), over SharedArrayBuffers.
 *
 * Layout. `ctrl` (Int32Array): [WRITE] the writer's byte counter, [READ] the reader's, [DEAD] set
 * to 1 by a worker that failed. Counters only grow and wrap at 2^32; a position is
 * `counter & (size - 1)` (the size is a power of two) and distances are `(a - b) >>> 0`. The writer
 * never overwrites bytes the reader has not passed.
 *
 * Records start on 8-byte boundaries: i32 total length (8-aligned, header included), i32 kind,
 * then the kind's fields (word offsets in 32-bit words from the record's start below):
 *   PACKET: a decoded packet (src/decode/types.ts DecodedPacket), PKT_* word offsets; the payload
 *     bytes follow the header (and the tunnel words, when PKT_TUNNEL_DEPTH > 0).
 *   SWEEP: [2] frame, [3] proto (6 TCP, 17 UDP), f64 at word 4: clock seconds, [6] clock nsec:
 *     the one-thread capture clock of that table reached a sweep at this frame (see ./parallel.ts).
 *   WRAP: the rest of the ring up to its end is padding (a record never straddles the end).
 *   BEGIN, INFO: UTF-8 JSON from byte 16, its length at word 2.
 *   SECRETS: [2] secrets type, [3] length, f64 offset at word 4, bytes from byte 24.
 *   END: [2] frame, f64 tsSec at word 4, f64 tsNsec at word 6: the source's last IP packet
 *     (Engine.last).
 *   QUIT: no fields.
 *
 * Publication: the writer stores WRITE with Atomics.store and wakes the reader with Atomics.notify;
 * the reader copies everything up to WRITE out of the ring, then stores READ and notifies (waking a
 * writer waiting for room).
 */

export const Kind = {PACKET: 1, WRAP: 2, BEGIN: 3, INFO: 4, SECRETS: 5, END: 6, QUIT: 7, SWEEP: 8} as const

export const CTRL_WRITE = 0
export const CTRL_READ = 1
export const CTRL_DEAD = 2
export const CTRL_SLOTS = 4

/** PACKET record word offsets (i32 / u32 words; f64 fields take two words, 8-aligned). */
export const PKT_TS_SEC = 2 // f64 (words 2-3)
export const PKT_TS_NSEC = 4 // f64
export const PKT_CLOCK_SEC = 6 // f64: the packet's table's capture clock (./parallel.ts)
export const PKT_CLOCK_NSEC = 8 // f64
export const PKT_FRAME = 10
export const PKT_IPV = 11
export const PKT_SRC = 12 // u32 x 4
export const PKT_DST = 16 // u32 x 4
export const PKT_PROTO = 20
export const PKT_IPLEN = 21
export const PKT_VLAN = 22
export const PKT_VLAN_INNER = 23
export const PKT_SMAC_HI = 24
export const PKT_SMAC_LO = 25 // u32
export const PKT_DMAC_HI = 26
export const PKT_DMAC_LO = 27 // u32
export const PKT_WIRE_PACKETS = 28
export const PKT_WIRE_BYTES = 29
export const PKT_SPORT = 30
export const PKT_DPORT = 31
export const PKT_SEQ = 32 // u32
export const PKT_ACK = 33 // u32
export const PKT_FLAGS = 34
export const PKT_WINDOW = 35
export const PKT_TRUNC = 36
export const PKT_PAYLOAD_LEN = 37
export const PKT_TUNNEL_DEPTH = 38
export const PKT_WORDS = 40
/** Tunnel words after PKT_WORDS (only when depth > 0): see tunnel writing in ./parallel.ts. */
export const TUN_TYPE = 0
export const TUN_IPV = 1
export const TUN_ID = 2 // f64 (words 2-3): -1 or an unsigned 32-bit id
export const TUN_SRC = 4 // u32 x 4
export const TUN_DST = 8 // u32 x 4
export const TUN_SPORT = 12
export const TUN_DPORT = 13
export const TUN_LABEL_COUNT = 14
export const TUN_ZONE = 15
export const TUN_LABELS = 16 // u32 x 8
export const TUN_WORDS = 24

/** Tunnel type names by their number in a record. */
export const TUNNEL_TYPES = ['vxlan', 'geneve', 'gre', 'erspan', 'mpls', 'gtpu', 'ipv4-in-ip', 'ipv6-in-ip', 'pppoe', 'teredo'] as const

/** The Stats maps whose insertion order shows (the summary lists ties in it); ./parallel.ts merges
 * them in the one-thread order from where each key first appeared (FirstSeen, sent by workers). */
export const ORDERED_MAPS = ['malformed', 'limitsHit'] as const

/** Per ordered map: each key's frame of first appearance, in insertion order. */
export type FirstSeen = Record<(typeof ORDERED_MAPS)[number], [string, number][]>

export function align8(n: number): number {
  return (n + 7) & ~7
}

/** A ring big enough for packets of up to `maxRecordBytes` (at least 16 MiB, a power of two). */
export function ringBytes(maxRecordBytes: number): number {
  let n = 16 * 1024 * 1024
  while (n < 8 * (maxRecordBytes + 4 * (PKT_WORDS + TUN_WORDS))) n *= 2
  return n
}

export interface RingBuffers {
  ctrl: SharedArrayBuffer
  data: SharedArrayBuffer
}

export function newRing(size: number): RingBuffers {
  return {ctrl: new SharedArrayBuffer(CTRL_SLOTS * 4), data: new SharedArrayBuffer(size)}
}
