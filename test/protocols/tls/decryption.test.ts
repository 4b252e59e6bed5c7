/**
 * The TLS session with a key log (src/protocols/tls/decryption.ts): the HTTPS sample's decrypted
 * HTTP transactions against tshark's, the tls fields beside them, failures as notes, and where the
 * run's key log comes from (src/run/plan.ts: --tls-keylog, SSLKEYLOGFILE, tls.keylog_file).
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {KeyLog} from '../../../src/protocols/tls/decrypt/keylog.js'
import {PlanError, planRun} from '../../../src/run/plan.js'
import {analyzeToNdjson} from '../../helpers/analyze-to-string.js'
import {ROOT} from '../../helpers/run-cli.js'

const PCAP = path.join(ROOT, 'samples/https/nginx.pcap')
const DSB = path.join(ROOT, 'samples/https/nginx-dsb.pcapng')
const KEYLOG = path.join(ROOT, 'samples/https/nginx.keylog')
// biome-ignore lint/suspicious/noExplicitAny: parsed NDJSON events
type Ev = any

async function events(files: string[], keylogs: string[] = []): Promise<Ev[]> {
  const {text, result} = await analyzeToNdjson(files, {}, {}, keylogs)
  expect(result.errors).toEqual([])
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

/** tshark's lines (src port, dst port, method, uri, code, content length), sorted. */
function oracle(): string[] {
  return readFileSync(path.join(ROOT, 'samples/https/nginx.tshark.tsv'), 'utf8').split('\n').filter(Boolean).sort()
}

/** The same lines from pbx's HTTP transactions: one for the request, one for the response. */
function asTshark(evs: Ev[]): string[] {
  const out: string[] = []
  for (const e of evs.filter((x) => x.type === 'http')) {
    const rq = e.http.request.body.bytes
    out.push([e.source.port, e.destination.port, e.http.request.method, e.url.original, '', rq > 0 ? rq : ''].join('\t'))
    out.push([e.destination.port, e.source.port, '', '', e.http.response.status_code, e.http.response.body.bytes].join('\t'))
  }
  return out.sort()
}

describe('TLS decryption in the TLS session', () => {
  it('decrypts every HTTPS connection of the sample with its key log: the HTTP messages tshark shows', async () => {
    const evs = await events([PCAP], [KEYLOG])
    const http = evs.filter((e) => e.type === 'http')
    expect(http).toHaveLength(40)
    expect(asTshark(evs)).toEqual(oracle())
    const tls = evs.filter((e) => e.type === 'tls')
    expect(tls).toHaveLength(20)
    for (const t of tls) {
      expect(t.tls.decrypted).toBe(true)
      expect(t.pbx.tls.client_decrypted_records).toBeGreaterThan(0)
      expect(t.notes).toBeUndefined()
    }
    // every HTTP event carries its session's tls facts
    for (const h of http) {
      const s = tls.find((t) => t.source.port === h.source.port)
      expect(h.tls).toEqual({
        version: s.tls.version,
        version_protocol: 'tls',
        cipher: s.tls.cipher,
        next_protocol: 'http/1.1',
        decrypted: true,
        client: {server_name: 'pbx.test'},
      })
      expect(h.destination.domain).toBe('pbx.test')
      expect(h.url.scheme).toBe('https')
      expect(h.url.full.startsWith('https://pbx.test:')).toBe(true)
    }
    expect(new Set(http.map((h) => h.tls.cipher)).size).toBe(10)
    // TLS 1.3 sends ALPN encrypted: read from the decrypted EncryptedExtensions
    for (const t of tls) expect(t.tls.next_protocol).toBe('http/1.1')
  })

  it('takes the keys from the pcapng Decryption Secrets Block alone', async () => {
    const evs = await events([DSB])
    expect(asTshark(evs)).toEqual(oracle())
  })

  it('without keys: only the TLS sessions, no decryption fields', async () => {
    const evs = await events([PCAP])
    expect(evs.filter((e) => e.type === 'http')).toHaveLength(0)
    const tls = evs.filter((e) => e.type === 'tls')
    expect(tls).toHaveLength(20)
    for (const t of tls) {
      expect(t.tls.decrypted).toBeUndefined()
      expect(t.pbx.tls.decrypt_unavailable).toBeUndefined()
    }
  })

  it('a wrong secret: tls.decrypt_failed on that session, the others decrypted; missing keys are named', async () => {
    const lines = readFileSync(KEYLOG, 'utf8').split('\n').filter(Boolean)
    // TLS 1.2 lines are CLIENT_RANDOM <random> <master>: damage the first, drop the second
    const [label, random, secret] = lines[0]!.split(' ')
    const flipped = (secret![0] === '0' ? '1' : '0') + secret!.slice(1)
    const dir = mkdtempSync(path.join(tmpdir(), 'pbx-keylog-'))
    const file = path.join(dir, 'bad.keylog')
    writeFileSync(file, [`${label} ${random} ${flipped}`, ...lines.slice(2)].join('\n'))
    const evs = await events([PCAP], [file])
    const tls = evs.filter((e) => e.type === 'tls')
    const failed = tls.filter((t) => t.pbx.anomalies?.includes('tls.decrypt_failed'))
    expect(failed).toHaveLength(1)
    expect(failed[0].tls.decrypted).toBe(false)
    expect(failed[0].notes.join(' ')).toMatch(/client|server/)
    const noKeys = tls.filter((t) => t.pbx.tls.decrypt_unavailable === 'no-keys')
    expect(noKeys).toHaveLength(1)
    expect(noKeys[0].tls.decrypted).toBe(false)
    // the 18 other sessions carry 36 HTTP transactions; the damaged and the keyless one none
    const http = evs.filter((e) => e.type === 'http')
    expect(http).toHaveLength(36)
    const bad = new Set([failed[0].source.port, noKeys[0].source.port])
    expect(http.some((h) => bad.has(h.source.port))).toBe(false)
  })
})

describe('the run key log (planRun)', () => {
  const saved = process.env.SSLKEYLOGFILE
  afterEach(() => {
    if (saved === undefined) delete process.env.SSLKEYLOGFILE
    else process.env.SSLKEYLOGFILE = saved
  })
  const keylogOf = (p: Awaited<ReturnType<typeof planRun>>) => p.options.protocolOptions?.tls?.keylog as KeyLog

  it('reads --tls-keylog, SSLKEYLOGFILE and tls.keylog_file into one key log', async () => {
    delete process.env.SSLKEYLOGFILE
    const flag = await planRun({files: [PCAP], tlsKeylog: KEYLOG, outputs: [{type: 'ndjson', path: path.join(tmpdir(), 'pbx-kl-a.ndjson')}]})
    expect(keylogOf(flag)).toBeInstanceOf(KeyLog)
    expect(keylogOf(flag).size).toBe(20)
    process.env.SSLKEYLOGFILE = KEYLOG
    const env = await planRun({files: [PCAP], outputs: [{type: 'ndjson', path: path.join(tmpdir(), 'pbx-kl-b.ndjson')}]})
    expect(keylogOf(env).size).toBe(20)
    delete process.env.SSLKEYLOGFILE
    const dir = mkdtempSync(path.join(tmpdir(), 'pbx-cfg-'))
    const cfg = path.join(dir, 'packetbeat.yml')
    writeFileSync(cfg, `packetbeat.protocols:\n- type: tls\n  ports: [18443, 18444]\n  keylog_file: ${KEYLOG}\n`)
    const conf = await planRun({files: [PCAP], configFile: cfg, outputs: [{type: 'ndjson', path: path.join(tmpdir(), 'pbx-kl-c.ndjson')}]})
    expect(keylogOf(conf).size).toBe(20)
    const none = await planRun({files: [PCAP], outputs: [{type: 'ndjson', path: path.join(tmpdir(), 'pbx-kl-d.ndjson')}]})
    expect(keylogOf(none).size).toBe(0)
  })

  it('a key log that cannot be read is a usage error naming where it came from', async () => {
    delete process.env.SSLKEYLOGFILE
    const p = planRun({files: [PCAP], tlsKeylog: '/nonexistent/x.keylog'})
    await expect(p).rejects.toBeInstanceOf(PlanError)
    await expect(p).rejects.toThrow('--tls-keylog: /nonexistent/x.keylog: no such key log file')
    process.env.SSLKEYLOGFILE = '/nonexistent/y.keylog'
    await expect(planRun({files: [PCAP]})).rejects.toThrow('SSLKEYLOGFILE: /nonexistent/y.keylog')
  })
})
