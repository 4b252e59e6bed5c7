/**
 * NFS procedure arguments and results: what an event reports of a call (procedure or compound
 * operations, file handle, file name, path) and of its reply (status). All decoders read through
 * the bounded Xdr reader and never throw: a truncated or malformed body sets `x.bad`, and what was
 * decoded before the fault is kept.
 *
 *   - NFSv2 (RFC 1094) and NFSv3 (RFC 1813): the first argument of every procedure but NULL (and
 *     v2 ROOT) is a file handle; diropargs procedures (LOOKUP, CREATE, MKDIR, SYMLINK, MKNOD,
 *     REMOVE, RMDIR) follow it with a file name, RENAME carries two (from, to), LINK the new name.
 *     The reply's first word is its nfsstat.
 *   - NFSv4.x COMPOUND (RFC 7530 section 16.2, RFC 8881 section 16.2, RFC 7862): tag, minor
 *     version, then each operation's number and arguments. Every operation's arguments are decoded
 *     (skipped over) after its XDR definition, so that all operation names are listed in order; an
 *     operation number no RFC assigns stops the walk (its arguments have no known size). The reply
 *     carries the compound status, the tag and the results of the operations executed, which stop
 *     at the first failure: the failing operation is the call's operation at that position.
 */
import {isMainOp, OP_ILLEGAL, opName, procName} from './names.js'
import type {Xdr} from './xdr.js'

/** What an event reports of an NFS call (a new object per call: it waits in the pending queue). */
export interface NfsCall {
  opcode: string
  /** Lower-case hex of the (first) file handle of the call. */
  fh?: string
  name?: string
  newName?: string
  path?: string
  tag?: string
  minor?: number
  /** v4: every operation number in order (names derived when the event is built). */
  ops?: number[]
  /** v4: operations the call announced but that were not listed (bound, or undecodable). */
  opsLeft?: number
  /** What could not be decoded, for a note. */
  malformed?: string
}

const FH2 = 32
const FH3_MAX = 64
const FH4_MAX = 128
/** Longest file name kept (bytes decoded as UTF-8); NFS names are short (NAME_MAX 255 on Linux). */
const NAME_KEEP = 1024

function hex(b: Buffer): string {
  return b.toString('hex')
}

/** Decodes the arguments of an NFS v2/v3/v4 call. `maxOps` bounds nfs.ops (limits). */
export function decodeCall(x: Xdr, vers: number, proc: number, maxOps: number): NfsCall {
  const c: NfsCall = {opcode: procName(vers, proc)}
  if (proc === 0) return c
  if (vers === 4) {
    if (proc === 1) compound(x, c, maxOps)
  } else if (vers === 3) v3(x, c, proc)
  else if (vers === 2) v2(x, c, proc)
  if (x.bad && c.malformed === undefined) c.malformed = `${c.opcode} arguments cut short`
  return c
}

function v3(x: Xdr, c: NfsCall, proc: number): void {
  c.fh = hex(x.opaque(FH3_MAX))
  switch (proc) {
    case 3: // LOOKUP
    case 8: // CREATE
    case 9: // MKDIR
    case 10: // SYMLINK
    case 11: // MKNOD
    case 12: // REMOVE
    case 13: // RMDIR
      c.name = x.string(0xffffffff, NAME_KEEP)
      break
    case 14: // RENAME: from (dir, name), to (dir, name)
      c.name = x.string(0xffffffff, NAME_KEEP)
      x.opaque(FH3_MAX)
      c.newName = x.string(0xffffffff, NAME_KEEP)
      break
    case 15: // LINK: file, then the new link's (dir, name)
      x.opaque(FH3_MAX)
      c.name = x.string(0xffffffff, NAME_KEEP)
      break
  }
  if (c.name === '') delete c.name
  if (c.newName === '') delete c.newName
}

function v2(x: Xdr, c: NfsCall, proc: number): void {
  if (proc === 3) return // ROOT: void
  c.fh = hex(fixed(x, FH2))
  switch (proc) {
    case 4: // LOOKUP
    case 9: // CREATE
    case 10: // REMOVE
    case 13: // SYMLINK
    case 14: // MKDIR
    case 15: // RMDIR
      c.name = x.string(255, NAME_KEEP)
      break
    case 11: // RENAME
      c.name = x.string(255, NAME_KEEP)
      fixed(x, FH2)
      c.newName = x.string(255, NAME_KEEP)
      break
    case 12: // LINK
      fixed(x, FH2)
      c.name = x.string(255, NAME_KEEP)
      break
  }
  if (c.name === '') delete c.name
  if (c.newName === '') delete c.newName
}

function fixed(x: Xdr, n: number): Buffer {
  if (x.left < n) {
    x.skip(n)
    return Buffer.alloc(0)
  }
  const v = x.buf.subarray(x.off, x.off + n)
  x.skip(n)
  return v
}

// --- NFSv4 COMPOUND -----------------------------------------------------------------------------

const STATEID = 16
const VERIFIER = 8
const SESSIONID = 16
const DEVICEID = 16
const NFSTIME = 12

function bitmap(x: Xdr): void {
  x.skipFixedArray(4)
}
function fattr(x: Xdr): void {
  bitmap(x)
  x.skipOpaque()
}
function owner(x: Xdr): void {
  x.skip(8) // clientid
  x.skipOpaque()
}
function netaddr(x: Xdr): void {
  x.skipOpaque() // r_netid
  x.skipOpaque() // r_addr
}
function netloc(x: Xdr): void {
  const t = x.u32()
  if (t === 3) netaddr(x)
  else x.skipOpaque() // NL4_NAME, NL4_URL
}
function channelAttrs(x: Xdr): void {
  x.skip(24)
  x.skipFixedArray(4) // ca_rdma_ird<1>
}
function cbSecParms(x: Xdr): void {
  const n = x.u32()
  for (let i = 0; i < n && !x.bad; i++) {
    const flavor = x.u32()
    if (flavor === 1) {
      x.u32() // stamp
      x.skipOpaque() // machinename
      x.skip(8) // uid, gid
      x.skipFixedArray(4) // gids
    } else if (flavor === 6) {
      x.u32() // service
      x.skipOpaque()
      x.skipOpaque()
    }
  }
}
function stateProtectOps(x: Xdr): void {
  bitmap(x)
  bitmap(x)
}
function layoutupdate(x: Xdr): void {
  x.u32()
  x.skipOpaque()
}

/** Names kept while walking a compound. */
interface Walk {
  /** The path from the pseudo-root (PUTROOTFH then LOOKUPs), or null once it is not known. */
  path: string[] | null
  lastName?: string
  mainName?: string
  mainNew?: string
  sawMain: boolean
}

/**
 * Skips the arguments of operation `op`, collecting names into `w`. Returns false for an
 * operation number no RFC assigns (its arguments cannot be skipped).
 */
function opArgs(x: Xdr, op: number, c: NfsCall, w: Walk): boolean {
  const main = !w.sawMain && isMainOp(op)
  const name = (): string => {
    const n = x.string(0xffffffff, NAME_KEEP)
    w.lastName = n
    if (main) w.mainName = n
    return n
  }
  switch (op) {
    case 3: // ACCESS
      x.u32()
      break
    case 4: // CLOSE
      x.skip(4 + STATEID)
      break
    case 5: // COMMIT
      x.skip(12)
      break
    case 6: {
      // CREATE: createtype4, objname, createattrs
      const t = x.u32()
      if (t === 5) x.skipOpaque() // NF4LNK linkdata
      else if (t === 3 || t === 4) x.skip(8) // specdata4
      const n = name()
      if (w.path !== null) w.path.push(n)
      fattr(x)
      break
    }
    case 7: // DELEGPURGE
    case 30: // RENEW
    case 57: // DESTROY_CLIENTID
      x.skip(8)
      break
    case 8: // DELEGRETURN
    case 45: // FREE_STATEID
    case 66: // OFFLOAD_CANCEL
    case 67: // OFFLOAD_STATUS
      x.skip(STATEID)
      break
    case 9: // GETATTR
      bitmap(x)
      break
    case 10: // GETFH
    case 16: // LOOKUPP
    case 23: // PUTPUBFH
    case 24: // PUTROOTFH
    case 27: // READLINK
    case 31: // RESTOREFH
    case 32: // SAVEFH
    case OP_ILLEGAL:
      if (op === 24) w.path = []
      else if (op === 16 && w.path !== null) w.path.pop()
      else if (op === 23 || op === 31) w.path = null
      break
    case 11: // LINK: newname
      name()
      break
    case 12: {
      // LOCK: locktype, reclaim, offset, length, locker4
      x.skip(4 + 4 + 8 + 8)
      if (x.bool()) {
        x.skip(4 + STATEID + 4) // open_seqid, open_stateid, lock_seqid
        owner(x)
      } else x.skip(STATEID + 4)
      break
    }
    case 13: // LOCKT
      x.skip(4 + 8 + 8)
      owner(x)
      break
    case 14: // LOCKU
      x.skip(4 + 4 + STATEID + 8 + 8)
      break
    case 15: {
      // LOOKUP
      const n = name()
      if (w.path !== null) w.path.push(n)
      break
    }
    case 17: // NVERIFY
    case 37: // VERIFY
      fattr(x)
      break
    case 18: {
      // OPEN: seqid, share_access, share_deny, owner, openflag4, open_claim4
      x.skip(12)
      owner(x)
      if (x.u32() === 1) {
        const how = x.u32()
        if (how === 0 || how === 1) fattr(x)
        else if (how === 2) x.skip(VERIFIER)
        else if (how === 3) {
          x.skip(VERIFIER)
          fattr(x)
        }
      }
      const claim = x.u32()
      if (claim === 0 || claim === 3) {
        const n = name()
        if (claim === 0 && w.path !== null) w.path.push(n)
      } else if (claim === 1) x.u32()
      else if (claim === 2) {
        x.skip(STATEID)
        name()
      } else if (claim === 5) x.skip(STATEID)
      break
    }
    case 19: // OPENATTR
    case 58: // RECLAIM_COMPLETE
    case 52: // SECINFO_NO_NAME
      x.u32()
      break
    case 20: // OPEN_CONFIRM
      x.skip(STATEID + 4)
      break
    case 21: // OPEN_DOWNGRADE
      x.skip(STATEID + 12)
      break
    case 22: {
      // PUTFH
      const fh = x.opaque(FH4_MAX)
      if (c.fh === undefined) c.fh = hex(fh)
      w.path = null
      break
    }
    case 25: // READ
    case 68: // READ_PLUS
      x.skip(STATEID + 8 + 4)
      break
    case 26: // READDIR
      x.skip(8 + VERIFIER + 8)
      bitmap(x)
      break
    case 28: // REMOVE
    case 33: // SECINFO
      name()
      break
    case 29: {
      // RENAME: oldname, newname
      name()
      const n = x.string(0xffffffff, NAME_KEEP)
      if (main) w.mainNew = n
      break
    }
    case 34: // SETATTR
      x.skip(STATEID)
      fattr(x)
      break
    case 35: // SETCLIENTID: nfs_client_id4, cb_client4, callback_ident
      x.skip(VERIFIER)
      x.skipOpaque()
      x.u32()
      netaddr(x)
      x.u32()
      break
    case 36: // SETCLIENTID_CONFIRM
      x.skip(8 + VERIFIER)
      break
    case 38: // WRITE: stateid, offset, stable, data
      x.skip(STATEID + 8 + 4)
      x.skipOpaque()
      break
    case 39: // RELEASE_LOCKOWNER
      owner(x)
      break
    case 40: // BACKCHANNEL_CTL
      x.u32()
      cbSecParms(x)
      break
    case 41: // BIND_CONN_TO_SESSION
      x.skip(SESSIONID + 8)
      break
    case 42: {
      // EXCHANGE_ID: client_owner4, flags, state_protect4_a, client_impl_id<1>
      x.skip(VERIFIER)
      x.skipOpaque()
      x.u32()
      const how = x.u32()
      if (how === 1) stateProtectOps(x)
      else if (how === 2) {
        stateProtectOps(x)
        for (let k = 0; k < 2; k++) {
          const n = x.u32()
          for (let i = 0; i < n && !x.bad; i++) x.skipOpaque()
        }
        x.skip(8)
      }
      const impl = x.u32()
      for (let i = 0; i < impl && !x.bad; i++) {
        x.skipOpaque()
        x.skipOpaque()
        x.skip(NFSTIME)
      }
      break
    }
    case 43: // CREATE_SESSION
      x.skip(8 + 4 + 4)
      channelAttrs(x)
      channelAttrs(x)
      x.u32()
      cbSecParms(x)
      break
    case 44: // DESTROY_SESSION
      x.skip(SESSIONID)
      break
    case 46: // GET_DIR_DELEGATION
      x.u32()
      bitmap(x)
      x.skip(NFSTIME * 2)
      bitmap(x)
      bitmap(x)
      break
    case 47: // GETDEVICEINFO
      x.skip(DEVICEID + 8)
      bitmap(x)
      break
    case 48: // GETDEVICELIST
      x.skip(8 + 8 + VERIFIER)
      break
    case 49: // LAYOUTCOMMIT
      x.skip(8 + 8 + 4 + STATEID)
      if (x.bool()) x.skip(8)
      if (x.bool()) x.skip(NFSTIME)
      layoutupdate(x)
      break
    case 50: // LAYOUTGET
      x.skip(4 + 4 + 4 + 8 + 8 + 8 + STATEID + 4)
      break
    case 51: // LAYOUTRETURN
      x.skip(12)
      if (x.u32() === 1) {
        x.skip(8 + 8 + STATEID)
        x.skipOpaque()
      }
      break
    case 53: // SEQUENCE
      x.skip(SESSIONID + 16)
      break
    case 54: // SET_SSV
      x.skipOpaque()
      x.skipOpaque()
      break
    case 55: // TEST_STATEID
      x.skipFixedArray(STATEID)
      break
    case 56: {
      // WANT_DELEGATION
      x.u32()
      if (x.u32() === 1) x.u32()
      break
    }
    case 59: // ALLOCATE
    case 62: // DEALLOCATE
      x.skip(STATEID + 16)
      break
    case 60: {
      // COPY
      x.skip(STATEID * 2 + 24 + 8)
      const n = x.u32()
      for (let i = 0; i < n && !x.bad; i++) netloc(x)
      break
    }
    case 61: // COPY_NOTIFY
      x.skip(STATEID)
      netloc(x)
      break
    case 63: // IO_ADVISE
      x.skip(STATEID + 16)
      bitmap(x)
      break
    case 64: // LAYOUTERROR
      x.skip(16 + STATEID)
      x.skipFixedArray(DEVICEID + 8)
      break
    case 65: // LAYOUTSTATS
      x.skip(16 + STATEID + 16 + 16 + DEVICEID)
      layoutupdate(x)
      break
    case 69: // SEEK
      x.skip(STATEID + 12)
      break
    case 70: // WRITE_SAME: stateid, stable, app_data_block4
      x.skip(STATEID + 4 + 8 * 3 + 8 + 4 + 8)
      x.skipOpaque()
      break
    case 71: // CLONE
      x.skip(STATEID * 2 + 24)
      break
    default:
      return false
  }
  if (main) w.sawMain = true
  return true
}

function compound(x: Xdr, c: NfsCall, maxOps: number): void {
  const tag = x.string(0xffffffff, NAME_KEEP)
  if (tag !== '') c.tag = tag
  c.minor = x.u32()
  const n = x.u32()
  if (x.bad) return
  const ops: number[] = []
  c.ops = ops
  const w: Walk = {path: null, sawMain: false}
  let mainOp = -1
  for (let i = 0; i < n; i++) {
    if (ops.length >= maxOps) {
      c.opsLeft = n - i
      break
    }
    const op = x.u32()
    if (x.bad) {
      c.opsLeft = n - i
      break
    }
    ops.push(op)
    if (mainOp < 0 && isMainOp(op)) mainOp = op
    if (!opArgs(x, op, c, w)) {
      c.opsLeft = n - i - 1
      if (c.opsLeft > 0) c.malformed = `unknown operation ${op}: the ${c.opsLeft} after it not decoded`
      break
    }
    if (x.bad) {
      c.opsLeft = n - i - 1
      c.malformed = `${opName(op) ?? op} arguments cut short`
      break
    }
  }
  if (c.opsLeft === 0) delete c.opsLeft
  // Packetbeat's main operation: the first "first class" one, else the last one listed
  const main = mainOp >= 0 ? mainOp : ops.length > 0 ? ops[ops.length - 1]! : -1
  c.opcode = main < 0 ? 'COMPOUND' : (opName(main) ?? 'ILLEGAL')
  const name = w.mainName ?? w.lastName
  if (name !== undefined && name !== '') c.name = name
  if (w.mainNew !== undefined && w.mainNew !== '') c.newName = w.mainNew
  if (w.path !== null && w.path.length > 0) c.path = '/' + w.path.join('/')
}

/** What an event reports of an NFS reply. */
export interface NfsReply {
  status: number
  /** v4: number of operation results (the failing one last when status is not OK). */
  results?: number
  /** v4: opcode of the first result (to name a lone failing op when the call was not decoded). */
  firstOp?: number
}

/** Decodes the start of an NFS reply's results: the status (v4: status, tag, result count). */
export function decodeReply(x: Xdr, vers: number, proc: number, r: NfsReply): boolean {
  r.status = 0
  r.results = undefined
  r.firstOp = undefined
  if (proc === 0) return true // NULL: void result, always OK
  if (vers === 4) {
    r.status = x.u32()
    if (x.bad) return false
    x.skipOpaque() // tag
    const n = x.u32()
    if (x.bad) return true // the status was read; the rest is not needed
    r.results = n
    if (n > 0) {
      const op = x.u32()
      if (!x.bad) r.firstOp = op
    }
    return true
  }
  r.status = x.u32()
  return !x.bad
}
