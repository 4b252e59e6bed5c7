/**
 * The HTTP/2 protocol's schema. A stream is one transaction with HTTP/1's field names
 * (../http/fields.ts) where HTTP/2 has the same thing, http.version "2", and the gRPC fields for
 * streams whose content-type is application/grpc*. Single source for CSV columns and `pbx fields`.
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'method', type: 'keyword', description: 'The :method pseudo-header (GET, POST, ...).'},
  {name: 'query', type: 'keyword', description: 'Packetbeat summary: method and URL path, e.g. "POST /helloworld.Greeter/SayHello" (no query string).'},
  {name: 'path', type: 'keyword', description: 'URL path of the request (as url.path).'},
  {name: 'http.version', type: 'keyword', description: 'Always "2".'},
  {name: 'http.request.method', type: 'keyword', description: 'The :method pseudo-header, as sent.'},
  {name: 'http.request.bytes', type: 'long', description: 'Bytes of the client frames of the stream on the wire (9-byte frame headers, header blocks, DATA with padding, RST_STREAM, WINDOW_UPDATE, PRIORITY).'},
  {name: 'http.request.body.bytes', type: 'long', description: 'Request DATA payload bytes without padding.'},
  {name: 'http.request.mime_type', type: 'keyword', description: 'Request content-type without parameters, lower-cased.'},
  {name: 'http.request.referrer', type: 'keyword', description: 'referer header of the request.'},
  {name: 'http.request.headers', type: 'object', description: 'Request header fields without pseudo-headers (only with send_headers): repeated fields joined with ", ", content-length as a number.'},
  {name: 'http.response.status_code', type: 'long', description: 'The :status of the final response.'},
  {name: 'http.response.bytes', type: 'long', description: 'Bytes of the server frames of the stream on the wire (as http.request.bytes; a PUSH_PROMISE counts on the promised stream).'},
  {name: 'http.response.body.bytes', type: 'long', description: 'Response DATA payload bytes without padding.'},
  {name: 'http.response.mime_type', type: 'keyword', description: 'Response content-type without parameters, lower-cased.'},
  {name: 'http.response.headers', type: 'object', description: 'Response header fields without pseudo-headers (only with send_headers), as http.request.headers.'},
  {name: 'url.original', type: 'keyword', description: 'The :path pseudo-header as sent (latin1-decoded).'},
  {name: 'url.full', type: 'keyword', description: 'scheme://host[:port]path[?query] from :scheme, :authority (else host, else the server address) and :path.'},
  {name: 'url.scheme', type: 'keyword', description: 'The :scheme pseudo-header.'},
  {name: 'url.domain', type: 'keyword', description: 'Host of :authority (else of the host header; port and IPv6 brackets removed), else the server IP.'},
  {name: 'url.port', type: 'long', description: 'Port when explicit in :authority (or the server port when there is no authority and it is not 80 or 443).'},
  {name: 'url.path', type: 'keyword', description: 'Path of :path, without query.'},
  {name: 'url.query', type: 'keyword', description: 'Query string of :path, without the "?"; absent when empty.'},
  {name: 'user_agent.original', type: 'keyword', description: 'user-agent header of the request.'},
  {name: 'user.name', type: 'keyword', description: 'User name of an authorization: Basic header (the password is not kept).'},
  {name: 'pbx.http2.stream_id', type: 'long', description: 'The HTTP/2 stream identifier.'},
  {name: 'pbx.http.interim_status_codes', type: 'long', array: true, description: 'Status codes of interim 1xx responses that preceded the final response.'},
  {name: 'grpc.service', type: 'keyword', description: 'gRPC service from :path "/<package.Service>/<Method>".'},
  {name: 'grpc.method', type: 'keyword', description: 'gRPC method from :path.'},
  {name: 'grpc.status_code', type: 'long', description: 'grpc-status from the trailers (or a trailers-only response); status is Error when it is not 0 (OK).'},
  {name: 'grpc.message', type: 'keyword', description: 'grpc-message from the trailers, percent-decoded.'},
  {name: 'grpc.encoding', type: 'keyword', description: 'grpc-encoding of the request (message compression: gzip, ...).'},
  {name: 'grpc.request.messages', type: 'long', description: 'Length-prefixed messages sent by the client (more than one for client- and bidi-streaming calls).'},
  {name: 'grpc.request.message_bytes', type: 'long', description: 'Sum of the client message lengths (without the 5-byte prefixes).'},
  {name: 'grpc.request.compressed_messages', type: 'long', description: 'Client messages with the compressed flag set.'},
  {name: 'grpc.response.messages', type: 'long', description: 'Length-prefixed messages sent by the server (more than one for server- and bidi-streaming calls).'},
  {name: 'grpc.response.message_bytes', type: 'long', description: 'Sum of the server message lengths (without the 5-byte prefixes).'},
  {name: 'grpc.response.compressed_messages', type: 'long', description: 'Server messages with the compressed flag set.'},
]
