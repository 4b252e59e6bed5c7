/**
 * `output.clickhouse` (`--clickhouse URL`): events into one ReplacingMergeTree table per protocol
 * (`<table_prefix><protocol>`, flows in `<table_prefix>flows`) through the official client,
 * JSONEachRow inserts in batches. Columns and the two type dialects (today's ClickHouse and
 * Debian's 18.16): ./columns.ts.
 *
 * Options (defaults): url "http://127.0.0.1:8123", database "default", table_prefix "pbx_",
 * username "default", password "" (or PBX_CLICKHOUSE_USER / PBX_CLICKHOUSE_PASSWORD), create_tables
 * true (CREATE TABLE IF NOT EXISTS at start; `pbx setup clickhouse` does the same on its own),
 * batch_rows 10000 (per table; when all tables together hold that many, the largest batch goes),
 * batch_bytes 16 MiB, worker 2 (inserts in flight per table), max_retries 3,
 * backoff.init 1s, backoff.max 60s, timeout 60s, compression false (gzip request bodies),
 * capture_id (see ../shared/identity.ts).
 *
 * An insert is all or nothing: a failed insert retries (network errors and ClickHouse's transient
 * codes: too many parts, memory limit, timeouts, too many queries) or loses its whole batch, with
 * the reason counted in delivery(). No query parameters are used (18.16 has none): every name in
 * SQL is quoted by bq(), and values only travel as JSONEachRow.
 */
import {Readable} from 'node:stream'
import {createRequire} from 'node:module'
import type * as ChLib from '@clickhouse/client'
import type {ClickHouseClient} from '@clickhouse/client'
import type {PbxEvent} from '../../event/build.js'
import {JsonBytes} from '../ndjson/index.js'
import {ByteArena} from '../shared/bytes.js'
import {DocIdentity} from '../shared/identity.js'
import {checkKeys, type Options, optBool, optDurationMs, optInt, optString} from '../shared/options.js'
import {tableSpecs} from '../shared/schema.js'
import {type Attempt, Shipper} from '../shared/shipper.js'
import {type Output, OutputConfigError, type OutputContext, type OutputDelivery, type OutputFactory, type RunInfo} from '../types.js'
import {bq, type ChColumn, chColumns, createTableSql, type Dialect, dialectOf, rowWriter} from './columns.js'

let chLibCache: typeof ChLib | undefined
/** @clickhouse/client, loaded on first use: a run that does not use this output does not pay its start-up. */
const chLib = (): typeof ChLib => (chLibCache ??= createRequire(import.meta.url)('@clickhouse/client') as typeof ChLib)

const KEYS = [
  'url',
  'database',
  'table_prefix',
  'username',
  'password',
  'create_tables',
  'batch_rows',
  'batch_bytes',
  'worker',
  'max_retries',
  'backoff.init',
  'backoff.max',
  'timeout',
  'compression',
  'capture_id',
]

/** ClickHouse error codes worth another try (the server is busy, not the data wrong). */
const TRANSIENT = new Set(['159', '160', '202', '203', '209', '210', '241', '252', '319', '425'])

export interface ChConnection {
  url: string
  database: string
  prefix: string
  client: ClickHouseClient
  redact(s: string): string
}

export function chConnection(options: Options, env: NodeJS.ProcessEnv = process.env): ChConnection {
  const raw = optString('clickhouse', options, 'url', 'http://127.0.0.1:8123')
  let url: URL
  try {
    url = new URL(/^https?:\/\//.test(raw) ? raw : `http://${raw}`)
  } catch {
    throw new OutputConfigError(`output.clickhouse.url: expected a URL such as http://127.0.0.1:8123, got ${JSON.stringify(raw.replace(/\/\/[^@/]*@/, '//'))}`)
  }
  const database = optString('clickhouse', options, 'database', 'default')
  const prefix = optString('clickhouse', options, 'table_prefix', 'pbx_')
  if (!/^\w+$/.test(prefix)) throw new OutputConfigError(`output.clickhouse.table_prefix: expected letters, digits and _, got ${JSON.stringify(prefix)}`)
  const username = optString('clickhouse', options, 'username') ?? env.PBX_CLICKHOUSE_USER ?? (url.username ? decodeURIComponent(url.username) : 'default')
  const password = (options.password as string | undefined) ?? env.PBX_CLICKHOUSE_PASSWORD ?? (url.password ? decodeURIComponent(url.password) : '')
  if (typeof password !== 'string') throw new OutputConfigError('output.clickhouse.password: expected a string')
  url.username = ''
  url.password = ''
  const shown = url.toString().replace(/\/$/, '')
  const client = chLib().createClient({
    url: shown,
    username,
    password,
    database,
    request_timeout: optDurationMs('clickhouse', options, 'timeout', 60_000),
    // Failures are classified, counted and reported by the output; the client's own log stays off.
    log: {level: chLib().ClickHouseLogLevel.OFF},
    compression: {request: optBool('clickhouse', options, 'compression', false), response: false},
    // Rows are serialised by us (one JSON text per row, measured for the byte bound): pass them on.
    json: {parse: JSON.parse, stringify: (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))},
  })
  const redact = (s: string) => (password ? s.split(password).join('***') : s)
  return {url: shown, database, prefix, client, redact}
}

/** Server version ("18.16.1"); an unreachable server is a config error. */
export async function serverVersion(c: ChConnection): Promise<string> {
  try {
    const r = await c.client.query({query: 'SELECT version() AS v', format: 'JSONEachRow'})
    const rows = (await r.json()) as {v: string}[]
    return rows[0].v
  } catch (e) {
    await c.client.close()
    throw new OutputConfigError(c.redact(`output.clickhouse: cannot reach ${c.url}: ${(e as Error).message}`))
  }
}

export interface ChTable {
  name: string
  /** Event type(s) stored here. */
  type: string
  columns: ChColumn[]
  create: string
  /** `INSERT INTO <table> FORMAT JSONEachRow`. */
  insert: string
  /** Writes a row's members after `_id` (./columns.ts rowWriter). */
  row: (ev: Record<string, unknown>, out: {raw(b: Uint8Array): void; value(v: unknown): void}) => void
}

/** The run's tables (one per selected protocol, and flows) for a dialect. */
export function chTables(protocols: readonly string[], prefix: string, d: Dialect, database?: string): ChTable[] {
  return tableSpecs(protocols).map((t) => {
    const name = `${prefix}${t.name === 'flow' ? 'flows' : t.name}`
    const full = database ? `${bq(database)}.${bq(name)}` : bq(name)
    const columns = chColumns(t.fields, d)
    return {name, type: t.name, columns, create: createTableSql(full, columns), insert: `INSERT INTO ${full} FORMAT JSONEachRow`, row: rowWriter(columns)}
  })
}

function classify(e: unknown): {retry: boolean; reason: string} {
  if (e instanceof chLib().ClickHouseError) return {retry: TRANSIENT.has(String(e.code)), reason: `clickhouse error ${e.code}${e.type ? ` ${e.type}` : ''}`}
  // Servers before 20.x write "Code: 190, e.displayText() = ...", which the client does not parse.
  const m = /^Code: (\d+)[.,]/.exec((e as Error)?.message ?? '')
  if (m) return {retry: TRANSIENT.has(m[1]), reason: `clickhouse error ${m[1]}`}
  const code = (e as NodeJS.ErrnoException).code
  return {retry: true, reason: code ? `connection error ${code}` : `connection error: ${(e as Error).message}`}
}

const ID_HEAD = Buffer.from('{"_id":"')
const ID_END = Buffer.from('"')
const ROW_END = Buffer.from('}\n')

export class ClickHouseOutput implements Output {
  readonly shippers = new Map<string, Shipper<Buffer>>()
  private readonly bytes = new ByteArena()
  private readonly json = new JsonBytes(this.bytes)
  private readonly tables = new Map<string, ChTable>()
  private readonly identity: DocIdentity
  private unknown: Shipper<Buffer>
  private readonly batchRows: number

  constructor(
    private readonly ch: ChConnection,
    tables: ChTable[],
    options: Options,
    ctx: OutputContext,
  ) {
    this.identity = new DocIdentity(optString('clickhouse', options, 'capture_id'))
    const base = {
      maxItems: optInt('clickhouse', options, 'batch_rows', 10_000, 1),
      maxBytes: optInt('clickhouse', options, 'batch_bytes', 16 * 1024 * 1024, 1024),
      inFlight: optInt('clickhouse', options, 'worker', 2, 1, 64),
      retries: optInt('clickhouse', options, 'max_retries', 3, 0, 100),
      backoffInitMs: optDurationMs('clickhouse', options, 'backoff.init', 1000),
      backoffMaxMs: optDurationMs('clickhouse', options, 'backoff.max', 60_000),
      warn: (m: string) => ctx.warn(ch.redact(m)),
    }
    this.batchRows = base.maxItems
    for (const t of tables) {
      this.tables.set(t.type, t)
      this.shippers.set(t.type, new Shipper<Buffer>({...base, name: `clickhouse ${ch.url} ${t.name}`}, (rows) => this.insert(t, rows)))
    }
    this.unknown = new Shipper<Buffer>({...base, name: `clickhouse ${ch.url}`}, async () => ({retry: [], failed: []}))
  }

  begin(run: RunInfo): void {
    this.identity.begin(run)
  }

  write(ev: PbxEvent): void {
    const type = typeof ev.type === 'string' ? ev.type : ''
    const t = this.tables.get(type)
    if (!t) {
      this.unknown.lose(`no table for type ${JSON.stringify(type)}`, `event not stored: no table for type ${JSON.stringify(type)}`)
      return
    }
    // The row's JSON bytes, written once by a walk over the event (no row object, no string).
    const a = this.bytes
    a.begin()
    a.bytes(ID_HEAD)
    a.text(this.identity.id(ev))
    a.bytes(ID_END)
    try {
      t.row(ev, this.json)
    } catch (e) {
      a.abort()
      this.shippers.get(type)!.lose('not serialisable', `row not stored: ${(e as Error).message}`)
      return
    }
    a.bytes(ROW_END)
    const row = a.record()
    const shipper = this.shippers.get(type)!
    shipper.add(row, row.length)
    if (shipper.pending > 0 && ++this.openRows >= this.batchRows) this.sealLargest()
    else if (shipper.pending === 0) this.openRows = this.countOpen()
  }

  /** Rows in the open batches of all tables. */
  private openRows = 0

  private countOpen(): number {
    let n = 0
    for (const s of this.shippers.values()) n += s.pending
    return n
  }

  /**
   * All tables together hold batch_rows open rows: the largest open batch is sent now, so inserts
   * go on while the pipeline runs instead of every small table's rows waiting for the end.
   */
  private sealLargest(): void {
    let big: Shipper<Buffer> | null = null
    for (const s of this.shippers.values()) if (big === null || s.pending > big.pending) big = s
    big?.sealNow()
    this.openRows = this.countOpen()
  }

  private async insert(t: ChTable, rows: Buffer[]): Promise<Attempt<Buffer>> {
    try {
      // The rows' bytes as one request body (insert() would join and re-encode strings).
      const r = await this.ch.client.exec({query: t.insert, values: Readable.from([Buffer.concat(rows)])})
      r.stream.resume()
      await new Promise<void>((resolve, reject) => {
        r.stream.once('end', resolve)
        r.stream.once('close', resolve)
        r.stream.once('error', reject)
      })
      return {retry: [], failed: []}
    } catch (e) {
      const {retry, reason} = classify(e)
      const detail = `insert into ${t.name} failed: ${reason}: ${this.ch.redact((e as Error).message).slice(0, 300)}`
      if (retry) return {retry: rows.map((item) => ({item, reason})), failed: []}
      return {retry: [], failed: rows.map((item, i) => ({item, reason, detail: i === 0 ? detail : undefined}))}
    }
  }

  get blocked(): boolean {
    for (const s of this.shippers.values()) if (s.blocked) return true
    return false
  }

  get closed(): boolean {
    return false
  }

  async drain(): Promise<void> {
    for (const s of this.shippers.values()) await s.drain()
  }

  async end(_run: RunInfo): Promise<void> {
    await Promise.all([...this.shippers.values()].map((s) => s.end()))
    await this.ch.client.close()
  }

  delivery(): OutputDelivery {
    const reasons = new Map(this.unknown.reasons)
    let sent = 0
    let failed = this.unknown.delivery().failed
    for (const s of this.shippers.values()) {
      const d = s.delivery()
      sent += d.sent
      failed += d.failed
      for (const [k, n] of d.reasons) reasons.set(k, (reasons.get(k) ?? 0) + n)
    }
    return {name: `clickhouse ${this.ch.url}`, sent, failed, reasons}
  }
}

/** Creates the tables that do not exist yet; returns the dialect used. */
export async function createTables(c: ChConnection, protocols: readonly string[]): Promise<{dialect: Dialect; tables: ChTable[]}> {
  const dialect = dialectOf(await serverVersion(c))
  const tables = chTables(protocols, c.prefix, dialect)
  for (const t of tables) await c.client.command({query: t.create})
  return {dialect, tables}
}

export const factory: OutputFactory = {
  name: 'clickhouse',
  async create(options, ctx) {
    checkKeys('clickhouse', options, KEYS)
    const c = chConnection(options)
    let tables: ChTable[]
    if (optBool('clickhouse', options, 'create_tables', true)) {
      try {
        tables = (await createTables(c, ctx.protocols)).tables
      } catch (e) {
        if (e instanceof OutputConfigError) throw e
        await c.client.close()
        throw new OutputConfigError(c.redact(`output.clickhouse: cannot create the tables: ${(e as Error).message}`))
      }
    } else tables = chTables(ctx.protocols, c.prefix, dialectOf(await serverVersion(c)))
    return new ClickHouseOutput(c, tables, options, ctx)
  },
}
