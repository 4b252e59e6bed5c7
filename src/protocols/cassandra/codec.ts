/**
 * CQL message bodies (native_protocol_v3/v4/v5.spec sections 3 and 4) -> the objects of
 * Packetbeat's cassandra.* fields. A Reader reads the spec's notations ([short], [int], [string],
 * [long string], [string list], [string multimap], [bytes], [short bytes], [inet], [uuid],
 * [option]) with bounds checks: a read past the end sets `bad` and returns a neutral value, so a
 * decoder returns what it read before the fault and the caller notes it. Nothing here throws.
 */
import {utf8Escaped} from '../shared/text.js'
import {FrameCursor} from '../shared/cursor.js'

export const OP = {
  ERROR: 0x00,
  STARTUP: 0x01,
  READY: 0x02,
  AUTHENTICATE: 0x03,
  OPTIONS: 0x05,
  SUPPORTED: 0x06,
  QUERY: 0x07,
  RESULT: 0x08,
  PREPARE: 0x09,
  EXECUTE: 0x0a,
  REGISTER: 0x0b,
  EVENT: 0x0c,
  BATCH: 0x0d,
  AUTH_CHALLENGE: 0x0e,
  AUTH_RESPONSE: 0x0f,
  AUTH_SUCCESS: 0x10,
} as const

const OP_NAMES: string[] = []
for (const [k, v] of Object.entries(OP)) OP_NAMES[v] = k

/** Packetbeat's opcode names; UNKNOWN_OP_<n> for others. */
export function opName(op: number): string {
  return OP_NAMES[op] ?? `UNKNOWN_OP_${op}`
}

/** The opcode named `s` (case-insensitive), or -1. */
export function opByName(s: string): number {
  const v = (OP as Record<string, number>)[s.trim().toUpperCase()]
  return v === undefined ? -1 : v
}

/** Opcodes a client sends. */
export const REQUEST_OPS: ReadonlySet<number> = new Set([OP.STARTUP, OP.OPTIONS, OP.QUERY, OP.PREPARE, OP.EXECUTE, OP.REGISTER, OP.BATCH, OP.AUTH_RESPONSE])
/** Opcodes a server sends. */
export const RESPONSE_OPS: ReadonlySet<number> = new Set([OP.ERROR, OP.READY, OP.AUTHENTICATE, OP.SUPPORTED, OP.RESULT, OP.EVENT, OP.AUTH_CHALLENGE, OP.AUTH_SUCCESS])

export const FLAG_COMPRESSION = 0x01
export const FLAG_TRACING = 0x02
export const FLAG_CUSTOM_PAYLOAD = 0x04
export const FLAG_WARNING = 0x08
export const FLAG_BETA = 0x10

const HEAD_FLAGS: [number, string][] = [
  [FLAG_COMPRESSION, 'Compress'],
  [FLAG_TRACING, 'Tracing'],
  [FLAG_CUSTOM_PAYLOAD, 'CustomPayload'],
  [FLAG_WARNING, 'Warning'],
  [FLAG_BETA, 'UseBeta'],
]

/** Packetbeat's header flag names ("Default" for none); several set flags are joined with "|". */
export function headFlags(f: number): string {
  if (f === 0) return 'Default'
  const out: string[] = []
  for (const [bit, name] of HEAD_FLAGS) if (f & bit) out.push(name)
  const rest = f & ~0x1f
  if (rest !== 0) out.push(`UnknownFlag_${rest}`)
  return out.join('|')
}

const ROW_FLAGS: [number, string][] = [
  [0x01, 'GlobalTableSpec'],
  [0x02, 'HasMorePages'],
  [0x04, 'NoMetaData'],
  [0x08, 'MetadataChanged'],
]

function rowFlags(f: number): string {
  if (f === 0) return 'Default'
  const out: string[] = []
  for (const [bit, name] of ROW_FLAGS) if (f & bit) out.push(name)
  const rest = f & ~0x0f
  if (rest !== 0) out.push(`FLAG_${rest}`)
  return out.join('|')
}

const CONSISTENCY = ['ANY', 'ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'SERIAL', 'LOCAL_SERIAL', 'LOCAL_ONE']
const consistency = (c: number) => CONSISTENCY[c] ?? `UNKNOWN_CONS_0x${c.toString(16)}`

/** Packetbeat's error type names (native_protocol_v5.spec 9). */
const ERR_TYPES = new Map<number, string>([
  [0x0000, 'errServer'],
  [0x000a, 'errProtocol'],
  [0x0100, 'errCredentials'],
  [0x1000, 'errUnavailable'],
  [0x1001, 'errOverloaded'],
  [0x1002, 'errBootstrapping'],
  [0x1003, 'errTruncate'],
  [0x1100, 'errWriteTimeout'],
  [0x1200, 'errReadTimeout'],
  [0x1300, 'errReadFailure'],
  [0x1400, 'errFunctionFailure'],
  [0x1500, 'errWriteFailure'],
  [0x1600, 'errCDCWriteFailure'],
  [0x1700, 'errCASWriteUnknown'],
  [0x2000, 'errSyntax'],
  [0x2100, 'errUnauthorized'],
  [0x2200, 'errInvalid'],
  [0x2300, 'errConfig'],
  [0x2400, 'errAlreadyExists'],
  [0x2500, 'errUnprepared'],
])

/** Most list / map entries rendered; the rest are skipped (and counted in `cut`). */
export const MAX_LISTED = 100
/** Deepest [option] nesting (list<map<...>>) followed. */
const MAX_TYPE_DEPTH = 16

const HEX = '0123456789abcdef'
function hex(buf: Buffer, s: number, e: number): string {
  let out = ''
  for (let i = s; i < e; i++) out += HEX[buf[i] >> 4] + HEX[buf[i] & 15]
  return out
}

export class Reader extends FrameCursor {
  constructor(buf: Buffer, off: number, end: number) {
    super(buf, off, end, (what) => `truncated ${what}`)
  }

  byte(): number {
    return this.read8('byte')
  }

  short(): number {
    return this.read16('short')
  }

  int(): number {
    return this.readI32('int')
  }

  private text(n: number, what: string): string {
    if (!this.need(n, what)) return ''
    const s = utf8Escaped(this.buf, this.off, this.off + n)
    this.off += n
    return s
  }

  string(): string {
    return this.text(this.short(), 'string')
  }

  longString(): string {
    return this.text(this.int(), 'long string')
  }

  stringList(): string[] {
    const n = this.short()
    const out: string[] = []
    for (let i = 0; i < n && this.bad === ''; i++) {
      const s = this.string()
      if (out.length < MAX_LISTED) out.push(s)
      else this.cut++
    }
    return out
  }

  stringMap(): Record<string, string> {
    const n = this.short()
    const out: Record<string, string> = {}
    for (let i = 0; i < n && this.bad === ''; i++) {
      const k = this.string()
      const v = this.string()
      if (i < MAX_LISTED) out[k] = v
      else this.cut++
    }
    return out
  }

  stringMultimap(): Record<string, string[]> {
    const n = this.short()
    const out: Record<string, string[]> = {}
    for (let i = 0; i < n && this.bad === ''; i++) {
      const k = this.string()
      const v = this.stringList()
      if (i < MAX_LISTED) out[k] = v
      else this.cut++
    }
    return out
  }

  /** [bytes] as hex (null for a negative length). */
  bytesHex(): string | null {
    const n = this.int()
    if (n < 0) return null
    if (!this.need(n, 'bytes')) return ''
    const s = hex(this.buf, this.off, this.off + n)
    this.off += n
    return s
  }

  skipBytes(): void {
    const n = this.int()
    if (n > 0) this.skip(n, 'bytes')
  }

  shortBytesHex(): string {
    const n = this.short()
    if (!this.need(n, 'short bytes')) return ''
    const s = hex(this.buf, this.off, this.off + n)
    this.off += n
    return s
  }

  uuid(): string {
    if (!this.need(16, 'uuid')) return ''
    const h = hex(this.buf, this.off, this.off + 16)
    this.off += 16
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }

  /** [inet]: address bytes (4 or 16) and an [int] port. */
  inet(): {host: string; port: number} {
    const n = this.byte()
    if (n !== 4 && n !== 16) {
      if (this.bad === '') this.bad = `bad inet address length ${n}`
      return {host: '', port: 0}
    }
    if (!this.need(n, 'inet address')) return {host: '', port: 0}
    let host: string
    if (n === 4) host = `${this.buf[this.off]}.${this.buf[this.off + 1]}.${this.buf[this.off + 2]}.${this.buf[this.off + 3]}`
    else {
      const g: string[] = []
      for (let i = 0; i < 16; i += 2) g.push(this.buf.readUInt16BE(this.off + i).toString(16))
      host = g.join(':')
    }
    this.off += n
    return {host, port: this.int()}
  }

  /** Skips one [option] (a column type), following collection / UDT / tuple nesting. */
  skipOption(depth = 0): void {
    if (depth > MAX_TYPE_DEPTH) {
      if (this.bad === '') this.bad = 'column type nested too deeply'
      return
    }
    const id = this.short()
    switch (id) {
      case 0x0000:
        this.skip(this.short(), 'custom type name')
        return
      case 0x0020:
      case 0x0022:
        this.skipOption(depth + 1)
        return
      case 0x0021:
        this.skipOption(depth + 1)
        this.skipOption(depth + 1)
        return
      case 0x0030: {
        this.skip(this.short(), 'udt keyspace')
        this.skip(this.short(), 'udt name')
        const n = this.short()
        for (let i = 0; i < n && this.bad === ''; i++) {
          this.skip(this.short(), 'udt field name')
          this.skipOption(depth + 1)
        }
        return
      }
      case 0x0031: {
        const n = this.short()
        for (let i = 0; i < n && this.bad === ''; i++) this.skipOption(depth + 1)
        return
      }
      default:
        return
    }
  }
}

export type Obj = Record<string, unknown>

/**
 * Rows / prepared metadata (spec 4.2.5.2, 4.2.5.4). `prepared`: the PREPARE variables metadata
 * (v4+: primary-key indexes after the column count). Column specs are walked so what follows can
 * be read; Packetbeat's meta fields are returned.
 */
function metadata(r: Reader, version: number, prepared: boolean): Obj {
  const meta: Obj = {}
  const flags = r.int()
  const cols = r.int()
  meta.flags = rowFlags(flags)
  meta.col_count = cols
  if (prepared && version >= 4) {
    const pk = r.int()
    const idx: number[] = []
    for (let i = 0; i < pk && r.bad === ''; i++) {
      const v = r.short()
      if (idx.length < MAX_LISTED) idx.push(v)
    }
    meta.pkey_columns = idx
  }
  if (!prepared && flags & 0x02) meta.paging_state = r.bytesHex() ?? ''
  if (!prepared && version >= 5 && flags & 0x08) r.shortBytesHex() // new_metadata_id
  if (!prepared && flags & 0x04) return meta
  const global = (flags & 0x01) !== 0
  if (global) {
    meta.keyspace = r.string()
    meta.table = r.string()
  }
  if (cols < 0 || cols > r.left) {
    if (r.bad === '') r.bad = `column count ${cols} exceeds the body`
    return meta
  }
  for (let i = 0; i < cols && r.bad === ''; i++) {
    if (!global) {
      const ks = r.string()
      const table = r.string()
      if (i === 0) {
        meta.keyspace = ks
        meta.table = table
      }
    }
    r.skip(r.short(), 'column name')
    r.skipOption()
  }
  return meta
}

/** Schema change (RESULT kind 5, EVENT SCHEMA_CHANGE), v3+ layout; v1/v2: keyspace and table. */
function schemaChange(r: Reader, version: number): Obj {
  const out: Obj = {change: r.string()}
  if (version <= 2) {
    out.keyspace = r.string()
    const t = r.string()
    if (t !== '') out.table = t
    return out
  }
  const target = r.string()
  out.target = target
  switch (target) {
    case 'KEYSPACE':
      out.keyspace = r.string()
      break
    case 'TABLE':
    case 'TYPE':
      out.keyspace = r.string()
      out.object = r.string()
      if (target === 'TABLE') out.table = out.object
      break
    case 'FUNCTION':
    case 'AGGREGATE':
      out.keyspace = r.string()
      out.name = r.string()
      out.args = r.stringList()
      break
  }
  return out
}

/** RESULT body -> cassandra.response.result.* and the keyspace / prepared id the matcher keeps. */
export function decodeResult(r: Reader, version: number): Obj {
  const kind = r.int()
  const out: Obj = {}
  switch (kind) {
    case 1:
      out.type = 'void'
      break
    case 2: {
      out.type = 'rows'
      const meta = metadata(r, version, false)
      const rows: Obj = {meta}
      if (r.bad === '') rows.num_rows = r.int()
      out.rows = rows
      break
    }
    case 3:
      out.type = 'setKeyspace'
      out.keyspace = r.string()
      break
    case 4: {
      out.type = 'prepared'
      const p: Obj = {prepared_id: r.shortBytesHex()}
      if (version >= 5) r.shortBytesHex() // result_metadata_id
      p.req_meta = metadata(r, version, true)
      if (version >= 2 && r.bad === '') p.resp_meta = metadata(r, version, false)
      out.prepared = p
      break
    }
    case 5:
      out.type = 'schemaChanged'
      out.schema_change = schemaChange(r, version)
      break
    default:
      out.type = `unknown_${kind}`
  }
  return out
}

/** ERROR body -> cassandra.response.error.* (spec 9). */
export function decodeError(r: Reader, version: number): Obj {
  const code = r.int()
  const out: Obj = {code, msg: r.string(), type: ERR_TYPES.get(code) ?? 'ErrUnknown'}
  const d: Obj = {}
  switch (code) {
    case 0x1000:
      d.read_consistency = consistency(r.short())
      d.required = r.int()
      d.alive = r.int()
      break
    case 0x1100:
      d.read_consistency = consistency(r.short())
      d.received = r.int()
      d.blockfor = r.int()
      d.write_type = r.string()
      break
    case 0x1200:
      d.read_consistency = consistency(r.short())
      d.received = r.int()
      d.blockfor = r.int()
      d.data_present = r.byte() !== 0
      break
    case 0x1300:
    case 0x1500: {
      d.read_consistency = consistency(r.short())
      d.received = r.int()
      d.blockfor = r.int()
      if (version >= 5) {
        const n = r.int() // reasonmap: <endpoint><failurecode> pairs
        d.num_failures = n
        for (let i = 0; i < n && r.bad === '' && i < MAX_LISTED; i++) {
          r.skip(r.byte(), 'reasonmap address')
          r.short()
        }
      } else d.num_failures = r.int()
      if (code === 0x1300) d.data_present = r.byte() !== 0
      else d.write_type = r.string()
      break
    }
    case 0x1400:
      d.keyspace = r.string()
      d.function = r.string()
      d.arg_types = r.stringList()
      break
    case 0x2400:
      d.keyspace = r.string()
      d.table = r.string()
      break
    case 0x2500:
      d.stmt_id = r.shortBytesHex()
      break
  }
  if (Object.keys(d).length > 0) out.details = d
  return out
}

/** EVENT body -> cassandra.response.event.* */
export function decodeEvent(r: Reader, version: number): Obj {
  const type = r.string()
  const out: Obj = {type}
  if (type === 'TOPOLOGY_CHANGE' || type === 'STATUS_CHANGE') {
    out.change = r.string()
    const a = r.inet()
    out.host = a.host
    out.port = a.port
  } else if (type === 'SCHEMA_CHANGE') out.schema_change = schemaChange(r, version)
  return out
}

/** The query texts of a BATCH (prepared statements by id, resolved through `prepared`). */
export function decodeBatch(r: Reader, prepared: (id: string) => string | undefined): {queries: string[]; unknown: number} {
  r.byte() // batch type
  const n = r.short()
  const queries: string[] = []
  let unknown = 0
  for (let i = 0; i < n && r.bad === ''; i++) {
    const kind = r.byte()
    let q: string | undefined
    if (kind === 0) q = r.longString()
    else {
      const id = r.shortBytesHex()
      q = prepared(id)
      if (q === undefined) unknown++
    }
    const values = r.short()
    for (let k = 0; k < values && r.bad === ''; k++) r.skipBytes()
    if (q !== undefined) {
      if (queries.length < MAX_LISTED) queries.push(q)
      else r.cut++
    }
  }
  return {queries, unknown}
}
