/**
 * How a transaction is named for a person: its server, its request, what went wrong and the route
 * it belongs to. Shared by the summary and `pbx report`. Inputs are built events; outputs are raw
 * packet strings (callers make them safe for their medium: terminalSafe, HTML escaping).
 */
import type {PbxEvent} from '../../event/build.js'

export function sub(o: unknown, k: string): unknown {
  return o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : ''
}

/** `ip:port`, IPv6 as `[ip]:port`. */
export function endpoint(ip: unknown, port: unknown): string {
  const a = str(ip)
  if (port === undefined) return a
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`
}

/** The server side of a transaction: `server`, else `destination`. */
export function serverOf(ev: PbxEvent): string {
  // server.* when the event has it: a server-sent message (a CQL EVENT push, a request sent by the
  // TCP server) has destination = the client, but belongs to the server's service.
  const at = ev.server !== undefined && sub(ev.server, 'ip') !== undefined ? ev.server : ev.destination
  return endpoint(sub(at, 'ip'), sub(at, 'port'))
}

/** What was asked: the event's `query` (HTTP `GET /path`, SQL, DNS question), else method + resource. */
export function requestOf(ev: PbxEvent): string {
  const q = str(ev.query)
  if (q) return q
  const m = `${str(ev.method)} ${str(ev.resource)}`.trim()
  if (m) return m
  if (str(ev.type) === 'tls') {
    const sni = str(sub(sub(ev.tls, 'client'), 'server_name'))
    return sni ? `handshake ${sni}` : 'handshake'
  }
  // memcache: `<type>.request.command` and its first key.
  const req = sub(ev[str(ev.type)], 'request')
  const keys = sub(req, 'keys')
  return `${str(sub(req, 'command'))} ${Array.isArray(keys) && keys.length > 0 ? str(keys[0]) : ''}`.trim()
}

function commandOf(ev: PbxEvent): string {
  return str(ev.method) || str(sub(sub(ev[str(ev.type)], 'request'), 'command'))
}

/** What went wrong, for a transaction whose status is not OK: HTTP status, DNS rcode, server error, first note. */
export function errorOf(ev: PbxEvent): string {
  const type = str(ev.type)
  const notes = Array.isArray(ev.notes) ? ev.notes.map(str) : []
  if (type === 'http') {
    const resp = sub(ev.http, 'response')
    const code = sub(resp, 'status_code')
    if (typeof code === 'number') return `${code} ${str(sub(resp, 'status_phrase'))}`.trim()
  }
  if (type === 'dns') {
    const rc = str(sub(ev.dns, 'response_code'))
    if (rc && rc !== 'NOERROR') return rc
  }
  const proto = ev[type]
  const code = sub(proto, 'error_code')
  const msg = str(sub(proto, 'error_message'))
  if (code !== undefined || msg) return `${str(code)} ${msg}`.trim()
  const respCommand = str(sub(sub(proto, 'response'), 'command'))
  return notes[0] ?? (respCommand || str(ev.status))
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NUMBER = /^\d+$/
const HEX_ID = /^(?=.*\d)[0-9a-f]{16,}$/i

/** `/api/users/123/orders/9f1c...` -> `/api/users/{n}/orders/{uuid}`; the query string is dropped. */
export function routeTemplate(path: string): string {
  const q = path.search(/[?#]/)
  const p = q < 0 ? path : path.slice(0, q)
  return p
    .split('/')
    .map((s) => (NUMBER.test(s) ? '{n}' : UUID.test(s) ? '{uuid}' : HEX_ID.test(s) ? '{hex}' : s))
    .join('/')
}

/**
 * The route of a transaction within its service: HTTP method + route template, the SQL
 * fingerprint, the DNS question, the TLS server name, else the method (Redis, memcache, MongoDB
 * commands) or the request.
 */
export function routeOf(ev: PbxEvent): string {
  const type = str(ev.type)
  if (type === 'http') {
    const path = str(sub(ev.url, 'path')) || str(ev.path)
    return `${str(ev.method)} ${routeTemplate(path)}`.trim()
  }
  const fp = str(sub(ev.pbx, 'query_fingerprint'))
  if (fp) return fp
  if (type === 'dns') {
    const q = sub(ev.dns, 'question')
    return `${str(sub(q, 'type'))} ${str(sub(q, 'name'))}`.trim()
  }
  if (type === 'tls') return str(sub(sub(ev.tls, 'client'), 'server_name')) || '(no SNI)'
  return commandOf(ev) || requestOf(ev)
}
