/**
 * The decode stage: link layer -> VLAN/MPLS/PPPoE -> IPv4/IPv6 (+ defragmentation) -> TCP/UDP header.
 *
 * Link types: Ethernet (1; 802.1Q/802.1ad/0x9100 tags at any depth, VN-Tag/E-Tag, MPLS, PPPoE
 * session, 802.3 LLC/SNAP), Linux SLL (113) and SLL2 (276), BSD Null (0) and LOOP (108) in either
 * byte order, raw IP (101, 12, 14 by version nibble; 228 IPv4; 229 IPv6), FDDI (10) and NFLOG (239).
 *
 * Contract (see ./types.ts and ../capture/types.ts):
 * - packet(p) is called once per capture record, in file order; end() once after the last record.
 * - For every IP packet (or completed fragment set) the decoder fills ONE reused DecodedPacket and
 *   calls sink.ip(dp) synchronously. dp.payload is a view into p.data (or into the defragmenter's
 *   scratch buffer) and is valid only until sink.ip returns.
 * - Nothing here throws on malformed input: every read is bounds-checked first; a packet that cannot
 *   be decoded is counted in stats.bad('<layer>: <reason>') and not delivered.
 * - IPv4 header checksums are NOT verified (checksum offload makes them wrong in many captures),
 *   nor are TCP/UDP checksums.
 *
 * Truncation: when the IP length says more than was captured, the packet is still delivered with
 * the captured bytes and `payloadTruncated` = the missing count. If the record itself was cut by
 * snaplen (origLen > caplen) that is normal; if the full frame was captured the IP header lies and
 * 'ipv4|ipv6: length exceeds frame' is counted as well. Headers themselves must be complete.
 *
 * Stats kept here: linkType, nonIp, ipv4, ipv6 (per frame, fragments included), vlanTagged,
 * tcpPackets/udpPackets/icmpPackets/otherIpProto (per complete datagram, counted before its
 * transport header is checked), fragments, fragmentsReassembled, fragmentsDropped, bad(...).
 * packets/bytes/truncatedRecords belong to the capture stage.
 *
 * Tunnels (see ./tunnel.ts for what is recorded and what is part of the connection key): the
 * decoder opens them and delivers the INNER packet, as if captured directly, with dp.tunnel
 * describing the innermost layer (outer addresses and ports kept there). Recognized:
 * - MPLS unicast/multicast label stacks (RFC 3032) on Ethernet or in GRE: after bottom-of-stack the
 *   payload is guessed by its first nibble as Wireshark does: 4 IPv4, 6 IPv6, 0 a pseudowire
 *   control word (RFC 4385) followed by an Ethernet frame (RFC 4448), opened only when that frame's
 *   EtherType is IP, VLAN or MPLS; anything else is not IP (nonIp).
 * - PPPoE session frames (RFC 2516) carrying PPP IPv4 (0x0021) / IPv6 (0x0057).
 * - IP protocol 4 (IPv4-in-IP, RFC 2003) and 41 (IPv6-in-IPv4 RFC 4213, IPv6-in-IPv6 RFC 2473).
 * - GRE (IP protocol 47; RFC 2784 with RFC 2890 key and sequence number, RFC 1701 routing) carrying
 *   IPv4, IPv6, MPLS, VLAN-tagged or bridged Ethernet (0x6558); enhanced GRE v1 (PPTP, RFC 2637)
 *   carrying uncompressed PPP IPv4/IPv6; ERSPAN type I (0x88BE without a sequence number), II (0x88BE,
 *   8-byte header) and III (0x22EB, 12-byte header plus the optional 8-byte platform sub-header;
 *   Ethernet or IP frame types).
 * - UDP: VXLAN (RFC 7348, destination port 4789), Geneve (RFC 8926, destination port 6081; Ethernet
 *   or IP payloads), GTP-U (3GPP TS 29.281, destination port 2152; G-PDU with its optional sequence
 *   number / N-PDU / extension headers, IP payload by first nibble), Teredo (RFC 4380, port 3544 on
 *   either side; authentication and origin indications skipped; opened only when what follows is an
 *   IPv6 header whose length matches the datagram, else it stays plain UDP). VXLAN, Geneve and GTP-U
 *   are matched on the destination port only: both tunnel endpoints send to the well-known port.
 * A tunnel header that is malformed is counted (stats.bad('vxlan: ...')) and the OUTER packet is
 *   delivered as it would be without tunnel support; so is a well-formed tunnel whose payload is
 *   not something we open (GTP-U signalling, Geneve protocol types other than Ethernet/IP, a GRE
 *   protocol type we do not know). Once a tunnel is opened the inner packet is decoded by the
 *   ordinary rules (a malformed inner IP header is counted and nothing is delivered). A packet whose
 *   nesting exceeds Limits.maxTunnelDepth is counted as 'tunnel: nesting deeper than maxTunnelDepth'
 *   (and stats.limit('maxTunnelDepth')) and not delivered. Every layer opened counts in
 *   stats.tunnel(type). ipv4/ipv6/udpPackets/otherIpProto count headers at every layer (a VXLAN
 *   packet counts one outer UDP datagram and one inner IP header more than the inner packet alone).
 */
import {RecordPacket} from '../capture/record.js'
import type {Packet, PacketSink} from '../capture/types.js'
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import {u16be, u16le, u32be, u32le} from '../util/bytes.js'
import {Defragmenter} from './defrag.js'
import {MAX_MPLS_LABELS, newTunnelState, type TunnelState, type TunnelType, ZONE_GENEVE, ZONE_VXLAN} from './tunnel.js'
import {blankPacket, type DecodedPacket, type DecodedSink} from './types.js'

const ETH_IPV4 = 0x0800
const ETH_IPV6 = 0x86dd
const ETH_VLAN = 0x8100
const ETH_QINQ = 0x88a8
const ETH_QINQ_OLD = 0x9100
const ETH_MPLS = 0x8847
const ETH_MPLS_MC = 0x8848
const ETH_PPPOE_SESSION = 0x8864
const ETH_VNTAG = 0x8926
const ETH_ETAG = 0x893f
const ETH_TEB = 0x6558
const ETH_ERSPAN_2 = 0x88be
const ETH_ERSPAN_3 = 0x22eb
const ETH_PPP = 0x880b

const UDP_VXLAN = 4789
const UDP_GENEVE = 6081
const UDP_GTPU = 2152
const UDP_TEREDO = 3544

const BAD_DEPTH = 'tunnel: nesting deeper than maxTunnelDepth'

/** Strings for unusual values are built once and reused (no string building per packet). */
const linkTypeReasons = new Map<number, string>()
function unsupportedLinkType(lt: number): string {
  let s = linkTypeReasons.get(lt)
  if (s === undefined) {
    s = `link: unsupported link type ${lt}`
    if (linkTypeReasons.size < 1024) linkTypeReasons.set(lt, s)
  }
  return s
}
const RAW_VERSION_REASONS: string[] = []
for (let v = 0; v < 16; v++) RAW_VERSION_REASONS.push(`raw: unknown IP version ${v}`)

const EMPTY = Buffer.alloc(0)

export class Decoder implements PacketSink {
  private readonly dp: DecodedPacket
  private readonly tun: TunnelState
  private readonly maxTunnelDepth: number
  private readonly defrag: Defragmenter
  /** The current record was cut by snaplen (origLen > captured length). */
  private snapCut = false
  /** End (exclusive) of the current record's bytes in the buffer being decoded. */
  private lim = 0

  constructor(
    private readonly sink: DecodedSink,
    limits: Limits,
    private readonly stats: Stats,
  ) {
    this.defrag = new Defragmenter(limits, stats)
    this.maxTunnelDepth = limits.maxTunnelDepth
    this.tun = newTunnelState()
    this.dp = blankPacket(this.tun)
  }

  /** Incomplete fragment sets held (diagnostics/tests). */
  get pendingFragmentSets(): number {
    return this.defrag.pending
  }

  packet(p: Packet): void {
    const lt = p.linkType
    // The capture stage's RecordPacket lets us read the record in place (no view of it is made);
    // offsets below are into `d`, the record being d[b, this.lim).
    let d: Buffer
    let b: number
    if (p instanceof RecordPacket) {
      d = p.buf
      b = p.start
      this.lim = b + p.caplen
    } else {
      d = p.data
      b = 0
      this.lim = d.length
    }
    const dp = this.dp
    this.stats.linkType(lt)
    this.snapCut = p.origLen > this.lim - b
    dp.frame = p.frame
    dp.tsSec = p.tsSec
    dp.tsNsec = p.tsNsec
    dp.vlan = -1
    dp.vlanInner = -1
    dp.srcMacHi = -1
    dp.dstMacHi = -1
    const tun = this.tun
    tun.depth = 0
    tun.zone = 0
    tun.ipVersion = 0
    switch (lt) {
      case 1: // LINKTYPE_ETHERNET: dst(6) src(6) type(2)
        if (this.lim - b < 14) {
          this.stats.bad('ethernet: truncated header')
          return
        }
        dp.dstMacHi = u16be(d, b)
        dp.dstMacLo = u32be(d, b + 2)
        dp.srcMacHi = u16be(d, b + 6)
        dp.srcMacLo = u32be(d, b + 8)
        this.ether(d, b + 14, u16be(d, b + 12), false)
        return
      case 113: // LINKTYPE_LINUX_SLL: pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
        if (this.lim - b < 16) {
          this.stats.bad('sll: truncated header')
          return
        }
        this.ether(d, b + 16, u16be(d, b + 14), true)
        return
      case 276: // LINKTYPE_LINUX_SLL2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
        if (this.lim - b < 20) {
          this.stats.bad('sll2: truncated header')
          return
        }
        this.ether(d, b + 20, u16be(d, b), true)
        return
      case 0: // LINKTYPE_NULL: 4-byte AF_ value in the capturing host's byte order
      case 108: {
        // LINKTYPE_LOOP: the same in network byte order; accept either order for both
        if (this.lim - b < 4) {
          this.stats.bad('null: truncated header')
          return
        }
        let fam = u32le(d, b)
        if (fam > 0xffff) fam = u32be(d, b)
        if (fam === 2) this.ipv4(d, b + 4)
        else if (fam === 24 || fam === 28 || fam === 30) this.ipv6(d, b + 4) // BSD, FreeBSD, Darwin AF_INET6
        else this.stats.nonIp++
        return
      }
      case 101: // LINKTYPE_RAW, and DLT_RAW as numbered by some BSDs: the version nibble decides
      case 12:
      case 14:
        this.raw(d, b)
        return
      case 228: // LINKTYPE_IPV4
        this.ipv4(d, b)
        return
      case 229: // LINKTYPE_IPV6
        this.ipv6(d, b)
        return
      case 10: // LINKTYPE_FDDI: FC(1) dst(6) src(6), then 802.2 LLC (SNAP carries the EtherType)
        if (this.lim - b < 13) {
          this.stats.bad('fddi: truncated header')
          return
        }
        this.ether(d, b + 13, 0, false) // type 0: "a length", so the LLC/SNAP path below decides
        return
      case 239: // LINKTYPE_NFLOG
        this.nflog(d, b)
        return
      default:
        this.stats.bad(unsupportedLinkType(lt))
    }
  }

  /** End of input: incomplete fragment sets are dropped and counted. */
  end(): void {
    this.defrag.end()
  }

  /** An IP packet whose version nibble says what it is (raw IP, MPLS payload). */
  private raw(d: Buffer, off: number): void {
    if (off >= this.lim) {
      this.stats.bad('raw: empty packet')
      return
    }
    const v = d[off] >> 4
    if (v === 4) this.ipv4(d, off)
    else if (v === 6) this.ipv6(d, off)
    else this.stats.bad(RAW_VERSION_REASONS[v])
  }

  /**
   * Dispatches on an EtherType at `off`. Follows 802.1Q / 802.1ad / 0x9100 tags at any depth (the
   * outermost id becomes dp.vlan), MPLS label stacks, PPPoE session frames and 802.3 LLC/SNAP.
   * `cooked`: the type came from an SLL header (values <= 1500 are Linux pseudo-protocols, not lengths).
   */
  private ether(d: Buffer, off: number, type: number, cooked: boolean): void {
    const dp = this.dp
    let tagged = false
    for (;;) {
      if (type === ETH_IPV4) {
        this.ipv4(d, off)
        return
      }
      if (type === ETH_IPV6) {
        this.ipv6(d, off)
        return
      }
      if (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD) {
        // IEEE 802.1Q section 9.6: TCI(2) = PCP(3) DEI(1) VID(12), then the next EtherType.
        if (off + 4 > this.lim) {
          this.stats.bad('vlan: truncated tag')
          return
        }
        if (!tagged && dp.vlan === -1) {
          // (an inner frame's tag counts only when the outer frames had none)
          tagged = true
          dp.vlan = u16be(d, off) & 0x0fff
          this.stats.vlanTagged++
        } else if (tagged && dp.vlanInner === -1) dp.vlanInner = u16be(d, off) & 0x0fff
        type = u16be(d, off + 2)
        off += 4
        continue
      }
      if (type === ETH_VNTAG || type === ETH_ETAG) {
        // Cisco VN-Tag: 4 tag bytes; IEEE 802.1BR E-TAG: 6 tag bytes; each followed by an EtherType.
        const n = type === ETH_VNTAG ? 4 : 6
        if (off + n + 2 > this.lim) {
          this.stats.bad('ethernet: truncated VN-Tag/E-Tag')
          return
        }
        type = u16be(d, off + n)
        off += n + 2
        continue
      }
      if (type === ETH_MPLS || type === ETH_MPLS_MC) {
        this.mpls(d, off)
        return
      }
      if (type === ETH_PPPOE_SESSION) {
        this.pppoe(d, off)
        return
      }
      if (type <= 1500 && !cooked) {
        // IEEE 802.3 length field: only LLC/SNAP with an EtherType (AA AA 03 + OUI 0) can carry IP.
        if (off + 8 <= this.lim && d[off] === 0xaa && d[off + 1] === 0xaa && d[off + 2] === 0x03) {
          if (d[off + 3] === 0 && d[off + 4] === 0 && d[off + 5] === 0) {
            type = u16be(d, off + 6)
            off += 8
            cooked = true // the SNAP type is an EtherType, never a length
            continue
          }
        }
      }
      this.stats.nonIp++
      return
    }
  }

  /**
   * LINKTYPE_NFLOG (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html): family(1) version(1)
   * resource id(2, BE), then TLVs of length(2) type(2) in the capturing host's byte order (length
   * includes the 4-byte TLV header, values padded to 4). NFULA_PAYLOAD (9) holds the IP packet.
   */
  private nflog(d: Buffer, b: number): void {
    const lim = this.lim
    if (lim - b < 4) {
      this.stats.bad('nflog: truncated header')
      return
    }
    const family = d[b]
    // Byte order: the first TLV's length must be sane in the order we pick.
    let le = true
    if (lim - b >= 8) {
      const l = u16le(d, b + 4)
      if (l < 4 || b + 4 + l > lim) le = false
    }
    let off = b + 4
    while (off + 4 <= lim) {
      const len = le ? u16le(d, off) : u16be(d, off)
      const type = (le ? u16le(d, off + 2) : u16be(d, off + 2)) & 0x7fff
      if (len < 4) {
        this.stats.bad('nflog: bad TLV length')
        return
      }
      if (type === 9) {
        // A snaplen cut may end the record inside the payload TLV: the IP layer handles that.
        this.lim = Math.min(off + len, lim)
        if (family === 2) this.ipv4(d, off + 4)
        else if (family === 10) this.ipv6(d, off + 4)
        else this.raw(d, off + 4)
        return
      }
      off += (len + 3) & ~3
    }
    this.stats.nonIp++ // no payload TLV
  }

  /** RFC 791 section 3.1. */
  private ipv4(d: Buffer, off: number): void {
    const stats = this.stats
    const dp = this.dp
    stats.ipv4++
    const avail = this.lim - off
    if (avail < 20) {
      stats.bad('ipv4: truncated header')
      return
    }
    const vihl = d[off]
    if (vihl >> 4 !== 4) {
      stats.bad('ipv4: version is not 4')
      return
    }
    const ihl = (vihl & 0x0f) * 4
    if (ihl < 20) {
      stats.bad('ipv4: header length < 20')
      return
    }
    if (ihl > avail) {
      stats.bad('ipv4: truncated header')
      return
    }
    let total = u16be(d, off + 2)
    if (total === 0) {
      // Segmentation offload: the stack hands the capture an oversized packet with length 0.
      stats.bad('ipv4: total length 0, using captured length')
      total = avail
    } else if (total < ihl) {
      stats.bad('ipv4: total length < header length')
      return
    }
    let end = off + total
    let truncated = 0
    if (total > avail) {
      truncated = total - avail
      end = this.lim
      if (!this.snapCut) stats.bad('ipv4: total length exceeds frame')
    }
    dp.ipVersion = 4
    dp.src0 = u32be(d, off + 12)
    dp.src1 = 0
    dp.src2 = 0
    dp.src3 = 0
    dp.dst0 = u32be(d, off + 16)
    dp.dst1 = 0
    dp.dst2 = 0
    dp.dst3 = 0
    const proto = d[off + 9]
    const ff = u16be(d, off + 6)
    const fragOffset = (ff & 0x1fff) * 8
    const more = (ff & 0x2000) !== 0
    if (more || fragOffset !== 0) {
      stats.fragments++
      if (truncated > 0) {
        stats.bad('ipv4: truncated fragment')
        return
      }
      const df = this.defrag
      if (df.add(dp, proto, u16be(d, off + 4), fragOffset, more, d.subarray(off + ihl, end), ihl, proto, total)) {
        stats.fragmentsReassembled++
        const data = df.datagram
        dp.ipLength = df.headerLen + data.length
        dp.wirePackets = df.wirePackets
        dp.wireBytes = df.wireBytes
        this.transport(proto, data, 0, data.length, 0)
      }
      return
    }
    dp.ipLength = total
    dp.wirePackets = 1
    dp.wireBytes = total
    this.transport(proto, d, off + ihl, end, truncated)
  }

  /** RFC 8200 sections 3 and 4. */
  private ipv6(d: Buffer, off: number): void {
    const stats = this.stats
    const dp = this.dp
    stats.ipv6++
    if (this.lim - off < 40) {
      stats.bad('ipv6: truncated header')
      return
    }
    if (d[off] >> 4 !== 6) {
      stats.bad('ipv6: version is not 6')
      return
    }
    const plen = u16be(d, off + 4)
    let end: number
    let truncated = 0
    if (plen === 0) {
      // Jumbogram (RFC 2675) or segmentation offload: the captured length is all we have.
      stats.bad('ipv6: payload length 0, using captured length')
      end = this.lim
    } else {
      end = off + 40 + plen
      if (end > this.lim) {
        truncated = end - this.lim
        end = this.lim
        if (!this.snapCut) stats.bad('ipv6: payload length exceeds frame')
      }
    }
    dp.ipVersion = 6
    dp.src0 = u32be(d, off + 8)
    dp.src1 = u32be(d, off + 12)
    dp.src2 = u32be(d, off + 16)
    dp.src3 = u32be(d, off + 20)
    dp.dst0 = u32be(d, off + 24)
    dp.dst1 = u32be(d, off + 28)
    dp.dst2 = u32be(d, off + 32)
    dp.dst3 = u32be(d, off + 36)
    dp.ipLength = end + truncated - off
    dp.wirePackets = 1
    dp.wireBytes = dp.ipLength
    this.ipv6Chain(d, off, off + 40, end, truncated, d[off + 6], true)
  }

  /**
   * Walks the IPv6 extension header chain (RFC 8200 section 4.1 order is not enforced) from `pos`
   * with next header `nh`, then hands the upper layer to transport(). After reassembly the walk
   * continues inside the reassembled data (headers after the fragment header belong to it).
   */
  private ipv6Chain(
    buf: Buffer,
    ipStart: number,
    pos: number,
    end: number,
    truncated: number,
    nh: number,
    allowFragment: boolean,
  ): void {
    const stats = this.stats
    for (;;) {
      let len: number
      switch (nh) {
        case 0: // hop-by-hop options
        case 43: // routing
        case 60: // destination options
        case 135: // mobility (RFC 6275)
        case 139: // HIP (RFC 7401)
        case 140: // shim6 (RFC 5533)
          if (pos + 2 > end) {
            stats.bad('ipv6: truncated extension header')
            return
          }
          len = (buf[pos + 1] + 1) * 8
          break
        case 51: // AH (RFC 4302 section 2.2): length in 4-octet units minus 2
          if (pos + 2 > end) {
            stats.bad('ipv6: truncated extension header')
            return
          }
          len = (buf[pos + 1] + 2) * 4
          break
        case 44: {
          // Fragment header (RFC 8200 section 4.5): nh(1) reserved(1) offset(13)+res(2)+M(1) id(4)
          if (pos + 8 > end) {
            stats.bad('ipv6: truncated extension header')
            return
          }
          const ofm = u16be(buf, pos + 2)
          const fragOffset = ofm & 0xfff8
          const more = (ofm & 1) !== 0
          const next = buf[pos]
          if (fragOffset === 0 && !more) {
            // Atomic fragment (RFC 6946): processed as a whole packet.
            nh = next
            pos += 8
            continue
          }
          if (!allowFragment) {
            stats.bad('ipv6: fragment header inside reassembled packet')
            return
          }
          stats.fragments++
          if (truncated > 0) {
            stats.bad('ipv6: truncated fragment')
            return
          }
          const df = this.defrag
          if (!df.add(this.dp, 0, u32be(buf, pos + 4), fragOffset, more, buf.subarray(pos + 8, end), pos - ipStart, next, end - ipStart)) {
            return
          }
          stats.fragmentsReassembled++
          buf = df.datagram
          this.dp.ipLength = df.headerLen + buf.length
          this.dp.wirePackets = df.wirePackets
          this.dp.wireBytes = df.wireBytes
          nh = df.proto
          pos = 0
          end = buf.length
          allowFragment = false
          continue
        }
        default: // upper layer, ESP (50) and No Next Header (59) end the chain
          this.transport(nh, buf, pos, end, truncated)
          return
      }
      if (pos + len > end) {
        stats.bad(truncated > 0 ? 'ipv6: truncated extension header' : 'ipv6: extension header exceeds payload')
        return
      }
      nh = buf[pos]
      pos += len
    }
  }

  /**
   * Transport layer over buf[start, end); `truncated` bytes of the IP payload were not captured.
   * Counts the protocol, parses TCP/UDP headers, and delivers.
   */
  private transport(proto: number, buf: Buffer, start: number, end: number, truncated: number): void {
    const dp = this.dp
    const stats = this.stats
    dp.proto = proto
    dp.srcPort = 0
    dp.dstPort = 0
    dp.seq = 0
    dp.ack = 0
    dp.tcpFlags = 0
    dp.window = 0
    const avail = end - start
    if (proto === 6) {
      // RFC 9293 section 3.1.
      stats.tcpPackets++
      if (avail < 20) {
        stats.bad(avail + truncated < 20 ? 'tcp: segment shorter than header' : 'tcp: truncated header')
        return
      }
      const hlen = (buf[start + 12] >> 4) * 4
      if (hlen < 20) {
        stats.bad('tcp: bad data offset')
        return
      }
      if (hlen > avail) {
        stats.bad(avail + truncated < hlen ? 'tcp: data offset beyond segment' : 'tcp: truncated header')
        return
      }
      dp.srcPort = u16be(buf, start)
      dp.dstPort = u16be(buf, start + 2)
      dp.seq = u32be(buf, start + 4)
      dp.ack = u32be(buf, start + 8)
      dp.tcpFlags = buf[start + 13]
      dp.window = u16be(buf, start + 14)
      dp.payload = start + hlen < end ? buf.subarray(start + hlen, end) : EMPTY
      dp.payloadTruncated = truncated
      this.sink.ip(dp)
      return
    }
    if (proto === 17) {
      // RFC 768.
      stats.udpPackets++
      let udpEnd: number
      if (avail < 8) {
        stats.bad(avail + truncated < 8 ? 'udp: datagram shorter than header' : 'udp: truncated header')
        return
      }
      dp.srcPort = u16be(buf, start)
      dp.dstPort = u16be(buf, start + 2)
      const ulen = u16be(buf, start + 4)
      if (ulen < 8 || ulen > avail + truncated) {
        // Length field unusable: deliver everything the IP layer carries.
        stats.bad('udp: bad length field')
        udpEnd = end
        dp.payloadTruncated = truncated
      } else if (start + ulen <= end) {
        udpEnd = start + ulen
        dp.payloadTruncated = 0
      } else {
        udpEnd = end
        dp.payloadTruncated = start + ulen - end
      }
      dp.payload = start + 8 < udpEnd ? buf.subarray(start + 8, udpEnd) : EMPTY
      // Tunnel ports (a few number compares for ordinary traffic; see the file comment).
      const dport = dp.dstPort
      if (
        (dport === UDP_VXLAN || dport === UDP_GENEVE || dport === UDP_GTPU || dport === UDP_TEREDO || dp.srcPort === UDP_TEREDO) &&
        this.udpTunnel(buf, start + 8, udpEnd, dp.payloadTruncated)
      ) {
        return
      }
      this.sink.ip(dp)
      return
    }
    if (proto === 1 || proto === 58) stats.icmpPackets++
    else {
      stats.otherIpProto++
      if (proto === 47) {
        if (this.gre(buf, start, end)) return
      } else if (proto === 4 || proto === 41) {
        // RFC 2003 / RFC 4213 / RFC 2473: the payload is the inner IP packet.
        if (!this.enter(proto === 4 ? 'ipv4-in-ip' : 'ipv6-in-ip', -1, true)) return
        this.lim = end
        if (proto === 4) this.ipv4(buf, start)
        else this.ipv6(buf, start)
        return
      }
    }
    dp.payload = start < end ? buf.subarray(start, end) : EMPTY
    dp.payloadTruncated = truncated
    this.sink.ip(dp)
  }

  // ------------------------------------------------------------------------------ tunnels

  /**
   * Opens one tunnel layer: checks the depth bound (counting and returning false when exceeded),
   * then records the layer as the innermost. `overIp`: the layer is carried by the current IP
   * header (dp's addresses are the outer ones and are copied); false for MPLS/PPPoE, which keep the
   * previous outer IP, if any. Ports are reset (enterUdp sets them after this).
   */
  private enter(type: TunnelType, id: number, overIp: boolean): boolean {
    const t = this.tun
    if (t.depth >= this.maxTunnelDepth) {
      this.stats.bad(BAD_DEPTH)
      this.stats.limit('maxTunnelDepth')
      return false
    }
    t.depth++
    t.type = type
    t.id = id
    t.srcPort = 0
    t.dstPort = 0
    this.stats.tunnel(type)
    if (!overIp) return true
    const dp = this.dp
    t.ipVersion = dp.ipVersion
    t.src0 = dp.src0
    t.src1 = dp.src1
    t.src2 = dp.src2
    t.src3 = dp.src3
    t.dst0 = dp.dst0
    t.dst1 = dp.dst1
    t.dst2 = dp.dst2
    t.dst3 = dp.dst3
    return true
  }

  /** An Ethernet frame inside a tunnel, at d[off, this.lim). */
  private innerEthernet(d: Buffer, off: number): void {
    if (off + 14 > this.lim) {
      this.stats.bad('ethernet: truncated inner frame header')
      return
    }
    this.ether(d, off + 14, u16be(d, off + 12), false)
  }

  /**
   * RFC 3032 label stack at `off` (4-byte entries: label(20) TC(3) S(1) TTL(8) until S = 1), then
   * the payload guessed by its first nibble (see the file comment).
   */
  private mpls(d: Buffer, off: number): void {
    const t = this.tun
    const labels = t.labels
    let n = 0
    let label = 0
    for (;;) {
      if (off + 4 > this.lim) {
        this.stats.bad('mpls: truncated label stack')
        return
      }
      const e = u32be(d, off)
      label = e >>> 12
      if (n < MAX_MPLS_LABELS) labels[n++] = label
      off += 4
      if ((e & 0x100) !== 0) break
    }
    if (off >= this.lim) {
      this.stats.nonIp++
      return
    }
    const nib = d[off] >> 4
    if (nib === 0) {
      // RFC 4385 control word 0000 + flags/length/sequence, then (RFC 4448) an Ethernet frame.
      // Opened only when the frame's EtherType is one that leads to IP.
      const ft = off + 18 <= this.lim ? u16be(d, off + 16) : 0
      if (ft !== ETH_IPV4 && ft !== ETH_IPV6 && ft !== ETH_VLAN && ft !== ETH_QINQ && ft !== ETH_MPLS) {
        this.stats.nonIp++
        return
      }
    } else if (nib !== 4 && nib !== 6) {
      this.stats.nonIp++
      return
    }
    if (!this.enter('mpls', label, false)) return
    t.labelCount = n
    if (nib === 0) this.innerEthernet(d, off + 4)
    else this.raw(d, off)
  }

  /** RFC 2516 section 5: ver/type(1) = 0x11, code(1) = 0, session(2), length(2), then PPP (RFC 1661). */
  private pppoe(d: Buffer, off: number): void {
    if (off + 8 > this.lim) {
      this.stats.bad('pppoe: truncated header')
      return
    }
    if (d[off] !== 0x11 || d[off + 1] !== 0) {
      this.stats.bad('pppoe: bad version/type or code in a session frame')
      return
    }
    const len = u16be(d, off + 4)
    const pppProto = u16be(d, off + 6)
    if (pppProto !== 0x0021 && pppProto !== 0x0057) {
      this.stats.nonIp++ // LCP, IPCP, ...
      return
    }
    if (!this.enter('pppoe', u16be(d, off + 2), false)) return
    // The PPPoE length covers the PPP protocol and payload: trims Ethernet padding.
    if (len >= 2 && off + 6 + len < this.lim) this.lim = off + 6 + len
    if (pppProto === 0x0021) this.ipv4(d, off + 8)
    else this.ipv6(d, off + 8)
  }

  /**
   * GRE over buf[off, end) (RFC 2784 / 2890; version 1 per RFC 2637). Returns false when the outer
   * packet should be delivered as it is (malformed header, counted; or a payload we do not open).
   */
  private gre(buf: Buffer, off: number, end: number): boolean {
    const stats = this.stats
    if (off + 4 > end) {
      stats.bad('gre: truncated header')
      return false
    }
    const flags = u16be(buf, off)
    const ptype = u16be(buf, off + 2)
    const ver = flags & 7
    const seq = (flags & 0x1000) !== 0
    let o = off + 4
    let id = -1
    if (ver === 1) {
      // Enhanced GRE (PPTP): K must be set; key = payload length(2) call id(2); S, A optional.
      if (ptype !== ETH_PPP || (flags & 0x2000) === 0) {
        stats.bad('gre: bad enhanced (v1) header')
        return false
      }
      if (o + 4 > end) {
        stats.bad('gre: truncated header')
        return false
      }
      const plen = u16be(buf, o)
      id = u16be(buf, o + 2)
      o += 4
      if (seq) o += 4
      if ((flags & 0x0080) !== 0) o += 4
      if (o > end) {
        stats.bad('gre: truncated header')
        return false
      }
      if (plen === 0) return false // acknowledgement only
      const pend = Math.min(end, o + plen)
      // PPP (RFC 1661): optional address/control FF 03, protocol of 1 byte (odd, PFC) or 2.
      if (o + 2 <= pend && buf[o] === 0xff && buf[o + 1] === 0x03) o += 2
      if (o >= pend) return false
      let proto: number
      if ((buf[o] & 1) === 1) proto = buf[o++]
      else if (o + 2 <= pend) {
        proto = u16be(buf, o)
        o += 2
      } else return false
      if (proto !== 0x21 && proto !== 0x57) return false // compressed, encrypted (MPPE), control
      if (!this.enter('gre', id, true)) return true
      this.lim = pend
      if (proto === 0x21) this.ipv4(buf, o)
      else this.ipv6(buf, o)
      return true
    }
    if (ver !== 0) {
      stats.bad('gre: unknown version')
      return false
    }
    if ((flags & 0xc000) !== 0) o += 4 // checksum + offset (present when C or R)
    if ((flags & 0x2000) !== 0) {
      if (o + 4 > end) {
        stats.bad('gre: truncated header')
        return false
      }
      id = u32be(buf, o)
      o += 4
    }
    if (seq) o += 4
    if ((flags & 0x4000) !== 0) {
      // RFC 1701 source route entries: af(2) offset(1) length(1) data, until af 0 and length 0.
      for (;;) {
        if (o + 4 > end) {
          stats.bad('gre: truncated routing')
          return false
        }
        const af = u16be(buf, o)
        const sl = buf[o + 3]
        o += 4 + sl
        if (af === 0 && sl === 0) break
      }
    }
    if (o > end) {
      stats.bad('gre: truncated header')
      return false
    }
    if (ptype === ETH_ERSPAN_2 || ptype === ETH_ERSPAN_3) return this.erspan(buf, o, end, ptype, seq)
    if (
      ptype !== ETH_IPV4 &&
      ptype !== ETH_IPV6 &&
      ptype !== ETH_TEB &&
      ptype !== ETH_MPLS &&
      ptype !== ETH_MPLS_MC &&
      ptype !== ETH_VLAN &&
      ptype !== ETH_QINQ
    ) {
      return false
    }
    if (!this.enter('gre', id, true)) return true
    this.lim = end
    if (ptype === ETH_TEB) this.innerEthernet(buf, o)
    else this.ether(buf, o, ptype, true)
    return true
  }

  /**
   * ERSPAN inside GRE at buf[o, end). Type I: 0x88BE without a GRE sequence number, the mirrored
   * frame follows directly. Type II: ver(4)=1 vlan(12) cos(3) en(2) t(1) session(10) reserved(12)
   * index(20). Type III (0x22EB): ver(4)=2 vlan(12) cos(3) bso(2) t(1) session(10) timestamp(32)
   * sgt(16) p(1) ft(5) hw(6) d(1) gra(2) o(1), plus 8 platform bytes when o is set.
   */
  private erspan(buf: Buffer, o: number, end: number, ptype: number, seq: boolean): boolean {
    const stats = this.stats
    let id = -1
    let ip = false
    if (ptype === ETH_ERSPAN_2 && seq) {
      if (o + 8 > end) {
        stats.bad('erspan: truncated type II header')
        return false
      }
      if (buf[o] >> 4 !== 1) {
        stats.bad('erspan: bad type II version')
        return false
      }
      id = u16be(buf, o + 2) & 0x03ff
      o += 8
    } else if (ptype === ETH_ERSPAN_3) {
      if (o + 12 > end) {
        stats.bad('erspan: truncated type III header')
        return false
      }
      if (buf[o] >> 4 !== 2) {
        stats.bad('erspan: bad type III version')
        return false
      }
      id = u16be(buf, o + 2) & 0x03ff
      const ft = (buf[o + 10] >> 2) & 0x1f
      const sub = (buf[o + 11] & 1) !== 0
      o += sub ? 20 : 12
      if (o > end) {
        stats.bad('erspan: truncated type III header')
        return false
      }
      if (ft === 2) ip = true
      else if (ft !== 0) return false
    }
    if (!this.enter('erspan', id, true)) return true
    this.lim = end
    if (ip) this.raw(buf, o)
    else this.innerEthernet(buf, o)
    return true
  }

  /**
   * A UDP payload buf[s, e) on a tunnel port (dp holds the outer packet; `truncated` payload bytes
   * were not captured). Returns false when the outer datagram should be delivered as plain UDP.
   */
  private udpTunnel(buf: Buffer, s: number, e: number, truncated: number): boolean {
    const dp = this.dp
    const stats = this.stats
    const sport = dp.srcPort
    const dport = dp.dstPort
    const len = e - s
    if (dport === UDP_VXLAN) {
      // RFC 7348 section 5: flags(1, I = 0x08) reserved(3) VNI(3) reserved(1), then Ethernet.
      if (len < 8) {
        stats.bad('vxlan: truncated header')
        return false
      }
      if ((buf[s] & 0x08) === 0) {
        stats.bad('vxlan: VNI flag not set')
        return false
      }
      const vni = u32be(buf, s + 4) >>> 8
      if (!this.enterUdp('vxlan', vni, sport, dport)) return true
      this.tun.zone = ZONE_VXLAN + vni
      this.lim = e
      this.innerEthernet(buf, s + 8)
      return true
    }
    if (dport === UDP_GENEVE) {
      // RFC 8926 section 3.4: ver(2) optlen(6) O C rsvd(6) protocol(16) VNI(24) rsvd(8), options.
      if (len < 8) {
        stats.bad('geneve: truncated header')
        return false
      }
      if (buf[s] >> 6 !== 0) {
        stats.bad('geneve: unknown version')
        return false
      }
      const hl = 8 + (buf[s] & 0x3f) * 4
      if (hl > len) {
        stats.bad('geneve: truncated options')
        return false
      }
      const ptype = u16be(buf, s + 2)
      if (ptype !== ETH_TEB && ptype !== ETH_IPV4 && ptype !== ETH_IPV6) return false
      const vni = u32be(buf, s + 4) >>> 8
      if (!this.enterUdp('geneve', vni, sport, dport)) return true
      this.tun.zone = ZONE_GENEVE + vni
      this.lim = e
      if (ptype === ETH_TEB) this.innerEthernet(buf, s + hl)
      else this.ether(buf, s + hl, ptype, true)
      return true
    }
    if (dport === UDP_GTPU) {
      // TS 29.281 section 5.1: flags(1: version(3)=1 PT(1)=1 spare E S PN) type(1) length(2) TEID(4);
      // when any of E/S/PN: sequence(2) N-PDU(1) next extension type(1); extension headers of
      // length(1, in 4-octet units) ... next type(1) until type 0. Type 0xFF = G-PDU.
      if (len < 8) {
        stats.bad('gtpu: truncated header')
        return false
      }
      const flags = buf[s]
      if (flags >> 5 !== 1 || (flags & 0x10) === 0) {
        stats.bad('gtpu: not GTPv1')
        return false
      }
      if (buf[s + 1] !== 0xff) return false // echo, error indication, end marker: signalling
      const teid = u32be(buf, s + 4)
      let pe = s + 8 + u16be(buf, s + 2)
      if (pe > e) {
        if (pe > e + truncated) {
          stats.bad('gtpu: length exceeds datagram')
          return false
        }
        pe = e
      }
      let o = s + 8
      if ((flags & 0x07) !== 0) {
        if (o + 4 > pe) {
          stats.bad('gtpu: truncated header')
          return false
        }
        let next = buf[o + 3]
        o += 4
        while (next !== 0) {
          if (o >= pe) {
            stats.bad('gtpu: truncated extension header')
            return false
          }
          const el = buf[o] * 4
          if (el === 0) {
            stats.bad('gtpu: extension header length 0')
            return false
          }
          if (o + el > pe) {
            stats.bad('gtpu: truncated extension header')
            return false
          }
          next = buf[o + el - 1]
          o += el
        }
      }
      if (o >= pe) {
        stats.bad('gtpu: empty G-PDU')
        return false
      }
      const nib = buf[o] >> 4
      if (nib !== 4 && nib !== 6) return false // Ethernet or unstructured PDU sessions
      if (!this.enterUdp('gtpu', teid, sport, dport)) return true
      this.lim = pe
      this.raw(buf, o)
      return true
    }
    // Teredo (RFC 4380 section 5.1.1): [authentication: 00 01 id-len au-len id auth nonce(8)
    // confirmation(1)] [origin: 00 00 port(2) address(4)] then an IPv6 packet.
    let o = s
    if (len >= 4 && buf[o] === 0 && buf[o + 1] === 1) {
      o += 4 + buf[o + 2] + buf[o + 3] + 9
      if (o > e) {
        stats.bad('teredo: truncated authentication indication')
        return false
      }
    }
    if (o + 2 <= e && buf[o] === 0 && buf[o + 1] === 0) {
      o += 8
      if (o > e) {
        stats.bad('teredo: truncated origin indication')
        return false
      }
    }
    if (o + 40 > e || buf[o] >> 4 !== 6 || o + 40 + u16be(buf, o + 4) !== e + truncated) return false
    if (!this.enterUdp('teredo', -1, sport, dport)) return true
    this.lim = e
    this.ipv6(buf, o)
    return true
  }

  private enterUdp(type: TunnelType, id: number, sport: number, dport: number): boolean {
    if (!this.enter(type, id, true)) return false
    this.tun.srcPort = sport
    this.tun.dstPort = dport
    return true
  }
}
