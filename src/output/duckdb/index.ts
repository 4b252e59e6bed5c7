/**
 * `--format duckdb -o tx.duckdb` and `--format parquet -o DIR`: events into typed tables, one per
 * protocol (named as the protocol: http, dns, ...), plus `flows` for flow records (--flows; the
 * table is dropped at the end when none arrived). Columns come from the fields lists (./columns.ts:
 * nested names are STRUCT columns, so `select url.path, quantile_cont(event.duration, 0.99) from
 * http group by all` works as written).
 *
 * Loading: each table's events are written as NDJSON (the NDJSON output itself, with its fast path
 * that skips event objects) into a staging file next to the database; when a table has `batch_rows` rows
 * staged, or all tables together have (then the largest), its file is loaded with one `INSERT ... SELECT FROM read_json(..., columns = {the table's types},
 * ignore_errors = true)` and deleted. DuckDB parses and converts in C++: 7x faster than the
 * appender fed value by value from JavaScript (681 -> 5076 events/s through the whole pipeline in
 * scripts/bench/outputs.ts). A value that cannot be cast to its column's type (a processor's
 * rewrite) becomes NULL; the row is kept. A load runs in DuckDB's own threads while the pipeline goes
 * on; `blocked` turns true when a second one is queued (and while a staging file's stream is
 * full), and the pipeline then waits between chunks. Memory: the staging writers' buffers (a few
 * MiB per table) plus DuckDB's own bounded buffers; staged rows are on disk.
 *
 * DuckDB options: path (required: the database file; the run's tables are replaced, so a repeated
 * run does not duplicate), batch_rows (default 10000).
 * Parquet options: path (required: a directory, created if missing; one `<table>.parquet` per
 * table that received rows, replaced on each run), compression (zstd | snappy | gzip |
 * uncompressed, default zstd), batch_rows. Parquet rows are staged in an in-memory DuckDB database that
 * spills past 512 MB to a temporary directory in that directory (removed at the end), so that a
 * large capture does not have to fit in memory.
 *
 * Events whose `type` has no table (not a selected protocol) are counted as failed in delivery(),
 * with one warning per type.
 */
import {createWriteStream, existsSync, mkdirSync, rmSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {createRequire} from 'node:module'
import type * as DuckLib from '@duckdb/node-api'
import type {DuckDBConnection, DuckDBInstance} from '@duckdb/node-api'
import type {BuildOptions, PbxEvent} from '../../event/build.js'
import type {Transaction} from '../../event/types.js'
import {NdjsonOutput} from '../ndjson/index.js'
import {checkKeys, type Options, optInt, optString} from '../shared/options.js'
import {schemaTree, tableSpecs} from '../shared/schema.js'
import {type Output, OutputConfigError, type OutputContext, type OutputDelivery, type OutputFactory, type RunInfo} from '../types.js'
import {TextWriter} from '../writer.js'
import {type Column, column, quote} from './columns.js'

let duckLibCache: typeof DuckLib | undefined
/** @duckdb/node-api, loaded on first use: a run that does not use this output does not pay its start-up. */
const duckLib = (): typeof DuckLib => (duckLibCache ??= createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckLib)

/** The table of an event type: protocol name, or `flows` for flow records. */
export const tableName = (type: string): string => (type === 'flow' ? 'flows' : type)

/** Bytes a staging file stream buffers before it asks the writer to wait. */
const STAGE_HWM = 4 * 1024 * 1024
/** Loads queued or running before `blocked` turns true (one runs in DuckDB's threads meanwhile). */
const MAX_LOADS = 2
/** DuckDB memory for Parquet's staged rows before they spill to disk. */
const STAGING_MEMORY = '512MB'

const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`

/** CREATE TABLE statements of a run's tables (also used by docs and tests). */
export function tableDdl(protocols: readonly string[]): {type: string; name: string; sql: string; columns: Column[]}[] {
  return tableSpecs(protocols).map((t) => {
    const columns = schemaTree(t.fields).map(column)
    const name = tableName(t.name)
    return {type: t.name, name, columns, sql: `CREATE TABLE ${quote(name)} (${columns.map((c) => `${quote(c.key)} ${c.sql}`).join(', ')})`}
  })
}

interface Table {
  name: string
  columns: Column[]
  createSql: string
  /** The staging NDJSON file being written, and the output writing it. */
  stage: NdjsonOutput | null
  stageFile: string
  staged: number
  rows: number
}

export class DuckDbOutput implements Output {
  private readonly tables = new Map<string, Table>()
  private sent = 0
  private failed = 0
  private readonly reasons = new Map<string, number>()
  private readonly warned = new Set<string>()
  /** The load running now (loads run one at a time on the one connection). */
  private loading: Promise<void> | null = null
  /** Loads queued or running. */
  private loads = 0
  private seq = 0
  /** Rows staged and not yet queued for loading, over all tables. */
  private stagedTotal = 0

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly o: {name: string; batchRows: number; ctx: OutputContext; stageDir: string; parquetDir?: string; compression?: string; tempFile?: string},
  ) {
    for (const t of tableDdl(o.ctx.protocols)) {
      this.tables.set(t.type, {name: t.name, columns: t.columns, createSql: t.sql, stage: null, stageFile: '', staged: 0, rows: 0})
    }
  }

  /** Creates the tables (replacing those of the same names). */
  async init(): Promise<void> {
    for (const t of this.tables.values()) {
      await this.conn.run(`DROP TABLE IF EXISTS ${quote(t.name)}`)
      await this.conn.run(t.createSql)
    }
  }

  begin(_run: RunInfo): void {}

  private table(type: unknown): Table | null {
    const t = typeof type === 'string' ? this.tables.get(type) : undefined
    if (t) return t
    this.count(`no table for type ${JSON.stringify(type)}`, 1)
    return null
  }

  /** Counts n lost events under `reason`; warns once per reason. */
  private count(reason: string, n: number): void {
    this.failed += n
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + n)
    if (!this.warned.has(reason)) {
      this.warned.add(reason)
      this.o.ctx.warn(`${this.o.name}: event not stored: ${reason}`)
    }
  }

  private stage(t: Table): NdjsonOutput {
    if (t.stage) return t.stage
    t.stageFile = join(this.o.stageDir, `.pbx-stage-${process.pid}-${this.seq++}-${t.name}.ndjson`)
    // A large high-water mark: the writer hands over 64 KiB at a time, and with the default 16 KiB
    // every hand-over would report `blocked` and make the pipeline wait for the disk.
    t.stage = new NdjsonOutput(new TextWriter(createWriteStream(t.stageFile, {highWaterMark: STAGE_HWM}), t.stageFile), true)
    return t.stage
  }

  write(ev: PbxEvent): void {
    const t = this.table(ev.type)
    if (!t) return
    this.stage(t).write(ev)
    this.staged(t)
  }

  writeTransaction(tx: Transaction, o: BuildOptions): void {
    const t = this.table(tx.type)
    if (!t) return
    this.stage(t).writeTransaction(tx, o)
    this.staged(t)
  }

  private staged(t: Table): void {
    t.rows++
    this.sent++
    this.stagedTotal++
    if (++t.staged >= this.o.batchRows) this.load(t)
    else if (this.stagedTotal >= this.o.batchRows) {
      // Counted over all tables too: most tables of a mixed capture never fill a batch of their
      // own and would all be loaded at the end, one after the other, instead of while the pipeline
      // runs. The largest staged table goes (one load has a fixed cost of ~15 ms).
      let big = t
      for (const x of this.tables.values()) if (x.staged > big.staged) big = x
      this.load(big)
    }
  }

  /** Closes the table's staging file and queues its load. */
  private load(t: Table): void {
    const stage = t.stage
    if (!stage) return
    const file = t.stageFile
    const rows = t.staged
    t.stage = null
    t.staged = 0
    this.stagedTotal -= rows
    const cols = t.columns.map((c) => `${literal(c.key)}: ${literal(c.sql)}`).join(', ')
    // DuckDB's reader allocates twice maximum_object_size per file: sized to the longest line.
    const maxObject = Math.max(1 << 20, stage.longestLine + 1024)
    const sql =
      `INSERT INTO ${quote(t.name)} SELECT * FROM read_json(${literal(file)}, format = 'newline_delimited', ` +
      `ignore_errors = true, maximum_object_size = ${maxObject}, columns = {${cols}})`
    const prev = this.loading ?? Promise.resolve()
    const run = prev.then(async () => {
      await stage.end({} as RunInfo)
      try {
        await this.conn.run(sql)
      } catch (e) {
        // The batch is lost (a full disk, a broken file): counted, warned once per reason.
        this.sent -= rows
        this.count(`cannot load ${t.name}: ${(e as Error).message.split('\n')[0]}`, rows)
      } finally {
        rmSync(file, {force: true})
      }
    })
    this.loading = run
    this.loads++
    void run.finally(() => {
      this.loads--
      if (this.loading === run) this.loading = null
    })
  }

  get blocked(): boolean {
    for (const t of this.tables.values()) if (t.stage?.blocked) return true
    return this.loads >= MAX_LOADS
  }

  get closed(): boolean {
    return false
  }

  async drain(): Promise<void> {
    // All at once, in this tick: TextWriter.drain() listens for the stream's next 'drain' event, and
    // a stage awaited after another could have drained (and fired it) in between.
    const waits: Promise<void>[] = []
    for (const t of this.tables.values()) if (t.stage?.blocked) waits.push(t.stage.drain())
    await Promise.all(waits)
    while (this.loads >= MAX_LOADS && this.loading) await this.loading
  }

  async end(_run: RunInfo): Promise<void> {
    for (const t of this.tables.values()) this.load(t)
    while (this.loading) await this.loading
    const flows = this.tables.get('flow')
    if (flows && flows.rows === 0) await this.conn.run('DROP TABLE IF EXISTS flows')
    if (this.o.parquetDir !== undefined) {
      for (const t of this.tables.values()) {
        const file = join(this.o.parquetDir, `${t.name}.parquet`)
        rmSync(file, {force: true})
        if (t.rows === 0) continue
        await this.conn.run(`COPY ${quote(t.name)} TO ${literal(file)} (FORMAT parquet, COMPRESSION ${this.o.compression})`)
      }
    }
    this.conn.closeSync()
    this.instance.closeSync()
    if (this.o.tempFile) rmSync(this.o.tempFile, {recursive: true, force: true})
  }

  delivery(): OutputDelivery {
    return {name: this.o.name, sent: this.sent, failed: this.failed, reasons: new Map(this.reasons)}
  }
}

async function openDb(file: string, what: string, options?: Record<string, string>): Promise<{instance: DuckDBInstance; conn: DuckDBConnection}> {
  try {
    const instance = await duckLib().DuckDBInstance.create(file, options)
    return {instance, conn: await instance.connect()}
  } catch (e) {
    throw new OutputConfigError(`output.${what}.path: cannot open ${file}: ${(e as Error).message}`)
  }
}

export const factory: OutputFactory = {
  name: 'duckdb',
  async create(options: Options, ctx) {
    checkKeys('duckdb', options, ['path', 'batch_rows'])
    const path = optString('duckdb', options, 'path')
    if (path === undefined) throw new OutputConfigError('output.duckdb.path: required (the database file, e.g. -o tx.duckdb)')
    const batchRows = optInt('duckdb', options, 'batch_rows', 10_000, 1)
    const {instance, conn} = await openDb(path, 'duckdb')
    const out = new DuckDbOutput(instance, conn, {name: `duckdb ${path}`, batchRows, ctx, stageDir: dirname(resolve(path))})
    await out.init()
    return out
  },
}

const COMPRESSIONS = ['zstd', 'snappy', 'gzip', 'uncompressed']

export const parquetFactory: OutputFactory = {
  name: 'parquet',
  async create(options: Options, ctx) {
    checkKeys('parquet', options, ['path', 'batch_rows', 'compression'])
    const dir = optString('parquet', options, 'path')
    if (dir === undefined) throw new OutputConfigError('output.parquet.path: required (a directory, e.g. -o parquet/)')
    const compression = optString('parquet', options, 'compression', 'zstd')
    if (!COMPRESSIONS.includes(compression)) {
      throw new OutputConfigError(`output.parquet.compression: expected one of ${COMPRESSIONS.join(', ')}, got ${JSON.stringify(compression)}`)
    }
    const batchRows = optInt('parquet', options, 'batch_rows', 10_000, 1)
    try {
      mkdirSync(dir, {recursive: true})
    } catch (e) {
      throw new OutputConfigError(`output.parquet.path: cannot create ${dir}: ${(e as Error).message}`)
    }
    // Rows wait in an in-memory database (no file to write and checkpoint before the COPY) that
    // spills to a directory of its own past STAGING_MEMORY, so a large capture need not fit in memory.
    const tempFile = join(dir, `.pbx-staging-${process.pid}.tmp`)
    if (existsSync(tempFile)) rmSync(tempFile, {recursive: true})
    const {instance, conn} = await openDb(':memory:', 'parquet', {temp_directory: tempFile, memory_limit: STAGING_MEMORY})
    const out = new DuckDbOutput(instance, conn, {name: `parquet ${dir}`, batchRows, ctx, stageDir: dir, parquetDir: dir, compression, tempFile})
    await out.init()
    return out
  },
}
