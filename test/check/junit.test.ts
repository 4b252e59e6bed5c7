/**
 * JUnit XML as GitLab and GitHub read it: parsed back with a small strict XML reader (elements,
 * attributes, text, the five entities), one <testcase> per rule, <failure message> with the
 * details, counts on <testsuite>; and an incomplete run reported as an error, never a pass.
 */
import {describe, expect, it} from 'vitest'
import {junitReport, type CheckReport} from '../../src/check/report.js'

interface El {
  name: string
  attrs: Record<string, string>
  children: El[]
  text: string
}

const ENT: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"}
const decode = (s: string) =>
  s.replace(/&(\w+);/g, (m, e: string) => {
    if (!(e in ENT)) throw new Error(`unknown entity ${m}`)
    return ENT[e]
  })

/** Parses a document with one root element; throws on mismatched tags or stray markup. */
function parseXml(xml: string): El {
  let i = 0
  const decl = /^<\?xml [^?]*\?>\s*/.exec(xml)
  if (decl === null) throw new Error('no XML declaration')
  i = decl[0].length
  const stack: El[] = [{name: '#doc', attrs: {}, children: [], text: ''}]
  while (i < xml.length) {
    if (xml.startsWith('</', i)) {
      const m = /^<\/([\w:.-]+)>/.exec(xml.slice(i))
      if (m === null) throw new Error(`bad end tag at ${i}`)
      const el = stack.pop()
      if (el?.name !== m[1]) throw new Error(`</${m[1]}> closes <${el?.name}>`)
      i += m[0].length
    } else if (xml[i] === '<') {
      const m = /^<([\w:.-]+)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/.exec(xml.slice(i))
      if (m === null) throw new Error(`bad start tag at ${i}: ${xml.slice(i, i + 40)}`)
      const attrs: Record<string, string> = {}
      for (const a of m[2].matchAll(/([\w:.-]+)="([^"]*)"/g)) attrs[a[1]] = decode(a[2])
      const el: El = {name: m[1], attrs, children: [], text: ''}
      stack.at(-1)!.children.push(el)
      if (m[3] !== '/') stack.push(el)
      i += m[0].length
    } else {
      const end = xml.indexOf('<', i)
      const raw = xml.slice(i, end < 0 ? xml.length : end)
      if (raw.includes('>')) throw new Error(`unescaped > in text at ${i}`)
      stack.at(-1)!.text += decode(raw)
      i += raw.length
    }
  }
  if (stack.length !== 1 || stack[0].children.length !== 1) throw new Error('unbalanced document')
  return stack[0].children[0]
}

const report: CheckReport = {
  files: ['run.pcap'],
  complete: true,
  errors: [],
  events: 3,
  results: [
    {name: 'count <http>', kind: 'count', ok: true, expected: 'at least 1 events', seen: '3 events', examples: []},
    {
      name: 'no 5xx',
      kind: 'http_status_below',
      ok: false,
      expected: 'no HTTP response with status >= 500',
      seen: '1 of 3 HTTP responses >= 500 (503: 1)',
      examples: [{frames: [7, 9], event: 'http 10.0.0.2:80 GET /pay?a=1&b="\u0001" -> 503 4.50s'}],
    },
  ],
}

describe('junitReport', () => {
  it('parses back: one testcase per rule, the failure with message, details and frames', () => {
    const root = parseXml(junitReport(report))
    expect(root.name).toBe('testsuites')
    expect(root.attrs).toMatchObject({tests: '2', failures: '1', errors: '0'})
    const suite = root.children[0]
    expect(suite.name).toBe('testsuite')
    expect(suite.attrs).toMatchObject({name: 'pbx check run.pcap', tests: '2', failures: '1', errors: '0', skipped: '0'})
    const cases = suite.children
    expect(cases.map((c) => [c.name, c.attrs.name, c.attrs.classname])).toEqual([
      ['testcase', 'count <http>', 'pbx.check.count'],
      ['testcase', 'no 5xx', 'pbx.check.http_status_below'],
    ])
    expect(cases[0].children.map((c) => c.name)).toEqual(['system-out'])
    const failure = cases[1].children[0]
    expect(failure.name).toBe('failure')
    expect(failure.attrs.message).toBe('expected no HTTP response with status >= 500; seen 1 of 3 HTTP responses >= 500 (503: 1)')
    expect(failure.attrs.type).toBe('http_status_below')
    // The control byte from the packet is replaced (XML 1.0 cannot hold it); the rest is intact.
    expect(failure.text).toContain('frames 7,9: http 10.0.0.2:80 GET /pay?a=1&b="\ufffd" -> 503 4.50s')
  })

  it('reports an incomplete run as an error test case, and passing rules as not judged', () => {
    const root = parseXml(junitReport({...report, complete: false, errors: ['run.pcap: truncated at byte 1234']}))
    expect(root.attrs).toMatchObject({tests: '3', failures: '1', errors: '1'})
    const cases = root.children[0].children
    expect(cases[0].children[0]).toMatchObject({name: 'error', attrs: {message: 'not judged: the run did not complete'}})
    expect(cases[1].children[0].name).toBe('failure')
    expect(cases[2]).toMatchObject({attrs: {name: 'capture read to the end'}})
    expect(cases[2].children[0]).toMatchObject({name: 'error', attrs: {message: 'run.pcap: truncated at byte 1234', type: 'run'}})
  })
})
