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
 * limits.maxMessageBytes (copies: fragments arrive in different datagrams); nothing here throws.
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

interface Pending {
  seq: number
  type: number
  buf: Buffer
  /** 1 per received byte of the message. */
  have: Uint8Array
  got: number
}

/** One direction's handshake reassembly. */
class Reassembly {
  next = 0
  private readonly pending: Pending[] = []
  constructor(private readonly max: number) {}

  /** A fragment; returns the messages now deliverable in order (type, body). */
  add(type: number, len: number, seq: number, off: number, frag: Buffer, out: [number, Buffer][]): string | undefined {
    if (seq < this.next) return undefined // retransmission of a delivered message
    if (len > this.max) return 'handshake message exceeds maxMessageBytes'
    if (off + frag.length > len) return 'handshake fragment beyond its message'
    let p = this.pending.find((x) => x.seq === seq)
    if (p === undefined) {
      if (this.pending.length >= MAX_PENDING) return 'too many handshake messages pending'
      p = {seq, type, buf: Buffer.alloc(len), have: new Uint8Array(len), got: 0}
      this.pending.push(p)
    } else if (p.buf.length !== len || p.type !== type) return 'handshake fragments disagree'
    for (let i = 0; i < frag.length; i++) {
      if (p.have[off + i] === 0) {
        p.have[off + i] = 1
        p.got++
      }
    }
    frag.copy(p.buf, off)
    for (;;) {
      const i = this.pending.findIndex((x) => x.seq === this.next && x.got === x.buf.length)
      if (i < 0) break
      const [m] = this.pending.splice(i, 1)
      out.push([m!.type, m!.buf])
      this.next++
    }
    return undefined
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
    this.hs = [new Reassembly(max), new Reassembly(max)]
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

  end(_at: Moment): void {
    if (this.ended) return
    this.ended = true
    this.m.end()
  }
}
