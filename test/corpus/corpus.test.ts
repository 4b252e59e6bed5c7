/**
 * The corpus suite: every capture of ../shared/corpus (public test captures of Packetbeat, Zeek,
 * Arkime, gopacket and tcpdump, read in place — they belong to those projects and are never copied
 * here) is analyzed in-process, and pbx's transactions are compared with the tshark oracle beside
 * each capture (NAME.expected.json).
 *
 * Every capture: the run completes without throwing, and output is valid NDJSON.
 * HTTP: the multiset of (method, uri, status) must equal the oracle's stream-order pairing
 * (`http.transactions_fifo`), except where tshark is wrong; each exception says why.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {analyzeToNdjson} from '../helpers/analyze-to-string.js'
import {ROOT} from '../helpers/run-cli.js'
import {HTTP_EXCEPTIONS} from './exceptions.js'

const CORPUS = path.resolve(ROOT, '../shared/corpus')
const CAPTURE = /\.(pcap|pcapng|cap)$/

function captures(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const p = path.join(dir, d.name)
      if (d.isDirectory()) return captures(p)
      return CAPTURE.test(d.name) && existsSync(oracleOf(p)) ? [p] : []
    })
}
const oracleOf = (p: string) => p.replace(CAPTURE, '.expected.json')

function stripOrigin(u: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(u)
  return m ? m[1] || '/' : u
}

type Ev = Record<string, any>

/** Oracle HTTP keys: tshark's stream-order pairing (its own request_in links mis-pair pipelines). */
function oracleHttp(o: any): string[] {
  const fifo = o.http?.transactions_fifo
  if (!Array.isArray(fifo)) return []
  return fifo.map((t: any) => (t.request_frame == null ? `- - ${t.status ?? '-'}` : `${t.method} ${stripOrigin(t.uri)} ${t.status ?? '-'}`))
}

function pbxHttp(events: Ev[]): string[] {
  return events
    .filter((e) => e.type === 'http')
    .map((e) => {
      const m = e.http?.request?.method ?? '-'
      const u = e.url?.original != null ? stripOrigin(e.url.original) : '-'
      return `${m} ${u} ${e.http?.response?.status_code ?? '-'}`
    })
}

function diff(want: string[], got: string[]): {missing: string[]; extra: string[]} {
  const left = new Map<string, number>()
  for (const k of want) left.set(k, (left.get(k) ?? 0) + 1)
  const extra: string[] = []
  for (const k of got) {
    const n = left.get(k) ?? 0
    if (n > 0) left.set(k, n - 1)
    else extra.push(k)
  }
  const missing = [...left].flatMap(([k, n]) => Array<string>(n).fill(k))
  return {missing, extra}
}

const all = existsSync(CORPUS) ? captures(CORPUS) : []

describe('corpus', () => {
  it('is present beside the project (../shared/corpus) with hundreds of captures', () => {
    expect(all.length).toBeGreaterThan(400)
  })

  for (const file of all) {
    const rel = path.relative(CORPUS, file)
    it(rel, async () => {
      const {text, result} = await analyzeToNdjson([file])
      const events: Ev[] = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
      expect(result.events).toBe(events.length)
      // a damaged capture is reported as such (exit 4), never as a crash
      expect([0, 3, 4]).toContain(result.exitCode)

      const oracle = JSON.parse(readFileSync(oracleOf(file), 'utf8'))
      const want = oracleHttp(oracle)
      const got = pbxHttp(events)
      if (want.length === 0 && got.length === 0) return
      const d = diff(want, got)
      const exception = HTTP_EXCEPTIONS[rel]
      if (exception) {
        // the exception must still describe reality: pbx differs from tshark exactly as recorded
        expect({missing: d.missing.sort(), extra: d.extra.sort()}, exception.why).toEqual({
          missing: [...exception.missing].sort(),
          extra: [...exception.extra].sort(),
        })
      } else {
        expect(d, `pbx vs tshark HTTP transactions in ${rel}`).toEqual({missing: [], extra: []})
      }
    })
  }
})
