/**
 * MongoDB connection handler: framed messages -> transactions.
 *
 * Call order (src/reassembly/types.ts): data/gap per direction, then one end(). A reply names its
 * request by responseTo == the request's requestID; requests wait in a per-connection map bounded by
 * limits.maxPendingRequests (the oldest is emitted alone when full). Requests that by design get no
 * reply (legacy OP_INSERT / OP_UPDATE / OP_DELETE / OP_KILL_CURSORS, OP_MSG with moreToCome) are
 * emitted at once. An exhaust reply (OP_MSG moreToCome from the server) is followed by replies whose
 * responseTo is the previous reply's requestID: each becomes a transaction of the same command.
 * Framing errors and gaps drop the rest of the current segment; parsing restarts at the next
 * segment whose first 16 bytes look like a header (messages usually start a segment).
 */
import type {ConnInfo, Dir, Moment, StreamHandler} from '../../reassembly/types.js'
import type {Status, Transaction} from '../../event/types.js'
import type {ProtocolContext} from '../types.js'
import {BAD, type MongoMsg, NEED, newParseState, OP, type ParseState, parseMessage, plausibleHeader, SKIP} from './parser.js'
import {StreamBuffer} from '../../util/stream-buffer.js'

interface Pending {
  req: MongoMsg
  sec: number
  nsec: number
  frame: number
  continuation: boolean
}

export class MongoConn implements StreamHandler {
  private readonly bufs = [new StreamBuffer(), new StreamBuffer()]
  private readonly need = [0, 0]
  private readonly lost = [false, false]
  private readonly st: ParseState
  private readonly pending = new Map<number, Pending>()
  private unknownOpcodeSeen = false
  private carryNotes: string[] | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.st = newParseState(ctx.limits.maxMessageBytes)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    const sb = this.bufs[dir]
    if (this.lost[dir]) {
      // Resynchronising: wait for a segment that starts with a plausible header.
      if (!plausibleHeader(bytes, 0, this.ctx.limits.maxMessageBytes)) return
      this.lost[dir] = false
    }
    const carried = sb.pending
    if (carried > 0 && carried + bytes.length < this.need[dir]) {
      sb.view(bytes)
      return
    }
    const buf = sb.view(bytes)
    let off = 0
    while (off < buf.length) {
      const r = parseMessage(buf, off, this.st, dir === 0)
      if (r === NEED) {
        this.need[dir] = this.st.need
        break
      }
      if (r === BAD) {
        this.ctx.stats.bad('mongodb: ' + this.st.reason)
        this.note(`malformed ${dir === 0 ? 'request' : 'reply'} header (${this.st.reason}); skipped to the next segment`)
        this.lost[dir] = true
        off = buf.length
        break
      }
      const inCarry = off < carried
      if (r === SKIP) {
        if (!this.unknownOpcodeSeen) {
          // Counted once per connection (a flood of unknown opcodes is one anomaly).
          this.unknownOpcodeSeen = true
          this.ctx.stats.bad('mongodb: unknown opcode')
          this.note(`unknown opcode ${buf.readInt32LE(off + 12)} skipped`)
        }
        off += buf.readInt32LE(off)
        continue
      }
      const msg = this.st.msg!
      if (dir === 0) this.onRequest(msg, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
      else this.onReply(msg, at)
      off = r
      this.need[dir] = 0
    }
    if (off < buf.length) {
      const inCarry = off < carried
      sb.keep(buf, off, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
    } else sb.clear()
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    this.bufs[dir].clear()
    this.need[dir] = 0
    this.lost[dir] = true
    this.note(`gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`)
  }

  end(_reason: string, _at: Moment): void {
    for (const d of [0, 1] as const) {
      if (this.bufs[d].pending > 0) {
        this.ctx.stats.bad('mongodb: incomplete message at end of stream')
        this.note(`incomplete ${d === 0 ? 'request' : 'reply'} at end of stream`)
        this.bufs[d].clear()
      }
    }
    for (const p of this.pending.values()) {
      if (p.continuation) continue
      this.ctx.stats.unmatchedRequests++
      this.emit(p, null, p.sec, p.nsec, p.frame, 'Error', 'no response')
    }
    this.pending.clear()
  }

  private note(n: string): void {
    if (this.carryNotes === undefined) this.carryNotes = []
    if (this.carryNotes.length < 16) this.carryNotes.push(n)
  }

  private onRequest(m: MongoMsg, sec: number, nsec: number, frame: number): void {
    const p: Pending = {req: m, sec, nsec, frame, continuation: false}
    if (m.noReply) {
      this.emit(p, null, sec, nsec, frame, 'OK', m.opCode === OP.MSG ? 'moreToCome: no reply expected' : undefined)
      return
    }
    if (m.opCode === OP.REPLY) {
      // A reply travelling client -> server: the roles were guessed wrong or the stream is odd.
      this.ctx.stats.bad('mongodb: reply from client')
      this.note('OP_REPLY sent by the client side')
      return
    }
    if (this.pending.size >= this.ctx.limits.maxPendingRequests) {
      this.ctx.stats.limit('maxPendingRequests')
      const [k, old] = this.pending.entries().next().value as [number, Pending]
      this.pending.delete(k)
      if (!old.continuation) {
        this.ctx.stats.unmatchedRequests++
        this.emit(old, null, old.sec, old.nsec, old.frame, 'Error', 'no response (maxPendingRequests reached)')
      }
    }
    this.pending.set(m.requestId, p)
  }

  private onReply(m: MongoMsg, at: Moment): void {
    const p = this.pending.get(m.responseTo)
    if (p === undefined) {
      this.ctx.stats.unmatchedResponses++
      const orphan: Pending = {req: m, sec: at.tsSec, nsec: at.tsNsec, frame: at.frame, continuation: false}
      this.emit(orphan, m, at.tsSec, at.tsNsec, at.frame, 'Error', 'response without request', true)
      return
    }
    this.pending.delete(m.responseTo)
    if (m.moreToCome && m.opCode === OP.MSG) {
      // Exhaust cursor: the next reply answers this one.
      this.pending.set(m.requestId, {req: p.req, sec: at.tsSec, nsec: at.tsNsec, frame: at.frame, continuation: true})
    }
    this.emit(p, m, at.tsSec, at.tsNsec, at.frame, m.error !== undefined ? 'Error' : 'OK', p.continuation ? 'exhaust cursor reply' : undefined)
  }

  private emit(p: Pending, reply: MongoMsg | null, endSec: number, endNsec: number, endFrame: number, status: Status, note?: string, replyOnly = false): void {
    const req = replyOnly ? null : p.req
    const mongodb: Record<string, unknown> = {}
    if (req !== null) {
      put(mongodb, 'fullCollectionName', req.fullCollectionName)
      put(mongodb, 'numberToSkip', req.numberToSkip)
      put(mongodb, 'numberToReturn', req.numberToReturn)
      if (req.opCode === OP.GET_MORE || req.method === 'getMore' || req.method === 'killCursors') put(mongodb, 'cursorId', req.cursorId)
    }
    if (reply !== null) {
      put(mongodb, 'numberReturned', reply.numberReturned)
      put(mongodb, 'startingFrom', reply.startingFrom)
      if (mongodb.cursorId === undefined) put(mongodb, 'cursorId', reply.cursorId)
      put(mongodb, 'error', reply.error)
    }
    // pbx extras (Packetbeat has no field for these)
    const pbxMongo: Record<string, unknown> = {}
    if (req !== null) put(pbxMongo, 'documents', req.inserted)
    if (reply !== null) put(pbxMongo, 'n', reply.n)
    const fields: Record<string, unknown> = {}
    // fields that do not apply are left out (SCHEMA): no empty objects
    if (Object.keys(mongodb).length > 0) fields.mongodb = mongodb
    if (Object.keys(pbxMongo).length > 0) fields.pbx = {mongodb: pbxMongo}
    const t: Transaction = {
      type: 'mongodb',
      conn: this.conn,
      status,
      startSec: p.sec,
      startNsec: p.nsec,
      startFrame: p.frame,
      endSec,
      endNsec,
      endFrame,
      requestBytes: req !== null ? req.length : 0,
      responseBytes: reply !== null ? reply.length : 0,
      fields,
    }
    if (req !== null) {
      if (req.method !== undefined) t.method = req.method
      if (req.resource !== undefined) t.resource = req.resource
      if (req.query !== undefined) t.query = req.query
    }
    let notes: string[] | undefined
    const add = (n: string[] | undefined) => {
      if (n !== undefined) notes = notes === undefined ? [...n] : notes.concat(n)
    }
    if (note !== undefined) add([note])
    if (req !== null) add(req.notes)
    if (reply !== null) add(reply.notes)
    add(this.carryNotes)
    this.carryNotes = undefined
    if (notes !== undefined) t.notes = notes
    this.ctx.emit(t)
  }
}

function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (v !== undefined) o[k] = v
}

