/**
 * ICMPv4 (RFC 792, 950) and ICMPv6 (RFC 4443, 4861) message headers: type, code, echo id/seq, and
 * Packetbeat/gopacket-style readable names ("EchoRequest", "DestinationUnreachable(Port)").
 * Works on views; never throws: a message shorter than its header returns false from readIcmp.
 */

export interface IcmpHeader {
  type: number
  code: number
  /** Echo (and timestamp/info/mask) identifier and sequence number; 0 for other types. */
  id: number
  seq: number
}

/** Reads type/code/id/seq into `out` (reused by the caller). False when shorter than 4 bytes. */
export function readIcmp(buf: Buffer, out: IcmpHeader): boolean {
  if (buf.length < 4) return false
  out.type = buf[0]
  out.code = buf[1]
  if (buf.length >= 8) {
    out.id = (buf[4] << 8) | buf[5]
    out.seq = (buf[6] << 8) | buf[7]
  } else {
    out.id = 0
    out.seq = 0
  }
  return true
}

/** v4 request type -> reply type (echo, timestamp, information, address mask). */
export const V4_PAIRS: ReadonlyMap<number, number> = new Map([
  [8, 0],
  [13, 14],
  [15, 16],
  [17, 18],
])
/** v6 request type -> reply type (echo, node information). */
export const V6_PAIRS: ReadonlyMap<number, number> = new Map([
  [128, 129],
  [139, 140],
])

export function isRequest(version: 4 | 6, type: number): boolean {
  return (version === 4 ? V4_PAIRS : V6_PAIRS).has(type)
}

export function isReply(version: 4 | 6, type: number): boolean {
  return requestFor(version, type) >= 0
}

/** The request type a reply type answers, or -1. */
export function requestFor(version: 4 | 6, replyType: number): number {
  for (const [q, r] of version === 4 ? V4_PAIRS : V6_PAIRS) if (r === replyType) return q
  return -1
}

/** Types that report an error about another packet (status Error). */
export function isError(version: 4 | 6, type: number): boolean {
  if (version === 4) return type === 3 || type === 4 || type === 11 || type === 12
  return type >= 1 && type <= 4
}

/**
 * Link housekeeping not reported as events: IPv6 neighbour discovery, router discovery and MLD
 * (RFC 4861, 2710, 3810: types 130-136, 143), IPv4 router discovery (RFC 1256: 9, 10).
 */
export function isHousekeeping(version: 4 | 6, type: number): boolean {
  if (version === 4) return type === 9 || type === 10
  return (type >= 130 && type <= 136) || type === 143
}

const V4_TYPES: Record<number, string> = {
  0: 'EchoReply',
  3: 'DestinationUnreachable',
  4: 'SourceQuench',
  5: 'Redirect',
  8: 'EchoRequest',
  9: 'RouterAdvertisement',
  10: 'RouterSolicitation',
  11: 'TimeExceeded',
  12: 'ParameterProblem',
  13: 'TimestampRequest',
  14: 'TimestampReply',
  15: 'InfoRequest',
  16: 'InfoReply',
  17: 'AddressMaskRequest',
  18: 'AddressMaskReply',
}
const V4_CODES: Record<number, string[]> = {
  3: [
    'Net',
    'Host',
    'Protocol',
    'Port',
    'FragmentationNeeded',
    'SourceRoutingFailed',
    'NetUnknown',
    'HostUnknown',
    'SourceIsolated',
    'NetAdminProhibited',
    'HostAdminProhibited',
    'NetTOS',
    'HostTOS',
    'CommAdminProhibited',
    'HostPrecedence',
    'PrecedenceCutoff',
  ],
  5: ['Network', 'Host', 'TOSNetwork', 'TOSHost'],
  11: ['TTLExceeded', 'FragmentReassemblyTimeExceeded'],
  12: ['PointerIndicatesError', 'MissingOption', 'BadLength'],
}
const V6_TYPES: Record<number, string> = {
  1: 'DestinationUnreachable',
  2: 'PacketTooBig',
  3: 'TimeExceeded',
  4: 'ParameterProblem',
  128: 'EchoRequest',
  129: 'EchoReply',
  130: 'MulticastListenerQuery',
  131: 'MulticastListenerReport',
  132: 'MulticastListenerDone',
  133: 'RouterSolicitation',
  134: 'RouterAdvertisement',
  135: 'NeighborSolicitation',
  136: 'NeighborAdvertisement',
  137: 'Redirect',
  139: 'NodeInformationQuery',
  140: 'NodeInformationResponse',
  143: 'MLDv2MulticastListenerReport',
}
const V6_CODES: Record<number, string[]> = {
  1: ['NoRouteToDst', 'AdminProhibited', 'BeyondScopeOfSrc', 'AddressUnreachable', 'PortUnreachable', 'SrcAddressFailedPolicy', 'RejectRouteToDst'],
  3: ['HopLimitExceeded', 'FragmentReassemblyTimeExceeded'],
  4: ['ErroneousHeaderField', 'UnrecognizedNextHeader', 'UnrecognizedIPv6Option'],
}

/** Readable message: the type name, with the code's name in parentheses where codes are named. */
export function message(version: 4 | 6, type: number, code: number): string {
  const t = (version === 4 ? V4_TYPES : V6_TYPES)[type]
  if (t === undefined) return `Type${type}(Code${code})`
  const codes = (version === 4 ? V4_CODES : V6_CODES)[type]
  if (codes === undefined) return code === 0 ? t : `${t}(Code${code})`
  return `${t}(${codes[code] ?? `Code${code}`})`
}
