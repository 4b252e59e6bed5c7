/**
 * The analyze command as users run it: exit codes, error messages, output formats, stdin, gzip,
 * several files, a closed pipe, and that nothing parsed before a failure is lost.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gzipSync} from 'node:zlib'
import {parse} from 'csv-parse/sync'
import {beforeAll, describe, expect, it} from 'vitest'
import {pcapFile, TcpConversation} from '../support/synth/packets.js'
import {BIN, pbx, ROOT} from '../helpers/run-cli.js'

const SAMPLE = 'samples/http/nginx.pcap'
let tmp: string

/** A synthetic capture with `n` keep-alive HTTP exchanges on one connection. */
function httpCapture(n: number): Buffer {
  const c = new TcpConversation({client: '10.1.0.1', server: '10.1.0.2', clientPort: 40001, serverPort: 80})
  c.handshake()
  for (let i = 0; i < n; i++) {
    c.send('client', `GET /item/${i} HTTP/1.1\r\nHost: shop.example\r\n\r\n`)
    c.send('server', `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nitem${i % 10}`)
  }
  c.close()
  return pcapFile(c.frames)
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'pbx-cli-'))
})

const lines = (s: string) => s.split('\n').filter(Boolean)

describe('pbx analyze', () => {
  it('prints a summary of the sample by default and exits 0', () => {
    const r = pbx(['analyze', SAMPLE])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/Transactions: \d+/)
    expect(r.stdout).toContain('http')
    expect(r.stdout).toMatch(/packets\s+\d+/)
    expect(r.stdout).not.toContain('\x1b[') // no colour when not a terminal
  })

  it('writes byte-identical NDJSON on every run', () => {
    const a = pbx(['analyze', SAMPLE, '--format', 'ndjson'])
    const b = pbx(['analyze', SAMPLE, '--format', 'ndjson'])
    expect(a.status).toBe(0)
    expect(lines(a.stdout).length).toBeGreaterThan(5)
    expect(a.stdout).toBe(b.stdout)
  })

  it('reads standard input with -, and gzip-compressed captures by their magic bytes', () => {
    const plain = pbx(['analyze', SAMPLE, '-f', 'ndjson']).stdout
    const gz = path.join(tmp, 'sample.bin') // no telling file name: recognised by content
    writeFileSync(gz, gzipSync(readFileSync(path.join(ROOT, SAMPLE))))
    expect(pbx(['analyze', gz, '-f', 'ndjson']).stdout).toBe(plain)
    const stdin = pbx(['analyze', '-', '-f', 'ndjson'], {input: readFileSync(path.join(ROOT, SAMPLE))})
    expect(stdin.status).toBe(0)
    expect(stdin.stdout).toBe(plain)
  })

  it('names the source file on each event when several files are read', () => {
    const f = path.join(tmp, 'two.pcap')
    writeFileSync(f, httpCapture(2))
    const r = pbx(['analyze', SAMPLE, f, '-f', 'ndjson'])
    expect(r.status).toBe(0)
    const files = new Set(lines(r.stdout).map((l) => JSON.parse(l).pbx.file))
    expect(files).toEqual(new Set([SAMPLE, f]))
  })

  it('writes CSV with a header from the field lists, to a file with -o', () => {
    const out = path.join(tmp, 'out.csv')
    const r = pbx(['analyze', SAMPLE, '-f', 'csv', '-o', out])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('')
    const rows = parse(readFileSync(out, 'utf8')) as string[][]
    const header = rows[0]
    expect(header.slice(0, 3)).toEqual(['@timestamp', 'type', 'status'])
    const nd = lines(pbx(['analyze', SAMPLE, '-f', 'ndjson']).stdout).map((l) => JSON.parse(l))
    expect(rows.length - 1).toBe(nd.length)
    const col = header.indexOf('http.response.status_code')
    expect(col).toBeGreaterThan(0)
    expect(rows.slice(1).map((r) => Number(r[col]))).toEqual(nd.map((e) => e.http.response.status_code))
  })

  it('exits 0 quietly and at once when the reader of its output goes away (| head -1)', () => {
    const big = path.join(tmp, 'big.pcap')
    writeFileSync(big, httpCapture(20000))
    const t0 = Date.now()
    const r = spawnSync('bash', ['-c', `set -o pipefail; node ${BIN} analyze ${big} --format ndjson | head -1`], {encoding: 'utf8'})
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(lines(r.stdout)).toHaveLength(1)
    expect(JSON.parse(r.stdout).url.path).toBe('/item/0')
    // generous bound: stopping must not mean analyzing all 20,000 exchanges first (that is checked
    // again by counting: a full run writes them all)
    expect(Date.now() - t0).toBeLessThan(20_000)
  })

  it('names the file and exits 3 for a file that is not a capture', () => {
    const f = path.join(tmp, 'notes.txt')
    writeFileSync(f, 'this is not a capture\n')
    const r = pbx(['analyze', f])
    expect(r.status).toBe(3)
    expect(r.stderr).toContain(f)
    expect(r.stderr).toMatch(/not a capture/)
  })

  it('exits 3 for a missing file and still reads the other files', () => {
    const r = pbx(['analyze', path.join(tmp, 'missing.pcap'), SAMPLE, '-f', 'ndjson'])
    expect(r.status).toBe(3)
    expect(r.stderr).toContain('missing.pcap')
    expect(lines(r.stdout).length).toBeGreaterThan(5)
  })

  it('keeps every transaction before the damage of a truncated capture, then exits 4 naming the offset', () => {
    const whole = httpCapture(50)
    const full = lines(pbx(['analyze', '-', '-f', 'ndjson'], {input: whole}).stdout)
    expect(full).toHaveLength(50)
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6) + 7)
    const f = path.join(tmp, 'truncated.pcap')
    writeFileSync(f, cut)
    const r = pbx(['analyze', f, '-f', 'ndjson'])
    expect(r.status).toBe(4)
    expect(r.stderr).toContain(f)
    expect(r.stderr).toMatch(/byte offset \d+/)
    const got = lines(r.stdout)
    expect(got.length).toBeGreaterThanOrEqual(25)
    expect(got.length).toBeLessThan(50)
    // the complete transactions are exactly the first ones of the full run
    const paths = got.map((l) => JSON.parse(l).url.path)
    expect(paths.slice(0, 25)).toEqual(full.slice(0, 25).map((l) => JSON.parse(l).url.path))
  })

  it('rejects an unknown protocol, a bad limit and an unreadable config with exit 2', () => {
    const a = pbx(['analyze', SAMPLE, '-p', 'gopher'])
    expect(a.status).toBe(2)
    expect(a.stderr).toMatch(/unknown protocol "gopher"/)
    const b = pbx(['analyze', SAMPLE, '--limit', 'noSuchLimit=3'])
    expect(b.status).toBe(2)
    expect(b.stderr).toMatch(/unknown limit "noSuchLimit"/)
    const cfg = path.join(tmp, 'bad.yaml')
    writeFileSync(cfg, 'limits: [1, 2\n')
    const c = pbx(['analyze', SAMPLE, '-c', cfg])
    expect(c.status).toBe(2)
    expect(c.stderr).toContain(cfg)
  })

  it('reports an unwritable output path with exit 2 before reading', () => {
    const r = pbx(['analyze', SAMPLE, '-f', 'ndjson', '-o', path.join(tmp, 'no/such/dir/out.ndjson')])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/cannot write .*out\.ndjson/)
  })

  it('applies ports from the config before default ports and content detection', () => {
    const cfg = path.join(tmp, 'ports.yaml')
    // the sample's nginx listens on 18080: HTTP is found there by content, unless another protocol is
    // configured for that port
    writeFileSync(cfg, 'protocols:\n  memcache: {ports: [18080]}\n')
    const r = pbx(['analyze', SAMPLE, '-c', cfg, '-f', 'ndjson'])
    expect(r.status).toBe(0)
    const types = new Set(lines(r.stdout).map((l) => JSON.parse(l).type))
    expect(types.has('http')).toBe(false)
    const bad = path.join(tmp, 'badports.yaml')
    writeFileSync(bad, 'protocols:\n  http: {ports: [80, "x"]}\n')
    const b = pbx(['analyze', SAMPLE, '-c', bad])
    expect(b.status).toBe(2)
    expect(b.stderr).toMatch(/protocols\.http\.ports: expected a list of port numbers \(0\.\.65535\), got \[80,"x"\]/)
  })

  it('applies a config file: a protocol disabled there produces no events', () => {
    const cfg = path.join(tmp, 'nohttp.yaml')
    writeFileSync(cfg, 'protocols:\n  http: {enabled: false}\n')
    const r = pbx(['analyze', SAMPLE, '-c', cfg, '-f', 'ndjson'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('')
  })
})

describe('pbx analyze --flows', () => {
  it('adds one final flow record per connection, with packets that add up to the capture', () => {
    const r = pbx(['analyze', SAMPLE, '--flows', '-f', 'ndjson'])
    expect(r.status).toBe(0)
    const evs = lines(r.stdout).map((l) => JSON.parse(l))
    const flows = evs.filter((e) => e.type === 'flow')
    const http = evs.filter((e) => e.type === 'http')
    expect(http.length).toBeGreaterThan(0)
    expect(new Set(flows.map((f) => f.flow.id)).size).toBe(flows.length)
    expect(flows.every((f) => f.flow.final === true)).toBe(true)
    const summary = pbx(['analyze', SAMPLE])
    const packets = Number(/packets\s+(\d+)/.exec(summary.stdout)![1])
    expect(flows.reduce((n, f) => n + f.network.packets, 0)).toBe(packets)
  })

  it('counts flows apart from transactions in the summary', () => {
    const plain = pbx(['analyze', SAMPLE]).stdout
    const withFlows = pbx(['analyze', SAMPLE, '--flows']).stdout
    const tx = /Transactions: (\d+)/.exec(plain)![1]
    expect(/Transactions: (\d+)/.exec(withFlows)![1]).toBe(tx)
    const packets = /packets\s+(\d+)/.exec(plain)![1]
    expect(withFlows).toMatch(new RegExp(`Flows: \\d+ \\(${packets} packets\\)`))
  })

  it('rejects a negative --flow-period with exit 2', () => {
    const r = pbx(['analyze', SAMPLE, '--flow-period=-1'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/flow-period/)
  })
})

describe('pbx fields and pbx limits', () => {
  it('lists the common and per-protocol fields', () => {
    const r = pbx(['fields', '--json'])
    expect(r.status).toBe(0)
    const f = JSON.parse(r.stdout)
    expect(f.common.map((x: {name: string}) => x.name)).toContain('network.community_id')
    expect(f.http.map((x: {name: string}) => x.name)).toContain('http.response.status_code')
  })

  it('lists the limits with their defaults', () => {
    const r = pbx(['limits'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/tcpOooBytesPerConn\s+\d+/)
  })
})
