/**
 * The event contract as one document: the field groups (common fields, each registered protocol in
 * registry order, flow records) and their Markdown rendering, which is committed as docs/SCHEMA.md
 * (`pbx fields --markdown > docs/SCHEMA.md`; test/output/schema-doc.test.ts fails when the file no
 * longer matches the code). The field lists themselves stay in src/event/fields.ts,
 * src/protocols/<name>/fields.ts and src/flows/fields.ts; nothing here adds or renames a field.
 *
 * The output is deterministic: same code, same bytes (no dates, no versions, no machine paths).
 */
import {commonFields} from '../event/fields.js'
import {fields as flowFields} from '../flows/index.js'
import {protocols} from '../protocols/registry.js'
import type {FieldSpec} from '../event/types.js'

export interface FieldGroup {
  /** 'common', a protocol name (its `type` value), or 'flow'. */
  name: string
  fields: readonly FieldSpec[]
}

/** Every field group pbx emits, in the order `pbx fields` prints them. */
export function fieldGroups(): FieldGroup[] {
  return [{name: 'common', fields: commonFields}, ...protocols.map((p) => ({name: p.name, fields: p.fields})), {name: 'flow', fields: flowFields}]
}

/**
 * The general rules of the contract: what the field tables cannot say. Hand-written, kept here so
 * that the whole document is generated from one place.
 */
const RULES = `# pbx event schema

<!-- GENERATED FILE, do not edit by hand. It is printed by \`pbx fields --markdown\` from the field
lists in src/event/fields.ts, src/protocols/<name>/fields.ts and src/flows/fields.ts, and from the
rules text in src/output/schema-doc.ts. Regenerate with:
    npm run build && ./bin/run.js fields --markdown > docs/SCHEMA.md
test/output/schema-doc.test.ts fails when this file is out of date. -->

This is the contract of \`pbx analyze --format ndjson\`: one JSON object per line, one line per
transaction (a request and its response, or a single message where a protocol has no reply), plus
one line per flow record with \`--flows\`. The names are those of Packetbeat's published events
(Elastic Common Schema), so the output loads into Elasticsearch next to Packetbeat data and jq
filters written for Packetbeat keep working. The CSV output uses the same names as column headers.

## General rules

- **Nesting.** A dotted name in the tables below is a path through nested objects, never a dotted
  key: \`http.request.method\` is written \`{"http":{"request":{"method":"GET"}}}\` and read in jq as
  \`.http.request.method\`. The one exception is \`@timestamp\`, a single top-level key. In CSV each
  dotted name is one column; an array becomes one cell with its items joined by \`;\`.
- **Absent, not null.** A field that does not apply to an event (no response, a value the packets
  did not carry) is left out; no field is ever \`null\`.
- **Determinism.** The same capture read with the same options gives byte-identical output on every
  run and every machine: keys are written in a fixed order, nothing depends on the wall clock, on
  randomness or on hash order, and whatever is still in flight when the input ends is flushed in a
  fixed order.
- **Times.** Every time comes from the capture's packet timestamps; pbx never reads the clock of the
  machine it runs on. Dates (\`@timestamp\`, \`event.start\`, \`event.end\`) are RFC 3339 in UTC with
  6 fractional digits for microsecond captures and 9 for nanosecond captures. \`@timestamp\` equals
  \`event.start\`: the first packet of the request. \`event.end\` is the last packet of the response
  (of the request when there is no response). \`event.duration\` is an integer number of
  nanoseconds, end minus start, never negative.
- **Status.** \`status\` takes Packetbeat's values: \`OK\`, \`Error\`, \`Client Error\`, \`Server Error\`.
  A request that got no response, or a response whose request was not seen, is still emitted,
  with \`status\` \`Error\` and a note naming the missing half.
- **Notes.** \`notes\` lists the anomalies met while building the event (a gap in the captured bytes,
  an unmatched half, a body cut at a limit, a malformed message, ...). Anomalies never abort a run;
  they become notes and run statistics.
- **Source and destination.** An event is oriented from client to server: \`source\` is the client,
  \`destination\` the server, and \`client.*\` / \`server.*\` repeat the same values. The client of a
  TCP connection is the sender of the SYN (else the receiver of the SYN-ACK); for a connection
  picked up mid-stream it is the side whose port is not a known service port (the higher port when
  that does not decide). The client of a UDP flow is the sender of its first datagram, unless that
  datagram went from a service port to a non-service port; DHCP is fixed by RFC 2131 (port 68 is the
  client). The one exception is an event made of a single message sent by the server (a DHCP
  OFFER or ACK, a Redis push message), and an HTTP connection whose first bytes are a request from
  the TCP server (roles reversed, e.g. a request carried on the SYN-ACK): \`source\` and
  \`destination\` then describe the message as sent (the server's side as source), while
  \`client\` and \`server\` keep their roles.
- **Bytes.** In transactions, \`source.bytes\` and \`destination.bytes\` count application bytes each
  side sent within the transaction; in flow records they count IP bytes (the IP total length of
  every packet each side sent, link layer excluded).
- **Extras.** Fields under \`pbx.\` are pbx's own additions, not part of ECS.
- **Common enrichments.** Every event has \`ecs.version\` ("8.0.0", what Packetbeat 8.x writes),
  \`related.ip\` (its addresses, deduplicated), \`related.hosts\` when a host name is known
  (\`destination.domain\` from the HTTP Host header or the TLS SNI), and \`network.direction\`.
  Packetbeat compares addresses with the capturing host's own or with \`internal_networks\`; a
  capture file carries no host addresses, so pbx always applies address ranges: private (RFC 1918,
  fc00::/7, Packetbeat's \`private\`) plus loopback, link-local and 100.64/10 are internal.

## Where pbx deliberately differs from Packetbeat

Checked against Packetbeat's own system-test expectations (test/corpus/packetbeat.test.ts, each
difference recorded with its reason in test/corpus/packetbeat/exceptions.ts):

- **Case as sent.** \`http.request.method\`, \`method\` and status phrases keep the case on the
  wire (Packetbeat lower-cases them), so a non-standard \`get\` stays distinguishable from \`GET\`.
- **Flow bytes from the IP header.** Flow records count IP bytes (IP total length per packet, each
  fragment of a fragmented datagram with its own header, as on the wire), the same whatever the
  link layer; Packetbeat counts frame bytes (14 more per Ethernet packet, 4 more per VLAN tag).
- **\`flow.vlan\` is always a list** (\`[10]\`, \`[outer, inner]\`), so typed stores get one column
  type; Packetbeat writes a bare number for a single tag.
- **Transaction bytes everywhere.** \`network.bytes\` is set on every transaction, TLS included.
- **Headers when asked.** \`http.*.headers\` appear only with \`send_headers\` (Packetbeat always
  keeps content-length/content-type); the same facts are \`http.*.body.bytes\` / \`mime_type\`.
- **\`url.query\`** is the request-target's query only (Packetbeat adds a form POST body's fields).
- **Loss in \`notes\`.** Packet loss is reported in \`notes\` / \`pbx.anomalies\`, not \`error.message\`.
- **The leaf certificate once**, under ECS \`tls.server.x509.*\` (Packetbeat repeats it as
  \`tls.detailed.server_certificate\`); the rest of the chain is \`tls.detailed.server_certificate_chain\`.
- **\`event.category\` / \`event.type\`** are \`["network"]\` / \`["connection","protocol"]\` on every
  transaction (Packetbeat 8: \`["network_traffic","network"]\`, ICMP \`["connection"]\`).
`

/** A Markdown table cell: pipes escaped, line breaks flattened. */
function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function groupTitle(g: FieldGroup): string {
  if (g.name === 'common') return 'Common fields (every transaction event)'
  if (g.name === 'flow') return 'Flow records (`type: "flow"`, with `--flows`)'
  return `${g.name} (\`type: "${g.name}"\`)`
}

/** docs/SCHEMA.md: the rules, then one table per group. Ends with exactly one newline. */
export function schemaMarkdown(groups: readonly FieldGroup[] = fieldGroups()): string {
  const out: string[] = [RULES]
  out.push('## Contents\n')
  for (const g of groups) out.push(`- [${g.name}](#${g.name}) (${g.fields.length} fields)`)
  out.push('')
  for (const g of groups) {
    // An explicit anchor: heading slugs differ between renderers.
    out.push(`<a id="${g.name}"></a>`, '', `## ${groupTitle(g)}`, '')
    out.push('| name | type | array | description |', '|---|---|---|---|')
    for (const f of g.fields) out.push(`| \`${f.name}\` | ${f.type} | ${f.array ? 'yes' : ''} | ${mdCell(f.description)} |`)
    out.push('')
  }
  return out.join('\n')
}
