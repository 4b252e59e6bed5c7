/**
 * Fields every transaction event carries (SCHEMA.md, "Every transaction event"). Protocol folders
 * add their own in <proto>/fields.ts. Together they are the single source for CSV columns and
 * `pbx fields`.
 */
import type {FieldSpec} from './types.js'

export const commonFields: FieldSpec[] = [
  {name: '@timestamp', type: 'date', description: 'Start of the transaction (first request packet), capture clock, RFC 3339 UTC.'},
  {name: 'type', type: 'keyword', description: 'Protocol of the transaction (http, dns, ...).'},
  {name: 'status', type: 'keyword', description: "Outcome: OK, Error, Client Error or Server Error (Packetbeat's values)."},
  {name: 'event.kind', type: 'keyword', description: 'Always "event".'},
  {name: 'event.category', type: 'keyword', array: true, description: 'Always ["network"].'},
  {name: 'event.type', type: 'keyword', array: true, description: 'Always ["connection","protocol"].'},
  {name: 'event.dataset', type: 'keyword', description: 'Same as type.'},
  {name: 'event.start', type: 'date', description: 'First packet of the request.'},
  {name: 'event.end', type: 'date', description: 'Last packet of the response (or of the request when there is none).'},
  {name: 'event.duration', type: 'long', description: 'event.end minus event.start, in nanoseconds.'},
  {name: 'event.action', type: 'keyword', description: 'Protocol-specific action, where a protocol sets one.'},
  {name: 'source.ip', type: 'ip', description: 'Client address.'},
  {name: 'source.port', type: 'long', description: 'Client port (TCP/UDP).'},
  {name: 'source.bytes', type: 'long', description: 'Application bytes sent by the client in this transaction.'},
  {name: 'destination.ip', type: 'ip', description: 'Server address.'},
  {name: 'destination.port', type: 'long', description: 'Server port (TCP/UDP).'},
  {name: 'destination.bytes', type: 'long', description: 'Application bytes sent by the server in this transaction.'},
  {name: 'client.ip', type: 'ip', description: 'Same as source.ip.'},
  {name: 'client.port', type: 'long', description: 'Same as source.port.'},
  {name: 'client.bytes', type: 'long', description: 'Same as source.bytes.'},
  {name: 'server.ip', type: 'ip', description: 'Same as destination.ip.'},
  {name: 'server.port', type: 'long', description: 'Same as destination.port.'},
  {name: 'server.bytes', type: 'long', description: 'Same as destination.bytes.'},
  {name: 'network.transport', type: 'keyword', description: 'tcp, udp, icmp or ipv6-icmp.'},
  {name: 'network.type', type: 'keyword', description: 'ipv4 or ipv6.'},
  {name: 'network.protocol', type: 'keyword', description: 'Same as type.'},
  {name: 'network.community_id', type: 'keyword', description: 'Community ID v1 (seed 0) of the 5-tuple.'},
  {
    name: 'network.direction',
    type: 'keyword',
    description:
      "internal, outbound, inbound or external, from source to destination, with Packetbeat 8's internal_networks semantics: an address is internal when it is private (RFC 1918, fc00::/7: Packetbeat's named network `private`) or, unlike Packetbeat's `private`, loopback, link-local or 100.64/10 (a capture file has no host addresses to compare with, so the ranges decide; loopback traffic is internal rather than Packetbeat's external). unknown only when an address is not parseable.",
  },
  {name: 'network.bytes', type: 'long', description: 'source.bytes + destination.bytes.'},
  {name: 'related.ip', type: 'ip', array: true, description: "Every IP address of the event, deduplicated: client, server, then network.forwarded_ip when present."},
  {name: 'related.hosts', type: 'keyword', array: true, description: 'Host names of the event, deduplicated: client.domain then server.domain (HTTP Host header, TLS SNI, ...). Absent when there is none.'},
  {name: 'ecs.version', type: 'keyword', description: 'ECS version of the event: "8.0.0", the version Packetbeat 8.x writes.'},
  {name: 'method', type: 'keyword', description: 'Protocol-neutral request method or command (GET, SELECT, ...).'},
  {name: 'query', type: 'keyword', description: 'Protocol-neutral summary of the request (e.g. "GET /index.html", the SQL text).'},
  {name: 'resource', type: 'keyword', description: 'Protocol-neutral resource (URL path, collection, key, ...).'},
  {name: 'path', type: 'keyword', description: 'Protocol-neutral path (URL path, table, ...).'},
  {name: 'notes', type: 'keyword', array: true, description: 'Anomalies met while building this event (gap, unmatched half, truncated body, ...).'},
  {name: 'pbx.anomalies', type: 'keyword', array: true, description: 'Stable code of each note, index for index with notes (src/event/anomalies.ts; listed by `pbx notes`).'},
  {name: 'pbx.frames', type: 'long', array: true, description: 'First and last frame numbers of the transaction in its capture file.'},
  {name: 'pbx.file', type: 'keyword', description: 'Input file name, when several files are read in one run.'},
  // pbx.tunnel: the encapsulation the connection's first packet arrived in (src/decode/tunnel.ts).
  // ECS and Packetbeat have no tunnel fields; Zeek's tunnel.log keeps a tunnel_type plus the outer
  // connection's addresses, which is what these hold, in pbx's own namespace.
  {
    name: 'pbx.tunnel.type',
    type: 'keyword',
    description:
      'Innermost tunnel layer around the connection: vxlan, geneve, gre, erspan, mpls, gtpu, ipv4-in-ip, ipv6-in-ip, pppoe or teredo. Absent when not tunneled.',
  },
  {
    name: 'pbx.tunnel.id',
    type: 'long',
    description:
      'Identifier of that layer: VXLAN/Geneve VNI, GRE key (or PPTP call id), ERSPAN session id, GTP-U TEID, PPPoE session id, MPLS bottom-of-stack label. Absent when the layer has none.',
  },
  {name: 'pbx.tunnel.depth', type: 'long', description: 'Number of tunnel layers around the inner packet (1 = one tunnel).'},
  {
    name: 'pbx.tunnel.source_ip',
    type: 'ip',
    description: "Outer IP address on the event source's side (the innermost IP header enclosing the tunnel). Absent for MPLS/PPPoE straight over Ethernet.",
  },
  {name: 'pbx.tunnel.destination_ip', type: 'ip', description: "Outer IP address on the event destination's side."},
  {name: 'pbx.tunnel.source_port', type: 'long', description: "Outer UDP port on the source's side (VXLAN, Geneve, GTP-U, Teredo)."},
  {name: 'pbx.tunnel.destination_port', type: 'long', description: "Outer UDP port on the destination's side."},
  {name: 'pbx.tunnel.mpls_labels', type: 'long', array: true, description: 'MPLS label stack, top first (type mpls only; at most 8 kept).'},
]
