/**
 * FilterNode tree -> predicate over raw frames, built once per expression.
 *
 * Evaluation follows a BPF program's rules, because the point is to select exactly the frames
 * libpcap would:
 * - Every primitive reads the frame where libpcap's generated code reads it (link-layer type field,
 *   IPv4 protocol at payload+9, IHL-based transport offset, IPv6 next header at payload+6 only,
 *   ARP addresses at payload+14/+24, ...), in the same order.
 * - A read past the captured bytes ABORTS the whole filter with "no match" (a BPF load out of
 *   bounds returns 0 from the program), so `not tcp port 80` does not match a frame cut short
 *   inside the TCP header. Each step therefore returns 1 (true), 0 (false) or -1 (aborted), and
 *   and/or/not pass -1 straight up. Left operands are evaluated first, short-circuiting as BPF does.
 * - Link types: Ethernet (type at 12, payload at 14, both 4 further per preceding `vlan`), Linux
 *   SLL (type at 14, payload 16), SLL2 (type at 0, payload 20), NULL (address family in the first
 *   4 bytes in either byte order: the file's byte order is not known here; libpcap uses it), LOOP
 *   (family big-endian), RAW and BSD DLT_RAW (IP version nibble), IPV4/IPV6 (always that family,
 *   no read). `arp`/`rarp` are false without a read on link types without a type field.
 *
 * Per packet nothing is allocated: the frame is put in one reused state object and the prebuilt
 * closures read it.
 */
import {LinkType} from '../capture/types.js'
import {EtherType, type FilterNode} from './parser.js'

/** The frame being matched; one instance per compiled filter, reused for every packet. */
export class FrameState {
  d: Buffer = Buffer.alloc(0)
  /** Captured length. */
  n = 0
  /** Wire length. */
  w = 0
  kind = 0
  /** Network-layer offset found by the last netType() call. */
  base = 0
}

export type Step = (s: FrameState) => number

export const Kind = {UNKNOWN: 0, ETH: 1, SLL: 2, SLL2: 3, NULL: 4, LOOP: 5, RAW: 6, IPV4: 7, IPV6: 8} as const

export function linkKind(linkType: number): number {
  switch (linkType) {
    case LinkType.ETHERNET:
      return Kind.ETH
    case LinkType.LINUX_SLL:
      return Kind.SLL
    case LinkType.LINUX_SLL2:
      return Kind.SLL2
    case LinkType.NULL:
      return Kind.NULL
    case LinkType.LOOP:
      return Kind.LOOP
    case LinkType.RAW:
    case LinkType.RAW_BSD12:
    case LinkType.RAW_BSD14:
      return Kind.RAW
    case LinkType.IPV4:
      return Kind.IPV4
    case LinkType.IPV6:
      return Kind.IPV6
    default:
      return Kind.UNKNOWN
  }
}

/**
 * The network-layer type as an EtherType (0 for anything unrecognised), with s.base set to where
 * the network header starts; -1 when the type field is past the captured bytes.
 */
function netType(s: FrameState, shift: number): number {
  const d = s.d
  switch (s.kind) {
    case Kind.ETH: {
      const o = 12 + shift
      if (o + 2 > s.n) return -1
      s.base = o + 2
      return (d[o] << 8) | d[o + 1]
    }
    case Kind.SLL:
      if (s.n < 16) return -1
      s.base = 16
      return (d[14] << 8) | d[15]
    case Kind.SLL2:
      if (s.n < 2) return -1
      s.base = 20
      return (d[0] << 8) | d[1]
    case Kind.NULL:
    case Kind.LOOP: {
      if (s.n < 4) return -1
      s.base = 4
      let af = -1
      if ((d[0] | d[1] | d[2]) === 0) af = d[3]
      else if (s.kind === Kind.NULL && (d[1] | d[2] | d[3]) === 0) af = d[0]
      // AF_INET is 2 everywhere; libpcap takes the BSDs' AF_INET6 values 24, 28, 30 (not Linux's 10).
      return af === 2 ? EtherType.IPV4 : af === 24 || af === 28 || af === 30 ? EtherType.IPV6 : 0
    }
    case Kind.RAW: {
      if (s.n < 1) return -1
      s.base = 0
      const v = d[0] >> 4
      return v === 4 ? EtherType.IPV4 : v === 6 ? EtherType.IPV6 : 0
    }
    case Kind.IPV4:
      s.base = 0
      return EtherType.IPV4
    case Kind.IPV6:
      s.base = 0
      return EtherType.IPV6
    default:
      return 0
  }
}

/** Whether the link type has a type field that can say ARP. */
function hasLinkTypeField(kind: number): boolean {
  return kind === Kind.ETH || kind === Kind.SLL || kind === Kind.SLL2
}

function u32(d: Buffer, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0
}

export function buildStep(n: FilterNode): Step {
  switch (n.kind) {
    case 'true':
      return () => 1
    case 'and': {
      const a = buildStep(n.left)
      const b = buildStep(n.right)
      return (s) => {
        const r = a(s)
        return r !== 1 ? r : b(s)
      }
    }
    case 'or': {
      const a = buildStep(n.left)
      const b = buildStep(n.right)
      return (s) => {
        const r = a(s)
        return r !== 0 ? r : b(s)
      }
    }
    case 'not': {
      const a = buildStep(n.operand)
      return (s) => {
        const r = a(s)
        return r < 0 ? r : 1 - r
      }
    }
    case 'link': {
      const {ethertype, shift} = n
      const arpLike = ethertype === EtherType.ARP || ethertype === EtherType.RARP
      return (s) => {
        if (arpLike && !hasLinkTypeField(s.kind)) return 0
        const t = netType(s, shift)
        return t < 0 ? -1 : t === ethertype ? 1 : 0
      }
    }
    case 'proto': {
      const {family, proto, shift} = n
      const v4 = family !== 6
      const v6 = family !== 4
      return (s) => {
        const t = netType(s, shift)
        if (t < 0) return -1
        const b = s.base
        const d = s.d
        if (t === EtherType.IPV4 && v4) {
          if (b + 10 > s.n) return -1
          return d[b + 9] === proto ? 1 : 0
        }
        if (t === EtherType.IPV6 && v6) {
          // libpcap: the fixed next header, or the one after a fragment header right behind it.
          if (b + 7 > s.n) return -1
          const nh = d[b + 6]
          if (nh === proto) return 1
          if (nh !== 44) return 0
          if (b + 41 > s.n) return -1
          return d[b + 40] === proto ? 1 : 0
        }
        return 0
      }
    }
    case 'port': {
      const {lo, hi, dir, shift} = n
      const protos = new Uint8Array(256)
      for (const p of n.protos) protos[p] = 1
      const at = (d: Buffer, o: number) => {
        const p = (d[o] << 8) | d[o + 1]
        return p >= lo && p <= hi
      }
      const ports = (s: FrameState, o: number): number => {
        const d = s.d
        switch (dir) {
          case 'src':
            return o + 2 > s.n ? -1 : at(d, o) ? 1 : 0
          case 'dst':
            return o + 4 > s.n ? -1 : at(d, o + 2) ? 1 : 0
          case 'or':
            if (o + 2 > s.n) return -1
            if (at(d, o)) return 1
            return o + 4 > s.n ? -1 : at(d, o + 2) ? 1 : 0
          default:
            if (o + 2 > s.n) return -1
            if (!at(d, o)) return 0
            return o + 4 > s.n ? -1 : at(d, o + 2) ? 1 : 0
        }
      }
      return (s) => {
        const t = netType(s, shift)
        if (t < 0) return -1
        const b = s.base
        const d = s.d
        if (t === EtherType.IPV4) {
          if (b + 10 > s.n) return -1
          if (protos[d[b + 9]] === 0) return 0
          // Not a fragment other than the first (the fragment offset is zero).
          if (((d[b + 6] & 0x1f) | d[b + 7]) !== 0) return 0
          return ports(s, b + (d[b] & 0xf) * 4)
        }
        if (t === EtherType.IPV6) {
          // libpcap looks at the fixed header's next header only, not along the extension chain.
          if (b + 7 > s.n) return -1
          if (protos[d[b + 6]] === 0) return 0
          return ports(s, b + 40)
        }
        return 0
      }
    }
    case 'host4': {
      const {dir, shift, ip, arp, rarp} = n
      const mask = n.mask >>> 0
      const addr = (n.addr & mask) >>> 0
      const cmp = (s: FrameState, src: number, dst: number): number => {
        const d = s.d
        switch (dir) {
          case 'src':
            return src + 4 > s.n ? -1 : (u32(d, src) & mask) >>> 0 === addr ? 1 : 0
          case 'dst':
            return dst + 4 > s.n ? -1 : (u32(d, dst) & mask) >>> 0 === addr ? 1 : 0
          case 'or':
            if (src + 4 > s.n) return -1
            if ((u32(d, src) & mask) >>> 0 === addr) return 1
            return dst + 4 > s.n ? -1 : (u32(d, dst) & mask) >>> 0 === addr ? 1 : 0
          default:
            if (src + 4 > s.n) return -1
            if ((u32(d, src) & mask) >>> 0 !== addr) return 0
            return dst + 4 > s.n ? -1 : (u32(d, dst) & mask) >>> 0 === addr ? 1 : 0
        }
      }
      return (s) => {
        if (!ip && !hasLinkTypeField(s.kind)) return 0
        const t = netType(s, shift)
        if (t < 0) return -1
        const b = s.base
        if (t === EtherType.IPV4) return ip ? cmp(s, b + 12, b + 16) : 0
        if ((t === EtherType.ARP && arp) || (t === EtherType.RARP && rarp)) return cmp(s, b + 14, b + 24)
        return 0
      }
    }
    case 'host6': {
      const {dir, shift} = n
      const want = new Uint32Array(4)
      const mask = new Uint32Array(4)
      for (let i = 0; i < 4; i++) {
        mask[i] = ((n.mask[4 * i] << 24) | (n.mask[4 * i + 1] << 16) | (n.mask[4 * i + 2] << 8) | n.mask[4 * i + 3]) >>> 0
        want[i] = (((n.addr[4 * i] << 24) | (n.addr[4 * i + 1] << 16) | (n.addr[4 * i + 2] << 8) | n.addr[4 * i + 3]) & mask[i]) >>> 0
      }
      // One 32-bit word at a time, stopping at the first mismatch, skipping words the mask ignores.
      const one = (s: FrameState, o: number): number => {
        for (let i = 0; i < 4; i++) {
          if (mask[i] === 0) continue
          if (o + 4 * i + 4 > s.n) return -1
          if ((u32(s.d, o + 4 * i) & mask[i]) >>> 0 !== want[i]) return 0
        }
        return 1
      }
      return (s) => {
        const t = netType(s, shift)
        if (t < 0) return -1
        if (t !== EtherType.IPV6) return 0
        const src = s.base + 8
        const dst = s.base + 24
        switch (dir) {
          case 'src':
            return one(s, src)
          case 'dst':
            return one(s, dst)
          case 'or': {
            const r = one(s, src)
            return r !== 0 ? r : one(s, dst)
          }
          default: {
            const r = one(s, src)
            return r !== 1 ? r : one(s, dst)
          }
        }
      }
    }
    case 'ether': {
      const {dir} = n
      const hi = (n.mac[0] << 8) | n.mac[1]
      const lo = u32(Buffer.from(n.mac), 2)
      // As libpcap: the low 4 bytes first (source: bytes 8..11, destination: 2..5), then the high 2.
      const one = (s: FrameState, o: number): number => {
        if (o + 6 > s.n) return -1
        return u32(s.d, o + 2) === lo && ((s.d[o] << 8) | s.d[o + 1]) === hi ? 1 : 0
      }
      return (s) => {
        switch (dir) {
          case 'src':
            return one(s, 6)
          case 'dst':
            return one(s, 0)
          case 'or': {
            const r = one(s, 6)
            return r !== 0 ? r : one(s, 0)
          }
          default: {
            const r = one(s, 6)
            return r !== 1 ? r : one(s, 0)
          }
        }
      }
    }
    case 'vlan': {
      const {id, shift} = n
      return (s) => {
        const o = 12 + shift
        if (o + 2 > s.n) return -1
        const t = (s.d[o] << 8) | s.d[o + 1]
        if (t !== 0x8100 && t !== 0x88a8 && t !== 0x9100) return 0
        if (id === null) return 1
        if (o + 4 > s.n) return -1
        return (((s.d[o + 2] << 8) | s.d[o + 3]) & 0xfff) === id ? 1 : 0
      }
    }
    case 'len': {
      const lim = n.n
      return n.op === 'less' ? (s) => (s.w <= lim ? 1 : 0) : (s) => (s.w >= lim ? 1 : 0)
    }
  }
}

/** Whether the tree uses a primitive libpcap compiles only for Ethernet (`vlan`, `ether ...`). */
export function needsEthernet(n: FilterNode): boolean {
  switch (n.kind) {
    case 'and':
    case 'or':
      return needsEthernet(n.left) || needsEthernet(n.right)
    case 'not':
      return needsEthernet(n.operand)
    case 'vlan':
    case 'ether':
      return true
    default:
      return false
  }
}
