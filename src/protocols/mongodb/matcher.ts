/**
 * MongoDB matching: framed messages (from ./session.ts) -> transactions.
 *
 * A reply names its request by responseTo == the request's requestID; requests wait in the shared
 * PendingQueue (limits.maxPendingRequests: the oldest is emitted alone when full). Requests that by design get no
 * reply (legacy OP_INSERT / OP_UPDATE / OP_DELETE / OP_KILL_CURSORS, OP_MSG with moreToCome) are
 * emitted at once. An exhaust reply (OP_MSG moreToCome from the server) is followed by replies whose
 * responseTo is the previous reply's requestID: each becomes a transaction of the same command.
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo, Moment} from '../../reassembly/types.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {type MongoMsg, OP} from './parser.js'

interface Pending {
  id: number
  req: MongoMsg
  sec: number
  nsec: number
  frame: number
  continuation: boolean
}

/** Pairs the requests and replies of one connection (fed by ./session.ts). */
export class MongoMatcher {
  /** Requests waiting for a reply, oldest first; `id` is the requestID a reply names. */
  private readonly pending: PendingQueue<Pending, number>
  private carryNotes: Note[] | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
    /** send_request: the request's command document (as in `query`) in `request`. */
    private readonly sendRequest = false,
  ) {
    this.pending = new PendingQueue<Pending, number>(
      ctx.limits,
      ctx.stats,
      (old, n) => {
        if (old.continuation) return
        this.ctx.stats.unmatchedRequests++
        this.emit(old, null, old.sec, old.nsec, old.frame, 'Error', n)
      },
      (p) => p.id,
    )
  }

  /** End of connection: every request still waiting is emitted unanswered. */
  end(): void {
    for (const p of this.pending.drain()) {
      if (p.continuation) continue
      this.ctx.stats.unmatchedRequests++
      this.emit(p, null, p.sec, p.nsec, p.frame, 'Error', note('mongodb.no_response'))
    }
  }

  /** A note for the next transaction emitted. */
  note(n: Note): void {
    if (this.carryNotes === undefined) this.carryNotes = []
    if (this.carryNotes.length < 16) this.carryNotes.push(n)
  }

  onRequest(m: MongoMsg, sec: number, nsec: number, frame: number): void {
    const p: Pending = {id: m.requestId, req: m, sec, nsec, frame, continuation: false}
    if (m.noReply) {
      this.emit(p, null, sec, nsec, frame, 'OK', m.opCode === OP.MSG ? note('mongodb.no_reply_expected') : undefined)
      return
    }
    if (m.opCode === OP.REPLY) {
      // A reply travelling client -> server: the roles were guessed wrong or the stream is odd.
      this.ctx.stats.bad('mongodb: reply from client')
      this.note(note('mongodb.reply_from_client'))
      return
    }
    this.queue(p)
  }

  /** Queues `p`; one that reuses a waiting request's id takes its place (the older one is dropped). */
  private queue(p: Pending): void {
    const same = this.pending.get(p.id)
    if (same === undefined) this.pending.push(p)
    else this.pending.replace(same, p)
  }

  onReply(m: MongoMsg, at: Moment): void {
    const p = this.pending.get(m.responseTo)
    if (p === undefined) {
      this.ctx.stats.unmatchedResponses++
      const orphan: Pending = {id: m.requestId, req: m, sec: at.tsSec, nsec: at.tsNsec, frame: at.frame, continuation: false}
      this.emit(orphan, m, at.tsSec, at.tsNsec, at.frame, 'Error', note('mongodb.unmatched_response'), true)
      return
    }
    this.pending.remove(p)
    if (m.moreToCome && m.opCode === OP.MSG) {
      // Exhaust cursor: the next reply answers this one.
      this.queue({id: m.requestId, req: p.req, sec: at.tsSec, nsec: at.tsNsec, frame: at.frame, continuation: true})
    }
    this.emit(p, m, at.tsSec, at.tsNsec, at.frame, m.error !== undefined ? 'Error' : 'OK', p.continuation ? note('mongodb.exhaust_reply') : undefined)
  }

  private emit(p: Pending, reply: MongoMsg | null, endSec: number, endNsec: number, endFrame: number, status: Status, first?: Note, replyOnly = false): void {
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
    if (this.sendRequest && req?.query !== undefined) fields.request = req.query
    const text = reply?.replyText?.text()
    if (text !== undefined) fields.response = text
    const notes: Note[] = []
    if (first !== undefined) notes.push(first)
    if (req !== null && req.notes !== undefined) notes.push(...req.notes)
    if (reply !== null && reply.notes !== undefined) notes.push(...reply.notes)
    if (this.carryNotes !== undefined) notes.push(...this.carryNotes)
    this.carryNotes = undefined
    this.ctx.emit(
      newTransaction({
        type: 'mongodb',
        conn: this.conn,
        status,
        start: {tsSec: p.sec, tsNsec: p.nsec, frame: p.frame},
        end: {tsSec: endSec, tsNsec: endNsec, frame: endFrame},
        requestBytes: req !== null ? req.length : 0,
        responseBytes: reply !== null ? reply.length : 0,
        fields,
        method: req?.method,
        resource: req?.resource,
        query: req?.query,
        notes,
      }),
    )
  }
}

function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (v !== undefined) o[k] = v
}

