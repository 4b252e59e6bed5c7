/**
 * Runs the built CLI (bin/run.js -> dist/) as a user would. `npm test` builds first (pretest).
 */
import {spawnSync} from 'node:child_process'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '../..')
export const BIN = path.join(ROOT, 'bin/run.js')

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

export function pbx(args: string[], opts: {input?: Buffer | string; cwd?: string} = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: {...process.env, NO_COLOR: '1'},
  })
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}
