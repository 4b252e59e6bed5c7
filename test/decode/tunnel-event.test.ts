/**
 * pbx.tunnel in both event forms: NdjsonOutput.writeTransaction (serializeEvent) must write exactly
 * JSON.stringify(buildEvent()) for tunneled connections, both orientations, with pbx.file, with
 * protocol pbx extras, and when a protocol (wrongly) sets pbx.tunnel itself.
 */
import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {snapshotTunnel, newTunnelState} from '../../src/decode/tunnel.js'
import {type BuildOptions, buildEvent} from '../../src/event/build.js'
import {NdjsonOutput} from '../../src/output/ndjson/index.js'
import {TextWriter} from '../../src/output/writer.js'
import type {Transaction} from '../../src/event/types.js'
import type {ConnInfo} from '../../src/reassembly/types.js'
import {Stats} from '../../src/stats.js'
import {parseIp} from '../../src/util/ip.js'

const run = {files: [], stats: new Stats(), captures: [], errors: []}

async function both(ts: Transaction[], o: BuildOptions): Promise<[string, string]> {
  const mk = () => {
    const s = new PassThrough()
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    return {out: new NdjsonOutput(new TextWriter(s, 'memory'), false), text: () => Buffer.concat(chunks).toString('utf8')}
  }
  const a = mk()
  const b = mk()
  for (const t of ts) {
    a.out.writeTransaction(t, o)
    b.out.write(buildEvent(t, o))
  }
  await a.out.end(run)
  await b.out.end(run)
  return [a.text(), b.text()]
}

function vxlanState() {
  const t = newTunnelState()
  t.depth = 2
  t.type = 'vxlan'
  t.id = 5001
  t.ipVersion = 6
  ;[t.src0, t.src1, t.src2, t.src3] = parseIp('2001:db8::1').words
  ;[t.dst0, t.dst1, t.dst2, t.dst3] = parseIp('2001:db8::2').words
  t.srcPort = 49321
  t.dstPort = 4789
  return t
}

function mplsState() {
  const t = newTunnelState()
  t.depth = 1
  t.type = 'mpls'
  t.id = 300
  t.labels[0] = 16004
  t.labels[1] = 300
  t.labelCount = 2
  return t
}

const base: ConnInfo = {
  id: 7,
  transport: 'tcp',
  ipVersion: 4,
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  clientPort: 51000,
  serverPort: 80,
  communityId: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
  roleBy: 'syn',
}

function txn(conn: ConnInfo, over: Partial<Transaction> = {}): Transaction {
  return {
    type: 'http',
    conn,
    status: 'OK',
    startSec: 1700000000,
    startNsec: 100_000_000,
    startFrame: 4,
    endSec: 1700000001,
    endNsec: 0,
    endFrame: 6,
    requestBytes: 10,
    responseBytes: 20,
    fields: {http: {version: '1.1'}},
    ...over,
  } as Transaction
}

describe('pbx.tunnel', () => {
  it('snapshots oriented client -> server, swapping when the opening packet came from the server', () => {
    const t = vxlanState()
    expect(snapshotTunnel(t, true)).toEqual({
      type: 'vxlan',
      depth: 2,
      id: 5001,
      sourceIp: '2001:db8::1',
      destinationIp: '2001:db8::2',
      sourcePort: 49321,
      destinationPort: 4789,
    })
    expect(snapshotTunnel(t, false)).toMatchObject({sourceIp: '2001:db8::2', destinationIp: '2001:db8::1', sourcePort: 4789, destinationPort: 49321})
    expect(snapshotTunnel(mplsState(), true)).toEqual({type: 'mpls', depth: 1, id: 300, mplsLabels: [16004, 300]})
    t.depth = 0
    expect(snapshotTunnel(t, true)).toBeUndefined()
  })

  it('is emitted in pbx after frames and file, the same by both event forms', async () => {
    const vx: ConnInfo = {...base, tunnel: snapshotTunnel(vxlanState(), true)}
    const mp: ConnInfo = {...base, id: 8, tunnel: snapshotTunnel(mplsState(), true)}
    const ts = [
      txn(vx),
      txn(vx, {sentByServer: true}),
      txn(mp, {fields: {http: {}, pbx: {extra: 1}}}),
      txn(mp, {fields: {pbx: {tunnel: 'protocol-set'}}}),
      txn(base),
    ]
    for (const o of [{precision: 'us'}, {precision: 'ns', file: 'a.pcap'}] as BuildOptions[]) {
      const [fast, ref] = await both(ts, o)
      expect(fast).toBe(ref)
      const evs = fast.trim().split('\n').map((l) => JSON.parse(l))
      expect(evs[0].pbx.tunnel).toEqual({
        type: 'vxlan',
        id: 5001,
        depth: 2,
        source_ip: '2001:db8::1',
        destination_ip: '2001:db8::2',
        source_port: 49321,
        destination_port: 4789,
      })
      expect(Object.keys(evs[0].pbx)).toEqual(o.file ? ['frames', 'file', 'tunnel'] : ['frames', 'tunnel'])
      // sentByServer: source is the server, and so is the tunnel's source side
      expect(evs[1].source.ip).toBe('10.0.0.2')
      expect(evs[1].pbx.tunnel).toMatchObject({source_ip: '2001:db8::2', destination_ip: '2001:db8::1', source_port: 4789})
      expect(evs[2].pbx).toMatchObject({tunnel: {type: 'mpls', id: 300, depth: 1, mpls_labels: [16004, 300]}, extra: 1})
      expect(evs[3].pbx.tunnel).toBe('protocol-set')
      expect(evs[4].pbx.tunnel).toBeUndefined()
    }
  })
})
