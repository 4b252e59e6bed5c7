/**
 * `output.elasticsearch` (`--es URL`): events into Elasticsearch 8/9 through the official client's
 * transport, with Beats' option names.
 *
 * Options (defaults): hosts ["http://127.0.0.1:9200"] (several: the client's pool spreads requests
 * and skips dead nodes), index "pbx-%{+yyyy.MM.dd}" (./index-name.ts: dates from the event's
 * @timestamp), op_type "index" ("create" for a data stream; a 409 on create means the document is
 * already there from an earlier run and counts as sent), pipeline, bulk_max_size 1600 documents,
 * bulk_max_bytes 5 MiB (of NDJSON text before compression), compression_level 1 (gzip level, 0 =
 * none), worker 2 (bulk requests in flight), max_retries 3, backoff.init 1s, backoff.max 60s,
 * timeout 90s, capture_id (see ../shared/identity.ts), api_key ("id:key" or its base64),
 * username, password, ssl.certificate_authorities (PEM files), ssl.verification_mode (full|none).
 * Secrets may also come from the environment: PBX_ES_API_KEY, PBX_ES_USERNAME, PBX_ES_PASSWORD,
 * PBX_ES_CA (a PEM file). Secrets are never printed: messages go through redact().
 *
 * Every document has a deterministic _id (../shared/identity.ts), so a repeated run overwrites.
 * Retries: a whole request answered 429 or 5xx, or a dropped connection, is sent again; single
 * documents rejected with 429 or 5xx in a bulk response are sent again alone; other rejections
 * (mapper_parsing_exception, ...) are lost at once. Losses are counted by reason (delivery()); the
 * run exits non-zero when any document was lost.
 */
import {readFileSync} from 'node:fs'
import {promisify} from 'node:util'
import {gzip} from 'node:zlib'
import {createRequire} from 'node:module'
import type * as EsLib from '@elastic/elasticsearch'
import type {Client} from '@elastic/elasticsearch'
import {type BuildOptions, buildEvent, type PbxEvent, serializeEvent} from '../../event/build.js'
import type {Transaction} from '../../event/types.js'
import {JsonBytes} from '../ndjson/index.js'
import {ByteArena} from '../shared/bytes.js'
import {DocIdentity} from '../shared/identity.js'
import {checkKeys, type Options, opt, optDurationMs, optInt, optString, optStrings} from '../shared/options.js'
import {type Attempt, Shipper} from '../shared/shipper.js'
import {type Output, OutputConfigError, type OutputContext, type OutputDelivery, type OutputFactory, type RunInfo} from '../types.js'
import {IndexName} from './index-name.js'

let esLibCache: typeof EsLib | undefined
/** @elastic/elasticsearch, loaded on first use: a run that does not use this output does not pay its start-up. */
const esLib = (): typeof EsLib => (esLibCache ??= createRequire(import.meta.url)('@elastic/elasticsearch') as typeof EsLib)

const gzipAsync = promisify(gzip)

const KEYS = [
  'hosts',
  'index',
  'op_type',
  'pipeline',
  'bulk_max_size',
  'bulk_max_bytes',
  'compression_level',
  'worker',
  'max_retries',
  'backoff.init',
  'backoff.max',
  'timeout',
  'capture_id',
  'api_key',
  'username',
  'password',
  'ssl.certificate_authorities',
  'ssl.verification_mode',
]

export interface Doc {
  id: string
  /** Action line and source line, each ending in "\n" (UTF-8; a view of the output's ByteArena). */
  body: Buffer
}

const NL = Buffer.from('\n')
const ID_END = Buffer.from('"}}\n')

/** What the output connects with; built from options and the environment. */
export interface EsConnection {
  hosts: string[]
  client: Client
  /** Removes every configured secret (and URL credentials) from a message. */
  redact(s: string): string
}

/** Hosts without credentials, for messages. */
function displayHost(h: string): string {
  return h.replace(/\/\/[^@/]*@/, '//')
}

/** Builds a client (no connection yet) from `output.elasticsearch.*` options and PBX_ES_* variables. */
export function esConnection(options: Options, env: NodeJS.ProcessEnv = process.env): EsConnection {
  const hosts = optStrings('elasticsearch', options, 'hosts', ['http://127.0.0.1:9200']).map((h) => (/^https?:\/\//.test(h) ? h : `http://${h}`))
  for (const h of hosts) {
    try {
      new URL(h)
    } catch {
      throw new OutputConfigError(`output.elasticsearch.hosts: expected URLs such as http://127.0.0.1:9200, got ${JSON.stringify(displayHost(h))}`)
    }
  }
  const apiKey = optString('elasticsearch', options, 'api_key') ?? env.PBX_ES_API_KEY
  const username = optString('elasticsearch', options, 'username') ?? env.PBX_ES_USERNAME
  const password = optString('elasticsearch', options, 'password') ?? env.PBX_ES_PASSWORD
  const secrets = [apiKey, password].filter((s): s is string => typeof s === 'string' && s.length > 0)
  let auth: {apiKey: string} | {username: string; password: string} | undefined
  if (apiKey) {
    // Beats writes "id:api_key"; Elasticsearch wants base64("id:api_key").
    const encoded = apiKey.includes(':') ? Buffer.from(apiKey).toString('base64') : apiKey
    secrets.push(encoded)
    auth = {apiKey: encoded}
  } else if (username !== undefined) {
    if (password === undefined) throw new OutputConfigError('output.elasticsearch.password: required with username (or set PBX_ES_PASSWORD)')
    auth = {username, password}
  }
  const caFiles = opt(options, 'ssl.certificate_authorities') === undefined ? (env.PBX_ES_CA ? [env.PBX_ES_CA] : []) : optStrings('elasticsearch', options, 'ssl.certificate_authorities', [])
  const ca = caFiles.map((f) => {
    try {
      return readFileSync(f, 'utf8')
    } catch (e) {
      throw new OutputConfigError(`output.elasticsearch.ssl.certificate_authorities: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  })
  const verification = optString('elasticsearch', options, 'ssl.verification_mode', 'full')
  if (verification !== 'full' && verification !== 'none') {
    throw new OutputConfigError(`output.elasticsearch.ssl.verification_mode: expected full or none, got ${JSON.stringify(verification)}`)
  }
  const timeoutMs = optDurationMs('elasticsearch', options, 'timeout', 90_000)
  const client = new (esLib().Client)({
    nodes: hosts,
    auth,
    tls: ca.length > 0 || verification === 'none' ? {ca: ca.length > 0 ? ca : undefined, rejectUnauthorized: verification === 'full'} : undefined,
    // Retries are ours (bounded, counted, with backoff); the client must not add its own.
    maxRetries: 0,
    requestTimeout: timeoutMs,
    compression: false,
  })
  const redact = (s: string): string => {
    let out = s.replace(/\/\/[^@/\s]*@/g, '//')
    for (const x of secrets) out = out.split(x).join('***')
    return out
  }
  return {hosts: hosts.map(displayHost), client, redact}
}

/** Status code of a client error, or 0 for a connection failure. */
function statusOf(e: unknown): number {
  if (e instanceof esLib().errors.ResponseError) return e.statusCode ?? 0
  return 0
}

interface BulkItem {
  status: number
  error?: {type?: string; reason?: string}
}

export class ElasticsearchOutput implements Output {
  readonly shipper: Shipper<Doc>
  private readonly identity: DocIdentity
  private readonly index: IndexName
  private readonly action: string
  private readonly query: Record<string, string>
  private readonly level: number
  private readonly bytes = new ByteArena()
  private readonly json = new JsonBytes(this.bytes)
  /** `{"<op>":{"_index":"<name>","_id":"` per index name (the last one). */
  private headName = ''
  private head: Buffer = Buffer.alloc(0)

  constructor(
    private readonly es: EsConnection,
    options: Options,
    ctx: OutputContext,
  ) {
    const op = optString('elasticsearch', options, 'op_type', 'index')
    if (op !== 'index' && op !== 'create') throw new OutputConfigError(`output.elasticsearch.op_type: expected index or create, got ${JSON.stringify(op)}`)
    this.action = op
    this.index = new IndexName(optString('elasticsearch', options, 'index', 'pbx-%{+yyyy.MM.dd}'))
    this.identity = new DocIdentity(optString('elasticsearch', options, 'capture_id'))
    this.level = optInt('elasticsearch', options, 'compression_level', 1, 0, 9)
    this.query = {filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason'}
    const pipeline = optString('elasticsearch', options, 'pipeline')
    if (pipeline) this.query.pipeline = pipeline
    this.shipper = new Shipper<Doc>(
      {
        name: `elasticsearch ${es.hosts.join(',')}`,
        maxItems: optInt('elasticsearch', options, 'bulk_max_size', 1600, 1),
        maxBytes: optInt('elasticsearch', options, 'bulk_max_bytes', 5 * 1024 * 1024, 1024),
        inFlight: optInt('elasticsearch', options, 'worker', 2, 1, 64),
        retries: optInt('elasticsearch', options, 'max_retries', 3, 0, 100),
        backoffInitMs: optDurationMs('elasticsearch', options, 'backoff.init', 1000),
        backoffMaxMs: optDurationMs('elasticsearch', options, 'backoff.max', 60_000),
        warn: (m) => ctx.warn(es.redact(m)),
      },
      (docs) => this.send(docs),
    )
  }

  begin(run: RunInfo): void {
    this.identity.begin(run)
  }

  write(ev: PbxEvent): void {
    const id = this.identity.id(ev)
    let src: string
    try {
      src = JSON.stringify(ev)
    } catch (e) {
      this.shipper.lose('not serialisable', `document ${id}: ${(e as Error).message}`)
      return
    }
    const a = this.bytes
    a.begin()
    this.actionLine(this.index.of(ev), id)
    a.text(src)
    a.bytes(NL)
    const body = a.record()
    this.shipper.add({id, body}, body.length)
  }

  /**
   * The fast path (no processors): the same document as write(buildEvent(t, o)), with the source
   * serialised straight into the bulk body's bytes and the _id and index name from the
   * transaction's own fields.
   */
  writeTransaction(t: Transaction, o: BuildOptions): void {
    const extra = t.fields.pbx as Record<string, unknown> | undefined
    // Names that read other fields, or a protocol overriding pbx.frames / pbx.file: the slow path.
    if (!this.index.timeOnly || (extra !== undefined && ('frames' in extra || 'file' in extra))) {
      this.write(buildEvent(t, o))
      return
    }
    const flow = t.fields.flow as {final?: unknown; id?: unknown} | undefined
    const final = flow === undefined ? '' : `${String(flow.id)}:${String(flow.final)}`
    const id = this.identity.idOf(o.file, t.type, `${t.startFrame}-${t.endFrame}`, final)
    const a = this.bytes
    a.begin()
    this.actionLine(this.index.ofTime(t.startSec), id)
    try {
      serializeEvent(t, o, this.json)
    } catch (e) {
      a.abort()
      this.shipper.lose('not serialisable', `document ${id}: ${(e as Error).message}`)
      return
    }
    a.bytes(NL)
    const body = a.record()
    this.shipper.add({id, body}, body.length)
  }

  private actionLine(index: string, id: string): void {
    if (index !== this.headName) {
      this.headName = index
      this.head = Buffer.from(`{"${this.action}":{"_index":${JSON.stringify(index)},"_id":"`)
    }
    const a = this.bytes
    a.bytes(this.head)
    a.text(id)
    a.bytes(ID_END)
  }

  get blocked(): boolean {
    return this.shipper.blocked
  }

  get closed(): boolean {
    return false
  }

  drain(): Promise<void> {
    return this.shipper.drain()
  }

  async end(_run: RunInfo): Promise<void> {
    await this.shipper.end()
    await this.es.client.close()
  }

  delivery(): OutputDelivery {
    return this.shipper.delivery()
  }

  private async send(docs: Doc[]): Promise<Attempt<Doc>> {
    const text = Buffer.concat(docs.map((d) => d.body))
    const body = this.level > 0 ? await gzipAsync(text, {level: this.level}) : text
    let res: {errors?: boolean; items?: Record<string, BulkItem>[]}
    try {
      res = (await this.es.client.transport.request(
        {method: 'POST', path: '/_bulk', bulkBody: body, querystring: this.query},
        {headers: this.level > 0 ? {'content-encoding': 'gzip'} : {}, maxRetries: 0},
      )) as typeof res
    } catch (e) {
      const status = statusOf(e)
      if (status === 429 || status >= 500) return {retry: docs.map((item) => ({item, reason: `http ${status}`})), failed: []}
      if (status === 0) {
        const reason = e instanceof esLib().errors.TimeoutError ? 'timeout' : 'connection error'
        return {retry: docs.map((item) => ({item, reason})), failed: []}
      }
      const type = (e as {body?: {error?: {type?: string}}}).body?.error?.type
      const reason = `http ${status}${type ? ` ${type}` : ''}`
      return {retry: [], failed: docs.map((item) => ({item, reason}))}
    }
    const out: Attempt<Doc> = {retry: [], failed: []}
    if (!res?.errors) return out
    const items = res.items ?? []
    if (items.length !== docs.length) {
      return {retry: [], failed: docs.map((item) => ({item, reason: 'bulk response does not match the request'}))}
    }
    for (let i = 0; i < items.length; i++) {
      const r = Object.values(items[i])[0]
      if (!r || r.status < 300) continue
      if (r.status === 409 && this.action === 'create') continue
      const reason = r.error?.type ?? `status ${r.status}`
      if (r.status === 429 || r.status >= 500) out.retry.push({item: docs[i], reason})
      else {
        const detail = `document ${docs[i].id} rejected: ${reason}${r.error?.reason ? `: ${r.error.reason}` : ''}`
        out.failed.push({item: docs[i], reason, detail})
      }
    }
    return out
  }
}

/** Connects (GET /) so that an unreachable cluster is a config error before anything is read. */
export async function connect(es: EsConnection): Promise<string> {
  try {
    const info = await es.client.info()
    return info.version?.number ?? 'unknown'
  } catch (e) {
    await es.client.close()
    const status = statusOf(e)
    const why = status ? `http ${status}` : (e as Error).message
    throw new OutputConfigError(es.redact(`output.elasticsearch: cannot reach ${es.hosts.join(', ')}: ${why}`))
  }
}

export const factory: OutputFactory = {
  name: 'elasticsearch',
  async create(options, ctx) {
    checkKeys('elasticsearch', options, KEYS)
    const es = esConnection(options)
    const out = new ElasticsearchOutput(es, options, ctx)
    await connect(es)
    return out
  },
}
