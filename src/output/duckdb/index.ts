/**
 * `--format duckdb -o tx.duckdb` and `--format parquet -o DIR`: events into typed tables, one per
 * protocol (named as the protocol: http, dns, ...), plus `flows` when flow records arrive
 * (--flows; the table is dropped at the end when none did). Columns come from the fields lists (./columns.ts: nested names are STRUCT columns, so
 * `select url.path, quantile_cont(event.duration, 0.99) from http group by all` works as written).
 *
 * Rows go through one DuckDB appender per table (batched natively; flushed every `batch_rows`
 * rows). Appends are synchronous, so the output never queues: `blocked` is always false and memory
 * is DuckDB's own bounded buffer pool.
 *
 * DuckDB options: path (required: the database file; its tables of the same names are replaced, so
 * a repeated run does not duplicate), batch_rows (default 10000).
 * Parquet options: path (required: a directory, created if missing; one `<table>.parquet` per
 * table that received rows, replaced on each run), compression (zstd | snappy | gzip |
 * uncompressed, default zstd), batch_rows. Parquet rows are staged in a temporary DuckDB file in
 * that directory (removed at the end) so that a large capture does not have to fit in memory.
 *
 * Events whose `type` has no table (not a selected protocol) are counted as failed in delivery(),
 * with a warning for the first.
 */
import {existsSync, mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {type DuckDBAppender, type DuckDBConnection, DuckDBInstance} from '@duckdb/node-api'
import type {PbxEvent} from '../../event/build.js'
import {checkKeys, optInt, optString, type Options} from '../shared/options.js'
import {schemaTree, tableSpecs} from '../shared/schema.js'
import {type Output, OutputConfigError, type OutputContext, type OutputDelivery, type OutputFactory, type RunInfo} from '../types.js'
import {type Column, column, quote} from './columns.js'

/** The table of an event type: protocol name, or `flows` for flow records. */
export const tableName = (type: string): string => (type === 'flow' ? 'flows' : type)

interface Table {
  name: string
  columns: Column[]
  createSql: string
  appender: DuckDBAppender | null
  /** Rows appended since the last flush. */
  pending: number
  rows: number
}

/** CREATE TABLE statements of a run's tables (also used by docs and tests). */
export function tableDdl(protocols: readonly string[]): {name: string; sql: string; columns: Column[]}[] {
  return tableSpecs(protocols).map((t) => {
    const columns = schemaTree(t.fields).map(column)
    const name = tableName(t.name)
    return {name, columns, sql: `CREATE TABLE ${quote(name)} (${columns.map((c) => `${quote(c.key)} ${c.sql}`).join(', ')})`}
  })
}

export class DuckDbOutput implements Output {
  private readonly tables = new Map<string, Table>()
  private sent = 0
  private failed = 0
  private readonly reasons = new Map<string, number>()
  private warnedTypes = new Set<string>()

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly o: {name: string; batchRows: number; ctx: OutputContext; parquetDir?: string; compression?: string; tempFile?: string},
  ) {
    for (const t of tableDdl(o.ctx.protocols)) {
      this.tables.set(t.name, {name: t.name, columns: t.columns, createSql: t.sql, appender: null, pending: 0, rows: 0})
    }
  }

  /** Creates the tables (`flows` too; it is dropped at the end when no flow record arrived). */
  async init(): Promise<void> {
    for (const t of this.tables.values()) {
      await this.conn.run(`DROP TABLE IF EXISTS ${quote(t.name)}`)
      await this.conn.run(t.createSql)
      t.appender = await this.conn.createAppender(t.name)
    }
  }

  begin(_run: RunInfo): void {}

  write(ev: PbxEvent): void {
    const type = typeof ev.type === 'string' ? ev.type : ''
    const t = this.tables.get(tableName(type))
    if (!t) {
      this.lose(`no table for type ${JSON.stringify(type)}`)
      return
    }
    const a = t.appender
    if (!a) {
      this.lose('output already ended')
      return
    }
    for (const c of t.columns) a.appendValue(c.conv(ev[c.key]), c.type)
    a.endRow()
    t.rows++
    this.sent++
    if (++t.pending >= this.o.batchRows) {
      a.flushSync()
      t.pending = 0
    }
  }

  private lose(reason: string): void {
    this.failed++
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1)
    if (!this.warnedTypes.has(reason)) {
      this.warnedTypes.add(reason)
      this.o.ctx.warn(`${this.o.name}: event not stored: ${reason}`)
    }
  }

  get blocked(): boolean {
    return false
  }

  get closed(): boolean {
    return false
  }

  async drain(): Promise<void> {}

  async end(_run: RunInfo): Promise<void> {
    for (const t of this.tables.values()) {
      if (!t.appender) continue
      t.appender.flushSync()
      t.appender.closeSync()
      t.appender = null
    }
    const flows = this.tables.get('flows')
    if (flows && flows.rows === 0) await this.conn.run('DROP TABLE IF EXISTS flows')
    if (this.o.parquetDir !== undefined) {
      for (const t of this.tables.values()) {
        const file = join(this.o.parquetDir, `${t.name}.parquet`)
        rmSync(file, {force: true})
        if (t.rows === 0) continue
        await this.conn.run(`COPY ${quote(t.name)} TO '${file.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION ${this.o.compression})`)
      }
    }
    this.conn.closeSync()
    this.instance.closeSync()
    if (this.o.tempFile) {
      rmSync(this.o.tempFile, {force: true})
      rmSync(`${this.o.tempFile}.wal`, {force: true})
    }
  }

  delivery(): OutputDelivery {
    return {name: this.o.name, sent: this.sent, failed: this.failed, reasons: new Map(this.reasons)}
  }

  /** Rows written per table so far (tests, summary). */
  rowCounts(): Record<string, number> {
    return Object.fromEntries([...this.tables.values()].map((t) => [t.name, t.rows]))
  }
}

async function openDb(file: string, what: string): Promise<{instance: DuckDBInstance; conn: DuckDBConnection}> {
  try {
    const instance = await DuckDBInstance.create(file)
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
    const out = new DuckDbOutput(instance, conn, {name: `duckdb ${path}`, batchRows, ctx})
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
    const tempFile = join(dir, `.pbx-staging-${process.pid}.duckdb`)
    if (existsSync(tempFile)) rmSync(tempFile)
    const {instance, conn} = await openDb(tempFile, 'parquet')
    const out = new DuckDbOutput(instance, conn, {name: `parquet ${dir}`, batchRows, ctx, parquetDir: dir, compression, tempFile})
    await out.init()
    return out
  },
}
