/**
 * ONC RPC calls and replies -> NFS transactions. A call waits in the connection's (UDP: flow's)
 * PendingQueue keyed by xid, so replies may come in any order (RFC 5531 section 9: the xid is the
 * only link); a reply takes its call out and the pair is one event. Which side called is read from
 * each message's type, not from the direction it travelled.
 *
 *   - Only calls of the NFS program (100003) are reported; calls of other programs on the same
 *     transport (NFSACL, NLM, a v4.1 backchannel's CB_COMPOUND) are matched with their replies and
 *     dropped, so their replies are not reported as unmatched.
 *   - A call repeated with the xid of a pending call (a retransmission: UDP, or TCP after a
 *     reconnect) is not a new transaction: the pending one gets the note nfs.retransmission. A reply
 *     to an xid answered shortly before (the server's duplicate request cache answering a
 *     retransmission) is dropped; the next event carries the note.
 *   - A reply with no call: an event of its own (rpc.* only: the procedure is not known) with the
 *     note nfs.unmatched_response. A call with no reply (end of stream, a UDP call older than
 *     limits.udpTransactionTimeoutSec): emitted alone with status Error and nfs.no_response.
 *
 * Status: Error when the reply is denied, its accept_stat is not SUCCESS, or the NFS status is not
 * NFS_OK; OK otherwise.
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction, type Stamp} from '../../event/transaction.js'
import type {ConnInfo, Dir, Moment} from '../../reassembly/types.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {decodeCall, decodeReply, type NfsCall, type NfsReply} from './codec.js'
import {acceptStatName, authFlavorName, authStatName, opName, PROG_NFS, procName, RPCSEC_GSS, rejectStatName, statusName} from './names.js'
import {type Cred, REPLY, type RpcHeader} from './parser.js'
import type {Xdr} from './xdr.js'

interface Call {
  xid: number
  dir: Dir
  prog: number
  vers: number
  proc: number
  flavor: number
  cred: Cred | null
  /** RPCSEC_GSS service of a DATA call (2 integrity, 3 privacy: its results are wrapped alike). */
  gss: number
  nfs: NfsCall | null
  start: Stamp
  bytes: number
  notes: Note[] | null
}

const NO_RESPONSE = note('nfs.no_response')

export class NfsMatcher {
  private readonly pending: PendingQueue<Call, number>
  /** Xids answered recently (at most limits.maxPendingRequests), to recognise duplicate replies. */
  private readonly answered = new Set<number>()
  private readonly maxAnswered: number
  private carry: Note[] | undefined
  private readonly r: NfsReply = {status: 0}

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.pending = new PendingQueue<Call, number>(
      ctx.limits,
      ctx.stats,
      (c, n) => this.alone(c, n),
      (c) => c.xid,
    )
    this.maxAnswered = Math.max(1, ctx.limits.maxPendingRequests)
  }

  /** A note for the next event of this connection (gaps, skipped bytes). Bounded. */
  note(n: Note): void {
    if (this.carry === undefined) this.carry = []
    if (this.carry.length < 16) this.carry.push(n)
  }

  /**
   * One RPC message whose header is in `h`, with `x` at its arguments or results. `wire` is its
   * size on the wire; `cut` bytes of it were not kept (limits.maxMessageBytes). `start` / `end`:
   * the times of its first and last bytes (read during the call only).
   */
  message(dir: Dir, h: RpcHeader, x: Xdr, wire: number, cut: number, start: Moment, end: Moment): void {
    if (h.type === REPLY) this.reply(h, x, wire, end)
    else this.call(dir, h, x, wire, cut, start)
  }

  private call(dir: Dir, h: RpcHeader, x: Xdr, wire: number, cut: number, start: Moment): void {
    const old = this.pending.get(h.xid)
    if (old !== undefined && old.prog === h.prog && old.proc === h.proc) {
      if (old.notes === null) old.notes = []
      if (!old.notes.some((n) => n.code === 'nfs.retransmission')) old.notes.push(note('nfs.retransmission'))
      return
    }
    if (old !== undefined) {
      // a new call reusing a pending xid: the old one will get no reply of its own
      this.pending.remove(old)
      this.alone(old, NO_RESPONSE)
    }
    this.answered.delete(h.xid)
    const c: Call = {
      xid: h.xid,
      dir,
      prog: h.prog,
      vers: h.vers,
      proc: h.proc,
      flavor: h.flavor,
      cred: h.cred,
      gss: h.flavor === RPCSEC_GSS && h.gssProc === 0 ? h.gssService : 0,
      nfs: null,
      start: {tsSec: start.tsSec, tsNsec: start.tsNsec, frame: start.frame},
      bytes: wire,
      notes: null,
    }
    if (h.prog === PROG_NFS) {
      const notes: Note[] = []
      if (c.gss === 3) {
        c.nfs = {opcode: procName(h.vers, h.proc)}
        notes.push(note('nfs.encrypted'))
      } else {
        if (c.gss === 2) {
          x.u32() // rpc_gss_integ_data: databody_integ length, then seq_num and the arguments
          x.u32()
        }
        c.nfs = decodeCall(x, h.vers, h.proc, this.ctx.limits.nfsMaxCompoundOps)
        if (c.nfs.malformed !== undefined) {
          this.ctx.stats.bad('nfs: ' + c.nfs.malformed)
          notes.push(note('nfs.malformed', c.nfs.malformed))
        }
        if (c.nfs.opsLeft !== undefined && c.nfs.malformed === undefined) {
          this.ctx.stats.limit('nfsMaxCompoundOps')
          notes.push(note('limit.compound_ops', `${c.nfs.opsLeft} operations after the first ${c.nfs.ops?.length ?? 0} not listed (limits.nfsMaxCompoundOps)`))
        }
      }
      if (cut > 0) {
        this.ctx.stats.limit('maxMessageBytes')
        notes.push(note('limit.message_bytes', `call of ${wire} bytes: ${cut} bytes beyond limits.maxMessageBytes not decoded`))
      }
      if (notes.length > 0) c.notes = notes
    }
    this.pending.push(c)
  }

  private reply(h: RpcHeader, x: Xdr, wire: number, end: Moment): void {
    const c = this.pending.get(h.xid)
    if (c === undefined) {
      if (this.answered.has(h.xid)) {
        this.note(note('nfs.retransmission', `duplicate reply to xid ${xidHex(h.xid)} dropped`))
        return
      }
      this.ctx.stats.unmatchedResponses++
      const rpc: Record<string, unknown> = {xid: xidHex(h.xid), status: rpcStatus(h)}
      const notes = this.take([note('nfs.unmatched_response')])
      this.ctx.emit(
        newTransaction({
          type: 'nfs',
          conn: this.conn,
          status: h.replyStat === 0 && h.stat === 0 ? 'OK' : 'Error',
          start: end,
          end,
          requestBytes: 0,
          responseBytes: wire,
          fields: {rpc},
          notes,
        }),
      )
      return
    }
    this.pending.remove(c)
    if (this.answered.size >= this.maxAnswered) this.answered.delete(this.answered.values().next().value as number)
    this.answered.add(h.xid)
    if (c.prog !== PROG_NFS) return
    const r = this.r
    let nfsStatus: number | undefined
    const notes: Note[] = c.notes ?? []
    if (h.replyStat === 0 && h.stat === 0) {
      if (c.gss === 3) {
        if (!notes.some((n) => n.code === 'nfs.encrypted')) notes.push(note('nfs.encrypted'))
      } else {
        if (c.gss === 2 && c.proc !== 0) {
          x.u32()
          x.u32()
        }
        if (decodeReply(x, c.vers, c.proc, r)) nfsStatus = r.status
        else {
          this.ctx.stats.bad('nfs: reply results cut short')
          notes.push(note('nfs.malformed', 'reply results cut short: no status'))
        }
      }
    }
    this.emitPair(c, h, nfsStatus, wire, end, notes)
  }

  private emitPair(c: Call, h: RpcHeader, nfsStatus: number | undefined, replyBytes: number, end: Stamp, notes: Note[]): void {
    const rpc = this.rpcFields(c)
    rpc.status = rpcStatus(h)
    const nfs = this.nfsFields(c)
    if (h.replyStat === 1 && h.stat === 1) nfs.auth_stat = authStatName(h.authStat)
    let failed = false
    if (nfsStatus !== undefined) {
      nfs.status = statusName(nfsStatus)
      if (nfsStatus !== 0) {
        failed = true
        const r = this.r
        const ops = c.nfs?.ops
        if (c.vers === 4 && r.results !== undefined && r.results > 0) {
          const op = ops !== undefined && r.results <= ops.length ? ops[r.results - 1] : r.results === 1 ? r.firstOp : undefined
          const n = op === undefined ? undefined : opName(op)
          if (n !== undefined) nfs.failed_op = n
        }
      }
    }
    const ok = h.replyStat === 0 && h.stat === 0 && !failed
    this.ctx.emit(this.tx(c, ok ? 'OK' : 'Error', end, replyBytes, {rpc, nfs}, this.take(notes)))
  }

  /** A call emitted without its reply (no reply seen, or pushed out of a full queue). */
  private alone(c: Call, n: Note): void {
    this.ctx.stats.unmatchedRequests++
    if (c.prog !== PROG_NFS) return
    const notes = c.notes ?? []
    notes.unshift(n)
    this.ctx.emit(this.tx(c, 'Error', c.start, 0, {rpc: this.rpcFields(c), nfs: this.nfsFields(c)}, this.take(notes)))
  }

  private tx(c: Call, status: 'OK' | 'Error', end: Stamp, replyBytes: number, fields: Record<string, unknown>, notes: Note[]) {
    const byServer = c.dir === 1
    const nfs = fields.nfs as Record<string, unknown>
    return newTransaction({
      type: 'nfs',
      conn: this.conn,
      status,
      start: c.start,
      end,
      requestBytes: byServer ? replyBytes : c.bytes,
      responseBytes: byServer ? c.bytes : replyBytes,
      fields,
      notes,
      method: nfs.opcode as string,
      resource: (nfs.path ?? nfs.name) as string | undefined,
      sentByServer: byServer,
    })
  }

  private rpcFields(c: Call): Record<string, unknown> {
    const rpc: Record<string, unknown> = {xid: xidHex(c.xid), auth_flavor: authFlavorName(c.flavor)}
    const cr = c.cred
    if (cr !== null) {
      const cred: Record<string, unknown> = {uid: cr.uid, gid: cr.gid, gids: cr.gids, stamp: cr.stamp}
      if (cr.machinename !== '') cred.machinename = cr.machinename
      rpc.cred = cred
    }
    return rpc
  }

  private nfsFields(c: Call): Record<string, unknown> {
    const n = c.nfs!
    const nfs: Record<string, unknown> = {version: c.vers}
    if (n.minor !== undefined) nfs.minor_version = n.minor
    if (n.tag !== undefined) nfs.tag = n.tag
    nfs.opcode = n.opcode
    if (n.ops !== undefined && n.ops.length > 0) nfs.ops = n.ops.map((op) => opName(op) ?? `OP_${op}`)
    if (n.fh !== undefined && n.fh !== '') nfs.file_handle = n.fh
    if (n.name !== undefined) nfs.name = n.name
    if (n.newName !== undefined) nfs.new_name = n.newName
    if (n.path !== undefined) nfs.path = n.path
    return nfs
  }

  /** `notes` followed by the connection's carried notes (which are then cleared). */
  private take(notes: Note[]): Note[] {
    if (this.carry === undefined) return notes
    notes.push(...this.carry)
    this.carry = undefined
    return notes
  }

  /** UDP: emits calls older than limits.udpTransactionTimeoutSec of capture time as unanswered. */
  expire(at: Moment): void {
    const limit = this.ctx.limits.udpTransactionTimeoutSec
    for (let c = this.pending.peek(); c !== undefined; c = this.pending.peek()) {
      const age = at.tsSec - c.start.tsSec + (at.tsNsec - c.start.tsNsec) / 1e9
      if (age <= limit) break // insertion order is capture order
      this.pending.shift()
      this.alone(c, NO_RESPONSE)
    }
  }

  /** End of the connection or flow: every call still waiting is emitted unanswered. */
  end(): void {
    for (const c of this.pending.drain()) this.alone(c, NO_RESPONSE)
    this.carry = undefined
  }
}

/** rpc.xid as Packetbeat writes it: 8 lower-case hex digits. */
function xidHex(xid: number): string {
  return xid.toString(16).padStart(8, '0')
}

function rpcStatus(h: RpcHeader): string {
  return h.replyStat === 0 ? acceptStatName(h.stat) : rejectStatName(h.stat)
}
