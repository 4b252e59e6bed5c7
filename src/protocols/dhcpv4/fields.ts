/**
 * The DHCPv4 protocol's schema (Packetbeat's dhcpv4 fields). Single source for CSV columns and
 * `pbx fields`.
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'method', type: 'keyword', description: 'DHCP message type in upper case (DISCOVER, OFFER, REQUEST, ACK, NAK, ...).'},
  {name: 'dhcpv4.op_code', type: 'keyword', description: 'bootrequest or bootreply.'},
  {name: 'dhcpv4.hardware_type', type: 'keyword', description: 'Hardware address type (Ethernet, ...).'},
  {name: 'dhcpv4.hops', type: 'long', description: 'Relay hops.'},
  {name: 'dhcpv4.transaction_id', type: 'keyword', description: 'xid as 0x-prefixed 8 hex digits.'},
  {name: 'dhcpv4.seconds', type: 'long', description: 'Seconds elapsed since the client began acquisition.'},
  {name: 'dhcpv4.flags', type: 'keyword', description: 'broadcast or unicast (the B flag).'},
  {name: 'dhcpv4.client_ip', type: 'ip', description: 'ciaddr (when not 0.0.0.0).'},
  {name: 'dhcpv4.assigned_ip', type: 'ip', description: 'yiaddr: address offered/assigned (when not 0.0.0.0).'},
  {name: 'dhcpv4.server_ip', type: 'ip', description: 'siaddr: next server (when not 0.0.0.0).'},
  {name: 'dhcpv4.relay_ip', type: 'ip', description: 'giaddr: relay agent (when not 0.0.0.0).'},
  {name: 'dhcpv4.client_mac', type: 'keyword', description: 'chaddr, hlen bytes as colon-separated hex.'},
  {name: 'dhcpv4.server_name', type: 'keyword', description: 'sname (when not empty and not overloaded with options).'},
  {name: 'dhcpv4.boot_file_name', type: 'keyword', description: 'file (when not empty and not overloaded with options).'},
  {name: 'dhcpv4.option.message_type', type: 'keyword', description: 'Option 53: discover, offer, request, decline, ack, nak, release, inform, ...'},
  {name: 'dhcpv4.option.parameter_request_list', type: 'keyword', array: true, description: 'Option 55: names of the requested options.'},
  {name: 'dhcpv4.option.requested_ip_address', type: 'ip', description: 'Option 50.'},
  {name: 'dhcpv4.option.server_identifier', type: 'ip', description: 'Option 54.'},
  {name: 'dhcpv4.option.subnet_mask', type: 'ip', description: 'Option 1.'},
  {name: 'dhcpv4.option.utc_time_offset_sec', type: 'long', description: 'Option 2 (signed seconds).'},
  {name: 'dhcpv4.option.router', type: 'ip', array: true, description: 'Option 3.'},
  {name: 'dhcpv4.option.time_servers', type: 'ip', array: true, description: 'Option 4.'},
  {name: 'dhcpv4.option.dns_servers', type: 'ip', array: true, description: 'Option 6.'},
  {name: 'dhcpv4.option.ntp_servers', type: 'ip', array: true, description: 'Option 42.'},
  {name: 'dhcpv4.option.hostname', type: 'keyword', description: 'Option 12.'},
  {name: 'dhcpv4.option.domain_name', type: 'keyword', description: 'Option 15.'},
  {name: 'dhcpv4.option.broadcast_address', type: 'ip', description: 'Option 28.'},
  {name: 'dhcpv4.option.ip_address_lease_time_sec', type: 'long', description: 'Option 51 (seconds).'},
  {name: 'dhcpv4.option.renewal_time_sec', type: 'long', description: 'Option 58, T1 (seconds).'},
  {name: 'dhcpv4.option.rebinding_time_sec', type: 'long', description: 'Option 59, T2 (seconds).'},
  {name: 'dhcpv4.option.message', type: 'keyword', description: 'Option 56 (error text, e.g. in a NAK).'},
  {name: 'dhcpv4.option.max_dhcp_message_size', type: 'long', description: 'Option 57.'},
  {name: 'dhcpv4.option.class_identifier', type: 'keyword', description: 'Option 60, vendor class identifier.'},
  {name: 'dhcpv4.option.client_identifier', type: 'keyword', description: 'Option 61 as hex (type byte first).'},
  {name: 'dhcpv4.option.boot_file_name', type: 'keyword', description: 'Option 67.'},
]
