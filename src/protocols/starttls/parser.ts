/**
 * Upgrade commands and replies of the STARTTLS protocols, on one line (or, for XMPP, one chunk of
 * the XML stream). Pure functions on latin1 text; no state.
 */

export type UpgradeKind = 'smtp' | 'imap' | 'pop3' | 'ftp' | 'xmpp'

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
  const m = /^(\S+) STARTTLS$/i.exec(t)
  if (m) return {kind: 'imap', tag: m[1], command}
  return undefined
}

/** XMPP: the client's chunk asks for TLS. */
export function xmppCommand(text: string): Upgrade | undefined {
  return /<starttls[\s/>]/.test(text) ? {kind: 'xmpp', command: '<starttls/>'} : undefined
}

/**
 * A server line (without CR LF) answering `u`: true (go ahead), false (refused) or undefined
 * (not the answer: a continuation line, an unrelated response).
 */
export function upgradeReply(u: Upgrade, line: string): boolean | undefined {
  switch (u.kind) {
    case 'smtp':
      // 220 go ahead; 454/501/... refused; multi-line replies ("220-") end with "220 "
      if (/^\d{3}-/.test(line)) return undefined
      return /^\d{3}/.test(line) ? line.startsWith('220') : undefined
    case 'ftp':
      if (/^\d{3}-/.test(line)) return undefined
      return /^\d{3}/.test(line) ? line.startsWith('234') : undefined
    case 'pop3':
      return line.startsWith('+OK') ? true : line.startsWith('-ERR') ? false : undefined
    case 'imap': {
      const sp = line.indexOf(' ')
      if (sp < 0 || line.slice(0, sp) !== u.tag) return undefined
      return line.slice(sp + 1, sp + 3).toUpperCase() === 'OK'
    }
    case 'xmpp':
      return line.includes('<proceed') ? true : line.includes('<failure') ? false : undefined
  }
}
