/**
 * Every output type pbx knows, one line each. An output is a folder src/output/<name>/ whose
 * index.ts exports `factory: OutputFactory` (see ./types.ts); `--format NAME` and `output.NAME` in
 * the config select it.
 */
import {factory as clickhouse} from './clickhouse/index.js'
import {factory as console} from './console/index.js'
import {factory as csv} from './csv/index.js'
import {factory as duckdb, parquetFactory as parquet} from './duckdb/index.js'
import {factory as elasticsearch} from './elasticsearch/index.js'
import {factory as file} from './file/index.js'
import {factory as ndjson} from './ndjson/index.js'
import {factory as summary} from './summary/index.js'
import type {OutputFactory} from './types.js'

export const outputs: readonly OutputFactory[] = [summary, ndjson, csv, elasticsearch, clickhouse, duckdb, parquet, file, console]

export function outputByName(name: string): OutputFactory | undefined {
  return outputs.find((o) => o.name === name)
}
