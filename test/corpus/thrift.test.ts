/**
 * Thrift against tshark, capture by capture: the public corpus's Thrift captures
 * (../shared/corpus, read in place) and pbx's own samples/thrift/*.pcap.
 *
 * The oracle files carry no Thrift section, so tshark is run here (CI installs it) with the
 * capture's decode-as from ../shared/corpus/decode_as.tsv (else ports 9090 and 9091, the samples'), listing every
 * Thrift message: its type and method. pbx's events are turned into the same list: each event is
 * its call ("call", or "oneway" when it has no reply and no thrift.no_response anomaly) and, when
 * it has one, its reply ("reply": a reply or an exception message). The lists are compared as
 * multisets, and per capture the counts are printed (what the README's figures come from).
 */
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {analyzeToNdjson} from '../helpers/analyze-to-string.js'
import {ROOT} from '../helpers/run-cli.js'

const CORPUS = path.resolve(ROOT, '../shared/corpus')
const SAMPLES = path.resolve(ROOT, 'samples/thrift')

function decodeAs(): Map<string, string[]> {
  const m = new Map<string, string[]>()
  const f = path.join(CORPUS, 'decode_as.tsv')
  if (!existsSync(f)) return m
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const [p, opts] = line.split('\t')
    if (p && opts) m.set(path.join(CORPUS, p), opts.split(/\s+/).filter(Boolean))
  }
  return m
}

function thriftCaptures(): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const d of readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, d.name)
      if (d.isDirectory()) walk(p)
      else if (/thrift/i.test(d.name) && /\.(pcap|pcapng)$/.test(d.name)) out.push(p)
    }
  }
  if (existsSync(CORPUS)) walk(CORPUS)
  if (existsSync(SAMPLES)) walk(SAMPLES)
  return out
}

const MTYPE: Record<string, string> = {'1': 'call', '2': 'reply', '3': 'reply', '4': 'oneway'}

function tsharkMessages(file: string, opts: string[]): string[] {
  const text = execFileSync('tshark', ['-r', file, ...opts, '-Y', 'thrift', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'thrift.mtype', '-e', 'thrift.method'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const out: string[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const [types, methods] = line.split('\t')
    const t = (types ?? '').split('|')
    const m = (methods ?? '').split('|')
    // several messages in one frame: one entry each
    for (let i = 0; i < t.length; i++) out.push(`${MTYPE[String(Number(t[i]))] ?? t[i]} ${m[i] ?? '?'}`)
  }
  return out
}

// biome-ignore lint/suspicious/noExplicitAny: events are free-form JSON read back from NDJSON
function pbxMessages(events: Record<string, any>[]): string[] {
  const out: string[] = []
  for (const e of events) {
    if (e.type !== 'thrift') continue
    const replied = e.thrift?.return_value !== undefined || e.thrift?.exceptions !== undefined
    const unanswered = (e.pbx?.anomalies ?? []).includes('thrift.no_response')
    const unmatched = (e.pbx?.anomalies ?? []).includes('thrift.unmatched_response')
    if (!unmatched) out.push(`${replied || unanswered ? 'call' : 'oneway'} ${e.method}`)
    if (replied || unmatched) out.push(`reply ${e.method}`)
  }
  return out
}

function sorted(a: string[]): string[] {
  return [...a].sort()
}

const files = thriftCaptures()
const da = decodeAs()
const figures: string[] = []

describe('thrift vs tshark', () => {
  it('has the corpus Thrift captures and the samples', () => {
    expect(files.filter((f) => f.startsWith(CORPUS)).length).toBeGreaterThanOrEqual(5)
    expect(files.filter((f) => f.startsWith(SAMPLES)).length).toBeGreaterThanOrEqual(1)
  })
  for (const file of files) {
    const rel = path.relative(ROOT, file)
    it(rel, async () => {
      const want = tsharkMessages(file, da.get(file) ?? ['-d', 'tcp.port==9090,thrift', '-d', 'tcp.port==9091,thrift'])
      const {text} = await analyzeToNdjson([file])
      const events = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
      const got = pbxMessages(events)
      expect(want.length, 'tshark lists Thrift messages').toBeGreaterThan(0)
      expect(sorted(got), `pbx vs tshark Thrift messages in ${rel}`).toEqual(sorted(want))
      figures.push(`${rel}: ${got.length}/${want.length} messages, ${events.filter((e) => e.type === 'thrift').length} events`)
    })
  }
  afterAll(() => {
    console.log(`thrift vs tshark: ${figures.length} captures agree\n  ${figures.join('\n  ')}`)
  })
})
