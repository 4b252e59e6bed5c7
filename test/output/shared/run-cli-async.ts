/**
 * Runs the built CLI without blocking the test process (the fake servers answer from this process,
 * so spawnSync would deadlock them).
 */
import {spawn} from 'node:child_process'
import {BIN, ROOT} from '../../helpers/run-cli.js'

export function pbxAsync(args: string[], env: Record<string, string> = {}): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {cwd: ROOT, env: {...process.env, NO_COLOR: '1', ...env}})
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    p.on('close', (status) => resolve({status, stdout, stderr}))
  })
}
