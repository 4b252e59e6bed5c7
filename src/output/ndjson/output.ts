/**
 * NDJSON output: one line per event into a buffered writer. Written in-house: the `ndjson` package
 * pushes objects through a Transform stream and measured 4.7x slower here (README, `npm run bench`).
 * Key order is the insertion order of src/event/build.ts, so output is byte-identical across runs.
 *
 * Two entries, same bytes: write(ev) stringifies a built event (after processors, which may have
 * changed it); writeTransaction(t, o) is the pipeline's fast path when nothing sits between the
 * protocols and the output: serializeEvent() writes the transaction's event as UTF-8 JSON straight
 * into the writer's buffer, without building the event object or any intermediate string (exactly
 * JSON.stringify(buildEvent(t, o)); see src/event/build.ts and test/output/ndjson.test.ts).
 */
import {type BuildOptions, type JsonOut, type PbxEvent, serializeEvent} from '../../event/build.js'
import type {TsPrecision} from '../../capture/types.js'
import type {Transaction} from '../../event/types.js'
import {RFC3339_MAX_BYTES, rfc3339, rfc3339Into} from '../../util/time.js'
import type {Output, RunInfo} from '../types.js'
import type {ByteSink} from '../shared/bytes.js'
import type {TextWriter} from '../writer.js'

/** NDJSON output; implements Output.writeTransaction, the pipeline's fast path without processors. */
export class NdjsonOutput implements Output {
  private readonly json: JsonBytes
  /** Bytes of the longest line written so far (an upper bound for lines from write()). */
  longestLine = 0

  constructor(
    private readonly w: TextWriter,
    private readonly closeStream: boolean,
  ) {
    this.json = new JsonBytes(w)
  }

  begin(_run: RunInfo): void {}

  write(ev: PbxEvent): void {
    const line = `${JSON.stringify(ev)}\n`
    if (line.length * 3 > this.longestLine) this.longestLine = Math.max(this.longestLine, Buffer.byteLength(line))
    this.w.write(line)
  }

  /** Output.writeJson: the event's JSON text as UTF-8 (a worker serialised it), plus a newline. */
  writeJson(json: Uint8Array): void {
    const w = this.w
    if (!w.startRecord()) return
    const n = json.length
    w.room(n + 1)
    w.arena.set(json, w.pos)
    w.pos += n
    w.arena[w.pos++] = 0x0a
    if (w.recordBytes > this.longestLine) this.longestLine = w.recordBytes
    w.finishRecord()
  }

  writeTransaction(t: Transaction, o: BuildOptions): void {
    const w = this.w
    if (!w.startRecord()) return
    try {
      serializeEvent(t, o, this.json)
    } catch (e) {
      // As JSON.stringify would have thrown before anything was written: leave no half line.
      w.abortRecord()
      throw e
    }
    w.room(1)
    w.arena[w.pos++] = 0x0a
    if (w.recordBytes > this.longestLine) this.longestLine = w.recordBytes
    w.finishRecord()
  }

  get blocked(): boolean {
    return this.w.blocked
  }

  get closed(): boolean {
    return this.w.closed
  }

  drain(): Promise<void> {
    return this.w.drain()
  }

  flush(): void {
    this.w.flush()
  }

  end(_run: RunInfo): Promise<void> {
    return this.w.end(this.closeStream)
  }
}

/**
 * Object.prototype.hasOwnProperty, called as hasOwn.call(o, k): the same answer as Object.hasOwn(o, k), but
 * V8 (Node 20) turns it into a map check inside for-in, where Object.hasOwn costs a runtime call (4x the
 * loop's time in a micro-benchmark).
 */
const hasOwn = Object.prototype.hasOwnProperty

/** Byte pieces up to this length are copied by a loop, longer ones by TypedArray.set (which costs about as much as a 10-byte loop, whatever the length). */
const RAW_LOOP_MAX = 16
/** Strings longer than this are checked by a regular expression and encoded natively. */
const LONG_STRING = 48
/** Characters JSON.stringify escapes (quote, backslash, controls) or that need UTF-8 encoding. */
const NOT_PLAIN_ASCII = /[^\u0020-\u0021\u0023-\u005b\u005d-\u007e]/
/** Nesting beyond which values are left to JSON.stringify (which also reports cycles). */
const MAX_DEPTH = 64

/**
 * JSON.stringify semantics, written as UTF-8 into a ByteSink (a TextWriter record, see its record
 * API, or a ByteArena). Plain data (plain objects, arrays, strings, numbers, booleans, null) is written here;
 * anything else (toJSON, Date, Buffer, Map, boxed values, class instances, BigInt) goes through
 * JSON.stringify itself, so the bytes are the same in every case.
 */
export class JsonBytes implements JsonOut {
  constructor(private readonly w: ByteSink) {}

  raw(b: Uint8Array): void {
    const w = this.w
    const n = b.length
    w.room(n)
    if (n > RAW_LOOP_MAX) {
      w.arena.set(b, w.pos)
      w.pos += n
      return
    }
    // Short pieces (keys, commas, precomputed prefixes) by a loop: TypedArray.set costs more per
    // call than it saves on a few bytes.
    const a = w.arena
    let p = w.pos
    for (let i = 0; i < n; i++) a[p++] = b[i]
    w.pos = p
  }

  text(s: string): void {
    const w = this.w
    w.room(s.length * 3)
    w.pos += w.arena.write(s, w.pos)
  }

  str(s: string): void {
    const n = s.length
    const w = this.w
    if (n > LONG_STRING) {
      if (NOT_PLAIN_ASCII.test(s)) {
        this.text(JSON.stringify(s))
        return
      }
      w.room(n + 2)
      const a = w.arena
      a[w.pos] = 0x22
      w.pos += a.write(s, w.pos + 1, 'latin1') + 2
      a[w.pos - 1] = 0x22
      return
    }
    w.room(n + 2)
    const a = w.arena
    let p = w.pos
    a[p++] = 0x22
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      // Printable ASCII other than '"' and '\': as is. Anything else: JSON.stringify's escaping.
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.text(JSON.stringify(s))
        return
      }
      a[p++] = c
    }
    a[p++] = 0x22
    w.pos = p
  }

  num(n: number): void {
    const w = this.w
    if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
      // Non-negative integers (counts, ports, frames): digits written directly.
      w.room(10)
      const a = w.arena
      let len = 1
      for (let x = n; x >= 10; x = (x / 10) | 0) len++
      let p = w.pos + len
      w.pos = p
      let x = n
      do {
        a[--p] = 0x30 + (x % 10)
        x = (x / 10) | 0
      } while (x > 0)
      return
    }
    // String(n) is what JSON prints for finite numbers (-0 prints as "0" either way).
    this.text(Number.isFinite(n) ? String(n) : 'null')
  }

  time(sec: number, nsec: number, precision: TsPrecision): void {
    const w = this.w
    w.room(RFC3339_MAX_BYTES)
    const end = rfc3339Into(w.arena, w.pos, sec, nsec, precision)
    // The unusual times rfc3339Into leaves alone print as digits, letters and punctuation only.
    if (end < 0) this.text(rfc3339(sec, nsec, precision))
    else w.pos = end
  }

  member(key: string, v: unknown): void {
    this.member1(key, v, 0, true)
  }

  /** `,"key":value` (without the comma when !comma); false when JSON leaves the member out. */
  private member1(key: string, v: unknown, depth: number, comma: boolean): boolean {
    switch (typeof v) {
      case 'string':
        this.key(key, comma)
        this.str(v)
        return true
      case 'number':
        this.key(key, comma)
        this.num(v)
        return true
      case 'boolean':
        this.key(key, comma)
        this.lit(v ? TRUE : FALSE)
        return true
      case 'object': {
        if (v === null) {
          this.key(key, comma)
          this.lit(NULL)
          return true
        }
        const kind = plainKind(v)
        if (kind === NOT_PLAIN) {
          // toJSON and friends: JSON.stringify decides, and may leave the member out.
          const j = viaJson(key, v)
          if (j === undefined) return false
          this.key(key, comma)
          this.text(j)
          return true
        }
        this.key(key, comma)
        if (depth >= MAX_DEPTH) this.text(JSON.stringify(v))
        else if (kind === PLAIN_ARRAY) this.array(v as unknown[], depth)
        else this.object(v as Record<string, unknown>, depth)
        return true
      }
      case 'undefined':
      case 'function':
      case 'symbol':
        return false
      default:
        // bigint: JSON.stringify throws, as it would have for the whole event.
        this.key(key, comma)
        this.text(JSON.stringify(v))
        return true
    }
  }

  /** A literal of at most 5 bytes (true, false, null). */
  private lit(b: Uint8Array): void {
    const w = this.w
    w.room(5)
    const a = w.arena
    let p = w.pos
    for (let i = 0; i < b.length; i++) a[p++] = b[i]
    w.pos = p
  }

  private byte(b: number): void {
    const w = this.w
    w.room(1)
    w.arena[w.pos++] = b
  }

  /** `,"key":` (the comma only when asked). */
  private key(k: string, comma: boolean): void {
    const n = k.length
    const w = this.w
    w.room(n + 4)
    const a = w.arena
    let p = w.pos
    if (comma) a[p++] = 0x2c
    a[p++] = 0x22
    for (let i = 0; i < n; i++) {
      const c = k.charCodeAt(i)
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        if (comma) this.byte(0x2c)
        this.text(JSON.stringify(k))
        this.byte(0x3a)
        return
      }
      a[p++] = c
    }
    a[p++] = 0x22
    a[p++] = 0x3a
    w.pos = p
  }

  /** JSON.stringify(v) for a value JSON prints (not undefined, a function or a symbol). */
  value(v: unknown, depth = 0): void {
    switch (typeof v) {
      case 'string':
        this.str(v)
        return
      case 'number':
        this.num(v)
        return
      case 'boolean':
        this.lit(v ? TRUE : FALSE)
        return
      case 'object': {
        if (v === null) {
          this.lit(NULL)
          return
        }
        const kind = depth >= MAX_DEPTH ? NOT_PLAIN : plainKind(v)
        if (kind === NOT_PLAIN) this.text(JSON.stringify(v))
        else if (kind === PLAIN_ARRAY) this.array(v as unknown[], depth)
        else this.object(v as Record<string, unknown>, depth)
        return
      }
      default:
        // bigint: JSON.stringify throws, as it would have for the whole event.
        this.text(JSON.stringify(v))
    }
  }

  /** A plain array (plainKind) at nesting `depth`. */
  private array(v: unknown[], depth: number): void {
    this.byte(0x5b)
    for (let i = 0; i < v.length; i++) {
      if (i > 0) this.byte(0x2c)
      const x: unknown = v[i]
      const tx = typeof x
      // Array elements JSON cannot print become null; toJSON'd ones are decided by JSON.
      if (tx === 'undefined' || tx === 'function' || tx === 'symbol') this.lit(NULL)
      else if (tx === 'object' && x !== null && plainKind(x as object) === NOT_PLAIN) this.text(viaJson(String(i), x) ?? 'null')
      else this.value(x, depth + 1)
    }
    this.byte(0x5d)
  }

  /** A plain object (plainKind) at nesting `depth`. */
  private object(o: Record<string, unknown>, depth: number): void {
    this.byte(0x7b)
    let comma = false
    // for-in (no key array) lists the same keys as Object.keys here: plainKind admitted only
    // objects whose prototype is Object.prototype or null, and hasOwn keeps out anything
    // enumerable someone added to Object.prototype.
    for (const k in o) if (hasOwn.call(o, k) && this.member1(k, o[k], depth + 1, comma)) comma = true
    this.byte(0x7d)
  }
}

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
const NULL = Buffer.from('null')

/** plainKind: what JsonBytes writes itself (plain objects and arrays without toJSON), or not. */
const NOT_PLAIN = 0
const PLAIN_OBJECT = 1
const PLAIN_ARRAY = 2

/**
 * The JSON text of holder[key] = v as JSON.stringify writes it (toJSON is called with the key, as
 * for a member), or undefined when JSON leaves the member out.
 */
function viaJson(key: string, v: unknown): string | undefined {
  const j = JSON.stringify({[key]: v})
  return j.length === 2 ? undefined : j.slice(JSON.stringify(key).length + 2, -1)
}

/** Plain data that JsonBytes writes itself: plain objects and arrays, without toJSON. */
function plainKind(v: object): number {
  const proto = Object.getPrototypeOf(v)
  if (proto === Object.prototype || proto === null) return typeof (v as {toJSON?: unknown}).toJSON === 'function' ? NOT_PLAIN : PLAIN_OBJECT
  return proto === Array.prototype && Array.isArray(v) && typeof (v as {toJSON?: unknown}).toJSON !== 'function' ? PLAIN_ARRAY : NOT_PLAIN
}
