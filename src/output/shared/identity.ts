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
import {createHash, hash} from 'node:crypto'
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
    const file = typeof pbx?.file === 'string' ? pbx.file : undefined
    const frames = Array.isArray(pbx?.frames) ? pbx.frames.join('-') : ''
    const flow = ev.flow as {final?: unknown; id?: unknown} | undefined
    const final = flow === undefined ? '' : `${String(flow.id)}:${String(flow.final)}`
    return this.idOf(file, String(ev.type), frames, final)
  }

  /**
   * The same id from its parts (the outputs' fast path, without an event object): `file` is
   * pbx.file (undefined: the run's first input), `frames` pbx.frames joined by `-`, `final`
   * `${flow.id}:${flow.final}` for flow records, else ''.
   */
  idOf(file: string | undefined, type: string, frames: string, final: string): string {
    const f = file ?? this.firstFile
    let cap = this.captures.get(f)
    if (cap === undefined) {
      cap = this.captureId ?? captureIdentity(f)
      this.captures.set(f, cap)
    }
    const key = `${cap}\0${type}\0${frames}\0${final}`
    if (key === this.lastKey) this.ordinal++
    else {
      this.lastKey = key
      this.ordinal = 0
    }
    return sha1(`${key}\0${this.ordinal}`)
  }
}

/** base64url(SHA-1(s)): the one-shot crypto.hash where Node has it (20.12+), else createHash. */
const sha1: (s: string) => string =
  typeof hash === 'function' ? (s) => hash('sha1', s, 'base64url') as string : (s) => createHash('sha1').update(s).digest('base64url')

function captureIdentity(file: string): string {
  if (file === '-') return 'stdin'
  try {
    return `${basename(file)}:${statSync(file).size}`
  } catch {
    return basename(file)
  }
}
