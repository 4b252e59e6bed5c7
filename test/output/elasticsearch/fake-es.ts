/**
 * A stand-in for Elasticsearch 8/9 in the test process (no server can be installed here): answers
 * `GET /`, `POST /_bulk` (gzip or plain NDJSON; index and create actions; the bulk response shape
 * with per-item status and error) and `PUT /_index_template/<name>`, stores what arrived, and
 * misbehaves on demand: `plan` holds what the next bulk requests get (a whole-request status such as
 * 429, a dropped connection, per-document errors, a delay).
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {gunzipSync} from 'node:zlib'

export type BulkPlan =
  | {kind: 'ok'; delayMs?: number}
  | {kind: 'status'; status: number}
  | {kind: 'drop'}
  | {kind: 'items'; error: (doc: Record<string, unknown>, i: number) => {status: number; type: string; reason: string} | null}

export interface BulkRecord {
  path: string
  gzip: boolean
  docs: number
  bytes: number
}

export class FakeEs {
  private server!: Server
  url = ''
  /** index -> _id -> document, as a real index would hold them after the writes. */
  readonly indices = new Map<string, Map<string, Record<string, unknown>>>()
  readonly templates = new Map<string, Record<string, unknown>>()
  readonly bulks: BulkRecord[] = []
  readonly plan: BulkPlan[] = []
  /** Bulk requests being answered right now, and the most at once. */
  active = 0
  maxActive = 0
  /** Authorization headers seen, in order. */
  readonly auth: string[] = []
  /** Delay for every bulk answer (a slow server). */
  delayMs = 0

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => void this.handle(req, res, Buffer.concat(chunks)))
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((r) => this.server.close(() => r()))
  }

  count(): number {
    let n = 0
    for (const m of this.indices.values()) n += m.size
    return n
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body)
    res.writeHead(status, {'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch', 'content-length': Buffer.byteLength(text)})
    res.end(text)
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.headers.authorization) this.auth.push(req.headers.authorization)
    if (req.method === 'GET' && url.pathname === '/') {
      this.json(res, 200, {name: 'fake', cluster_name: 'pbx-test', version: {number: '9.0.0', build_flavor: 'default'}, tagline: 'You Know, for Search'})
      return
    }
    if (req.method === 'PUT' && url.pathname.startsWith('/_index_template/')) {
      this.templates.set(decodeURIComponent(url.pathname.slice('/_index_template/'.length)), JSON.parse(raw.toString('utf8')))
      this.json(res, 200, {acknowledged: true})
      return
    }
    if (req.method === 'POST' && url.pathname === '/_bulk') {
      const plan = this.plan.shift() ?? {kind: 'ok'}
      if (plan.kind === 'drop') {
        req.socket.destroy()
        return
      }
      if (plan.kind === 'status') {
        this.json(res, plan.status, {error: {type: plan.status === 429 ? 'es_rejected_execution_exception' : 'internal_error', reason: 'planned'}, status: plan.status})
        return
      }
      this.active++
      this.maxActive = Math.max(this.maxActive, this.active)
      const delay = (plan.kind === 'ok' ? plan.delayMs : 0) || this.delayMs
      if (delay) await new Promise((r) => setTimeout(r, delay))
      const gz = req.headers['content-encoding'] === 'gzip'
      const text = (gz ? gunzipSync(raw) : raw).toString('utf8')
      const lines = text.split('\n').filter((l) => l !== '')
      const items: Record<string, unknown>[] = []
      let errors = false
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const action = JSON.parse(lines[i]) as Record<string, {_index: string; _id: string}>
        const op = Object.keys(action)[0]
        const meta = action[op]
        const doc = JSON.parse(lines[i + 1]) as Record<string, unknown>
        const err = plan.kind === 'items' ? plan.error(doc, i / 2) : null
        if (err) {
          errors = true
          items.push({[op]: {_index: meta._index, _id: meta._id, status: err.status, error: {type: err.type, reason: err.reason}}})
          continue
        }
        let idx = this.indices.get(meta._index)
        if (!idx) this.indices.set(meta._index, (idx = new Map()))
        if (op === 'create' && idx.has(meta._id)) {
          errors = true
          items.push({create: {_index: meta._index, _id: meta._id, status: 409, error: {type: 'version_conflict_engine_exception', reason: 'document already exists'}}})
          continue
        }
        const created = !idx.has(meta._id)
        idx.set(meta._id, doc)
        items.push({[op]: {_index: meta._index, _id: meta._id, status: created ? 201 : 200, result: created ? 'created' : 'updated'}})
      }
      this.bulks.push({path: req.url ?? '', gzip: gz, docs: items.length, bytes: raw.length})
      this.active--
      this.json(res, 200, {took: 1, errors, items})
      return
    }
    this.json(res, 404, {error: {type: 'not_found', reason: `${req.method} ${url.pathname}`}, status: 404})
  }
}
