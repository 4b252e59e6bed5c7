/**
 * Deterministic document identity, shared by Elasticsearch (`_id`) and ClickHouse (the
 * ReplacingMergeTree key), so that a run repeated or retried on the same capture overwrites
 * instead of duplicating.
 *
 * Identity of a capture: `basename:size` of the input file (stat at begin(run)); standard input has
 * no name or size and is `stdin` (two different captures read from stdin into one index collide:
 * set the output's `capture_id` option). Identity of an event within its capture:
 *   type, pbx.frames (first and last frame), flow.final for flow records (an interim and a final
 *   record may end at the same frame), and an ordinal among consecutive events with the same key
 *   (two pipelined requests answered in the same segments share both frame numbers; output order
 *   is deterministic, so the ordinal is too).
 * _id = base64url(SHA-1(capture NUL type NUL first-last NUL final NUL ordinal)), 27 characters.
 */
import {createHash} from 'node:crypto'
import {statSync} from 'node:fs'
import {basename} from 'node:path'
import type {RunInfo} from '../types.js'

export class DocIdentity {
  private readonly captures = new Map<string, string>()
  private lastKey = ''
  private ordinal = 0
  private firstFile = '-'

  /** `captureId` (the capture_id option) replaces the file-derived identity of every input. */
  constructor(private readonly captureId?: string) {}

  begin(run: RunInfo): void {
    this.firstFile = run.files[0] ?? '-'
    for (const f of run.files) this.captures.set(f, this.captureId ?? captureIdentity(f))
  }

  /** The event's id (see the module comment). Call once per event, in output order. */
  id(ev: Record<string, unknown>): string {
    const pbx = ev.pbx as {frames?: unknown; file?: unknown} | undefined
    const file = typeof pbx?.file === 'string' ? pbx.file : this.firstFile
    let cap = this.captures.get(file)
    if (cap === undefined) {
      cap = this.captureId ?? captureIdentity(file)
      this.captures.set(file, cap)
    }
    const frames = Array.isArray(pbx?.frames) ? pbx.frames.join('-') : ''
    const flow = ev.flow as {final?: unknown; id?: unknown} | undefined
    const final = flow === undefined ? '' : `${String(flow.id)}:${String(flow.final)}`
    const key = `${cap}\0${String(ev.type)}\0${frames}\0${final}`
    if (key === this.lastKey) this.ordinal++
    else {
      this.lastKey = key
      this.ordinal = 0
    }
    return createHash('sha1').update(`${key}\0${this.ordinal}`).digest('base64url')
  }
}

function captureIdentity(file: string): string {
  if (file === '-') return 'stdin'
  try {
    return `${basename(file)}:${statSync(file).size}`
  } catch {
    return basename(file)
  }
}
