/**
 * Read access to an event by dotted path, with and without the event object.
 *
 * TransactionView answers `get(path)` for a Transaction exactly as `getPath(buildEvent(t, o), path)`
 * would, but builds the event object only when a path needs it: the protocol's own fields
 * (`http.response.status_code`, `dns.question.name`, `url.path`, ...) are read from the
 * Transaction's nested `fields`, and the common fields that filters use most (type, status,
 * event.duration, source/destination ip and port, network.transport/protocol/type) are computed
 * from the Transaction. Anything else falls back to one buildEvent per transaction, kept until the
 * next reset(). This is what lets filter processors (drop_event, --where) run on the NDJSON fast
 * path. test/event/view.test.ts checks the equality for every leaf path of every sample event.
 *
 * Paths are split once per distinct path string and cached; values are returned as stored (the
 * caller must not modify them).
 */
import type {Transaction} from './types.js'
import {diffNs} from '../util/time.js'
import {type BuildOptions, buildEvent, type PbxEvent} from './build.js'

/** Read access to an event by dotted path. `undefined` when the field is absent. */
export interface EventAccessor {
  get(path: string): unknown
}

const splitCache = new Map<string, readonly string[]>()
const SPLIT_CACHE_MAX = 4096

/** `a.b.c` -> ['a','b','c'], cached (paths come from configuration: few distinct strings). */
export function splitPath(path: string): readonly string[] {
  let parts = splitCache.get(path)
  if (parts === undefined) {
    parts = path.startsWith('@') ? [path] : path.split('.')
    if (splitCache.size < SPLIT_CACHE_MAX) splitCache.set(path, parts)
  }
  return parts
}

/** The value at `parts` inside nested plain objects, or undefined. Own properties only. */
export function getParts(obj: unknown, parts: readonly string[], from = 0): unknown {
  let v = obj
  for (let i = from; i < parts.length; i++) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined
    const k = parts[i]
    if (!Object.hasOwn(v, k)) return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return v
}

/** EventAccessor over a built event object. Reusable: reset() points it at another event. */
export class ObjectView implements EventAccessor {
  ev: PbxEvent = {}

  reset(ev: PbxEvent): this {
    this.ev = ev
    return this
  }

  get(path: string): unknown {
    return getParts(this.ev, splitPath(path))
  }
}

/** Top-level keys buildEvent computes itself (a protocol's `fields` never provides these). */
const COMPUTED = new Set(['@timestamp', 'type', 'status', 'event', 'source', 'destination', 'client', 'server', 'network', 'related', 'ecs', 'method', 'query', 'resource', 'path', 'notes', 'pbx'])

export class TransactionView implements EventAccessor {
  private t: Transaction | null = null
  private o: BuildOptions = {precision: 'us'}
  private built: PbxEvent | null = null

  reset(t: Transaction, o: BuildOptions): this {
    this.t = t
    this.o = o
    this.built = null
    return this
  }

  /** The full event object (built at most once per reset). */
  event(): PbxEvent {
    if (this.built === null) this.built = buildEvent(this.t!, this.o)
    return this.built
  }

  get(path: string): unknown {
    const t = this.t!
    const parts = splitPath(path)
    const root = parts[0]
    if (!COMPUTED.has(root)) return getParts(t.fields, parts)
    if (this.built === null && !Object.hasOwn(t.fields, root)) {
      const v = this.direct(t, parts)
      if (v !== MISS) return v
    }
    return getParts(this.event(), parts)
  }

  /** Common fields computed without the event object; MISS where only buildEvent knows. */
  private direct(t: Transaction, parts: readonly string[]): unknown {
    const root = parts[0]
    if (parts.length === 1) {
      if (root === 'type') return t.type
      if (root === 'status') return t.status
      return MISS
    }
    if (parts.length !== 2) return MISS
    const leaf = parts[1]
    const c = t.conn
    switch (root) {
      case 'event':
        if (leaf === 'duration' && t.event === undefined) return Math.max(0, diffNs(t.startSec, t.startNsec, t.endSec, t.endNsec))
        return MISS
      case 'network':
        if (leaf === 'transport') return c.transport
        if (leaf === 'protocol') return t.type
        if (leaf === 'type') return c.ipVersion === 4 ? 'ipv4' : 'ipv6'
        return MISS
      case 'source':
      case 'destination':
      case 'client':
      case 'server': {
        // client/server keep their roles; source/destination follow the packet for server-sent events
        const clientSide = root === 'client' || (root === 'source' && t.sentByServer !== true) || (root === 'destination' && t.sentByServer === true)
        if (leaf === 'ip') return clientSide ? c.clientIp : c.serverIp
        if (leaf === 'port') {
          if (c.transport !== 'tcp' && c.transport !== 'udp') return undefined
          return clientSide ? c.clientPort : c.serverPort
        }
        return MISS
      }
      default:
        return MISS
    }
  }
}

const MISS = Symbol('miss')
