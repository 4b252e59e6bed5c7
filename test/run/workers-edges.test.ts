/**
 * `--workers 2` at the edges of a run (src/run/parallel.ts): a capture larger than the worker
 * rings (they wrap, flow control waits for room, idle sweeps run in every worker), a capture cut
 * in the middle of a record, empty captures, many runs of small captures, and SIGINT while the
 * input is still arriving. Each must end (every run has a timeout: a hang fails the test) and give
 * exactly what `--workers 1` gives. The built CLI (dist/) is run.
 */
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, ROOT} from '../helpers/run-cli.js'
import {pcapFile, type SynthFrame, udpFrame} from '../support/synth/packets.js'

const RUN_TIMEOUT_MS = 90_000

interface Result {
  status: number | null
  signal: string | null
  stdout: string
  stderr: string
}

function cli(args: string[], input?: Buffer): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    timeout: RUN_TIMEOUT_MS,
    env: {...process.env, NO_COLOR: '1'},
  })
  return {status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr}
}

/** Runs with --workers 1 and 2; both must exit on their own, with the same status, stdout and stderr. */
function same(args: string[], input?: Buffer): Result {
  const one = cli([...args, '--workers', '1'], input)
  const two = cli([...args, '--workers', '2'], input)
  expect(one.signal).toBeNull()
  expect(two.signal).toBeNull()
  expect(two.status).toBe(one.status)
  expect(two.stderr).toBe(one.stderr)
  expect(two.stdout === one.stdout).toBe(true)
  return one
}

function dnsName(name: string): Buffer {
  const parts = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]))
  return Buffer.concat([...parts, Buffer.from([0])])
}

function dnsQuery(id: number, name: string): Buffer {
  const h = Buffer.alloc(12)
  h.writeUInt16BE(id, 0)
  h.writeUInt16BE(0x0100, 2)
  h.writeUInt16BE(1, 4)
  return Buffer.concat([h, dnsName(name), Buffer.from([0, 1, 0, 1])])
}

function dnsAnswer(id: number, name: string, addr: number): Buffer {
  const h = Buffer.alloc(12)
  h.writeUInt16BE(id, 0)
  h.writeUInt16BE(0x8180, 2)
  h.writeUInt16BE(1, 4)
  h.writeUInt16BE(1, 6)
  const rr = Buffer.alloc(16)
  rr.writeUInt16BE(0xc00c, 0)
  rr.writeUInt16BE(1, 2)
  rr.writeUInt16BE(1, 4)
  rr.writeUInt32BE(60, 6)
  rr.writeUInt16BE(4, 10)
  rr.writeUInt32BE(addr, 12)
  return Buffer.concat([h, dnsName(name), Buffer.from([0, 1, 0, 1]), rr])
}

/**
 * `pairs` DNS exchanges from many clients and ports, each with a big datagram of an unknown protocol
 * (to fill the rings), 20 ms apart: 10 minutes of capture time per 30,000 packets, so UDP
 * flows expire by idle sweeps throughout.
 */
function synthCapture(pairs: number): Buffer {
  const frames: SynthFrame[] = []
  const filler = Buffer.alloc(1400, 0x5a)
  let t = 0
  const at = (data: Buffer) => {
    frames.push({data, tsSec: 1_700_000_000 + Math.floor(t / 50), tsNsec: (t % 50) * 20_000_000})
    t++
  }
  for (let i = 0; i < pairs; i++) {
    const client = `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 7)}`
    const port = 1024 + ((i * 7919) % 60000)
    const name = `h${i % 997}.example.com`
    at(udpFrame({src: client, dst: '10.255.0.53', srcPort: port, dstPort: 53, payload: dnsQuery(i & 0xffff, name)}))
    at(udpFrame({src: client, dst: '10.254.0.9', srcPort: port, dstPort: 40000, payload: filler}))
    // Every tenth query stays unanswered until much later (or never).
    if (i % 10 !== 0) at(udpFrame({src: '10.255.0.53', dst: client, srcPort: 53, dstPort: port, payload: dnsAnswer(i & 0xffff, name, i)}))
  }
  return pcapFile(frames)
}

let dir = ''
let big = ''
let bigBytes: Buffer = Buffer.alloc(0)

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pbx-workers-'))
  bigBytes = synthCapture(30_000)
  big = path.join(dir, 'big.pcap')
  writeFileSync(big, bigBytes)
})

afterAll(() => {
  if (dir) rmSync(dir, {recursive: true, force: true})
})

describe('--workers 2 at the edges of a run', () => {
  it('a capture larger than the worker rings, with idle sweeps: NDJSON and summary', () => {
    // More than the 16 MiB of a worker's ring passes through each ring.
    expect(bigBytes.length).toBeGreaterThan(40 * 1024 * 1024)
    const r = same(['analyze', big, '--format', 'ndjson'])
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines.length).toBeGreaterThan(29_000)
    expect(r.stdout).toContain('"status":"OK"')
    const s = same(['analyze', big, '--format', 'summary', '--no-color'])
    expect(s.stdout).toContain('transactions')
  }, 4 * RUN_TIMEOUT_MS)

  it('a capture cut in the middle of a record (the run ends with the damage reported)', () => {
    const cut = path.join(dir, 'cut.pcap')
    writeFileSync(cut, bigBytes.subarray(0, Math.floor(bigBytes.length * 0.6) + 3))
    const r = same(['analyze', cut, '--format', 'ndjson'])
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/cut\.pcap/)
    expect(r.stdout.split("\n").length).toBeGreaterThan(15_000)
  }, 2 * RUN_TIMEOUT_MS)

  it('empty captures: a header only, and a capture of one unanswered query', () => {
    const header = path.join(dir, 'empty.pcap')
    writeFileSync(header, pcapFile([]))
    const r = same(['analyze', header, '--format', 'ndjson'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('')
    const one = path.join(dir, 'one.pcap')
    writeFileSync(one, synthCapture(1))
    const q = same(['analyze', one, '--format', 'ndjson'])
    expect(q.stdout.trimEnd().split('\n')).toHaveLength(1)
    const s = same(['analyze', header, one, '--format', 'summary', '--no-color'])
    expect(s.stdout).toContain('transactions')
  }, 8 * RUN_TIMEOUT_MS)

  it('many runs of small captures all end and agree', () => {
    const small = ['samples/dns/dnsmasq.pcap', 'samples/http/nginx.pcap', 'samples/tunnels/vxlan-two-vnis.pcap']
    const one = cli(['analyze', ...small, '--format', 'ndjson', '--workers', '1'])
    expect(one.status).toBe(0)
    expect(one.stdout.split('\n').length).toBeGreaterThan(10)
    for (let i = 0; i < 12; i++) {
      const two = cli(['analyze', ...small, '--format', 'ndjson', '--workers', '2'])
      expect(two.signal).toBeNull()
      expect(two.status).toBe(0)
      expect(two.stdout === one.stdout).toBe(true)
    }
  }, 14 * RUN_TIMEOUT_MS)

  it('SIGINT while the input is still arriving: the run stops, flushes and ends like one thread', async () => {
    // Whole records of the first 1,000 exchanges; then the input stays open until the signal.
    const head = synthCapture(1000)
    const interrupted = (workers: string) =>
      new Promise<Result>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'analyze', '-', '--format', 'ndjson', '--workers', workers], {
          cwd: ROOT,
          env: {...process.env, NO_COLOR: '1'},
        })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')))
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
        const killer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
        child.on('close', (status, signal) => {
          clearTimeout(killer)
          resolve({status, signal, stdout, stderr})
        })
        child.stdin.write(head)
        // Time to read, analyse and flush what was sent (the run then waits for more input).
        setTimeout(() => child.kill('SIGINT'), 4000)
      })
    const one = await interrupted('1')
    const two = await interrupted('2')
    expect(one.signal).toBeNull()
    expect(two.signal).toBeNull()
    expect(one.status).toBe(130)
    expect(two.status).toBe(130)
    expect(one.stdout.trimEnd().split('\n').length).toBeGreaterThan(900)
    expect(two.stdout === one.stdout).toBe(true)
  }, 3 * RUN_TIMEOUT_MS)
})
