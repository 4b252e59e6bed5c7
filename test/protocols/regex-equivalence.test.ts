/**
 * Hand-written matchers that replaced regular expressions on packet data agree with the patterns
 * they replace, on crafted edge cases and on thousands of random strings drawn from an alphabet rich
 * in each pattern's special characters. The reference patterns live here only: the engine runs none.
 */
import {describe, expect, it} from 'vitest'
import {withoutOptionCode} from '../../src/protocols/dhcpv4/matcher.js'
import {escapeListItem} from '../../src/protocols/dns/codec.js'
import {isNetbiosName} from '../../src/protocols/dns/index.js'
import {withoutSection} from '../../src/protocols/dns/matcher.js'
import {basicCredentials} from '../../src/protocols/http/matcher.js'
import {afterBasicScheme, splitAuthority} from '../../src/protocols/http2/matcher.js'
import {isWordName} from '../../src/protocols/memcache/parser.js'
import {hasHttpVersion} from '../../src/protocols/redis/index.js'
import {isDigits, isOneLine, isSpaceCode, isVisibleAscii, splitLines, splitSpace, startsWithIgnoreCase, unquote} from '../../src/protocols/shared/chars.js'
import {isMemcacheResponseLine} from '../../src/protocols/shared/memcache-text.js'
import {samples, SPACES} from '../support/regex-samples.js'

const DIGITS = ['0', '1', '9', '12', '٣', '１']

function agree<T>(strings: string[], ours: (s: string) => T, ref: (s: string) => T): void {
  for (const s of strings) expect([s, ours(s)]).toEqual([s, ref(s)])
}

describe('shared/chars matchers agree with the patterns they stand for', () => {
  it('isDigits = /^\\d{a,b}$/', () => {
    const xs = samples(['', '0', '00000000000000000000', '000000000000000000000', 'a1', '1a', ' 1', '1 ', '٣', '１'], [...DIGITS, 'a', ' ', '-', '+', '.'], 3000, 22)
    agree(xs, (s) => isDigits(s), (s) => /^\d+$/.test(s))
    agree(xs, (s) => isDigits(s, 1, 20), (s) => /^\d{1,20}$/.test(s))
    agree(xs, (s) => isDigits(s, 1, 5), (s) => /^\d{1,5}$/.test(s))
    agree(xs, (s) => isDigits(s, 1, 19), (s) => /^\d{1,19}$/.test(s))
    agree(xs, (s) => isDigits(s, 1, 10), (s) => /^\d{1,10}$/.test(s))
  })
  it('isSpaceCode = \\s, isOneLine = /^.*$/, splitSpace = split(/\\s+/), splitLines = split(/\\r?\\n/)', () => {
    for (let c = 0; c < 0x10000; c++) expect([c, isSpaceCode(c)]).toEqual([c, /\s/.test(String.fromCharCode(c))])
    const xs = samples(['', ' ', '  a  ', '\r\n', '\n\r', '\r', 'a\r\r\nb', '\n\n', 'a\u2028b'], [...SPACES, 'a', 'bc', '\r\n'])
    agree(xs, (s) => isOneLine(s), (s) => /^.*$/.test(s))
    agree(xs, splitSpace, (s) => s.split(/\s+/))
    agree(xs, splitLines, (s) => s.split(/\r?\n/))
  })
  it('unquote = replace(/^"(.*)"$/, "$1"), isVisibleAscii = /^[\\x21-\\x7e]{a,b}$/, startsWithIgnoreCase = /^basic/i', () => {
    const xs = samples(['"', '""', '"a"', '"a', 'a"', '"a\nb"', '"""', ' "a"', '"a" ', 'BASIC', 'basic', 'BaSiC x', 'ſasic', 'bas'], ['"', 'a', '\n', '\r', '\u2028', ' ', '~', '\x7f', '!', 'b', 'A', 'S', 'I', 'c', 'basic', 'BASIC', 'ſ', 'K'], 3000, 8)
    agree(xs, unquote, (s) => s.replace(/^"(.*)"$/, '$1'))
    agree(xs, (s) => isVisibleAscii(s, 1, 250), (s) => /^[\x21-\x7e]{1,250}$/.test(s))
    agree(xs, (s) => isVisibleAscii(s, 1, 3), (s) => /^[\x21-\x7e]{1,3}$/.test(s))
    agree(xs, (s) => startsWithIgnoreCase(s, 'basic'), (s) => /^basic/i.test(s))
    expect(isVisibleAscii('k'.repeat(250), 1, 250)).toBe(true)
    expect(isVisibleAscii('k'.repeat(251), 1, 250)).toBe(false)
  })
})

describe('protocol matchers agree with the patterns they replace', () => {
  it('memcache: response line and word-like command name', () => {
    const ref = /^(VALUE [\x21-\x7e]{1,250} \d+ \d+( \d+)?|STAT [\x21-\x7e]+ .*|VERSION \S+|CLIENT_ERROR .*|SERVER_ERROR .*)$/
    const crafted = [
      'VALUE k 0 3', 'VALUE k 0 3 9', 'VALUE k 0 3 9 9', 'VALUE  0 3', 'VALUE k 0', 'VALUE k 0 3 ', 'VALUE k a 3', `VALUE ${'k'.repeat(250)} 1 2`,
      `VALUE ${'k'.repeat(251)} 1 2`, 'STAT pid 1', 'STAT pid ', 'STAT  1', 'STAT pid', 'STAT p\td x', 'STAT pid a\rb', 'VERSION 1.6', 'VERSION ',
      'VERSION 1 2', 'VERSION 1\u00a0', 'CLIENT_ERROR bad', 'CLIENT_ERROR ', 'CLIENT_ERROR', 'SERVER_ERROR x\ny', 'SERVER_ERROR  x', 'END', 'STORED', '',
    ]
    const xs = samples(crafted, ['VALUE ', 'STAT ', 'VERSION ', 'CLIENT_ERROR ', 'SERVER_ERROR ', ' ', 'k', '1', '0', '\t', '\r', '\n', '\u00a0', '\x7f', '\u2028', 'é'], 5000, 7)
    agree(xs, isMemcacheResponseLine, (s) => ['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'END'].includes(s) || ref.test(s))
    agree(samples(['', 'get', 'a_b', '_', 'x'.repeat(32), 'x'.repeat(33), 'Get', 'g1'], ['a', 'z', '_', 'A', '1', '`', '{', '-', 'é'], 3000, 34), isWordName, (s) => /^[a-z_]{1,32}$/.test(s))
  })
  it('redis: " HTTP/<digit>" anywhere in the line', () => {
    const xs = samples(['GET / HTTP/1.1', 'GET / HTTP/', 'GET / HTTP/x HTTP/2', ' HTTP/9', 'HTTP/1', 'GET /HTTP/1', 'x  HTTP/1', ' http/1'], [' ', 'HTTP/', ' HTTP/', 'H', 'T', 'P', '/', '1', 'x', '٣'])
    agree(xs, hasHttpVersion, (s) => / HTTP\/\d/.test(s))
  })
  it('http: Basic credentials token', () => {
    const crafted = ['Basic dXNlcjpwdw==', 'basic  abc', 'BASIC\tabc \t', 'Basic', 'Basic ', 'Basic  ', 'Basicabc', 'Basic a b', 'Basic a\u00a0', 'Basic a-b', 'Bearer x', ' Basic a']
    const xs = samples(crafted, ['basic', 'Basic', 'BASIC', ' ', '\t', '\u00a0', '\n', 'A', 'z', '0', '+', '/', '=', '-', '_', 'ſ'], 4000, 6)
    agree(xs, basicCredentials, (s) => /^basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(s)?.[1])
  })
  it('http2: authority split into host and port', () => {
    const crafted = ['example.com', 'example.com:8443', 'example.com:', ':80', '[::1]', '[::1]:443', '[::1]:', '[::1]x', '[::1', '[]', '[]:1', 'a:b', 'a:1:2', '[a]:1]:2', '[a:1]', '[a]b:1', '']
    const xs = samples(crafted, ['[', ']', ':', '1', '80', 'a', '.', '::', '٣'], 4000, 8)
    const ref = (s: string) => {
      const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(s)
      return m === null ? undefined : ([m[1], m[2]] as [string, string | undefined])
    }
    agree(xs, splitAuthority, ref)
  })
  it('http2: the rest after the Basic scheme', () => {
    const xs = samples(['Basic x', 'basic', 'basic ', 'BASIC\u00a0\u3000x', 'basicx', ' basic x', 'ba sic x'], ['basic', 'BaSiC', 'b', ' ', ...SPACES, 'x', 'ſ'], 4000, 6)
    agree(xs, afterBasicScheme, (s) => (/^basic\s+/i.test(s) ? s.replace(/^basic\s+/i, '') : undefined))
  })
  it('dns: NetBIOS name, list item escaping, error section prefix', () => {
    const nb = 'ABCDEFGHIJKLMNOPabcdefghijklmnop'
    const crafted = [nb, `${nb}.`, `${nb}.scope`, `${nb}x`, nb.slice(1), `Q${nb.slice(1)}`, `@${nb.slice(1)}`, `${nb.slice(0, 31)}\u0141`, '']
    const xs = samples(crafted, ['A', 'P', 'a', 'p', 'Q', 'q', '@', '`', '.', 'ABCDEFGH', 'pppppppp', '\u0141'], 4000, 12)
    agree(xs, isNetbiosName, (s) => /^[A-Pa-p]{32}(\.|$)/.test(s))
    agree(samples(['', '\\', ',', 'a,b\\c', ',,'], ['\\', ',', 'a', '\\\\'], 2000, 8), escapeListItem, (s) => s.replace(/[\\,]/g, (c) => `\\${c}`))
    const es = samples(['answer: bad', 'a: ', ': x', 'Answer: x', 'answer:x', 'answer:  x', 'ab: c: d'], ['a', 'z', 'A', ':', ' ', ': ', '1'], 3000, 8)
    agree(es, withoutSection, (s) => s.replace(/^[a-z]+: /, ''))
  })
  it('dhcpv4: option code prefix', () => {
    const xs = samples(['option 53: bad', 'option : x', 'option 5:x', 'option 5: ', 'option 5:: x', 'Option 5: x'], ['option ', 'option', ' ', '5', '٣', ':', ': ', 'x'], 3000, 6)
    agree(xs, withoutOptionCode, (s) => s.replace(/^option \d+: /, 'option: '))
  })
})
