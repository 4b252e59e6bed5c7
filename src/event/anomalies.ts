/**
 * The anomaly codes: the one table of every note pbx can put on an event (after Zeek's weird
 * names). A protocol never writes a note as a bare string: it calls note(code) (the table's text)
 * or note(code, text) (a text with details such as byte counts), and the transaction builder
 * (./transaction.ts) puts the texts in the event's `notes` and the codes in `pbx.anomalies`, index
 * for index (same length and order; a protocol that drops a repeated text drops its code with it).
 *
 * Codes are a public contract: users match on them (`pbx.anomalies`), `pbx notes` lists them, and
 * test/event/anomalies.test.ts checks that this table is exactly the set of codes used in src/ and
 * that each is documented. Rename or remove a code only as a breaking change. Naming:
 * `<protocol>.<what>` for one protocol's anomalies, `tcp.*` / `udp.*` for transport ones met by a
 * protocol, `limit.*` for a bound of src/limits.ts that was reached.
 */

export interface AnomalySpec {
  /** What happened and what pbx did about it (`pbx notes`). */
  description: string
  /** The note's text when the protocol gives no text of its own. */
  text: string
}

const A = <T extends Record<string, AnomalySpec>>(t: T) => t

export const ANOMALIES = A({
  // --- transport ---------------------------------------------------------------------------------
  'tcp.gap': {
    description: 'Bytes of the TCP stream were never captured (or were dropped at a bound); the message they belonged to is cut short or lost. The text says where.',
    text: 'gap in the TCP stream',
  },
  'tcp.end_inside_message': {
    description: 'The connection ended (FIN, RST, timeout, end of input) in the middle of a message; the partial message is reported as it is.',
    text: 'connection ended inside a message',
  },
  // --- bounds (src/limits.ts) -------------------------------------------------------------------
  'limit.pending_requests': {
    description: 'More than limits.maxPendingRequests requests were waiting for a response on one connection; the oldest was emitted unanswered (src/protocols/shared/pending-queue.ts).',
    text: 'emitted unanswered: limits.maxPendingRequests requests were pending',
  },
  'limit.message_bytes': {
    description: 'A message was larger than limits.maxMessageBytes: it was skipped or kept truncated.',
    text: 'message larger than limits.maxMessageBytes skipped',
  },
  'limit.dtls_handshake_bytes': {
    description: 'A DTLS handshake message claimed more than limits.dtlsMaxHandshakeMessageBytes: it was skipped (its fragments dropped); later handshake messages are still read.',
    text: 'DTLS handshake message exceeds dtlsMaxHandshakeMessageBytes: skipped',
  },
  'limit.header_bytes': {
    description: 'An HTTP header or trailer section was larger than limits.maxHeaderBytes; the message was dropped or its trailers skipped.',
    text: 'header section exceeds maxHeaderBytes',
  },
  'limit.decoded_body_bytes': {
    description: 'A compressed HTTP body decodes to more than limits.maxDecodedBodyBytes; the decoded size reported is a lower bound.',
    text: 'decoded body exceeds maxDecodedBodyBytes: decoded size is a lower bound',
  },
  // --- http ----------------------------------------------------------------------------------------
  'http.no_response': {description: 'An HTTP request got no response before the connection ended.', text: 'no response'},
  'http.unmatched_response': {description: 'An HTTP response arrived with no request waiting for it (the request was not captured).', text: 'response without request'},
  'http.request_incomplete': {description: 'The HTTP request was not complete when its transaction was emitted (body cut short).', text: 'request incomplete'},
  'http.body_end_by_close': {description: 'A close-delimited HTTP body ended by a reset, timeout or end of input rather than a FIN; it may be incomplete.', text: 'body ended by connection close'},
  'http.unparsed_after_connect': {description: 'Bytes the client sent after a CONNECT, before the refusal, were not parsed.', text: 'bytes sent after CONNECT before its refusal were not parsed'},
  'http.resync': {description: 'Bytes that were not a plausible HTTP start line were skipped to find the next message.', text: 'resynchronised: bytes skipped before this message'},
  'http.bad_chunk': {description: 'Malformed chunked transfer coding (chunk-size line or the CRLF after chunk data).', text: 'bad chunk size line'},
  'http.bad_request_line': {description: 'Malformed HTTP request line.', text: 'request line without request-target'},
  'http.bad_version': {description: 'Malformed HTTP version in the request line.', text: 'bad HTTP version in request line'},
  'http.obs_fold': {description: 'Obsolete header line folding (RFC 9112 section 5.2).', text: 'obsolete header line folding'},
  'http.bad_header': {description: 'A malformed header field line (no colon, whitespace before the colon, ...).', text: 'bad header line'},
  'http.bad_content_length': {description: 'Invalid or conflicting Content-Length headers.', text: 'bad content-length'},
  'http.te_and_cl': {description: 'Both Transfer-Encoding and Content-Length are present (RFC 9112 section 6.3: Transfer-Encoding wins).', text: 'both transfer-encoding and content-length'},
  'http.bad_transfer_encoding': {description: 'A request Transfer-Encoding whose final coding is not chunked.', text: 'request transfer-encoding without chunked'},
  'http.bad_compressed_body': {description: 'A gzip/deflate body that does not decode; its decoded size is the part decoded.', text: 'malformed compressed body'},
  'http.decoded_size_unknown': {description: 'A gap in a compressed body: the decoded size is not known.', text: 'decoded size unknown: gap in compressed body'},
  'http.tunnel': {description: 'The connection left HTTP (CONNECT 2xx or 101 Switching Protocols); HTTP parsing stopped.', text: 'switching protocols: HTTP parsing stopped'},
  // --- http2 ---------------------------------------------------------------------------------------
  'http2.malformed': {description: 'A malformed HTTP/2 connection preface or frame (bad padding, bad frame size, a frame inside a header block, ...); that direction of the connection is not parsed further (HTTP/2 has no resynchronisation point).', text: 'malformed frame: rest of the stream not parsed'},
  'http2.hpack': {description: 'An HTTP/2 header block that HPACK cannot decode (bad index, bad Huffman code, table size update above the limit, ...): the compression context is lost and that direction is not parsed further.', text: 'header block not decodable'},
  'http2.rst_stream': {description: 'The stream was reset (RST_STREAM); the text names the side and the error code. Status is Error unless the code is NO_ERROR.', text: 'stream reset'},
  'http2.goaway': {description: 'A GOAWAY with an error code closed the connection, or the stream was above the last stream id a GOAWAY said was processed.', text: 'connection closed with GOAWAY'},
  'http2.no_response': {description: 'An HTTP/2 stream with a request but no response headers before it ended or the connection ended.', text: 'no response'},
  'http2.unmatched_response': {description: 'Server HEADERS on a stream whose request was not seen (the capture started mid-connection, or the request direction was not parsed).', text: 'response without request'},
  'http2.stream_incomplete': {description: 'The connection ended before both sides ended the stream (END_STREAM); sizes and message counts are what was seen.', text: 'stream not complete at end of connection'},
  'http2.upgraded': {description: 'Stream 1 of a connection upgraded from HTTP/1.1 (Upgrade: h2c): its request was sent as HTTP/1.1 (counted in the HTTP/1 transaction of the 101), its response as HTTP/2.', text: 'request sent as HTTP/1.1 with Upgrade: h2c'},
  'http2.grpc_truncated': {description: 'The DATA of a gRPC stream ended inside a length-prefixed message; the message is counted, its size is the announced one.', text: 'gRPC data ended inside a message'},
  // --- redis ---------------------------------------------------------------------------------------
  'redis.no_response': {description: 'A Redis request got no reply (end of connection, or a gap in the server stream).', text: 'no response'},
  'redis.unmatched_response': {description: 'A Redis reply arrived with no request waiting for it.', text: 'response without request'},
  'redis.malformed': {description: 'A malformed RESP message was skipped (or partly decoded); the text gives the reason.', text: 'malformed message'},
  'redis.bad_request': {description: 'A client message that is not an array of strings was skipped.', text: 'request that is not an array of strings skipped'},
  'redis.no_reply_expected': {description: 'A request sent under CLIENT REPLY OFF/SKIP: the server sends no reply; emitted at once.', text: 'no reply expected (CLIENT REPLY OFF/SKIP)'},
  'redis.server_push': {description: 'A message pushed by the server (pub/sub message, RESP3 push), not a reply to a request.', text: 'server push (pub/sub or client tracking), not a reply to a request'},
  'redis.partial_subscribe': {description: 'A (UN)SUBSCRIBE got fewer confirmations than channels before its transaction ended.', text: 'fewer subscribe confirmations than channels'},
  // --- memcache ------------------------------------------------------------------------------------
  'memcache.no_response': {description: 'A memcache request got no response (end of connection or flow, UDP timeout, or a gap in the server stream).', text: 'no response'},
  'memcache.unmatched_response': {description: 'A memcache response arrived with no request waiting for it.', text: 'response without request'},
  'memcache.response_incomplete': {description: 'A multi-unit memcache reply (VALUE/STAT ... END) was not closed when its transaction ended.', text: 'response incomplete'},
  'memcache.quiet_no_response': {description: 'A quiet request (binary GetQ/SetQ..., meta q flag) answered by silence: success or miss.', text: 'quiet request: no response (success or miss)'},
  'memcache.malformed': {description: 'A malformed memcache message was skipped; the text gives the reason.', text: 'malformed message skipped'},
  'memcache.bad_data_chunk': {description: 'A text storage command whose data block was not followed by CR LF (memcached answers CLIENT_ERROR bad data chunk and reads what follows as the next command).', text: 'bad data chunk: data block not terminated by CRLF'},
  'memcache.bad_udp_frame': {description: 'A memcache UDP datagram with a short or inconsistent 8-byte frame header was skipped.', text: 'bad UDP frame header (sequence / count)'},
  'memcache.udp_incomplete': {description: 'A multi-datagram memcache UDP message was still incomplete at the end of the flow; dropped.', text: 'incomplete multi-datagram UDP message dropped'},
  // --- mongodb -------------------------------------------------------------------------------------
  'mongodb.no_response': {description: 'A MongoDB request got no reply before the connection ended.', text: 'no response'},
  'mongodb.unmatched_response': {description: 'A MongoDB reply whose responseTo names no waiting request.', text: 'response without request'},
  'mongodb.no_reply_expected': {description: 'An OP_MSG with moreToCome from the client: no reply by design; emitted at once.', text: 'moreToCome: no reply expected'},
  'mongodb.exhaust_reply': {description: 'A further reply of an exhaust cursor (OP_MSG moreToCome from the server), reported as a transaction of the same command.', text: 'exhaust cursor reply'},
  'mongodb.reply_from_client': {description: 'An OP_REPLY sent by the client side (roles guessed wrong, or an odd stream); ignored.', text: 'OP_REPLY sent by the client side'},
  'mongodb.bad_header': {description: 'A malformed message header; the rest of the segment was skipped.', text: 'malformed message header; skipped to the next segment'},
  'mongodb.unknown_opcode': {description: 'A message with an unknown opcode was skipped (noted once per connection).', text: 'unknown opcode skipped'},
  'mongodb.truncated': {description: 'A MongoDB message shorter than its opcode requires.', text: 'message truncated'},
  'mongodb.bad_bson': {description: 'A BSON document that does not decode.', text: 'malformed BSON document'},
  'mongodb.document_not_rendered': {description: 'A BSON document too large or nested too deeply to render; left out.', text: 'document not rendered'},
  'mongodb.bad_op_msg': {description: 'A malformed OP_MSG section (body, document sequence, unknown kind).', text: 'malformed OP_MSG section'},
  'mongodb.compressed': {description: 'An OP_COMPRESSED message: not decompressed, so not decoded.', text: 'compressed, not decoded'},
  'mongodb.deprecated_opcode': {description: 'A deprecated opcode pbx does not decode.', text: 'deprecated opcode, not decoded'},
  // --- mysql ---------------------------------------------------------------------------------------
  'mysql.no_response': {description: 'A MySQL command got no response before the connection ended.', text: 'no response'},
  'mysql.unmatched_response': {description: 'A MySQL response arrived with no command waiting for it; the rest of it is skipped.', text: 'response without request'},
  'mysql.response_incomplete': {description: 'A MySQL response was still incomplete when the connection ended.', text: 'response incomplete at end of connection'},
  'mysql.auth_incomplete': {description: 'The MySQL login exchange was cut short by the end of the connection; reported as a failed LOGIN.', text: 'authentication incomplete at end of connection'},
  'mysql.tls': {description: 'The client asked for TLS (SSLRequest): the rest of the connection is encrypted and not parsed.', text: 'TLS requested (SSLRequest): encrypted traffic is not parsed'},
  'mysql.compressed': {description: 'Compression was negotiated: the rest of the connection is not parsed.', text: 'compression negotiated: compressed traffic is not parsed'},
  'mysql.unknown_statement': {description: 'COM_STMT_EXECUTE of a statement whose COM_STMT_PREPARE is not in the capture: no SQL text.', text: 'statement was not prepared in this capture'},
  'mysql.malformed': {description: 'A malformed MySQL packet (short command, bad column count, malformed OK/ERR, missing EOF, ...); the text names it.', text: 'malformed packet'},
  // --- pgsql ---------------------------------------------------------------------------------------
  'pgsql.no_response': {description: 'A PostgreSQL request got no response (end of connection, or the cycle was cut by a gap or the pending bound).', text: 'no response'},
  'pgsql.unmatched_response': {description: 'PostgreSQL server messages with no request cycle waiting for them.', text: 'response without request'},
  'pgsql.not_executed': {description: 'An Execute the server skipped because an earlier message of its batch failed.', text: 'not executed: an earlier message of the batch failed'},
  'pgsql.unknown_portal': {description: 'An Execute of a portal whose Bind is not in the capture: no SQL text.', text: 'portal was not bound in this capture'},
  'pgsql.encrypted': {description: 'SSLRequest or GSSENCRequest accepted: the rest of the connection is encrypted and not parsed.', text: 'encrypted traffic is not parsed'},
  // --- dns -----------------------------------------------------------------------------------------
  'dns.no_response': {description: 'A DNS query got no response (end of the flow or connection, or udpTransactionTimeoutSec of capture time on UDP).', text: 'no response'},
  'dns.unmatched_response': {description: 'A DNS response that matches no pending query (id and question).', text: 'response without request'},
  'dns.retransmitted': {description: 'The same query (id and question) was sent again while one was pending: the earlier copy is emitted unanswered.', text: 'no response before the query was retransmitted'},
  'dns.malformed': {description: 'A DNS message with a malformed part (name, compression pointer, record, RDATA, EDNS option); the text names it. The rest is still reported.', text: 'malformed message'},
  'dns.bad_compression': {description: 'A name whose compression pointer is truncated, does not point backwards (a loop) or is one of too many; the name is cut there.', text: 'malformed message: compression pointer does not point backwards'},
  'dns.short_message': {description: 'A DNS message shorter than the 12-byte header was skipped.', text: 'message shorter than the 12-byte header skipped'},
  'dns.bad_tcp_length': {description: 'A DNS-over-TCP length prefix shorter than the header; that message was skipped.', text: 'TCP message shorter than the header skipped'},
  'dns.transfer_incomplete': {description: 'A zone transfer (AXFR/IXFR) was not complete when its transaction was emitted.', text: 'zone transfer not complete'},
  'dns.records_cut': {description: 'A zone transfer listed more answers than pbx lists (MAX_LISTED_RECORDS); the counts stay exact.', text: 'zone transfer answers listed: first 1000'},
  // --- tls -----------------------------------------------------------------------------------------
  'tls.no_response': {description: 'A ClientHello without a ServerHello.', text: 'no response: no server hello'},
  'tls.unmatched_response': {description: 'A ServerHello without a ClientHello (the start of the connection was not captured).', text: 'response without request: server hello without client hello'},
  'tls.handshake_incomplete': {description: 'Both hellos were seen but the handshake did not complete (both sides never switched to encrypted records).', text: 'handshake incomplete'},
  'tls.fatal_alert': {description: 'A fatal alert was sent; the text names the first one and its side.', text: 'fatal alert'},
  'tls.hello_retry': {description: 'The server answered with a HelloRetryRequest (TLS 1.3).', text: 'hello retry request'},
  'tls.alerts_cut': {description: 'More alerts than pbx lists per session; the rest are only counted.', text: 'more alerts not listed'},
  'tls.ssl2': {description: 'An SSL 2.0 server hello: the SSLv2 session is not parsed further.', text: 'SSL 2.0 server hello (not parsed)'},
  'tls.malformed': {description: 'A malformed TLS record, handshake message, hello or certificate; the text names it and the side.', text: 'malformed record'},
  'tls.decrypt_failed': {description: 'A record did not authenticate with the key log secrets (AEAD tag, CBC MAC or padding): that direction is not decrypted further; the inner protocol sees a gap.', text: 'decryption failed'},
  'tls.decrypt_gap': {description: 'Bytes of a decrypted direction were lost: the record sequence number is unknown after them, so that direction is not decrypted further.', text: 'decryption stopped at a gap'},
  'tls.decrypt_bad_record': {description: 'A decrypted TLS 1.3 record had no content type (all padding); it was dropped.', text: 'decrypted record without content type'},
  'tls.decrypt_message_too_large': {description: 'A decrypted handshake message was larger than limits.maxMessageBytes; it was skipped.', text: 'decrypted handshake message exceeds maxMessageBytes'},
  'tls.decrypt_renegotiation': {description: 'A TLS 1.2 renegotiation (handshake after Finished) inside the decrypted stream: not followed; that direction stops.', text: 'renegotiation not followed'},
  // --- icmp ----------------------------------------------------------------------------------------
  'icmp.no_response': {description: 'An ICMP request got no reply within udpTransactionTimeoutSec of capture time, or before the end of input.', text: 'no response'},
  'icmp.unmatched_response': {description: 'An ICMP reply with no pending request.', text: 'response without request'},
  'icmp.repeated': {description: 'The same ICMP request (addresses, id, seq) was sent again while one was pending: the earlier one is emitted unanswered.', text: 'no response before the request was repeated'},
  'icmp.pending_limit': {description: 'More than limits.maxConnections ICMP requests were pending (run-wide); the oldest was emitted unanswered.', text: 'pending-request limit (maxConnections) reached'},
  // --- amqp ----------------------------------------------------------------------------------------
  'amqp.no_response': {description: 'An AMQP synchronous method got no -ok reply (end of connection, or a gap in the stream).', text: 'no response'},
  'amqp.unmatched_response': {description: 'An AMQP -ok reply with no request of the other side waiting for it on its channel.', text: 'response without request'},
  'amqp.closed_before_reply': {description: 'A channel.close / connection.close ended requests still waiting for their reply on that channel (the text names them).', text: 'no reply: the channel or connection was closed'},
  'amqp.content_incomplete': {description: 'A content-carrying method (publish, deliver, return, get-ok) whose header or body frames did not all arrive (a new method on the channel, a gap, or the end of the connection).', text: 'message content incomplete'},
  'amqp.unexpected_frame': {description: 'A content header or body frame with no content method open on its channel was skipped.', text: 'content frame without a content method skipped'},
  'amqp.unknown_method': {description: 'A method frame of an unknown class or method was skipped.', text: 'unknown method skipped'},
  'amqp.malformed': {description: 'A malformed frame, method argument list or content header (short, bad field type, bad frame-end); the text names it. Fields decoded before the fault are kept.', text: 'malformed frame'},
  'amqp.table_cut': {description: 'A field table (arguments, headers) had more entries, deeper nesting or longer strings than pbx renders; the rest was left out.', text: 'field table cut at its bound'},
  // --- sip -----------------------------------------------------------------------------------------
  'sip.unmatched_response': {description: 'A SIP response whose top Via branch and CSeq method match no request seen in the flow or connection (the request was not captured).', text: 'response without request'},
  'sip.retransmission': {description: 'A SIP request repeated while its transaction was pending, or a response repeated after the final one (UDP retransmission, RFC 3261 17).', text: 'retransmission'},
  'sip.malformed': {description: 'A malformed SIP message part (header line, CSeq, Content-Length); the text names it. The rest is still reported.', text: 'malformed message'},
  'sip.bad_message': {description: 'Bytes that are not a SIP message (no request or status line) were skipped; on TCP pbx resynchronises on the next start line.', text: 'not a SIP message: skipped'},
  // --- thrift --------------------------------------------------------------------------------------
  'thrift.no_response': {description: 'A Thrift call got no reply or exception with its seqid (end of connection, or a gap in the server stream).', text: 'no response'},
  'thrift.unmatched_response': {description: 'A Thrift reply or exception whose seqid and method name match no call waiting on the connection.', text: 'response without request'},
  'thrift.malformed': {description: 'Bytes that are not a Thrift message header, or a message body that cannot be read (bad type, negative length, too deep); the text names it. pbx resynchronises on the next header.', text: 'malformed message'},
  'thrift.value_cut': {description: 'A string, list, set, map or struct was longer than string_max_size / collection_max_size: its text ends in "...".', text: 'value cut at string_max_size / collection_max_size'},
  'thrift.fields_dropped': {description: 'A struct had more fields than drop_after_n_struct_fields: the parameters, return value and exceptions texts are left out.', text: 'texts left out: a struct had more than drop_after_n_struct_fields fields'},
  // --- nfs -----------------------------------------------------------------------------------------
  'nfs.no_response': {description: 'An NFS call got no reply (end of the connection or flow, or a UDP call older than limits.udpTransactionTimeoutSec); emitted alone with status Error.', text: 'no response'},
  'nfs.unmatched_response': {description: 'An RPC reply whose xid matches no call seen on the connection or flow (the call was not captured); reported with rpc.* only.', text: 'response without request'},
  'nfs.retransmission': {description: 'An RPC call repeated with the xid of a call still waiting (a retransmission), or a second reply to an xid already answered (dropped; the text names the xid).', text: 'retransmission'},
  'nfs.malformed': {description: 'NFS arguments or results that end early or do not decode (an unknown NFSv4 operation stops the walk of a COMPOUND); the text names what. What was decoded before is reported.', text: 'malformed message'},
  'nfs.not_rpc': {description: 'Bytes that are not an ONC RPC message were skipped: a TCP record or datagram with no valid RPC header, or bytes skipped to find the next record after a gap; the text says how many and where.', text: 'not an RPC message: skipped'},
  'nfs.encrypted': {description: 'The call uses RPCSEC_GSS privacy: its arguments and results are encrypted, so only the procedure is reported.', text: 'RPCSEC_GSS privacy: arguments and results encrypted'},
  'limit.compound_ops': {description: 'An NFSv4 COMPOUND had more operations than limits.nfsMaxCompoundOps; nfs.ops lists the first ones.', text: 'compound operations beyond limits.nfsMaxCompoundOps not listed'},
  // --- cassandra ----------------------------------------------------------------------------------
  'cassandra.no_response': {description: 'A CQL request got no response on its stream id (end of connection, a gap in the server stream, or the stream id was used again).', text: 'no response'},
  'cassandra.unmatched_response': {description: 'A CQL response whose stream id names no waiting request (the request was not captured).', text: 'response without request'},
  'cassandra.compressed': {description: 'A compressed frame body (v3/v4) whose algorithm is unknown: the STARTUP was not captured and the compressor option is not set. Header fields are reported, the body is not decoded.', text: 'compressed body not decoded: compression algorithm unknown (set protocols.cassandra.compressor)'},
  'cassandra.decompress_failed': {description: 'A compressed frame body or v5 frame payload that does not decompress (malformed LZ4 / Snappy, or larger than limits.maxMessageBytes); the text says why. The body is not decoded.', text: 'decompression failed'},
  'cassandra.bad_crc': {description: 'A v5 outer frame whose header CRC24 or payload CRC32 does not match: the payload is dropped, or the framer scans for the next valid header.', text: 'v5 frame checksum mismatch'},
  'cassandra.malformed': {description: 'A malformed CQL frame header or body (truncated value, bad inet, implausible header); the text names it. Fields decoded before the fault are kept.', text: 'malformed frame'},
  'cassandra.unknown_statement': {description: 'EXECUTE or BATCH of a prepared statement whose PREPARE is not in the capture: no query text.', text: 'prepared statement not in this capture'},
  'cassandra.list_cut': {description: 'A list or map in a body had more entries than pbx lists (100); the rest were skipped.', text: 'list entries not listed'},
  // --- dhcpv4 --------------------------------------------------------------------------------------
  'dhcpv4.short_message': {description: 'A datagram shorter than the 236-byte BOOTP header; reported with status Error and no dhcpv4 fields.', text: 'message shorter than the BOOTP header'},
  'dhcpv4.malformed': {description: 'A malformed DHCP option or header field (bad length, unterminated options, ...); the text names it.', text: 'malformed option'},
})

export type AnomalyCode = keyof typeof ANOMALIES

/** One note: a stable code and the human text shown in `notes`. Immutable; may be shared. */
export interface Note {
  readonly code: AnomalyCode
  readonly text: string
}

const defaults = new Map<AnomalyCode, Note>()

/**
 * The note for `code`: with the table's text (one shared frozen object per code), or with `text`
 * (details such as byte counts; a new object).
 */
export function note(code: AnomalyCode, text?: string): Note {
  if (text !== undefined) return {code, text}
  let n = defaults.get(code)
  if (n === undefined) {
    n = Object.freeze({code, text: ANOMALIES[code].text})
    defaults.set(code, n)
  }
  return n
}

/** Whether `notes` already holds a note with the text of `n` (protocols that report a text once). */
export function hasNote(notes: readonly Note[] | null | undefined, n: Note): boolean {
  if (notes == null) return false
  for (const x of notes) if (x.text === n.text) return true
  return false
}

/** `notes` without repeated texts, first occurrence kept (returns `notes` itself when none repeat). */
export function uniqueNotes(notes: Note[]): Note[] {
  if (notes.length < 2) return notes
  const seen = new Set<string>()
  const out: Note[] = []
  for (const n of notes) {
    if (seen.has(n.text)) continue
    seen.add(n.text)
    out.push(n)
  }
  return out.length === notes.length ? notes : out
}
