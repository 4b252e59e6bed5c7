/**
 * Transaction -> ECS event (the NDJSON contract of ../shared/SCHEMA.md).
 *
 * Called once per emitted transaction (never per packet). Keys are inserted in one fixed order so
 * that the same capture always serialises to byte-identical NDJSON. Fields that do not apply are
 * left out, never null.
 *
 * Two forms of the same contract live here, side by side, and must change together:
 *   buildEvent(t, o)      the event as an object (CSV, summary, processors, tests);
 *   serializeEvent(t, o)  exactly JSON.stringify(buildEvent(t, o)), written piece by piece into a
 *                         JsonOut (the NDJSON hot path: no event object, no intermediate string;
 *                         constant text as precomputed bytes, per-type text kept per type, addresses,
 *                         ports and community id written from the connection's strings on every
 *                         event, network.direction cached per connection id).
 *                         test/output/ndjson.test.ts checks the equality on fixed and on random
 *                         (fast-check) transactions.
 */
import type {TsPrecision} from '../capture/types.js'
import {type TunnelInfo, tunnelEventObject} from '../decode/tunnel.js'
import type {ConnInfo} from '../reassembly/types.js'
import type {Transaction} from './types.js'
import {diffNs, rfc3339} from '../util/time.js'
import {networkDirection} from '../util/ip.js'

export type PbxEvent = Record<string, unknown>

/**
 * ecs.version of every event: the ECS version Packetbeat 8.x writes (libbeat's ecs.Version,
 * "8.0.0" throughout the 8.x releases); pbx's field names follow the same ECS 8 schema.
 */
export const ECS_VERSION = '8.0.0'

/** Reversed direction, for events whose source is the server (sentByServer). */
const REVERSED = {internal: 'internal', outbound: 'inbound', inbound: 'outbound', external: 'external', unknown: 'unknown'} as const

/** related.hosts of an event: the client's then the server's domain (endpoint additions), deduplicated. */
function relatedHosts(cd: unknown, sd: unknown): string[] | undefined {
  const a = typeof cd === 'string' && cd !== '' ? cd : undefined
  const b = typeof sd === 'string' && sd !== '' && sd !== a ? sd : undefined
  return a === undefined ? (b === undefined ? undefined : [b]) : b === undefined ? [a] : [a, b]
}

export interface BuildOptions {
  precision: TsPrecision
  /** Input file name, set when several files are read in one run (`pbx.file`). */
  file?: string
}

export function buildEvent(t: Transaction, o: BuildOptions): PbxEvent {
  const c = t.conn
  const start = rfc3339(t.startSec, t.startNsec, o.precision)
  const end = rfc3339(t.endSec, t.endNsec, o.precision)
  const hasPorts = c.transport === 'tcp' || c.transport === 'udp'
  const src: Record<string, unknown> = {ip: c.clientIp}
  const dst: Record<string, unknown> = {ip: c.serverIp}
  if (hasPorts) {
    src.port = c.clientPort
    dst.port = c.serverPort
  }
  src.bytes = t.requestBytes
  dst.bytes = t.responseBytes
  // A protocol may add to (never replace) the endpoints, e.g. destination.domain from TLS SNI.
  const fs = t.fields.source as Record<string, unknown> | undefined
  const fd = t.fields.destination as Record<string, unknown> | undefined
  if (fs) for (const k of Object.keys(fs)) if (!(k in src)) src[k] = fs[k]
  if (fd) for (const k of Object.keys(fd)) if (!(k in dst)) dst[k] = fd[k]

  const ev: PbxEvent = {
    '@timestamp': start,
    type: t.type,
    status: t.status,
  }
  const event: Record<string, unknown> = {
    kind: 'event',
    category: ['network'],
    type: ['connection', 'protocol'],
    dataset: t.type,
    start,
    end,
    duration: Math.max(0, diffNs(t.startSec, t.startNsec, t.endSec, t.endNsec)),
  }
  if (t.event) Object.assign(event, t.event)
  ev.event = event
  ev.source = t.sentByServer ? dst : src
  ev.destination = t.sentByServer ? src : dst
  ev.client = {...src}
  ev.server = {...dst}
  const direction = directionOf(c)
  ev.network = {
    transport: c.transport,
    type: c.ipVersion === 4 ? 'ipv4' : 'ipv6',
    protocol: t.type,
    community_id: c.communityId,
    direction: t.sentByServer ? REVERSED[direction] : direction,
    bytes: t.requestBytes + t.responseBytes,
  }
  const related: Record<string, unknown> = {ip: c.clientIp === c.serverIp ? [c.clientIp] : [c.clientIp, c.serverIp]}
  const hosts = relatedHosts(src.domain, dst.domain)
  if (hosts !== undefined) related.hosts = hosts
  ev.related = related
  ev.ecs = {version: ECS_VERSION}
  if (t.method !== undefined) ev.method = t.method
  if (t.query !== undefined) ev.query = t.query
  if (t.resource !== undefined) ev.resource = t.resource
  if (t.path !== undefined) ev.path = t.path
  let pbxExtra: Record<string, unknown> | undefined
  for (const k of Object.keys(t.fields)) {
    const v = t.fields[k]
    if (v === undefined || k === 'source' || k === 'destination') continue
    if (k === 'pbx') pbxExtra = v as Record<string, unknown>
    else if (k === 'network' && plainObject(v) && Object.keys(v).every((nk) => !(nk in (ev.network as object)))) {
      // Only additions (network.forwarded_ip from http real_ip_header): added to the common network.*
      // fields. An object naming a common key (a flow record's own network.*) replaces them, as before.
      Object.assign(ev.network as Record<string, unknown>, v)
      const fwd = v.forwarded_ip
      if (typeof fwd === 'string' && !(related.ip as string[]).includes(fwd)) (related.ip as string[]).push(fwd)
    } else ev[k] = v
  }
  if (t.notes && t.notes.length > 0) ev.notes = t.notes
  const pbx: Record<string, unknown> = {frames: [t.startFrame, t.endFrame]}
  if (o.file !== undefined) pbx.file = o.file
  if (t.anomalies && t.anomalies.length > 0) pbx.anomalies = t.anomalies
  if (c.tunnel !== undefined) pbx.tunnel = tunnelEventObject(c.tunnel, t.sentByServer === true)
  if (pbxExtra) Object.assign(pbx, pbxExtra)
  ev.pbx = pbx
  return ev
}

// ------------------------------------------------------------------------------ serializeEvent

/**
 * Where serializeEvent writes the event's JSON text, piece by piece, in order. Implemented by the
 * NDJSON output straight over its byte buffer (src/output/ndjson.ts); every method must produce
 * exactly what JSON.stringify would for that piece.
 */
export interface JsonOut {
  /** JSON text already encoded (UTF-8), copied as-is. */
  raw(bytes: Uint8Array): void
  /** JSON text as a string (the slow path's whole event), copied as-is. */
  text(json: string): void
  /** JSON.stringify(s). */
  str(s: string): void
  /** JSON.stringify(n): finite numbers as String(n) (-0 as 0), others as null. */
  num(n: number): void
  /** rfc3339(sec, nsec, precision), without quotes (the text never needs escaping). */
  time(sec: number, nsec: number, precision: TsPrecision): void
  /**
   * `,"key":` + JSON.stringify(v), or nothing where JSON.stringify leaves an object member out
   * (v undefined, a function, a symbol, or a toJSON() that returns one of those).
   */
  member(key: string, v: unknown): void
}

/**
 * Object.prototype.hasOwnProperty, called as hasOwn.call(o, k): the same answer as Object.hasOwn(o, k), but
 * V8 (Node 20) turns it into a map check inside for-in, where Object.hasOwn costs a runtime call (4x the
 * loop's time in a micro-benchmark).
 */
const hasOwn = Object.prototype.hasOwnProperty

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8')

/** Keys whose position in the event is fixed before t.fields is copied (see buildEvent). */
const EVENT_KEYS = new Set(['@timestamp', 'type', 'status', 'event', 'client', 'server', 'network', 'related', 'ecs', 'notes', '__proto__'])
const OPTIONAL_KEYS = new Set(['method', 'query', 'resource', 'path'])
const EVENT_EVENT_KEYS = new Set(['kind', 'category', 'type', 'dataset', 'start', 'end', 'duration', '__proto__'])
const PBX_KEYS = new Set(['frames', 'file', 'anomalies', 'tunnel', '__proto__'])

/** An array-index-like key: V8 orders those before all others, so they cannot be copied in place. */
function indexKey(k: string): boolean {
  const c = k.charCodeAt(0)
  return c >= 48 && c <= 57
}

function plainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Whether every key of `o` may be serialised in place: no array-index keys, none of `reserved`. */
function keysOk(o: Record<string, unknown>, reserved: ReadonlySet<string> | null): boolean {
  for (const k in o) if (hasOwn.call(o, k) && (indexKey(k) || reserved?.has(k))) return false
  return true
}

/**
 * Whether serializeEvent's direct path reproduces buildEvent for `t`. The exceptions are shapes no
 * protocol produces on purpose (a field named like a common key, array-index keys, non-object
 * endpoint additions); they take the slow path JSON.stringify(buildEvent(t)), never a wrong one.
 */
function direct(t: Transaction): boolean {
  if (typeof t.requestBytes !== 'number' || typeof t.responseBytes !== 'number') return false
  if (typeof t.type !== 'string' || typeof t.status !== 'string') return false
  const f = t.fields
  if (!plainObject(f)) return false
  for (const k in f) {
    if (!hasOwn.call(f, k)) return false
    const v = f[k]
    if (v === undefined) continue
    if (indexKey(k) || EVENT_KEYS.has(k)) return false
    if (OPTIONAL_KEYS.has(k) && (t as unknown as Record<string, unknown>)[k] !== undefined) return false
    if (k === 'source' || k === 'destination') {
      if (!plainObject(v) || !keysOk(v, null)) return false
    } else if (k === 'pbx') {
      // Falsy values are ignored by buildEvent (nothing to merge); others must be plain objects.
      if (v && (!plainObject(v) || !keysOk(v, PBX_KEYS))) return false
    }
  }
  if (t.event !== undefined && (!plainObject(t.event) || !keysOk(t.event, EVENT_EVENT_KEYS))) return false
  return true
}

/**
 * The pieces of an event that depend only on its type (the protocol name), as UTF-8 JSON text. A
 * handful of types per run: kept for good, keyed by the type string.
 */
interface TypeParts {
  /** `","type":"http","status":` (after @timestamp's text) */
  typeStatus: Uint8Array
  /** `,"event":{"kind":"event",...,"dataset":"http","start":"` */
  eventHead: Uint8Array
  /** `","protocol":"http","community_id":` per IP version (after network.transport's text) */
  protocol4: Uint8Array
  protocol6: Uint8Array
}

const typeParts = new Map<string, TypeParts>()
let lastType = ''
let lastTypeParts: TypeParts | undefined

function typePartsFor(type: string): TypeParts {
  if (type === lastType && lastTypeParts !== undefined) return lastTypeParts
  let p = typeParts.get(type)
  if (p === undefined) {
    const qt = JSON.stringify(type)
    p = {
      typeStatus: enc(`","type":${qt},"status":`),
      eventHead: enc(`,"event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":${qt},"start":"`),
      protocol4: enc(`,"type":"ipv4","protocol":${qt},"community_id":`),
      protocol6: enc(`,"type":"ipv6","protocol":${qt},"community_id":`),
    }
    typeParts.set(type, p)
  }
  lastType = type
  lastTypeParts = p
  return p
}

/** `,"direction":"...","bytes":` per network.direction. */
const DIRECTION_BYTES: Record<keyof typeof REVERSED, Uint8Array> = {
  internal: enc(',"direction":"internal","bytes":'),
  outbound: enc(',"direction":"outbound","bytes":'),
  inbound: enc(',"direction":"inbound","bytes":'),
  external: enc(',"direction":"external","bytes":'),
  unknown: enc(',"direction":"unknown","bytes":'),
}

/**
 * network.direction of a connection (client -> server). Direct-mapped by connection id; an entry
 * is used only when both address texts still match (ids of different tables may collide), so a
 * stale or colliding entry costs a recomputation (an allocation-free parse), never a wrong event.
 * Holds strings only, no connection objects.
 */
const DIRECTION_SLOTS = 4096
const dirClient: string[] = new Array(DIRECTION_SLOTS).fill('')
const dirServer: string[] = new Array(DIRECTION_SLOTS).fill('')
const dirValue: (keyof typeof REVERSED)[] = new Array(DIRECTION_SLOTS).fill('unknown')

function directionOf(c: ConnInfo): keyof typeof REVERSED {
  const slot = (c.id >>> 0) & (DIRECTION_SLOTS - 1)
  const ci = c.clientIp
  const si = c.serverIp
  if (dirClient[slot] === ci && dirServer[slot] === si) return dirValue[slot]!
  const d = networkDirection(ci, si)
  dirClient[slot] = ci
  dirServer[slot] = si
  dirValue[slot] = d
  return d
}

const TIMESTAMP = enc('{"@timestamp":"')
const END = enc('","end":"')
const DURATION = enc('","duration":')
const SOURCE_IP = enc('},"source":{"ip":')
const DESTINATION_IP = enc('},"destination":{"ip":')
const CLIENT_IP = enc('},"client":{"ip":')
const SERVER_IP = enc('},"server":{"ip":')
const PORT = enc(',"port":')
const BYTES = enc(',"bytes":')
const NETWORK_TRANSPORT = enc('},"network":{"transport":')
const RELATED_IP = enc('},"related":{"ip":[')
const FRAMES = enc(',"pbx":{"frames":[')
const COMMA = enc(',')
const FRAMES_END = enc(']')
const CLOSE2 = enc('}}')
const FRAMES_END_CLOSE2 = enc(']}}')
const HOSTS = enc('],"hosts":[')
const ECS = enc(`]},"ecs":{"version":${JSON.stringify(ECS_VERSION)}}`)

/** `,"tunnel":{...}` per connection tunnel, as is and with the sides swapped (built once each). */
const tunnelText = new WeakMap<TunnelInfo, [Uint8Array, Uint8Array]>()
function tunnelBytes(t: TunnelInfo, swap: boolean): Uint8Array {
  let v = tunnelText.get(t)
  if (v === undefined) {
    v = [enc(`,"tunnel":${JSON.stringify(tunnelEventObject(t, false))}`), enc(`,"tunnel":${JSON.stringify(tunnelEventObject(t, true))}`)]
    tunnelText.set(t, v)
  }
  return v[swap ? 1 : 0]
}

/** Endpoint additions buildEvent does not copy: keys the endpoint object already has (`k in src`). */
function endpointKeep(k: string, hasPorts: boolean): boolean {
  return !(k === 'ip' || k === 'bytes' || (hasPorts && k === 'port') || k in Object.prototype)
}

/**
 * One endpoint object up to (not including) its closing brace: `head` (`},"source":{"ip":` ...),
 * the address, the port where the transport has ports, bytes, then the protocol's additions.
 */
function endpoint(out: JsonOut, head: Uint8Array, ip: string, port: number, bytes: number, extra: Record<string, unknown> | undefined, hasPorts: boolean): void {
  out.raw(head)
  out.str(ip)
  if (hasPorts) {
    out.raw(PORT)
    out.num(port)
  }
  out.raw(BYTES)
  out.num(bytes)
  if (extra) for (const k in extra) if (hasOwn.call(extra, k) && endpointKeep(k, hasPorts)) out.member(k, extra[k])
}

/**
 * Writes JSON.stringify(buildEvent(t, o)) to `out` (no line end) without building the event (see
 * the file comment). Call once per transaction; nothing here is per packet. May throw where
 * JSON.stringify would (a BigInt or a cycle in t.fields), possibly after writing some pieces.
 */
export function serializeEvent(t: Transaction, o: BuildOptions, out: JsonOut): void {
  if (!direct(t)) {
    out.text(JSON.stringify(buildEvent(t, o)))
    return
  }
  const c = t.conn
  const p = typePartsFor(t.type)
  const f = t.fields
  const prec = o.precision
  out.raw(TIMESTAMP)
  out.time(t.startSec, t.startNsec, prec)
  out.raw(p.typeStatus)
  out.str(t.status)
  out.raw(p.eventHead)
  out.time(t.startSec, t.startNsec, prec)
  out.raw(END)
  out.time(t.endSec, t.endNsec, prec)
  out.raw(DURATION)
  out.num(Math.max(0, diffNs(t.startSec, t.startNsec, t.endSec, t.endNsec)))
  const ev = t.event
  if (ev) for (const k in ev) if (hasOwn.call(ev, k)) out.member(k, ev[k])
  // Endpoint additions from the protocol (destination.domain from TLS SNI) follow ip, port, bytes.
  const fs = f.source as Record<string, unknown> | undefined
  const fd = f.destination as Record<string, unknown> | undefined
  const hp = c.transport === 'tcp' || c.transport === 'udp'
  const ci = c.clientIp
  const si = c.serverIp
  const rq = t.requestBytes
  const rs = t.responseBytes
  const reversed = t.sentByServer === true
  if (reversed) {
    endpoint(out, SOURCE_IP, si, c.serverPort, rs, fd, hp)
    endpoint(out, DESTINATION_IP, ci, c.clientPort, rq, fs, hp)
  } else {
    endpoint(out, SOURCE_IP, ci, c.clientPort, rq, fs, hp)
    endpoint(out, DESTINATION_IP, si, c.serverPort, rs, fd, hp)
  }
  endpoint(out, CLIENT_IP, ci, c.clientPort, rq, fs, hp)
  endpoint(out, SERVER_IP, si, c.serverPort, rs, fd, hp)
  out.raw(NETWORK_TRANSPORT)
  out.str(c.transport)
  out.raw(c.ipVersion === 4 ? p.protocol4 : p.protocol6)
  out.str(c.communityId)
  const d = directionOf(c)
  out.raw(DIRECTION_BYTES[reversed ? REVERSED[d] : d])
  out.num(rq + rs)
  out.raw(RELATED_IP)
  out.str(ci)
  if (ci !== si) {
    out.raw(COMMA)
    out.str(si)
  }
  // related.hosts: as relatedHosts(), without allocating.
  const cd = fs ? fs.domain : undefined
  const sd = fd ? fd.domain : undefined
  const a = typeof cd === 'string' && cd !== '' ? cd : undefined
  const b = typeof sd === 'string' && sd !== '' && sd !== a ? sd : undefined
  if (a !== undefined || b !== undefined) {
    out.raw(HOSTS)
    if (a !== undefined) out.str(a)
    if (a !== undefined && b !== undefined) out.raw(COMMA)
    if (b !== undefined) out.str(b)
  }
  out.raw(ECS)
  if (t.method !== undefined) out.member('method', t.method)
  if (t.query !== undefined) out.member('query', t.query)
  if (t.resource !== undefined) out.member('resource', t.resource)
  if (t.path !== undefined) out.member('path', t.path)
  let pbxExtra: Record<string, unknown> | undefined
  for (const k in f) {
    const v = f[k]
    if (v === undefined || k === 'source' || k === 'destination') continue
    if (k === 'pbx') pbxExtra = v as Record<string, unknown>
    else out.member(k, v)
  }
  if (t.notes && t.notes.length > 0) out.member('notes', t.notes)
  out.raw(FRAMES)
  out.num(t.startFrame)
  out.raw(COMMA)
  out.num(t.endFrame)
  const an = t.anomalies
  const hasAnomalies = !!an && an.length > 0
  const tun = t.conn.tunnel
  if (o.file === undefined && !hasAnomalies && !pbxExtra && tun === undefined) {
    out.raw(FRAMES_END_CLOSE2)
    return
  }
  out.raw(FRAMES_END)
  if (o.file !== undefined) out.member('file', o.file)
  if (hasAnomalies) out.member('anomalies', an)
  if (tun !== undefined) out.raw(tunnelBytes(tun, t.sentByServer === true))
  if (pbxExtra) for (const k in pbxExtra) if (hasOwn.call(pbxExtra, k)) out.member(k, pbxExtra[k])
  out.raw(CLOSE2)
}
