/**
 * The flow records' schema (`--flows`): the fields a `type: "flow"` event carries beyond the common
 * ones (src/event/fields.ts). Single source for CSV columns and `pbx fields`.
 *
 * Common fields whose meaning differs in a flow event (not repeated here, so CSV columns stay
 * unique): `source.bytes` / `destination.bytes` (and `client.bytes` / `server.bytes`) are IP bytes
 * (IP total length summed over the packets each side sent, link layer excluded; a fragmented
 * datagram counts each fragment with its own header), `network.bytes` their sum; `event.start` / `event.end` are the first and last packet of the flow so far;
 * `event.type` is ["connection","end"] on final records and ["connection"] on interim ones;
 * `status` is always "OK" (Packetbeat's flow events have none; the Transaction contract requires
 * one); `network.protocol` is left out (a flow is not an application protocol).
 */
import type {FieldSpec} from '../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'flow.id', type: 'keyword', description: 'Stable flow id: base64url of a SHA-1 over transport, client and server address/port and the first packet time; the same on interim and final records.'},
  {name: 'flow.final', type: 'boolean', description: 'true on the last record of a flow (close, timeout, eviction, end of input); false on interim records (--flow-period).'},
  {name: 'flow.vlan', type: 'long', array: true, description: "VLAN ids of the flow's first packet: [id] for one 802.1Q tag, [outer, inner] for Q-in-Q. Always a list, unlike Packetbeat (a bare number for one tag), so that typed stores (ClickHouse, DuckDB) get one column type. Absent when untagged."},
  {name: 'event.action', type: 'keyword', description: 'Always "network_flow" on flow records.'},
  {name: 'source.mac', type: 'keyword', description: "Client's MAC address from the first packet's Ethernet header (lower-case, colon-separated, as Packetbeat writes it; Ethernet captures only)."},
  {name: 'destination.mac', type: 'keyword', description: "Server's MAC address from the first packet's Ethernet header."},
  {name: 'source.packets', type: 'long', description: 'Packets sent by the client (source) so far, as on the wire: each IP fragment of a reassembled datagram counts.'},
  {name: 'destination.packets', type: 'long', description: 'Packets sent by the server (destination) so far.'},
  {name: 'client.packets', type: 'long', description: 'Same as source.packets.'},
  {name: 'server.packets', type: 'long', description: 'Same as destination.packets.'},
  {name: 'network.packets', type: 'long', description: 'source.packets + destination.packets.'},
  {name: 'pbx.flow.end_reason', type: 'keyword', description: 'Final records only: fin (both FINs), rst, timeout (idle on capture time), evicted (maxConnections reached), eof (end of input), error (the protocol handler failed and the real end could not be told).'},
  {name: 'pbx.flow.history', type: 'keyword', description: "Zeek conn.log history: upper case = client, lower case = server; S syn, H syn-ack, A pure ack, D data, F fin, R rst, G content gap, T retransmission (each once per direction, in order of first occurrence)."},
  {name: 'pbx.flow.tcp_flags.source', type: 'keyword', description: 'TCP only: flags seen in client packets, as letters in header bit order F S R P A U E C (FIN SYN RST PSH ACK URG ECE CWR).'},
  {name: 'pbx.flow.tcp_flags.destination', type: 'keyword', description: 'TCP only: flags seen in server packets (letters as for source).'},
  {name: 'pbx.flow.payload_bytes.source', type: 'long', description: 'Transport payload bytes sent by the client (TCP/UDP data, retransmissions included, snaplen-cut bytes included).'},
  {name: 'pbx.flow.payload_bytes.destination', type: 'long', description: 'Transport payload bytes sent by the server.'},
]
