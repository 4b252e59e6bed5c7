/**
 * The NFS protocol's schema: Packetbeat's nfs and rpc fields (packetbeat/protos/nfs/_meta/fields.yml)
 * plus pbx's nfs.ops, nfs.failed_op, nfs.file_handle, nfs.name, nfs.new_name, nfs.path and
 * nfs.auth_stat. Packetbeat's rpc.time / rpc.call_size / rpc.reply_size are event.duration,
 * source.bytes and destination.bytes here (Packetbeat 8 maps the sizes as aliases of those).
 * Single source for CSV columns and `pbx fields`.
 */
import type {FieldSpec} from '../../event/types.js'

const k = (name: string, description: string): FieldSpec => ({name, type: 'keyword', description})
const l = (name: string, description: string): FieldSpec => ({name, type: 'long', description})

export const fields: FieldSpec[] = [
  k('method', 'The NFS operation (nfs.opcode)'),
  k('resource', 'The path (nfs.path) or else the file name (nfs.name) the call names'),
  l('nfs.version', 'NFS protocol version (2, 3, 4)'),
  l('nfs.minor_version', 'NFSv4 minor version of the COMPOUND (0, 1, 2)'),
  k('nfs.tag', 'NFSv4 COMPOUND tag, when not empty'),
  k('nfs.opcode', 'Procedure name (v2/v3: LOOKUP, READ, ...; RFC 1813 names), or the main operation of a v4 COMPOUND: its first operation that is not handle, attribute or session plumbing (PUTFH, GETATTR, SEQUENCE, LOOKUP, ...), else its last'),
  k('nfs.status', 'NFS status of the reply (NFS_OK, NFSERR_NOENT, ...: one name table for every version); for a COMPOUND, the status of the compound (that of its first failing operation). Absent when the RPC call was not accepted or executed'),
  {name: 'nfs.ops', type: 'keyword', array: true, description: 'Every operation of an NFSv4 COMPOUND call, in order (at most limits.nfsMaxCompoundOps)'},
  k('nfs.failed_op', 'The NFSv4 operation whose failure ended the COMPOUND (the last one executed)'),
  k('nfs.file_handle', 'The file handle of the call, lower-case hex (v2/v3: the first argument; v4: the first PUTFH)'),
  k('nfs.name', 'The file name the call carries (v3 LOOKUP, CREATE, MKDIR, REMOVE, RENAME source, LINK, ...; v4 the main operation\'s, else the last LOOKUP\'s)'),
  k('nfs.new_name', 'RENAME: the new name'),
  k('nfs.path', 'NFSv4: the path a COMPOUND walks from the server\'s root (PUTROOTFH, then LOOKUP / OPEN / CREATE names)'),
  k('nfs.auth_stat', 'The auth_stat of a reply denied with AUTH_ERROR (AUTH_BADCRED, AUTH_TOOWEAK, RPCSEC_GSS_CREDPROBLEM, ...)'),
  k('rpc.xid', 'RPC transaction id (8 hex digits)'),
  k('rpc.status', 'RPC reply status: success, prog_unavail, prog_mismatch, proc_unavail, garbage_args, system_err (accepted), rpc_mismatch, auth_error (denied)'),
  k('rpc.auth_flavor', 'Credential flavor of the call: none, unix (AUTH_SYS), rpcsec_gss, ...'),
  l('rpc.cred.uid', 'AUTH_SYS caller user id'),
  l('rpc.cred.gid', 'AUTH_SYS caller group id'),
  {name: 'rpc.cred.gids', type: 'long', array: true, description: 'AUTH_SYS caller secondary group ids'},
  l('rpc.cred.stamp', 'AUTH_SYS stamp (an arbitrary id the caller generates)'),
  k('rpc.cred.machinename', 'AUTH_SYS caller machine name'),
]
