/**
 * Tunnel description: what the decoder knows about the encapsulation a packet arrived in.
 *
 * Two shapes:
 * - TunnelState: ONE reused, mutable object per Decoder, reset at every packet (depth 0) and filled
 *   in place as the decoder opens tunnel layers. It is a view like DecodedPacket itself: valid only
 *   until the sink returns. Non-tunnel traffic pays one store (depth = 0, zone = 0) per packet.
 * - TunnelInfo: an immutable snapshot oriented client -> server, made by `snapshotTunnel` when a
 *   connection OPENS (never per packet) and kept on the ConnInfo. Strings are built there, once.
 *
 * Which layer is described when tunnels nest (depth > 1): the INNERMOST one, i.e. the layer that
 * directly encloses the analyzed packet. `type` and `id` are that layer's; the outer addresses and
 * UDP ports are those of the innermost outer IP/UDP header (so for MPLS inside GRE the GRE outer
 * addresses are kept; for MPLS or PPPoE straight over Ethernet there is no outer IP: ipVersion 0).
 *
 * Connection key (`zone`): VXLAN and Geneve VNIs name overlay networks whose address spaces may
 * overlap (two tenants can both use 10.0.0.1:80), and the VNI is the same in both directions, so
 * the VNI of the innermost VXLAN/Geneve layer is part of the connection key (as Zeek keys a
 * connection by its encapsulation). The other identifiers are NOT keyed: GTP-U TEIDs and MPLS labels
 * differ per direction (keying them would split every connection in two), GRE keys may, and outer
 * addresses swap with the direction and change with ECMP; those tunnels carry globally routed inner
 * addresses anyway. So a connection seen partly through GRE/MPLS/GTP-U/... and partly untunneled is
 * one connection (zone 0), while the same 5-tuple inside VXLAN VNI 1, VNI 2 and untunneled is three.
 * A connection's tunnel description is the one of the packet that opened it.
 */
import {ipToString} from '../util/ip.js'

/** Tunnel layer names (values of pbx.tunnel.type and keys of Stats.tunnels). */
export type TunnelType =
  | 'vxlan'
  | 'geneve'
  | 'gre'
  | 'erspan'
  | 'mpls'
  | 'gtpu'
  | 'ipv4-in-ip'
  | 'ipv6-in-ip'
  | 'pppoe'
  | 'teredo'

/** Label stack entries kept per packet (a deeper stack is still walked; only these are reported). */
export const MAX_MPLS_LABELS = 8

/** Zone bases: zone = base + VNI (VNIs are 24-bit). 0 = no keyed tunnel. */
export const ZONE_VXLAN = 1 << 24
export const ZONE_GENEVE = 2 << 24

export interface TunnelState {
  /** Tunnel layers opened for the current packet; 0 = not tunneled (every other field is stale). */
  depth: number
  /** The innermost layer's type. */
  type: TunnelType
  /**
   * The innermost layer's identifier, -1 when it has none: VXLAN/Geneve VNI, GRE key, ERSPAN
   * session id, GTP-U TEID, PPPoE session id, MPLS bottom-of-stack label.
   */
  id: number
  /** The innermost outer IP header: 4, 6, or 0 when no IP header encloses the tunnel. */
  ipVersion: 0 | 4 | 6
  src0: number
  src1: number
  src2: number
  src3: number
  dst0: number
  dst1: number
  dst2: number
  dst3: number
  /** Outer UDP ports of a UDP-based innermost layer (VXLAN, Geneve, GTP-U, Teredo), else 0. */
  srcPort: number
  dstPort: number
  /** MPLS labels of the last label stack walked (top first), `labelCount` of them (<= MAX_MPLS_LABELS). */
  readonly labels: Uint32Array
  labelCount: number
  /** Connection-key component: ZONE_VXLAN/ZONE_GENEVE + VNI of the innermost such layer, else 0. */
  zone: number
}

export function newTunnelState(): TunnelState {
  return {
    depth: 0,
    type: 'gre',
    id: -1,
    ipVersion: 0,
    src0: 0,
    src1: 0,
    src2: 0,
    src3: 0,
    dst0: 0,
    dst1: 0,
    dst2: 0,
    dst3: 0,
    srcPort: 0,
    dstPort: 0,
    labels: new Uint32Array(MAX_MPLS_LABELS),
    labelCount: 0,
    zone: 0,
  }
}

/** A connection's tunnel, oriented client -> server (immutable; built once per connection). */
export interface TunnelInfo {
  readonly type: TunnelType
  /** Tunnel layers around the connection's first packet. */
  readonly depth: number
  /** See TunnelState.id; absent when the layer has none. */
  readonly id?: number
  /** Outer address on the client's side / on the server's side (absent without an outer IP). */
  readonly sourceIp?: string
  readonly destinationIp?: string
  /** Outer UDP ports, client's side / server's side (UDP-based layers only). */
  readonly sourcePort?: number
  readonly destinationPort?: number
  /** MPLS label stack, top first (type 'mpls' only). */
  readonly mplsLabels?: readonly number[]
}

/**
 * The snapshot of `t` for a connection opened by a packet whose source is the client
 * (`senderIsClient`) or the server. Returns undefined for an untunneled packet.
 */
export function snapshotTunnel(t: TunnelState | undefined, senderIsClient: boolean): TunnelInfo | undefined {
  if (t === undefined || t.depth === 0) return undefined
  const out: {-readonly [K in keyof TunnelInfo]: TunnelInfo[K]} = {type: t.type, depth: t.depth}
  if (t.id >= 0) out.id = t.id
  if (t.ipVersion !== 0) {
    const s = ipToString(t.ipVersion, t.src0, t.src1, t.src2, t.src3)
    const d = ipToString(t.ipVersion, t.dst0, t.dst1, t.dst2, t.dst3)
    out.sourceIp = senderIsClient ? s : d
    out.destinationIp = senderIsClient ? d : s
  }
  if (t.srcPort !== 0 || t.dstPort !== 0) {
    out.sourcePort = senderIsClient ? t.srcPort : t.dstPort
    out.destinationPort = senderIsClient ? t.dstPort : t.srcPort
  }
  if (t.type === 'mpls' && t.labelCount > 0) out.mplsLabels = Array.from(t.labels.subarray(0, t.labelCount))
  return out
}

/**
 * The event form (`pbx.tunnel`), keys in a fixed order: type, id, depth, source_ip, destination_ip,
 * source_port, destination_port, mpls_labels. `swap` exchanges the sides (for events whose source is
 * the server, like source/destination themselves).
 */
export function tunnelEventObject(t: TunnelInfo, swap: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {type: t.type}
  if (t.id !== undefined) o.id = t.id
  o.depth = t.depth
  const si = swap ? t.destinationIp : t.sourceIp
  const di = swap ? t.sourceIp : t.destinationIp
  if (si !== undefined) o.source_ip = si
  if (di !== undefined) o.destination_ip = di
  const sp = swap ? t.destinationPort : t.sourcePort
  const dpt = swap ? t.sourcePort : t.destinationPort
  if (sp !== undefined) o.source_port = sp
  if (dpt !== undefined) o.destination_port = dpt
  if (t.mplsLabels !== undefined) o.mpls_labels = [...t.mplsLabels]
  return o
}
