/**
 * ONC RPC framing and message headers (RFC 5531).
 *
 *   - RecordFramer: TCP record marking (RFC 5531 section 11). Each record is one or more fragments,
 *     each after a 4-byte header (bit 31: last fragment; bits 0-30: fragment length). Push-style and
 *     split-anywhere safe: a record that lies whole in one delivery, in one fragment, is handed on as
 *     a view of that delivery (no copy); any other record is assembled by COPYING its fragments into
 *     the framer's own reused store, because it must outlive the data() call. A record is kept up to
 *     `maxRecord` bytes (limits.maxMessageBytes); the bytes beyond are skipped and counted, and the
 *     record is handed on cut (the decoders read what is there: headers come first). After a gap, or
 *     a fragment header no RPC sender writes, the framer resynchronises on the next offset where a
 *     record header, xid and a plausible call or reply header follow one another.
 *   - readHeader: the RPC message header (call: program, version, procedure, credential, verifier;
 *     reply: reply_stat, verifier, accept_stat or reject_stat), leaving the reader at the procedure
 *     arguments or results. Never throws; a short or malformed header sets `x.bad`.
 */
import type {Moment} from '../../reassembly/types.js'
import {AUTH_SYS, RPCSEC_GSS} from './names.js'
import {Xdr} from './xdr.js'

export const CALL = 0
export const REPLY = 1

export interface Cred {
  stamp: number
  machinename: string
  uid: number
  gid: number
  gids: number[]
}

/** One decoded RPC header (reused by the session: copy what must outlive the message). */
export interface RpcHeader {
  xid: number
  type: number
  // call
  rpcvers: number
  prog: number
  vers: number
  proc: number
  flavor: number
  cred: Cred | null
  /** RPCSEC_GSS credential: gss_proc (0 DATA) and service (1 none, 2 integrity, 3 privacy). */
  gssProc: number
  gssService: number
  // reply
  replyStat: number
  /** accept_stat (accepted replies) or reject_stat (denied ones). */
  stat: number
  /** auth_stat of an AUTH_ERROR denial; low/high versions of a mismatch. */
  authStat: number
  low: number
  high: number
}

export function newHeader(): RpcHeader {
  return {xid: 0, type: 0, rpcvers: 0, prog: 0, vers: 0, proc: 0, flavor: 0, cred: null, gssProc: 0, gssService: 0, replyStat: 0, stat: 0, authStat: 0, low: 0, high: 0}
}

/** Largest opaque_auth body (RFC 5531 section 8.2). */
const MAX_AUTH = 400

/**
 * Reads an RPC header at x.off into h. Returns false when the bytes are not an RPC message (bad
 * message type, RPC version not 2, short header): x.bad tells a short one from a foreign one.
 */
export function readHeader(x: Xdr, h: RpcHeader): boolean {
  h.xid = x.u32()
  h.type = x.u32()
  h.cred = null
  h.gssProc = 0
  h.gssService = 0
  if (h.type === CALL) {
    h.rpcvers = x.u32()
    h.prog = x.u32()
    h.vers = x.u32()
    h.proc = x.u32()
    h.flavor = x.u32()
    const body = x.opaque(MAX_AUTH)
    if (x.bad || h.rpcvers !== 2) return false
    if (h.flavor === AUTH_SYS) h.cred = readAuthSys(body)
    else if (h.flavor === RPCSEC_GSS && body.length >= 16) {
      // rpc_gss_cred_vers_1_t (RFC 2203 section 5): version, gss_proc, seq_num, service, handle
      h.gssProc = body.readUInt32BE(4)
      h.gssService = body.readUInt32BE(12)
    }
    x.u32() // verifier flavor
    x.opaque(MAX_AUTH)
    return !x.bad
  }
  if (h.type !== REPLY) return false
  h.replyStat = x.u32()
  h.stat = 0
  h.authStat = 0
  h.low = 0
  h.high = 0
  if (h.replyStat === 0) {
    // accepted_reply: verifier, accept_stat, then results (SUCCESS) or mismatch_info (PROG_MISMATCH)
    x.u32()
    x.opaque(MAX_AUTH)
    h.stat = x.u32()
    if (h.stat === 2) {
      h.low = x.u32()
      h.high = x.u32()
    }
  } else if (h.replyStat === 1) {
    h.stat = x.u32()
    if (h.stat === 0) {
      h.low = x.u32()
      h.high = x.u32()
    } else h.authStat = x.u32()
  } else return false
  return !x.bad
}

/** A reader for credential bodies (reset on every use; holds no data between calls). */
const scratch = new Xdr()

/** authsys_parms (RFC 5531 appendix A): stamp, machinename<255>, uid, gid, gids<16>. */
function readAuthSys(body: Buffer): Cred | null {
  const x = scratch.reset(body, 0, body.length)
  const stamp = x.u32()
  const machinename = x.string(255, 255)
  const uid = x.u32()
  const gid = x.u32()
  const n = x.u32()
  const gids: number[] = []
  for (let i = 0; i < n && i < 16 && !x.bad; i++) gids.push(x.u32())
  return x.bad ? null : {stamp, machinename, uid, gid, gids}
}


/**
 * Whether buf[off..end) starts like an RPC message: xid, then a call of RPC version 2 or a reply
 * with reply_stat 0/1 (and for an accepted reply, an accept_stat <= 5). Needs 16 bytes; cheap.
 */
export function plausibleMessage(buf: Buffer, off: number, end: number): boolean {
  if (end - off < 16) return false
  const type = buf.readUInt32BE(off + 4)
  if (type === CALL) return buf.readUInt32BE(off + 8) === 2 && buf.readUInt32BE(off + 12) !== 0
  if (type === REPLY) return buf.readUInt32BE(off + 8) <= 1
  return false
}

/** Whether buf[off..end) is an NFS call (program 100003, version 2-4): for content detection. */
export function looksLikeNfsCall(buf: Buffer, off: number, end: number): boolean {
  if (end - off < 24) return false
  if (buf.readUInt32BE(off + 4) !== CALL || buf.readUInt32BE(off + 8) !== 2) return false
  if (buf.readUInt32BE(off + 12) !== 100003) return false
  const v = buf.readUInt32BE(off + 16)
  return v >= 2 && v <= 4
}

export interface RecordSink {
  /**
   * One whole RPC message: buf[off, off + len) (a view, valid during the call). `wire` is the
   * record's size on the wire (fragment headers included), `cut` how many of its bytes were
   * skipped at limits.maxMessageBytes, `at` the time of its first byte (a reused object).
   */
  record(buf: Buffer, off: number, len: number, wire: number, cut: number, at: Moment): void
  /** Bytes skipped while resynchronising (after a gap or a fragment header that is not RPC). */
  skipped(nbytes: number, why: string): void
}

/** Smallest RPC message (an AUTH_ERROR denial: xid, type, reply_stat, reject_stat, auth_stat). */
const MIN_RECORD = 20

export class RecordFramer {
  /** Fragment header bytes collected so far (0-3) and their value. */
  private hdrLen = 0
  private hdr = 0
  /** Bytes still to come of the current fragment (0 between fragments). */
  private fragLeft = 0
  private lastFrag = false
  /** Whether a record is open (a fragment header of it was read). */
  private inRecord = false
  /** The open record's bytes kept (copies) and its size so far (kept + skipped, headers included). */
  private store: Buffer | null = null
  private kept = 0
  private wire = 0
  private cutBytes = 0
  /** Time of the open record's first byte (copied numbers). */
  private readonly startAt: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  /** Resynchronising: looking for the next plausible record start. */
  private resync = false
  /** While resynchronising: up to 19 bytes held back from the previous delivery (a copy). */
  private tail: Buffer | null = null

  constructor(
    private readonly sink: RecordSink,
    private readonly maxRecord: number,
  ) {}

  /** Bytes of an unfinished record held (for end-of-stream notes). */
  get pending(): number {
    return this.inRecord || this.hdrLen > 0 ? this.wire + this.hdrLen : 0
  }

  data(bytes: Buffer, at: Moment): void {
    let buf = bytes
    let off = 0
    if (this.resync) {
      if (this.tail !== null) {
        buf = Buffer.concat([this.tail, bytes])
        this.tail = null
      }
      const s = findStart(buf, 0)
      if (s < 0) {
        // keep the last bytes: a record start may straddle this delivery and the next
        const keep = Math.min(buf.length, MIN_RECORD - 1)
        this.sink.skipped(buf.length - keep, 'no RPC record start')
        this.tail = Buffer.from(buf.subarray(buf.length - keep))
        return
      }
      if (s > 0) this.sink.skipped(s, 'no RPC record start')
      this.resync = false
      off = s
    }
    while (off < buf.length) {
      if (this.resync) {
        // the sink asked to resynchronise (a record that is not an RPC message)
        this.data(buf.subarray(off), at)
        return
      }
      if (this.fragLeft === 0) {
        // between fragments: a whole single-fragment record in view goes out without a copy
        if (!this.inRecord && this.hdrLen === 0 && buf.length - off >= 4) {
          const h = buf.readUInt32BE(off)
          const len = h & 0x7fffffff
          if (h >>> 31 === 1 && len <= this.maxRecord && buf.length - off - 4 >= len && len >= MIN_RECORD) {
            this.sink.record(buf, off + 4, len, len + 4, 0, at)
            off += 4 + len
            continue
          }
        }
        while (this.hdrLen < 4 && off < buf.length) {
          this.hdr = ((this.hdr << 8) | buf[off]!) >>> 0
          this.hdrLen++
          off++
        }
        if (this.hdrLen < 4) return
        const h = this.hdr
        this.hdrLen = 0
        this.hdr = 0
        this.lastFrag = h >>> 31 === 1
        this.fragLeft = h & 0x7fffffff
        if (!this.inRecord) {
          this.inRecord = true
          this.kept = 0
          this.wire = 0
          this.cutBytes = 0
          this.startAt.frame = at.frame
          this.startAt.tsSec = at.tsSec
          this.startAt.tsNsec = at.tsNsec
        }
        this.wire += 4
        if (this.wire === 4 && this.lastFrag && this.fragLeft < MIN_RECORD) {
          // no RPC message is this short: not a record header (bytes after a lost segment, or garbage)
          this.abandon(buf, off - 4, 'fragment header of an impossible length', at)
          return
        }
        if (this.fragLeft === 0 && this.lastFrag) {
          this.finish()
          continue
        }
        if (this.fragLeft === 0) continue
      }
      const n = Math.min(this.fragLeft, buf.length - off)
      const room = this.maxRecord - this.kept
      const k = Math.min(n, Math.max(0, room))
      if (k > 0) {
        this.ensure(this.kept + k)
        buf.copy(this.store!, this.kept, off, off + k)
        this.kept += k
      }
      this.cutBytes += n - k
      this.wire += n
      this.fragLeft -= n
      off += n
      if (this.fragLeft === 0 && this.lastFrag) this.finish()
    }
  }

  /**
   * Bytes were lost (or the last record handed on was not an RPC message): the open record is
   * dropped and the framer looks for the next record start. Returns the bytes dropped.
   */
  gap(): number {
    const lost = this.pending
    this.reset()
    this.resync = true
    this.tail = null
    return lost
  }

  /** End of stream: whatever is open is dropped (the caller notes pending bytes first). */
  clear(): void {
    this.reset()
    this.tail = null
  }

  private finish(): void {
    this.inRecord = false
    const store = this.store
    this.sink.record(store ?? Buffer.alloc(0), 0, this.kept, this.wire, this.cutBytes, this.startAt)
    this.kept = 0
    this.wire = 0
    // release a large store so one huge record does not pin memory for the connection's life
    if (store !== null && store.length > 256 * 1024) this.store = null
  }

  private reset(): void {
    this.inRecord = false
    this.hdrLen = 0
    this.hdr = 0
    this.fragLeft = 0
    this.kept = 0
    this.wire = 0
    this.cutBytes = 0
  }

  private abandon(buf: Buffer, from: number, why: string, at: Moment): void {
    this.reset()
    this.resync = true
    const s = findStart(buf, from + 1)
    if (s < 0) {
      const keep = Math.min(buf.length - from, MIN_RECORD - 1)
      this.sink.skipped(buf.length - from - keep, why)
      this.tail = Buffer.from(buf.subarray(buf.length - keep))
      return
    }
    this.sink.skipped(s - from, why)
    this.resync = false
    this.data(buf.subarray(s), at)
  }

  private ensure(n: number): void {
    if (this.store !== null && this.store.length >= n) return
    let size = this.store === null ? 4096 : this.store.length * 2
    while (size < n) size *= 2
    const next = Buffer.allocUnsafe(size)
    if (this.store !== null && this.kept > 0) this.store.copy(next, 0, 0, this.kept)
    this.store = next
  }
}

/** The first offset >= from where a record header and a plausible RPC message start, or -1. */
function findStart(buf: Buffer, from: number): number {
  for (let i = from; i + MIN_RECORD <= buf.length; i++) {
    const h = buf.readUInt32BE(i)
    const len = h & 0x7fffffff
    if (len < MIN_RECORD || len > 0x1000000) continue
    if (plausibleMessage(buf, i + 4, buf.length)) return i
  }
  return -1
}
