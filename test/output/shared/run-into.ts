/** Test helper: runs the analyze pipeline in-process into one output, and an OutputContext for tests. */
import {commonFields} from '../../../src/event/fields.js'
import {fields as flowFields} from '../../../src/flows/fields.js'
import {createFlowObserver} from '../../../src/flows/index.js'
import {makeLimits} from '../../../src/limits.js'
import type {Output, OutputContext} from '../../../src/output/types.js'
import {fileSources} from '../../../src/capture/source.js'
import {type RunResult, run} from '../../../src/run/run.js'
import {protocols} from '../../../src/protocols/registry.js'

export function testContext(warnings: string[] = []): OutputContext {
  return {
    fields: [...commonFields, ...protocols.flatMap((p) => p.fields), ...flowFields],
    protocols: protocols.map((p) => p.name),
    limits: makeLimits(),
    warn: (m) => warnings.push(m),
  }
}

export function runInto(files: string[], output: Output, opts: {flows?: boolean} = {}): Promise<RunResult> {
  return run({
    sources: fileSources(files),
    protocols: [...protocols],
    limits: makeLimits(),
    outputs: [output],
    observer: opts.flows ? createFlowObserver({periodSec: 0}) : undefined,
  })
}
