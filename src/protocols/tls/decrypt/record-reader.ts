/**
 * TlsRecordReader: the TCP byte stream of one direction -> whole TLS records (type, version,
 * fragment), for the decryptor, which needs each fragment in one piece. A record lying inside one
 * chunk is handed out as a view of the chunk (valid during the callback only); a record split
 * across chunks is copied into this reader's buffer (bounded: 5 + 2^14 + 2048 bytes, RFC 5246
 * §6.2.3). A header that is not a TLS record, or a gap, stops the direction: record boundaries are
 * lost (the callback `stopped` says why).
 */
import type {Dir} from '../../../reassembly/types.js'

export const MAX_FRAGMENT = 16384 + 2048

export interface RecordCallbacks<A> {
  record(dir: Dir, type: number, version: number, fragment: Buffer, at: A): void
  stopped(dir: Dir, reason: 'gap' | 'not-tls', at: A): void
}

class DirReader {
  readonly buf = Buffer.alloc(5 + MAX_FRAGMENT)
  have = 0
  stopped = false
}

export class TlsRecordReader<A> {
  private readonly d: [DirReader, DirReader] = [new DirReader(), new DirReader()]

  constructor(private readonly cb: RecordCallbacks<A>) {}

  data(dir: Dir, bytes: Buffer, at: A): void {
    const r = this.d[dir]
    if (r.stopped) return
    let p = 0
    const n = bytes.length
    while (p < n) {
      if (r.have > 0 || n - p < 5) {
        // Collect a header, then the rest of a record that straddles chunks.
        if (r.have < 5) {
          const k = Math.min(5 - r.have, n - p)
          bytes.copy(r.buf, r.have, p, p + k)
          r.have += k
          p += k
          if (r.have < 5) return
          if (!this.header(dir, r.buf, 0, at)) return
        }
        const total = 5 + r.buf.readUInt16BE(3)
        const k = Math.min(total - r.have, n - p)
        bytes.copy(r.buf, r.have, p, p + k)
        r.have += k
        p += k
        if (r.have < total) return
        r.have = 0
        this.cb.record(dir, r.buf[0]!, r.buf.readUInt16BE(1), r.buf.subarray(5, total), at)
        if (r.stopped) return
        continue
      }
      if (!this.header(dir, bytes, p, at)) return
      const total = 5 + bytes.readUInt16BE(p + 3)
      if (n - p < total) {
        bytes.copy(r.buf, 0, p, n)
        r.have = n - p
        return
      }
      this.cb.record(dir, bytes[p]!, bytes.readUInt16BE(p + 1), bytes.subarray(p + 5, p + total), at)
      p += total
      if (r.stopped) return
    }
  }

  gap(dir: Dir, at: A): void {
    this.stop(dir, 'gap', at)
  }

  /** Stops reading a direction (also usable by the caller, e.g. when decryption failed). */
  stop(dir: Dir, reason: 'gap' | 'not-tls', at: A): void {
    const r = this.d[dir]
    if (r.stopped) return
    r.stopped = true
    r.have = 0
    this.cb.stopped(dir, reason, at)
  }

  private header(dir: Dir, b: Buffer, o: number, at: A): boolean {
    const t = b[o]!
    const len = b.readUInt16BE(o + 3)
    if (t < 20 || t > 24 || b[o + 1] !== 3 || len > MAX_FRAGMENT) {
      this.stop(dir, 'not-tls', at)
      return false
    }
    return true
  }
}
