/**
 * `--workers 2` gives the same bytes as `--workers 1` (src/run/parallel.ts): every sample in
 * samples/ and a set of corpus captures, all read in one run each way (one engine per file, so
 * every file is its own sharded analysis; events carry pbx.file), for NDJSON, CSV and the summary.
 * The built CLI (dist/) is run: the worker threads load dist/run/worker.js.
 */
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {pbx, ROOT} from '../helpers/run-cli.js'

const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/

function captures(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {withFileTypes: true})
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const p = path.join(dir, d.name)
      if (d.isDirectory()) return captures(p)
      return CAPTURE.test(d.name) ? [p] : []
    })
}

const samples = captures(path.join(ROOT, 'samples'))
const corpusDir = path.resolve(ROOT, '../shared/corpus')
const corpus = ['packetbeat', 'zeek', 'tcpdump'].flatMap((d) => captures(path.join(corpusDir, d)))

function both(files: string[], args: string[]): [string, string] {
  const one = pbx(['analyze', ...files, ...args, '--workers', '1'])
  const two = pbx(['analyze', ...files, ...args, '--workers', '2'])
  expect(two.status).toBe(one.status)
  expect(two.stderr).toBe(one.stderr)
  return [one.stdout, two.stdout]
}

describe('--workers 2 is byte-identical to --workers 1', () => {
  it('has samples and corpus captures to compare', () => {
    expect(samples.length).toBeGreaterThan(30)
    expect(corpus.length).toBeGreaterThan(50)
  })

  it('NDJSON of every sample', () => {
    const [one, two] = both(samples, ['--format', 'ndjson'])
    expect(one.split('\n').length).toBeGreaterThan(500)
    expect(two).toBe(one)
  }, 120_000)

  it('NDJSON of the corpus captures', () => {
    const [one, two] = both(corpus, ['--format', 'ndjson'])
    expect(one.split('\n').length).toBeGreaterThan(500)
    expect(two).toBe(one)
  }, 120_000)

  it('summary and CSV of every sample', () => {
    const [s1, s2] = both(samples, ['--format', 'summary', '--no-color'])
    expect(s1).toContain('transactions')
    expect(s2).toBe(s1)
    const [c1, c2] = both(samples, ['--format', 'csv'])
    expect(c2).toBe(c1)
  }, 120_000)

  it('TLS decryption: --tls-keylog and pcapng secrets blocks reach the workers', () => {
    const [k1, k2] = both(['samples/https/nginx.pcap'], ['--format', 'ndjson', '--tls-keylog', 'samples/https/nginx.keylog'])
    expect(k1).toContain('"decrypted"')
    expect(k2).toBe(k1)
    const [d1, d2] = both(['samples/https/nginx-dsb.pcapng'], ['--format', 'ndjson'])
    expect(d1).toContain('"decrypted"')
    expect(d2).toBe(d1)
  }, 60_000)

  it('--filter and short idle timeouts (sweeps expiring conns in every worker at the same instants)', () => {
    const [f1, f2] = both(samples, ['--format', 'ndjson', '--filter', 'tcp or udp port 53'])
    expect(f1.split('\n').length).toBeGreaterThan(100)
    expect(f2).toBe(f1)
    const idle = ['--limit', 'tcpIdleTimeoutSec=0.001', '--limit', 'udpFlowIdleTimeoutSec=0.001']
    const all = [...samples, ...corpus]
    const [t1, t2] = both(all, ['--format', 'ndjson', ...idle])
    // The short timeouts do end conns early (else this would test nothing new).
    expect(t1).not.toBe(pbx(['analyze', ...all, '--format', 'ndjson', '--workers', '1']).stdout)
    expect(t2).toBe(t1)
  }, 120_000)

  it('HTTP with --send-headers across samples (a protocol option reaches the workers)', () => {
    const [one, two] = both(samples, ['--format', 'ndjson', '--send-headers', '-p', 'http,dns,tls'])
    expect(one).toContain('"headers"')
    expect(two).toBe(one)
  }, 120_000)
})
