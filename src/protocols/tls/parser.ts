/**
 * TLS bytes -> records -> handshake messages, one RecordParser per direction.
 *
 * Record layer (RFC 5246 §6.2.1, RFC 8446 §5.1): 5-byte header {type, version, length}. Only the
 * header is ever carried across calls (a 5-byte scratch buffer owned by the parser); bodies are
 * streamed: handshake bodies go piece by piece into the HandshakeAssembler, encrypted and
 * application bodies are skipped without being read. So a record split across TCP segments costs
 * no copy; only a handshake *message* split across segments or records is copied (into a buffer
 * bounded by limits.maxMessageBytes), because its bytes must outlive the `data()` call.
 *
 * After a direction sends ChangeCipherSpec (or application data, TLS 1.3), its records are
 * encrypted: they are counted, never parsed; an alert record then is an "encrypted alert".
 *
 * SSLv2-compatible ClientHello (RFC 5246 Appendix E.2, 2-byte header with the high bit set) is
 * recognised as the first record of a direction only.
 *
 * Nothing here throws on malformed input: a record header that is not TLS stops the direction
 * (sink.bad), a gap makes the parser wait for a chunk that starts with a plausible record header.
 */
import type {Dir, Moment} from '../../reassembly/types.js'

export const CT_CHANGE_CIPHER_SPEC = 20
export const CT_ALERT = 21
export const CT_HANDSHAKE = 22
export const CT_APPLICATION_DATA = 23
export const CT_HEARTBEAT = 24

/** Largest TLSCiphertext fragment: 2^14 + 2048 (RFC 5246 §6.2.3; TLS 1.3 allows less). */
export const MAX_RECORD_BODY = 16384 + 2048

/** What the parser reports. Buffers passed are views valid only during the call. */
export interface RecordSink {
  /** A complete plaintext handshake message (RFC 8446 §4: msg_type, uint24 length, body). */
  handshake(dir: Dir, type: number, body: Buffer, at: Moment): void
  /** A record header was read (plaintext or encrypted). */
  record(dir: Dir, type: number, encrypted: boolean, at: Moment): void
  /**
   * A plaintext ChangeCipherSpec. Returns whether the direction's later records are encrypted:
   * true up to TLS 1.2; false for TLS 1.3, where CCS is a middlebox-compatibility dummy
   * (RFC 8446 App. D.4) that may even precede a second ClientHello after HelloRetryRequest.
   */
  changeCipherSpec(dir: Dir, at: Moment): boolean
  /** A plaintext alert (RFC 5246 §7.2): level 1 warning, 2 fatal. */
  alert(dir: Dir, level: number, description: number, at: Moment): void
  /** An SSLv2 record (the 2-byte-header form) with its body. */
  ssl2(dir: Dir, body: Buffer, at: Moment): void
  /** A parse failure (reason without the "tls: " prefix); `fatal` stops the direction. */
  bad(dir: Dir, reason: string, fatal: boolean): void
}

/** Plausible TLS record header at data[off..off+5): type 20..24, version 3.0..3.4, length bound. */
export function plausibleRecordHeader(data: Buffer, off: number): boolean {
  if (data.length - off < 5) return false
  const t = data[off]!
  if (t < 20 || t > 24) return false
  if (data[off + 1] !== 3 || data[off + 2]! > 4) return false
  const len = (data[off + 3]! << 8) | data[off + 4]!
  return len <= MAX_RECORD_BODY
}

/**
 * Reassembles handshake messages from the concatenated bodies of handshake records. Messages that
 * lie wholly inside one piece are dispatched as views; a message spanning pieces is copied into
 * `buf` (kept and reused for the connection, grown up to maxMessageBytes).
 */
export class HandshakeAssembler {
  private readonly hdr = Buffer.alloc(4)
  private hdrFill = 0
  private msgType = 0
  private msgLen = -1
  private buf: Buffer | null = null
  private fill = 0
  /** Bytes of an oversized message still to drop. */
  private skip = 0
  /** True while part of a message is held (used for "truncated handshake" notes). */
  get pending(): boolean {
    return this.hdrFill > 0 || this.msgLen >= 0 || this.skip > 0
  }

  constructor(
    private readonly dir: Dir,
    private readonly sink: RecordSink,
    private readonly maxMessageBytes: number,
  ) {}

  reset(): void {
    this.hdrFill = 0
    this.msgLen = -1
    this.fill = 0
    this.skip = 0
  }

  push(piece: Buffer, at: Moment): void {
    let off = 0
    const n = piece.length
    while (off < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - off)
        this.skip -= k
        off += k
        continue
      }
      if (this.msgLen < 0) {
        // Fast path: a whole message in this piece, nothing carried.
        if (this.hdrFill === 0 && n - off >= 4) {
          const len = (piece[off + 1]! << 16) | (piece[off + 2]! << 8) | piece[off + 3]!
          if (n - off - 4 >= len && len <= this.maxMessageBytes) {
            this.sink.handshake(this.dir, piece[off]!, piece.subarray(off + 4, off + 4 + len), at)
            off += 4 + len
            continue
          }
        }
        while (this.hdrFill < 4 && off < n) this.hdr[this.hdrFill++] = piece[off++]!
        if (this.hdrFill < 4) return
        this.hdrFill = 0
        this.msgType = this.hdr[0]!
        const len = (this.hdr[1]! << 16) | (this.hdr[2]! << 8) | this.hdr[3]!
        if (len > this.maxMessageBytes) {
          this.sink.bad(this.dir, 'handshake message exceeds maxMessageBytes', false)
          this.skip = len
          continue
        }
        this.msgLen = len
        this.fill = 0
        if (this.buf === null || this.buf.length < len) {
          // Copy target for a message split across segments/records (must outlive the call).
          this.buf = Buffer.allocUnsafe(Math.min(this.maxMessageBytes, Math.max(len, 4096)))
        }
      }
      const need = this.msgLen - this.fill
      const k = Math.min(need, n - off)
      piece.copy(this.buf!, this.fill, off, off + k)
      this.fill += k
      off += k
      if (this.fill === this.msgLen) {
        const len = this.msgLen
        this.msgLen = -1
        this.sink.handshake(this.dir, this.msgType, this.buf!.subarray(0, len), at)
      }
    }
  }
}

/** Record-layer states (numbers, not an enum, to keep the hot switch monomorphic). */
const Mode = {Header: 0, Body: 1, Resync: 2, Dead: 3, Ssl2Body: 4} as const
type Mode = (typeof Mode)[keyof typeof Mode]

/** One direction's record layer. Call order: push()* / gap()* in stream order. */
export class RecordParser {
  private mode: Mode = Mode.Header
  private readonly hdr = Buffer.alloc(5)
  private hdrFill = 0
  private recType = 0
  private remaining = 0
  private readonly hs: HandshakeAssembler
  /** Set after this direction's ChangeCipherSpec or first application data record. */
  encrypted = false
  /** Records whose header was read. */
  records = 0
  private alertCarry = -1
  private ssl2Buf: Buffer | null = null
  private ssl2Fill = 0

  constructor(
    private readonly dir: Dir,
    private readonly sink: RecordSink,
    maxMessageBytes: number,
  ) {
    this.hs = new HandshakeAssembler(dir, sink, maxMessageBytes)
  }

  get dead(): boolean {
    return this.mode === Mode.Dead
  }

  /** Stop parsing this direction (the rest is not TLS). */
  kill(): void {
    this.mode = Mode.Dead
  }

  push(data: Buffer, at: Moment): void {
    let off = 0
    const n = data.length
    if (this.mode === Mode.Dead) return
    if (this.mode === Mode.Resync) {
      if (!plausibleRecordHeader(data, 0)) return
      this.mode = Mode.Header
      this.hdrFill = 0
    }
    while (off < n) {
      switch (this.mode) {
        case Mode.Header: {
          if (this.hdrFill === 0) this.hdr[this.hdrFill++] = data[off++]!
          if (this.records === 0 && (this.hdr[0]! & 0x80) !== 0) {
            // SSLv2 record header: 2 bytes, high bit set, 15-bit length (RFC 6101 App. E).
            if (this.hdrFill < 2) {
              if (off >= n) return
              this.hdr[this.hdrFill++] = data[off++]!
            }
            this.hdrFill = 0
            const len = ((this.hdr[0]! & 0x7f) << 8) | this.hdr[1]!
            this.records++
            this.sink.record(this.dir, 0, false, at)
            this.ssl2Buf = Buffer.allocUnsafe(len) // copy: an SSLv2 hello may span segments
            this.ssl2Fill = 0
            this.mode = Mode.Ssl2Body
            if (len === 0) this.finishSsl2(at)
            break
          }
          while (this.hdrFill < 5 && off < n) this.hdr[this.hdrFill++] = data[off++]!
          if (this.hdrFill < 5) return
          this.hdrFill = 0
          if (!plausibleRecordHeader(this.hdr, 0)) {
            this.fail('record header is not TLS')
            return
          }
          this.recType = this.hdr[0]!
          this.remaining = (this.hdr[3]! << 8) | this.hdr[4]!
          this.records++
          const wasEncrypted = this.encrypted
          if (this.recType === CT_APPLICATION_DATA) this.encrypted = true
          this.sink.record(this.dir, this.recType, wasEncrypted || this.recType === CT_APPLICATION_DATA, at)
          this.alertCarry = -1
          this.mode = Mode.Body
          if (this.recType === CT_CHANGE_CIPHER_SPEC && !wasEncrypted) {
            if (this.sink.changeCipherSpec(this.dir, at)) {
              if (this.hs.pending) this.sink.bad(this.dir, 'handshake message cut by ChangeCipherSpec', false)
              this.hs.reset()
              this.encrypted = true
            }
          }
          if (this.remaining === 0) this.mode = Mode.Header
          break
        }
        case Mode.Body: {
          const k = Math.min(this.remaining, n - off)
          const plain = !this.encrypted || this.recType === CT_CHANGE_CIPHER_SPEC
          if (plain && this.recType === CT_HANDSHAKE) {
            this.hs.push(data.subarray(off, off + k), at)
          } else if (plain && this.recType === CT_ALERT) {
            for (let i = off; i < off + k; i++) {
              if (this.alertCarry < 0) this.alertCarry = data[i]!
              else {
                this.sink.alert(this.dir, this.alertCarry, data[i]!, at)
                this.alertCarry = -1
              }
            }
          }
          off += k
          this.remaining -= k
          if (this.remaining === 0) this.mode = Mode.Header
          break
        }
        case Mode.Ssl2Body: {
          const buf = this.ssl2Buf!
          const k = Math.min(buf.length - this.ssl2Fill, n - off)
          data.copy(buf, this.ssl2Fill, off, off + k)
          this.ssl2Fill += k
          off += k
          if (this.ssl2Fill === buf.length) this.finishSsl2(at)
          break
        }
        default:
          return
      }
    }
  }

  private finishSsl2(at: Moment): void {
    const body = this.ssl2Buf!
    this.ssl2Buf = null
    this.mode = Mode.Header
    this.sink.ssl2(this.dir, body, at)
  }

  /** n bytes are missing: drop partial record/message state and wait for a record boundary. */
  gap(): void {
    if (this.mode === Mode.Dead) return
    this.hs.reset()
    this.hdrFill = 0
    this.alertCarry = -1
    this.ssl2Buf = null
    this.mode = Mode.Resync
  }

  private fail(reason: string): void {
    this.mode = Mode.Dead
    this.sink.bad(this.dir, reason, true)
  }
}

// ---------------------------------------------------------------------------------------------
// Hello messages (RFC 8446 §4.1.2, §4.1.3; RFC 5246 §7.4.1.2, §7.4.1.3)

export interface Hello {
  /** legacy_version (client_version / server_version). */
  version: number
  random: Buffer | null
  sessionId: string
  /** ClientHello: offered suites in order (GREASE included). ServerHello: [selected]. */
  ciphers: number[]
  compressions: number[]
  /** Extension types in wire order (GREASE included). */
  extensions: number[]
  sni?: string
  alpn?: string[]
  groups?: number[]
  ecPointFormats?: number[]
  sigAlgs?: number[]
  /** ClientHello: offered list; ServerHello: [selected]. */
  supportedVersions?: number[]
  /** session_ticket extension: present / non-empty. */
  ticketPresent: boolean
  ticketNonEmpty: boolean
  preSharedKey: boolean
  /** Set when a field was truncated or malformed; the parse kept what it could. */
  error?: string
}

const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex')

export function isHelloRetryRequest(h: Hello): boolean {
  return h.random?.equals(HRR_RANDOM) === true
}

/** Parses a ClientHello (server=false) or ServerHello (server=true) body. Never throws. */
export function parseHello(b: Buffer, server: boolean): Hello {
  const h: Hello = {
    version: 0,
    random: null,
    sessionId: '',
    ciphers: [],
    compressions: [],
    extensions: [],
    ticketPresent: false,
    ticketNonEmpty: false,
    preSharedKey: false,
  }
  const n = b.length
  if (n < 2 + 32 + 1) {
    h.error = 'hello too short'
    if (n >= 2) h.version = b.readUInt16BE(0)
    return h
  }
  h.version = b.readUInt16BE(0)
  h.random = Buffer.from(b.subarray(2, 34)) // copy: 32 bytes kept (HRR check, tls.detailed.*_hello.random)
  let p = 34
  // TLS 1.3 drafts before -22 have no legacy_session_id nor compression in the ServerHello
  // (draft-ietf-tls-tls13-21 §4.1.3): version, random, cipher_suite, extensions.
  const draftNoSid = server && h.version >> 8 === 0x7f && (h.version & 0xff) < 22
  if (draftNoSid) {
    if (p + 2 > n) {
      h.error = 'server hello truncated'
      return h
    }
    h.ciphers.push(b.readUInt16BE(p))
    p += 2
  } else {
    const sidLen = b[p++]!
    if (sidLen > 32 || p + sidLen > n) {
      h.error = 'bad session id length'
      return h
    }
    h.sessionId = b.toString('hex', p, p + sidLen)
    p += sidLen
  }
  if (draftNoSid) {
    // cipher already read
  } else if (server) {
    if (p + 3 > n) {
      h.error = 'server hello truncated'
      return h
    }
    h.ciphers.push(b.readUInt16BE(p))
    h.compressions.push(b[p + 2]!)
    p += 3
  } else {
    if (p + 2 > n) {
      h.error = 'client hello truncated'
      return h
    }
    const cl = b.readUInt16BE(p)
    p += 2
    if (p + cl > n || cl % 2 !== 0) {
      h.error = 'bad cipher suites length'
      return h
    }
    for (let i = 0; i < cl; i += 2) h.ciphers.push(b.readUInt16BE(p + i))
    p += cl
    if (p + 1 > n) {
      h.error = 'client hello truncated'
      return h
    }
    const ml = b[p++]!
    if (p + ml > n) {
      h.error = 'bad compression methods length'
      return h
    }
    for (let i = 0; i < ml; i++) h.compressions.push(b[p + i]!)
    p += ml
  }
  if (p === n) return h // no extensions (SSL 3.0 / early TLS)
  if (p + 2 > n) {
    h.error = 'bad extensions length'
    return h
  }
  const el = b.readUInt16BE(p)
  p += 2
  const end = Math.min(n, p + el)
  if (p + el > n) h.error = 'extensions truncated'
  while (p + 4 <= end) {
    const type = b.readUInt16BE(p)
    const len = b.readUInt16BE(p + 2)
    p += 4
    if (p + len > end) {
      h.error = 'extension truncated'
      h.extensions.push(type)
      break
    }
    h.extensions.push(type)
    parseExtension(h, type, b.subarray(p, p + len), server)
    p += len
  }
  return h
}

function u16List(d: Buffer, off: number, len: number): number[] {
  const out: number[] = []
  const end = Math.min(d.length, off + len)
  for (let i = off; i + 2 <= end; i += 2) out.push(d.readUInt16BE(i))
  return out
}

function parseExtension(h: Hello, type: number, d: Buffer, server: boolean): void {
  switch (type) {
    case 0: {
      // server_name (RFC 6066 §3): ServerNameList; host_name type 0. A ServerHello carries it empty.
      if (d.length < 2) return
      const end = Math.min(d.length, 2 + d.readUInt16BE(0))
      let p = 2
      while (p + 3 <= end) {
        const nt = d[p]!
        const nl = d.readUInt16BE(p + 1)
        p += 3
        if (p + nl > end) return
        if (nt === 0 && h.sni === undefined) h.sni = d.toString('latin1', p, p + nl)
        p += nl
      }
      return
    }
    case 16: {
      // ALPN (RFC 7301 §3.1): ProtocolNameList of <1..255> strings.
      if (d.length < 2) return
      const end = Math.min(d.length, 2 + d.readUInt16BE(0))
      const out: string[] = []
      let p = 2
      while (p + 1 <= end) {
        const l = d[p++]!
        if (p + l > end) break
        out.push(d.toString('latin1', p, p + l))
        p += l
      }
      h.alpn = out
      return
    }
    case 10:
      if (d.length >= 2) h.groups = u16List(d, 2, d.readUInt16BE(0))
      return
    case 11: {
      if (d.length < 1) return
      const l = Math.min(d[0]!, d.length - 1)
      const out: number[] = []
      for (let i = 0; i < l; i++) out.push(d[1 + i]!)
      h.ecPointFormats = out
      return
    }
    case 13:
      if (d.length >= 2) h.sigAlgs = u16List(d, 2, d.readUInt16BE(0))
      return
    case 43:
      // supported_versions (RFC 8446 §4.2.1): list<2..254> in ClientHello, one value in ServerHello.
      if (server) {
        if (d.length >= 2) h.supportedVersions = [d.readUInt16BE(0)]
      } else if (d.length >= 1) {
        h.supportedVersions = u16List(d, 1, d[0]!)
      }
      return
    case 35:
      h.ticketPresent = true
      h.ticketNonEmpty = d.length > 0
      return
    case 41:
      h.preSharedKey = true
      return
    default:
      return
  }
}

/** SSLv2 CLIENT-HELLO (RFC 6101 App. E.1 / draft-hickman-netscape-ssl-00): msg type 1. */
export interface Ssl2ClientHello {
  version: number
  /** 3-byte cipher specs; those with a zero first byte are TLS suites (value = low 16 bits). */
  ciphers: number[]
  sessionId: string
}

export function parseSsl2ClientHello(b: Buffer): Ssl2ClientHello | undefined {
  if (b.length < 9 || b[0] !== 1) return undefined
  const version = b.readUInt16BE(1)
  const csl = b.readUInt16BE(3)
  const sil = b.readUInt16BE(5)
  const chl = b.readUInt16BE(7)
  if (csl % 3 !== 0 || 9 + csl + sil + chl > b.length || sil > 32) return undefined
  const ciphers: number[] = []
  for (let i = 9; i < 9 + csl; i += 3) ciphers.push((b[i]! << 16) | b.readUInt16BE(i + 1))
  return {version, ciphers, sessionId: b.toString('hex', 9 + csl, 9 + csl + sil)}
}

/** Certificate message (RFC 5246 §7.4.2): uint24 list of uint24-prefixed DER certificates. */
export function splitCertificates(b: Buffer): {certs: Buffer[]; error?: string} {
  const certs: Buffer[] = []
  if (b.length < 3) return {certs, error: 'certificate message truncated'}
  const total = (b[0]! << 16) | (b[1]! << 8) | b[2]!
  const end = Math.min(b.length, 3 + total)
  let p = 3
  while (p + 3 <= end) {
    const l = (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!
    p += 3
    if (p + l > end) return {certs, error: 'certificate entry truncated'}
    certs.push(b.subarray(p, p + l))
    p += l
  }
  return {certs, error: 3 + total > b.length ? 'certificate list truncated' : undefined}
}
