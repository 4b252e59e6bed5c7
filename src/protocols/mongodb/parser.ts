/**
 * MongoDB wire protocol messages (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 * and the legacy opcodes page): a 16-byte header (messageLength, requestID, responseTo, opCode,
 * all int32 little-endian) followed by an opcode-specific body.
 *
 * `parseMessage(buf, off, st)` frames ONE message at `off` and returns the offset past it, NEED or
 * BAD (`st.reason`), or SKIP for a well-framed message with an unknown opcode (skipped by its
 * length). The summary (st.msg) holds only what the event needs: the command name, collection,
 * counts and a bounded JSON rendering of the command/filter document. Documents are counted, not
 * stored. Every BSON document is framed and depth-checked (./bson-walk.ts) before the `bson`
 * package sees it; a document that fails is left unrendered with a note. Never throws.
 *
 * `bson` is loaded on the first document rendered, not when this module is imported, so a run that
 * sees no MongoDB traffic pays nothing for it.
 */
import {createRequire} from 'node:module'
import type * as Bson from 'bson'
import {type Note, note} from '../../event/anomalies.js'
import {countElems, docLength, type Elem, elemNumber, elemString, findElem, firstElem, int64, scanDocument} from './bson-walk.js'
import {DocsText, type RawTextOptions} from '../shared/result-text.js'

let bsonLib: typeof Bson | undefined
const bson = (): typeof Bson => (bsonLib ??= createRequire(import.meta.url)('bson') as typeof Bson)

export const NEED = -1
export const BAD = -2
export const SKIP = -3
export const HEADER = 16
/** Documents larger than this are not rendered into `query` (only named and counted). */
export const MAX_RENDER_DOC = 64 * 1024
export const MAX_QUERY = 1024

export const OP = {
  REPLY: 1,
  UPDATE: 2001,
  INSERT: 2002,
  QUERY: 2004,
  GET_MORE: 2005,
  DELETE: 2006,
  KILL_CURSORS: 2007,
  COMPRESSED: 2012,
  MSG: 2013,
  // deprecated, framed but not decoded
  LEGACY_MSG: 1000,
  COMMAND: 2010,
  COMMAND_REPLY: 2011,
} as const

const KNOWN = new Set<number>(Object.values(OP))

export function isKnownOpcode(op: number): boolean {
  return KNOWN.has(op)
}

export interface MongoMsg {
  opCode: number
  requestId: number
  responseTo: number
  length: number
  /** The command (find, insert, getMore, ...) for requests. */
  method?: string
  /** db.collection (or db for database commands). */
  resource?: string
  query?: string
  fullCollectionName?: string
  numberToSkip?: number
  numberToReturn?: number
  numberReturned?: number
  startingFrom?: number
  cursorId?: number | string
  /** OP_MSG flag bits. */
  moreToCome?: boolean
  /** The request expects no reply (legacy writes, kill cursors, OP_MSG moreToCome). */
  noReply?: boolean
  /** Reply error ($err, ok: 0 errmsg, writeErrors[0].errmsg, writeConcernError.errmsg). */
  error?: string
  /** Documents carried by the message (counted, not stored). */
  documents: number
  /** insert requests: documents to insert (kind-1 "documents" sequence length, else the body's
   * documents array; OP_INSERT: its documents). */
  inserted?: number
  /** OP_MSG replies: the body's numeric `n` (documents inserted / matched / deleted / counted). */
  n?: number
  notes?: Note[]
  /** send_response: the reply's documents as text (../shared/result-text.ts). */
  replyText?: DocsText
}

export interface ParseState {
  msg: MongoMsg | null
  reason: string
  need: number
  maxBytes: number
  /** With send_response: replies keep their documents as text, bounded by these options. */
  replyText: RawTextOptions | null
}

export function newParseState(maxBytes: number, replyText: RawTextOptions | null = null): ParseState {
  return {msg: null, reason: '', need: 0, maxBytes, replyText}
}

/** True when the 16 bytes at `off` look like a message header (length bounds, known opcode). */
export function plausibleHeader(buf: Buffer, off: number, maxBytes: number): boolean {
  if (buf.length - off < HEADER) return false
  const len = buf.readInt32LE(off)
  return len >= HEADER && len <= maxBytes && KNOWN.has(buf.readInt32LE(off + 12))
}

const BAD_BSON = note('mongodb.bad_bson', 'malformed BSON document')

function addNote(m: MongoMsg, n: Note): void {
  if (m.notes === undefined) m.notes = []
  if (m.notes.length < 8) m.notes.push(n)
}

function cstring(buf: Buffer, off: number, end: number): [string, number] | null {
  const i = buf.indexOf(0, off)
  if (i < 0 || i >= end) return null
  return [buf.toString('utf8', off, Math.min(i, off + 512)), i + 1]
}

/**
 * Compact JSON of the document at [off, off+len), cut at `max` characters (then "..." follows);
 * undefined (with a note) if it cannot be rendered.
 */
export function renderDoc(buf: Buffer, off: number, len: number, m: MongoMsg, max = MAX_QUERY): string | undefined {
  if (len > MAX_RENDER_DOC) {
    addNote(m, note('mongodb.document_not_rendered', `document of ${len} bytes not rendered`))
    return undefined
  }
  const s = scanDocument(buf, off, off + len)
  if (s < 0) {
    addNote(m, s === -2 ? note('mongodb.document_not_rendered', 'document nested too deeply, not rendered') : BAD_BSON)
    return undefined
  }
  const {deserialize, EJSON} = bson()
  try {
    const doc = deserialize(buf.subarray(off, off + len), {
      promoteBuffers: false,
      bsonRegExp: true,
      useBigInt64: false,
      promoteLongs: true,
      validation: {utf8: false},
    })
    const j = EJSON.stringify(doc, {relaxed: true})
    return j.length > max ? j.slice(0, max) + '...' : j
  } catch (e) {
    addNote(m, note('mongodb.bad_bson', 'BSON not decoded: ' + (e instanceof Error ? e.message.slice(0, 100) : 'error')))
    return undefined
  }
}

/**
 * Reads the documents in [p, end): returns how many were well-framed; notes trailing garbage. With
 * `text`, the documents it still wants are rendered into it.
 */
function countDocs(buf: Buffer, p: number, end: number, m: MongoMsg, text?: DocsText): number {
  let n = 0
  while (p < end) {
    const l = docLength(buf, p, end)
    if (l < 0) {
      addNote(m, BAD_BSON)
      break
    }
    if (text !== undefined && text.wantsDocs) addDoc(buf, p, l, m, text)
    n++
    p += l
  }
  return n
}

/** Renders one document into `text` (a document that cannot be rendered is left out, with a note). */
function addDoc(buf: Buffer, off: number, len: number, m: MongoMsg, text: DocsText): void {
  const j = renderDoc(buf, off, len, m, Number.POSITIVE_INFINITY)
  if (j !== undefined) text.add(j)
}

/** Command name and resource from a command document (first key; its string value names the collection). */
function commandOf(buf: Buffer, off: number, len: number, db: string | undefined, m: MongoMsg): void {
  let first = firstElem(buf, off, len)
  if (first !== undefined && (first.name === '$query' || first.name === 'query') && first.type === 0x03) {
    // {$query: {cmd: ...}, $readPreference: ...}: the command is inside.
    const l = docLength(buf, first.off, first.off + first.size)
    if (l > 0) first = firstElem(buf, first.off, l)
  }
  if (first === undefined) return
  m.method = first.name
  const coll = elemString(buf, first)
  if (db !== undefined) m.resource = coll !== undefined ? db + '.' + coll : db
  else if (coll !== undefined) m.resource = coll
}

/** Error text of a reply document: $err, or ok: 0 with errmsg, or the first write error. */
function replyError(buf: Buffer, off: number, len: number): string | undefined {
  const err = findElem(buf, off, len, '$err')
  if (err !== undefined) return elemString(buf, err) ?? 'error'
  const ok = elemNumber(buf, findElem(buf, off, len, 'ok'))
  if (ok === 0) return elemString(buf, findElem(buf, off, len, 'errmsg')) ?? elemString(buf, findElem(buf, off, len, 'codeName')) ?? 'ok: 0'
  const we = findElem(buf, off, len, 'writeErrors')
  if (we !== undefined && we.type === 0x04) {
    const first = firstElem(buf, we.off, we.size)
    if (first !== undefined && first.type === 0x03) {
      return elemString(buf, findElem(buf, first.off, first.size, 'errmsg')) ?? 'write error'
    }
  }
  const wce = findElem(buf, off, len, 'writeConcernError')
  if (wce !== undefined && wce.type === 0x03) return elemString(buf, findElem(buf, wce.off, wce.size, 'errmsg')) ?? 'write concern error'
  return undefined
}

/** cursor.id and the batch size of an OP_MSG / command reply. */
function cursorOf(buf: Buffer, off: number, len: number, m: MongoMsg): void {
  const c = findElem(buf, off, len, 'cursor')
  if (c === undefined || c.type !== 0x03) return
  const id: Elem | undefined = findElem(buf, c.off, c.size, 'id')
  if (id !== undefined && id.type === 0x12) m.cursorId = int64(buf, id.off)
  const batch = findElem(buf, c.off, c.size, 'firstBatch') ?? findElem(buf, c.off, c.size, 'nextBatch')
  if (batch !== undefined && batch.type === 0x04) m.numberReturned = countElems(buf, batch.off, batch.size)
}

function splitNs(ns: string): [string, string] {
  const i = ns.indexOf('.')
  return i < 0 ? [ns, ''] : [ns.slice(0, i), ns.slice(i + 1)]
}

/** `fromClient`: the message travels client -> server (decides what of an OP_MSG is read). */
export function parseMessage(buf: Buffer, off: number, st: ParseState, fromClient: boolean): number {
  st.msg = null
  st.need = 0
  if (buf.length - off < HEADER) {
    st.need = HEADER
    return NEED
  }
  const len = buf.readInt32LE(off)
  const opCode = buf.readInt32LE(off + 12)
  if (len < HEADER || len > st.maxBytes) {
    st.reason = len < HEADER ? 'message length below header size' : 'message longer than maxMessageBytes'
    return BAD
  }
  if (!KNOWN.has(opCode)) {
    st.reason = 'unknown opcode'
    if (buf.length - off < len) {
      st.need = len
      return NEED
    }
    return SKIP
  }
  if (buf.length - off < len) {
    st.need = len
    return NEED
  }
  const end = off + len
  const m: MongoMsg = {opCode, requestId: buf.readInt32LE(off + 4), responseTo: buf.readInt32LE(off + 8), length: len, documents: 0}
  st.msg = m
  if (!fromClient && st.replyText !== null && st.replyText.sendResponse && (opCode === OP.REPLY || opCode === OP.MSG)) m.replyText = new DocsText(st.replyText)
  const p = off + HEADER
  switch (opCode) {
    case OP.QUERY:
      parseQuery(buf, p, end, m)
      break
    case OP.REPLY:
      if (end - p < 20) addNote(m, note('mongodb.truncated', 'OP_REPLY too short'))
      else {
        const flags = buf.readInt32LE(p)
        m.cursorId = int64(buf, p + 4)
        m.startingFrom = buf.readInt32LE(p + 12)
        m.numberReturned = buf.readInt32LE(p + 16)
        m.documents = countDocs(buf, p + 20, end, m, m.replyText)
        const l = docLength(buf, p + 20, end)
        if (l > 0) m.error = replyError(buf, p + 20, l)
        if (flags & 1) m.error ??= 'cursor not found'
        if (flags & 2) m.error ??= 'query failure'
      }
      break
    case OP.MSG:
      parseOpMsg(buf, p, end, m, fromClient)
      break
    case OP.GET_MORE: {
      m.method = 'getMore'
      const ns = cstring(buf, p + 4, end)
      if (ns === null || end - ns[1] < 12) addNote(m, note('mongodb.truncated', 'OP_GET_MORE truncated'))
      else {
        m.fullCollectionName = m.resource = ns[0]
        m.numberToReturn = buf.readInt32LE(ns[1])
        m.cursorId = int64(buf, ns[1] + 4)
      }
      break
    }
    case OP.INSERT: {
      m.method = 'insert'
      m.noReply = true
      const ns = cstring(buf, p + 4, end)
      if (ns === null) addNote(m, note('mongodb.truncated', 'OP_INSERT truncated'))
      else {
        m.fullCollectionName = m.resource = ns[0]
        m.documents = countDocs(buf, ns[1], end, m)
        m.inserted = m.documents
      }
      break
    }
    case OP.UPDATE:
    case OP.DELETE: {
      m.method = opCode === OP.UPDATE ? 'update' : 'delete'
      m.noReply = true
      const ns = cstring(buf, p + 4, end)
      if (ns === null || end - ns[1] < 4) addNote(m, note('mongodb.truncated', 'message truncated'))
      else {
        m.fullCollectionName = m.resource = ns[0]
        const q = ns[1] + 4
        const l = docLength(buf, q, end)
        if (l > 0) m.query = renderDoc(buf, q, l, m)
        m.documents = countDocs(buf, q, end, m)
      }
      break
    }
    case OP.KILL_CURSORS:
      m.method = 'killCursors'
      m.noReply = true
      if (end - p >= 8) m.documents = 0
      break
    case OP.COMPRESSED:
      if (end - p >= 9) {
        const orig = buf.readInt32LE(p)
        m.method = orig === OP.MSG ? 'OP_MSG' : orig === OP.QUERY ? 'OP_QUERY' : orig === OP.REPLY ? 'OP_REPLY' : 'opcode ' + orig
      }
      addNote(m, note('mongodb.compressed'))
      break
    default:
      addNote(m, note('mongodb.deprecated_opcode', `deprecated opcode ${opCode}, not decoded`))
  }
  return end
}

function parseQuery(buf: Buffer, p: number, end: number, m: MongoMsg): void {
  const ns = cstring(buf, p + 4, end)
  if (ns === null || end - ns[1] < 8) {
    addNote(m, note('mongodb.truncated', 'OP_QUERY truncated'))
    return
  }
  m.fullCollectionName = ns[0]
  m.numberToSkip = buf.readInt32LE(ns[1])
  m.numberToReturn = buf.readInt32LE(ns[1] + 4)
  const q = ns[1] + 8
  const l = docLength(buf, q, end)
  if (l < 0) {
    addNote(m, BAD_BSON)
    return
  }
  m.documents = countDocs(buf, q, end, m)
  const [db, coll] = splitNs(ns[0])
  if (coll === '$cmd' || coll.endsWith('.$cmd')) commandOf(buf, q, l, db, m)
  else {
    m.method = 'find'
    m.resource = ns[0]
  }
  m.query = renderDoc(buf, q, l, m)
}

/** OP_MSG: flagBits, then sections (kind 0: one body document; kind 1: size, identifier, documents). */
function parseOpMsg(buf: Buffer, p: number, end: number, m: MongoMsg, fromClient: boolean): void {
  if (end - p < 5) {
    addNote(m, note('mongodb.truncated', 'OP_MSG too short'))
    return
  }
  const flags = buf.readUInt32LE(p)
  m.moreToCome = (flags & 2) !== 0
  if ((flags & 1) !== 0) end -= 4 // CRC-32C checksum (not verified)
  let s = p + 4
  let bodyOff = -1
  let bodyLen = 0
  /** Documents in kind-1 sequences named "documents" (the insert command's payload), -1 if none. */
  let seqDocs = -1
  while (s < end) {
    const kind = buf[s]
    if (kind === 0) {
      const l = docLength(buf, s + 1, end)
      if (l < 0) {
        addNote(m, note('mongodb.bad_op_msg', 'malformed OP_MSG body section'))
        break
      }
      if (bodyOff < 0) {
        bodyOff = s + 1
        bodyLen = l
      }
      if (m.replyText !== undefined && m.replyText.wantsDocs) addDoc(buf, s + 1, l, m, m.replyText)
      m.documents++
      s += 1 + l
    } else if (kind === 1) {
      if (end - s < 5) {
        addNote(m, note('mongodb.bad_op_msg', 'malformed OP_MSG document sequence'))
        break
      }
      const size = buf.readInt32LE(s + 1)
      if (size < 5 || size > end - s - 1) {
        addNote(m, note('mongodb.bad_op_msg', 'malformed OP_MSG document sequence'))
        break
      }
      const id = cstring(buf, s + 5, s + 1 + size)
      if (id === null) {
        addNote(m, note('mongodb.bad_op_msg', 'malformed OP_MSG document sequence'))
        break
      }
      const n = countDocs(buf, id[1], s + 1 + size, m, m.replyText)
      m.documents += n
      if (id[0] === 'documents') seqDocs = Math.max(seqDocs, 0) + n
      s += 1 + size
    } else {
      addNote(m, note('mongodb.bad_op_msg', `unknown OP_MSG section kind ${kind}`))
      break
    }
  }
  if (bodyOff < 0) return
  if (!fromClient) {
    m.error = replyError(buf, bodyOff, bodyLen)
    cursorOf(buf, bodyOff, bodyLen, m)
    const n = elemNumber(buf, findElem(buf, bodyOff, bodyLen, 'n'))
    if (n !== undefined && Number.isFinite(n)) m.n = n
    return
  }
  const db = elemString(buf, findElem(buf, bodyOff, bodyLen, '$db'))
  commandOf(buf, bodyOff, bodyLen, db, m)
  if (m.method === 'getMore') {
    const c = firstElem(buf, bodyOff, bodyLen)
    if (c !== undefined && c.type === 0x12) m.cursorId = int64(buf, c.off)
    const coll = elemString(buf, findElem(buf, bodyOff, bodyLen, 'collection'))
    if (coll !== undefined && db !== undefined) m.resource = db + '.' + coll
  }
  if (m.method === 'insert') {
    if (seqDocs >= 0) m.inserted = seqDocs
    else {
      const docs = findElem(buf, bodyOff, bodyLen, 'documents')
      if (docs !== undefined && docs.type === 0x04) m.inserted = countElems(buf, docs.off, docs.size)
    }
  }
  m.query = renderDoc(buf, bodyOff, bodyLen, m)
  m.noReply = m.moreToCome
}
