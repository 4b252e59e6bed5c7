/**
 * The DNS protocol's schema: every field the dns protocol emits (Packetbeat's dns fields, ECS).
 * Single source for CSV columns and `pbx fields`.
 */
import type {FieldSpec} from '../../event/types.js'

const rr = (section: string, what: string): FieldSpec[] => [
  {
    name: `dns.${section}`,
    type: 'object',
    array: true,
    description: `${what} records (first 1000), each {name, type, class, ttl, data}.${section === 'answers' ? '' : ` Left out when include_${section} is false.`}`,
  },
  {name: `dns.${section}.name`, type: 'keyword', description: `Owner name of an ${what.toLowerCase()} record (no trailing dot; "." for the root).`},
  {name: `dns.${section}.type`, type: 'keyword', description: 'Record type mnemonic (A, MX, ...; TYPEnnn when unknown).'},
  {name: `dns.${section}.class`, type: 'keyword', description: 'Record class mnemonic (IN, CH, ...; CLASSnnn when unknown).'},
  {name: `dns.${section}.ttl`, type: 'long', description: 'Time to live in seconds.'},
  {
    name: `dns.${section}.data`,
    type: 'keyword',
    description: 'RDATA in presentation form as dig prints it (MX "10 mail.x", TXT quoted strings, SOA 7 fields, SVCB key=value); names without trailing dot; unknown types as RFC 3597 "\\# len hex".',
  },
]

export const fields: FieldSpec[] = [
  {name: 'request', type: 'text', description: 'The query as text (only with send_request), in the layout of Packetbeat\'s dnsToString: "ID n; QR query; OPCODE QUERY; FLAGS rd; RCODE NOERROR; QUESTION class IN, type A, name; ANSWER ...".'},
  {name: 'response', type: 'text', description: 'The response as text (only with send_response), as `request`; at most limits.maxCapturedMessageBytes characters.'},
  {name: 'method', type: 'keyword', description: 'DNS opcode of the message (QUERY, NOTIFY, UPDATE, ...).'},
  {name: 'query', type: 'keyword', description: 'Packetbeat summary of the first question: "class IN, type A, example.com".'},
  {name: 'resource', type: 'keyword', description: 'Name of the first question.'},
  {name: 'dns.type', type: 'keyword', description: '"answer" when a response was seen, "query" for a query alone.'},
  {name: 'dns.id', type: 'long', description: 'Message ID.'},
  {name: 'dns.op_code', type: 'keyword', description: 'Opcode: QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO (number when unassigned).'},
  {name: 'dns.flags.authoritative', type: 'boolean', description: 'AA bit (of the response when there is one, else of the query).'},
  {name: 'dns.flags.recursion_available', type: 'boolean', description: 'RA bit.'},
  {name: 'dns.flags.recursion_desired', type: 'boolean', description: 'RD bit.'},
  {name: 'dns.flags.truncated_response', type: 'boolean', description: 'TC bit: the response was truncated (the client should retry over TCP).'},
  {name: 'dns.flags.authentic_data', type: 'boolean', description: 'AD bit (DNSSEC).'},
  {name: 'dns.flags.checking_disabled', type: 'boolean', description: 'CD bit (DNSSEC).'},
  {name: 'dns.header_flags', type: 'keyword', array: true, description: 'ECS list of the header flags set: AA, TC, RD, RA, AD, CD.'},
  {name: 'dns.response_code', type: 'keyword', description: 'Response code including the EDNS extended bits (NOERROR, NXDOMAIN, BADVERS, ...); absent when no response was seen. Not NOERROR -> status Error.'},
  {name: 'dns.question.name', type: 'keyword', description: 'Name of the first question (UPDATE: the zone), as sent (case kept, punycode left as is, odd bytes as \\DDD), no trailing dot.'},
  {name: 'dns.question.type', type: 'keyword', description: 'Question type mnemonic (TYPEnnn when unknown).'},
  {name: 'dns.question.class', type: 'keyword', description: 'Question class mnemonic.'},
  {name: 'dns.question.registered_domain', type: 'keyword', description: 'The question name\'s registered domain, its public suffix plus one label (`example.co.uk`; public suffix list of publicsuffix.org, private domains included); a name that is a public suffix with one dot is its own. Absent when there is none (`localhost`, IP literals).'},
  {name: 'dns.question.etld_plus_one', type: 'keyword', description: 'Same value as dns.question.registered_domain (Packetbeat\'s older name for it, kept by Packetbeat too), without a trailing dot.'},
  {name: 'dns.question.top_level_domain', type: 'keyword', description: 'The public suffix of the question name (`com`, `co.uk`, `github.io`); the last label for a name under no listed suffix.'},
  {name: 'dns.question.subdomain', type: 'keyword', description: 'What precedes the registered domain in the question name (`www.shop` for www.shop.example.co.uk); absent when nothing does. Parts keep the case of the name as sent.'},
  {name: 'dns.answers_count', type: 'long', description: 'ANCOUNT of the response (UPDATE: prerequisites); for zone transfers the sum over all response messages.'},
  ...rr('answers', 'Answer'),
  {name: 'dns.authorities_count', type: 'long', description: 'NSCOUNT (UPDATE: updates); summed for zone transfers.'},
  ...rr('authorities', 'Authority'),
  {name: 'dns.additionals_count', type: 'long', description: 'ARCOUNT, including the OPT pseudo-record; summed for zone transfers.'},
  ...rr('additionals', 'Additional'),
  {name: 'dns.resolved_ip', type: 'ip', array: true, description: 'Addresses of the A and AAAA answers.'},
  {name: 'dns.opt.version', type: 'keyword', description: 'EDNS version (as a string, like Packetbeat); from the response, else the query.'},
  {name: 'dns.opt.do', type: 'boolean', description: 'EDNS DO bit (DNSSEC OK).'},
  {name: 'dns.opt.ext_rcode', type: 'keyword', description: 'EDNS extended RCODE bits (upper 8 bits << 4) as a mnemonic.'},
  {name: 'dns.opt.udp_size', type: 'long', description: 'EDNS advertised UDP payload size.'},
  {name: 'dns.opt.nsid', type: 'keyword', description: 'EDNS NSID option (hex).'},
  {name: 'dns.opt.subnet', type: 'keyword', description: 'EDNS client subnet option: address/source prefix/scope prefix.'},
  {name: 'dns.opt.cookie', type: 'keyword', description: 'EDNS cookie option (hex).'},
  {name: 'dns.opt.expire', type: 'keyword', description: 'EDNS EXPIRE option (seconds).'},
  {name: 'dns.opt.dau', type: 'keyword', description: 'EDNS DAU option: DNSSEC algorithms understood.'},
  {name: 'dns.opt.dhu', type: 'keyword', description: 'EDNS DHU option: DS hash algorithms understood.'},
  {name: 'dns.opt.n3u', type: 'keyword', description: 'EDNS N3U option: NSEC3 hash algorithms understood.'},
  {name: 'dns.opt.local', type: 'keyword', description: 'Other EDNS options, space-separated NAME:value (hex unless known, e.g. TCP-KEEPALIVE, PADDING, EDE).'},
]
