/**
 * A small Thrift encoder for the tests (binary and compact protocols, socket and framed
 * transports), written from the protocol descriptions, independent of the decoder under test.
 */
export type V =
  | {t: 'bool'; v: boolean}
  | {t: 'byte' | 'i16' | 'i32'; v: number}
  | {t: 'i64'; v: bigint}
  | {t: 'double'; v: number}
  | {t: 'string'; v: string | Buffer}
  | {t: 'struct'; f: [number, V][]}
  | {t: 'list' | 'set'; et: Kind; items: V[]}
  | {t: 'map'; kt: Kind; vt: Kind; items: [V, V][]}
type Kind = V['t']

export const bool = (v: boolean): V => ({t: 'bool', v})
export const byte = (v: number): V => ({t: 'byte', v})
export const i16 = (v: number): V => ({t: 'i16', v})
export const i32 = (v: number): V => ({t: 'i32', v})
export const i64 = (v: bigint): V => ({t: 'i64', v})
export const dbl = (v: number): V => ({t: 'double', v})
export const str = (v: string | Buffer): V => ({t: 'string', v})
export const struct = (...f: [number, V][]): V => ({t: 'struct', f})
export const list = (et: Kind, ...items: V[]): V => ({t: 'list', et, items})
export const set = (et: Kind, ...items: V[]): V => ({t: 'set', et, items})
export const map = (kt: Kind, vt: Kind, ...items: [V, V][]): V => ({t: 'map', kt, vt, items})

const BIN: Record<Kind, number> = {bool: 2, byte: 3, double: 4, i16: 6, i32: 8, i64: 10, string: 11, struct: 12, map: 13, set: 14, list: 15}
const CMP: Record<Kind, number> = {bool: 1, byte: 3, i16: 4, i32: 5, i64: 6, double: 7, string: 8, list: 9, set: 10, map: 11, struct: 12}

const be32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
const be16 = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}
function varint(n: bigint): Buffer {
  const out: number[] = []
  let v = BigInt.asUintN(64, n)
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v !== 0n) b |= 0x80
    out.push(b)
  } while (v !== 0n)
  return Buffer.from(out)
}
const zz = (n: bigint, bits: number) => varint(BigInt.asUintN(bits, (n << 1n) ^ (n >> BigInt(bits - 1))))
const bytesOf = (v: string | Buffer) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)

export function binValue(v: V): Buffer {
  switch (v.t) {
    case 'bool':
      return Buffer.from([v.v ? 1 : 0])
    case 'byte':
      return Buffer.from([v.v & 0xff])
    case 'i16':
      return be16(v.v)
    case 'i32':
      return be32(v.v)
    case 'i64': {
      const b = Buffer.alloc(8)
      b.writeBigInt64BE(v.v)
      return b
    }
    case 'double': {
      const b = Buffer.alloc(8)
      b.writeDoubleBE(v.v)
      return b
    }
    case 'string': {
      const b = bytesOf(v.v)
      return Buffer.concat([be32(b.length), b])
    }
    case 'struct':
      return Buffer.concat([...v.f.flatMap(([id, x]) => [Buffer.from([BIN[x.t]]), be16(id), binValue(x)]), Buffer.from([0])])
    case 'list':
    case 'set':
      return Buffer.concat([Buffer.from([BIN[v.et]]), be32(v.items.length), ...v.items.map(binValue)])
    case 'map':
      return Buffer.concat([Buffer.from([BIN[v.kt], BIN[v.vt]]), be32(v.items.length), ...v.items.flatMap(([k, x]) => [binValue(k), binValue(x)])])
  }
}

export function cmpValue(v: V): Buffer {
  switch (v.t) {
    case 'bool':
      return Buffer.from([v.v ? 1 : 2])
    case 'byte':
      return Buffer.from([v.v & 0xff])
    case 'i16':
      return zz(BigInt(v.v), 32)
    case 'i32':
      return zz(BigInt(v.v), 32)
    case 'i64':
      return zz(v.v, 64)
    case 'double': {
      const b = Buffer.alloc(8)
      b.writeDoubleLE(v.v)
      return b
    }
    case 'string': {
      const b = bytesOf(v.v)
      return Buffer.concat([varint(BigInt(b.length)), b])
    }
    case 'struct': {
      const parts: Buffer[] = []
      let last = 0
      for (const [id, x] of v.f) {
        const type = x.t === 'bool' ? (x.v ? 1 : 2) : CMP[x.t]
        const d = id - last
        if (d > 0 && d <= 15) parts.push(Buffer.from([(d << 4) | type]))
        else parts.push(Buffer.from([type]), zz(BigInt(id), 32))
        last = id
        if (x.t !== 'bool') parts.push(cmpValue(x))
      }
      parts.push(Buffer.from([0]))
      return Buffer.concat(parts)
    }
    case 'list':
    case 'set': {
      const n = v.items.length
      const head = n < 15 ? Buffer.from([(n << 4) | CMP[v.et]]) : Buffer.concat([Buffer.from([0xf0 | CMP[v.et]]), varint(BigInt(n))])
      return Buffer.concat([head, ...v.items.map(cmpValue)])
    }
    case 'map': {
      const n = v.items.length
      if (n === 0) return Buffer.from([0])
      return Buffer.concat([varint(BigInt(n)), Buffer.from([(CMP[v.kt] << 4) | CMP[v.vt]]), ...v.items.flatMap(([k, x]) => [cmpValue(k), cmpValue(x)])])
    }
  }
}

export interface MsgOptions {
  compact?: boolean
  framed?: boolean
  /** Old (non-strict) binary header. */
  old?: boolean
}

/** type: 1 call, 2 reply, 3 exception, 4 oneway. */
export function message(type: number, name: string, seqid: number, body: V, o: MsgOptions = {}): Buffer {
  const nm = Buffer.from(name, 'utf8')
  let m: Buffer
  if (o.compact) {
    m = Buffer.concat([Buffer.from([0x82, (type << 5) | 1]), varint(BigInt(seqid >>> 0)), varint(BigInt(nm.length)), nm, cmpValue(body)])
  } else if (o.old) {
    m = Buffer.concat([be32(nm.length), nm, Buffer.from([type]), be32(seqid), binValue(body)])
  } else {
    m = Buffer.concat([be32((0x80010000 | type) | 0), be32(nm.length), nm, be32(seqid), binValue(body)])
  }
  return o.framed ? Buffer.concat([be32(m.length), m]) : m
}
