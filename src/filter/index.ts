/**
 * `--filter EXPR`: pcap-filter expressions (libpcap 1.10 semantics for the supported subset,
 * see parser.ts) compiled once into a predicate over raw captured frames.
 *
 * Supported: `[ip|ip6|arp|rarp] [src|dst|src or dst|src and dst] host|net ADDR` (IPv4, IPv6,
 * CIDR, `mask`), `[tcp|udp|sctp] [src|dst|...] port N | portrange N-M`, `ip proto N`,
 * `ip6 proto N`, `proto N`, `tcp`, `udp`, `sctp`, `icmp`, `icmp6`, `ip`, `ip6`, `arp`, `rarp`,
 * `vlan [ID]`, `ether [src|dst] [host] MAC`, `less N`, `greater N`, `and`/`&&`, `or`/`||`,
 * `not`/`!`, parentheses, and qualifier repetition (`host a or b`, `tcp port 80 or 443`).
 * Not supported (clear errors): names (hosts, services, protocols), byte-offset arithmetic
 * (`tcp[13] & 2 != 0`), broadcast/multicast, gateway, mpls, pppoe and the other libpcap keywords.
 *
 * For files, pbx applies the predicate to each record before decoding; for live capture the same
 * string is handed to libpcap, so both select the same frames. The corpus test
 * (test/filter/tcpdump.test.ts) compares the predicate with tcpdump frame by frame.
 */
import {FilterError} from './error.js'
import {describeFilter, type FilterNode, parseFilter} from './parser.js'
import {buildStep, FrameState, Kind, linkKind, needsEthernet, type Step} from './predicate.js'

export {FilterError} from './error.js'
export {describeFilter, type FilterNode, parseFilter} from './parser.js'

export interface PacketFilter {
  /** The expression as given. */
  readonly expression: string
  /**
   * Whether the frame passes. `data` is the captured bytes of one record of link type `linkType`
   * (LINKTYPE_*), `wireLen` its length on the wire (used by less/greater; defaults to the
   * captured length). Never throws; truncated frames do not match (as in BPF). Allocates nothing.
   */
  match(data: Buffer, linkType: number, wireLen?: number): boolean
  /**
   * Why libpcap would refuse this expression on `linkType` (the predicate then matches nothing
   * on it), or null when it compiles there. For one warning per link type, not per packet.
   */
  unsupportedOn(linkType: number): string | null
}

class CompiledFilter implements PacketFilter {
  private readonly s = new FrameState()
  private readonly ethernetOnly: boolean
  /** Link type of the previous packet and its Kind (consecutive packets nearly always share one). */
  private lastLinkType = -1
  private lastKind: number = Kind.UNKNOWN

  constructor(
    readonly expression: string,
    private readonly step: Step,
    tree: FilterNode,
  ) {
    this.ethernetOnly = needsEthernet(tree)
  }

  match(data: Buffer, linkType: number, wireLen: number = data.length): boolean {
    if (linkType !== this.lastLinkType) {
      const k = linkKind(linkType)
      this.lastKind = k === Kind.UNKNOWN || (this.ethernetOnly && k !== Kind.ETH) ? Kind.UNKNOWN : k
      this.lastLinkType = linkType
    }
    const kind = this.lastKind
    if (kind === Kind.UNKNOWN) return false
    const s = this.s
    s.d = data
    s.n = data.length
    s.w = wireLen
    s.kind = kind
    // The frame stays referenced until the next call; that is all the state kept.
    return this.step(s) === 1
  }

  unsupportedOn(linkType: number): string | null {
    const kind = linkKind(linkType)
    if (kind === Kind.UNKNOWN) return `link type ${linkType} is not supported by --filter`
    if (this.ethernetOnly && kind !== Kind.ETH) return `"vlan" and "ether" need Ethernet frames (link type ${linkType} is not Ethernet)`
    return null
  }
}

/** Compiles `expr` once. Throws FilterError (with the column) for invalid or unsupported syntax. */
export function compileFilter(expr: string): PacketFilter {
  const tree = parseFilter(expr)
  return new CompiledFilter(expr, buildStep(tree), tree)
}

/** The canonical form of an expression's tree (tests, debugging). */
export function explainFilter(expr: string): string {
  return describeFilter(parseFilter(expr))
}

export function isFilterError(e: unknown): e is FilterError {
  return e instanceof FilterError
}
