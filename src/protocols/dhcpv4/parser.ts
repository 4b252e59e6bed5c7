/**
 * DHCPv4 message decoding: the BOOTP fixed part (RFC 951, RFC 2131 section 2, 236 bytes), the
 * magic cookie 99.130.83.99 and the options (RFC 2132), including option overload (option 52:
 * more options in the `file` and/or `sname` fields, read after the main options).
 *
 * Contract: decodeDhcp never throws; it returns null when the message is shorter than the fixed
 * part, else the fields in Packetbeat's dhcpv4.* shape plus a list of malformations (an option
 * running past the end, a missing cookie, a bad option length). Strings are copies.
 */
import {ipv4ToString} from '../../util/ip.js'

export const FIXED_BYTES = 236
const COOKIE = 0x63825363

const MESSAGE_TYPES = ['', 'discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform', 'forcerenew', 'leasequery', 'leaseunassigned', 'leaseunknown', 'leaseactive', 'bulkleasequery', 'leasequerydone', 'activeleasequery', 'leasequerystatus', 'tls']

/** RFC 2132 option names (as Packetbeat/insomniacslk print them in parameter_request_list). */
const OPTION_NAMES: Record<number, string> = {
  1: 'Subnet Mask',
  2: 'Time Offset',
  3: 'Router',
  4: 'Time Server',
  5: 'Name Server',
  6: 'Domain Name Server',
  7: 'Log Server',
  8: 'Quote Server',
  9: 'LPR Server',
  10: 'Impress Server',
  11: 'Resource Location Server',
  12: 'Host Name',
  13: 'Boot File Size',
  14: 'Merit Dump File',
  15: 'Domain Name',
  16: 'Swap Server',
  17: 'Root Path',
  18: 'Extensions Path',
  19: 'IP Forwarding enable/disable',
  20: 'Non-local Source Routing enable/disable',
  21: 'Policy Filter',
  22: 'Maximum Datagram Reassembly Size',
  23: 'Default IP Time-to-live',
  24: 'Path MTU Aging Timeout',
  25: 'Path MTU Plateau Table',
  26: 'Interface MTU',
  27: 'All Subnets Are Local',
  28: 'Broadcast Address',
  29: 'Perform Mask Discovery',
  30: 'Mask Supplier',
  31: 'Perform Router Discovery',
  32: 'Router Solicitation Address',
  33: 'Static Routing Table',
  34: 'Trailer Encapsulation',
  35: 'ARP Cache Timeout',
  36: 'Ethernet Encapsulation',
  37: 'Default TCP TTL',
  38: 'TCP Keepalive Interval',
  39: 'TCP Keepalive Garbage',
  40: 'Network Information Service Domain',
  41: 'Network Information Servers',
  42: 'NTP Servers',
  43: 'Vendor Specific Information',
  44: 'NetBIOS over TCP/IP Name Server',
  45: 'NetBIOS over TCP/IP Datagram Distribution Server',
  46: 'NetBIOS over TCP/IP Node Type',
  47: 'NetBIOS over TCP/IP Scope',
  48: 'X Window System Font Server',
  49: 'X Window System Display Manager',
  50: 'Requested IP Address',
  51: 'IP Addresses Lease Time',
  52: 'Option Overload',
  53: 'DHCP Message Type',
  54: 'Server Identifier',
  55: 'Parameter Request List',
  56: 'Message',
  57: 'Maximum DHCP Message Size',
  58: 'Renew Time Value',
  59: 'Rebinding Time Value',
  60: 'Class Identifier',
  61: 'Client identifier',
  66: 'TFTP Server Name',
  67: 'Bootfile Name',
  81: 'Client FQDN',
  82: 'Relay Agent Information',
  119: 'DNS Domain Search List',
  121: 'Classless Static Route',
  249: 'Private Classless Static Route (Microsoft)',
  252: 'Web Proxy Auto-Discovery',
}

export function optionName(code: number): string {
  return OPTION_NAMES[code] ?? `unknown (${code})`
}

const HW_TYPES: Record<number, string> = {1: 'Ethernet', 6: 'IEEE 802', 7: 'ARCNET', 15: 'Frame Relay', 16: 'ATM', 20: 'Serial Line', 32: 'InfiniBand'}

export interface DhcpDecoded {
  /** dhcpv4.* fields (Packetbeat names). */
  fields: Record<string, unknown>
  /** DHCP message type number (option 53), 0 when absent (plain BOOTP). */
  messageType: number
  errors: string[]
}

function ipList(buf: Buffer, a: number, b: number): string[] | null {
  if (b - a === 0 || (b - a) % 4 !== 0) return null
  const out: string[] = []
  for (let p = a; p < b; p += 4) out.push(ipv4ToString(buf.readUInt32BE(p)))
  return out
}

/** A NUL-terminated (or full-length) text field. */
function cstr(buf: Buffer, a: number, b: number): string {
  let e = a
  while (e < b && buf[e] !== 0) e++
  return buf.toString('latin1', a, e)
}

function text(buf: Buffer, a: number, b: number): string {
  // trailing NULs are common padding in option strings
  while (b > a && buf[b - 1] === 0) b--
  return buf.toString('latin1', a, b)
}

/** Reads options from buf[a, b) into `opt`; returns the overload value (option 52) seen, or 0. */
function readOptions(buf: Buffer, a: number, b: number, opt: Record<string, unknown>, errors: string[], st: {type: number}): number {
  let overload = 0
  let p = a
  while (p < b) {
    const code = buf[p]
    if (code === 0) {
      p++
      continue
    }
    if (code === 255) return overload
    if (p + 1 >= b) {
      errors.push(`option ${code}: length past the end`)
      return overload
    }
    const len = buf[p + 1]
    const s = p + 2
    const e = s + len
    if (e > b) {
      errors.push(`option ${code}: length past the end`)
      return overload
    }
    const bad = (): void => {
      errors.push(`option ${code}: bad length ${len}`)
    }
    switch (code) {
      case 1:
        if (len === 4) opt.subnet_mask = ipv4ToString(buf.readUInt32BE(s))
        else bad()
        break
      case 2:
        if (len === 4) opt.utc_time_offset_sec = buf.readInt32BE(s)
        else bad()
        break
      case 3:
      case 4:
      case 6:
      case 42: {
        const l = ipList(buf, s, e)
        if (l === null) bad()
        else opt[code === 3 ? 'router' : code === 4 ? 'time_servers' : code === 6 ? 'dns_servers' : 'ntp_servers'] = l
        break
      }
      case 12:
        opt.hostname = text(buf, s, e)
        break
      case 15:
        opt.domain_name = text(buf, s, e)
        break
      case 28:
      case 50:
      case 54:
        if (len === 4) opt[code === 28 ? 'broadcast_address' : code === 50 ? 'requested_ip_address' : 'server_identifier'] = ipv4ToString(buf.readUInt32BE(s))
        else bad()
        break
      case 51:
      case 58:
      case 59:
        if (len === 4) opt[code === 51 ? 'ip_address_lease_time_sec' : code === 58 ? 'renewal_time_sec' : 'rebinding_time_sec'] = buf.readUInt32BE(s)
        else bad()
        break
      case 52:
        if (len === 1) overload = buf[s]
        else bad()
        break
      case 53:
        if (len === 1) {
          st.type = buf[s]
          opt.message_type = MESSAGE_TYPES[buf[s]] ?? String(buf[s])
        } else bad()
        break
      case 55: {
        const names: string[] = []
        for (let i = s; i < e; i++) names.push(optionName(buf[i]))
        opt.parameter_request_list = names
        break
      }
      case 56:
        opt.message = text(buf, s, e)
        break
      case 57:
        if (len === 2) opt.max_dhcp_message_size = buf.readUInt16BE(s)
        else bad()
        break
      case 60:
        opt.class_identifier = text(buf, s, e)
        break
      case 61:
        opt.client_identifier = buf.toString('hex', s, e)
        break
      case 67:
        opt.boot_file_name = text(buf, s, e)
        break
      default:
        break
    }
    p = e
  }
  errors.push('options not terminated by an end option')
  return overload
}

/** Decodes one DHCPv4/BOOTP message from the whole UDP payload. */
export function decodeDhcp(buf: Buffer): DhcpDecoded | null {
  if (buf.length < FIXED_BYTES) return null
  const errors: string[] = []
  const op = buf[0]
  const htype = buf[1]
  const hlen = buf[2]
  const flags = buf.readUInt16BE(10)
  const f: Record<string, unknown> = {
    op_code: op === 1 ? 'bootrequest' : op === 2 ? 'bootreply' : String(op),
    hardware_type: HW_TYPES[htype] ?? String(htype),
    hops: buf[3],
    transaction_id: '0x' + buf.toString('hex', 4, 8),
    seconds: buf.readUInt16BE(8),
    flags: flags & 0x8000 ? 'broadcast' : 'unicast',
  }
  const ciaddr = buf.readUInt32BE(12)
  const yiaddr = buf.readUInt32BE(16)
  const siaddr = buf.readUInt32BE(20)
  const giaddr = buf.readUInt32BE(24)
  if (ciaddr !== 0) f.client_ip = ipv4ToString(ciaddr)
  if (yiaddr !== 0) f.assigned_ip = ipv4ToString(yiaddr)
  if (siaddr !== 0) f.server_ip = ipv4ToString(siaddr)
  if (giaddr !== 0) f.relay_ip = ipv4ToString(giaddr)
  if (hlen > 16) errors.push(`hardware address length ${hlen} over 16`)
  const n = Math.min(hlen, 16)
  if (n > 0) {
    const parts: string[] = []
    for (let i = 0; i < n; i++) parts.push(buf.toString('hex', 28 + i, 29 + i))
    f.client_mac = parts.join(':')
  }
  const opt: Record<string, unknown> = {}
  const st = {type: 0}
  if (buf.length >= FIXED_BYTES + 4 && buf.readUInt32BE(FIXED_BYTES) === COOKIE) {
    const overload = readOptions(buf, FIXED_BYTES + 4, buf.length, opt, errors, st)
    // RFC 2131 4.1: `file` first, then `sname`, when overloaded
    if (overload & 1) readOptions(buf, 108, 236, opt, errors, st)
    if (overload & 2) readOptions(buf, 44, 108, opt, errors, st)
    if (!(overload & 2)) {
      const sname = cstr(buf, 44, 108)
      if (sname !== '') f.server_name = sname
    }
    if (!(overload & 1)) {
      const file = cstr(buf, 108, 236)
      if (file !== '') f.boot_file_name = file
    }
  } else {
    if (buf.length > FIXED_BYTES) errors.push('no DHCP magic cookie (plain BOOTP)')
    const sname = cstr(buf, 44, 108)
    if (sname !== '') f.server_name = sname
    const file = cstr(buf, 108, 236)
    if (file !== '') f.boot_file_name = file
  }
  if (Object.keys(opt).length > 0) f.option = opt
  return {fields: f, messageType: st.type, errors}
}
