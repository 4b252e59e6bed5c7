/**
 * The project rule "no backtracking RegExp on packet data": the sources under src/protocols hold
 * no regular expression at all (comments and string contents aside; re2js patterns are strings).
 * Exempt files read no packet data and are listed with the reason.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

const ROOT = path.join(import.meta.dirname, '../../src/protocols')
const EXEMPT: Record<string, string> = {
  'tls/decrypt/keylog.ts': "reads the user's SSLKEYLOGFILE, not packet data",
}

const WORD = /[A-Za-z0-9_$]/
/** Keywords after which a `/` starts a regular expression literal, not a division. */
const BEFORE_REGEX = new Set(['return', 'typeof', 'case', 'of', 'in', 'yield', 'await', 'void', 'delete', 'new', 'throw', 'else', 'do'])

/**
 * Where `src` uses a regular expression: each regex literal (told from a division by the token
 * before it, as a JavaScript tokenizer does) and each `RegExp` constructor call, as "line: text".
 * Comments and string contents are skipped; template literal substitutions are scanned.
 */
function regexUses(src: string): string[] {
  const out: string[] = []
  const lineOf = (i: number) => src.slice(0, i).split('\n').length
  // prev: what the last significant token was - '' start, 'v' a value (a `/` after it divides), 'p' punctuation, 'w' a word
  let prev = ''
  let word = ''
  const stack: number[] = [] // brace depth at each open template substitution
  let depth = 0
  const template = (from: number): number => {
    let j = from
    while (j < src.length && src[j] !== '`') {
      if (src[j] === '\\') j++
      else if (src[j] === '$' && src[j + 1] === '{') {
        stack.push(depth)
        depth++
        return j + 2
      }
      j++
    }
    prev = 'v'
    return j + 1
  }
  for (let i = 0; i < src.length; ) {
    const c = src[i]
    if (c === '/' && src[i + 1] === '/') {
      const e = src.indexOf('\n', i)
      i = e < 0 ? src.length : e
    } else if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2)
      i = e < 0 ? src.length : e + 2
    } else if (c === '"' || c === "'") {
      let j = i + 1
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1
      i = j + 1
      prev = 'v'
    } else if (c === '`') {
      i = template(i + 1)
      if (stack.length > 0 && i > 0 && src[i - 1] === '{') prev = 'p'
    } else if (c === '}' && stack.length > 0 && stack[stack.length - 1] === depth - 1) {
      stack.pop()
      depth--
      i = template(i + 1)
      if (src[i - 1] === '{') prev = 'p'
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++
    else if (c === '/') {
      if (prev === '' || prev === 'p' || (prev === 'w' && BEFORE_REGEX.has(word))) {
        let j = i + 1
        let cls = false
        while (j < src.length && src[j] !== '\n' && (cls || src[j] !== '/')) {
          if (src[j] === '\\') j++
          else if (src[j] === '[') cls = true
          else if (src[j] === ']') cls = false
          j++
        }
        out.push(`${lineOf(i)}: ${src.slice(i, j + 1)}`)
        i = j + 1
        prev = 'v'
      } else {
        i++
        prev = 'p'
      }
    } else if (WORD.test(c)) {
      let j = i
      while (j < src.length && WORD.test(src[j])) j++
      word = src.slice(i, j)
      if (word === 'RegExp' && /^\s*\(/.test(src.slice(j, j + 20))) out.push(`${lineOf(i)}: RegExp(`)
      prev = 'w'
      i = j
    } else {
      if (c === '{') depth++
      else if (c === '}') depth--
      // `x! / y`: a non-null assertion leaves a value
      prev = c === ')' || c === ']' || c === '}' || (c === '!' && WORD.test(src[i - 1] ?? '') && src[i + 1] !== '=') ? 'v' : 'p'
      if (c === '!' && (src[i - 1] === ')' || src[i - 1] === ']')) prev = 'v'
      i++
    }
  }
  return out
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('no regular expressions on packet data', () => {
  it('the scanner finds regex literals and RegExp calls, and takes divisions, strings and comments for what they are', () => {
    const src = [
      'const a = /x+/', 'f(/a/.test(s))', 'if (!/^\\d$/.test(s)) return', 's.split(/\\s+/)', 'return /[/]/g', '`${s.replace(/a/, "")}`', 'new RegExp(p)',
      'const d = a / b / c', 'const e = (x) / 2', 'const g = b[0]! / 40', '// /not/ a regex', '/* /nor/ */', "const h = '/nor/ this'", 'const i = `/${a / b}/`',
      'const j = {k: 1} // }', 'x = y.z / 2 + w[1] / 3',
    ].join('\n')
    expect(regexUses(src)).toEqual(['1: /x+/', '2: /a/', '3: /^\\d$/', '4: /\\s+/', '5: /[/]/', '6: /a/', '7: RegExp('])
  })

  for (const d of readdirSync(ROOT).filter((f) => statSync(path.join(ROOT, f)).isDirectory())) {
    it(`src/protocols/${d} matches packet bytes and strings by hand or with re2js`, () => {
      const found = files(path.join(ROOT, d))
        .map((f) => path.relative(ROOT, f).split(path.sep).join('/'))
        .filter((f) => EXEMPT[f] === undefined)
        .flatMap((f) => regexUses(readFileSync(path.join(ROOT, f), 'utf8')).map((u) => `${f}:${u}`))
      expect(found).toEqual([])
    })
  }

  it('the top-level files of src/protocols hold no regular expression either', () => {
    const found = readdirSync(ROOT)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => regexUses(readFileSync(path.join(ROOT, f), 'utf8')).map((u) => `${f}:${u}`))
    expect(found).toEqual([])
  })

  it('each exemption is still needed: the file exists and holds a regular expression', () => {
    for (const f of Object.keys(EXEMPT)) expect([f, regexUses(readFileSync(path.join(ROOT, f), 'utf8')).length > 0]).toEqual([f, true])
  })
})
