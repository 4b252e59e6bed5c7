/**
 * The report's in-memory output: every event of a run goes through write(), and only bounded
 * aggregates are kept (log histograms, space-saving top-N counters, fixed-size bins, top-K lists),
 * so a report over a capture of any size costs the same memory. Limits: `summaryTopKeys` bounds
 * every keyed table (services, routes, names, talkers, certificates); `keep` bounds the slowest and
 * failed lists. Strings here are raw packet data: the HTML renderer escapes every one of them.
 *
 * Call order (the Output contract): begin(run), write(event) per event, end(run). After end(),
 * snapshot() returns the figures the renderer draws.
 */
import type {PbxEvent} from '../event/build.js'
import type {Limits} from '../limits.js'
import {endpoint, errorOf, requestOf, str, sub} from '../output/summary/describe.js'
import type {Output, RunInfo} from '../output/types.js'
import type {Stats} from '../stats.js'
import {LogHistogram, TopCounter} from '../util/histogram.js'

/** Latency bins of the histogram chart: 4 per decade from 1 µs (bin 0 holds less) to 1000 s. */
export const LATENCY_BINS_PER_DECADE = 4
export const LATENCY_MIN_NS = 1e3
export const LATENCY_BINS = 9 * LATENCY_BINS_PER_DECADE + 1
/** Bins of the transactions-over-time chart; their width doubles as the capture gets longer. */
export const TIME_BINS = 120
const FIRST_BIN_NS = 1e6

export interface Row {
  /** Protocol (event type). */
  type: string
  server: string
  request: string
  status: string
  /** What went wrong (HTTP status, rcode, SQL error, first note); '' when OK. */
  error: string
  durationNs: number
  startMs: number
  frames: number[]
  file: string
}

export interface ServiceAgg {
  type: string
  server: string
  count: number
  errors: number
  latency: LogHistogram
}

export interface ProtoAgg {
  count: number
  errors: number
  bins: Uint32Array
  latency: LogHistogram
}

export interface Cert {
  subject: string
  issuer: string
  notAfter: string
  server: string
}

export interface ReportData {
  files: string[]
  captures: RunInfo['captures']
  errors: string[]
  /** Undefined when no input could be read. */
  stats: Stats | undefined
  firstMs: number
  lastMs: number
  transactions: number
  protos: Map<string, ProtoAgg>
  services: ServiceAgg[]
  servicesDropped: number
  /** Start of the timeline (ms since epoch) and the width of one of its TIME_BINS bins. */
  timeOriginMs: number
  binNs: number
  timeline: Map<string, Float64Array>
  slowest: Row[]
  failed: Row[]
  failedTotal: number
  httpStatus: Map<number, number>
  dnsRcode: Map<string, number>
  sqlErrors: [string, number][]
  talkers: [string, number][]
  talkerSource: 'flows' | 'transactions'
  tlsVersions: Map<string, number>
  sni: [string, number][]
  ja3: [string, number][]
  ja4: [string, number][]
  certs: Cert[]
  dnsNames: [string, number][]
  nxdomain: [string, number][]
  notes: [string, number][]
  flowEnds: Map<string, number>
  flows: number
}

/** The bin of a latency in the histogram chart. */
export function latencyBin(ns: number): number {
  if (!(ns >= LATENCY_MIN_NS)) return 0
  const b = 1 + Math.floor(Math.log10(ns / LATENCY_MIN_NS) * LATENCY_BINS_PER_DECADE)
  return b >= LATENCY_BINS ? LATENCY_BINS - 1 : b
}

/** Sorted, bounded list of the `keep` largest rows by a key. */
class TopRows {
  readonly rows: Row[] = []
  constructor(private readonly keep: number) {}
  offer(r: Row, key: (r: Row) => number): void {
    if (this.keep === 0) return
    const k = key(r)
    if (this.rows.length === this.keep && k <= key(this.rows[this.rows.length - 1])) return
    let i = this.rows.length
    while (i > 0 && key(this.rows[i - 1]) < k) i--
    this.rows.splice(i, 0, r)
    if (this.rows.length > this.keep) this.rows.pop()
  }
}

export class ReportOutput implements Output {
  readonly blocked = false
  readonly closed = false
  private run: RunInfo | null = null
  private first = Number.POSITIVE_INFINITY
  private last = Number.NEGATIVE_INFINITY
  private transactions = 0
  private readonly protos = new Map<string, ProtoAgg>()
  private readonly services = new Map<string, ServiceAgg>()
  private servicesDropped = 0
  private originMs = Number.NaN
  private binNs = FIRST_BIN_NS
  private readonly timeline = new Map<string, Float64Array>()
  private readonly slowest: TopRows
  private readonly failed: TopRows
  private failedTotal = 0
  private readonly httpStatus = new Map<number, number>()
  private readonly dnsRcode = new Map<string, number>()
  private readonly sqlErrors: TopCounter
  private readonly talkersTx: TopCounter
  private readonly talkersFlow: TopCounter
  private readonly tlsVersions = new Map<string, number>()
  private readonly sni: TopCounter
  private readonly ja3: TopCounter
  private readonly ja4: TopCounter
  private readonly certs = new Map<string, Cert>()
  private readonly dnsNames: TopCounter
  private readonly nxdomain: TopCounter
  private readonly notes: TopCounter
  private readonly flowEnds = new Map<string, number>()
  private flows = 0
  private readonly maxKeys: number

  constructor(
    limits: Limits,
    private readonly keep = 20,
  ) {
    this.maxKeys = limits.summaryTopKeys
    const tc = () => new TopCounter(limits.summaryTopKeys)
    this.sqlErrors = tc()
    this.talkersTx = tc()
    this.talkersFlow = tc()
    this.sni = tc()
    this.ja3 = tc()
    this.ja4 = tc()
    this.dnsNames = tc()
    this.nxdomain = tc()
    this.notes = tc()
    this.slowest = new TopRows(keep)
    this.failed = new TopRows(keep)
  }

  begin(run: RunInfo): void {
    this.run = run
  }

  drain(): Promise<void> {
    return Promise.resolve()
  }

  async end(run: RunInfo): Promise<void> {
    this.run = run
  }

  write(ev: PbxEvent): void {
    const type = str(ev.type)
    const startMs = Date.parse(str(sub(ev.event, 'start')) || str(ev['@timestamp']))
    if (type === 'flow') {
      this.flowRecord(ev)
      return
    }
    this.transactions++
    if (Number.isFinite(startMs)) {
      if (startMs < this.first) this.first = startMs
      const dur0 = sub(ev.event, 'duration')
      const endMs = startMs + (typeof dur0 === 'number' ? dur0 / 1e6 : 0)
      if (endMs > this.last) this.last = endMs
    }
    const ok = ev.status === 'OK'
    const server = endpoint(sub(ev.destination, 'ip'), sub(ev.destination, 'port'))
    const dur = sub(ev.event, 'duration')
    const sb = sub(ev.source, 'bytes')
    const db = sub(ev.destination, 'bytes')
    // Latency only for answered requests (both sides sent bytes), as in the summary.
    const answered = typeof dur === 'number' && typeof sb === 'number' && sb > 0 && typeof db === 'number' && db > 0
    let p = this.protos.get(type)
    if (p === undefined) {
      p = {count: 0, errors: 0, bins: new Uint32Array(LATENCY_BINS), latency: new LogHistogram()}
      this.protos.set(type, p)
    }
    p.count++
    if (!ok) p.errors++
    if (answered) {
      p.latency.add(dur)
      p.bins[latencyBin(dur)]++
    }
    this.service(type, server, ok, answered ? dur : -1)
    if (Number.isFinite(startMs)) this.timePoint(type, startMs)

    const error = ok ? '' : errorOf(ev)
    const frames = sub(ev.pbx, 'frames')
    const row = (): Row => ({
      type,
      server,
      request: requestOf(ev),
      status: str(ev.status),
      error,
      durationNs: typeof dur === 'number' ? dur : 0,
      startMs,
      frames: Array.isArray(frames) ? frames.filter((f): f is number => typeof f === 'number') : [],
      file: str(sub(ev.pbx, 'file')),
    })
    if (answered) this.slowest.offer(row(), (r) => r.durationNs)
    if (!ok) {
      this.failedTotal++
      // The slowest failures first: a 4.5 s 500 leads the list.
      this.failed.offer(row(), (r) => r.durationNs)
    }
    const nb = sub(ev.network, 'bytes')
    this.talkersTx.add(`${str(sub(ev.source, 'ip'))} → ${server}`, typeof nb === 'number' ? nb : 0)
    this.protocolDetails(type, ev)
    if (Array.isArray(ev.notes)) for (const n of ev.notes) this.notes.add(`${type}: ${str(n)}`)
  }

  private flowRecord(ev: PbxEvent): void {
    if (sub(ev.flow, 'final') !== true) return
    this.flows++
    const reason = str(sub(sub(ev.pbx, 'flow'), 'end_reason')) || 'unknown'
    this.flowEnds.set(reason, (this.flowEnds.get(reason) ?? 0) + 1)
    const nb = sub(ev.network, 'bytes')
    const key = `${str(sub(ev.source, 'ip'))} → ${endpoint(sub(ev.destination, 'ip'), sub(ev.destination, 'port'))}`
    this.talkersFlow.add(key, typeof nb === 'number' ? nb : 0)
  }

  private service(type: string, server: string, ok: boolean, dur: number): void {
    const key = `${type} ${server}`
    let s = this.services.get(key)
    if (s === undefined) {
      if (this.services.size >= this.maxKeys) {
        // Bounded: services past the limit are counted, not listed.
        this.servicesDropped++
        return
      }
      s = {type, server, count: 0, errors: 0, latency: new LogHistogram()}
      this.services.set(key, s)
    }
    s.count++
    if (!ok) s.errors++
    if (dur >= 0) s.latency.add(dur)
  }

  /** Counts one transaction in the timeline; halves the resolution when the capture outgrows it. */
  private timePoint(type: string, ms: number): void {
    if (Number.isNaN(this.originMs)) this.originMs = ms
    let i = Math.floor(((ms - this.originMs) * 1e6) / this.binNs)
    while (i >= TIME_BINS) {
      for (const bins of this.timeline.values()) {
        for (let j = 0; j < TIME_BINS / 2; j++) bins[j] = bins[2 * j] + bins[2 * j + 1]
        bins.fill(0, TIME_BINS / 2)
      }
      this.binNs *= 2
      i = Math.floor(((ms - this.originMs) * 1e6) / this.binNs)
    }
    // Events of a later file may start before the first one: they go to the first bin.
    if (i < 0) i = 0
    let bins = this.timeline.get(type)
    if (bins === undefined) {
      bins = new Float64Array(TIME_BINS)
      this.timeline.set(type, bins)
    }
    bins[i]++
  }

  private protocolDetails(type: string, ev: PbxEvent): void {
    if (type === 'http') {
      const code = sub(sub(ev.http, 'response'), 'status_code')
      const c = typeof code === 'number' ? code : 0
      this.httpStatus.set(c, (this.httpStatus.get(c) ?? 0) + 1)
    } else if (type === 'dns') {
      const rc = str(sub(ev.dns, 'response_code')) || 'no response'
      this.dnsRcode.set(rc, (this.dnsRcode.get(rc) ?? 0) + 1)
      const name = str(sub(sub(ev.dns, 'question'), 'name'))
      if (name) {
        this.dnsNames.add(name)
        if (rc === 'NXDOMAIN') this.nxdomain.add(name)
      }
    } else if (type === 'tls') {
      const tls = ev.tls
      const v = str(sub(tls, 'version'))
      const vp = str(sub(tls, 'version_protocol'))
      const version = v ? `${vp || 'tls'} ${v}` : 'unknown'
      this.tlsVersions.set(version, (this.tlsVersions.get(version) ?? 0) + 1)
      const client = sub(tls, 'client')
      const sni = str(sub(client, 'server_name'))
      if (sni) this.sni.add(sni)
      const ja3 = str(sub(client, 'ja3'))
      if (ja3) this.ja3.add(ja3)
      const ja4 = str(sub(client, 'ja4'))
      if (ja4) this.ja4.add(ja4)
      const srv = sub(tls, 'server')
      const notAfter = str(sub(srv, 'not_after'))
      if (notAfter) {
        const subject = str(sub(srv, 'subject'))
        const key = `${subject}\u0000${notAfter}`
        if (!this.certs.has(key) && this.certs.size < this.maxKeys) {
          this.certs.set(key, {subject, issuer: str(sub(srv, 'issuer')), notAfter, server: sni || endpoint(sub(ev.destination, 'ip'), sub(ev.destination, 'port'))})
        }
      }
    } else {
      const proto = ev[type]
      const code = sub(proto, 'error_code')
      if (code !== undefined) this.sqlErrors.add(`${type} ${str(code)} ${str(sub(proto, 'error_message'))}`.trim())
    }
  }

  /** The figures for the renderer; call after end(). */
  snapshot(top = 20): ReportData {
    const run: {files: string[]; captures: RunInfo['captures']; errors: string[]; stats: Stats | undefined} = this.run ?? {files: [], captures: [], errors: [], stats: undefined}
    const services = [...this.services.values()].sort((a, b) => b.count - a.count || (a.server < b.server ? -1 : 1))
    const useFlows = this.talkersFlow.size > 0
    return {
      files: run.files,
      captures: run.captures,
      errors: run.errors,
      stats: run.stats,
      firstMs: this.first,
      lastMs: this.last,
      transactions: this.transactions,
      protos: this.protos,
      services,
      servicesDropped: this.servicesDropped,
      timeOriginMs: this.originMs,
      binNs: this.binNs,
      timeline: this.timeline,
      slowest: this.slowest.rows,
      failed: this.failed.rows,
      failedTotal: this.failedTotal,
      httpStatus: this.httpStatus,
      dnsRcode: this.dnsRcode,
      sqlErrors: this.sqlErrors.top(top),
      talkers: (useFlows ? this.talkersFlow : this.talkersTx).top(top),
      talkerSource: useFlows ? 'flows' : 'transactions',
      tlsVersions: this.tlsVersions,
      sni: this.sni.top(top),
      ja3: this.ja3.top(top),
      ja4: this.ja4.top(top),
      certs: [...this.certs.values()].sort((a, b) => (a.notAfter < b.notAfter ? -1 : 1)).slice(0, Math.max(top, this.keep)),
      dnsNames: this.dnsNames.top(top),
      nxdomain: this.nxdomain.top(top),
      notes: this.notes.top(top),
      flowEnds: this.flowEnds,
      flows: this.flows,
    }
  }
}
