/**
 * oclif.manifest.json is committed (oclif reads it instead of loading every command at start-up).
 * `npm run build` regenerates it; this test fails when the committed one no longer matches the
 * command classes, so a stale manifest cannot land.
 */
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ROOT} from '../helpers/run-cli.js'

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
// Command ids as oclif names them: src/commands/setup/es.ts is "setup:es" (`pbx setup es`).
const ids = (readdirSync(path.join(ROOT, 'src/commands'), {recursive: true}) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, '').split(path.sep).join(':'))

describe('oclif.manifest.json', () => {
  it('lists exactly the commands in src/commands', () => {
    expect(Object.keys(manifest.commands).sort()).toEqual([...ids].sort())
  })

  for (const id of ids) {
    it(`matches the flags, args and summary of "${id}"`, async () => {
      const mod = await import(path.join(ROOT, 'src/commands', `${id.split(':').join('/')}.ts`))
      const cmd = mod.default
      const m = manifest.commands[id]
      expect(Object.keys(m.flags).sort()).toEqual(Object.keys(cmd.flags ?? {}).sort())
      expect(Object.keys(m.args).sort()).toEqual(Object.keys(cmd.args ?? {}).sort())
      expect(m.summary).toBe(cmd.summary)
      for (const [name, f] of Object.entries(cmd.flags ?? {}) as [string, {description?: string; default?: unknown}][]) {
        expect(m.flags[name].description, `flag --${name}`).toBe(f.description)
      }
    })
  }
})
