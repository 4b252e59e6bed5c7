/**
 * RE2 compilation through re2js, the one regular-expression engine pbx runs on packet data (linear
 * time, no backtracking). re2js (~260 KB of code) is loaded on the first compile, not when this
 * module is imported, so a run that compiles no pattern (no SIP traffic, no `regexp` condition)
 * pays nothing for it.
 */
import {createRequire} from 'node:module'
import type {RE2JS} from 're2js'

let lib: typeof RE2JS | undefined

/** RE2JS.compile(pattern): the compiled pattern, or re2js's error for an invalid one. */
export function compileRe2js(pattern: string): RE2JS {
  lib ??= (createRequire(import.meta.url)('re2js') as {RE2JS: typeof RE2JS}).RE2JS
  return lib.compile(pattern)
}
