/**
 * DNS message codec in the dns-packet style: `decodeMessage(buf, offset, end)` reads one message
 * from buf[offset, end) and reports how many bytes it used. Names and record data are turned into
 * their presentation form (RFC 1035 section 5.1, as dig prints them) once per decoded message; the
 * caller decodes a message only when it is turned into an event.
 *
 * Contract: never throws. Every length field is checked against the bounds before use; a problem
 * is recorded in `message.errors` (and the affected record keeps its raw bytes in RFC 3597 form, or
 * the rest of the message is skipped). Strings are copies; no view into `buf` is kept.
 *
 * Names: compression pointers (RFC 1035 4.1.4) must point strictly before every position already
 * read for that name (so chains always move backwards and terminate); at most MAX_JUMPS pointers
 * and 255 wire octets per name. Labels are printed as sent (case kept, IDNA/punycode "xn--" labels
 * left as they are); bytes outside printable ASCII are written \DDD, and ". \ " ( ) ; @ $" are
 * backslash-escaped, as dig does. The trailing root dot is left out (Packetbeat's form); the root
 * name itself is ".".
 */
import {ipv4ToString, ipv6ToString} from '../../util/ip.js'
import {ednsOptionName, svcKeyName, typeName} from './names.js'

export const HEADER_BYTES = 12
const MAX_NAME_WIRE = 255
const MAX_JUMPS = 64

export interface DnsQuestion {
  name: string
  type: number
  class: number
}

export interface DnsRecord {
  name: string
  type: number
  class: number
  ttl: number
  /** Presentation form of the RDATA (dig style); RFC 3597 "\# len hex" for unknown types. */
  data: string
}

/** The EDNS(0) pseudo-record (RFC 6891 section 6.1.2). */
export interface DnsOpt {
  udpSize: number
  /** Upper 8 bits of the extended RCODE. */
  extRcode: number
  version: number
  do: boolean
  /** Options by Packetbeat's key (nsid, subnet, cookie, expire, dau, dhu, n3u, local). */
  options: Record<string, string>
}

export interface DnsMessage {
  id: number
  qr: boolean
  opcode: number
  aa: boolean
  tc: boolean
  rd: boolean
  ra: boolean
  ad: boolean
  cd: boolean
  /** The 4-bit header RCODE; see fullRcode() for the EDNS-extended value. */
  rcode: number
  qdcount: number
  ancount: number
  nscount: number
  arcount: number
  questions: DnsQuestion[]
  answers: DnsRecord[]
  authorities: DnsRecord[]
  /** Additional records without the OPT pseudo-record (which is in `opt`). */
  additionals: DnsRecord[]
  opt?: DnsOpt
  /** Malformations met while decoding (empty when the message is well formed). */
  errors: string[]
}

export interface Decoded {
  message: DnsMessage
  /** Bytes consumed from `offset`. */
  bytes: number
}

/** Header fields only, read without allocating (for matching and detection). */
export function readId(buf: Buffer, offset: number): number {
  return (buf[offset] << 8) | buf[offset + 1]
}

export function fullRcode(m: DnsMessage): number {
  return m.opt ? (m.opt.extRcode << 4) | m.rcode : m.rcode
}

// ---------------------------------------------------------------------------------------------
// Names

/** Side results of readName (module scratch: readName is synchronous and not re-entrant). */
let nameNext = 0
let nameErr: string | null = null

function isPlain(c: number): boolean {
  // printable ASCII except the characters dig escapes: space " $ ( ) . ; @ \
  return c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x24 && c !== 0x28 && c !== 0x29 && c !== 0x2e && c !== 0x3b && c !== 0x40 && c !== 0x5c
}

function appendLabel(out: string, buf: Buffer, a: number, b: number): string {
  let plain = true
  for (let i = a; i < b; i++) {
    if (!isPlain(buf[i])) {
      plain = false
      break
    }
  }
  if (plain) return out + buf.toString('latin1', a, b)
  for (let i = a; i < b; i++) {
    const c = buf[i]
    if (isPlain(c)) out += String.fromCharCode(c)
    else if (c > 0x20 && c < 0x7f) out += '\\' + String.fromCharCode(c)
    else out += '\\' + String(c).padStart(3, '0')
  }
  return out
}

/**
 * Reads a possibly compressed name starting at `pos`; `base` is the offset of the message's first
 * byte (pointers are relative to it), `end` the message end. Sets nameNext to the offset after the
 * name in the original position (or -1 on error) and nameErr on error; returns what was read.
 */
function readName(buf: Buffer, pos: number, base: number, end: number): string {
  nameErr = null
  nameNext = -1
  let out = ''
  let wire = 0
  let jumps = 0
  let lowest = pos
  for (;;) {
    if (pos >= end) {
      nameErr = 'name runs past the end of the message'
      return out
    }
    const len = buf[pos]
    if (len === 0) {
      if (jumps === 0) nameNext = pos + 1
      return out === '' ? '.' : out
    }
    const kind = len & 0xc0
    if (kind === 0xc0) {
      if (pos + 1 >= end) {
        nameErr = 'truncated compression pointer'
        return out
      }
      const target = base + (((len & 0x3f) << 8) | buf[pos + 1])
      if (jumps === 0) nameNext = pos + 2
      if (target >= lowest) {
        nameErr = 'compression pointer does not point backwards'
        nameNext = -1
        return out
      }
      if (++jumps > MAX_JUMPS) {
        nameErr = 'too many compression pointers'
        nameNext = -1
        return out
      }
      lowest = target
      pos = target
      continue
    }
    if (kind !== 0) {
      nameErr = 'unsupported label type'
      nameNext = -1
      return out
    }
    wire += len + 1
    if (wire + 1 > MAX_NAME_WIRE) {
      nameErr = 'name longer than 255 octets'
      nameNext = -1
      return out
    }
    if (pos + 1 + len > end) {
      nameErr = 'label runs past the end of the message'
      nameNext = -1
      return out
    }
    if (out !== '') out += '.'
    out = appendLabel(out, buf, pos + 1, pos + 1 + len)
    pos += 1 + len
  }
}

// ---------------------------------------------------------------------------------------------
// RDATA presentation

function hex(buf: Buffer, a: number, b: number, upper = true): string {
  const s = buf.toString('hex', a, b)
  return upper ? s.toUpperCase() : s
}

function b64(buf: Buffer, a: number, b: number): string {
  return buf.toString('base64', a, b)
}

/** RFC 3597 section 5 generic form. */
function generic(buf: Buffer, a: number, b: number): string {
  return b === a ? '\\# 0' : `\\# ${b - a} ${hex(buf, a, b)}`
}

/** A <character-string> (RFC 1035 3.3) in quotes, escaping " and \ and non-printables. */
function quoted(buf: Buffer, a: number, b: number): string {
  let out = '"'
  for (let i = a; i < b; i++) {
    const c = buf[i]
    if (c === 0x22 || c === 0x5c) out += '\\' + String.fromCharCode(c)
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c)
    else out += '\\' + String(c).padStart(3, '0')
  }
  return out + '"'
}

/** RRSIG time (RFC 4034 3.2): YYYYMMDDHHmmSS in UTC. */
function sigTime(sec: number): string {
  const iso = new Date(sec * 1000).toISOString()
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19)
}

const B32HEX = '0123456789ABCDEFGHIJKLMNOPQRSTUV'

function base32hex(buf: Buffer, a: number, b: number): string {
  let out = ''
  let bits = 0
  let val = 0
  for (let i = a; i < b; i++) {
    val = (val << 8) | buf[i]
    bits += 8
    while (bits >= 5) {
      out += B32HEX[(val >>> (bits - 5)) & 31]
      bits -= 5
    }
    val &= 0xff
  }
  if (bits > 0) out += B32HEX[(val << (5 - bits)) & 31]
  return out
}

/** NSEC/NSEC3/CSYNC type bit maps (RFC 4034 4.1.2); null when malformed. */
function typeBitmap(buf: Buffer, a: number, b: number): string | null {
  const types: string[] = []
  let p = a
  while (p < b) {
    if (p + 2 > b) return null
    const win = buf[p]
    const len = buf[p + 1]
    if (len < 1 || len > 32 || p + 2 + len > b) return null
    for (let i = 0; i < len; i++) {
      const byte = buf[p + 2 + i]
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) types.push(typeName(win * 256 + i * 8 + bit))
    }
    p += 2 + len
  }
  return types.join(' ')
}

function ipv6At(buf: Buffer, p: number): string {
  return ipv6ToString(buf.readUInt32BE(p), buf.readUInt32BE(p + 4), buf.readUInt32BE(p + 8), buf.readUInt32BE(p + 12))
}

/** Reads one <character-string> at p (bounded by b); returns [text, next] or null. */
function charString(buf: Buffer, p: number, b: number): [string, number] | null {
  if (p >= b) return null
  const len = buf[p]
  if (p + 1 + len > b) return null
  return [quoted(buf, p + 1, p + 1 + len), p + 1 + len]
}

/** An item of a comma-separated value list with '\\' and ',' escaped by a backslash (RFC 9460 appendix A.1). */
export function escapeListItem(s: string): string {
  let out = ''
  let from = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x5c || c === 0x2c) {
      out += `${s.slice(from, i)}\\`
      from = i
    }
  }
  return out === '' ? s : out + s.slice(from)
}

/** SVCB/HTTPS parameter value (RFC 9460 section 7 presentation). */
function svcValue(key: number, buf: Buffer, a: number, b: number): string | null {
  const n = b - a
  switch (key) {
    case 0: {
      if (n % 2) return null
      const keys: string[] = []
      for (let p = a; p < b; p += 2) keys.push(svcKeyName(buf.readUInt16BE(p)))
      return keys.join(',')
    }
    case 1: {
      const ids: string[] = []
      let p = a
      while (p < b) {
        const len = buf[p]
        if (len === 0 || p + 1 + len > b) return null
        ids.push(escapeListItem(buf.toString('latin1', p + 1, p + 1 + len)))
        p += 1 + len
      }
      return ids.join(',')
    }
    case 2:
      return n === 0 ? '' : null
    case 3:
      return n === 2 ? String(buf.readUInt16BE(a)) : null
    case 4: {
      if (n === 0 || n % 4) return null
      const ips: string[] = []
      for (let p = a; p < b; p += 4) ips.push(ipv4ToString(buf.readUInt32BE(p)))
      return ips.join(',')
    }
    case 5:
      return b64(buf, a, b)
    case 6: {
      if (n === 0 || n % 16) return null
      const ips: string[] = []
      for (let p = a; p < b; p += 16) ips.push(ipv6At(buf, p))
      return ips.join(',')
    }
    default:
      return quoted(buf, a, b)
  }
}

/**
 * Presentation form of one record's RDATA buf[a, b); names inside may point anywhere before them
 * in the message (base..end). Returns null when the RDATA does not fit its type's layout.
 */
function formatRdata(type: number, buf: Buffer, a: number, b: number, base: number, end: number): string | null {
  const n = b - a
  // a name that must end exactly at `b` (or before it when more fields follow)
  const nameAt = (p: number): string | null => {
    const s = readName(buf, p, base, end)
    if (nameErr !== null || nameNext > b) return null
    return s
  }
  switch (type) {
    case 1: // A
      return n === 4 ? ipv4ToString(buf.readUInt32BE(a)) : null
    case 28: // AAAA
      return n === 16 ? ipv6At(buf, a) : null
    case 2: // NS
    case 5: // CNAME
    case 12: // PTR
    case 39: {
      // DNAME
      const s = nameAt(a)
      return s !== null && nameNext === b ? s : null
    }
    case 15: // MX
    case 18: // AFSDB
    case 21: // RT
    case 36: {
      // KX
      if (n < 3) return null
      const s = nameAt(a + 2)
      return s !== null && nameNext === b ? `${buf.readUInt16BE(a)} ${s}` : null
    }
    case 16: // TXT
    case 99: {
      // SPF
      const parts: string[] = []
      let p = a
      while (p < b) {
        const r = charString(buf, p, b)
        if (r === null) return null
        parts.push(r[0])
        p = r[1]
      }
      return parts.join(' ')
    }
    case 13: {
      // HINFO
      const cpu = charString(buf, a, b)
      if (cpu === null) return null
      const os = charString(buf, cpu[1], b)
      return os !== null && os[1] === b ? `${cpu[0]} ${os[0]}` : null
    }
    case 6: {
      // SOA
      const mname = nameAt(a)
      if (mname === null) return null
      const rname = nameAt(nameNext)
      if (rname === null || nameNext + 20 !== b) return null
      const p = nameNext
      return `${mname} ${rname} ${buf.readUInt32BE(p)} ${buf.readUInt32BE(p + 4)} ${buf.readUInt32BE(p + 8)} ${buf.readUInt32BE(p + 12)} ${buf.readUInt32BE(p + 16)}`
    }
    case 17: {
      // RP
      const mbox = nameAt(a)
      if (mbox === null) return null
      const txt = nameAt(nameNext)
      return txt !== null && nameNext === b ? `${mbox} ${txt}` : null
    }
    case 33: {
      // SRV (RFC 2782)
      if (n < 7) return null
      const s = nameAt(a + 6)
      if (s === null || nameNext !== b) return null
      return `${buf.readUInt16BE(a)} ${buf.readUInt16BE(a + 2)} ${buf.readUInt16BE(a + 4)} ${s}`
    }
    case 35: {
      // NAPTR (RFC 3403 4.1)
      if (n < 4) return null
      const flags = charString(buf, a + 4, b)
      if (flags === null) return null
      const services = charString(buf, flags[1], b)
      if (services === null) return null
      const regexp = charString(buf, services[1], b)
      if (regexp === null) return null
      const repl = nameAt(regexp[1])
      if (repl === null || nameNext !== b) return null
      return `${buf.readUInt16BE(a)} ${buf.readUInt16BE(a + 2)} ${flags[0]} ${services[0]} ${regexp[0]} ${repl}`
    }
    case 257: {
      // CAA (RFC 8659 4.1)
      if (n < 2) return null
      const tagLen = buf[a + 1]
      if (tagLen === 0 || a + 2 + tagLen > b) return null
      return `${buf[a]} ${buf.toString('latin1', a + 2, a + 2 + tagLen)} ${quoted(buf, a + 2 + tagLen, b)}`
    }
    case 64: // SVCB
    case 65: {
      // HTTPS (RFC 9460 2.2)
      if (n < 3) return null
      const target = nameAt(a + 2)
      if (target === null) return null
      let out = `${buf.readUInt16BE(a)} ${target}`
      let p = nameNext
      while (p < b) {
        if (p + 4 > b) return null
        const key = buf.readUInt16BE(p)
        const len = buf.readUInt16BE(p + 2)
        if (p + 4 + len > b) return null
        const v = svcValue(key, buf, p + 4, p + 4 + len)
        if (v === null) return null
        out += v === '' && key === 2 ? ` ${svcKeyName(key)}` : ` ${svcKeyName(key)}=${v}`
        p += 4 + len
      }
      return out
    }
    case 43: // DS
    case 59: // CDS
    case 32769: // DLV
      if (n < 4) return null
      return `${buf.readUInt16BE(a)} ${buf[a + 2]} ${buf[a + 3]} ${hex(buf, a + 4, b)}`
    case 48: // DNSKEY
    case 60: // CDNSKEY
    case 25: // KEY
      if (n < 4) return null
      return `${buf.readUInt16BE(a)} ${buf[a + 2]} ${buf[a + 3]} ${b64(buf, a + 4, b)}`
    case 46: // RRSIG
    case 24: {
      // SIG
      if (n < 18) return null
      const signer = nameAt(a + 18)
      if (signer === null) return null
      return (
        `${typeName(buf.readUInt16BE(a))} ${buf[a + 2]} ${buf[a + 3]} ${buf.readUInt32BE(a + 4)} ` +
        `${sigTime(buf.readUInt32BE(a + 8))} ${sigTime(buf.readUInt32BE(a + 12))} ${buf.readUInt16BE(a + 16)} ${signer} ${b64(buf, nameNext, b)}`
      )
    }
    case 47: {
      // NSEC
      const next = nameAt(a)
      if (next === null) return null
      const types = typeBitmap(buf, nameNext, b)
      return types === null ? null : types === '' ? next : `${next} ${types}`
    }
    case 50: {
      // NSEC3 (RFC 5155 3.3)
      if (n < 5) return null
      const saltLen = buf[a + 4]
      let p = a + 5 + saltLen
      if (p >= b) return null
      const hashLen = buf[p]
      if (p + 1 + hashLen > b) return null
      const salt = saltLen === 0 ? '-' : hex(buf, a + 5, a + 5 + saltLen)
      const hash = base32hex(buf, p + 1, p + 1 + hashLen)
      p += 1 + hashLen
      const types = typeBitmap(buf, p, b)
      if (types === null) return null
      return `${buf[a]} ${buf[a + 1]} ${buf.readUInt16BE(a + 2)} ${salt} ${hash}${types ? ' ' + types : ''}`
    }
    case 51: {
      // NSEC3PARAM
      if (n < 5) return null
      const saltLen = buf[a + 4]
      if (a + 5 + saltLen !== b) return null
      return `${buf[a]} ${buf[a + 1]} ${buf.readUInt16BE(a + 2)} ${saltLen === 0 ? '-' : hex(buf, a + 5, b)}`
    }
    case 44: // SSHFP
      if (n < 2) return null
      return `${buf[a]} ${buf[a + 1]} ${hex(buf, a + 2, b)}`
    case 52: // TLSA
    case 53: // SMIMEA
      if (n < 3) return null
      return `${buf[a]} ${buf[a + 1]} ${buf[a + 2]} ${hex(buf, a + 3, b)}`
    case 256: // URI (RFC 7553)
      if (n < 4) return null
      return `${buf.readUInt16BE(a)} ${buf.readUInt16BE(a + 2)} ${quoted(buf, a + 4, b)}`
    default:
      return null
  }
}

function formatOption(code: number, buf: Buffer, a: number, b: number): string {
  if (code === 8 && b - a >= 4) {
    // Client subnet (RFC 7871 6): family, source prefix, scope prefix, address (truncated)
    const fam = buf.readUInt16BE(a)
    const src = buf[a + 2]
    const scope = buf[a + 3]
    const addr = Buffer.alloc(fam === 2 ? 16 : 4)
    buf.copy(addr, 0, a + 4, Math.min(b, a + 4 + addr.length))
    const ip = fam === 2 ? ipv6At(addr, 0) : ipv4ToString(addr.readUInt32BE(0))
    return `${ip}/${src}/${scope}`
  }
  if ((code === 5 || code === 6 || code === 7) && b > a) {
    const algs: number[] = []
    for (let p = a; p < b; p++) algs.push(buf[p])
    return algs.join(' ')
  }
  if ((code === 9 || code === 11) && b - a === 4) return String(buf.readUInt32BE(a))
  if (code === 11 && b - a === 2) return String(buf.readUInt16BE(a))
  return hex(buf, a, b, false)
}

const OPT_KEYS: Record<number, string> = {3: 'nsid', 5: 'dau', 6: 'dhu', 7: 'n3u', 8: 'subnet', 9: 'expire', 10: 'cookie'}

function decodeOpt(rclass: number, ttl: number, buf: Buffer, a: number, b: number, errors: string[]): DnsOpt {
  const opt: DnsOpt = {
    udpSize: rclass,
    extRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    do: (ttl & 0x8000) !== 0,
    options: {},
  }
  let p = a
  while (p < b) {
    if (p + 4 > b) {
      errors.push('truncated EDNS option')
      break
    }
    const code = buf.readUInt16BE(p)
    const len = buf.readUInt16BE(p + 2)
    if (p + 4 + len > b) {
      errors.push('EDNS option length past the OPT record')
      break
    }
    const key = OPT_KEYS[code]
    const v = formatOption(code, buf, p + 4, p + 4 + len)
    if (key !== undefined) opt.options[key] = v
    else {
      const s = `${ednsOptionName(code)}:${v}`
      opt.options.local = opt.options.local === undefined ? s : `${opt.options.local} ${s}`
    }
    p += 4 + len
  }
  return opt
}

// ---------------------------------------------------------------------------------------------
// Message

/**
 * Decodes one DNS message from buf[offset, end) (RFC 1035 4.1). Returns null when fewer than 12
 * bytes are available. Sections whose records overrun the message stop decoding at that point
 * (an error is recorded; the header counts are still reported).
 */
export function decodeMessage(buf: Buffer, offset = 0, end = buf.length): Decoded | null {
  if (end > buf.length) end = buf.length
  if (end - offset < HEADER_BYTES) return null
  const base = offset
  const f1 = buf[offset + 2]
  const f2 = buf[offset + 3]
  const m: DnsMessage = {
    id: readId(buf, offset),
    qr: (f1 & 0x80) !== 0,
    opcode: (f1 >> 3) & 0x0f,
    aa: (f1 & 0x04) !== 0,
    tc: (f1 & 0x02) !== 0,
    rd: (f1 & 0x01) !== 0,
    ra: (f2 & 0x80) !== 0,
    ad: (f2 & 0x20) !== 0,
    cd: (f2 & 0x10) !== 0,
    rcode: f2 & 0x0f,
    qdcount: buf.readUInt16BE(offset + 4),
    ancount: buf.readUInt16BE(offset + 6),
    nscount: buf.readUInt16BE(offset + 8),
    arcount: buf.readUInt16BE(offset + 10),
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    errors: [],
  }
  let p = offset + HEADER_BYTES
  let ok = true
  for (let i = 0; i < m.qdcount && ok; i++) {
    const name = readName(buf, p, base, end)
    if (nameErr !== null) {
      m.errors.push(`question: ${nameErr}`)
      ok = false
      break
    }
    p = nameNext
    if (p + 4 > end) {
      m.errors.push('question: truncated')
      ok = false
      break
    }
    m.questions.push({name, type: buf.readUInt16BE(p), class: buf.readUInt16BE(p + 2)})
    p += 4
  }
  const sections: [number, DnsRecord[], string][] = [
    [m.ancount, m.answers, 'answer'],
    [m.nscount, m.authorities, 'authority'],
    [m.arcount, m.additionals, 'additional'],
  ]
  for (const [count, list, label] of sections) {
    for (let i = 0; i < count && ok; i++) {
      const name = readName(buf, p, base, end)
      if (nameErr !== null) {
        m.errors.push(`${label}: ${nameErr}`)
        ok = false
        break
      }
      p = nameNext
      if (p + 10 > end) {
        m.errors.push(`${label}: truncated record`)
        ok = false
        break
      }
      const type = buf.readUInt16BE(p)
      const rclass = buf.readUInt16BE(p + 2)
      const ttl = buf.readUInt32BE(p + 4)
      const rdlen = buf.readUInt16BE(p + 8)
      const a = p + 10
      const b = a + rdlen
      if (b > end) {
        m.errors.push(`${label}: RDATA length past the end of the message`)
        ok = false
        break
      }
      if (type === 41) {
        if (m.opt) m.errors.push('more than one OPT record')
        else m.opt = decodeOpt(rclass, ttl, buf, a, b, m.errors)
      } else {
        let data = formatRdata(type, buf, a, b, base, end)
        if (data === null) {
          if (typeName(type).startsWith('TYPE') === false && rdlen > 0 && isKnownLayout(type)) {
            m.errors.push(`${label}: malformed ${typeName(type)} RDATA`)
          }
          data = generic(buf, a, b)
        }
        list.push({name, type, class: rclass, ttl, data})
      }
      p = b
    }
  }
  return {message: m, bytes: p - offset}
}

/** Types formatRdata knows: a null result for them means malformed, not merely unknown. */
function isKnownLayout(type: number): boolean {
  switch (type) {
    case 1:
    case 2:
    case 5:
    case 6:
    case 12:
    case 13:
    case 15:
    case 16:
    case 17:
    case 18:
    case 21:
    case 24:
    case 25:
    case 28:
    case 33:
    case 35:
    case 36:
    case 39:
    case 43:
    case 44:
    case 46:
    case 47:
    case 48:
    case 50:
    case 51:
    case 52:
    case 53:
    case 59:
    case 60:
    case 64:
    case 65:
    case 99:
    case 256:
    case 257:
    case 32769:
      return true
    default:
      return false
  }
}

/** Cheap plausibility test of a DNS header (content detection on non-standard ports). */
export function plausibleHeader(buf: Buffer): boolean {
  if (buf.length < HEADER_BYTES || buf.length > 65535) return false
  const f1 = buf[2]
  const f2 = buf[3]
  const opcode = (f1 >> 3) & 0x0f
  if (opcode > 6 || opcode === 3) return false
  if ((f2 & 0x40) !== 0) return false // Z bit must be zero (RFC 1035 4.1.1)
  const qd = buf.readUInt16BE(4)
  const an = buf.readUInt16BE(6)
  const ns = buf.readUInt16BE(8)
  const ar = buf.readUInt16BE(10)
  const qr = (f1 & 0x80) !== 0
  if (qd > 1 && opcode !== 5) return false
  if (!qr && qd === 0 && opcode === 0) return false
  if (!qr && an > 0 && opcode === 0) return false
  // every question needs >= 5 bytes, every record >= 11
  if (HEADER_BYTES + qd * 5 + (an + ns + ar) * 11 > buf.length) return false
  if (qd > 0) {
    // the first question name must start with a label length or the root
    const l = buf[12]
    if ((l & 0xc0) !== 0) return false
  }
  return true
}
