/**
 * Leaf certificate summary via node:crypto's X509Certificate (called once per Certificate message,
 * never per packet). Garbage DER makes X509Certificate throw: that is caught here and returned as
 * an error string (a parse failure of this message, which becomes a note), never rethrown.
 */
import {createHash, X509Certificate} from 'node:crypto'

export interface CertSummary {
  subject: string
  issuer: string
  subjectCn?: string
  issuerCn?: string
  subjectOrg?: string[]
  issuerOrg?: string[]
  notBefore?: string
  notAfter?: string
  /** Decimal, as Packetbeat's certToMap (big.Int.Text(10)). */
  serialNumber: string
  /** SHA-1 of the DER, upper-case hex (Packetbeat's tls.server.hash.sha1). */
  sha1: string
  alternativeNames?: string[]
  /** Subject / issuer attributes beyond CN and O (C, L, ST, OU), each in DER order. */
  subjectAttrs: DnParts
  issuerAttrs: DnParts
  /** Go's x509.PublicKeyAlgorithm names (Packetbeat's): RSA, ECDSA, Ed25519, DSA; bits of the modulus / curve. */
  publicKeyAlgorithm?: string
  publicKeySize?: number
  /** Go's x509.SignatureAlgorithm names (SHA256-RSA, ECDSA-SHA384, Ed25519, ...), else the OID. */
  signatureAlgorithm?: string
  /** X.509 version as Go numbers it: 1, 2 or 3. */
  versionNumber?: number
}

export interface DnParts {
  country?: string[]
  locality?: string[]
  stateOrProvince?: string[]
  organizationalUnit?: string[]
}

/** "C=US\nO=x\nCN=y" (Node, DER order) -> RFC 4514 string "CN=y,O=x,C=US" and attribute values. */
function parseDn(s: string): {dn: string; attrs: Map<string, string[]>} {
  const lines = s.split('\n').filter((l) => l.length > 0)
  const attrs = new Map<string, string[]>()
  for (const l of lines) {
    const eq = l.indexOf('=')
    if (eq <= 0) continue
    const k = l.slice(0, eq)
    const v = l.slice(eq + 1)
    const list = attrs.get(k)
    if (list) list.push(v)
    else attrs.set(k, [v])
  }
  return {dn: lines.reverse().join(','), attrs}
}

function isoDate(s: string): string | undefined {
  const t = Date.parse(s)
  return Number.isFinite(t) ? new Date(t).toISOString().replace('.000Z', 'Z') : undefined
}

function dnParts(attrs: Map<string, string[]>): DnParts {
  const d: DnParts = {}
  const c = attrs.get('C')
  if (c) d.country = c
  const l = attrs.get('L')
  if (l) d.locality = l
  const st = attrs.get('ST')
  if (st) d.stateOrProvince = st
  const ou = attrs.get('OU')
  if (ou) d.organizationalUnit = ou
  return d
}

/** Signature algorithm OIDs (content bytes, hex) -> Go's x509.SignatureAlgorithm names. */
const SIG_ALGS: ReadonlyMap<string, string> = new Map([
  ['2a864886f70d010102', 'MD2-RSA'],
  ['2a864886f70d010104', 'MD5-RSA'],
  ['2a864886f70d010105', 'SHA1-RSA'],
  ['2a864886f70d01010b', 'SHA256-RSA'],
  ['2a864886f70d01010c', 'SHA384-RSA'],
  ['2a864886f70d01010d', 'SHA512-RSA'],
  ['2a864886f70d01010a', 'RSASSA-PSS'],
  ['2a8648ce380403', 'DSA-SHA1'],
  ['608648016503040302', 'DSA-SHA256'],
  ['2a8648ce3d0401', 'ECDSA-SHA1'],
  ['2a8648ce3d040302', 'ECDSA-SHA256'],
  ['2a8648ce3d040303', 'ECDSA-SHA384'],
  ['2a8648ce3d040304', 'ECDSA-SHA512'],
  ['2b6570', 'Ed25519'],
])

/** One DER TLV header at `p`: tag, content start and end; null when it does not fit in `end`. */
function tlv(b: Buffer, p: number, end: number): {tag: number; start: number; end: number} | null {
  if (p + 2 > end) return null
  const tag = b[p]!
  let len = b[p + 1]!
  let q = p + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 3 || q + n > end) return null
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + b[q + i]!
    q += n
  }
  return q + len > end ? null : {tag, start: q, end: q + len}
}

/**
 * version and signatureAlgorithm from the DER (RFC 5280 §4.1: Certificate = SEQUENCE {
 * tbsCertificate SEQUENCE { [0] EXPLICIT version DEFAULT v1, ... }, signatureAlgorithm SEQUENCE {
 * OID, ... }, signature }). Bounded reads; undefined where the structure is not as expected.
 */
function derFacts(der: Buffer): {version?: number; sigAlg?: string} {
  const cert = tlv(der, 0, der.length)
  if (cert === null || cert.tag !== 0x30) return {}
  const tbs = tlv(der, cert.start, cert.end)
  if (tbs === null || tbs.tag !== 0x30) return {}
  const out: {version?: number; sigAlg?: string} = {version: 1}
  const first = tlv(der, tbs.start, tbs.end)
  if (first !== null && first.tag === 0xa0) {
    const v = tlv(der, first.start, first.end)
    if (v !== null && v.tag === 0x02 && v.end - v.start === 1) out.version = der[v.start]! + 1
  }
  const alg = tlv(der, tbs.end, cert.end)
  if (alg !== null && alg.tag === 0x30) {
    const oid = tlv(der, alg.start, alg.end)
    if (oid !== null && oid.tag === 0x06) {
      const hex = der.toString('hex', oid.start, oid.end)
      out.sigAlg = SIG_ALGS.get(hex) ?? oidText(der.subarray(oid.start, oid.end))
    }
  }
  return out
}

/** Dotted text of an OID's content bytes. */
function oidText(b: Buffer): string {
  if (b.length === 0) return ''
  const parts: number[] = [Math.min(2, Math.floor(b[0]! / 40)), b[0]! - Math.min(2, Math.floor(b[0]! / 40)) * 40]
  let v = 0
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f)
    if ((b[i]! & 0x80) === 0) {
      parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

const CURVE_BITS: Readonly<Record<string, number>> = {prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521, secp256k1: 256, secp224r1: 224}

/** Public key algorithm (Go's names) and size in bits. */
function publicKeyFacts(c: X509Certificate): {alg?: string; size?: number} {
  try {
    const k = c.publicKey
    const d = k.asymmetricKeyDetails
    switch (k.asymmetricKeyType) {
      case 'rsa':
      case 'rsa-pss':
        return {alg: 'RSA', size: d?.modulusLength}
      case 'ec':
        return {alg: 'ECDSA', size: d?.namedCurve !== undefined ? CURVE_BITS[d.namedCurve] : undefined}
      case 'dsa':
        return {alg: 'DSA', size: d?.modulusLength}
      case 'ed25519':
        return {alg: 'Ed25519', size: 256}
      default:
        return {alg: k.asymmetricKeyType}
    }
  } catch {
    return {}
  }
}

export function summarizeCertificate(der: Buffer): CertSummary | {error: string} {
  let c: X509Certificate
  try {
    c = new X509Certificate(der)
  } catch {
    return {error: 'certificate does not parse as X.509'}
  }
  const subj = parseDn(c.subject)
  const iss = parseDn(c.issuer)
  const out: CertSummary = {
    subject: subj.dn,
    issuer: iss.dn,
    serialNumber: hexToDecimal(c.serialNumber),
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    subjectAttrs: dnParts(subj.attrs),
    issuerAttrs: dnParts(iss.attrs),
  }
  const pk = publicKeyFacts(c)
  if (pk.alg !== undefined) out.publicKeyAlgorithm = pk.alg
  if (pk.size !== undefined) out.publicKeySize = pk.size
  const df = derFacts(der)
  if (df.sigAlg !== undefined) out.signatureAlgorithm = df.sigAlg
  if (df.version !== undefined) out.versionNumber = df.version
  const scn = subj.attrs.get('CN')
  if (scn) out.subjectCn = scn[scn.length - 1]
  const icn = iss.attrs.get('CN')
  if (icn) out.issuerCn = icn[icn.length - 1]
  const so = subj.attrs.get('O')
  if (so) out.subjectOrg = so
  const io = iss.attrs.get('O')
  if (io) out.issuerOrg = io
  out.notBefore = isoDate(c.validFrom)
  out.notAfter = isoDate(c.validTo)
  const san = c.subjectAltName
  if (san) {
    const names = san
      .split(', ')
      .map(sanValue)
      .filter((e) => e.length > 0)
    if (names.length > 0) out.alternativeNames = names
  }
  return out
}

const SAN_PREFIXES = ['DNS:', 'IP Address:', 'email:']

/** A subjectAltName entry without its "DNS:", "IP Address:" or "email:" prefix (other kinds kept whole). */
function sanValue(e: string): string {
  for (const p of SAN_PREFIXES) if (e.startsWith(p)) return e.slice(p.length)
  return e
}

function isHex(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) return false
  }
  return true
}

function hexToDecimal(hex: string): string {
  if (!isHex(hex)) return hex
  return BigInt('0x' + hex).toString(10)
}
