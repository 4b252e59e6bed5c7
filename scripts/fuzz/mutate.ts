/**
 * Mutators. All of them are pure functions of (input, seed): the same seed gives the same bytes.
 *
 * Captures (mutateCapture), after Wireshark's fuzz-test (tools/fuzz-test.sh: editcap -E):
 *   - editcap -E: random byte errors in packet data with a per-byte probability;
 *   - snaplen cuts of records (editcap -s) and truncation of the file at any byte;
 *   - length-field damage: record/block length fields, and 8/16/32-bit fields near the start of
 *     packet data (IP/TCP/UDP lengths, header lengths) and anywhere in it (application lengths);
 *   - record reordering, duplication and removal (out-of-order, retransmission, loss).
 * Streams (mutateStream): byte errors, length damage, insertions of protocol tokens, deletions,
 * re-chunking (down to 1 byte per call), gaps (also absurd sizes), dropped/duplicated/swapped
 * steps, flipped directions, time jumps, and splicing with another valid stream.
 * Random streams (randomStream): fast-check arbitraries of direction-tagged chunks drawn from raw
 * bytes and each protocol's tokens, sampled with a fixed seed.
 */
import fc from 'fast-check'
import type {EndReason} from '../../src/reassembly/types.js'
import type {StreamEvent, StreamInput} from './harness.js'
import {damageInt, editcapErrors, Rng, randomBytes} from './rng.js'
import type {LoadedCapture} from './sources.js'

// ------------------------------------------------------------------------------ captures

export interface CaptureMutation {
  bytes: Buffer
  /** What was done (for reports). */
  ops: string[]
  /** Chunk size the pipeline is fed with (0 = whole). */
  chunk: number
}

function rebuild(c: LoadedCapture, order: number[], src: Buffer): Buffer {
  if (c.spanOff.length === 0) return src
  const prefix = src.subarray(0, c.spanOff[0])
  const parts: Buffer[] = [prefix]
  for (const i of order) parts.push(src.subarray(c.spanOff[i], Math.min(src.length, c.spanOff[i] + c.spanLen[i])))
  return Buffer.concat(parts)
}

/** Cuts record i's captured length to `keep` bytes (classic pcap only; header fields rewritten). */
function snapRecords(c: LoadedCapture, src: Buffer, rng: Rng): Buffer {
  const le = src.readUInt32LE(0) === 0xa1b2c3d4 || src.readUInt32LE(0) === 0xa1b23c4d || src.readUInt32LE(0) === 0xa1b2cd34
  const parts: Buffer[] = [src.subarray(0, c.spanOff[0])]
  const snap = rng.int(14, 200)
  for (let i = 0; i < c.spanOff.length; i++) {
    const h = c.hdr[i]
    const dlen = c.dataLen[i]
    const hl = c.dataOff[i] - h
    if (hl < 16 || h + hl > src.length) return src
    const keep = Math.min(dlen, snap)
    const head = Buffer.from(src.subarray(h, h + hl))
    if (le) head.writeUInt32LE(keep, 8)
    else head.writeUInt32BE(keep, 8)
    parts.push(head, src.subarray(c.dataOff[i], c.dataOff[i] + keep))
  }
  return Buffer.concat(parts)
}

export function mutateCapture(c: LoadedCapture, seed: number): CaptureMutation {
  const rng = new Rng(seed)
  let b: Buffer = Buffer.from(c.bytes)
  const ops: string[] = []
  const n = c.dataOff.length
  const rounds = rng.int(1, 3)
  for (let r = 0; r < rounds; r++) {
    const op = rng.int(0, 9)
    if (op <= 3 && n > 0) {
      // editcap -E on packet data; the probability spans Wireshark's default 0.02 both ways
      const p = Math.exp(Math.log(0.0005) + rng.next() * (Math.log(0.08) - Math.log(0.0005)))
      let hits = 0
      const all = rng.chance(0.7)
      for (let i = 0; i < n; i++) {
        if (!all && !rng.chance(0.2)) continue
        const s = c.dataOff[i]
        hits += editcapErrors(rng, b, s, Math.min(b.length, s + c.dataLen[i]), p)
      }
      ops.push(`editcap-E p=${p.toFixed(4)} hits=${hits}`)
    } else if (op <= 5 && n > 0) {
      // length fields near the top of packets (L2-L4 headers) and anywhere (application lengths)
      const k = rng.int(1, 12)
      for (let j = 0; j < k; j++) {
        const i = rng.int(0, n - 1)
        const len = c.dataLen[i]
        if (len === 0) continue
        const pos = c.dataOff[i] + (rng.chance(0.6) ? rng.int(0, Math.min(len, 64) - 1) : rng.int(0, len - 1))
        damageInt(rng, b, pos)
      }
      ops.push(`packet length fields x${k}`)
    } else if (op === 6 && n > 0) {
      // record/block header lengths
      const i = rng.int(0, n - 1)
      const h = c.hdr[i]
      const field = c.format === 'pcapng' ? h + rng.pick([4, 20, 24]) : h + rng.pick([8, 12])
      if (field + 4 <= b.length) damageInt(rng, b, field)
      ops.push(`record ${i} header length`)
    } else if (op === 7 && n > 1) {
      // reorder, duplicate, drop records
      const order = Array.from({length: n}, (_, i) => i)
      const k = rng.int(1, Math.max(1, Math.min(n, 20)))
      for (let j = 0; j < k; j++) {
        const a = rng.int(0, order.length - 1)
        const x = rng.int(0, 2)
        if (x === 0) {
          const z = rng.int(0, order.length - 1)
          ;[order[a], order[z]] = [order[z], order[a]]
        } else if (x === 1) order.splice(rng.int(0, order.length), 0, order[a])
        else if (order.length > 1) order.splice(a, 1)
      }
      b = rebuild(c, order, b)
      ops.push(`records reordered/duplicated/dropped x${k}`)
      // record offsets no longer match: later rounds only use whole-file ops
      break
    } else if (op === 8 && c.format === 'pcap' && n > 0) {
      b = snapRecords(c, b, rng)
      ops.push('snaplen cut')
      break
    } else {
      const at = rng.int(0, b.length)
      b = b.subarray(0, at)
      ops.push(`truncated at ${at}`)
      break
    }
  }
  // tiny chunks only for small inputs: 1-byte pushes of a megabyte file measure the harness, not pbx
  let chunk = rng.chance(0.7) ? 0 : rng.pick([1, 7, 64, 1500, 4096, 65536])
  if (chunk > 0 && chunk < 1500 && b.length > 128 * 1024) chunk = 1500
  return {bytes: b, ops, chunk}
}

// ------------------------------------------------------------------------------ tokens

const GENERIC_TOKENS = ['\r\n', '\n', '\0', '\r\n\r\n', ' ', ':', '0', '-1', '4294967296', '\xff\xff\xff\xff', '\x7f\xff\xff\xff']

/** Protocol vocabulary for insertions and random streams (the dictionaries of libFuzzer style). */
export const TOKENS: Record<string, string[]> = {
  http: [
    'GET / HTTP/1.1\r\n', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.0 100 Continue\r\n\r\n', 'Content-Length: ', 'Content-Length: 99999999999\r\n',
    'Transfer-Encoding: chunked\r\n', 'Content-Encoding: gzip\r\n', 'Content-Encoding: deflate\r\n', 'Host: x\r\n',
    'ffffffffffffffff\r\n', '0\r\n\r\n', '5;ext=1\r\nhello\r\n', 'Connection: close\r\n', 'Upgrade: websocket\r\n',
    'HEAD /x HTTP/1.1\r\n', 'CONNECT a:443 HTTP/1.1\r\n', ' folded\r\n', '\x1f\x8b\x08\x00\x00\x00\x00\x00', 'x-a: \xff\xfe\r\n',
  ],
  dns: ['\x00\x01\x00\x01', '\xc0\x0c', '\xc0\x00', '\x3fxxxxxxxx', '\x00\x00\x29\x10\x00', '\x81\x80', '\x00\x06', '\x00\xff'],
  tls: ['\x16\x03\x01', '\x16\x03\x03\x00\x40', '\x01\x00\x00\x3c\x03\x03', '\x02\x00\x00', '\x0b\x00', '\x15\x03\x03\x00\x02\x02\x28', '\x14\x03\x03\x00\x01\x01', '\x17\x03\x03', '\x00\x00\x00\x0e', '\x30\x82', '\x00\x2b\x00\x03\x02\x03\x04'],
  mysql: ['\x01\x00\x00\x00\x03', '\x0a5.7.0\x00', '\x00\x00\x00\x02', '\xfe\x00\x00', '\xff\x15\x04#28000', '\xfc\xff\xff', '\xfd\xff\xff\xff', '\xfb', 'SELECT 1', '\x17\x01\x00\x00\x00'],
  pgsql: ['Q\x00\x00\x00\x0dSELECT 1\x00', 'T\x00\x00\x00', 'D\x00\x00\x00', 'C\x00\x00\x00\x0dSELECT 1\x00', 'Z\x00\x00\x00\x05I', 'E\x00\x00\x00', '\x00\x03\x00\x00', '\x04\xd2\x16\x2f', 'P\x00\x00\x00', 'B\x00\x00\x00', 'X\x00\x00\x00\x04', '\xff\xff\xff\xff'],
  redis: ['*1\r\n', '*-1\r\n', '$3\r\nGET\r\n', '$-1\r\n', '+OK\r\n', '-ERR x\r\n', ':1\r\n', '*99999999999\r\n', '$2147483648\r\n', '%1\r\n', '>3\r\n', '|1\r\n', '~2\r\n', '_\r\n', '=5\r\ntxt:x\r\n', 'PING\r\n', '*2\r\n$9\r\nsubscribe\r\n'],
  memcache: ['get k\r\n', 'set k 0 0 5\r\n', 'VALUE k 0 5\r\n', 'END\r\n', 'STORED\r\n', 'set k 0 0 4294967295\r\n', '\x80\x00\x00\x01', '\x81\x00\x00\x00', 'stats\r\n', 'STAT pid 1\r\n', 'gets a b c\r\n', 'incr k 1\r\n', 'noreply'],
  mongodb: ['\xdd\x07\x00\x00', '\xd4\x07\x00\x00', '\x01\x00\x00\x00', '\x03\x00\x00\x00', '\x05\x00\x00\x00\x00', '\x03a\x00', '\x04a\x00', '\x02a\x00\x02\x00\x00\x00b\x00', '\x10x\x00', '\xff\xff\xff\x7f', 'find\x00', 'insert\x00', '$db\x00'],
  dhcpv4: ['\x63\x82\x53\x63', '\x35\x01\x01', '\x35\x01\x05', '\x37\x03\x01\x03\x06', '\xff', '\x00', '\x3d\x07\x01', '\x52\x00', '\x0c\xff'],
  icmp: ['\x08\x00', '\x00\x00', '\x03\x03', '\x0b\x00', '\x80\x00', '\x81\x00', '\x01\x04', '\x45\x00\x00\x1c', '\x60\x00\x00\x00'],
}

function token(rng: Rng, protocol: string): Buffer {
  const list = rng.chance(0.8) ? (TOKENS[protocol] ?? GENERIC_TOKENS) : GENERIC_TOKENS
  return Buffer.from(rng.pick(list), 'latin1')
}

// ------------------------------------------------------------------------------ streams

const END_REASONS: readonly EndReason[] = ['fin', 'rst', 'timeout', 'eof', 'evicted', 'error']

function cloneStream(s: StreamInput): StreamInput {
  return {...s, events: s.events.map((e) => ({...e}))}
}

/** Merges consecutive same-direction data and re-splits it into chunks of random sizes. */
function rechunk(ev: StreamEvent[], rng: Rng): StreamEvent[] {
  const out: StreamEvent[] = []
  const style = rng.int(0, 2) // 0: random sizes, 1: one byte at a time, 2: one chunk per run
  let i = 0
  while (i < ev.length) {
    const e = ev[i]
    if (e.k !== 'data') {
      out.push(e)
      i++
      continue
    }
    const parts: Buffer[] = []
    const dt = e.dt
    while (i < ev.length && ev[i].k === 'data' && ev[i].dir === e.dir) {
      parts.push((ev[i] as {bytes: Buffer}).bytes)
      i++
    }
    const all = Buffer.concat(parts)
    if (style === 2 || all.length === 0) {
      out.push({k: 'data', dir: e.dir, bytes: all, dt})
      continue
    }
    // one byte at a time only for small runs (time bound of an input)
    const oneByte = style === 1 && all.length <= 4096
    for (let off = 0; off < all.length; ) {
      const len = oneByte ? 1 : rng.int(1, Math.max(1, Math.min(all.length - off, rng.pick([3, 16, 200, 1460, 65536]))))
      out.push({k: 'data', dir: e.dir, bytes: all.subarray(off, off + len), dt: off === 0 ? dt : 0})
      off += len
    }
  }
  return out
}

/** A mutated copy of a valid stream (`other`: a second valid stream of the same protocol for splicing). */
export function mutateStream(base: StreamInput, seed: number, other?: StreamInput): StreamInput {
  const rng = new Rng(seed)
  const s = cloneStream(base)
  const ops = rng.int(1, 5)
  const dataIdx = () => {
    const idx: number[] = []
    s.events.forEach((e, i) => {
      if (e.k === 'data' && e.bytes.length > 0) idx.push(i)
    })
    return idx
  }
  for (let r = 0; r < ops; r++) {
    const ev = s.events
    const op = rng.int(0, 13)
    const di = dataIdx()
    const pickData = (): (StreamEvent & {k: 'data'}) | null => {
      if (di.length === 0) return null
      const i = rng.pick(di)
      const e = ev[i] as StreamEvent & {k: 'data'}
      e.bytes = Buffer.from(e.bytes) // copy before changing: bytes may be shared with the source
      return e
    }
    switch (op) {
      case 0:
      case 1: {
        const e = pickData()
        if (e) editcapErrors(rng, e.bytes, 0, e.bytes.length, Math.exp(Math.log(0.001) + rng.next() * Math.log(100)))
        break
      }
      case 2:
      case 3: {
        const e = pickData()
        if (e) for (let k = rng.int(1, 4); k > 0; k--) damageInt(rng, e.bytes, rng.int(0, e.bytes.length - 1))
        break
      }
      case 4: {
        const e = pickData()
        if (e) {
          const at = rng.int(0, e.bytes.length)
          const ins = rng.chance(0.6) ? token(rng, s.protocol) : randomBytes(rng, rng.int(1, 64))
          const times = rng.chance(0.1) ? rng.int(2, 200) : 1
          e.bytes = Buffer.concat([e.bytes.subarray(0, at), ...Array<Buffer>(times).fill(ins), e.bytes.subarray(at)])
        }
        break
      }
      case 5: {
        const e = pickData()
        if (e) {
          const a = rng.int(0, e.bytes.length - 1)
          const z = rng.int(a, Math.min(e.bytes.length, a + rng.int(1, 256)))
          e.bytes = rng.chance(0.5)
            ? Buffer.concat([e.bytes.subarray(0, a), e.bytes.subarray(z)])
            : Buffer.concat([e.bytes.subarray(0, z), e.bytes.subarray(a, z), e.bytes.subarray(z)])
        }
        break
      }
      case 6:
        s.events = rechunk(ev, rng)
        break
      case 7: {
        // turn part of a chunk into a gap, or add a gap of any size (also absurd ones)
        const i = rng.int(0, ev.length)
        const e = ev[i]
        if (e && e.k === 'data' && e.bytes.length > 1 && rng.chance(0.5)) {
          const cut = rng.int(1, e.bytes.length - 1)
          ev.splice(i, 1, {k: 'data', dir: e.dir, bytes: e.bytes.subarray(0, cut), dt: e.dt}, {k: 'gap', dir: e.dir, n: e.bytes.length - cut, dt: 0})
        } else {
          const n = rng.pick([1, 2, 100, 1460, 65536, 0x7fffffff, 0xffffffff])
          ev.splice(i, 0, {k: 'gap', dir: rng.chance(0.5) ? 0 : 1, n, dt: 0})
        }
        break
      }
      case 8:
        if (ev.length > 1) ev.splice(rng.int(0, ev.length - 1), 1)
        break
      case 9:
        if (ev.length > 0) {
          const i = rng.int(0, ev.length - 1)
          ev.splice(i, 0, {...ev[i]})
        }
        break
      case 10:
        if (ev.length > 1) {
          const a = rng.int(0, ev.length - 1)
          const z = rng.int(0, ev.length - 1)
          ;[ev[a], ev[z]] = [ev[z], ev[a]]
        }
        break
      case 11:
        if (ev.length > 0) {
          const e = ev[rng.int(0, ev.length - 1)]
          e.dir = e.dir === 0 ? 1 : 0
        }
        break
      case 12:
        if (ev.length > 0) ev[rng.int(0, ev.length - 1)].dt = rng.pick([0, 999, 10_001, 61_000, 3_600_000, 86_400_000])
        if (ev.length > 2 && rng.chance(0.3)) s.events = ev.slice(0, rng.int(1, ev.length - 1))
        break
      default:
        if (other && other.events.length > 0) {
          const a = rng.int(0, ev.length)
          const b = rng.int(0, other.events.length - 1)
          s.events = [...ev.slice(0, a), ...other.events.slice(b, b + rng.int(1, 8)).map((e) => ({...e})), ...ev.slice(a)]
        }
    }
  }
  s.end = rng.chance(0.7) ? s.end : rng.pick(END_REASONS)
  return s
}

// ------------------------------------------------------------------------------ random streams (fast-check)

function chunkArb(protocol: string): fc.Arbitrary<Buffer> {
  const toks = (TOKENS[protocol] ?? GENERIC_TOKENS).map((t) => Buffer.from(t, 'latin1'))
  const piece = fc.oneof(
    {weight: 3, arbitrary: fc.constantFrom(...toks)},
    {weight: 2, arbitrary: fc.uint8Array({maxLength: 64}).map((a) => Buffer.from(a))},
    {weight: 1, arbitrary: fc.nat(0xffff).map((v) => Buffer.from([v >> 8, v & 0xff]))},
    {weight: 1, arbitrary: fc.constantFrom(...GENERIC_TOKENS.map((t) => Buffer.from(t, 'latin1')))},
  )
  return fc.array(piece, {maxLength: 24}).map((ps) => Buffer.concat(ps))
}

const dirArb = fc.constantFrom<0 | 1>(0, 1)
const dtArb = fc.oneof({weight: 8, arbitrary: fc.nat(50)}, {weight: 1, arbitrary: fc.constantFrom(10_001, 61_000, 3_600_000)})

function eventsArb(protocol: string): fc.Arbitrary<StreamEvent[]> {
  const data = fc.record({k: fc.constant('data' as const), dir: dirArb, bytes: chunkArb(protocol), dt: dtArb})
  const gap = fc.record({
    k: fc.constant('gap' as const),
    dir: dirArb,
    n: fc.oneof(fc.integer({min: 1, max: 5000}), fc.constantFrom(0x7fffffff, 0xffffffff)),
    dt: dtArb,
  })
  return fc.array(fc.oneof({weight: 9, arbitrary: data}, {weight: 1, arbitrary: gap}), {maxLength: 40})
}

const arbCache = new Map<string, fc.Arbitrary<StreamEvent[]>>()

/** A random direction-tagged stream for (protocol, transport), sampled from fast-check with `seed`. */
export function randomStream(protocol: string, transport: StreamInput['transport'], serverPort: number, seed: number): StreamInput {
  let arb = arbCache.get(protocol)
  if (!arb) {
    arb = eventsArb(protocol)
    arbCache.set(protocol, arb)
  }
  const [events] = fc.sample(arb, {seed: seed | 0, numRuns: 1})
  const rng = new Rng(seed ^ 0x5bd1e995)
  return {protocol, transport, events, end: rng.pick(END_REASONS), serverPort}
}
