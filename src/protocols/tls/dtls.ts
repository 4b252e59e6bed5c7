/**
 * DTLS 1.0 / 1.2 (RFC 4347, RFC 6347) and the plaintext part of DTLS 1.3 (RFC 9147) over UDP: the
 * TLS protocol's UDP side. Datagrams -> records -> handshake fragments -> handshake messages, which
 * go to the same TlsMatcher as TLS over TCP (same tls.* fields, JA3/JA3S; JA4 with "d").
 *
 * Record layer: 13-byte header {type, version 0xfeff/0xfefd/0xfefc, epoch, 48-bit sequence, length};
 * several records per datagram. Records of epoch > 0, and DTLS 1.3 unified-header records (first
 * byte 001xxxxx), are encrypted: counted, never parsed. Handshake messages carry a 12-byte header
 * {type, length, message_seq, fragment_offset, fragment_length}; fragments are reassembled per
 * direction and messages delivered in message_seq order, once each (retransmissions are dropped).
 * The ClientHello's cookie (HelloVerifyRequest, RFC 6347 §4.2.1) is removed so the TLS hello parser
 * reads the rest. Bounds: at most MAX_PENDING messages per direction held, each of at most
 * limits.dtlsMaxHandshakeMessageBytes (and limits.maxMessageBytes); only the fragment bytes that
 * arrived are held (copies: fragments arrive in different datagrams), never the length a header
 * claims; a message beyond the bound is noted and skipped. Nothing here throws.
 */
import type {ConnInfo, Dir, Moment, UdpHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {TlsMatcher} from './matcher.js'
import {CT_ALERT, CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE, RecordParser} from './parser.js'

/** DTLS record header bytes. */
const RECORD_HEADER = 13
/** DTLS handshake message header bytes. */
const HS_HEADER = 12
/** Handshake messages held per direction while their fragments or predecessors are missing. */
const MAX_PENDING = 8

/** DTLS record versions: 1.0 (0xfeff), 1.2 (0xfefd), 1.3 (0xfefc, only in hellos). */
export function isDtlsVersion(major: number, minor: number): boolean {
  return major === 0xfe && (minor === 0xff || minor === 0xfd || minor === 0xfc)
}

/**
 * Content detection: a plaintext DTLS handshake record of epoch 0 whose first fragment is a
 * ClientHello (client) or a HelloVerifyRequest / ServerHello (server). Reads at most 14 bytes.
 */
export function detectDtls(d: Buffer, dir: Dir): boolean {
  if (d.length < RECORD_HEADER + 1 || d[0] !== CT_HANDSHAKE || !isDtlsVersion(d[1]!, d[2]!)) return false
  if (d[3] !== 0 || d[4] !== 0) return false
  const t = d[RECORD_HEADER]!
  return dir === 0 ? t === 1 : t === 2 || t === 3
}

/** One received stretch of a handshake message (a copy: fragments arrive in different datagrams). */
interface Piece {
  off: number
  buf: Buffer
}

interface Pending {
  seq: number
  type: number
  /** The message length its fragments claim. */
  len: number
  /** Received bytes, as sorted non-overlapping stretches: only what arrived is held. */
  pieces: Piece[]
  /** Bytes in pieces. */
  got: number
  /** Over a bound: its fragments are dropped and nothing is delivered for it. */
  skipped: boolean
}

/** Stretches held for one message; more (a hostile scatter of tiny fragments) skip the message. */
const MAX_PIECES = 512

/** One direction's handshake reassembly. */
export class Reassembly {
  next = 0
  /** Bytes of fragments held for messages not yet complete (what this direction allocates). */
  held = 0
  private readonly pending: Pending[] = []
  /**
   * @param max largest message reassembled (limits.dtlsMaxHandshakeMessageBytes, at most
   *   limits.maxMessageBytes)
   * @param maxName the limit `max` comes from, named in the note of a message beyond it
   */
  constructor(
    private readonly max: number,
    private readonly maxName: string,
  ) {}

  /**
   * A fragment; pushes the messages now deliverable in message_seq order (type, body) to `out` and
   * returns a problem to note, if any. A message over `max`, or in too many stretches, is skipped:
   * later messages still flow, its other fragments are dropped silently.
   */
  add(type: number, len: number, seq: number, off: number, frag: Buffer, out: [number, Buffer][]): string | undefined {
    if (seq < this.next) return undefined // retransmission of a delivered message
    if (off + frag.length > len) return 'handshake fragment beyond its message'
    let p = this.pending.find((x) => x.seq === seq)
    if (p?.skipped) return undefined
    let err: string | undefined
    if (p === undefined) {
      if (this.pending.length >= MAX_PENDING) return 'too many handshake messages pending'
      p = {seq, type, len, pieces: [], got: 0, skipped: false}
      this.pending.push(p)
      if (len > this.max) {
        this.skip(p)
        err = `handshake message exceeds ${this.maxName}`
      }
    } else if (p.len !== len || p.type !== type) return 'handshake fragments disagree'
    if (!p.skipped && !this.insert(p, off, frag)) {
      this.skip(p)
      err = 'handshake message in too many fragments (skipped)'
    }
    for (;;) {
      const i = this.pending.findIndex((x) => x.seq === this.next && (x.skipped || x.got === x.len))
      if (i < 0) break
      const [m] = this.pending.splice(i, 1)
      this.next++
      if (m!.skipped) continue
      out.push([m!.type, this.assemble(m!)])
    }
    return err
  }

  private skip(p: Pending): void {
    this.held -= p.got
    p.pieces = []
    p.got = 0
    p.skipped = true
  }

  /** Copies the bytes of [off, off + frag.length) not yet held; false beyond MAX_PIECES. */
  private insert(p: Pending, off: number, frag: Buffer): boolean {
    const end = off + frag.length
    let pos = off
    const fresh: Piece[] = []
    for (const q of p.pieces) {
      const qe = q.off + q.buf.length
      if (qe <= pos) continue
      if (q.off >= end) break
      if (q.off > pos) fresh.push({off: pos, buf: Buffer.from(frag.subarray(pos - off, q.off - off))})
      pos = qe
      if (pos >= end) break
    }
    if (pos < end) fresh.push({off: pos, buf: Buffer.from(frag.subarray(pos - off))})
    if (fresh.length === 0) return true
    if (p.pieces.length + fresh.length > MAX_PIECES) return false
    for (const f of fresh) {
      p.got += f.buf.length
      this.held += f.buf.length
    }
    p.pieces.push(...fresh)
    p.pieces.sort((a, b) => a.off - b.off)
    return true
  }

  /** The whole message of a complete entry (one copy when it came in several stretches). */
  private assemble(m: Pending): Buffer {
    this.held -= m.got
    if (m.pieces.length === 1) return m.pieces[0]!.buf
    const b = Buffer.allocUnsafe(m.len)
    for (const q of m.pieces) q.buf.copy(b, q.off)
    return b
  }
}

/** A DTLS ClientHello body without its cookie (the TLS layout), or undefined when malformed. */
export function withoutCookie(b: Buffer): Buffer | undefined {
  if (b.length < 35) return undefined
  const sid = b[34]!
  const c = 35 + sid
  if (c >= b.length) return undefined
  const cookie = b[c]!
  if (c + 1 + cookie > b.length) return undefined
  return Buffer.concat([b.subarray(0, c), b.subarray(c + 1 + cookie)])
}

export class DtlsSession implements UdpHandler {
  private readonly m: TlsMatcher
  /** Record-state holders shared with the matcher (encrypted, records); never pushed. */
  private readonly state: [RecordParser, RecordParser]
  private readonly hs: [Reassembly, Reassembly]
  private readonly ready: [number, Buffer][] = []
  private ended = false

  constructor(conn: ConnInfo, ctx: ProtocolContext) {
    this.m = new TlsMatcher(conn, ctx)
    const max = ctx.limits.maxMessageBytes
    this.state = [new RecordParser(0, this.m, max), new RecordParser(1, this.m, max)]
    const dtls = ctx.limits.dtlsMaxHandshakeMessageBytes
    const [hsMax, hsName] = dtls <= max ? [dtls, 'dtlsMaxHandshakeMessageBytes'] : [max, 'maxMessageBytes']
    this.hs = [new Reassembly(hsMax, hsName), new Reassembly(hsMax, hsName)]
    this.m.attach(this.state, null)
  }

  datagram(dir: Dir, d: Buffer, at: Moment): void {
    const st = this.state[dir]
    this.m.delivered(dir, d.length)
    let off = 0
    while (off < d.length) {
      const first = d[off]!
      if ((first & 0xe0) === 0x20) {
        // DTLS 1.3 unified header (RFC 9147 §4): an encrypted record; its extent is known only
        // with the length bit set and no connection id, else it runs to the end of the datagram.
        st.records++
        st.encrypted = true
        this.m.record(dir, CT_APPLICATION_DATA, true, at)
        const cid = (first & 0x10) !== 0
        const hdr = 1 + ((first & 0x08) !== 0 ? 2 : 1)
        if (cid || (first & 0x04) === 0 || off + hdr + 2 > d.length) return
        off += hdr + 2 + d.readUInt16BE(off + hdr)
        continue
      }
      if (off + RECORD_HEADER > d.length || first < 20 || first > 26 || !isDtlsVersion(d[off + 1]!, d[off + 2]!)) {
        this.m.bad(dir, 'record header is not DTLS', false)
        return
      }
      const epoch = d.readUInt16BE(off + 3)
      const len = d.readUInt16BE(off + 11)
      const body = d.subarray(off + RECORD_HEADER, Math.min(d.length, off + RECORD_HEADER + len))
      off += RECORD_HEADER + len
      if (body.length < len) this.m.bad(dir, 'record truncated', false)
      st.records++
      const encrypted = epoch > 0 || first === CT_APPLICATION_DATA
      if (encrypted) st.encrypted = true
      this.m.record(dir, first, encrypted, at)
      if (encrypted) continue
      if (first === CT_CHANGE_CIPHER_SPEC) {
        this.m.changeCipherSpec(dir, at)
      } else if (first === CT_ALERT) {
        for (let i = 0; i + 1 < body.length; i += 2) this.m.alert(dir, body[i]!, body[i + 1]!, at)
      } else if (first === CT_HANDSHAKE) {
        this.handshake(dir, body, at)
      }
    }
  }

  private handshake(dir: Dir, body: Buffer, at: Moment): void {
    let p = 0
    while (p + HS_HEADER <= body.length) {
      const type = body[p]!
      const len = body.readUIntBE(p + 1, 3)
      const seq = body.readUInt16BE(p + 4)
      const fOff = body.readUIntBE(p + 6, 3)
      const fLen = body.readUIntBE(p + 9, 3)
      const frag = body.subarray(p + HS_HEADER, Math.min(body.length, p + HS_HEADER + fLen))
      p += HS_HEADER + fLen
      if (frag.length < fLen) {
        this.m.bad(dir, 'handshake fragment truncated', false)
        return
      }
      const err = this.hs[dir].add(type, len, seq, fOff, frag, this.ready)
      if (err !== undefined) this.m.bad(dir, err, false)
      for (const [t, b] of this.ready) {
        if (t === 1) {
          const tlsShaped = withoutCookie(b)
          if (tlsShaped === undefined) this.m.bad(dir, 'client hello: bad cookie length', false)
          else this.m.handshake(dir, t, tlsShaped, at)
        } else this.m.handshake(dir, t, b, at)
      }
      this.ready.length = 0
    }
  }

  /** Fragment bytes held by both directions' reassembly (bounded; see the module comment). */
  heldBytes(): number {
    return this.hs[0].held + this.hs[1].held
  }

  end(_at: Moment): void {
    if (this.ended) return
    this.ended = true
    this.m.end()
  }
}
