/**
 * Parser of pcap-filter expressions into a FilterNode tree, following libpcap 1.10's grammar
 * (grammar.y) and code generator (gencode.c) for the subset pbx supports:
 *
 * - `and`/`&&` and `or`/`||` have EQUAL precedence and associate left to right (`a or b and c`
 *   is `(a or b) and c`); `not`/`!` binds tighter than both.
 * - Qualifier repetition: a bare value after `and`/`or`/`not` or inside parentheses takes the
 *   qualifiers of the last primitive that had any (`host a or b`, `tcp port 80 or 443`,
 *   `host a and not (b or c)`). After a primitive without qualifiers (`tcp`, `vlan 100`, `less 9`)
 *   or at the very start there is nothing to repeat and a bare value is an error, as in libpcap.
 *   After a parenthesised expression the qualifiers are those in force before the `(`.
 * - `vlan` moves every link-layer test that FOLLOWS it in the text 4 bytes further into the frame
 *   (libpcap's offset side effect, which is why `vlan and tcp` looks inside the tag and
 *   `tcp and vlan` does not); each node records that shift in bytes.
 * - Literal rules are libpcap's: `host 10.1` is 10.1.0.0/16, `net 10` is 10.0.0.0/8, `host 10` is
 *   0.0.0.10; CIDR and `mask` only with `net`; no host bits outside the mask; ports <= 65535,
 *   `portrange` bounds in either order; VLAN ids <= 4095.
 * - Names are never resolved (no DNS, no /etc/services): host names and service names are errors.
 *
 * Errors are FilterError with the offset of the token at fault.
 */
import {formatIPv4, formatIPv6, formatMac, parseDotted, parseIPv6, parseMac, parseNumber} from './addr.js'
import {FilterError} from './error.js'
import {type Token, tokenize} from './lexer.js'

export type Dir = 'src' | 'dst' | 'or' | 'and'

export const EtherType = {IPV4: 0x0800, IPV6: 0x86dd, ARP: 0x0806, RARP: 0x8035} as const

export type FilterNode =
  | {kind: 'true'}
  | {kind: 'and' | 'or'; left: FilterNode; right: FilterNode}
  | {kind: 'not'; operand: FilterNode}
  /** The network-layer type is `ethertype` (ip, ip6, arp, rarp). */
  | {kind: 'link'; ethertype: number; shift: number}
  /** IP protocol: `family` 4 (ip proto), 6 (ip6 proto, also behind one fragment header), 46 both. */
  | {kind: 'proto'; family: 4 | 6 | 46; proto: number; shift: number}
  /** IPv4 address under `mask`, looked up in IPv4 and/or ARP/RARP (sender/target protocol address). */
  | {kind: 'host4'; addr: number; mask: number; dir: Dir; ip: boolean; arp: boolean; rarp: boolean; shift: number}
  | {kind: 'host6'; addr: Uint8Array; mask: Uint8Array; dir: Dir; shift: number}
  /** TCP/UDP/SCTP port in lo..hi; `protos` are IP protocol numbers. */
  | {kind: 'port'; protos: number[]; lo: number; hi: number; dir: Dir; shift: number}
  | {kind: 'ether'; mac: Uint8Array; dir: Dir}
  | {kind: 'vlan'; id: number | null; shift: number}
  /** Wire length: `less n` is len <= n, `greater n` is len >= n. */
  | {kind: 'len'; op: 'less' | 'greater'; n: number}

type ProtoQ = 'default' | 'ip' | 'ip6' | 'arp' | 'rarp' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmp6' | 'ether'
type AddrQ = 'default' | 'host' | 'net' | 'port' | 'portrange' | 'proto'

interface Quals {
  proto: ProtoQ
  dir: Dir | 'default'
  addr: AddrQ
}

const PROTO_KEYWORDS = new Set<string>(['ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'ether'])
const ADDR_KEYWORDS = new Set<string>(['host', 'net', 'port', 'portrange', 'proto'])
const IPPROTO = {tcp: 6, udp: 17, sctp: 132, icmp: 1, icmp6: 58} as const

/** Parses a whole expression. An empty (or all-blank) expression matches every packet, as in libpcap. */
export function parseFilter(expr: string): FilterNode {
  return new Parser(expr).parse()
}

class Parser {
  private readonly toks: Token[]
  private i = 0
  /** Qualifiers a bare value repeats; null where libpcap has none (its `qerr`). */
  private q: Quals | null = null
  /** Number of `vlan` primitives seen so far (each shifts what follows by 4 bytes). */
  private vlans = 0

  constructor(private readonly expr: string) {
    this.toks = tokenize(expr)
  }

  parse(): FilterNode {
    if (this.peek().kind === 'end') return {kind: 'true'}
    const n = this.parseExpr()
    const t = this.peek()
    if (t.kind !== 'end') throw this.error(t.kind === ')' ? 'unbalanced ")"' : `expected "and" or "or" before ${show(t)}`, t)
    return n
  }

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]
  }

  private next(): Token {
    const t = this.toks[this.i]
    if (this.i < this.toks.length - 1) this.i++
    return t
  }

  private error(reason: string, t: Token): FilterError {
    return new FilterError(reason, this.expr, t.pos)
  }

  private isKw(t: Token, ...words: string[]): boolean {
    return t.kind === 'kw' && words.includes(t.text)
  }

  private parseExpr(): FilterNode {
    let left = this.parseTerm()
    for (;;) {
      const t = this.peek()
      if (t.kind !== 'and' && t.kind !== 'or') return left
      this.next()
      const right = this.startsId() ? this.parseId() : this.parseTerm()
      left = {kind: t.kind, left, right}
    }
  }

  /** After and/or: does a bare (possibly negated or parenthesised) value follow? */
  private startsId(): boolean {
    let k = 0
    while (this.peek(k).kind === '(' || this.peek(k).kind === 'not') k++
    return this.peek(k).kind === 'word'
  }

  /** A value that repeats the qualifiers in force: `b`, `not b`, `(b or c and not d)`. */
  private parseId(): FilterNode {
    const t = this.peek()
    if (t.kind === 'not') {
      this.next()
      return {kind: 'not', operand: this.parseId()}
    }
    if (t.kind === '(') {
      // libpcap's `( pid )`: the first value inside may not itself open a parenthesis.
      this.next()
      if (this.peek().kind === '(') throw this.error('expected an address, port or number after "(" (nested parentheses need a qualifier)', this.peek())
      let left = this.parseId()
      for (;;) {
        const op = this.peek()
        if (op.kind !== 'and' && op.kind !== 'or') break
        this.next()
        left = {kind: op.kind, left, right: this.parseId()}
      }
      this.expect(')')
      return left
    }
    if (t.kind !== 'word') throw this.error(`expected an address, port or number, found ${show(t)}`, t)
    if (this.q === null) {
      throw this.error(`"${t.text}" has no qualifier to repeat: write e.g. "host ${t.text}" or "port ${t.text}"`, t)
    }
    return this.value(this.q, null)
  }

  private expect(kind: ')'): void {
    const t = this.peek()
    if (t.kind !== kind) throw this.error(t.kind === 'end' ? 'missing ")"' : `expected ")" before ${show(t)}`, t)
    this.next()
  }

  private parseTerm(): FilterNode {
    const t = this.peek()
    if (t.kind === 'not') {
      this.next()
      return {kind: 'not', operand: this.parseTerm()}
    }
    if (t.kind === '(') {
      const saved = this.q
      this.next()
      const n = this.parseExpr()
      this.expect(')')
      this.q = saved
      return n
    }
    if (t.kind === 'kw') {
      switch (t.text) {
        case 'less':
        case 'greater': {
          this.next()
          const n = this.number(`expected a length after "${t.text}"`)
          this.q = null
          return {kind: 'len', op: t.text, n}
        }
        case 'vlan': {
          this.next()
          let id: number | null = null
          if (this.peek().kind === 'word') {
            const v = this.peek()
            id = this.number('expected a VLAN id after "vlan"')
            if (id > 4095) throw this.error(`VLAN id ${id} greater than maximum 4095`, v)
          }
          const shift = 4 * this.vlans++
          this.q = null
          return {kind: 'vlan', id, shift}
        }
        case 'mask':
          throw this.error('"mask" must follow "net ADDRESS"', t)
      }
      return this.primitive()
    }
    if (t.kind === 'word') {
      throw this.error(`"${t.text}" needs a qualifier before it (host, net, port, portrange, src, dst, ...)`, t)
    }
    if (t.kind === 'end') throw this.error('expression ends too early', t)
    throw this.error(`expected a primitive (host, net, port, tcp, ...), found ${show(t)}`, t)
  }

  /** `[proto] [dir] [addr] value`, or a protocol name alone (`tcp`, `ip6`, ...). */
  private primitive(): FilterNode {
    const first = this.peek()
    let proto: ProtoQ = 'default'
    let protoTok: Token | null = null
    if (PROTO_KEYWORDS.has(first.text)) {
      protoTok = this.next()
      proto = first.text as ProtoQ
    }
    let dir: Dir | 'default' = 'default'
    let dirTok: Token | null = null
    const d = this.peek()
    if (this.isKw(d, 'src', 'dst')) {
      dirTok = this.next()
      dir = d.text as Dir
      const op = this.peek()
      const other = this.peek(1)
      if ((op.kind === 'or' || op.kind === 'and') && this.isKw(other, d.text === 'src' ? 'dst' : 'src')) {
        this.next()
        this.next()
        dir = op.kind
      }
    }
    let addr: AddrQ = 'default'
    let addrTok: Token | null = null
    const a = this.peek()
    if (a.kind === 'kw' && ADDR_KEYWORDS.has(a.text)) {
      addrTok = this.next()
      addr = a.text as AddrQ
    }
    if (dirTok === null && addrTok === null) {
      // A protocol name on its own.
      if (protoTok === null) throw this.error(`expected a primitive (host, net, port, tcp, ...), found ${show(first)}`, first)
      this.q = null
      return this.protoAbbrev(protoTok)
    }
    if (addr === 'proto' && dirTok !== null) throw this.error('"proto" takes no src/dst qualifier', dirTok)
    const q: Quals = {proto, dir, addr}
    this.q = q
    const v = this.peek()
    if (v.kind === 'word') return this.value(q, addrTok ?? dirTok)
    if (v.kind === 'not' || v.kind === '(') return this.parseId()
    const after = addrTok ?? dirTok ?? first
    throw this.error(`expected ${expectedValue(q)} after "${after.text}"`, v)
  }

  private protoAbbrev(t: Token): FilterNode {
    const shift = 4 * this.vlans
    switch (t.text) {
      case 'ip':
        return {kind: 'link', ethertype: EtherType.IPV4, shift}
      case 'ip6':
        return {kind: 'link', ethertype: EtherType.IPV6, shift}
      case 'arp':
        return {kind: 'link', ethertype: EtherType.ARP, shift}
      case 'rarp':
        return {kind: 'link', ethertype: EtherType.RARP, shift}
      case 'tcp':
      case 'udp':
      case 'sctp':
        return {kind: 'proto', family: 46, proto: IPPROTO[t.text], shift}
      case 'icmp':
        return {kind: 'proto', family: 4, proto: 1, shift}
      case 'icmp6':
        return {kind: 'proto', family: 6, proto: 58, shift}
      default:
        throw this.error(`"${t.text}" needs host, src or dst after it`, t)
    }
  }

  private number(reason: string): number {
    const t = this.peek()
    if (t.kind !== 'word') throw this.error(reason, t)
    const n = this.num(t)
    if (n === null) throw this.error(reason, t)
    this.next()
    return n
  }

  private num(t: Token): number | null {
    try {
      return parseNumber(t.text)
    } catch (reason) {
      throw this.error(String(reason), t)
    }
  }

  /**
   * The value token at the cursor under qualifiers `q` (gen_ncode / gen_mcode / gen_ecode in
   * libpcap). `qualTok` is the keyword right before the value, or null when `q` is repeated.
   */
  private value(q: Quals, qualTok: Token | null): FilterNode {
    const t = this.next()
    const text = t.text
    const shift = 4 * this.vlans
    const dir: Dir = q.dir === 'default' ? 'or' : q.dir
    const after = qualTok !== null ? ` after "${qualTok.text}"` : ` (repeating "${q.addr === 'default' ? q.dir : q.addr}")`

    if (q.addr === 'port' || q.addr === 'portrange') {
      if (q.proto !== 'default' && q.proto !== 'tcp' && q.proto !== 'udp' && q.proto !== 'sctp') {
        throw this.error(`"${q.proto}" cannot qualify "${q.addr}" (only tcp, udp or sctp can)`, t)
      }
      const protos = q.proto === 'default' ? [6, 17, 132] : [IPPROTO[q.proto]]
      let lo: number | null
      let hi: number | null
      const range = q.addr === 'portrange' ? /^([^-]+)-([^-]+)$/.exec(text) : null
      if (range !== null) {
        lo = this.num({...t, text: range[1]})
        hi = this.num({...t, text: range[2]})
      } else lo = hi = this.num(t)
      if (lo === null || hi === null) {
        throw this.error(q.addr === 'port' ? `expected a port number${after}` : `expected a port range such as 1000-2000${after}`, t)
      }
      if (lo > hi) [lo, hi] = [hi, lo]
      if (hi > 65535) throw this.error(`illegal port number ${hi} > 65535`, t)
      return {kind: 'port', protos, lo, hi, dir, shift}
    }

    if (q.addr === 'proto') {
      const n = this.num(t)
      if (n === null) throw this.error(`expected a protocol number${after}`, t)
      if (n > 255) throw this.error(`protocol number ${n} greater than 255`, t)
      if (q.proto !== 'default' && q.proto !== 'ip' && q.proto !== 'ip6') throw this.error(`"${q.proto} proto" is not supported`, t)
      return {kind: 'proto', family: q.proto === 'ip' ? 4 : q.proto === 'ip6' ? 6 : 46, proto: n, shift}
    }

    // host, net or no address qualifier.
    const isNet = q.addr === 'net'
    const slash = this.peek().kind === '/'
    const masked = this.isKw(this.peek(), 'mask')

    if (q.proto === 'ether') {
      const mac = parseMac(text)
      if (mac === null) throw this.error(`expected a MAC address such as 00:11:22:33:44:55${after}`, t)
      if (q.addr === 'net') throw this.error('"ether net" is not a thing: use "ether host"', t)
      return {kind: 'ether', mac, dir}
    }

    const v6 = parseIPv6(text)
    if (v6 !== null) {
      if (masked) throw this.error('"mask" is for IPv4 networks: write ADDRESS/LENGTH for IPv6', this.peek())
      let bits = 128
      if (slash) bits = this.prefixLength(128)
      if (bits !== 128 && !isNet) throw this.error('a prefix length needs "net" (e.g. "net 2001:db8::/32")', t)
      if (q.proto !== 'default' && q.proto !== 'ip6') throw this.error(`"${q.proto}" cannot qualify an IPv6 ${isNet ? 'net' : 'host'}`, t)
      const mask = new Uint8Array(16)
      for (let i = 0; i < 16; i++) mask[i] = bits >= 8 * (i + 1) ? 0xff : bits > 8 * i ? (0xff << (8 - (bits - 8 * i))) & 0xff : 0
      for (let i = 0; i < 16; i++) if ((v6[i] & ~mask[i]) !== 0) throw this.error(`non-network bits set in "${text}/${bits}"`, t)
      return {kind: 'host6', addr: v6, mask, dir, shift}
    }

    if (parseMac(text) !== null && text.includes(':')) {
      throw this.error(`"${text}" is a MAC address: write "ether host ${text}"`, t)
    }

    let addr: number
    let mask: number
    let dotted: ReturnType<typeof parseDotted>
    try {
      dotted = parseDotted(text)
    } catch (reason) {
      throw this.error(String(reason), t)
    }
    if (slash || masked) {
      if (dotted === null) throw this.error(`expected a dotted IPv4 network such as 10.0.0.0 before "${this.peek().text}"`, t)
      addr = dotted.value
      if (slash) {
        const bits = this.prefixLength(32)
        mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
      } else {
        this.next()
        const m = this.peek()
        let md: ReturnType<typeof parseDotted> = null
        try {
          md = m.kind === 'word' ? parseDotted(m.text) : null
        } catch (reason) {
          throw this.error(String(reason), m)
        }
        if (md === null) throw this.error('expected a dotted netmask such as 255.255.0.0 after "mask"', m)
        this.next()
        mask = md.value
      }
      if (!isNet) throw this.error('a mask or prefix length needs "net" (e.g. "net 10.0.0.0/8")', t)
      if ((addr & ~mask) >>> 0 !== 0) throw this.error(`non-network bits set in "${this.expr.slice(t.pos, this.peek().pos).trim()}"`, t)
    } else if (dotted !== null) {
      addr = dotted.value
      mask = dotted.bits === 32 ? 0xffffffff : (0xffffffff << (32 - dotted.bits)) >>> 0
    } else {
      const n = this.num(t)
      if (n === null) {
        throw this.error(`"${text}" is not an IP address (host names are not resolved)`, t)
      }
      addr = n
      mask = 0xffffffff
      if (isNet) {
        // libpcap promotes a short net number: `net 10` is 10.0.0.0/8, `net 172` 172.0.0.0/8.
        while (addr !== 0 && (addr & 0xff000000) === 0) {
          addr = (addr << 8) >>> 0
          mask = (mask << 8) >>> 0
        }
      }
    }
    const p = q.proto
    if (p !== 'default' && p !== 'ip' && p !== 'arp' && p !== 'rarp') {
      throw this.error(p === 'ip6' ? `"ip6" cannot qualify an IPv4 ${isNet ? 'net' : 'host'}` : `"${p}" cannot qualify a ${isNet ? 'net' : 'host'}`, t)
    }
    return {kind: 'host4', addr, mask, dir, ip: p === 'default' || p === 'ip', arp: p === 'default' || p === 'arp', rarp: p === 'default' || p === 'rarp', shift}
  }

  /** After a value: `/` and a prefix length up to `max`. */
  private prefixLength(max: number): number {
    const slash = this.next()
    const t = this.peek()
    const n = t.kind === 'word' ? this.num(t) : null
    if (n === null) throw this.error('expected a prefix length after "/"', t.kind === 'end' ? t : slash)
    if (n > max) throw this.error(`prefix length must be <= ${max}`, t)
    this.next()
    return n
  }
}

function show(t: Token): string {
  return t.kind === 'end' ? 'the end' : `"${t.text}"`
}

function expectedValue(q: Quals): string {
  switch (q.addr) {
    case 'port':
      return 'a port number'
    case 'portrange':
      return 'a port range such as 1000-2000'
    case 'proto':
      return 'a protocol number'
    case 'net':
      return 'a network such as 10.0.0.0/8'
    default:
      return q.proto === 'ether' ? 'a MAC address' : 'an IP address'
  }
}

const LINK_NAMES = new Map<number, string>([
  [EtherType.IPV4, 'ip'],
  [EtherType.IPV6, 'ip6'],
  [EtherType.ARP, 'arp'],
  [EtherType.RARP, 'rarp'],
])

/** A canonical, fully parenthesised rendering of a tree (for tests and debugging). */
export function describeFilter(n: FilterNode): string {
  const at = (shift: number) => (shift > 0 ? `@${shift}` : '')
  switch (n.kind) {
    case 'true':
      return 'true'
    case 'and':
    case 'or':
      return `(${describeFilter(n.left)} ${n.kind} ${describeFilter(n.right)})`
    case 'not':
      return `not ${describeFilter(n.operand)}`
    case 'link':
      return LINK_NAMES.get(n.ethertype) + at(n.shift)
    case 'proto':
      return `${n.family === 4 ? 'ip ' : n.family === 6 ? 'ip6 ' : ''}proto ${n.proto}${at(n.shift)}`
    case 'host4': {
      const fam = [n.ip && 'ip', n.arp && 'arp', n.rarp && 'rarp'].filter(Boolean).join('|')
      return `${fam} ${n.dir} ${formatIPv4(n.addr)}/${formatIPv4(n.mask)}${at(n.shift)}`
    }
    case 'host6': {
      let bits = 0
      for (const b of n.mask) bits += b.toString(2).replace(/0/g, '').length
      return `ip6 ${n.dir} ${formatIPv6(n.addr)}/${bits}${at(n.shift)}`
    }
    case 'port':
      return `port ${n.dir} ${n.lo === n.hi ? n.lo : `${n.lo}-${n.hi}`} [${n.protos.join(',')}]${at(n.shift)}`
    case 'ether':
      return `ether ${n.dir} ${formatMac(n.mac)}`
    case 'vlan':
      return `vlan${n.id === null ? '' : ` ${n.id}`}${at(n.shift)}`
    case 'len':
      return `${n.op} ${n.n}`
  }
}
