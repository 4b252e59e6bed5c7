import {describe, expect, it} from 'vitest'
import {ProtocolChooser} from '../../../src/dispatch/chooser.js'
import type {Transaction} from '../../../src/event/types.js'
import {detectTcp, detectUdp, protocol} from '../../../src/protocols/nfs/index.js'
import type {Moment} from '../../../src/reassembly/types.js'
import {
  authSys,
  call,
  cat,
  compound,
  compoundRes,
  denied,
  diropargs,
  fh,
  noAttr,
  noWcc,
  op,
  opaque,
  record,
  reply,
  u32,
  u64,
} from '../../../scripts/samples/nfs-wire.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'

const NFS = 100003
const cred = authSys({stamp: 77, machine: 'client1', uid: 1000, gid: 100, gids: [100, 27]})

const lookupCall = (xid: number, name: string) => call(xid, NFS, 3, 3, cred, diropargs(1, name))
const lookupOk = (xid: number) => reply(xid, cat(u32(0), fh(9), noAttr(), noAttr()))
const lookupNoent = (xid: number) => reply(xid, cat(u32(2), noAttr()))

function runTcp(steps: Step[], cuts?: (len: number) => number[], limits = {}) {
  const c = collector(limits)
  drive(protocol.tcp!.create(fakeConn('tcp', 2049), c.ctx), steps, cuts)
  return c
}

function runUdp(msgs: [0 | 1, Buffer, number][], limits = {}) {
  const c = collector(limits)
  const h = protocol.udp!.create(fakeConn('udp', 2049), c.ctx)
  const at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  for (const [dir, b, t] of msgs) {
    at.frame++
    at.tsSec = Math.floor(t)
    at.tsNsec = Math.round((t - Math.floor(t)) * 1e9)
    h.datagram(dir, Buffer.from(b), at)
  }
  h.end(at)
  return c
}

const f = (t: Transaction) => t.fields as {rpc: Record<string, unknown>; nfs?: Record<string, unknown>}

/** Every step cut at every offset in turn gives the same transactions as the whole steps. */
function everyOffset(steps: Step[]) {
  const whole = comparable(runTcp(steps).out)
  const longest = Math.max(...steps.map((s) => s.bytes.length))
  for (let k = 1; k < longest; k++) {
    expect(comparable(runTcp(steps, (len) => (k < len ? [k] : [])).out), `cut at ${k}`).toEqual(whole)
  }
  // and one byte at a time
  expect(comparable(runTcp(steps, (len) => Array.from({length: len - 1}, (_, i) => i + 1)).out)).toEqual(whole)
  return whole
}

describe('nfs over TCP', () => {
  const v3: Step[] = [
    {dir: 0, bytes: record(lookupCall(0x10, 'notes.txt')), t: 1},
    {dir: 1, bytes: record(lookupNoent(0x10)), t: 1.25},
  ]

  it('pairs an NFSv3 LOOKUP with its reply: procedure, name, file handle, credential, status', () => {
    const {out} = runTcp(v3)
    expect(out).toHaveLength(1)
    const t = out[0]!
    expect(t.status).toBe('Error')
    expect(t.method).toBe('LOOKUP')
    expect(t.resource).toBe('notes.txt')
    expect(f(t).rpc).toEqual({xid: '00000010', auth_flavor: 'unix', cred: {uid: 1000, gid: 100, gids: [100, 27], stamp: 77, machinename: 'client1'}, status: 'success'})
    expect(f(t).nfs).toEqual({version: 3, opcode: 'LOOKUP', file_handle: '01000701000000010101010101010101', name: 'notes.txt', status: 'NFSERR_NOENT'})
    expect(t.requestBytes).toBe(v3[0]!.bytes.length)
    expect(t.responseBytes).toBe(v3[1]!.bytes.length)
    expect(t.endSec - t.startSec + (t.endNsec - t.startNsec) / 1e9).toBeCloseTo(0.25)
  })

  it('gives the same transactions whatever the segmentation', () => {
    const steps: Step[] = [
      // two calls in one segment, the replies in one segment, in the other order
      {dir: 0, bytes: cat(record(lookupCall(1, 'a')), record(call(2, NFS, 3, 14, cred, cat(diropargs(1, 'old'), diropargs(2, 'new'))))), t: 1},
      {dir: 1, bytes: cat(record(reply(2, cat(u32(0), noWcc(), noWcc()))), record(lookupOk(1))), t: 2},
    ]
    const whole = everyOffset(steps)
    expect(whole).toHaveLength(2)
  })

  it('assembles records of several fragments, split anywhere', () => {
    const big = call(5, NFS, 3, 7, cred, cat(fh(3), u64(0), u32(300), u32(2), opaque(Buffer.alloc(300, 0x61))))
    const steps: Step[] = [
      {dir: 0, bytes: record(big, 64), t: 1},
      {dir: 1, bytes: record(reply(5, cat(u32(0), noWcc(), u32(300), u32(2), Buffer.alloc(8))), 9), t: 1.5},
    ]
    const whole = everyOffset(steps)
    expect(whole).toHaveLength(1)
    const t = runTcp(steps).out[0]!
    expect(f(t).nfs).toMatchObject({opcode: 'WRITE', status: 'NFS_OK', file_handle: '01000701000000030303030303030303'})
    expect(t.requestBytes).toBe(steps[0]!.bytes.length) // fragment headers counted
    expect(t.notes).toBeUndefined()
  })

  it('matches replies by xid whatever their order', () => {
    const steps: Step[] = [
      {dir: 0, bytes: cat(record(lookupCall(0xa, 'one')), record(lookupCall(0xb, 'two')), record(lookupCall(0xc, 'three'))), t: 1},
      {dir: 1, bytes: record(lookupOk(0xc)), t: 2},
      {dir: 1, bytes: cat(record(lookupNoent(0xa)), record(lookupOk(0xb))), t: 3},
    ]
    const out = runTcp(steps).out
    expect(out.map((t) => [f(t).rpc.xid, f(t).nfs?.name, f(t).nfs?.status])).toEqual([
      ['0000000c', 'three', 'NFS_OK'],
      ['0000000a', 'one', 'NFSERR_NOENT'],
      ['0000000b', 'two', 'NFS_OK'],
    ])
    expect(out.map((t) => t.notes)).toEqual([undefined, undefined, undefined])
  })

  it('walks an NFSv4.1 COMPOUND: every operation, the path from the root, the main operation', () => {
    const steps: Step[] = [
      {dir: 0, bytes: record(call(7, NFS, 4, 1, cred, compound('lookup', 1, op.sequence(), op.putrootfh(), op.lookup('export'), op.lookup('docs'), op.getfh(), op.getattr()))), t: 1},
      {dir: 1, bytes: record(reply(7, compoundRes(0, 'lookup', [53, 0, Buffer.alloc(40)], [24, 0], [15, 0], [15, 0], [10, 0, fh(4)], [9, 0, Buffer.alloc(12)]))), t: 1.1},
      {dir: 0, bytes: record(call(8, NFS, 4, 1, cred, compound('', 1, op.sequence(), op.putfh(4), op.openCreate('new.txt'), op.getfh(), op.getattr()))), t: 2},
      {dir: 1, bytes: record(reply(8, compoundRes(0, '', [53, 0, Buffer.alloc(40)], [22, 0], [18, 0, Buffer.alloc(64)]))), t: 2.1},
    ]
    everyOffset(steps)
    const [a, b] = runTcp(steps).out
    expect(f(a!).nfs).toEqual({
      version: 4,
      minor_version: 1,
      tag: 'lookup',
      opcode: 'GETATTR',
      ops: ['SEQUENCE', 'PUTROOTFH', 'LOOKUP', 'LOOKUP', 'GETFH', 'GETATTR'],
      name: 'docs',
      path: '/export/docs',
      status: 'NFS_OK',
    })
    expect(a!.resource).toBe('/export/docs')
    expect(f(b!).nfs).toEqual({version: 4, minor_version: 1, opcode: 'OPEN', ops: ['SEQUENCE', 'PUTFH', 'OPEN', 'GETFH', 'GETATTR'], file_handle: '01000701000000040404040404040404', name: 'new.txt', status: 'NFS_OK'})
    expect(b!.status).toBe('OK')
  })

  it('names the operation that failed a COMPOUND (NFSv4.2 CLONE not supported)', () => {
    const steps: Step[] = [
      {dir: 0, bytes: record(call(9, NFS, 4, 1, cred, compound('', 2, op.sequence(), op.putfh(1), op.savefh(), op.putfh(2), op.clone(), op.getattr()))), t: 1},
      {dir: 1, bytes: record(reply(9, compoundRes(10004, '', [53, 0, Buffer.alloc(40)], [22, 0], [32, 0], [22, 0], [71, 10004]))), t: 1.1},
    ]
    const t = runTcp(steps).out[0]!
    expect(t.status).toBe('Error')
    expect(f(t).nfs).toMatchObject({minor_version: 2, opcode: 'CLONE', status: 'NFSERR_NOTSUPP', failed_op: 'CLONE'})
    expect(f(t).nfs?.ops).toEqual(['SEQUENCE', 'PUTFH', 'SAVEFH', 'PUTFH', 'CLONE', 'GETATTR'])
  })

  it('decodes the session setup of NFSv4.1 (EXCHANGE_ID, CREATE_SESSION) and RENAME names', () => {
    const steps: Step[] = [
      {dir: 0, bytes: record(call(1, NFS, 4, 1, cred, compound('', 1, op.exchangeId()))), t: 1},
      {dir: 0, bytes: record(call(2, NFS, 4, 1, cred, compound('', 1, op.createSession()))), t: 1},
      {dir: 0, bytes: record(call(3, NFS, 4, 1, cred, compound('', 1, op.sequence(), op.putfh(1), op.savefh(), op.putfh(1), op.rename('a.txt', 'b.txt'), op.reclaimComplete()))), t: 1},
      {dir: 1, bytes: cat(record(reply(1, compoundRes(0, '', [42, 0]))), record(reply(2, compoundRes(0, '', [43, 0]))), record(reply(3, compoundRes(0, '', [53, 0])))), t: 2},
    ]
    const out = runTcp(steps).out
    expect(out.map((t) => f(t).nfs?.opcode)).toEqual(['EXCHANGE_ID', 'CREATE_SESSION', 'RENAME'])
    expect(f(out[2]!).nfs).toMatchObject({name: 'a.txt', new_name: 'b.txt', ops: ['SEQUENCE', 'PUTFH', 'SAVEFH', 'PUTFH', 'RENAME', 'RECLAIM_COMPLETE']})
    expect(out.every((t) => t.notes === undefined)).toBe(true)
  })

  it('reports denied and unaccepted replies with status Error', () => {
    const steps: Step[] = [
      {dir: 0, bytes: cat(record(lookupCall(1, 'x')), record(lookupCall(2, 'y')), record(call(3, NFS, 5, 1, cred))), t: 1},
      {dir: 1, bytes: cat(record(denied(1, 5)), record(denied(2)), record(reply(3, cat(u32(3), u32(4)), 2))), t: 2},
    ]
    const out = runTcp(steps).out
    expect(out.map((t) => [t.status, f(t).rpc.status, f(t).nfs?.auth_stat, f(t).nfs?.status])).toEqual([
      ['Error', 'auth_error', 'AUTH_TOOWEAK', undefined],
      ['Error', 'rpc_mismatch', undefined, undefined],
      ['Error', 'prog_mismatch', undefined, undefined],
    ])
  })

  it('emits calls without a reply at the end, and replies without a call, with notes', () => {
    const out = runTcp([
      {dir: 1, bytes: record(lookupOk(0x99)), t: 1},
      {dir: 0, bytes: record(lookupCall(0x42, 'lost')), t: 2},
    ]).out
    expect(out.map((t) => [f(t).rpc.xid, t.status, t.anomalies])).toEqual([
      ['00000099', 'OK', ['nfs.unmatched_response']],
      ['00000042', 'Error', ['nfs.no_response']],
    ])
    expect(f(out[1]!).nfs?.name).toBe('lost')
  })

  it('resynchronises after a gap and after bytes that are not RPC', () => {
    const c = collector()
    const h = protocol.tcp!.create(fakeConn('tcp', 2049), c.ctx)
    const at: Moment = {frame: 1, tsSec: 1, tsNsec: 0}
    const first = record(lookupCall(1, 'first'))
    h.data(0, first.subarray(0, 30), at)
    h.gap(0, 100, at)
    h.data(0, cat(first.subarray(60), Buffer.from('garbage that is not rpc at all'), record(lookupCall(2, 'second'))), at)
    h.data(1, cat(record(lookupOk(2))), at)
    h.data(0, cat(u32(0x80000003), Buffer.from('abc'), record(lookupCall(3, 'third'))), at)
    h.data(1, record(lookupOk(3)), at)
    h.end('fin', at)
    expect(c.out.map((t) => f(t).nfs?.name)).toEqual(['second', 'third'])
    expect(c.out[0]!.anomalies).toEqual(expect.arrayContaining(['tcp.gap', 'nfs.not_rpc']))
    expect(c.out[1]!.anomalies).toEqual(['nfs.not_rpc'])
  })

  it('decodes the head of a record larger than limits.maxMessageBytes and notes the cut', () => {
    const big = call(5, NFS, 3, 7, cred, cat(fh(3), u64(0), u32(5000), u32(2), opaque(Buffer.alloc(5000, 0x61))))
    const out = runTcp(
      [
        {dir: 0, bytes: record(big, 1000), t: 1},
        {dir: 1, bytes: record(reply(5, cat(u32(0), noWcc(), u32(5000), u32(2), Buffer.alloc(8)))), t: 2},
      ],
      (len) => [100, 1500, len - 3].filter((k) => k < len),
      {maxMessageBytes: 512},
    ).out
    expect(out).toHaveLength(1)
    expect(f(out[0]!).nfs).toMatchObject({opcode: 'WRITE', status: 'NFS_OK'})
    expect(out[0]!.anomalies).toEqual(['limit.message_bytes'])
  })

  it('survives lengths near 2^32 in names, handles and tags (reports the call as malformed)', () => {
    const huge = cat(u32(0xfffffffd), Buffer.from('abcd'))
    const out = runTcp([
      {dir: 0, bytes: cat(record(call(1, NFS, 3, 3, cred, cat(fh(1), huge))), record(call(2, NFS, 4, 1, cred, huge)), record(call(3, NFS, 3, 1, cred, huge))), t: 1},
      {dir: 1, bytes: cat(record(lookupOk(1)), record(reply(2, huge)), record(reply(3, u32(0)))), t: 2},
    ]).out
    expect(out.map((t) => [f(t).nfs?.opcode, t.anomalies?.[0]])).toEqual([
      ['LOOKUP', 'nfs.malformed'],
      ['COMPOUND', 'nfs.malformed'],
      ['GETATTR', 'nfs.malformed'],
    ])
  })

  it('lists at most limits.nfsMaxCompoundOps operations', () => {
    const ops = Array.from({length: 10}, () => op.getattr())
    const out = runTcp(
      [
        {dir: 0, bytes: record(call(1, NFS, 4, 1, cred, compound('', 0, op.putrootfh(), ...ops))), t: 1},
        {dir: 1, bytes: record(reply(1, compoundRes(0, '', [24, 0]))), t: 2},
      ],
      undefined,
      {nfsMaxCompoundOps: 4},
    ).out
    expect(f(out[0]!).nfs?.ops).toEqual(['PUTROOTFH', 'GETATTR', 'GETATTR', 'GETATTR'])
    expect(out[0]!.anomalies).toEqual(['limit.compound_ops'])
  })

  it('ignores other RPC programs on the connection (their replies are not unmatched)', () => {
    const out = runTcp([
      {dir: 0, bytes: cat(record(call(1, 100227, 3, 1, cred, fh(1))), record(lookupCall(2, 'n'))), t: 1},
      {dir: 1, bytes: cat(record(reply(1, u32(0))), record(lookupOk(2))), t: 2},
    ]).out
    expect(out.map((t) => [f(t).rpc.xid, t.anomalies])).toEqual([['00000002', undefined]])
  })
})

describe('nfs over UDP', () => {
  it('pairs one message per datagram, drops duplicate replies and notes retransmitted calls', () => {
    const {out} = runUdp([
      [0, lookupCall(1, 'a'), 1],
      [0, lookupCall(1, 'a'), 1.5], // retransmission
      [1, lookupOk(1), 1.6],
      [1, lookupOk(1), 1.7], // the duplicate request cache answering the retransmission
      [0, call(2, NFS, 3, 0, cred), 2],
      [1, reply(2), 2.1],
    ])
    expect(out.map((t) => [f(t).rpc.xid, f(t).nfs?.opcode, t.status, t.anomalies])).toEqual([
      ['00000001', 'LOOKUP', 'OK', ['nfs.retransmission']],
      ['00000002', 'NULL', 'OK', ['nfs.retransmission']],
    ])
    expect(out[1]!.notes?.[0]).toContain('duplicate reply to xid 00000001')
  })

  it('emits a call unanswered after limits.udpTransactionTimeoutSec, and skips datagrams that are not RPC', () => {
    const {out} = runUdp(
      [
        [0, lookupCall(1, 'slow'), 1],
        [0, Buffer.from('not an rpc message at all'), 2],
        [0, lookupCall(2, 'quick'), 20],
        [1, lookupOk(2), 20.1],
        [1, lookupOk(1), 20.2],
      ],
      {udpTransactionTimeoutSec: 10},
    )
    expect(out.map((t) => [f(t).rpc.xid, t.status, t.anomalies])).toEqual([
      ['00000001', 'Error', ['nfs.no_response', 'nfs.not_rpc']],
      ['00000002', 'OK', undefined],
      ['00000001', 'OK', ['nfs.unmatched_response']],
    ])
  })
})

describe('nfs detection and roles', () => {
  it('recognises an NFS call, not other RPC programs or replies', () => {
    expect(detectTcp(record(lookupCall(1, 'a')), 0)).toBe(true)
    expect(detectUdp(lookupCall(1, 'a'), 0)).toBe(true)
    expect(detectUdp(call(1, 100000, 2, 3, cred), 0)).toBe(false)
    expect(detectUdp(lookupOk(1), 1)).toBe(false)
    expect(detectTcp(lookupCall(1, 'a'), 0)).toBe(false) // no record mark
    expect(detectTcp(Buffer.alloc(3), 0)).toBe(false)
  })

  it('puts the server on 2049 when the client port is privileged too', () => {
    const ch = new ProtocolChooser([protocol], () => collector().ctx)
    expect(ch.udpRole(2049, 801)).toBe(-1)
    expect(ch.udpRole(801, 2049)).toBe(1)
    expect(ch.udpRole(801, 802)).toBe(0)
    expect(ch.role(2049, 839)).toBe(-1)
    expect(ch.role(839, 2049)).toBe(1)
  })
})
