/**
 * Makes samples/nfs/nfs.pcap: ONC RPC / NFS traffic between a small NFS server and client written
 * here (Node sockets on 127.0.0.1, TCP and UDP port 2049), captured with tcpdump -i lo. The kernel
 * NFS server cannot run in the sandbox the samples are made in (no nfsd filesystem, no nfs client
 * filesystem), so this is a protocol-level generator: real sockets and real segmentation, with
 * messages encoded from the RFCs' XDR (./nfs-wire.ts) and a scripted server that answers each xid
 * with its prepared reply. Needs root (ports 2049 and the client's privileged ports 800/801, as
 * Linux NFS clients use) and tcpdump.
 *
 *   TCP 800 -> 2049: NFSv3 NULL, LOOKUP (found / NFSERR_NOENT, pipelined and answered in reverse
 *     order), CREATE, WRITE of 3000 bytes sent in 1 KiB record fragments, READ, RENAME, REMOVE,
 *     MKDIR (NFSERR_EXIST), a call denied with AUTH_ERROR (AUTH_TOOWEAK), a PROG_MISMATCH for
 *     version 5; NFSv4.1 EXCHANGE_ID, CREATE_SESSION, a LOOKUP walk from PUTROOTFH, OPEN (create),
 *     WRITE, CLOSE, NFSv4.2 CLONE (NFSERR_NOTSUPP), RECLAIM_COMPLETE.
 *   UDP 801 -> 2049: NFSv3 GETATTR, LOOKUP, a FSINFO the server drops once (the client retransmits
 *     the same xid), ACCESS.
 *
 * Usage: npx tsx scripts/samples/make-nfs.ts [out.pcap]   (then `npm run golden:update` and review
 * samples/nfs/nfs.ndjson).
 */
import {type ChildProcess, spawn} from 'node:child_process'
import dgram from 'node:dgram'
import {mkdirSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {
  authNone,
  authSys,
  call,
  cat,
  compound,
  compoundRes,
  denied,
  diropargs,
  fh,
  noWcc,
  op,
  opaque,
  record,
  reply,
  u32,
  u64,
} from './nfs-wire.js'

const NFS = 100003
const out = process.argv[2] ?? 'samples/nfs/nfs.pcap'
const cred = authSys({stamp: 0x5f3a1c, machine: 'pbx-client', uid: 1000, gid: 1000, gids: [1000, 27, 100]})
const rootCred = authSys({stamp: 0x5f3a1d, machine: 'pbx-client', uid: 0, gid: 0, gids: []})
/** SEQUENCE4resok: sessionid, sequenceid, slotid, highest_slotid, target_highest_slotid, status_flags. */
const SEQ_OK = Buffer.alloc(36)
/** GETATTR4resok: a fattr4 with type (regular file) and size. */
const GETATTR_OK = cat(u32(1), u32(0x12), opaque(cat(u32(1), u64(4096))))
const okAttr = () => cat(u32(1), Buffer.alloc(84)) // post_op_attr with a fattr3 of zeros

interface Exchange {
  call: Buffer
  reply: Buffer | null
  /** TCP record fragment size for the call. */
  frag?: number
  /** Calls sent together with the next one (pipelined); replies to a group go out in reverse. */
  group?: boolean
}

const tcp: Exchange[] = [
  {call: call(0x1001, NFS, 3, 0, authNone()), reply: reply(0x1001)},
  {call: call(0x1002, NFS, 3, 3, cred, diropargs(1, 'docs')), reply: reply(0x1002, cat(u32(0), fh(2), okAttr(), okAttr())), group: true},
  {call: call(0x1003, NFS, 3, 3, cred, diropargs(1, 'missing.txt')), reply: reply(0x1003, cat(u32(2), okAttr()))},
  {call: call(0x1004, NFS, 3, 8, cred, cat(diropargs(2, 'report.txt'), u32(0), u32(1), u32(0o644), u32(0), u32(0), u32(0), u32(0), u32(0))), reply: reply(0x1004, cat(u32(0), u32(1), fh(3), okAttr(), noWcc()))},
  {call: call(0x1005, NFS, 3, 7, cred, cat(fh(3), u64(0), u32(3000), u32(2), opaque(Buffer.alloc(3000, 0x6e)))), reply: reply(0x1005, cat(u32(0), noWcc(), u32(3000), u32(2), Buffer.alloc(8, 0x77))), frag: 1024},
  {call: call(0x1006, NFS, 3, 6, cred, cat(fh(3), u64(0), u32(3000))), reply: reply(0x1006, cat(u32(0), okAttr(), u32(3000), u32(1), opaque(Buffer.alloc(3000, 0x6e))))},
  {call: call(0x1007, NFS, 3, 14, cred, cat(diropargs(2, 'report.txt'), diropargs(2, 'report-final.txt'))), reply: reply(0x1007, cat(u32(0), noWcc(), noWcc()))},
  {call: call(0x1008, NFS, 3, 12, cred, diropargs(2, 'report-final.txt')), reply: reply(0x1008, cat(u32(0), noWcc()))},
  {call: call(0x1009, NFS, 3, 9, cred, cat(diropargs(1, 'docs'), u32(1), u32(0o755), u32(0), u32(0), u32(0), u32(0), u32(0))), reply: reply(0x1009, cat(u32(17), noWcc()))},
  {call: call(0x100a, NFS, 3, 1, authNone(), fh(1)), reply: denied(0x100a, 5)},
  {call: call(0x100b, NFS, 5, 0, authNone()), reply: reply(0x100b, cat(u32(2), u32(4)), 2)},
  // NFSv4.1 session, then work
  {call: call(0x2001, NFS, 4, 1, rootCred, compound('', 1, op.exchangeId())), reply: reply(0x2001, compoundRes(0, '', [42, 0, Buffer.alloc(40)]))},
  {call: call(0x2002, NFS, 4, 1, rootCred, compound('', 1, op.createSession())), reply: reply(0x2002, compoundRes(0, '', [43, 0, Buffer.alloc(80)]))},
  {call: call(0x2003, NFS, 4, 1, rootCred, compound('', 1, op.sequence(), op.reclaimComplete())), reply: reply(0x2003, compoundRes(0, '', [53, 0, SEQ_OK], [58, 0]))},
  {
    call: call(0x2004, NFS, 4, 1, cred, compound('lookup', 1, op.sequence(), op.putrootfh(), op.lookup('export'), op.lookup('docs'), op.getfh(), op.getattr())),
    reply: reply(0x2004, compoundRes(0, 'lookup', [53, 0, SEQ_OK], [24, 0], [15, 0], [15, 0], [10, 0, fh(4)], [9, 0, GETATTR_OK])),
  },
  {
    call: call(0x2005, NFS, 4, 1, cred, compound('open', 1, op.sequence(1), op.putfh(4), op.openCreate('notes.md'), op.getfh(), op.getattr())),
    reply: reply(0x2005, compoundRes(0, 'open', [53, 0, SEQ_OK], [22, 0], [18, 0, Buffer.alloc(48)], [10, 0, fh(5)], [9, 0, GETATTR_OK])),
    group: true,
  },
  {call: call(0x2006, NFS, 4, 1, cred, compound('', 1, op.sequence(2), op.putfh(5), op.write(Buffer.from('# notes\n'.repeat(64))), op.getattr())), reply: reply(0x2006, compoundRes(0, '', [53, 0, SEQ_OK], [22, 0], [38, 0, Buffer.alloc(16)], [9, 0, GETATTR_OK]))},
  {call: call(0x2007, NFS, 4, 1, cred, compound('close', 1, op.sequence(), op.putfh(5), op.close(), op.getattr())), reply: reply(0x2007, compoundRes(0, 'close', [53, 0, SEQ_OK], [22, 0], [4, 0, Buffer.alloc(16)], [9, 0, GETATTR_OK]))},
  {call: call(0x2008, NFS, 4, 1, cred, compound('', 2, op.sequence(), op.putfh(5), op.savefh(), op.putfh(6), op.clone(), op.getattr())), reply: reply(0x2008, compoundRes(10004, '', [53, 0, SEQ_OK], [22, 0], [32, 0], [22, 0], [71, 10004]))},
  {call: call(0x2009, NFS, 4, 1, cred, compound('', 1, op.sequence(), op.putfh(4), op.remove('gone.txt'))), reply: reply(0x2009, compoundRes(2, '', [53, 0, SEQ_OK], [22, 0], [28, 2]))},
]

const udp: Exchange[] = [
  {call: call(0x3001, NFS, 3, 1, cred, fh(1)), reply: reply(0x3001, cat(u32(0), Buffer.alloc(84)))},
  {call: call(0x3002, NFS, 3, 3, cred, diropargs(1, 'docs')), reply: reply(0x3002, cat(u32(0), fh(2), okAttr(), okAttr()))},
  {call: call(0x3003, NFS, 3, 19, cred, fh(1)), reply: reply(0x3003, cat(u32(0), okAttr(), Buffer.alloc(48)))},
  {call: call(0x3004, NFS, 3, 4, cred, cat(fh(2), u32(0x1f))), reply: reply(0x3004, cat(u32(0), okAttr(), u32(0x1f)))},
]

const xidOf = (b: Buffer) => b.readUInt32BE(0)

async function tcpdump(file: string): Promise<ChildProcess> {
  const p = spawn('tcpdump', ['-i', 'lo', '-w', file, '-U', '-s', '0', 'host 127.0.0.1 and port 2049'], {stdio: ['ignore', 'ignore', 'pipe']})
  await new Promise<void>((resolve, reject) => {
    p.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening on')) resolve()
    })
    p.on('exit', (c) => reject(new Error(`tcpdump exited with ${c}`)))
  })
  return p
}

/** The scripted server: answers each call record with its exchange's reply, a group in reverse order. */
function tcpServer(): Promise<net.Server> {
  const byXid = new Map(tcp.map((e) => [xidOf(e.call), e]))
  const srv = net.createServer((s) => {
    let buf = Buffer.alloc(0)
    let held: Buffer[] = []
    let msg: Buffer[] = []
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 4) {
        const h = buf.readUInt32BE(0)
        const len = h & 0x7fffffff
        if (buf.length < 4 + len) break
        msg.push(buf.subarray(4, 4 + len))
        buf = buf.subarray(4 + len)
        if (h >>> 31 === 0) continue
        const e = byXid.get(xidOf(Buffer.concat(msg)))
        msg = []
        if (e?.reply == null) continue
        held.push(record(e.reply))
        if (e.group) continue
        s.write(Buffer.concat(held.reverse()))
        held = []
      }
    })
  })
  return new Promise((resolve) => srv.listen(2049, '127.0.0.1', () => resolve(srv)))
}

async function tcpClient(): Promise<void> {
  const s = net.connect({host: '127.0.0.1', port: 2049, localAddress: '127.0.0.1', localPort: 800})
  s.setNoDelay(true)
  await new Promise<void>((r) => s.once('connect', () => r()))
  let answered = 0
  let rbuf = Buffer.alloc(0)
  s.on('data', (d) => {
    rbuf = Buffer.concat([rbuf, d])
    while (rbuf.length >= 4 && rbuf.length >= 4 + (rbuf.readUInt32BE(0) & 0x7fffffff)) {
      rbuf = rbuf.subarray(4 + (rbuf.readUInt32BE(0) & 0x7fffffff))
      answered++
    }
  })
  let pending: Buffer[] = []
  let want = 0
  for (const e of tcp) {
    pending.push(record(e.call, e.frag))
    want++
    if (e.group) continue
    if (e.frag !== undefined) {
      // the fragments of a large call in separate segments
      const rec = pending.pop()!
      if (pending.length > 0) s.write(Buffer.concat(pending))
      for (let off = 0; off < rec.length; off += e.frag + 4) {
        s.write(rec.subarray(off, off + e.frag + 4))
        await sleep(5)
      }
    } else s.write(Buffer.concat(pending))
    pending = []
    while (answered < want) await sleep(2)
    await sleep(10)
  }
  s.end()
  await new Promise<void>((r) => s.once('close', () => r()))
}

async function udpRun(): Promise<void> {
  const srv = dgram.createSocket('udp4')
  const byXid = new Map(udp.map((e) => [xidOf(e.call), e]))
  let dropped = false
  srv.on('message', (m, rinfo) => {
    const x = xidOf(m)
    if (x === 0x3003 && !dropped) {
      dropped = true // lost: the client retransmits
      return
    }
    const e = byXid.get(x)
    if (e?.reply) srv.send(e.reply, rinfo.port, rinfo.address)
  })
  await new Promise<void>((r) => srv.bind(2049, '127.0.0.1', () => r()))
  const cli = dgram.createSocket('udp4')
  await new Promise<void>((r) => cli.bind(801, '127.0.0.1', () => r()))
  for (const e of udp) {
    let got = false
    const onMsg = (m: Buffer) => {
      if (xidOf(m) === xidOf(e.call)) got = true
    }
    cli.on('message', onMsg)
    for (let attempt = 0; !got && attempt < 3; attempt++) {
      cli.send(e.call, 2049, '127.0.0.1')
      for (let i = 0; i < 50 && !got; i++) await sleep(4)
    }
    cli.off('message', onMsg)
    if (!got) throw new Error(`no UDP reply to xid ${xidOf(e.call).toString(16)}`)
    await sleep(10)
  }
  cli.close()
  srv.close()
}

async function main(): Promise<void> {
  mkdirSync(path.dirname(out), {recursive: true})
  const dump = await tcpdump(out)
  const srv = await tcpServer()
  try {
    await sleep(200)
    await tcpClient()
    await udpRun()
    await sleep(300)
  } finally {
    srv.close()
    dump.kill('SIGINT')
  }
  await new Promise<void>((r) => dump.once('exit', () => r()))
  console.log(`wrote ${out}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
