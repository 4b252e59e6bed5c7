/**
 * What `pbx check` prints: a text report (one block per rule), a JSON document, and JUnit XML
 * (one <testsuite> "pbx check", one <testcase> per rule, a <failure> with the expected/seen message
 * and the examples as its text) in the form GitLab's and GitHub's JUnit report viewers read.
 */
import type {RuleResult} from './rules.js'

export interface CheckReport {
  files: string[]
  /** False when the run could not complete: the verdict is then "error", whatever the rules say. */
  complete: boolean
  errors: string[]
  events: number
  results: RuleResult[]
}

export function passed(r: CheckReport): number {
  return r.results.filter((x) => x.ok).length
}

function exampleLines(r: RuleResult): string[] {
  return r.examples.map((e) => `frames ${e.frames.join(',') || '?'}${e.file === undefined ? '' : ` of ${e.file}`}: ${e.event}`)
}

export function textReport(r: CheckReport): string {
  const out: string[] = []
  for (const x of r.results) {
    out.push(`${x.ok ? 'PASS' : 'FAIL'} ${x.name}`)
    out.push(`  expected: ${x.expected}`)
    out.push(`  seen:     ${x.seen}`)
    if (!x.ok) for (const d of x.details?.filter((l) => l.startsWith('FAIL')) ?? []) out.push(`  ${d}`)
    if (!x.ok) for (const l of exampleLines(x)) out.push(`  ${l}`)
  }
  const failed = r.results.length - passed(r)
  for (const e of r.errors) out.push(`ERROR ${e}`)
  out.push(
    r.complete
      ? `${r.results.length} rules, ${passed(r)} passed, ${failed} failed (${r.events} events)`
      : `the run did not complete: ${r.results.length} rules not judged (${r.events} events read)`,
  )
  return `${out.join('\n')}\n`
}

export function jsonReport(r: CheckReport): string {
  return `${JSON.stringify({
    ok: r.complete && passed(r) === r.results.length,
    complete: r.complete,
    errors: r.errors,
    files: r.files,
    events: r.events,
    rules: r.results,
  }, null, 2)}\n`
}

/** XML 1.0 text: escapes markup and drops characters XML cannot hold (control bytes from packets). */
export function xmlEscape(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

export function junitReport(r: CheckReport): string {
  const cases: string[] = []
  const failures = r.results.filter((x) => !x.ok).length
  const errors = r.complete ? 0 : 1
  for (const x of r.results) {
    const open = `    <testcase classname="pbx.check.${xmlEscape(x.kind)}" name="${xmlEscape(x.name)}" time="0">`
    if (x.ok && r.complete) {
      cases.push(`${open}\n      <system-out>${xmlEscape(`expected: ${x.expected}\nseen: ${x.seen}`)}</system-out>\n    </testcase>`)
      continue
    }
    const body = [`expected: ${x.expected}`, `seen: ${x.seen}`, ...(x.details ?? []), ...exampleLines(x)].join('\n')
    const tag = x.ok ? 'error' : 'failure'
    const message = x.ok ? 'not judged: the run did not complete' : `expected ${x.expected}; seen ${x.seen}`
    cases.push(`${open}\n      <${tag} message="${xmlEscape(message)}" type="${xmlEscape(x.kind)}">${xmlEscape(body)}</${tag}>\n    </testcase>`)
  }
  if (!r.complete) {
    cases.push(`    <testcase classname="pbx.check" name="capture read to the end" time="0">\n      <error message="${xmlEscape(r.errors.join('; '))}" type="run">${xmlEscape(r.errors.join('\n'))}</error>\n    </testcase>`)
  }
  const tests = r.results.length + errors
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="pbx check" tests="${tests}" failures="${failures}" errors="${errors}">`,
    `  <testsuite name="pbx check ${xmlEscape(r.files.join(' '))}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="0" time="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}
