/**
 * docs/SCHEMA.md is generated from the field lists (src/output/schema-doc.ts); this test fails when
 * the committed file no longer matches the code. To refresh it:
 *   npm run build && ./bin/run.js fields --markdown > docs/SCHEMA.md
 * and review the diff.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {fieldGroups, schemaMarkdown} from '../../src/output/schema-doc.js'
import {protocols} from '../../src/protocols/registry.js'
import {pbx} from '../helpers/run-cli.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const DOC = path.join(ROOT, 'docs/SCHEMA.md')

describe('docs/SCHEMA.md', () => {
  it('is up to date with the field lists', () => {
    const committed = readFileSync(DOC, 'utf8')
    // toBe on two 40 KB strings prints an unreadable diff; name the first differing line instead.
    const want = schemaMarkdown()
    if (committed !== want) {
      const a = committed.split('\n')
      const b = want.split('\n')
      let i = 0
      while (i < a.length && i < b.length && a[i] === b[i]) i++
      expect.fail(
        `docs/SCHEMA.md is out of date (first difference at line ${i + 1}:\n  file: ${a[i] ?? '<end>'}\n  code: ${b[i] ?? '<end>'}).\n` +
          'Regenerate: npm run build && ./bin/run.js fields --markdown > docs/SCHEMA.md',
      )
    }
  })

  it('is what `pbx fields --markdown` prints', () => {
    const r = pbx(['fields', '--markdown'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(schemaMarkdown())
  })

  it('has a section per protocol, common and flow, with every field in a table row', () => {
    const md = schemaMarkdown()
    const groups = fieldGroups()
    expect(groups.map((g) => g.name)).toEqual(['common', ...protocols.map((p) => p.name), 'flow'])
    for (const g of groups) {
      expect(md).toContain(`<a id="${g.name}"></a>`)
      for (const f of g.fields) expect(md).toContain(`| \`${f.name}\` | ${f.type} | ${f.array ? 'yes' : ''} |`)
    }
    const rows = md.split('\n').filter((l) => l.startsWith('| `'))
    expect(rows.length).toBe(groups.reduce((n, g) => n + g.fields.length, 0))
    expect(md.endsWith('|\n')).toBe(true)
  })

  it('keeps a table row on one line whatever the description holds', () => {
    const md = schemaMarkdown([{name: 'x', fields: [{name: 'x.a', type: 'keyword', array: true, description: 'one | two\r\nthree \\ four'}]}])
    expect(md).toContain('| `x.a` | keyword | yes | one \\| two three \\\\ four |\n')
  })

  it('is rejected together with --json or --protocol', () => {
    expect(pbx(['fields', '--markdown', '--json']).status).not.toBe(0)
    expect(pbx(['fields', '--markdown', '--protocol', 'http']).status).not.toBe(0)
  })
})
