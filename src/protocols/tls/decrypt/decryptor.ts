/**
 * TlsDecryptor: one per TLS connection whose keys are in the key log. It receives every TLS record
 * of both directions after the (final) ServerHello, in stream order per direction, and hands out
 * what was inside: application data, handshake messages (TLS 1.2 Finished; TLS 1.3
 * EncryptedExtensions, Certificate, CertificateVerify, Finished, NewSessionTicket, KeyUpdate) and
 * alerts.
 *
 * Call order: createDecryptor() once the ServerHello is parsed (not after a HelloRetryRequest),
 * then record(dir, ...) for each record, gap(dir) when the TCP stream of a direction lost bytes.
 * Records of the two directions may interleave in any order.
 *
 * Per direction (RFC 5246 §6.1, RFC 8446 §5.3): a 64-bit record sequence number, reset on every key
 * change. TLS 1.2: records are plaintext until that direction's ChangeCipherSpec, then protected
 * with the key block from the master secret. TLS 1.3: records of outer type application_data are
 * protected (handshake keys until the direction's Finished, then application keys; a KeyUpdate
 * moves to the next secret, RFC 8446 §7.2); the dummy ChangeCipherSpec is ignored. The client's
 * first protected records use the early traffic secret when the log has one and it authenticates
 * them (0-RTT), else the handshake secret.
 *
 * Failure never throws: a record that does not authenticate (AEAD tag, CBC MAC or padding) is
 * reported once as `tls.decrypt_failed` and stops that direction. A gap stops the direction too
 * (`tls.decrypt_gap`): the AEAD nonce and the CBC MAC both depend on the record sequence number,
 * which is unknown after lost bytes (and the record boundaries are lost with them).
 *
 * Buffers: fragments passed in are read during the call only. Buffers handed to the sink are
 * fresh allocations from Node's crypto (one per record; the crypto API offers no output into a
 * caller's buffer for AEAD) or views of them: the sink may keep them.
 */
import {createDecipheriv, createHmac} from 'node:crypto'
import type {Dir} from '../../../reassembly/types.js'
import {type HashName, keyBlock12, nextTrafficSecret13, trafficKeys13} from './kdf.js'
import type {KeyLog, TlsSecrets} from './keylog.js'
import {SUITES_12, SUITES_13, type SuiteSpec} from './suites.js'

export const CT_CCS = 20
export const CT_ALERT = 21
export const CT_HANDSHAKE = 22
export const CT_APPLICATION_DATA = 23

/** Handshake message types the decryptor itself acts on. */
const HS_FINISHED = 20
const HS_KEY_UPDATE = 24
const HS_END_OF_EARLY_DATA = 5

/** Anomaly codes (stable names, for notes and counters). */
export type DecryptAnomaly =
  | 'tls.decrypt_failed'
  | 'tls.decrypt_gap'
  | 'tls.decrypt_bad_record'
  | 'tls.decrypt_message_too_large'
  | 'tls.decrypt_renegotiation'

/** What the TLS parser knows once the ServerHello has been seen. */
export interface DecryptParams {
  /** Negotiated version: 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3; from supported_versions). */
  version: number
  cipherSuite: number
  /** 32 bytes each. */
  clientRandom: Buffer
  serverRandom: Buffer
  /** TLS 1.2: the ServerHello echoed encrypt_then_mac (RFC 7366; extension 22). CBC suites only. */
  encryptThenMac?: boolean
}

/** Receives the decrypted content. `at` is whatever the caller passed with the record. */
export interface DecryptSink<A> {
  /** Application data bytes of one record, in order per direction. */
  applicationData(dir: Dir, data: Buffer, at: A): void
  /** One complete decrypted handshake message (type, body without the 4-byte header). */
  handshake(dir: Dir, type: number, body: Buffer, at: A): void
  /** A decrypted alert. */
  alert(dir: Dir, level: number, description: number, at: A): void
  /** An anomaly; the ones that stop a direction are reported once per direction. */
  anomaly(dir: Dir, code: DecryptAnomaly, detail: string, at: A): void
}

export type CreateResult<A> =
  | {ok: true; decryptor: TlsDecryptor<A>}
  | {ok: false; reason: 'no-keys' | 'unsupported-version' | 'unsupported-suite' | 'bad-params'}

export interface DecryptOptions {
  /** Largest decrypted handshake message buffered (limits.maxMessageBytes). */
  maxMessageBytes: number
}

/**
 * Looks the connection's secrets up and builds its decryptor; a connection without usable keys
 * (reason 'no-keys') or with a suite pbx cannot decrypt is left as it is today.
 */
export function createDecryptor<A>(params: DecryptParams, keylog: KeyLog, sink: DecryptSink<A>, opts: DecryptOptions): CreateResult<A> {
  if (params.clientRandom.length !== 32 || params.serverRandom.length !== 32) return {ok: false, reason: 'bad-params'}
  const secrets = keylog.get(params.clientRandom)
  if (params.version === 0x0304) {
    const suite = SUITES_13.get(params.cipherSuite)
    if (suite === undefined) return {ok: false, reason: 'unsupported-suite'}
    if (secrets === undefined || !has13(secrets)) return {ok: false, reason: 'no-keys'}
    return {ok: true, decryptor: new TlsDecryptor(params, suite, secrets, sink, opts)}
  }
  if (params.version === 0x0303) {
    const suite = SUITES_12.get(params.cipherSuite)
    if (suite === undefined) return {ok: false, reason: 'unsupported-suite'}
    if (secrets?.master === undefined) return {ok: false, reason: 'no-keys'}
    return {ok: true, decryptor: new TlsDecryptor(params, suite, secrets, sink, opts)}
  }
  return {ok: false, reason: 'unsupported-version'}
}

function has13(s: TlsSecrets): boolean {
  return (
    s.clientHandshake !== undefined && s.serverHandshake !== undefined && s.clientTraffic0 !== undefined && s.serverTraffic0 !== undefined
  )
}

/** TLS 1.3 key phases of one direction. */
enum Phase {
  /** TLS 1.2: before ChangeCipherSpec. */
  Plain,
  Early,
  Handshake,
  Application,
  Stopped,
}

/** Per-direction record protection state. */
class DirState {
  phase = Phase.Plain
  key: Buffer = Buffer.alloc(0)
  /** TLS 1.3 / ChaCha: 12-byte IV; TLS 1.2 GCM/CCM: 4-byte salt; CBC: unused. */
  iv: Buffer = Buffer.alloc(0)
  macKey: Buffer = Buffer.alloc(0)
  /** TLS 1.3: the current traffic secret (for KeyUpdate). */
  secret: Buffer = Buffer.alloc(0)
  /** 64-bit sequence number as two 32-bit halves (no BigInt per record). */
  seqHi = 0
  seqLo = 0
  /** Handshake message bytes carried over from previous records (a message spanning records). */
  hs: Buffer | null = null
  readonly nonce = Buffer.alloc(12)
  /** TLS 1.2 AEAD / MAC pseudo-header: seq(8) type(1) version(2) length(2). */
  readonly aad = Buffer.alloc(13)

  nextSeq(): void {
    this.seqLo++
    if (this.seqLo === 0x1_0000_0000) {
      this.seqLo = 0
      this.seqHi++
    }
  }
  resetSeq(): void {
    this.seqHi = 0
    this.seqLo = 0
  }
  writeSeq(b: Buffer, off: number): void {
    b.writeUInt32BE(this.seqHi >>> 0, off)
    b.writeUInt32BE(this.seqLo >>> 0, off + 4)
  }
  /** nonce = iv XOR (0^32 || seq) (RFC 8446 §5.3, RFC 7905 §2). */
  xorNonce(): Buffer {
    const n = this.nonce
    this.iv.copy(n, 0, 0, 12)
    const hi = this.seqHi
    const lo = this.seqLo
    n[4]! ^= hi >>> 24
    n[5]! ^= (hi >>> 16) & 0xff
    n[6]! ^= (hi >>> 8) & 0xff
    n[7]! ^= hi & 0xff
    n[8]! ^= lo >>> 24
    n[9]! ^= (lo >>> 16) & 0xff
    n[10]! ^= (lo >>> 8) & 0xff
    n[11]! ^= lo & 0xff
    return n
  }
}

export class TlsDecryptor<A> {
  readonly tls13: boolean
  private readonly dirs: [DirState, DirState] = [new DirState(), new DirState()]
  private readonly hash: HashName
  private readonly etm: boolean
  /** Records decrypted, per direction. */
  readonly decrypted: [number, number] = [0, 0]

  /** Use createDecryptor(). */
  constructor(
    private readonly params: DecryptParams,
    private readonly suite: SuiteSpec,
    private readonly secrets: TlsSecrets,
    private readonly sink: DecryptSink<A>,
    private readonly opts: DecryptOptions,
  ) {
    this.hash = suite.hash
    this.tls13 = params.version === 0x0304
    this.etm = !this.tls13 && suite.mode === 'cbc' && params.encryptThenMac === true
    if (this.tls13) {
      const c = this.dirs[0]
      if (secrets.clientEarly !== undefined) this.setSecret13(c, secrets.clientEarly, Phase.Early)
      else this.setSecret13(c, secrets.clientHandshake!, Phase.Handshake)
      this.setSecret13(this.dirs[1], secrets.serverHandshake!, Phase.Handshake)
    }
  }

  /** Whether a direction still decrypts (false after a failure or a gap). */
  active(dir: Dir): boolean {
    return this.dirs[dir].phase !== Phase.Stopped
  }

  /**
   * One record of `dir`: outer content type, record version, fragment (the bytes after the 5-byte
   * header). Plaintext records before protection starts are looked at (TLS 1.2 CCS) and dropped.
   */
  record(dir: Dir, type: number, version: number, fragment: Buffer, at: A): void {
    const d = this.dirs[dir]
    if (d.phase === Phase.Stopped) return
    if (this.tls13) {
      if (type !== CT_APPLICATION_DATA) return // dummy CCS, plaintext alert, second ClientHello
      this.open13(dir, d, fragment, at)
      return
    }
    if (d.phase === Phase.Plain) {
      if (type === CT_CCS) this.start12(dir, d)
      return
    }
    this.open12(dir, d, type, version, fragment, at)
  }

  /** The TCP stream of `dir` lost bytes: decryption of that direction ends here. */
  gap(dir: Dir, at: A): void {
    const d = this.dirs[dir]
    if (d.phase === Phase.Stopped) return
    d.phase = Phase.Stopped
    this.sink.anomaly(dir, 'tls.decrypt_gap', 'bytes lost in the TCP stream: record sequence unknown', at)
  }

  private stop(dir: Dir, d: DirState, code: DecryptAnomaly, detail: string, at: A): void {
    d.phase = Phase.Stopped
    d.hs = null
    this.sink.anomaly(dir, code, detail, at)
  }

  // ---- TLS 1.2 ----

  private start12(dir: Dir, d: DirState): void {
    const s = this.suite
    const ivLen = s.mode === 'chacha' ? 12 : s.mode === 'cbc' ? 0 : 4
    const kb = keyBlock12(
      this.hash,
      this.secrets.master!,
      this.params.clientRandom,
      this.params.serverRandom,
      2 * s.macLen + 2 * s.keyLen + 2 * ivLen,
    )
    // client MAC, server MAC, client key, server key, client IV, server IV (RFC 5246 §6.3)
    const c = dir === 0
    let o = c ? 0 : s.macLen
    d.macKey = kb.subarray(o, o + s.macLen)
    o = 2 * s.macLen + (c ? 0 : s.keyLen)
    d.key = kb.subarray(o, o + s.keyLen)
    o = 2 * s.macLen + 2 * s.keyLen + (c ? 0 : ivLen)
    d.iv = kb.subarray(o, o + ivLen)
    d.resetSeq()
    d.phase = Phase.Application
  }

  private open12(dir: Dir, d: DirState, type: number, version: number, frag: Buffer, at: A): void {
    const s = this.suite
    let plain: Buffer | null
    if (s.mode === 'cbc') plain = this.cbc12(d, type, version, frag)
    else plain = this.aead12(d, type, version, frag)
    if (plain === null) {
      this.stop(dir, d, 'tls.decrypt_failed', `record ${d.seqLo} (type ${type}) did not authenticate`, at)
      return
    }
    d.nextSeq()
    this.decrypted[dir]++
    if (type === CT_HANDSHAKE) {
      this.handshakeBytes(dir, d, plain, at, true)
    } else this.deliver(dir, d, type, plain, at)
  }

  private aead12(d: DirState, type: number, version: number, frag: Buffer): Buffer | null {
    const s = this.suite
    let nonce: Buffer
    let ct: Buffer
    if (s.mode === 'chacha') {
      nonce = d.xorNonce()
      ct = frag
    } else {
      if (frag.length < 8) return null
      d.iv.copy(d.nonce, 0, 0, 4)
      frag.copy(d.nonce, 4, 0, 8)
      nonce = d.nonce
      ct = frag.subarray(8)
    }
    const n = ct.length - s.tagLen
    if (n < 0) return null
    const aad = d.aad
    d.writeSeq(aad, 0)
    aad[8] = type
    aad.writeUInt16BE(version, 9)
    aad.writeUInt16BE(n, 11)
    return this.aeadOpen(d.key, nonce, aad, ct.subarray(0, n), ct.subarray(n))
  }

  private aeadOpen(key: Buffer, nonce: Buffer, aad: Buffer, ct: Buffer, tag: Buffer): Buffer | null {
    const s = this.suite
    try {
      if (s.mode === 'ccm') {
        const dc = createDecipheriv(s.cipher as 'aes-128-ccm', key, nonce, {authTagLength: s.tagLen})
        dc.setAuthTag(tag)
        dc.setAAD(aad, {plaintextLength: ct.length})
        const out = dc.update(ct)
        dc.final()
        return out
      }
      const dc = createDecipheriv(s.cipher as 'aes-128-gcm', key, nonce, {authTagLength: s.tagLen})
      dc.setAAD(aad)
      dc.setAuthTag(tag)
      const out = dc.update(ct)
      dc.final()
      return out
    } catch {
      return null // authentication failure: the only way Node reports it
    }
  }

  /** AES/3DES-CBC with explicit IV; MAC-then-encrypt, or encrypt_then_mac (RFC 7366 §3). */
  private cbc12(d: DirState, type: number, version: number, frag: Buffer): Buffer | null {
    const s = this.suite
    const bl = s.blockLen
    const ml = s.macLen
    const aad = d.aad
    d.writeSeq(aad, 0)
    aad[8] = type
    aad.writeUInt16BE(version, 9)
    let body = frag
    if (this.etm) {
      if (frag.length < bl + ml) return null
      body = frag.subarray(0, frag.length - ml)
      aad.writeUInt16BE(body.length, 11)
      const mac = createHmac(s.mac!, d.macKey).update(aad).update(body).digest()
      if (!mac.equals(frag.subarray(frag.length - ml))) return null
    }
    if (body.length < 2 * bl || body.length % bl !== 0) return null
    let p: Buffer
    try {
      const dc = createDecipheriv(s.cipher, d.key, body.subarray(0, bl))
      dc.setAutoPadding(false)
      p = Buffer.concat([dc.update(body.subarray(bl)), dc.final()])
    } catch {
      return null
    }
    const pad = p[p.length - 1]!
    const end = p.length - 1 - pad
    if (end < (this.etm ? 0 : ml)) return null
    for (let i = end; i < p.length - 1; i++) if (p[i] !== pad) return null
    if (this.etm) return p.subarray(0, end)
    const content = p.subarray(0, end - ml)
    aad.writeUInt16BE(content.length, 11)
    const mac = createHmac(s.mac!, d.macKey).update(aad).update(content).digest()
    return mac.equals(p.subarray(end - ml, end)) ? content : null
  }

  // ---- TLS 1.3 ----

  private setSecret13(d: DirState, secret: Buffer, phase: Phase): void {
    const k = trafficKeys13(this.hash, secret, this.suite.keyLen)
    d.secret = secret
    d.key = k.key
    d.iv = k.iv
    d.resetSeq()
    d.phase = phase
    d.hs = null
  }

  private open13(dir: Dir, d: DirState, frag: Buffer, at: A): void {
    let inner = this.aead13(d, frag)
    if (inner === null && d.phase === Phase.Early) {
      // No (accepted) 0-RTT, or it ended: the record is under the client handshake secret.
      this.setSecret13(d, this.secrets.clientHandshake!, Phase.Handshake)
      inner = this.aead13(d, frag)
    }
    if (inner === null) {
      this.stop(dir, d, 'tls.decrypt_failed', `record ${d.seqLo} did not authenticate`, at)
      return
    }
    d.nextSeq()
    this.decrypted[dir]++
    // TLSInnerPlaintext (RFC 8446 §5.2): content, content type, zero padding.
    let i = inner.length - 1
    while (i >= 0 && inner[i] === 0) i--
    if (i < 0) {
      this.stop(dir, d, 'tls.decrypt_bad_record', 'inner plaintext has no content type', at)
      return
    }
    const type = inner[i]!
    const content = inner.subarray(0, i)
    if (type === CT_HANDSHAKE) this.handshakeBytes(dir, d, content, at, false)
    else this.deliver(dir, d, type, content, at)
  }

  private aead13(d: DirState, frag: Buffer): Buffer | null {
    const n = frag.length - this.suite.tagLen
    if (n < 0) return null
    // additional_data = the record header: opaque_type, legacy_record_version, length (§5.2).
    const aad = d.aad.subarray(0, 5)
    aad[0] = CT_APPLICATION_DATA
    aad.writeUInt16BE(0x0303, 1)
    aad.writeUInt16BE(frag.length, 3)
    return this.aeadOpen(d.key, d.xorNonce(), aad, frag.subarray(0, n), frag.subarray(n))
  }

  // ---- content ----

  private deliver(dir: Dir, d: DirState, type: number, content: Buffer, at: A): void {
    if (type === CT_APPLICATION_DATA) {
      if (content.length > 0) this.sink.applicationData(dir, content, at)
    } else if (type === CT_ALERT) {
      if (content.length >= 2) this.sink.alert(dir, content[0]!, content[1]!, at)
    } else if (type === CT_CCS && !this.tls13) {
      this.stop(dir, d, 'tls.decrypt_renegotiation', 'ChangeCipherSpec inside the protected stream (renegotiation)', at)
    }
  }

  /**
   * Decrypted handshake bytes: split into messages (4-byte header), carrying a partial message to
   * the next record (copied, bounded by maxMessageBytes).
   */
  private handshakeBytes(dir: Dir, d: DirState, bytes: Buffer, at: A, tls12: boolean): void {
    let b = bytes
    if (d.hs !== null) {
      b = Buffer.concat([d.hs, bytes]) // copy: the message spans records
      d.hs = null
    }
    let p = 0
    while (b.length - p >= 4) {
      const len = (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
      if (len > this.opts.maxMessageBytes) {
        this.stop(dir, d, 'tls.decrypt_message_too_large', `handshake message of ${len} bytes`, at)
        return
      }
      if (b.length - p - 4 < len) break
      const type = b[p]!
      const body = b.subarray(p + 4, p + 4 + len)
      p += 4 + len
      this.sink.handshake(dir, type, body, at)
      if (d.phase === Phase.Stopped) return
      if (tls12) {
        if (type !== HS_FINISHED && type !== 0 /* HelloRequest */) {
          this.stop(dir, d, 'tls.decrypt_renegotiation', `handshake message ${type} after Finished (renegotiation)`, at)
          return
        }
        continue
      }
      if (type === HS_FINISHED && d.phase === Phase.Handshake) {
        this.setSecret13(d, dir === 0 ? this.secrets.clientTraffic0! : this.secrets.serverTraffic0!, Phase.Application)
      } else if (type === HS_END_OF_EARLY_DATA && d.phase === Phase.Early) {
        this.setSecret13(d, this.secrets.clientHandshake!, Phase.Handshake)
      } else if (type === HS_KEY_UPDATE && d.phase === Phase.Application) {
        this.setSecret13(d, nextTrafficSecret13(this.hash, d.secret), Phase.Application)
      }
    }
    if (p < b.length) d.hs = Buffer.from(b.subarray(p)) // copy: completed by a later record
  }
}
