/**
 * Baselines: the aggregates of a run, never its events, as a versioned JSON document that
 * `pbx diff` compares with another run. Keys hold only what stays the same between two runs of the
 * same test: servers (ip:port), protocols, status and rcode mix, route templates, SQL fingerprints,
 * method mix, TLS versions and SNI, DNS names, anomaly codes. Client ports, times, transaction ids
 * and community ids never enter a baseline, so they can never show up as a difference.
 *
 * Key order in the file is sorted, so the same capture always gives the same bytes.
 */
import type {PbxEvent} from '../event/build.js'
import {Durations, get, type LatencyStats, routeTemplate} from './aggregate.js'

export const BASELINE_VERSION = 1

/** Distinct keys kept per section; further keys count under "(other)". */
export const MAX_BASELINE_KEYS = 10_000

export type Counts = Record<string, number>
export type Latencies = Record<string, Omit<LatencyStats, 'exact'> & {exact?: false}>

export interface Baseline {
  version: number
  generator: 'pbx'
  events: number
  counts: {
    protocols: Counts
    endpoints: Counts
    endpoint_errors: Counts
    http_status: Counts
    dns_rcode: Counts
    methods: Counts
    tls_versions: Counts
    tls_sni: Counts
    dns_names: Counts
    anomalies: Counts
  }
  latency: {
    routes: Latencies
    sql: Latencies
  }
}

export type CountSection = keyof Baseline['counts']
export type LatencySection = keyof Baseline['latency']
export const COUNT_SECTIONS: readonly CountSection[] = ['protocols', 'endpoints', 'endpoint_errors', 'http_status', 'dns_rcode', 'methods', 'tls_versions', 'tls_sni', 'dns_names', 'anomalies']
export const LATENCY_SECTIONS: readonly LatencySection[] = ['routes', 'sql']

function sorted<T>(m: Map<string, T>): Record<string, T> {
  const o: Record<string, T> = {}
  for (const k of [...m.keys()].sort()) o[k] = m.get(k) as T
  return o
}

class CountMap {
  readonly m = new Map<string, number>()
  add(k: string): void {
    const key = this.m.has(k) || this.m.size < MAX_BASELINE_KEYS ? k : '(other)'
    this.m.set(key, (this.m.get(key) ?? 0) + 1)
  }
}

class LatencyMap {
  readonly m = new Map<string, Durations>()
  add(k: string, ns: number): void {
    const key = this.m.has(k) || this.m.size < MAX_BASELINE_KEYS ? k : '(other)'
    let d = this.m.get(key)
    if (d === undefined) {
      d = new Durations()
      this.m.set(key, d)
    }
    d.add(ns)
  }
  toJSON(): Latencies {
    const out = new Map<string, Latencies[string]>()
    for (const [k, d] of this.m) {
      const {exact, ...s} = d.stats()
      out.set(k, exact ? s : {...s, exact: false})
    }
    return sorted(out)
  }
}

/** The service an event went to: `http 10.0.0.2:80` (no client side). */
export function endpointOf(ev: PbxEvent): string {
  const ip = get(ev, 'destination.ip')
  const port = get(ev, 'destination.port')
  const where = ip === undefined ? '?' : String(ip).includes(':') ? `[${ip}]` : String(ip)
  return `${ev.type ?? '?'} ${where}${port === undefined ? '' : `:${port}`}`
}

export class BaselineBuilder {
  private events = 0
  private readonly c = {
    protocols: new CountMap(),
    endpoints: new CountMap(),
    endpoint_errors: new CountMap(),
    http_status: new CountMap(),
    dns_rcode: new CountMap(),
    methods: new CountMap(),
    tls_versions: new CountMap(),
    tls_sni: new CountMap(),
    dns_names: new CountMap(),
    anomalies: new CountMap(),
  }
  private readonly routes = new LatencyMap()
  private readonly sql = new LatencyMap()

  add(ev: PbxEvent): void {
    this.events++
    const type = String(ev.type ?? '?')
    const ep = endpointOf(ev)
    this.c.protocols.add(type)
    this.c.endpoints.add(ep)
    if (ev.status !== undefined && ev.status !== 'OK') this.c.endpoint_errors.add(ep)
    const st = get(ev, 'http.response.status_code')
    if (typeof st === 'number') this.c.http_status.add(String(st))
    const rc = get(ev, 'dns.response_code')
    if (typeof rc === 'string') this.c.dns_rcode.add(rc)
    const method = ev.method
    if (typeof method === 'string' && type !== 'http') this.c.methods.add(`${type} ${method}`)
    const tv = get(ev, 'tls.version')
    if (typeof tv === 'string') this.c.tls_versions.add(`${get(ev, 'tls.version_protocol') === 'ssl' ? 'SSL' : 'TLS'} ${tv}`)
    const sni = get(ev, 'tls.client.server_name')
    if (typeof sni === 'string') this.c.tls_sni.add(sni)
    const qn = get(ev, 'dns.question.name')
    if (typeof qn === 'string') this.c.dns_names.add(`${qn} ${get(ev, 'dns.question.type') ?? ''}`.trim())
    const an = get(ev, 'pbx.anomalies')
    if (Array.isArray(an)) for (const a of an) if (typeof a === 'string') this.c.anomalies.add(a)
    const d = get(ev, 'event.duration')
    if (typeof d !== 'number') return
    const path = get(ev, 'url.path')
    if (typeof path === 'string') this.routes.add(`${ep} ${typeof method === 'string' ? `${method} ` : ''}${routeTemplate(path)}`, d)
    const fp = get(ev, 'pbx.query_fingerprint')
    if (typeof fp === 'string') this.sql.add(`${ep} ${fp}`, d)
  }

  build(): Baseline {
    const counts = {} as Baseline['counts']
    for (const s of COUNT_SECTIONS) counts[s] = sorted(this.c[s].m)
    return {version: BASELINE_VERSION, generator: 'pbx', events: this.events, counts, latency: {routes: this.routes.toJSON(), sql: this.sql.toJSON()}}
  }
}

export class BaselineError extends Error {
  override name = 'BaselineError'
}

/** Reads a baseline document; the message names the file and what is wrong. */
export function parseBaseline(text: string, file: string): Baseline {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new BaselineError(`${file}: not a baseline (not JSON: ${(e as Error).message})`)
  }
  const o = doc as Partial<Baseline>
  if (typeof o !== 'object' || o === null || o.generator !== 'pbx' || typeof o.version !== 'number') {
    throw new BaselineError(`${file}: not a pbx baseline (no "generator": "pbx" and "version")`)
  }
  if (o.version !== BASELINE_VERSION) throw new BaselineError(`${file}: baseline version ${o.version}; this pbx reads version ${BASELINE_VERSION} (record it again with pbx baseline)`)
  for (const s of COUNT_SECTIONS) if (typeof o.counts?.[s] !== 'object') throw new BaselineError(`${file}: counts.${s} missing`)
  for (const s of LATENCY_SECTIONS) if (typeof o.latency?.[s] !== 'object') throw new BaselineError(`${file}: latency.${s} missing`)
  return o as Baseline
}

/** Whether a file's first bytes look like JSON (a baseline) rather than a capture. */
export function looksLikeJson(head: Buffer): boolean {
  for (const b of head) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue
    return b === 0x7b
  }
  return false
}
