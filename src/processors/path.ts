/**
 * Dotted-path access to nested plain-object events (`http.response.status_code` reads
 * ev.http.response.status_code). Paths are split once and cached, so per-event work is a walk over
 * the parts, never a string split. Arrays are leaves: a path never indexes into an array.
 */
import type {PbxEvent} from '../event/build.js'
import {getParts, ObjectView, splitPath} from '../event/view.js'
import type {EventAccessor} from './types.js'

// Path splitting and reading are the event stage's (src/event/view.ts): one cache, one walk.
export {splitPath}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The value at `path`, or undefined. */
export function getPath(ev: Record<string, unknown>, path: string): unknown {
  return getParts(ev, splitPath(path))
}

/** Whether `path` is present (a value that is not undefined). */
export function hasPath(ev: Record<string, unknown>, path: string): boolean {
  return getPath(ev, path) !== undefined
}

/**
 * Sets `path` to `value`, creating intermediate objects; a non-object in the way is replaced by an
 * object (Beats' MapStr.Put does the same). Returns the previous value (undefined when absent).
 */
export function putPath(ev: Record<string, unknown>, path: string, value: unknown): unknown {
  const parts = splitPath(path)
  let cur = ev
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i]
    const next = Object.hasOwn(cur, k) ? cur[k] : undefined
    if (isObj(next)) cur = next
    else {
      const o: Record<string, unknown> = {}
      cur[k] = o
      cur = o
    }
  }
  const last = parts[parts.length - 1]
  const old = Object.hasOwn(cur, last) ? cur[last] : undefined
  cur[last] = value
  return old
}

/**
 * Removes `path`; returns whether it was present. Objects left empty by the removal are removed
 * too, so that dropping `http.request.headers.cookie` from a one-header map leaves no `{}`.
 */
export function deletePath(ev: Record<string, unknown>, path: string): boolean {
  const parts = splitPath(path)
  const chain: Record<string, unknown>[] = [ev]
  let cur = ev
  for (let i = 0; i < parts.length - 1; i++) {
    const next = Object.hasOwn(cur, parts[i]) ? cur[parts[i]] : undefined
    if (!isObj(next)) return false
    chain.push(next)
    cur = next
  }
  const last = parts[parts.length - 1]
  if (!Object.hasOwn(cur, last)) return false
  delete cur[last]
  for (let i = chain.length - 1; i > 0; i--) {
    if (Object.keys(chain[i]).length > 0) break
    delete chain[i - 1][parts[i - 1]]
  }
  return true
}

/** A deep copy of JSON-like data (objects, arrays, scalars). */
export function cloneValue<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneValue) as T
  if (isObj(v)) {
    const o: Record<string, unknown> = {}
    for (const k of Object.keys(v)) o[k] = cloneValue(v[k])
    return o as T
  }
  return v
}

/**
 * An EventAccessor over an event object. One instance is reused per call site (`at(ev)` rebinds it),
 * so that evaluating a condition on a built event allocates nothing.
 */
export class ObjectAccessor extends ObjectView {
  at(ev: PbxEvent): this {
    return this.reset(ev)
  }
}

/** A fresh accessor over `ev` (tests, one-off evaluation). */
export function accessorOf(ev: PbxEvent): EventAccessor {
  return new ObjectAccessor().at(ev)
}
