/**
 * Decryption of one TLS connection, when the run has a key log (the `keylog` option of the tls
 * protocol: one KeyLog per run, filled from `--tls-keylog FILE`, SSLKEYLOGFILE, `tls.keylog_file`
 * and pcapng Decryption Secrets Blocks; see ./decrypt/README.md for the library).
 *
 * Wiring: the TLS session hands every delivered chunk to this object after its RecordParsers have
 * seen it. A TlsRecordReader frames the same bytes into whole records; the matcher reports the
 * plaintext ClientHello (client random) and the final ServerHello (random, version, suite) together
 * with how many records each direction had when it was parsed, so exactly the records after the
 * ServerHello go to the TlsDecryptor (also those of the chunk that carried it). Decrypted
 * application data goes to an inner protocol handler opened through ProtocolContext.openInner
 * (ALPN http/1.x -> http, else chosen by content, as on an unknown port), whose transactions are
 * emitted with the TLS facts beside them (INNER_TLS_FIELDS below). Decryption anomalies become
 * notes of the TLS session's event and gaps of the inner stream.
 *
 * Nothing here throws: a connection without keys, or with a version/suite the library does not
 * cover, stays as it is without a key log (its event says why in pbx.tls.decrypt_unavailable).
 */
import type {Transaction} from '../../event/types.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {createDecryptor, type DecryptAnomaly, type DecryptSink, type TlsDecryptor} from './decrypt/decryptor.js'
import {clientHelloRandom, serverHelloFacts} from './decrypt/hello.js'
import {KeyLog} from './decrypt/keylog.js'
import {TlsRecordReader} from './decrypt/record-reader.js'
import {cipherName, ecsVersion} from './names.js'

/**
 * The tls fields copied onto every transaction of the inner protocol (documented in ./fields.ts):
 * tls.version, tls.version_protocol, tls.cipher, tls.client.server_name, tls.next_protocol and
 * tls.decrypted (true); the SNI also goes to destination.domain when the inner event has none, and
 * an inner url.scheme "http" becomes "https" (url.full with it).
 */
export const INNER_TLS_FIELDS = ['tls.version', 'tls.version_protocol', 'tls.cipher', 'tls.client.server_name', 'tls.next_protocol', 'tls.decrypted'] as const

/**
 * The run's key log (the tls protocol option `keylog`, set by the run plan), when it holds secrets
 * at the time the connection starts: connections that start before the first secrets arrive (a
 * pcapng Decryption Secrets Block after their packets) are not decrypted, and a run without keys
 * pays nothing per connection.
 */
export function keyLogOf(ctx: ProtocolContext): KeyLog | undefined {
  const k = ctx.options.keylog
  return k instanceof KeyLog && k.size > 0 ? k : undefined
}

/** What the session's matcher is told about decryption (for the TLS event). */
export interface DecryptionReport {
  note(code: DecryptAnomaly, detail: string): void
  /** The ALPN protocol read from the decrypted EncryptedExtensions (TLS 1.3). */
  nextProtocol(alpn: string): void
}

const HS_ENCRYPTED_EXTENSIONS = 8

/** The first protocol of an ALPN extension in an EncryptedExtensions body; bounds checked. */
export function encryptedExtensionsAlpn(body: Buffer): string | undefined {
  if (body.length < 2) return undefined
  const end = Math.min(body.length, 2 + body.readUInt16BE(0))
  let p = 2
  while (p + 4 <= end) {
    const type = body.readUInt16BE(p)
    const len = body.readUInt16BE(p + 2)
    p += 4
    if (p + len > end) return undefined
    if (type === 16 && len >= 3) {
      const n = body[p + 2]!
      return n > 0 && 3 + n <= len ? body.toString('latin1', p + 3, p + 3 + n) : undefined
    }
    p += len
  }
  return undefined
}

export class SessionDecryption implements DecryptSink<Moment> {
  private readonly reader: TlsRecordReader<Moment>
  private dec: TlsDecryptor<Moment> | null = null
  private clientRandom: Buffer | undefined
  /** Records framed so far per direction, and how many of them precede the decryptor. */
  private readonly seen: [number, number] = [0, 0]
  private readonly skip: [number, number] = [0, 0]
  private inner: StreamHandler | null | undefined
  private innerTls: Record<string, unknown> | undefined
  private sni: string | undefined
  private alpn: string | undefined
  /** Why the session is not decrypted ('no-keys', ...), once the ServerHello said. */
  unavailable: string | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
    private readonly keylog: KeyLog,
    private readonly report: DecryptionReport,
  ) {
    this.reader = new TlsRecordReader<Moment>({
      record: (dir, type, version, fragment, at) => {
        const i = ++this.seen[dir]
        if (this.dec !== null && i > this.skip[dir]) this.dec.record(dir, type, version, fragment, at)
      },
      stopped: (dir, _reason, at) => this.dec?.gap(dir, at),
    })
  }

  /** Records decrypted per direction (undefined: no decryptor). */
  get decrypted(): readonly [number, number] | undefined {
    return this.dec === null ? undefined : this.dec.decrypted
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    this.reader.data(dir, bytes, at)
  }

  gap(dir: Dir, at: Moment): void {
    this.reader.gap(dir, at)
  }

  end(reason: EndReason, at: Moment): void {
    this.inner?.end(reason, at)
  }

  // --- from the matcher (plaintext hellos) ----------------------------------------------------------

  clientHello(body: Buffer, sni: string | undefined): void {
    if (this.clientRandom !== undefined) return // the second ClientHello after a HelloRetryRequest
    this.clientRandom = clientHelloRandom(body)
    this.sni = sni
  }

  /** The final ServerHello; `records`: each direction's record count when it was parsed. */
  serverHello(body: Buffer, alpn: string | undefined, records: readonly [number, number]): void {
    if (this.dec !== null || this.unavailable !== undefined || this.clientRandom === undefined) return
    const sh = serverHelloFacts(body)
    if (sh === undefined || sh.helloRetryRequest) return
    const r = createDecryptor<Moment>(
      {version: sh.version, cipherSuite: sh.cipherSuite, clientRandom: this.clientRandom, serverRandom: sh.random, encryptThenMac: sh.encryptThenMac},
      this.keylog,
      this,
      {maxMessageBytes: this.ctx.limits.maxMessageBytes},
    )
    if (!r.ok) {
      this.unavailable = r.reason
      return
    }
    this.dec = r.decryptor
    this.skip[0] = records[0]
    this.skip[1] = records[1]
    this.alpn = alpn
    const tls: Record<string, unknown> = {}
    const ev = ecsVersion(sh.version)
    if (ev) {
      tls.version = ev.version
      tls.version_protocol = ev.protocol
    }
    tls.cipher = cipherName(sh.cipherSuite)
    if (alpn !== undefined) tls.next_protocol = alpn
    this.innerTls = tls
  }

  // --- DecryptSink ----------------------------------------------------------------------------------

  applicationData(dir: Dir, data: Buffer, at: Moment): void {
    if (this.inner === undefined) {
      const prefer = this.alpn === 'http/1.1' || this.alpn === 'http/1.0' ? 'http' : undefined
      this.inner = this.ctx.openInner?.(this.conn, {self: 'tls', prefer, emit: (t) => this.emitInner(t)}) ?? null
    }
    this.inner?.data(dir, data, at)
  }

  /**
   * Decrypted handshake messages: the TLS 1.3 EncryptedExtensions' ALPN (extension 16, RFC 7301)
   * is the session's next protocol; the others (Finished, certificates, tickets) are not reported.
   */
  handshake(dir: Dir, type: number, body: Buffer): void {
    if (dir !== 1 || type !== HS_ENCRYPTED_EXTENSIONS || this.alpn !== undefined) return
    const alpn = encryptedExtensionsAlpn(body)
    if (alpn === undefined) return
    this.alpn = alpn
    if (this.innerTls !== undefined) this.innerTls.next_protocol = alpn
    this.report.nextProtocol(alpn)
  }

  alert(): void {
    // Encrypted alerts are counted by the matcher from the record layer.
  }

  anomaly(dir: Dir, code: DecryptAnomaly, detail: string, at: Moment): void {
    this.ctx.stats.bad(`tls: ${code}`)
    this.report.note(code, `${detail} (${dir === 0 ? 'client' : 'server'})`)
    this.inner?.gap(dir, 0, at)
  }

  private emitInner(t: Transaction): void {
    const tls: Record<string, unknown> = {...this.innerTls, decrypted: true}
    if (this.sni !== undefined) tls.client = {server_name: this.sni}
    t.fields.tls = tls
    const dest = t.fields.destination as Record<string, unknown> | undefined
    if (this.sni !== undefined && dest?.domain === undefined) t.fields.destination = {...dest, domain: this.sni}
    // HTTP inside TLS is https (url.scheme, url.full as the inner protocol built them)
    const url = t.fields.url as Record<string, unknown> | undefined
    if (url?.scheme === 'http') {
      url.scheme = 'https'
      if (typeof url.full === 'string' && url.full.startsWith('http:')) url.full = `https:${url.full.slice(5)}`
      // 443 is https's default port: not shown (as the inner protocol leaves 80 out for http)
      if (url.port === 443) {
        delete url.port
        const d = typeof url.domain === 'string' ? url.domain : ''
        const origin = `https://${d.includes(':') ? `[${d}]` : d}`
        if (typeof url.full === 'string' && url.full.startsWith(`${origin}:443`)) url.full = origin + url.full.slice(origin.length + 4)
      }
    }
    this.ctx.emit(t)
  }
}
