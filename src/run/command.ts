/**
 * What every pipeline command does between its flags and its exit code: plan the run (PlanError:
 * its message and exit code), print the plan's warnings, run with SIGINT/SIGTERM handling and an
 * optional progress bar, print the errors, and answer the exit code. Messages go to standard
 * error as one `pbx: ...` line each, made safe for the terminal.
 *
 * Signals: SIGINT / SIGTERM stop reading; everything in flight is flushed and written, the
 * outputs' ends (the summary) are written, and the exit code is 130 / 143. A second signal while
 * flushing is left to the default (the process ends).
 */
import {terminalSafe} from '../util/sanitize.js'
import {ExitCode} from './exit-codes.js'
import {type Invocation, type Plan, PlanError, planRun} from './plan.js'
import {TerminalProgress} from './progress.js'
import {type RunResult, run} from './run.js'

export interface CommandRun {
  invocation: Invocation
  /** Show the progress bar (sources of known size only). */
  progress: boolean
  /**
   * Called once the plan is made and its outputs are open, just before the run (e.g. to open a
   * side file). A returned message is an error: nothing is read, and `exitCode` is used.
   */
  beforeRun?(plan: Plan): {message: string; exitCode: number} | undefined
  /** Called after the run, before errors are printed: extra errors and the exit code they need. */
  afterRun?(result: RunResult): {message: string; exitCode: number}[]
}

/**
 * Prints `pbx: message` on standard error. Each line is made terminal-safe; a multi-line message
 * (an expression with a caret under the column) keeps its lines.
 */
export function printError(message: string, max = 1000): void {
  process.stderr.write(`pbx: ${message.split('\n').map((l) => terminalSafe(l, max)).join('\n')}\n`)
}

/** Plans and runs; returns the process exit code (everything has been printed). */
export async function runCommand(c: CommandRun): Promise<number> {
  let plan: Plan
  try {
    plan = await planRun(c.invocation)
  } catch (e) {
    if (e instanceof PlanError) {
      printError(e.message, 2000)
      return e.exitCode
    }
    throw e
  }
  for (const w of plan.warnings) process.stderr.write(`pbx: warning: ${terminalSafe(w, 1000)}\n`)
  // The configuration's notes (interfaces unused when reading files, sections accepted and ignored).
  if (c.invocation.sources === undefined) for (const n of plan.config.notes) process.stderr.write(`pbx: note: ${terminalSafe(n, 1000)}\n`)
  let exitCode: number = plan.unreadable.length > 0 ? ExitCode.UNREADABLE : ExitCode.OK
  const errors = plan.unreadable.map((u) => u.message)
  if (plan.options.sources.length > 0) {
    const before = c.beforeRun?.(plan)
    if (before !== undefined) {
      printError(before.message)
      return before.exitCode
    }
    const abort = new AbortController()
    let signalCode = 0
    const onSignal = (code: number) => () => {
      signalCode = code
      abort.abort()
    }
    const onInt = onSignal(ExitCode.SIGINT)
    const onTerm = onSignal(ExitCode.SIGTERM)
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
    const progress = TerminalProgress.create(plan.options.sources, c.progress) ?? undefined
    let result: RunResult
    try {
      result = await run({...plan.options, progress, signal: abort.signal})
    } finally {
      progress?.stop()
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
    }
    errors.push(...result.errors)
    exitCode = Math.max(exitCode, result.exitCode)
    for (const a of c.afterRun?.(result) ?? []) {
      errors.push(a.message)
      exitCode = Math.max(exitCode, a.exitCode)
    }
    if (result.interrupted && signalCode !== 0) {
      exitCode = signalCode
      const st = result.stats
      errors.push(
        `stopped by ${signalCode === ExitCode.SIGINT ? 'SIGINT' : 'SIGTERM'} after ${st.packets} packets: everything in flight was flushed; ${result.events} events written`,
      )
    }
  }
  for (const e of errors) printError(e)
  return exitCode
}
