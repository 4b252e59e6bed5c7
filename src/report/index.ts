/**
 * `pbx report` as a library function: the same run as `pbx analyze` (planRun + run, so flags and
 * config mean the same), with flow records on (for top talkers and RST counts) and one in-memory
 * ReportOutput instead of the requested outputs; then the page is rendered.
 *
 * planRun always creates the outputs it is asked for (the summary by default); the report asks for
 * the summary on standard error and never calls it, so nothing is written there.
 */
import type {Invocation} from '../run/plan.js'
import {planRun} from '../run/plan.js'
import {type RunResult, run} from '../run/run.js'
import {ReportOutput} from './aggregate.js'
import {renderReport} from './html.js'

export {ReportOutput} from './aggregate.js'
export {renderReport} from './html.js'
export {esc} from './svg.js'

export interface ReportRequest extends Pick<Invocation, 'files' | 'configFile' | 'protocols' | 'limits'> {
  /** Rows per table (default 20). */
  top?: number
  title?: string
  signal?: AbortSignal
}

export interface ReportResult {
  html: string
  result: RunResult | null
  /** Messages of inputs that could not be read at all. */
  unreadable: string[]
  warnings: string[]
}

export async function buildReport(req: ReportRequest): Promise<ReportResult> {
  const top = req.top ?? 20
  const plan = await planRun({
    files: req.files,
    configFile: req.configFile,
    protocols: req.protocols,
    limits: req.limits,
    flows: true,
    outputs: [{type: 'summary', options: {stderr: true}}],
  })
  const agg = new ReportOutput(plan.limits, Math.max(top, 20))
  let result: RunResult | null = null
  if (plan.options.sources.length > 0) {
    result = await run({...plan.options, outputs: [agg], signal: req.signal})
  }
  const unreadable = plan.unreadable.map((u) => u.message)
  const data = agg.snapshot(top)
  if (result === null) {
    data.files = [...req.files]
    data.errors = unreadable
  } else {
    data.errors = [...unreadable, ...result.errors]
  }
  return {html: renderReport(data, {top, title: req.title}), result, unreadable, warnings: plan.warnings}
}
