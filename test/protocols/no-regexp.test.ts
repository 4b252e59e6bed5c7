/**
 * The project rule "no backtracking RegExp on packet data" for the protocols that were brought
 * under it by hand-written matching: their sources hold no regular expression at all (comments
 * aside). decrypt/keylog.ts is exempt: it reads the user's key log file, not packet data.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

const ROOT = path.join(import.meta.dirname, '../../src/protocols')
const CHECKED = ['starttls', 'socks', 'tls']
const EXEMPT = new Set(['tls/decrypt/keylog.ts'])
/** A RegExp constructor, a regex literal used as one, or one passed to a string method. */
const REGEX_USE = /new RegExp|RegExp\(|\/[gimsuyd]*\.(test|exec)\(|\.(match|matchAll|search|replace|replaceAll|split)\(\s*\//

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('no regular expressions on packet data', () => {
  for (const d of CHECKED) {
    it(`src/protocols/${d} matches packet bytes and strings by hand`, () => {
      const found = files(path.join(ROOT, d))
        .filter((f) => !EXEMPT.has(path.relative(ROOT, f).split(path.sep).join('/')))
        .filter((f) => REGEX_USE.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '')))
        .map((f) => path.relative(ROOT, f))
      expect(found).toEqual([])
    })
  }
})
