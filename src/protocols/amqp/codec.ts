/**
 * AMQP 0-9-1 wire codec (https://www.rabbitmq.com/resources/specs/amqp0-9-1.pdf, section 4.2 and
 * the XML spec's domains): method argument lists, content header properties and field tables.
 *
 * Every decoder reads a view [off, end) and never reads past `end`: a short or malformed argument
 * list yields a `bad` reason and the arguments decoded so far (never an exception). Tables are
 * bounded (MAX_TABLE_ENTRIES entries per table, MAX_TABLE_DEPTH nesting, MAX_STR characters per
 * string); what is cut is counted in `cut`.
 *
 * Argument names are Packetbeat's `amqp.*` field names (reserved arguments have no name and are
 * read and dropped).
 */

import {FrameCursor} from '../shared/cursor.js'

export const MAX_TABLE_ENTRIES = 64
export const MAX_TABLE_DEPTH = 8
export const MAX_STR = 1024

/** Argument domains: o octet, s short, l long, L longlong, S shortstr, X longstr, b bit, t table, T timestamp. */
type Dom = 'o' | 's' | 'l' | 'L' | 'S' | 'X' | 'b' | 't' | 'T'

/** One method: its dotted name, its arguments ([name or '' for reserved, domain]), its reply. */
export interface MethodSpec {
  readonly name: string
  readonly args: readonly (readonly [string, Dom])[]
  /** Method id of the synchronous reply (the -ok), when this method is a synchronous request. */
  readonly reply?: number
  /** Further method ids that also answer it (basic.get: get-empty). */
  readonly altReply?: number
  /** Followed by a content header and body (publish, deliver, return, get-ok). */
  readonly content?: boolean
  /** Connection set-up / flow control: not reported under hide_connection_information. */
  readonly connInfo?: boolean
}

const CLOSE_ARGS = [
  ['reply-code', 's'],
  ['reply-text', 'S'],
  ['class-id', 's'],
  ['method-id', 's'],
] as const

/** The method table: class id -> method id -> spec (AMQP 0-9-1 plus RabbitMQ's confirm, nack, exchange.bind). */
export const METHODS: ReadonlyMap<number, ReadonlyMap<number, MethodSpec>> = new Map<number, Map<number, MethodSpec>>([
  [
    10,
    new Map<number, MethodSpec>([
      [10, {name: 'connection.start', args: [['version-major', 'o'], ['version-minor', 'o'], ['server-properties', 't'], ['mechanisms', 'X'], ['locales', 'X']], reply: 11, connInfo: true}],
      [11, {name: 'connection.start-ok', args: [['client-properties', 't'], ['mechanism', 'S'], ['', 'X'], ['locale', 'S']], connInfo: true}],
      [20, {name: 'connection.secure', args: [['', 'X']], reply: 21, connInfo: true}],
      [21, {name: 'connection.secure-ok', args: [['', 'X']], connInfo: true}],
      [30, {name: 'connection.tune', args: [['channel-max', 's'], ['frame-max', 'l'], ['heartbeat', 's']], reply: 31, connInfo: true}],
      [31, {name: 'connection.tune-ok', args: [['channel-max', 's'], ['frame-max', 'l'], ['heartbeat', 's']], connInfo: true}],
      [40, {name: 'connection.open', args: [['virtual-host', 'S'], ['', 'S'], ['', 'b']], reply: 41, connInfo: true}],
      [41, {name: 'connection.open-ok', args: [['', 'S']], connInfo: true}],
      [50, {name: 'connection.close', args: CLOSE_ARGS, reply: 51}],
      [51, {name: 'connection.close-ok', args: []}],
      [60, {name: 'connection.blocked', args: [['reason', 'S']], connInfo: true}],
      [61, {name: 'connection.unblocked', args: [], connInfo: true}],
    ]),
  ],
  [
    20,
    new Map<number, MethodSpec>([
      [10, {name: 'channel.open', args: [['', 'S']], reply: 11, connInfo: true}],
      [11, {name: 'channel.open-ok', args: [['', 'X']], connInfo: true}],
      [20, {name: 'channel.flow', args: [['active', 'b']], reply: 21, connInfo: true}],
      [21, {name: 'channel.flow-ok', args: [['active', 'b']], connInfo: true}],
      [40, {name: 'channel.close', args: CLOSE_ARGS, reply: 41}],
      [41, {name: 'channel.close-ok', args: []}],
    ]),
  ],
  [
    40,
    new Map<number, MethodSpec>([
      [10, {name: 'exchange.declare', args: [['', 's'], ['exchange', 'S'], ['exchange-type', 'S'], ['passive', 'b'], ['durable', 'b'], ['auto-delete', 'b'], ['internal', 'b'], ['no-wait', 'b'], ['arguments', 't']], reply: 11}],
      [11, {name: 'exchange.declare-ok', args: []}],
      [20, {name: 'exchange.delete', args: [['', 's'], ['exchange', 'S'], ['if-unused', 'b'], ['no-wait', 'b']], reply: 21}],
      [21, {name: 'exchange.delete-ok', args: []}],
      [30, {name: 'exchange.bind', args: [['', 's'], ['destination', 'S'], ['source', 'S'], ['routing-key', 'S'], ['no-wait', 'b'], ['arguments', 't']], reply: 31}],
      [31, {name: 'exchange.bind-ok', args: []}],
      [40, {name: 'exchange.unbind', args: [['', 's'], ['destination', 'S'], ['source', 'S'], ['routing-key', 'S'], ['no-wait', 'b'], ['arguments', 't']], reply: 51}],
      [51, {name: 'exchange.unbind-ok', args: []}],
    ]),
  ],
  [
    50,
    new Map<number, MethodSpec>([
      [10, {name: 'queue.declare', args: [['', 's'], ['queue', 'S'], ['passive', 'b'], ['durable', 'b'], ['exclusive', 'b'], ['auto-delete', 'b'], ['no-wait', 'b'], ['arguments', 't']], reply: 11}],
      [11, {name: 'queue.declare-ok', args: [['queue', 'S'], ['message-count', 'l'], ['consumer-count', 'l']]}],
      [20, {name: 'queue.bind', args: [['', 's'], ['queue', 'S'], ['exchange', 'S'], ['routing-key', 'S'], ['no-wait', 'b'], ['arguments', 't']], reply: 21}],
      [21, {name: 'queue.bind-ok', args: []}],
      [30, {name: 'queue.purge', args: [['', 's'], ['queue', 'S'], ['no-wait', 'b']], reply: 31}],
      [31, {name: 'queue.purge-ok', args: [['message-count', 'l']]}],
      [40, {name: 'queue.delete', args: [['', 's'], ['queue', 'S'], ['if-unused', 'b'], ['if-empty', 'b'], ['no-wait', 'b']], reply: 41}],
      [41, {name: 'queue.delete-ok', args: [['message-count', 'l']]}],
      [50, {name: 'queue.unbind', args: [['', 's'], ['queue', 'S'], ['exchange', 'S'], ['routing-key', 'S'], ['arguments', 't']], reply: 51}],
      [51, {name: 'queue.unbind-ok', args: []}],
    ]),
  ],
  [
    60,
    new Map<number, MethodSpec>([
      [10, {name: 'basic.qos', args: [['prefetch-size', 'l'], ['prefetch-count', 's'], ['global', 'b']], reply: 11, connInfo: true}],
      [11, {name: 'basic.qos-ok', args: [], connInfo: true}],
      [20, {name: 'basic.consume', args: [['', 's'], ['queue', 'S'], ['consumer-tag', 'S'], ['no-local', 'b'], ['no-ack', 'b'], ['exclusive', 'b'], ['no-wait', 'b'], ['arguments', 't']], reply: 21}],
      [21, {name: 'basic.consume-ok', args: [['consumer-tag', 'S']]}],
      [30, {name: 'basic.cancel', args: [['consumer-tag', 'S'], ['no-wait', 'b']], reply: 31}],
      [31, {name: 'basic.cancel-ok', args: [['consumer-tag', 'S']]}],
      [40, {name: 'basic.publish', args: [['', 's'], ['exchange', 'S'], ['routing-key', 'S'], ['mandatory', 'b'], ['immediate', 'b']], content: true}],
      [50, {name: 'basic.return', args: [['reply-code', 's'], ['reply-text', 'S'], ['exchange', 'S'], ['routing-key', 'S']], content: true}],
      [60, {name: 'basic.deliver', args: [['consumer-tag', 'S'], ['delivery-tag', 'L'], ['redelivered', 'b'], ['exchange', 'S'], ['routing-key', 'S']], content: true}],
      [70, {name: 'basic.get', args: [['', 's'], ['queue', 'S'], ['no-ack', 'b']], reply: 71, altReply: 72}],
      [71, {name: 'basic.get-ok', args: [['delivery-tag', 'L'], ['redelivered', 'b'], ['exchange', 'S'], ['routing-key', 'S'], ['message-count', 'l']], content: true}],
      [72, {name: 'basic.get-empty', args: [['', 'S']]}],
      [80, {name: 'basic.ack', args: [['delivery-tag', 'L'], ['multiple', 'b']]}],
      [90, {name: 'basic.reject', args: [['delivery-tag', 'L'], ['requeue', 'b']]}],
      [100, {name: 'basic.recover-async', args: [['requeue', 'b']]}],
      [110, {name: 'basic.recover', args: [['requeue', 'b']], reply: 111}],
      [111, {name: 'basic.recover-ok', args: []}],
      [120, {name: 'basic.nack', args: [['delivery-tag', 'L'], ['multiple', 'b'], ['requeue', 'b']]}],
    ]),
  ],
  [
    85,
    new Map<number, MethodSpec>([
      [10, {name: 'confirm.select', args: [['no-wait', 'b']], reply: 11}],
      [11, {name: 'confirm.select-ok', args: []}],
    ]),
  ],
  [
    90,
    new Map<number, MethodSpec>([
      [10, {name: 'tx.select', args: [], reply: 11}],
      [11, {name: 'tx.select-ok', args: []}],
      [20, {name: 'tx.commit', args: [], reply: 21}],
      [21, {name: 'tx.commit-ok', args: []}],
      [30, {name: 'tx.rollback', args: [], reply: 31}],
      [31, {name: 'tx.rollback-ok', args: []}],
    ]),
  ],
])

export function methodSpec(classId: number, methodId: number): MethodSpec | undefined {
  return METHODS.get(classId)?.get(methodId)
}

/** Decoded values: what a field of an event may hold. */
export type Value = string | number | boolean | null | Value[] | {[k: string]: Value}

/** A cursor over [off, end) of one frame payload; `bad` is set at the first short read. */
export class Reader extends FrameCursor {
  constructor(buf: Buffer, off: number, end: number) {
    super(buf, off, end, (what) => `${what} runs past the end of the frame`)
  }

  u8(): number {
    return this.read8('octet')
  }

  u16(): number {
    return this.read16('short')
  }

  u32(): number {
    return this.read32('long')
  }

  /** 64-bit unsigned; values above 2^53 lose precision (as a JSON number). */
  u64(): number {
    return this.read64('longlong')
  }

  private str(n: number, what: string): string {
    if (!this.need(n, what)) return ''
    const take = Math.min(n, MAX_STR)
    if (take < n) this.cut++
    const s = this.buf.toString('utf8', this.off, this.off + take)
    this.off += n
    return s
  }

  shortstr(): string {
    const n = this.u8()
    return this.bad === '' ? this.str(n, 'short string') : ''
  }

  longstr(): string {
    const n = this.u32()
    return this.bad === '' ? this.str(n, 'long string') : ''
  }

  /** A field table (4-byte length, then name / type / value entries), rendered as an object. */
  table(depth = 0): {[k: string]: Value} {
    const out: {[k: string]: Value} = {}
    const len = this.u32()
    if (this.bad !== '' || !this.need(len, 'table')) return out
    const stop = this.off + len
    const inner = new Reader(this.buf, this.off, stop)
    let n = 0
    while (inner.off < stop && inner.bad === '') {
      const key = inner.shortstr()
      const v = inner.fieldValue(depth)
      if (inner.bad !== '') break
      if (n < MAX_TABLE_ENTRIES) out[key] = v
      else this.cut++
      n++
    }
    if (inner.bad !== '') this.bad = `table: ${inner.bad}`
    this.cut += inner.cut
    this.off = stop
    return out
  }

  private array(depth: number): Value[] {
    const out: Value[] = []
    const len = this.u32()
    if (this.bad !== '' || !this.need(len, 'array')) return out
    const stop = this.off + len
    const inner = new Reader(this.buf, this.off, stop)
    while (inner.off < stop && inner.bad === '') {
      const v = inner.fieldValue(depth)
      if (inner.bad !== '') break
      if (out.length < MAX_TABLE_ENTRIES) out.push(v)
      else this.cut++
    }
    if (inner.bad !== '') this.bad = `array: ${inner.bad}`
    this.cut += inner.cut
    this.off = stop
    return out
  }

  /**
   * One typed field value. Type letters as RabbitMQ and the 0-9-1 errata read them (t b B s u I i
   * l f d D S A T F V x); an unknown letter stops the table (its length is then unknown).
   */
  fieldValue(depth: number): Value {
    const t = this.u8()
    if (this.bad !== '') return null
    switch (t) {
      case 0x74: // t boolean
        return this.u8() !== 0
      case 0x62: {
        // b signed octet
        const v = this.u8()
        return v > 127 ? v - 256 : v
      }
      case 0x42: // B octet
        return this.u8()
      case 0x73: {
        // s signed short (RabbitMQ)
        const v = this.u16()
        return v > 0x7fff ? v - 0x10000 : v
      }
      case 0x75: // u short
        return this.u16()
      case 0x49: // I signed long
        return this.u32() | 0
      case 0x69: // i long
        return this.u32()
      case 0x6c: {
        // l signed longlong
        if (!this.need(8, 'longlong')) return null
        const v = Number(this.buf.readBigInt64BE(this.off))
        this.off += 8
        return v
      }
      case 0x66: {
        if (!this.need(4, 'float')) return null
        const v = this.buf.readFloatBE(this.off)
        this.off += 4
        return v
      }
      case 0x64: {
        if (!this.need(8, 'double')) return null
        const v = this.buf.readDoubleBE(this.off)
        this.off += 8
        return v
      }
      case 0x44: {
        // D decimal: scale octet, signed long
        const scale = this.u8()
        const v = this.u32() | 0
        return v / 10 ** scale
      }
      case 0x53: // S long string
      case 0x78: // x byte array (rendered as text)
        return this.longstr()
      case 0x41: // A array
        if (depth >= MAX_TABLE_DEPTH) {
          this.cut++
          this.skipSized()
          return null
        }
        return this.array(depth + 1)
      case 0x54: // T timestamp
        return timestamp(this.u64())
      case 0x46: // F nested table
        if (depth >= MAX_TABLE_DEPTH) {
          this.cut++
          this.skipSized()
          return null
        }
        return this.table(depth + 1)
      case 0x56: // V void
        return null
      default:
        this.bad = `unknown field type 0x${t.toString(16)}`
        this.off = this.end
        return null
    }
  }

  private skipSized(): void {
    const len = this.u32()
    if (this.need(len, 'value')) this.off += len
  }
}

/** A POSIX time (seconds) as an ISO 8601 string. */
export function timestamp(sec: number): string {
  const d = new Date(sec * 1000)
  return Number.isNaN(d.getTime()) ? String(sec) : d.toISOString()
}

export interface DecodeOptions {
  parseArguments: boolean
}

/**
 * Decodes the arguments of `spec` from r into `out` (Packetbeat names). Consecutive bits share
 * octets (spec 4.2.5.2). Reserved arguments are read and dropped; `arguments` tables are decoded
 * only with parseArguments (and left out when empty).
 */
export function decodeArgs(spec: MethodSpec, r: Reader, out: Record<string, Value>, o: DecodeOptions): void {
  let bits = 0
  let bit = 8
  for (const [name, dom] of spec.args) {
    if (dom !== 'b') bit = 8
    let v: Value
    switch (dom) {
      case 'o':
        v = r.u8()
        break
      case 's':
        v = r.u16()
        break
      case 'l':
        v = r.u32()
        break
      case 'L':
        v = r.u64()
        break
      case 'S':
        v = r.shortstr()
        break
      case 'X':
        v = r.longstr()
        break
      case 'T':
        v = timestamp(r.u64())
        break
      case 't': {
        if (name === 'arguments' && !o.parseArguments) {
          const len = r.u32()
          r.off = Math.min(r.end, r.off + len)
          continue
        }
        const t = r.table()
        if (name === 'arguments' && Object.keys(t).length === 0) continue
        v = t
        break
      }
      case 'b':
        if (bit === 8) {
          bits = r.u8()
          bit = 0
        }
        v = (bits & (1 << bit)) !== 0
        bit++
        break
    }
    if (r.bad !== '') return
    if (name !== '') out[name] = v
  }
}

/** Content header properties in flag order (bit 15 first), with Packetbeat's names. */
const PROPS: readonly (readonly [string, Dom])[] = [
  ['content-type', 'S'],
  ['content-encoding', 'S'],
  ['headers', 't'],
  ['delivery-mode', 'o'],
  ['priority', 'o'],
  ['correlation-id', 'S'],
  ['reply-to', 'S'],
  ['expiration', 'S'],
  ['message-id', 'S'],
  ['timestamp', 'T'],
  ['type', 'S'],
  ['user-id', 'S'],
  ['app-id', 'S'],
  ['', 'S'], // reserved (cluster-id)
]

export interface ContentHeader {
  classId: number
  bodySize: number
}

/**
 * Decodes a content header payload (class-id, weight, body-size, property flags, properties) into
 * `out`. delivery-mode is rendered as Packetbeat does (1 non-persistent, 2 persistent); headers
 * only with parseHeaders. Returns null when the fixed part is short.
 */
export function decodeHeader(r: Reader, out: Record<string, Value>, parseHeaders: boolean): ContentHeader | null {
  const classId = r.u16()
  r.u16() // weight
  const bodySize = r.u64()
  const flags = r.u16()
  if (r.bad !== '') return null
  // continuation flag words (bit 0): only the first word's properties are defined
  let more = flags & 1
  while (more !== 0 && r.bad === '') more = r.u16() & 1
  for (let i = 0; i < PROPS.length; i++) {
    if ((flags & (0x8000 >> i)) === 0) continue
    const [name, dom] = PROPS[i]
    let v: Value
    if (dom === 'S') v = r.shortstr()
    else if (dom === 'o') v = r.u8()
    else if (dom === 'T') v = timestamp(r.u64())
    else v = r.table()
    if (r.bad !== '') break
    if (name === '' || (name === 'headers' && !parseHeaders)) continue
    if (name === 'delivery-mode') v = v === 1 ? 'non-persistent' : v === 2 ? 'persistent' : String(v)
    out[name] = v
  }
  return {classId, bodySize}
}
