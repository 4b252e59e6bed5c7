/**
 * The http protocol options (`protocols.http.*`, Packetbeat's names and meanings), read once per
 * options object (the config loader normalises them: booleans, lists of strings, seconds) and
 * shared by every connection of a run. Unset options keep pbx's default output.
 *
 *   send_headers            true: every header in http.{request,response}.headers; a list: only
 *                           those names (plus content-length and content-type, as Packetbeat).
 *   send_all_headers        as send_headers: true.
 *   split_cookie            Cookie / Set-Cookie values become {name: value} objects.
 *   real_ip_header          first comma-separated value of that header -> network.forwarded_ip.
 *   hide_keywords           values of those query / urlencoded form parameters become 'xxxxx';
 *                           url.query is then rebuilt as Packetbeat does (sorted, re-encoded,
 *                           form parameters of the request body merged in).
 *   redact_authorization    Authorization / Proxy-Authorization values become '*' (headers and raw
 *                           request), and user.name is not extracted.
 *   redact_headers          values of those headers become 'REDACTED'.
 *   send_request/response   raw message text in `request` / `response`: the head as sent, plus the
 *                           body when it is included.
 *   include_body_for, include_request_body_for, include_response_body_for
 *                           body text in http.{request,response}.body.content when the
 *                           Content-Type contains one of the strings.
 *   decode_body             (default true, as Packetbeat) gzip/deflate bodies are decoded before
 *                           they are included.
 *   max_message_size        bytes of one message (head + body) kept for the above; never more than
 *                           limits.maxCapturedMessageBytes.
 *   transaction_timeout     seconds of capture time a request waits for its response; older ones
 *                           are emitted unanswered when the connection next sees data.
 */
import type {Limits} from '../../limits.js'
import type {HttpMessage} from './parser.js'

export interface HttpOptions {
  /** Headers objects are emitted. */
  readonly sendHeaders: boolean
  /** Lower-cased names kept in the headers objects, or null for all of them. */
  readonly headerList: ReadonlySet<string> | null
  /** The parser must turn every header field into a string (not only USED_HEADERS). */
  readonly keepAllHeaders: boolean
  readonly splitCookie: boolean
  /** Lower-cased header name, or null. */
  readonly realIpHeader: string | null
  /** Lower-cased parameter names, empty when off. */
  readonly hideKeywords: ReadonlySet<string>
  readonly redactAuthorization: boolean
  readonly redactHeaders: ReadonlySet<string>
  readonly sendRequest: boolean
  readonly sendResponse: boolean
  readonly includeRequestBodyFor: readonly string[]
  readonly includeResponseBodyFor: readonly string[]
  readonly decodeBody: boolean
  /** Bytes of one message kept as text (head + body). */
  readonly maxMessageSize: number
  /** Seconds of capture time; 0 = no timeout (everything waits for the end of the connection). */
  readonly transactionTimeoutSec: number
}

const cache = new WeakMap<object, WeakMap<object, HttpOptions>>()

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [])
const lower = (v: unknown): Set<string> => new Set(strings(v).map((s) => s.toLowerCase()))

/** The options of `options` (a ProtocolContext.options object), parsed once per (options, limits). */
export function httpOptions(options: Readonly<Record<string, unknown>>, limits: Limits): HttpOptions {
  let byLimits = cache.get(options)
  if (byLimits === undefined) {
    byLimits = new WeakMap()
    cache.set(options, byLimits)
  }
  let o = byLimits.get(limits)
  if (o === undefined) {
    o = parse(options, limits)
    byLimits.set(limits, o)
  }
  return o
}

function parse(options: Readonly<Record<string, unknown>>, limits: Limits): HttpOptions {
  const sh = options.send_headers
  const all = options.send_all_headers === true || sh === true
  const list = !all && Array.isArray(sh) && sh.length > 0 ? lower(sh) : null
  const sendHeaders = all || list !== null
  const rip = typeof options.real_ip_header === 'string' && options.real_ip_header.trim() !== '' ? options.real_ip_header.trim().toLowerCase() : null
  const both = strings(options.include_body_for)
  const mms = typeof options.max_message_size === 'number' && options.max_message_size >= 0 ? options.max_message_size : Number.POSITIVE_INFINITY
  const tt = typeof options.transaction_timeout === 'number' && options.transaction_timeout > 0 ? options.transaction_timeout : 0
  const redactHeaders = lower(options.redact_headers)
  return {
    sendHeaders,
    headerList: list,
    keepAllHeaders: sendHeaders || rip !== null,
    splitCookie: options.split_cookie === true,
    realIpHeader: rip,
    hideKeywords: lower(options.hide_keywords),
    redactAuthorization: options.redact_authorization === true,
    redactHeaders,
    sendRequest: options.send_request === true,
    sendResponse: options.send_response === true,
    includeRequestBodyFor: [...both, ...strings(options.include_request_body_for)],
    includeResponseBodyFor: [...both, ...strings(options.include_response_body_for)],
    decodeBody: options.decode_body !== false,
    maxMessageSize: Math.min(mms, limits.maxCapturedMessageBytes),
    transactionTimeoutSec: tt,
  }
}

/** Packetbeat's shouldIncludeInBody: the Content-Type contains one of the configured strings. */
export function includesBody(contentType: string | undefined, list: readonly string[]): boolean {
  if (contentType === undefined || list.length === 0) return false
  for (const s of list) if (contentType.includes(s)) return true
  return false
}

/**
 * The Content-Type value the body options test: the last such header, as Packetbeat's parser keeps
 * it (a later field overwrites an earlier one). Undefined when absent.
 */
export function bodyContentType(m: HttpMessage): string | undefined {
  let v: string | undefined
  for (const h of m.headers) if (h.name === 'content-type') v = h.value
  return v
}
