/**
 * An ONC RPC / NFS encoder (RFC 5531, RFC 1813, RFC 7530 / 8881 / 7862) for the NFS sample
 * generator (./make-nfs.ts) and the unit tests: XDR primitives, RPC call and reply headers, TCP
 * record marking, NFSv3 arguments and NFSv4 COMPOUND operations. Written from the RFCs' XDR.
 */
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}
export const u64 = (n: number): Buffer => Buffer.concat([u32(Math.floor(n / 2 ** 32)), u32(n % 2 ** 32)])
export const opaque = (b: Buffer | string): Buffer => {
  const v = typeof b === 'string' ? Buffer.from(b) : b
  return Buffer.concat([u32(v.length), v, Buffer.alloc((4 - (v.length % 4)) % 4)])
}
export const fixed = (n: number, fill = 0): Buffer => Buffer.alloc(n, fill)
export const cat = (...b: Buffer[]): Buffer => Buffer.concat(b)

export interface AuthSys {
  stamp: number
  machine: string
  uid: number
  gid: number
  gids: number[]
}

export function authSys(a: AuthSys): Buffer {
  return cat(u32(1), opaque(cat(u32(a.stamp), opaque(a.machine), u32(a.uid), u32(a.gid), u32(a.gids.length), ...a.gids.map(u32))))
}
export const authNone = (): Buffer => cat(u32(0), u32(0))

/** An RPC call: xid, CALL, rpcvers 2, program, version, procedure, credential, AUTH_NONE verifier, args. */
export function call(xid: number, prog: number, vers: number, proc: number, cred: Buffer, args: Buffer = Buffer.alloc(0)): Buffer {
  return cat(u32(xid), u32(0), u32(2), u32(prog), u32(vers), u32(proc), cred, authNone(), args)
}

/** An accepted reply with accept_stat `stat` (0 SUCCESS: `results` follow; 2 PROG_MISMATCH: low, high). */
export function reply(xid: number, results: Buffer = Buffer.alloc(0), stat = 0): Buffer {
  return cat(u32(xid), u32(1), u32(0), authNone(), u32(stat), results)
}

/** A denied reply: AUTH_ERROR with auth_stat `authStat`, or RPC_MISMATCH (2..2) when undefined. */
export function denied(xid: number, authStat?: number): Buffer {
  return authStat === undefined ? cat(u32(xid), u32(1), u32(1), u32(0), u32(2), u32(2)) : cat(u32(xid), u32(1), u32(1), u32(1), u32(authStat))
}

/** TCP record marking: the message in fragments of at most `frag` bytes, the last one flagged. */
export function record(msg: Buffer, frag = msg.length): Buffer {
  const parts: Buffer[] = []
  for (let off = 0; off < msg.length || parts.length === 0; off += frag) {
    const piece = msg.subarray(off, Math.min(msg.length, off + frag))
    const last = off + frag >= msg.length
    parts.push(u32((last ? 0x80000000 : 0) | piece.length), piece)
  }
  return cat(...parts)
}

// --- NFSv3 -----------------------------------------------------------------------------------------
export const fh = (id: number): Buffer => opaque(cat(u32(0x01000701), u32(id), fixed(8, id & 0xff)))
export const diropargs = (dir: number, name: string): Buffer => cat(fh(dir), opaque(name))
/** A post_op_attr that is absent, a wcc_data with nothing in it. */
export const noAttr = (): Buffer => u32(0)
export const noWcc = (): Buffer => cat(u32(0), u32(0))

// --- NFSv4 -----------------------------------------------------------------------------------------
export const stateid = (n: number): Buffer => cat(u32(n), fixed(12, n & 0xff))
export const bitmap = (...w: number[]): Buffer => cat(u32(w.length), ...w.map(u32))
export const fattr = (): Buffer => cat(bitmap(0x10, 0), opaque(u64(4096)))
export const op = {
  sequence: (slot = 0): Buffer => cat(u32(53), fixed(16, 0x5e), u32(1), u32(slot), u32(0), u32(0)),
  putrootfh: (): Buffer => u32(24),
  putfh: (id: number): Buffer => cat(u32(22), fh(id)),
  lookup: (name: string): Buffer => cat(u32(15), opaque(name)),
  getfh: (): Buffer => u32(10),
  getattr: (): Buffer => cat(u32(9), bitmap(0x0010011a, 0x00b0a23a)),
  access: (): Buffer => cat(u32(3), u32(0x3f)),
  savefh: (): Buffer => u32(32),
  readdir: (): Buffer => cat(u32(26), u64(0), fixed(8), u32(8192), u32(32768), bitmap(0x18091a, 0x00b0a23a)),
  /** OPEN with CREATE (UNCHECKED4 + attributes) and CLAIM_NULL name. */
  openCreate: (name: string): Buffer => cat(u32(18), u32(0), u32(2), u32(0), u64(7), opaque('open id'), u32(1), u32(0), fattr(), u32(0), opaque(name)),
  write: (data: Buffer): Buffer => cat(u32(38), stateid(1), u64(0), u32(2), opaque(data)),
  close: (): Buffer => cat(u32(4), u32(0), stateid(1)),
  remove: (name: string): Buffer => cat(u32(28), opaque(name)),
  rename: (from: string, to: string): Buffer => cat(u32(29), opaque(from), opaque(to)),
  exchangeId: (): Buffer => cat(u32(42), fixed(8, 1), opaque('Linux NFSv4.2 pbx'), u32(0x101), u32(0), u32(1), opaque('kernel.org'), opaque('Linux 6.1'), u64(0), u32(0)),
  createSession: (): Buffer => {
    const ch = cat(u32(0), u32(1048576), u32(1048576), u32(4096), u32(8), u32(64), u32(0))
    return cat(u32(43), u64(7), u32(1), u32(3), ch, ch, u32(0x40000000), u32(1), u32(1), u32(0), opaque('pbx'), u32(0), u32(0), u32(0))
  },
  clone: (): Buffer => cat(u32(71), stateid(1), stateid(2), u64(0), u64(0), u64(0)),
  reclaimComplete: (): Buffer => cat(u32(58), u32(0)),
}

/** A COMPOUND4args: tag, minor version, operations. */
export const compound = (tag: string, minor: number, ...ops: Buffer[]): Buffer => cat(opaque(tag), u32(minor), u32(ops.length), ...ops)

/** A COMPOUND4res: status, tag, then results (each opcode, status, and the result body given). */
export const compoundRes = (status: number, tag: string, ...res: [number, number, Buffer?][]): Buffer =>
  cat(u32(status), opaque(tag), u32(res.length), ...res.map(([o, s, b]) => cat(u32(o), u32(s), b ?? Buffer.alloc(0))))
