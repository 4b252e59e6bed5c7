/**
 * HPACK header block decoding (RFC 7541): integers (5.1), string literals with optional Huffman
 * coding (5.2, ./huffman.ts), the static table (Appendix A) and the dynamic table (section 4) with
 * its size updates (6.3).
 *
 * One HpackDecoder per direction of a connection (each direction has its own compression context).
 * decode() takes one whole header block (HEADERS/PUSH_PROMISE + CONTINUATION fragments, already
 * joined) and appends name/value pairs to `out`. Header strings are latin1-decoded octets, as the
 * HTTP/1 parser does. Bounds: a table size update above `maxTableSize` (the receiver's
 * SETTINGS_HEADER_TABLE_SIZE, capped by limits.hpackMaxTableBytes) is an error; the decoded header
 * list is bounded by `maxListBytes` (RFC 7541 entry sizes: name + value + 32). An error answers a
 * reason string: the compression context is then lost (RFC 7540 section 4.3: a COMPRESSION_ERROR
 * is a connection error) and the caller stops decoding that direction. Never throws.
 */
import {huffmanDecode} from './huffman.js'

// biome-ignore format: one entry per line would be 61 lines
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''],
  ['cache-control', ''], ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''],
  ['content-length', ''], ['content-location', ''], ['content-range', ''], ['content-type', ''],
  ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''],
  ['if-match', ''], ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''],
  ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''],
  ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''],
  ['retry-after', ''], ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''],
  ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
]

/** Default SETTINGS_HEADER_TABLE_SIZE (RFC 7540 section 6.5.2). */
export const DEFAULT_TABLE_SIZE = 4096

/** A decoded header field. */
export interface HeaderField {
  name: string
  value: string
}

interface Entry {
  name: string
  value: string
  size: number
}

export class HpackDecoder {
  /** Newest first (index 62 of the address space is dyn[0]). */
  private readonly dyn: Entry[] = []
  private size = 0
  /** Current table capacity (the last size update, initially the protocol maximum). */
  private capacity: number
  /** Set by the last failing decode(): what was wrong. */
  reason = ''
  private pos = 0

  /**
   * @param maxTableSize the largest size update accepted (the receiver's SETTINGS_HEADER_TABLE_SIZE)
   * @param maxListBytes bound on the decoded header list of one block
   * @param initialCapacity the table capacity before any size update (the protocol default, 4096)
   */
  constructor(
    public maxTableSize: number,
    private readonly maxListBytes: number,
    initialCapacity = DEFAULT_TABLE_SIZE,
  ) {
    this.capacity = Math.min(initialCapacity, maxTableSize)
  }

  /** Bytes held by the dynamic table (RFC 7541 section 4.1). */
  get tableSize(): number {
    return this.size
  }

  get tableLength(): number {
    return this.dyn.length
  }

  /** Entry `i` of the dynamic table, 0 = newest (tests). */
  entry(i: number): HeaderField | undefined {
    const e = this.dyn[i]
    return e === undefined ? undefined : {name: e.name, value: e.value}
  }

  /** Decodes one header block; true on success, else false with `reason` set. */
  decode(src: Uint8Array, out: HeaderField[]): boolean {
    this.pos = 0
    let listBytes = 0
    let first = true
    while (this.pos < src.length) {
      const b = src[this.pos]!
      if (b & 0x80) {
        // 6.1 indexed header field
        const idx = this.int(src, 7)
        if (idx < 0) return false
        const f = this.lookup(idx)
        if (f === null) return false
        out.push({name: f[0], value: f[1]})
        listBytes += f[0].length + f[1].length + 32
      } else if ((b & 0xe0) === 0x20) {
        // 6.3 dynamic table size update: only at the start of a block (section 4.2)
        if (!first) return this.fail('table size update after a header field')
        const n = this.int(src, 5)
        if (n < 0) return false
        if (n > this.maxTableSize) return this.fail(`table size update ${n} above the limit ${this.maxTableSize}`)
        this.capacity = n
        this.evict(0)
        continue
      } else {
        // 6.2.1 with incremental indexing (01), 6.2.2 without (0000), 6.2.3 never indexed (0001)
        const indexing = (b & 0xc0) === 0x40
        const idx = this.int(src, indexing ? 6 : 4)
        if (idx < 0) return false
        let name: string
        if (idx === 0) {
          const s = this.str(src)
          if (s === null) return false
          name = s
        } else {
          const f = this.lookup(idx)
          if (f === null) return false
          name = f[0]
        }
        const value = this.str(src)
        if (value === null) return false
        out.push({name, value})
        listBytes += name.length + value.length + 32
        if (indexing) this.add(name, value)
      }
      first = false
      if (listBytes > this.maxListBytes) return this.fail(`header list larger than ${this.maxListBytes} bytes`)
    }
    return true
  }

  /** Sets the largest size update accepted (a SETTINGS_HEADER_TABLE_SIZE of the receiver). */
  setMaxTableSize(n: number): void {
    this.maxTableSize = n
  }

  private fail(reason: string): false {
    this.reason = reason
    return false
  }

  private lookup(idx: number): readonly [string, string] | null {
    if (idx === 0) {
      this.fail('index 0')
      return null
    }
    if (idx <= STATIC_TABLE.length) return STATIC_TABLE[idx - 1]!
    const e = this.dyn[idx - STATIC_TABLE.length - 1]
    if (e === undefined) {
      this.fail(`index ${idx} beyond the dynamic table (${this.dyn.length} entries)`)
      return null
    }
    return [e.name, e.value]
  }

  /** 4.4: evicts until the new entry fits, then adds it (an entry larger than the table empties it). */
  private add(name: string, value: string): void {
    const size = name.length + value.length + 32
    this.evict(size)
    if (size <= this.capacity) {
      this.dyn.unshift({name, value, size})
      this.size += size
    }
  }

  private evict(room: number): void {
    while (this.dyn.length > 0 && this.size + room > this.capacity) {
      this.size -= this.dyn.pop()!.size
    }
  }

  /** 5.1: an integer with an N-bit prefix at this.pos; -1 when truncated or too large. */
  private int(src: Uint8Array, n: number): number {
    const max = (1 << n) - 1
    let v = src[this.pos++]! & max
    if (v < max) return v
    let m = 0
    for (;;) {
      if (this.pos >= src.length) {
        this.fail('truncated integer')
        return -1
      }
      const b = src[this.pos++]!
      v += (b & 0x7f) * 2 ** m
      m += 7
      if ((b & 0x80) === 0) break
      if (m > 28) {
        this.fail('integer too large')
        return -1
      }
    }
    return v
  }

  /** 5.2: a string literal at this.pos; null when truncated or badly Huffman-coded. */
  private str(src: Uint8Array): string | null {
    if (this.pos >= src.length) {
      this.fail('truncated string')
      return null
    }
    const huff = (src[this.pos]! & 0x80) !== 0
    const len = this.int(src, 7)
    if (len < 0) return null
    if (this.pos + len > src.length) {
      this.fail('truncated string')
      return null
    }
    if (len > this.maxListBytes) {
      this.fail(`string longer than ${this.maxListBytes} bytes`)
      return null
    }
    const at = this.pos
    this.pos += len
    if (!huff) return latin1(src, at, len)
    const s = huffmanDecode(src, at, len)
    if (s === null) this.fail('bad Huffman coding')
    return s
  }
}

function latin1(src: Uint8Array, off: number, len: number): string {
  return Buffer.from(src.buffer, src.byteOffset + off, len).toString('latin1')
}
