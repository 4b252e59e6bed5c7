/**
 * Upgrade commands and replies of the STARTTLS protocols, on one line (or, for XMPP, one chunk of
 * the XML stream). Pure functions on latin1 text; no state. Matching is by hand on characters
 * (no regular expressions on packet data).
 */

/** JavaScript's `\s` over latin1 text: space, TAB, LF, VT, FF, CR and NBSP. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** True when `s` starts with three decimal digits (an SMTP/FTP reply code). */
function hasReplyCode(s: string): boolean {
  return s.length >= 3 && isDigit(s.charCodeAt(0)) && isDigit(s.charCodeAt(1)) && isDigit(s.charCodeAt(2))
}

/** An IMAP `TAG STARTTLS` line (case-insensitive keyword, one space, tag without white space): the tag. */
function imapStartTlsTag(t: string): string | undefined {
  const sp = t.indexOf(' ')
  if (sp <= 0 || t.length - sp - 1 !== 8 || t.slice(sp + 1).toUpperCase() !== 'STARTTLS') return undefined
  for (let i = 0; i < sp; i++) if (isSpace(t.charCodeAt(i))) return undefined
  return t.slice(0, sp)
}

/** True when `text` holds `<starttls` followed by white space, `/` or `>`. */
function hasXmppStartTls(text: string): boolean {
  for (let i = text.indexOf('<starttls'); i >= 0; i = text.indexOf('<starttls', i + 1)) {
    const c = text.charCodeAt(i + 9)
    if (c === 0x2f || c === 0x3e || isSpace(c)) return true
  }
  return false
}

export type UpgradeKind = 'smtp' | 'imap' | 'pop3' | 'ftp' | 'xmpp' | 'ldap'

export interface Upgrade {
  kind: UpgradeKind
  /** IMAP: the command's tag, which the reply repeats. */
  tag?: string
  command: string
}

/** A client line (without CR LF) that asks for TLS, or undefined. */
export function upgradeCommand(line: string): Upgrade | undefined {
  const t = line.trim()
  const u = t.toUpperCase()
  const command = t.slice(0, 64)
  if (u === 'STARTTLS') return {kind: 'smtp', command}
  if (u === 'STLS') return {kind: 'pop3', command}
  if (u === 'AUTH TLS' || u === 'AUTH SSL' || u === 'AUTH TLS-C') return {kind: 'ftp', command}
  const tag = imapStartTlsTag(t)
  if (tag !== undefined) return {kind: 'imap', tag, command}
  return undefined
}

/** XMPP: the client's chunk asks for TLS. */
export function xmppCommand(text: string): Upgrade | undefined {
  return hasXmppStartTls(text) ? {kind: 'xmpp', command: '<starttls/>'} : undefined
}

/**
 * A server line (without CR LF) answering `u`: true (go ahead), false (refused) or undefined
 * (not the answer: a continuation line, an unrelated response).
 */
export function upgradeReply(u: Upgrade, line: string): boolean | undefined {
  switch (u.kind) {
    case 'smtp':
      // 220 go ahead; 454/501/... refused; multi-line replies ("220-") end with "220 "
      if (!hasReplyCode(line) || line.charCodeAt(3) === 0x2d) return undefined
      return line.startsWith('220')
    case 'ftp':
      if (!hasReplyCode(line) || line.charCodeAt(3) === 0x2d) return undefined
      return line.startsWith('234')
    case 'pop3':
      return line.startsWith('+OK') ? true : line.startsWith('-ERR') ? false : undefined
    case 'imap': {
      const sp = line.indexOf(' ')
      if (sp < 0 || line.slice(0, sp) !== u.tag) return undefined
      return line.slice(sp + 1, sp + 3).toUpperCase() === 'OK'
    }
    case 'xmpp':
      return line.includes('<proceed') ? true : line.includes('<failure') ? false : undefined
    case 'ldap':
      return undefined // BER, not lines: see ldapMessage
  }
}

// --- LDAP StartTLS (RFC 4511 §4.14): BER LDAPMessages, minimal and bounded ----------------------

/** The StartTLS extended operation's OID (RFC 4511 §4.14.1). */
const LDAP_STARTTLS_OID = '1.3.6.1.4.1.1466.20037'
/** Largest LDAP message looked at while waiting for StartTLS (bigger ones are skipped, not read). */
export const LDAP_MAX_MESSAGE = 4096

/** A BER definite length at b[p..]: [value, header bytes], 0 while incomplete, -1 if unsupported. */
function berLength(b: Buffer, p: number): [number, number] | 0 | -1 {
  if (p >= b.length) return 0
  const first = b[p]!
  if (first < 0x80) return [first, 1]
  const n = first & 0x7f
  if (n === 0 || n > 3) return -1 // indefinite or > 16 MiB: not an LDAPMessage looked at here
  if (p + 1 + n > b.length) return 0
  let v = 0
  for (let i = 0; i < n; i++) v = (v << 8) | b[p + 1 + i]!
  return [v, 1 + n]
}

export interface LdapMessage {
  /** Bytes of the whole message (tag, length, contents). */
  len: number
  id: number
  /** protocolOp tag: 0x77 ExtendedRequest, 0x78 ExtendedResponse. */
  op: number
  /** ExtendedRequest: the requestName; ExtendedResponse: the resultCode. */
  name?: string
  resultCode?: number
}

/**
 * One LDAPMessage at the start of `b` (SEQUENCE { messageID INTEGER, protocolOp, ... }): the
 * message, 0 while incomplete, or -1 when the bytes are not an LDAPMessage. Only the header and, for
 * extended operations, their first element are decoded. Never throws.
 */
export function ldapMessage(b: Buffer): LdapMessage | 0 | -1 {
  if (b.length === 0) return 0
  if (b[0] !== 0x30) return -1
  const l = berLength(b, 1)
  if (l === 0 || l === -1) return l
  const len = 1 + l[1] + l[0]
  let p = 1 + l[1]
  // messageID: INTEGER of 1..4 bytes
  if (p + 2 > b.length) return len > LDAP_MAX_MESSAGE ? {len, id: -1, op: 0} : 0
  if (b[p] !== 0x02 || b[p + 1]! < 1 || b[p + 1]! > 4) return -1
  const il = b[p + 1]!
  if (p + 2 + il + 2 > b.length) return len > LDAP_MAX_MESSAGE ? {len, id: -1, op: 0} : 0
  let id = 0
  for (let i = 0; i < il; i++) id = id * 256 + b[p + 2 + i]!
  p += 2 + il
  const op = b[p]!
  const m: LdapMessage = {len, id, op}
  if (op !== 0x77 && op !== 0x78) return m
  if (len > LDAP_MAX_MESSAGE) return m
  if (b.length < len) return 0
  const ol = berLength(b, p + 1)
  if (ol === 0 || ol === -1) return -1
  p += 1 + ol[1]
  const et = b[p]
  const el = berLength(b, p + 1)
  if (el === 0 || el === -1 || p + 1 + el[1] + el[0] > len) return m
  const v = b.subarray(p + 1 + el[1], p + 1 + el[1] + el[0])
  if (op === 0x77 && et === 0x80) m.name = v.toString('latin1')
  if (op === 0x78 && et === 0x0a && v.length === 1) m.resultCode = v[0]
  return m
}

/** True for an ExtendedRequest naming StartTLS. */
export function isLdapStartTls(m: LdapMessage): boolean {
  return m.op === 0x77 && m.name === LDAP_STARTTLS_OID
}
