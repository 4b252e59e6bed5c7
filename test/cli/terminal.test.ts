/**
 * The command line's contract with the terminal and the shell: signals flush everything, slow
 * input still shows events within about a second, a failing output is one line and exit 5, and a
 * few flag-parsing traps.
 */
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {BIN, pbx, ROOT} from '../helpers/run-cli.js'

const SAMPLE = path.join(ROOT, 'samples/http/nginx.pcap')
const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-term-'))
const golden = readFileSync(path.join(ROOT, 'samples/http/nginx.ndjson'), 'utf8')

/** Runs pbx reading the sample from a pipe that then stays open; returns the child. */
function slowPipe(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'analyze', '-', ...args], {stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  child.stdin.write(readFileSync(SAMPLE)) // and never end it
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c) => (stdout += c))
  child.stderr.on('data', (c) => (stderr += c))
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {child, done, out: () => stdout, err: () => stderr}
}

/** Waits until `ready()` holds (polling), at most `ms`; the input pipe stays open all along. */
async function until(ready: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now()
  while (!ready() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 100))
}

describe('signals and slow input', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${sig} on a pipe flushes every transaction and the write buffer, then exits ${code}`, async () => {
      const out = path.join(tmp, `${sig}.ndjson`)
      const p = slowPipe(['-f', `ndjson=${out}`, '-f', 'summary'])
      // the file fills within about a second of the data arriving, although the input never ends
      await until(() => {
        try {
          return readFileSync(out, 'utf8') === golden
        } catch {
          return false
        }
      })
      p.child.kill(sig)
      expect(await p.done).toBe(code)
      expect(readFileSync(out, 'utf8')).toBe(golden)
      expect(p.out()).toMatch(/Transactions: 13/)
      expect(p.err()).toMatch(new RegExp(`stopped by ${sig} after \\d+ packets.*13 events written`))
    })
  }

  it('writes events within about a second when the input is slow', async () => {
    const p = slowPipe(['-f', 'ndjson'])
    // Standard input is never closed: events can only show up through the periodic flush.
    await until(() => p.out() === golden)
    const seen = p.out()
    p.child.kill('SIGINT')
    await p.done
    expect(seen).toBe(golden)
  })
})

describe('failing outputs', () => {
  it('reports a full disk on standard output and with -o as one line and exit 5', () => {
    const a = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" analyze "${SAMPLE}" -f ndjson > /dev/full`], {encoding: 'utf8'})
    expect(a.status).toBe(5)
    expect(a.stderr.trim()).toBe('pbx: cannot write standard output: ENOSPC (no space left on device, write)')
    const b = pbx(['analyze', SAMPLE, '-f', 'ndjson', '-o', '/dev/full'])
    expect(b.status).toBe(5)
    expect(b.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pbx: cannot write \/dev\/full: ENOSPC/)])
  })

  it('treats a closed standard output as an error, and /dev/null as a fine destination', () => {
    const closed = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" analyze "${SAMPLE}" -f ndjson >&-`], {encoding: 'utf8'})
    expect(closed.status).toBe(5)
    expect(closed.stderr).toMatch(/cannot write standard output: it is closed/)
    const devnull = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" analyze "${SAMPLE}" -f ndjson > /dev/null`], {encoding: 'utf8'})
    expect(devnull.status).toBe(0)
    expect(devnull.stderr).toBe('')
  })
})

describe('flag parsing', () => {
  it('takes one value per --limit, so a file name after it stays a file', () => {
    const r = pbx(['analyze', '--limit', 'maxConnections=10', SAMPLE, '-f', 'ndjson'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(golden)
  })

  it('rejects --top -1', () => {
    const r = pbx(['analyze', SAMPLE, '--top', '-1'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/top/)
  })
})
