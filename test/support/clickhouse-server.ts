/**
 * A private clickhouse-server for the tests: its own config (written here), data directory and free
 * ports on 127.0.0.1; start() waits for /ping, stop() ends that one process. Debian's package
 * (clickhouse-server, 18.16 on bookworm) does not start a server itself after install.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const CLICKHOUSE_SERVER = '/usr/sbin/clickhouse-server'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as {port: number}).port
      s.close(() => resolve(port))
    })
  })
}

export class PrivateClickHouse {
  private proc: ChildProcess | null = null
  private dir = ''
  url = ''
  log = ''

  async start(): Promise<void> {
    if (!existsSync(CLICKHOUSE_SERVER)) {
      throw new Error(`${CLICKHOUSE_SERVER} is missing: apt-get install clickhouse-server (the ClickHouse output is tested against a real server)`)
    }
    this.dir = mkdtempSync(join(tmpdir(), 'pbx-clickhouse-'))
    for (const d of ['data', 'tmp', 'log', 'format_schemas']) mkdirSync(join(this.dir, d))
    const http = await freePort()
    const tcp = await freePort()
    const config = `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${this.dir}/log/server.log</log><errorlog>${this.dir}/log/error.log</errorlog><console>0</console></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${this.dir}/data/</path>
  <tmp_path>${this.dir}/tmp/</tmp_path>
  <format_schema_path>${this.dir}/format_schemas/</format_schema_path>
  <mark_cache_size>5368709</mark_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <profiles><default></default></profiles>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
    writeFileSync(join(this.dir, 'config.xml'), config)
    this.proc = spawn(CLICKHOUSE_SERVER, [`--config-file=${join(this.dir, 'config.xml')}`], {stdio: ['ignore', 'pipe', 'pipe']})
    this.proc.stdout?.on('data', (c: Buffer) => (this.log += c.toString()))
    this.proc.stderr?.on('data', (c: Buffer) => (this.log += c.toString()))
    this.url = `http://127.0.0.1:${http}`
    const deadline = Date.now() + 60_000
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`clickhouse-server exited (${this.proc.exitCode}): ${this.log.slice(-2000)}`)
      try {
        const r = await fetch(`${this.url}/ping`)
        if (r.ok) return
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`clickhouse-server did not answer /ping within 60 s: ${this.log.slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  async query(sql: string): Promise<string> {
    const r = await fetch(this.url, {method: 'POST', body: sql})
    const text = await r.text()
    if (!r.ok) throw new Error(`${sql}: ${text}`)
    return text
  }

  async stop(): Promise<void> {
    const p = this.proc
    if (p && p.exitCode === null) {
      const done = new Promise<void>((r) => p.once('exit', () => r()))
      p.kill('SIGTERM')
      const t = setTimeout(() => p.kill('SIGKILL'), 15_000)
      await done
      clearTimeout(t)
    }
    this.proc = null
    if (this.dir) rmSync(this.dir, {recursive: true, force: true})
  }
}
