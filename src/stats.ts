/**
 * Run statistics: every stage counts what it saw and what it could not handle, by reason. Anomalies
 * are data: a malformed packet increments a counter here (and may leave a note on an event), it
 * never throws. Counters are plain numbers on one object so the hot path pays one property add.
 */
export class Stats {
  files = 0
  packets = 0
  /** Captured bytes of all records (caplen). */
  bytes = 0
  /** Records whose caplen was shorter than the original length. */
  truncatedRecords = 0
  /** Link types seen, by numeric DLT/LINKTYPE value, with packet counts. */
  readonly linkTypes = new Map<number, number>()
  nonIp = 0
  ipv4 = 0
  ipv6 = 0
  vlanTagged = 0
  tcpPackets = 0
  udpPackets = 0
  icmpPackets = 0
  otherIpProto = 0
  fragments = 0
  fragmentsReassembled = 0
  fragmentsDropped = 0
  /** Tunnel layers opened, by type ('vxlan', 'gre', 'mpls', ...; see src/decode/tunnel.ts). */
  readonly tunnels = new Map<string, number>()
  tcpConnections = 0
  tcpGaps = 0
  tcpGapBytes = 0
  tcpRetransmittedBytes = 0
  /**
   * Packets taken for late copies of a closed connection's packets (src/reassembly/tombstones.ts):
   * they open no connection, so they are in no flow record (their payload is also counted in
   * tcpRetransmittedBytes).
   */
  tcpLateCopies = 0
  tcpOutOfOrderSegments = 0
  tcpConnectionsEvicted = 0
  udpFlows = 0
  transactions = 0
  unmatchedRequests = 0
  unmatchedResponses = 0
  /**
   * Live capture (`pbx live`): packets libpcap dropped because pbx did not read them in time
   * (pcap_stats ps_drop); null when the binding does not report it (cap 0.2.1 has no pcap_stats).
   */
  liveDropped: number | null = null
  /** Live capture: packets the interface or driver dropped during the capture (ps_ifdrop); null when unknown. */
  liveIfDropped: number | null = null
  /** Live capture: packets pbx dropped itself because its receive queue was full (src/capture/live.ts). */
  liveQueueDropped = 0
  /** Packets or messages that could not be decoded, by reason ("ipv4: bad header length", ...). */
  readonly malformed = new Map<string, number>()
  /** Bounds reached, by limit name. */
  readonly limitsHit = new Map<string, number>()

  bad(reason: string): void {
    this.malformed.set(reason, (this.malformed.get(reason) ?? 0) + 1)
  }

  limit(name: string): void {
    this.limitsHit.set(name, (this.limitsHit.get(name) ?? 0) + 1)
  }

  tunnel(type: string): void {
    this.tunnels.set(type, (this.tunnels.get(type) ?? 0) + 1)
  }

  linkType(lt: number): void {
    this.linkTypes.set(lt, (this.linkTypes.get(lt) ?? 0) + 1)
  }
}
