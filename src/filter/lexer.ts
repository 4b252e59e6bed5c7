/**
 * Tokens of the pcap-filter language (the subset pbx compiles, plus every other libpcap keyword so
 * that those get a clear "not supported" error instead of being taken for host names).
 *
 * As in libpcap, keywords are lower case only ("TCP" is not a keyword), `&&`, `||` and `!` are
 * the same as `and`, `or` and `not`, and a word is a maximal run of letters, digits and `. : - _`
 * (so `10.0.0.1`, `fe80::1`, `00:11:22:33:44:55` and `1000-2000` are single words).
 */
import {FilterError} from './error.js'

export type TokenKind = 'word' | 'kw' | 'and' | 'or' | 'not' | '(' | ')' | '/' | 'end'

export interface Token {
  kind: TokenKind
  /** The source text (for 'kw': the keyword). */
  text: string
  /** 0-based offset in the expression. */
  pos: number
}

/** Keywords pbx compiles. */
export const KEYWORDS = new Set([
  'src',
  'dst',
  'host',
  'net',
  'mask',
  'port',
  'portrange',
  'proto',
  'ip',
  'ip6',
  'arp',
  'rarp',
  'tcp',
  'udp',
  'sctp',
  'icmp',
  'icmp6',
  'ether',
  'vlan',
  'less',
  'greater',
])

/** libpcap keywords pbx does not compile (a clear error beats "unknown host 'gateway'"). */
export const UNSUPPORTED_KEYWORDS = new Set([
  'gateway',
  'protochain',
  'broadcast',
  'multicast',
  'mpls',
  'pppoed',
  'pppoes',
  'geneve',
  'igmp',
  'igrp',
  'pim',
  'vrrp',
  'carp',
  'ah',
  'esp',
  'atalk',
  'aarp',
  'decnet',
  'lat',
  'sca',
  'moprc',
  'mopdl',
  'iso',
  'esis',
  'es-is',
  'isis',
  'is-is',
  'clnp',
  'stp',
  'ipx',
  'netbeui',
  'link',
  'fddi',
  'tr',
  'wlan',
  'ppp',
  'slip',
  'inbound',
  'outbound',
  'ifindex',
  'len',
  'llc',
  'type',
  'subtype',
  'dir',
  'addr1',
  'addr2',
  'addr3',
  'addr4',
  'ra',
  'ta',
  'on',
  'ifname',
  'rnr',
  'rulenum',
  'reason',
  'rset',
  'ruleset',
  'srnr',
  'subrulenum',
  'action',
  'lane',
  'oam',
  'oamf4',
  'metac',
  'bcc',
  'sc',
  'ilmic',
  'connectmsg',
  'metaconnect',
  'vpi',
  'vci',
  'fisu',
  'lssu',
  'msu',
  'sio',
  'opc',
  'dpc',
  'sls',
  'hfisu',
  'hlssu',
  'hmsu',
  'hsio',
  'hopc',
  'hdpc',
  'hsls',
  'radio',
  'iih',
  'lsp',
  'snp',
  'csnp',
  'psnp',
  'l1',
  'l2',
])

const WORD_CHAR = /[A-Za-z0-9_.:-]/

/** Splits `expr` into tokens; the last one is always 'end' (at the expression's length). */
export function tokenize(expr: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < expr.length) {
    const c = expr[i]
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    if (c === '(' || c === ')' || c === '/') {
      out.push({kind: c, text: c, pos: i})
      i++
      continue
    }
    if (c === '&' && expr[i + 1] === '&') {
      out.push({kind: 'and', text: '&&', pos: i})
      i += 2
      continue
    }
    if (c === '|' && expr[i + 1] === '|') {
      out.push({kind: 'or', text: '||', pos: i})
      i += 2
      continue
    }
    if (c === '!' && expr[i + 1] !== '=') {
      out.push({kind: 'not', text: '!', pos: i})
      i++
      continue
    }
    if (WORD_CHAR.test(c)) {
      let j = i + 1
      while (j < expr.length && WORD_CHAR.test(expr[j])) j++
      const text = expr.slice(i, j)
      if (text === 'and' || text === 'or' || text === 'not') out.push({kind: text, text, pos: i})
      else if (KEYWORDS.has(text)) out.push({kind: 'kw', text, pos: i})
      else if (UNSUPPORTED_KEYWORDS.has(text)) throw new FilterError(`"${text}" is not supported by pbx's filter`, expr, i)
      else out.push({kind: 'word', text, pos: i})
      i = j
      continue
    }
    if (c === '%') throw new FilterError('IPv6 zone indexes (%eth0) and the % operator are not supported', expr, i)
    if ('[]=<>+*&|^!'.includes(c)) {
      throw new FilterError('arithmetic and byte-offset expressions (e.g. tcp[13] & 2 != 0) are not supported', expr, i)
    }
    if (c === '\\') throw new FilterError('backslash-escaped names are not supported (write protocol numbers)', expr, i)
    throw new FilterError(`unexpected character "${c}"`, expr, i)
  }
  out.push({kind: 'end', text: '', pos: expr.length})
  return out
}
