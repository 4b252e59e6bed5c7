/**
 * The summary as a terminal shows it: `pbx analyze` on the synthetic capture with a 4.5 s 500,
 * through a pipe (no colour) and through a pseudo-terminal made by util-linux `script` (colour).
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {BIN, pbx, ROOT} from '../helpers/run-cli.js'
import {syntheticCapture} from '../support/report-capture.js'

const dir = mkdtempSync(path.join(tmpdir(), 'pbx-summary-cli-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const pcap = path.join(dir, 'slow.pcap')
writeFileSync(pcap, syntheticCapture())

describe('pbx analyze: the summary on a terminal', () => {
  it('lists the slow 500 with its frames, within one 50-line screen, without colour on a pipe', () => {
    const r = pbx(['analyze', pcap])
    expect(r.status).toBe(0)
    expect(r.stdout).not.toContain('\x1b')
    expect(r.stdout).toMatch(/^ +4\.50s +http +10\.2\.0\.10:8080 +GET \/slow +500 Internal Server Error +261-311$/m)
    expect(r.stdout).toMatch(/^Failed transactions: 12 \(the 5 slowest\)$/m)
    expect(r.stdout).toMatch(/^ {4}GET \/api\/users\/\{n\} +80 /m)
    expect(r.stdout.trimEnd().split('\n').length).toBeLessThanOrEqual(49)
  })

  it('colours on a terminal (script(1) gives it a pty), and NO_COLOR turns it off', () => {
    const cmd = `${process.execPath} ${BIN} analyze ${pcap}`
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], {cwd: ROOT, encoding: 'utf8', env: {...process.env, NO_COLOR: ''}})
    expect(tty.status).toBe(0)
    expect(tty.stdout).toContain('\x1b[1mSlowest transactions\x1b[0m')
    expect(tty.stdout).toContain('\x1b[31m500 Internal Server Error\x1b[39m')
    const env = {...process.env, NO_COLOR: '1'}
    const off = spawnSync('script', ['-qec', cmd, '/dev/null'], {cwd: ROOT, encoding: 'utf8', env})
    expect(off.stdout).toContain('Slowest transactions')
    expect(off.stdout).not.toContain('\x1b[31m')
  })
})
