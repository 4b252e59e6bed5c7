/**
 * A scripted HTTP stand-in for ClickHouse (for failures a real server will not produce on demand):
 * answers `SELECT version()`, accepts CREATE TABLE, and answers INSERTs from `plan` (a ClickHouse
 * error code with its 500 response, or success after an optional delay), counting rows received.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

export type InsertPlan = {code: number; name: string} | {delayMs: number}

export class FakeClickHouse {
  private server!: Server
  url = ''
  readonly plan: InsertPlan[] = []
  rows = 0
  inserts = 0
  active = 0
  maxActive = 0
  delayMs = 0

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', async () => {
        const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? ''
        const body = Buffer.concat(chunks).toString('utf8')
        const sql = q || body
        if (/^SELECT version\(\)/i.test(sql)) {
          res.writeHead(200, {'content-type': 'application/json', 'x-clickhouse-format': 'JSONEachRow'})
          res.end('{"v":"18.16.1"}\n')
          return
        }
        if (/^INSERT/i.test(q)) {
          this.inserts++
          const p = this.plan.shift() ?? {delayMs: this.delayMs}
          if ('code' in p) {
            res.writeHead(500, {'content-type': 'text/plain', 'x-clickhouse-exception-code': String(p.code)})
            res.end(`Code: ${p.code}, e.displayText() = DB::Exception: ${p.name}: planned, e.what() = DB::Exception\n`)
            return
          }
          this.active++
          this.maxActive = Math.max(this.maxActive, this.active)
          if (p.delayMs) await new Promise((r) => setTimeout(r, p.delayMs))
          this.active--
          this.rows += body.split('\n').filter((l) => l !== '').length
        }
        res.writeHead(200, {'content-type': 'text/plain'})
        res.end('')
      })
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}
