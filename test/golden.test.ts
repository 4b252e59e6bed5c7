/**
 * Golden tests: every capture under samples/ (made by scripts/samples/*) is analyzed and its NDJSON
 * compared byte for byte with the reviewed `<capture>.ndjson` beside it (a `<capture>.keylog` beside
 * it is the TLS key log of that capture, as `--tls-keylog`). To regenerate after an
 * intended change: `npm run golden:update`, then review the diff before committing.
 */
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {analyzeToNdjson} from './helpers/analyze-to-string.js'
import {ROOT} from './helpers/run-cli.js'

const UPDATE = process.env.UPDATE_GOLDEN === '1'
const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/

function captures(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const p = path.join(dir, d.name)
      if (d.isDirectory()) return captures(p)
      return CAPTURE.test(d.name) ? [p] : []
    })
}

const all = captures(path.join(ROOT, 'samples'))

describe('golden samples', () => {
  it('has samples to check', () => {
    expect(all.length).toBeGreaterThan(0)
  })

  for (const file of all) {
    const rel = path.relative(ROOT, file)
    const golden = file.replace(CAPTURE, '.ndjson')
    it(rel, async () => {
      const keylog = file.replace(CAPTURE, '.keylog')
      const {text, result} = await analyzeToNdjson([rel], {}, {}, existsSync(keylog) ? [keylog] : [])
      expect(result.errors).toEqual([])
      if (UPDATE || !existsSync(golden)) {
        if (!UPDATE) throw new Error(`${path.relative(ROOT, golden)} is missing: run npm run golden:update and review it`)
        writeFileSync(golden, text)
      }
      expect(text).toBe(readFileSync(golden, 'utf8'))
      // every line is one JSON object with the common fields
      for (const line of text.split('\n').filter(Boolean)) {
        const ev = JSON.parse(line)
        expect(typeof ev['@timestamp']).toBe('string')
        expect(typeof ev.type).toBe('string')
        expect(ev.network.community_id).toMatch(/^1:[A-Za-z0-9+/]{27}=$/)
      }
    })
  }
})
