/**
 * Names of ONC RPC and NFS numbers. Procedure and operation names are the RFCs' (RFC 1094 for v2,
 * RFC 1813 section 3.3 for v3, RFC 7530 / 8881 / 7862 for v4 operations); status names follow
 * Packetbeat's single nfsstat table (NFS_OK, NFSERR_<name>) for every version, so one value means
 * the same thing in v3 and v4 events.
 */

/** RPC program numbers (RFC 5531 appendix / IANA). */
export const PROG_NFS = 100003

export const AUTH_NONE = 0
export const AUTH_SYS = 1
export const RPCSEC_GSS = 6

/** rpc.auth_flavor values (Packetbeat: none, unix, rpcsec_gss; others named after RFC 5531). */
export function authFlavorName(f: number): string {
  switch (f) {
    case 0:
      return 'none'
    case 1:
      return 'unix'
    case 2:
      return 'short'
    case 3:
      return 'dh'
    case 4:
      return 'kerb4'
    case 5:
      return 'rsa'
    case 6:
      return 'rpcsec_gss'
    case 7:
      return 'tls'
    default:
      return `unknown (${f})`
  }
}

/** accept_stat (RFC 5531 section 9): rpc.status of an accepted reply (Packetbeat's names). */
const ACCEPT_STAT = ['success', 'prog_unavail', 'prog_mismatch', 'proc_unavail', 'garbage_args', 'system_err']

export function acceptStatName(s: number): string {
  return ACCEPT_STAT[s] ?? `unknown (${s})`
}

/** reject_stat of a denied reply: rpc.status values rpc_mismatch, auth_error. */
export function rejectStatName(s: number): string {
  return s === 0 ? 'rpc_mismatch' : s === 1 ? 'auth_error' : `unknown (${s})`
}

const AUTH_STAT = [
  'AUTH_OK',
  'AUTH_BADCRED',
  'AUTH_REJECTEDCRED',
  'AUTH_BADVERF',
  'AUTH_REJECTEDVERF',
  'AUTH_TOOWEAK',
  'AUTH_INVALIDRESP',
  'AUTH_FAILED',
  'AUTH_KERB_GENERIC',
  'AUTH_TIMEEXPIRE',
  'AUTH_TKT_FILE',
  'AUTH_DECODE',
  'AUTH_NET_ADDR',
  'RPCSEC_GSS_CREDPROBLEM',
  'RPCSEC_GSS_CTXPROBLEM',
]

/** auth_stat of an AUTH_ERROR reply (RFC 5531 section 9, RFC 2203 section 5.3.3.3). */
export function authStatName(s: number): string {
  return AUTH_STAT[s] ?? `AUTH_${s}`
}

const V2_PROCS = ['NULL', 'GETATTR', 'SETATTR', 'ROOT', 'LOOKUP', 'READLINK', 'READ', 'WRITECACHE', 'WRITE', 'CREATE', 'REMOVE', 'RENAME', 'LINK', 'SYMLINK', 'MKDIR', 'RMDIR', 'READDIR', 'STATFS']

const V3_PROCS = [
  'NULL',
  'GETATTR',
  'SETATTR',
  'LOOKUP',
  'ACCESS',
  'READLINK',
  'READ',
  'WRITE',
  'CREATE',
  'MKDIR',
  'SYMLINK',
  'MKNOD',
  'REMOVE',
  'RMDIR',
  'RENAME',
  'LINK',
  'READDIR',
  'READDIRPLUS',
  'FSSTAT',
  'FSINFO',
  'PATHCONF',
  'COMMIT',
]

/** The procedure name of an NFS v2/v3 call, or of a v4 one (NULL, COMPOUND); ILLEGAL when unknown. */
export function procName(version: number, proc: number): string {
  const t = version === 2 ? V2_PROCS : version === 3 ? V3_PROCS : ['NULL', 'COMPOUND']
  return t[proc] ?? 'ILLEGAL'
}

const V4_OPS = [
  '',
  '',
  '',
  'ACCESS',
  'CLOSE',
  'COMMIT',
  'CREATE',
  'DELEGPURGE',
  'DELEGRETURN',
  'GETATTR',
  'GETFH',
  'LINK',
  'LOCK',
  'LOCKT',
  'LOCKU',
  'LOOKUP',
  'LOOKUPP',
  'NVERIFY',
  'OPEN',
  'OPENATTR',
  'OPEN_CONFIRM',
  'OPEN_DOWNGRADE',
  'PUTFH',
  'PUTPUBFH',
  'PUTROOTFH',
  'READ',
  'READDIR',
  'READLINK',
  'REMOVE',
  'RENAME',
  'RENEW',
  'RESTOREFH',
  'SAVEFH',
  'SECINFO',
  'SETATTR',
  'SETCLIENTID',
  'SETCLIENTID_CONFIRM',
  'VERIFY',
  'WRITE',
  'RELEASE_LOCKOWNER',
  // NFSv4.1 (RFC 8881 section 18)
  'BACKCHANNEL_CTL',
  'BIND_CONN_TO_SESSION',
  'EXCHANGE_ID',
  'CREATE_SESSION',
  'DESTROY_SESSION',
  'FREE_STATEID',
  'GET_DIR_DELEGATION',
  'GETDEVICEINFO',
  'GETDEVICELIST',
  'LAYOUTCOMMIT',
  'LAYOUTGET',
  'LAYOUTRETURN',
  'SECINFO_NO_NAME',
  'SEQUENCE',
  'SET_SSV',
  'TEST_STATEID',
  'WANT_DELEGATION',
  'DESTROY_CLIENTID',
  'RECLAIM_COMPLETE',
  // NFSv4.2 (RFC 7862 section 11.2)
  'ALLOCATE',
  'COPY',
  'COPY_NOTIFY',
  'DEALLOCATE',
  'IO_ADVISE',
  'LAYOUTERROR',
  'LAYOUTSTATS',
  'OFFLOAD_CANCEL',
  'OFFLOAD_STATUS',
  'READ_PLUS',
  'SEEK',
  'WRITE_SAME',
  'CLONE',
]

export const OP_ILLEGAL = 10044

/** An NFSv4 operation name, or undefined for a number no RFC assigns. */
export function opName(op: number): string | undefined {
  if (op === OP_ILLEGAL) return 'ILLEGAL'
  const n = V4_OPS[op]
  return n === undefined || n === '' ? undefined : n
}

/**
 * Operations Packetbeat counts as a compound's main ("first class") operation: nfs.opcode is the
 * first of these in the call, else its last operation. Everything but the handle, attribute, lease
 * and session plumbing (PUTFH, GETATTR, SEQUENCE, LOOKUP, SAVEFH, RENEW, SECINFO, VERIFY, ...).
 */
const PLUMBING = new Set([9, 10, 15, 16, 17, 22, 23, 24, 30, 31, 32, 33, 37, 53])

export function isMainOp(op: number): boolean {
  return !PLUMBING.has(op) && op !== OP_ILLEGAL && opName(op) !== undefined
}

const STATUS = new Map<number, string>([
  [0, 'NFS_OK'],
  [1, 'NFSERR_PERM'],
  [2, 'NFSERR_NOENT'],
  [5, 'NFSERR_IO'],
  [6, 'NFSERR_NXIO'],
  [13, 'NFSERR_ACCESS'],
  [17, 'NFSERR_EXIST'],
  [18, 'NFSERR_XDEV'],
  [19, 'NFSERR_NODEV'],
  [20, 'NFSERR_NOTDIR'],
  [21, 'NFSERR_ISDIR'],
  [22, 'NFSERR_INVAL'],
  [27, 'NFSERR_FBIG'],
  [28, 'NFSERR_NOSPC'],
  [30, 'NFSERR_ROFS'],
  [31, 'NFSERR_MLINK'],
  [63, 'NFSERR_NAMETOOLONG'],
  [66, 'NFSERR_NOTEMPTY'],
  [69, 'NFSERR_DQUOT'],
  [70, 'NFSERR_STALE'],
  [71, 'NFSERR_REMOTE'],
  [99, 'NFSERR_WFLUSH'],
])

const STATUS_10000 = [
  '',
  'BADHANDLE',
  'NOT_SYNC',
  'BAD_COOKIE',
  'NOTSUPP',
  'TOOSMALL',
  'SERVERFAULT',
  'BADTYPE',
  'DELAY',
  'SAME',
  'DENIED',
  'EXPIRED',
  'LOCKED',
  'GRACE',
  'FHEXPIRED',
  'SHARE_DENIED',
  'WRONGSEC',
  'CLID_INUSE',
  'RESOURCE',
  'MOVED',
  'NOFILEHANDLE',
  'MINOR_VERS_MISMATCH',
  'STALE_CLIENTID',
  'STALE_STATEID',
  'OLD_STATEID',
  'BAD_STATEID',
  'BAD_SEQID',
  'NOT_SAME',
  'LOCK_RANGE',
  'SYMLINK',
  'RESTOREFH',
  'LEASE_MOVED',
  'ATTRNOTSUPP',
  'NO_GRACE',
  'RECLAIM_BAD',
  'RECLAIM_CONFLICT',
  'BADXDR',
  'LOCKS_HELD',
  'OPENMODE',
  'BADOWNER',
  'BADCHAR',
  'BADNAME',
  'BAD_RANGE',
  'LOCK_NOTSUPP',
  'OP_ILLEGAL',
  'DEADLOCK',
  'FILE_OPEN',
  'ADMIN_REVOKED',
  'CB_PATH_DOWN',
  'BADIOMODE',
  'BADLAYOUT',
  'BAD_SESSION_DIGEST',
  'BADSESSION',
  'BADSLOT',
  'COMPLETE_ALREADY',
  'CONN_NOT_BOUND_TO_SESSION',
  'DELEG_ALREADY_WANTED',
  'BACK_CHAN_BUSY',
  'LAYOUTTRYLATER',
  'LAYOUTUNAVAILABLE',
  'NOMATCHING_LAYOUT',
  'RECALLCONFLICT',
  'UNKNOWN_LAYOUTTYPE',
  'SEQ_MISORDERED',
  'SEQUENCE_POS',
  'REQ_TOO_BIG',
  'REP_TOO_BIG',
  'REP_TOO_BIG_TO_CACHE',
  'RETRY_UNCACHED_REP',
  'UNSAFE_COMPOUND',
  'TOO_MANY_OPS',
  'OP_NOT_IN_SESSION',
  'HASH_ALG_UNSUPP',
  'CONN_BINDING_NOT_ENFORCED',
  'CLIENTID_BUSY',
  'PNFS_IO_HOLE',
  'SEQ_FALSE_RETRY',
  'BAD_HIGH_SLOT',
  'DEADSESSION',
  'ENCR_ALG_UNSUPP',
  'PNFS_NO_LAYOUT',
  'NOT_ONLY_OP',
  'WRONG_CRED',
  'WRONG_TYPE',
  'DIRDELEG_UNAVAIL',
  'REJECT_DELEG',
  'RETURNCONFLICT',
  'DELEG_REVOKED',
  // RFC 7862 section 11.1
  'PARTNER_NOTSUPP',
  'PARTNER_NO_AUTH',
  'UNION_NOTSUPP',
  'OFFLOAD_DENIED',
  'WRONG_LFS',
  'BADLABEL',
  'OFFLOAD_NO_REQS',
]

/** nfs.status: the name of an nfsstat2/nfsstat3/nfsstat4 value (NFSERR_<number> when unassigned). */
export function statusName(s: number): string {
  const n = STATUS.get(s)
  if (n !== undefined) return n
  if (s > 10000 && s < 10000 + STATUS_10000.length) return `NFSERR_${STATUS_10000[s - 10000]}`
  return `NFSERR_${s}`
}
