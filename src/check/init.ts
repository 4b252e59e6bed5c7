/**
 * `pbx check --init CAPTURE`: a starting rules file from a run that is known to be good. Every
 * rule it writes holds on that run (test/check/init.test.ts runs them back), with headroom on
 * latencies (twice the observed p95 and max, rounded up to a whole millisecond) so that the next
 * good run passes too; a person then tightens or deletes rules.
 */
import {stringify} from 'yaml'
import type {PbxEvent} from '../event/build.js'
import {Durations, get, routeTemplate} from './aggregate.js'
import {tlsRank} from './rules.js'

export class InitCollector {
  private readonly types = new Map<string, number>()
  private http = 0
  private maxStatus = 0
  private dns = 0
  private nx = 0
  private tlsMin: {rank: number; text: string} | null = null
  private readonly anomalies = new Set<string>()
  private readonly routes = new Map<string, Durations>()
  private readonly fingerprints = new Map<string, Durations>()
  private readonly nets = new Set<string>()
  private readonly ports = new Set<number>()

  add(ev: PbxEvent): void {
    const type = String(ev.type ?? '?')
    this.types.set(type, (this.types.get(type) ?? 0) + 1)
    const st = get(ev, 'http.response.status_code')
    if (typeof st === 'number') {
      this.http++
      this.maxStatus = Math.max(this.maxStatus, st)
    }
    const rc = get(ev, 'dns.response_code')
    if (typeof rc === 'string') {
      this.dns++
      if (rc === 'NXDOMAIN') this.nx++
    }
    const tv = get(ev, 'tls.version')
    if (typeof tv === 'string') {
      const proto = get(ev, 'tls.version_protocol') ?? 'tls'
      const rank = tlsRank(tv, proto)
      if (proto !== 'ssl' && !Number.isNaN(rank) && (this.tlsMin === null || rank < this.tlsMin.rank)) this.tlsMin = {rank, text: tv}
    }
    const an = get(ev, 'pbx.anomalies')
    if (Array.isArray(an)) for (const a of an) if (typeof a === 'string') this.anomalies.add(a)
    const d = get(ev, 'event.duration')
    const path = get(ev, 'url.path')
    if (typeof d === 'number' && typeof path === 'string') add(this.routes, routeTemplate(path), d)
    const fp = get(ev, 'pbx.query_fingerprint')
    if (typeof d === 'number' && typeof fp === 'string') add(this.fingerprints, fp, d)
    const ip = get(ev, 'destination.ip')
    if (typeof ip === 'string') this.nets.add(ip)
    const port = get(ev, 'destination.port')
    if (typeof port === 'number') this.ports.add(port)
  }

  /** The rules file text (YAML with a header comment). */
  rulesYaml(source: string): string {
    const rules: Record<string, unknown>[] = []
    for (const [type, n] of [...this.types].sort()) rules.push({name: `${type} traffic seen`, where: `type == "${type}"`, count: {min: Math.max(1, Math.floor(n / 2))}})
    if (this.http > 0 && this.maxStatus < 500) rules.push({name: 'no HTTP server errors', http_status_below: 500})
    if (this.dns > 0) rules.push({name: 'DNS NXDOMAIN ratio', dns_nxdomain_ratio: {max: Math.min(1, Math.ceil((this.nx / this.dns) * 100 + 1) / 100)}})
    if (this.tlsMin !== null) rules.push({name: 'TLS version', tls_min_version: this.tlsMin.text})
    rules.push({name: 'no anomalies', no_anomaly: this.anomalies.size === 0 ? '*' : {codes: '*', except: [...this.anomalies].sort()}})
    latencyRule(rules, 'HTTP latency per route', 'route', this.routes)
    latencyRule(rules, 'SQL latency per query fingerprint', 'pbx.query_fingerprint', this.fingerprints)
    if (this.nets.size > 0) {
      rules.push({name: 'destinations', destinations: {allow: {networks: [...this.nets].sort(), ports: [...this.ports].sort((a, b) => a - b)}}})
    }
    return `# pbx check rules, written by \`pbx check --init ${source}\` from a good run.\n# Edit them: tighten the bounds, delete what does not matter. Rule kinds: see README, "Regression checks in CI".\n${stringify({rules}, {lineWidth: 0})}`
  }
}

/** One latency rule over every group, bounded by the slowest group's p95 and max (with headroom). */
function latencyRule(rules: Record<string, unknown>[], name: string, by: string, m: Map<string, Durations>): void {
  if (m.size === 0) return
  let p95 = 0
  let max = 0
  for (const d of m.values()) {
    const s = d.stats()
    p95 = Math.max(p95, s.p95)
    max = Math.max(max, s.max)
  }
  rules.push({name, latency: {by, p95: headroom(p95), max: headroom(max)}})
}

function add(m: Map<string, Durations>, k: string, ns: number): void {
  let d = m.get(k)
  if (d === undefined) {
    d = new Durations()
    m.set(k, d)
  }
  d.add(ns)
}

/** Twice the value, rounded up to a whole millisecond, as a duration string. */
function headroom(ns: number): string {
  return `${Math.max(1, Math.ceil((2 * ns) / 1e6))}ms`
}
