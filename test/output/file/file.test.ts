/**
 * output.file: the same NDJSON bytes as --format ndjson, in rotated files of whole lines, at most
 * number_of_files kept, created with the configured permissions.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {factory} from '../../../src/output/file/index.js'
import {OutputConfigError} from '../../../src/output/types.js'
import {analyzeToNdjson} from '../../helpers/analyze-to-string.js'
import {runInto, testContext} from '../shared/run-into.js'

const FILES = ['samples/http/nginx.pcap', 'samples/dns/dnsmasq.pcap', 'samples/tls/openssl.pcap']
let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pbx-file-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

/** Contents of filename.N ... filename.1, filename (oldest first). */
function readAll(name: string): {files: string[]; text: string} {
  const files = readdirSync(dir).filter((f) => f === name || f.startsWith(`${name}.`))
  const order = (f: string) => (f === name ? 0 : Number(f.slice(name.length + 1)))
  files.sort((a, b) => order(b) - order(a))
  return {files, text: files.map((f) => readFileSync(join(dir, f), 'utf8')).join('')}
}

describe('file output', () => {
  it('writes exactly the NDJSON of --format ndjson, rotating at whole lines', async () => {
    const {text: expected} = await analyzeToNdjson(FILES)
    const out = factory.create({path: dir, filename: 'ev', rotate_every_kb: 4, number_of_files: 1024}, testContext())
    await runInto(FILES, await out)
    const {files, text} = readAll('ev')
    expect(text).toBe(expected)
    expect(files.length).toBeGreaterThan(3)
    // Greedy packing: a file was closed only because the next line would not fit in it.
    const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'))
    for (let i = 0; i + 1 < texts.length; i++) {
      const next = texts[i + 1].slice(0, texts[i + 1].indexOf('\n') + 1)
      expect(Buffer.byteLength(texts[i]) + Buffer.byteLength(next)).toBeGreaterThan(4096)
    }
    for (const f of files) {
      const t = readFileSync(join(dir, f), 'utf8')
      expect(t.endsWith('\n')).toBe(true)
      // Only a single line longer than the bound gets a file larger than it (a file of its own).
      if (Buffer.byteLength(t) > 4096) expect(t.indexOf('\n')).toBe(t.length - 1)
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600)
    }
  })

  it('keeps number_of_files files, the newest lines last', async () => {
    const {text: expected} = await analyzeToNdjson(FILES)
    await runInto(FILES, await factory.create({path: dir, filename: 'ev', rotate_every_kb: 2, number_of_files: 3, permissions: '0640'}, testContext()))
    const {files, text} = readAll('ev')
    expect(files).toEqual(['ev.2', 'ev.1', 'ev'])
    expect(expected.endsWith(text)).toBe(true)
    expect(text.length).toBeLessThan(expected.length)
    expect(text.startsWith('{"@timestamp"')).toBe(true)
    expect(statSync(join(dir, 'ev')).mode & 0o777).toBe(0o640)
  })

  it('rotates an existing file away on startup', async () => {
    writeFileSync(join(dir, 'pbx'), 'old\n')
    await runInto(['samples/dns/dnsmasq.pcap'], await factory.create({path: dir}, testContext()))
    expect(readFileSync(join(dir, 'pbx.1'), 'utf8')).toBe('old\n')
    expect(readFileSync(join(dir, 'pbx'), 'utf8')).toBe(readFileSync('samples/dns/dnsmasq.ndjson', 'utf8'))
  })

  it('names the bad key', async () => {
    expect(() => factory.create({path: dir, number_of_files: 1}, testContext())).toThrow(/output\.file\.number_of_files: expected an integer from 2 to 1024, got 1/)
    expect(() => factory.create({path: dir, permissions: 'rw'}, testContext())).toThrow(OutputConfigError)
    expect(() => factory.create({path: dir, rotate_every: 1}, testContext())).toThrow(/unknown option "rotate_every"/)
  })
})
