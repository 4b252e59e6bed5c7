/**
 * The HTTP protocol's schema: every field the http protocol puts in `Transaction.fields` and the
 * protocol-neutral summary fields it sets. Single source for CSV columns and `pbx fields`.
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'method', type: 'keyword', description: 'Request method as sent (GET, POST, ...).'},
  {name: 'query', type: 'keyword', description: 'Packetbeat summary: method and URL path, e.g. "GET /index.html" (no query string).'},
  {name: 'path', type: 'keyword', description: 'URL path of the request (as url.path).'},
  {name: 'http.version', type: 'keyword', description: 'HTTP version of the request (of the response when there is no request): 1.0, 1.1, or 0.9 for a simple request; absent when the version sent was malformed.'},
  {name: 'http.request.method', type: 'keyword', description: 'Request method as sent, case preserved.'},
  {name: 'http.request.bytes', type: 'long', description: 'Bytes of the request message on the wire: start line, headers, chunk framing, body, trailers.'},
  {name: 'http.request.body.bytes', type: 'long', description: 'Request body bytes on the wire after de-chunking, before content decoding; bytes lost in gaps are not counted.'},
  {name: 'http.request.mime_type', type: 'keyword', description: 'Request Content-Type without parameters, lower-cased.'},
  {name: 'http.request.referrer', type: 'keyword', description: 'Referer header of the request.'},
  {name: 'http.request.headers', type: 'object', description: 'Request headers (only with send_headers / send_all_headers; a send_headers list keeps those names plus content-type and content-length): lower-cased names, repeated fields joined with ", ", content-length as a number; cookie split into an object with split_cookie; redact_headers values "REDACTED", redact_authorization values "*".'},
  {name: 'http.request.body.content', type: 'text', description: 'Request body as text (only when include_body_for / include_request_body_for matches its Content-Type), decoded from gzip/deflate unless decode_body is false, at most max_message_size bytes with the head.'},
  {name: 'http.response.status_code', type: 'long', description: 'Status code of the final response.'},
  {name: 'http.response.status_phrase', type: 'keyword', description: 'Reason phrase of the final response as sent (may be empty).'},
  {name: 'http.response.bytes', type: 'long', description: 'Bytes of the final response message on the wire (interim 1xx responses are counted in destination.bytes only).'},
  {name: 'http.response.body.bytes', type: 'long', description: 'Response body bytes on the wire after de-chunking, before content decoding (tshark reports the decoded size: see pbx.http.response.body.decoded_bytes); gap bytes not counted.'},
  {name: 'http.response.mime_type', type: 'keyword', description: 'Response Content-Type without parameters, lower-cased.'},
  {name: 'http.response.headers', type: 'object', description: 'Response headers (only with send_headers / send_all_headers): as http.request.headers; set-cookie split into an object with split_cookie.'},
  {name: 'http.response.body.content', type: 'text', description: 'Response body as text (only when include_body_for / include_response_body_for matches its Content-Type), decoded as http.request.body.content.'},
  {name: 'request', type: 'text', description: 'Raw request (only with send_request): start line and headers as sent (Authorization values "*" with redact_authorization), plus the body when it is included; at most max_message_size characters.'},
  {name: 'response', type: 'text', description: 'Raw response (only with send_response): status line and headers as sent, plus the body when it is included; at most max_message_size characters.'},
  {name: 'network.forwarded_ip', type: 'ip', description: 'Client address from the real_ip_header header (its first comma-separated value, when it is an IP address).'},
  {name: 'url.original', type: 'keyword', description: 'Request-target as sent (UTF-8; bytes that are not well-formed UTF-8 as \\xNN).'},
  {name: 'url.full', type: 'keyword', description: 'scheme://host[:port]path[?query], host from an absolute target, the Host header, or the server address; :port exactly when url.port is set.'},
  {name: 'destination.domain', type: 'keyword', description: 'url.domain when it is a host name, not an IP address (also in server.domain and related.hosts), as Packetbeat sets it from the Host header.'},
  {name: 'url.scheme', type: 'keyword', description: 'URL scheme: http, or the scheme of an absolute-form target.'},
  {name: 'url.domain', type: 'keyword', description: 'Host from an absolute or authority-form target, else the Host header (port and IPv6 brackets removed), else the server IP.'},
  {name: 'url.port', type: 'long', description: "Port the request went to (explicit in the target or the Host header, else the server port), only when it is not the scheme's default (80 for http, 443 for https), as Packetbeat does."},
  {name: 'url.path', type: 'keyword', description: 'Path of the request-target, without query.'},
  {name: 'url.query', type: 'keyword', description: 'Query string of the request-target, without the "?"; absent when empty. With hide_keywords, rebuilt as Packetbeat does: query and urlencoded form parameters, sorted, re-encoded, hidden values "xxxxx" (url.original and url.full follow).'},
  {name: 'user_agent.original', type: 'keyword', description: 'User-Agent header of the request.'},
  {name: 'user.name', type: 'keyword', description: 'User name of an Authorization: Basic header (the password is not kept).'},
  {name: 'pbx.http.request.body.decoded_bytes', type: 'long', description: 'Decoded size of a gzip/deflate request body (limited by maxDecodedBodyBytes).'},
  {name: 'pbx.http.response.body.decoded_bytes', type: 'long', description: 'Decoded size of a gzip/deflate response body (limited by maxDecodedBodyBytes); this is what tshark reports as the body size.'},
  {name: 'pbx.http.interim_status_codes', type: 'long', array: true, description: 'Status codes of interim 1xx responses (100 Continue, 103 Early Hints, ...) that preceded the final response.'},
]
