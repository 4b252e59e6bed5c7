/**
 * TLS matching: the two RecordParsers of ./session.ts feed a TlsMatcher (their RecordSink), which
 * collects one TLS session's handshake into a HandshakeState; each becomes one Transaction.
 *
 * Transaction model (as Packetbeat's): one event per TLS session, i.e. per ClientHello ..
 * ServerHello/Certificate/Finished. It is emitted when the connection ends (end()), so that the
 * records and alerts that follow the handshake (encrypted, only counted) are included; a second
 * plaintext ClientHello after a ServerHello starts a new session and emits the previous one.
 * event.end is the frame where the handshake completed (both sides encrypted after the
 * ServerHello), or the last TLS record seen when it never completed.
 *
 * status: OK when established without a fatal alert; Error otherwise (fatal alert, incomplete
 * handshake, hello without its peer), with a note saying why.
 */
import {createHash} from 'node:crypto'
import {type CertSummary, type DnParts, summarizeCertificate} from './certificate.js'
import {ja3sString, ja3String, ja4, md5Hex} from './fingerprint.js'
import {
  alertName,
  cipherName,
  compressionName,
  ecPointFormatName,
  ecsVersion,
  extensionName,
  groupName,
  isGrease,
  sigAlgName,
  versionString,
} from './names.js'
import {
  CT_ALERT,
  type Hello,
  isHelloRetryRequest,
  parseHello,
  parseSsl2ClientHello,
  type RecordSink,
  type RecordParser,
  type Ssl2ClientHello,
  splitCertificates,
} from './parser.js'
import {type AnomalyCode, hasNote, type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {Transaction} from '../../event/types.js'
import type {ConnInfo, Dir, Moment} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import type {DecryptionReport, SessionDecryption} from './decryption.js'

/** Alerts kept per session; more are counted in a note. */
const MAX_ALERTS = 16

const HS_CLIENT_HELLO = 1
const HS_SERVER_HELLO = 2
const HS_CERTIFICATE = 11
const HS_SERVER_KEY_EXCHANGE = 12
const HS_CERTIFICATE_REQUEST = 13
const HS_CLIENT_KEY_EXCHANGE = 16

interface Alert {
  severity: string
  code: number
  type: string
  source: string
}

/** The handshake of one TLS session as seen so far. */
class HandshakeState {
  startSec = 0
  startNsec = 0
  startFrame = 0
  endSec = 0
  endNsec = 0
  endFrame = 0
  started = false
  readonly bytes: [number, number] = [0, 0]
  readonly records: [number, number] = [0, 0]
  clientHello?: Hello
  clientHellos = 0
  ssl2Hello?: Ssl2ClientHello
  serverHello?: Hello
  hrr?: Hello
  serverCert?: CertSummary
  /** Summaries of the server's / client's certificates after the leaf, in message order. */
  serverChainCerts?: CertSummary[]
  clientChainCerts?: CertSummary[]
  serverChain = 0
  clientCert?: CertSummary
  clientChain = 0
  /** Extra leaf fingerprints (fingerprints option: md5, sha256), upper-case hex, per side. */
  serverHashes?: Record<string, string>
  clientHashes?: Record<string, string>
  /** include_raw_certificates: base64 DER of each certificate of the chain, leaf first. */
  serverRaw?: string[]
  clientRaw?: string[]
  keyExchanged = false
  certRequested = false
  established = false
  fatal = false
  alerts: Alert[] = []
  alertsDropped = 0
  encryptedAlerts = 0
  notes: Note[] = []
  /** TLS 1.3 ALPN, from the decrypted EncryptedExtensions (with a key log). */
  decryptedAlpn: string | undefined

  note(n: Note): void {
    if (this.notes.length < 32 && !hasNote(this.notes, n)) this.notes.push(n)
  }

  /** Negotiated version: ServerHello's supported_versions, else its legacy version. */
  get negotiated(): number | undefined {
    const sh = this.serverHello
    if (!sh) return undefined
    return sh.supportedVersions?.[0] ?? sh.version
  }

  /** TLS 1.3 (or a 1.3 draft) was selected, by a ServerHello or a HelloRetryRequest. */
  get tls13(): boolean {
    const h = this.serverHello ?? this.hrr
    const v = h ? (h.supportedVersions?.[0] ?? h.version) : 0
    return v === 0x0304 || v >> 8 === 0x7f || v === 0x7e01 || v === 0x7e02 || v === 0xfefc
  }
}

export class TlsMatcher implements RecordSink, DecryptionReport {
  private parsers!: [RecordParser, RecordParser]
  private decryption: SessionDecryption | null = null
  private s = new HandshakeState()

  private readonly opts: TlsOptions

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.opts = tlsOptions(ctx.options)
  }

  /**
   * The session's two parsers (this matcher is their sink) and its decryption when the run has a
   * key log (told the plaintext hellos); called once, before any byte.
   */
  attach(parsers: [RecordParser, RecordParser], decryption: SessionDecryption | null): void {
    this.parsers = parsers
    this.decryption = decryption
  }

  /** DecryptionReport: the ALPN protocol of a TLS 1.3 session, from its decrypted extensions. */
  nextProtocol(alpn: string): void {
    this.s.decryptedAlpn = alpn
  }

  /** DecryptionReport: a decryption anomaly, noted on the session's event. */
  note(code: AnomalyCode, detail: string): void {
    this.s.note(note(code, detail))
  }

  // --- from the session ------------------------------------------------------------------------

  /** `n` bytes of direction `dir` were delivered (counted as that side's bytes). */
  delivered(dir: Dir, n: number): void {
    this.s.bytes[dir] += n
  }

  /** `nbytes` of direction `dir` were never captured. */
  gap(dir: Dir, nbytes: number, at: Moment): void {
    this.s.note(note('tcp.gap', `gap: ${nbytes} bytes missing (${dir === 0 ? 'client' : 'server'})`))
    this.ctx.stats.bad('tls: gap in stream')
    this.touch(at)
  }

  /** End of connection: the session in progress is emitted. */
  end(): void {
    this.flush()
  }

  // --- RecordSink ----------------------------------------------------------------------------

  record(dir: Dir, type: number, encrypted: boolean, at: Moment): void {
    const s = this.s
    if (!s.started) {
      s.started = true
      s.startSec = at.tsSec
      s.startNsec = at.tsNsec
      s.startFrame = at.frame
    }
    s.records[dir]++
    if (encrypted && type === CT_ALERT) {
      s.encryptedAlerts++
      if (s.alerts.length < MAX_ALERTS) {
        s.alerts.push({severity: 'unknown', code: -1, type: 'encrypted alert', source: dir === 0 ? 'client' : 'server'})
      } else s.alertsDropped++
    }
    this.touch(at)
    if (!s.established && s.serverHello && this.parsers[0].encrypted && this.parsers[1].encrypted) {
      s.established = true
    }
  }

  changeCipherSpec(_dir: Dir, _at: Moment): boolean {
    return !this.s.tls13
  }

  alert(dir: Dir, level: number, description: number, _at: Moment): void {
    const s = this.s
    if (level === 2) s.fatal = true
    const a: Alert = {
      severity: level === 1 ? 'warning' : level === 2 ? 'fatal' : `unknown_${level}`,
      code: description,
      type: alertName(description),
      source: dir === 0 ? 'client' : 'server',
    }
    if (s.alerts.length < MAX_ALERTS) s.alerts.push(a)
    else s.alertsDropped++
  }

  ssl2(dir: Dir, body: Buffer, _at: Moment): void {
    const s = this.s
    if (dir === 0 && body[0] === 1) {
      const h = parseSsl2ClientHello(body)
      if (h) {
        s.ssl2Hello = h
        s.clientHellos++
        return
      }
      this.bad(dir, 'malformed SSLv2 client hello', true)
      this.parsers[dir].kill()
      return
    }
    // SSLv2 SERVER-HELLO (type 4) or other SSLv2 messages: the session is SSL 2.0; its later
    // records are SSLv2-framed, which this analyzer does not follow.
    if (body[0] === 4) s.note(note('tls.ssl2'))
    else this.bad(dir, 'unexpected SSLv2 record', false)
    this.parsers[dir].kill()
  }

  bad(dir: Dir, reason: string, fatal: boolean): void {
    this.ctx.stats.bad('tls: ' + reason)
    const code: AnomalyCode = reason.includes('dtlsMaxHandshakeMessageBytes')
      ? 'limit.dtls_handshake_bytes'
      : reason.includes('maxMessageBytes')
        ? 'limit.message_bytes'
        : 'tls.malformed'
    this.s.note(note(code, `${reason} (${dir === 0 ? 'client' : 'server'})`))
    // A fatal failure before any hello produces no event (flush() needs a hello); the counter
    // above records it.
    void fatal
  }

  handshake(dir: Dir, type: number, body: Buffer, at: Moment): void {
    const s = this.s
    switch (type) {
      case HS_CLIENT_HELLO: {
        if (dir !== 0) {
          this.bad(dir, 'client hello from the server side', false)
          return
        }
        if (s.serverHello && s.clientHello) {
          // A new plaintext handshake after a complete one: a new session.
          this.flush()
          this.s = new HandshakeState()
          this.record(dir, 22, false, at)
        }
        const h = parseHello(body, false)
        if (h.error) this.bad(dir, 'client hello: ' + h.error, false)
        this.s.clientHellos++
        // The first ClientHello is the session's fingerprint (as tshark/Zeek report it); a second
        // one follows a HelloRetryRequest.
        if (!this.s.clientHello) this.s.clientHello = h
        this.decryption?.clientHello(body, h.sni)
        return
      }
      case HS_SERVER_HELLO: {
        if (dir !== 1) {
          this.bad(dir, 'server hello from the client side', false)
          return
        }
        const h = parseHello(body, true)
        if (h.error) this.bad(dir, 'server hello: ' + h.error, false)
        if (isHelloRetryRequest(h)) s.hrr = h
        else {
          s.serverHello = h
          this.decryption?.serverHello(body, h.alpn?.[0], [this.parsers[0].records, this.parsers[1].records])
        }
        return
      }
      case HS_CERTIFICATE: {
        const {certs, error} = splitCertificates(body)
        if (error) this.bad(dir, error, false)
        if (certs.length === 0) return
        const sum = summarizeCertificate(certs[0]!)
        if ('error' in sum) {
          this.bad(dir, sum.error, false)
        } else if (dir === 1) s.serverCert = sum
        else s.clientCert = sum
        if (dir === 1) s.serverChain = certs.length
        else s.clientChain = certs.length
        // The rest of the chain (tls.detailed.*_certificate_chain); the message size bounds it.
        const rest: CertSummary[] = []
        for (let i = 1; i < certs.length; i++) {
          const r = summarizeCertificate(certs[i]!)
          if ('error' in r) this.bad(dir, r.error, false)
          else rest.push(r)
        }
        if (dir === 1) s.serverChainCerts = rest
        else s.clientChainCerts = rest
        if (!('error' in sum) && this.opts.extraHashes.length > 0) {
          const h: Record<string, string> = {}
          for (const alg of this.opts.extraHashes) h[alg] = createHash(alg).update(certs[0]!).digest('hex').toUpperCase()
          if (dir === 1) s.serverHashes = h
          else s.clientHashes = h
        }
        if (this.opts.includeRaw) {
          const raw = certs.map((c) => c.toString('base64'))
          if (dir === 1) s.serverRaw = raw
          else s.clientRaw = raw
        }
        return
      }
      case HS_SERVER_KEY_EXCHANGE:
      case HS_CLIENT_KEY_EXCHANGE:
        s.keyExchanged = true
        return
      case HS_CERTIFICATE_REQUEST:
        if (dir === 1) s.certRequested = true
        return
      default:
        return
    }
  }

  // --- transaction -----------------------------------------------------------------------------

  private touch(at: Moment): void {
    const s = this.s
    if (s.established) return
    s.endSec = at.tsSec
    s.endNsec = at.tsNsec
    s.endFrame = at.frame
  }

  private flush(): void {
    const s = this.s
    if (!s.clientHello && !s.serverHello && !s.ssl2Hello && !s.hrr) return
    const t = buildTransaction(s, this.conn, this.opts, this.decryption)
    if (!(s.clientHello || s.ssl2Hello)) this.ctx.stats.unmatchedResponses++
    else if (!s.serverHello && !s.hrr) this.ctx.stats.unmatchedRequests++
    this.ctx.emit(t)
  }
}

function nameFields(dn: string, cn: string | undefined, org: string[] | undefined, d: DnParts): Record<string, unknown> {
  const n: Record<string, unknown> = {}
  if (cn !== undefined) n.common_name = cn
  if (org) n.organization = org
  if (d.organizationalUnit) n.organizational_unit = d.organizationalUnit
  if (d.country) n.country = d.country
  if (d.locality) n.locality = d.locality
  if (d.stateOrProvince) n.state_or_province = d.stateOrProvince
  n.distinguished_name = dn
  return n
}

function certFields(c: CertSummary): Record<string, unknown> {
  const x: Record<string, unknown> = {
    subject: nameFields(c.subject, c.subjectCn, c.subjectOrg, c.subjectAttrs),
    issuer: nameFields(c.issuer, c.issuerCn, c.issuerOrg, c.issuerAttrs),
  }
  if (c.notBefore) x.not_before = c.notBefore
  if (c.notAfter) x.not_after = c.notAfter
  x.serial_number = c.serialNumber
  if (c.alternativeNames) x.alternative_names = c.alternativeNames
  if (c.publicKeyAlgorithm !== undefined) x.public_key_algorithm = c.publicKeyAlgorithm
  if (c.publicKeySize !== undefined) x.public_key_size = c.publicKeySize
  if (c.signatureAlgorithm !== undefined) x.signature_algorithm = c.signatureAlgorithm
  if (c.versionNumber !== undefined) x.version_number = String(c.versionNumber)
  return x
}

function sideCert(
  side: Record<string, unknown>,
  c: CertSummary | undefined,
  chain: number,
  o: TlsOptions,
  hashes: Record<string, string> | undefined,
  raw: string[] | undefined,
): void {
  if (!c) return
  side.x509 = certFields(c)
  side.subject = c.subject
  side.issuer = c.issuer
  if (c.notBefore) side.not_before = c.notBefore
  if (c.notAfter) side.not_after = c.notAfter
  const hash: Record<string, string> = {}
  if (hashes?.md5 !== undefined) hash.md5 = hashes.md5
  if (o.sha1) hash.sha1 = c.sha1
  if (hashes?.sha256 !== undefined) hash.sha256 = hashes.sha256
  if (Object.keys(hash).length > 0) side.hash = hash
  side.certificate_chain_length = chain
  if (raw !== undefined && raw.length > 0) {
    side.certificate = raw[0]
    if (raw.length > 1) side.certificate_chain = raw.slice(1)
  }
}

/**
 * The tls protocol options (Packetbeat's): send_certificates (default true; false leaves every
 * certificate field out), include_raw_certificates (default false; tls.{client,server}.certificate
 * = base64 DER of the leaf, .certificate_chain = the others), fingerprints (default [sha1]: the
 * hashes of the leaf certificate in tls.{client,server}.hash: md5, sha1, sha256; unknown names are
 * ignored).
 */
export interface TlsOptions {
  readonly sendCertificates: boolean
  readonly includeRaw: boolean
  readonly sha1: boolean
  /** Hash algorithms besides sha1, in node:crypto names. */
  readonly extraHashes: readonly ('md5' | 'sha256')[]
}

export function tlsOptions(options: Readonly<Record<string, unknown>>): TlsOptions {
  const fp = Array.isArray(options.fingerprints) ? options.fingerprints.map((x) => String(x).toLowerCase().replace('-', '')) : ['sha1']
  const extra: ('md5' | 'sha256')[] = []
  if (fp.includes('md5')) extra.push('md5')
  if (fp.includes('sha256')) extra.push('sha256')
  return {sendCertificates: options.send_certificates !== false, includeRaw: options.include_raw_certificates === true, sha1: fp.includes('sha1'), extraHashes: extra}
}

function helloExtensions(h: Hello, server: boolean): Record<string, unknown> {
  const e: Record<string, unknown> = {}
  if (h.sni !== undefined) e.server_name_indication = [h.sni]
  if (h.alpn) e.application_layer_protocol_negotiation = h.alpn
  if (h.groups) e.supported_groups = h.groups.filter((g) => !isGrease(g)).map(groupName)
  if (h.ecPointFormats) e.ec_points_formats = h.ecPointFormats.map(ecPointFormatName)
  if (h.sigAlgs) e.signature_algorithms = h.sigAlgs.filter((g) => !isGrease(g)).map(sigAlgName)
  if (h.supportedVersions) e.supported_versions = h.supportedVersions.filter((v) => !isGrease(v)).map(versionString)
  if (h.ticketPresent) e.session_ticket = h.ticketNonEmpty ? 'present' : 'empty'
  const parsed = new Set([0, 16, 10, 11, 13, 43, 35])
  const other = h.extensions.filter((x) => !parsed.has(x) && !isGrease(x)).map(extensionName)
  if (other.length > 0) e._unparsed_ = other
  if (server && h.extensions.includes(0)) e.server_name_indication = []
  return e
}

const verDotted = (v: number) => `${v >> 8}.${v & 0xff}`

function buildTransaction(s: HandshakeState, conn: ConnInfo, o: TlsOptions, dec: SessionDecryption | null): Transaction {
  const notes = [...s.notes]
  const ch = s.clientHello
  const sh = s.serverHello
  const tls: Record<string, unknown> = {}
  const client: Record<string, unknown> = {}
  const server: Record<string, unknown> = {}
  const detailed: Record<string, unknown> = {}
  const pbx: Record<string, unknown> = {}

  const negotiated = s.negotiated
  let detailedVersion: number | undefined = negotiated
  if (negotiated !== undefined) {
    const ev = ecsVersion(negotiated)
    if (ev) {
      tls.version = ev.version
      tls.version_protocol = ev.protocol
    }
  } else if (ch) {
    detailedVersion = ch.version
  } else if (s.ssl2Hello) detailedVersion = s.ssl2Hello.version
  if (sh && sh.ciphers.length > 0) tls.cipher = cipherName(sh.ciphers[0]!)
  tls.established = s.established

  let resumed = false
  let method: string | undefined
  if (sh && ch) {
    if (s.tls13) {
      resumed = sh.preSharedKey
      method = 'psk'
    } else {
      const idMatch = ch.sessionId.length > 0 && ch.sessionId === sh.sessionId
      const ticket = ch.ticketNonEmpty && sh.ticketPresent
      resumed = !s.keyExchanged && !s.serverCert && (idMatch || ticket)
      method = ticket ? 'ticket' : 'id'
    }
  }
  tls.resumed = resumed
  if (resumed && method) detailed.resumption_method = method
  if (sh?.alpn && sh.alpn.length > 0) tls.next_protocol = sh.alpn[0]
  else if (s.decryptedAlpn !== undefined) tls.next_protocol = s.decryptedAlpn

  if (ch) {
    if (ch.sni !== undefined) client.server_name = ch.sni
    const j = ja3String(ch)
    client.ja3 = md5Hex(j)
    client.ja4 = ja4(ch, conn.transport === 'udp' ? 'd' : 't')
    client.supported_ciphers = ch.ciphers.filter((c) => !isGrease(c)).map(cipherName)
    pbx.ja3_full = j
    detailed.client_hello = {
      version: verDotted(ch.version),
      ...(ch.random ? {random: ch.random.toString('hex')} : {}),
      session_id: ch.sessionId,
      supported_compression_methods: ch.compressions.map(compressionName),
      extensions: helloExtensions(ch, false),
    }
  } else if (s.ssl2Hello) {
    const h = s.ssl2Hello
    client.supported_ciphers = h.ciphers.map((c) => (c >> 16 === 0 ? cipherName(c) : `SSL2_0x${c.toString(16).toUpperCase().padStart(6, '0')}`))
    detailed.client_hello = {version: verDotted(h.version), session_id: h.sessionId, ssl2: true}
  }
  if (sh) {
    const j = ja3sString(sh)
    server.ja3s = md5Hex(j)
    pbx.ja3s_full = j
    detailed.server_hello = {
      version: verDotted(sh.version),
      ...(sh.random ? {random: sh.random.toString('hex')} : {}),
      session_id: sh.sessionId,
      selected_compression_method: compressionName(sh.compressions[0] ?? 0),
      extensions: helloExtensions(sh, true),
    }
  }
  if (s.hrr) {
    pbx.hello_retry_request = true
    notes.push(note('tls.hello_retry'))
  }
  if (o.sendCertificates) {
    sideCert(client, s.clientCert, s.clientChain, o, s.clientHashes, s.clientRaw)
    sideCert(server, s.serverCert, s.serverChain, o, s.serverHashes, s.serverRaw)
    if (s.serverChainCerts && s.serverChainCerts.length > 0) detailed.server_certificate_chain = s.serverChainCerts.map(certFields)
    if (s.clientChainCerts && s.clientChainCerts.length > 0) detailed.client_certificate_chain = s.clientChainCerts.map(certFields)
  }
  if (detailedVersion !== undefined) detailed.version = versionString(detailedVersion)
  detailed.client_certificate_requested = s.certRequested
  if (s.alerts.length > 0) {
    detailed.alerts = s.alerts
    detailed.alert_types = s.alerts.map((a) => a.type)
  }
  if (s.alertsDropped > 0) notes.push(note('tls.alerts_cut', `${s.alertsDropped} more alerts not listed`))
  pbx.client_records = s.records[0]
  pbx.server_records = s.records[1]
  if (s.encryptedAlerts > 0) pbx.encrypted_alerts = s.encryptedAlerts
  if (dec !== null && sh) {
    // With a key log: whether this session's records were decrypted, or why not.
    const d = dec.decrypted
    tls.decrypted = d !== undefined && d[0] + d[1] > 0
    if (d !== undefined) {
      pbx.client_decrypted_records = d[0]
      pbx.server_decrypted_records = d[1]
    } else if (dec.unavailable !== undefined) pbx.decrypt_unavailable = dec.unavailable
  }
  if (ch || s.ssl2Hello) pbx.client_hellos = s.clientHellos

  if (Object.keys(client).length > 0) tls.client = client
  if (Object.keys(server).length > 0) tls.server = server
  tls.detailed = detailed

  let ok = s.established && !s.fatal
  if (!ch && !s.ssl2Hello) notes.push(note('tls.unmatched_response'))
  else if (!sh && !s.hrr) notes.push(note('tls.no_response'))
  else if (!s.established) notes.push(note('tls.handshake_incomplete'))
  if (s.fatal) {
    const f = s.alerts.find((a) => a.severity === 'fatal')
    notes.push(note('tls.fatal_alert', f ? `fatal alert: ${f.type} (${f.source})` : undefined))
  }
  if (!sh) ok = false

  const t = newTransaction({
    type: 'tls',
    conn,
    status: ok ? 'OK' : 'Error',
    start: {tsSec: s.startSec, tsNsec: s.startNsec, frame: s.startFrame},
    end: {tsSec: s.endSec, tsNsec: s.endNsec, frame: s.endFrame},
    requestBytes: s.bytes[0],
    responseBytes: s.bytes[1],
    fields: {tls, pbx: {tls: pbx}},
    notes,
  })
  // Packetbeat copies the SNI into destination.domain.
  if (typeof client.server_name === 'string') t.fields.destination = {domain: client.server_name}
  return t
}

