/**
 * The decode stage's output contract.
 *
 * The Decoder turns one captured Packet into one DecodedPacket: link layer, VLAN tags, IPv4/IPv6
 * (with fragment reassembly), and the TCP or UDP header. The DecodedPacket is REUSED for every
 * packet: `payload` is a view into the packet's data (or into a reassembled datagram owned by the
 * decoder) and is valid only until the decoder's sink returns.
 *
 * Addresses are held as four 32-bit words so that flow lookups compare numbers, not strings:
 * IPv4 uses a0 only (a1..a3 = 0); IPv6 uses a0..a3 in network order. Strings are built once per
 * connection by `ipToString`, never per packet.
 */

import type {TunnelState} from './tunnel.js'

export const IpProto = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ICMPV6: 58,
} as const

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const

export interface DecodedPacket {
  /** Copied from the Packet. */
  frame: number
  tsSec: number
  tsNsec: number
  /** 4 or 6. */
  ipVersion: 4 | 6
  /** Source address words (see above). */
  src0: number
  src1: number
  src2: number
  src3: number
  dst0: number
  dst1: number
  dst2: number
  dst3: number
  /** IP protocol number of the transport header (after IPv6 extension headers). */
  proto: number
  /** Total IP datagram length (header + payload) as the IP header(s) state it, after reassembly. */
  ipLength: number
  /** Outermost VLAN id seen at any layer (the first tag met, outer frame first), or -1. */
  vlan: number
  /** The VLAN id of the tag right inside `vlan` in the same frame (802.1ad Q-in-Q), or -1. */
  vlanInner?: number
  /**
   * MAC addresses of the capture's own Ethernet header (link type 1 only; not of an inner frame of
   * a tunnel): the top 16 bits (Hi) and low 32 bits (Lo) of each; Hi -1 when there is none.
   */
  srcMacHi?: number
  srcMacLo?: number
  dstMacHi?: number
  dstMacLo?: number
  /**
   * The IP packets on the wire this packet stands for, and their IP bytes (total lengths summed):
   * 1 and ipLength for an unfragmented packet; for a reassembled datagram, its fragments (each
   * counted with its own IP header). What flow records count. Always set by every producer (the
   * decoder, the worker rings, tests' hand-built packets): plain numbers, so the per-packet counters
   * (Conn.count, half-open records) read one field of one shape.
   */
  wirePackets: number
  wireBytes: number
  /** TCP/UDP ports; 0 for other protocols. */
  srcPort: number
  dstPort: number
  /** TCP only. Sequence and acknowledgement numbers as unsigned 32-bit values. */
  seq: number
  ack: number
  /** TCP flags byte (TcpFlag bits). */
  tcpFlags: number
  window: number
  /**
   * Transport payload: TCP/UDP data after the header; for ICMP/ICMPv6 and other protocols the
   * whole IP payload. Trimmed to the IP length (Ethernet padding removed). May be shorter than the
   * header says when the capture was truncated by snaplen: `payloadTruncated` then says by how much.
   * An empty payload is one shared zero-length Buffer (not a view of the packet).
   */
  payload: Buffer
  payloadTruncated: number
  /**
   * The tunnel the packet arrived in (src/decode/tunnel.ts): the decoder's one reused TunnelState,
   * `depth` 0 when the packet was not tunneled. The addresses, ports and fields above are always the
   * INNER packet's. Optional only so that hand-built packets (tests) may leave it out: absent means
   * not tunneled. Valid only until the sink returns; a connection keeps a snapshot (ConnInfo.tunnel).
   */
  tunnel?: TunnelState
}

export interface DecodedSink {
  /** Called once per IP packet (any IP protocol) and once per completed fragment set. */
  ip(p: DecodedPacket): void
}

/**
 * A DecodedPacket with every field at its "nothing yet" value, for a stage that owns one packet
 * object and refills it in place for every packet (the decoder's, a worker's) or for every record it
 * rebuilds a connection from (the flow tables' flat records). Made once per owner, never per
 * packet; every such packet has the same shape. `tunnel`: the owner's reused TunnelState, or
 * undefined for none.
 */
export function blankPacket(tunnel: TunnelState | undefined): DecodedPacket {
  return {
    frame: 0,
    tsSec: 0,
    tsNsec: 0,
    ipVersion: 4,
    src0: 0,
    src1: 0,
    src2: 0,
    src3: 0,
    dst0: 0,
    dst1: 0,
    dst2: 0,
    dst3: 0,
    proto: 0,
    ipLength: 0,
    vlan: -1,
    vlanInner: -1,
    srcMacHi: -1,
    srcMacLo: 0,
    dstMacHi: -1,
    dstMacLo: 0,
    wirePackets: 1,
    wireBytes: 0,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    tcpFlags: 0,
    window: 0,
    payload: Buffer.alloc(0),
    payloadTruncated: 0,
    tunnel,
  }
}
