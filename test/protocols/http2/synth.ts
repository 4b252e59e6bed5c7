/** HTTP/2 frame and HPACK block builders for the tests (and the fuzz seeds). */
import {huffmanEncode} from '../../../src/protocols/http2/huffman.js'
import {PREFACE} from '../../../src/protocols/http2/parser.js'

export {PREFACE}

export function frame(type: number, flags: number, stream: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload
  const h = Buffer.alloc(9)
  h.writeUIntBE(p.length, 0, 3)
  h[3] = type
  h[4] = flags
  h.writeUInt32BE(stream, 5)
  return Buffer.concat([h, p])
}

/** HPACK integer with an N-bit prefix under `first` (RFC 7541 section 5.1). */
export function hpackInt(first: number, n: number, v: number): Buffer {
  const max = (1 << n) - 1
  if (v < max) return Buffer.from([first | v])
  const out = [first | max]
  v -= max
  while (v >= 128) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return Buffer.from(out)
}

function str(s: string, huffman: boolean): Buffer {
  const raw = huffman ? huffmanEncode(s) : Buffer.from(s, 'latin1')
  return Buffer.concat([hpackInt(huffman ? 0x80 : 0, 7, raw.length), raw])
}

/**
 * One header field representation: `idx` = a static/dynamic table index for the name (0 = literal
 * name); mode 'index' emits the fully indexed form (idx names the whole field).
 */
export type Rep =
  | {index: number}
  | {name: string | number; value: string; mode?: 'incremental' | 'without' | 'never'; huffman?: boolean}

export function block(reps: Rep[], sizeUpdate?: number): Buffer {
  const parts: Buffer[] = []
  if (sizeUpdate !== undefined) parts.push(hpackInt(0x20, 5, sizeUpdate))
  for (const r of reps) {
    if ('index' in r) {
      parts.push(hpackInt(0x80, 7, r.index))
      continue
    }
    const mode = r.mode ?? 'without'
    const [first, n] = mode === 'incremental' ? [0x40, 6] : mode === 'never' ? [0x10, 4] : [0x00, 4]
    const h = r.huffman === true
    if (typeof r.name === 'number') parts.push(hpackInt(first, n, r.name))
    else parts.push(Buffer.from([first]), str(r.name, h))
    parts.push(str(r.value, h))
  }
  return Buffer.concat(parts)
}

/** A gRPC length-prefixed message of `len` bytes. */
export function grpcMessage(len: number, compressed = false): Buffer {
  const b = Buffer.alloc(5 + len, 0x61)
  b[0] = compressed ? 1 : 0
  b.writeUInt32BE(len, 1)
  return b
}

export function settings(pairs: [number, number][] = []): Buffer {
  const p = Buffer.alloc(6 * pairs.length)
  pairs.forEach(([id, v], i) => {
    p.writeUInt16BE(id, 6 * i)
    p.writeUInt32BE(v, 6 * i + 2)
  })
  return frame(4, 0, 0, p)
}

export function u32(...v: number[]): Buffer {
  const b = Buffer.alloc(4 * v.length)
  for (let i = 0; i < v.length; i++) b.writeUInt32BE(v[i]! >>> 0, 4 * i)
  return b
}
