/**
 * `pbx check`, `pbx baseline` and `pbx diff` as library functions (the commands only parse flags
 * and print). Exit codes of all three: 0 every rule holds / no regression, 1 a rule failed / a
 * regression, 2 the run could not complete (bad flags, rules, baseline or config; an input that
 * cannot be read; a damaged capture: never a pass).
 */
import {type CollectInvocation, collectEvents} from './collect.js'
import {type Baseline, BaselineBuilder} from './baseline.js'
import {InitCollector} from './init.js'
import type {CheckReport} from './report.js'
import type {Rule} from './rules.js'

export const CheckExit = {PASS: 0, FAIL: 1, ERROR: 2} as const

export async function runCheck(inv: CollectInvocation, rules: readonly Rule[]): Promise<CheckReport> {
  const c = await collectEvents(inv, (ev) => {
    for (const r of rules) r.observe(ev)
  })
  return {files: [...inv.files], complete: c.complete, errors: c.errors, events: c.events, results: rules.map((r) => r.result())}
}

export function checkExitCode(r: CheckReport): number {
  if (!r.complete) return CheckExit.ERROR
  return r.results.every((x) => x.ok) ? CheckExit.PASS : CheckExit.FAIL
}

export async function runInit(inv: CollectInvocation): Promise<{yaml: string; complete: boolean; errors: string[]}> {
  const init = new InitCollector()
  const c = await collectEvents(inv, (ev) => init.add(ev))
  return {yaml: init.rulesYaml(inv.files.join(' ')), complete: c.complete, errors: c.errors}
}

export async function runBaseline(inv: CollectInvocation): Promise<{baseline: Baseline; complete: boolean; errors: string[]}> {
  const b = new BaselineBuilder()
  const c = await collectEvents(inv, (ev) => b.add(ev))
  return {baseline: b.build(), complete: c.complete, errors: c.errors}
}
