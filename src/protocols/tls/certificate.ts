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
  }
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
      .map((e) => e.replace(/^(DNS|IP Address|email):/, ''))
      .filter((e) => e.length > 0)
    if (names.length > 0) out.alternativeNames = names
  }
  return out
}

function hexToDecimal(hex: string): string {
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return hex
  return BigInt('0x' + hex).toString(10)
}
