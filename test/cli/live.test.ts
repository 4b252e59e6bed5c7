/**
 * `pbx live` as a user runs it, on loopback as root (tests run as root here and in CI; `npm test`
 * builds dist/ first). A local HTTP server answers requests made with fetch while the built CLI
 * captures them. A test that cannot capture because the environment forbids it fails and says why.
 */
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, pbx, ROOT} from '../helpers/run-cli.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-live-cli-'))
let server: http.Server
let port = 0
const slow: http.ServerResponse[] = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      slow.push(res) // answered only after the capture ended
      return
    }
    req.resume()
    req.on('end', () => {
      res.writeHead(req.url === '/missing' ? 404 : req.method === 'POST' ? 201 : 200, {'content-type': 'text/plain'})
      res.end(`${req.method} ${req.url}`)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
})
afterAll(() => {
  for (const r of slow) r.end()
  server.closeAllConnections()
  server.close()
})

interface Live {
  done: Promise<number | null>
  out(): string
  err(): string
  kill(sig: NodeJS.Signals): void
}

/** Starts `pbx live ARGS` and resolves once it says it is capturing; fails with its message otherwise. */
async function live(args: string[]): Promise<Live> {
  const child = spawn(process.execPath, [BIN, 'live', ...args], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c) => (stdout += c))
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (c) => {
      stderr += c
      if (stderr.includes('capturing on lo')) resolve()
    })
    void done.then(() => reject(new Error(`pbx live could not capture on lo in this environment: exit ${child.exitCode}: ${stderr.trim()}`)))
    setTimeout(() => reject(new Error(`pbx live did not start capturing within 10 s: ${stderr.trim()}`)), 10_000).unref()
  })
  return {done, out: () => stdout, err: () => stderr, kill: (sig) => child.kill(sig)}
}

function events(ndjson: string): Record<string, unknown>[] {
  return ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

function triples(evs: Record<string, unknown>[]): [unknown, unknown, unknown][] {
  return evs.map((e) => {
    const h = e.http as {request?: {method?: string}; response?: {status_code?: number}}
    return [h.request?.method, e.path, h.response?.status_code]
  })
}

const REQUESTS: [string, string, number][] = [
  ['GET', '/a', 200],
  ['POST', '/b', 201],
  ['GET', '/missing', 404],
  ['PUT', '/c', 200],
  ['DELETE', '/d', 200],
]

/**
 * One request with node:http. Without `agent`, a new connection that the server closes after the
 * response; with one, its kept-alive connections (each test makes its own agent, so no test picks
 * up a connection opened before its capture started).
 */
function request(method: string, p: string, agent?: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = method === 'POST' || method === 'PUT' ? 'data' : ''
    const req = http.request(
      {host: '127.0.0.1', port, method, path: p, agent: agent ?? false, headers: agent ? {'content-length': body.length} : {connection: 'close', 'content-length': body.length}},
      (res) => {
        res.resume()
        res.on('end', () => resolve())
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('pbx live -i lo', () => {
  it('captures --count packets with the libpcap filter and reports each transaction, then exits 0', async () => {
    const p = await live(['-i', 'lo', '--filter', `tcp port ${port}`, '--count', '100', '-f', 'ndjson', '-f', 'summary'])
    // Each request on its own connection: at most ~11 packets each, well inside the 100 counted.
    for (const [m, u] of REQUESTS) await request(m, u)
    // Then filler traffic until pbx has its 100 packets and exits by itself.
    let exited = false
    void p.done.then(() => (exited = true))
    for (let i = 0; i < 200 && !exited; i++) await request('GET', '/filler')
    expect(await p.done).toBe(0)
    const evs = events(p.out())
    expect(triples(evs.slice(0, REQUESTS.length))).toEqual(REQUESTS)
    expect(evs.slice(0, REQUESTS.length).map((e) => e.status)).toEqual(['OK', 'OK', 'Error', 'OK', 'OK']) // 404 is an error
    // Fillers: the last one may have been cut by --count (then flushed as a request without response).
    const fillers = evs.slice(REQUESTS.length)
    for (const e of fillers.slice(0, -1)) expect(triples([e])).toEqual([['GET', '/filler', 200]])
    expect(triples(fillers.slice(-1))[0].slice(0, 2)).toEqual(['GET', '/filler'])
    for (const e of evs) expect(e).toMatchObject({type: 'http', destination: {ip: '127.0.0.1', port}})
    expect(p.err()).toMatch(/dropped \(libpcap \/ interface\) +0 \/ 0\n/) // pcap_stats
    expect(p.err()).toMatch(/\n {2}packets +100 \(/) // the summary moved to stderr
  })

  it('on SIGINT flushes every transaction (also one still waiting for its response), exits 130, and --write saves packets that analyze reads back to the same events', async () => {
    const nd = path.join(tmp, 'int.ndjson')
    const pcapng = path.join(tmp, 'int.pcapng')
    const p = await live(['-i', 'lo', '--filter', `tcp port ${port}`, '-f', `ndjson=${nd}`, '-f', 'summary', '--write', pcapng])
    const agent = new http.Agent({keepAlive: true, maxSockets: 1})
    for (const [m, u] of REQUESTS) await request(m, u, agent) // one kept-alive connection: no FIN
    void request('GET', '/slow', new http.Agent({keepAlive: true})).catch(() => {})
    await new Promise((r) => setTimeout(r, 500))
    p.kill('SIGINT')
    expect(await p.done).toBe(130)
    const evs = events(readFileSync(nd, 'utf8'))
    expect(triples(evs.slice(0, REQUESTS.length))).toEqual(REQUESTS)
    expect(evs).toHaveLength(REQUESTS.length + 1)
    expect(evs[REQUESTS.length]).toMatchObject({path: '/slow', status: 'Error', notes: expect.arrayContaining(['no response'])})
    expect(p.out()).toMatch(/Transactions: 6/)
    expect(p.out()).toMatch(/capture lo: live, nanosecond timestamps, link ethernet/)
    expect(p.err()).toMatch(/stopped by SIGINT after \d+ packets: everything in flight was flushed; 6 events written/)
    const back = pbx(['analyze', pcapng, '-f', 'ndjson'])
    expect(back.status).toBe(0)
    expect(back.stdout).toBe(readFileSync(nd, 'utf8'))
  })

  it('SIGTERM exits 143 after flushing', async () => {
    const nd = path.join(tmp, 'term.ndjson')
    const p = await live(['-i', 'lo', '--filter', `tcp port ${port}`, '-f', `ndjson=${nd}`])
    await request('GET', '/term')
    await new Promise((r) => setTimeout(r, 500))
    p.kill('SIGTERM')
    expect(await p.done).toBe(143)
    expect(triples(events(readFileSync(nd, 'utf8')))).toEqual([['GET', '/term', 200]])
  })
})

describe('pbx live errors', () => {
  it('an unknown interface is exit 3 and lists the available ones', () => {
    const r = pbx(['live', '-i', 'nosuch0', '-f', 'ndjson'])
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/^pbx: no such interface "nosuch0"; available: .*\blo\b.*\(see `pbx live --list`\)\n$/)
    expect(r.stdout).toBe('')
  })

  it('an invalid filter is exit 2 with libpcap\'s message, and nothing is opened', () => {
    const out = path.join(tmp, 'keep.ndjson')
    writeFileSync(out, 'previous\n')
    const r = pbx(['live', '-i', 'lo', '--filter', 'tcp port', '-f', 'ndjson', '-o', out])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe("pbx: --filter: can't parse filter expression: syntax error\n")
    expect(readFileSync(out, 'utf8')).toBe('previous\n')
  })

  it('without root or CAP_NET_RAW says so plainly, exit 3', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'live', '-i', 'lo'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {...process.env, HOME: tmp, NO_COLOR: '1'},
    })
    expect(r.error, 'setpriv (util-linux) is needed to run pbx without privileges').toBeUndefined()
    expect(r.status).toBe(3)
    expect(r.stderr).toContain('pbx: lo: capturing needs root or CAP_NET_RAW (e.g. `sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))`)')
  })

  it('without the native binding says how to build it, exit 3; analyze never loads it', () => {
    const missing = path.join(tmp, 'no-binding-here.cjs')
    const r = spawnSync(process.execPath, [BIN, 'live', '-i', 'lo'], {cwd: ROOT, encoding: 'utf8', env: {...process.env, PBX_PCAP_MODULE: missing}})
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/^pbx: live capture needs pbx's libpcap binding, which is not built here: install libpcap-dev .* then run `npm run build:native`/)
    // A stand-in module that records being loaded: `live --list` loads it, `analyze` does not.
    const marker = path.join(tmp, 'loaded')
    const fake = path.join(tmp, 'fake-pcap.cjs')
    writeFileSync(
      fake,
      `require('fs').appendFileSync(${JSON.stringify(marker)}, 'x'); module.exports = {findAllDevs: () => [{name: 'fake0', addresses: [{addr: '10.9.8.7'}], description: 'a stand-in', loopback: false}]}`,
    )
    const env = {...process.env, PBX_PCAP_MODULE: fake}
    const a = spawnSync(process.execPath, [BIN, 'analyze', path.join(ROOT, 'samples/http/nginx.pcap')], {cwd: ROOT, encoding: 'utf8', env})
    expect(a.status).toBe(0)
    expect(() => readFileSync(marker)).toThrow()
    const l = spawnSync(process.execPath, [BIN, 'live', '--list'], {cwd: ROOT, encoding: 'utf8', env})
    expect(l.status).toBe(0)
    expect(l.stdout).toBe('fake0  10.9.8.7  (a stand-in)\n')
    expect(readFileSync(marker, 'utf8')).toBe('x')
  })

  it('--list shows loopback', () => {
    const r = pbx(['live', '--list'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^lo +127\.0\.0\.1 ::1 +\(loopback\)$/m)
  })

  it('needs -i, and a positive --duration', () => {
    expect(pbx(['live']).status).toBe(2)
    const d = pbx(['live', '-i', 'lo', '--duration', '0'])
    expect(d.status).toBe(2)
    expect(d.stderr).toBe('pbx: --duration: expected a number of seconds > 0, got "0"\n')
  })
})
