/**
 * A large EDNS response carried in IPv4 fragments, through the real decode (defragmentation),
 * UDP flow and dns stages: the synthetic capture is built in code and analysed from a temp file.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import type {PbxEvent} from '../../../src/event/build.js'
import {makeLimits} from '../../../src/limits.js'
import type {Output} from '../../../src/output/types.js'
import {run} from '../../../src/run/run.js'
import {fileSources} from '../../../src/capture/source.js'
import {protocol as dns} from '../../../src/protocols/dns/index.js'
import {EtherType, ethernet, fragmentIpv4, ipv4, pcapFile, udp} from '../../support/synth/packets.js'
import {buildMsg, query, u16} from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'pbx-dns-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function frames(payload: Buffer, src: string, dst: string, sport: number, dport: number, id: number, mtu: number): Buffer[] {
  const ip = ipv4({src, dst, proto: 17, id, payload: udp({srcPort: sport, dstPort: dport, payload}, src, dst)})
  const parts = ip.length > mtu ? fragmentIpv4(ip, mtu) : [ip]
  return parts.map((p) => ethernet({etherType: EtherType.IPV4, payload: p}))
}

describe('dns through the pipeline', () => {
  it('reassembles a fragmented large EDNS response and pairs it with its query', async () => {
    const txt = Buffer.concat([Buffer.from([200]), Buffer.alloc(200, 0x61)])
    const opt = {name: '.', type: 41, class: 4096, ttl: 0x8000, rdata: Buffer.alloc(0)}
    const resp = buildMsg({
      id: 4242,
      qr: true,
      rd: true,
      ra: true,
      questions: [{name: 'big.example', type: 16}],
      answers: Array.from({length: 20}, () => ({name: 'big.example', type: 16, ttl: 30, rdata: txt})),
      additionals: [opt],
    })
    expect(resp.length).toBeGreaterThan(4000)
    const q = Buffer.concat([query(4242, 'big.example', 16)])
    q.writeUInt16BE(1, 10) // arcount 1: an OPT in the query too
    const qFull = Buffer.concat([q, Buffer.from([0]), u16(41), u16(4096), Buffer.from([0, 0, 0x80, 0]), u16(0)])
    const all = [...frames(qFull, '10.0.0.1', '10.0.0.53', 33333, 53, 1, 1500), ...frames(resp, '10.0.0.53', '10.0.0.1', 53, 33333, 2, 1500)]
    expect(all.length).toBeGreaterThan(3)
    const file = join(dir, 'frag.pcap')
    writeFileSync(file, pcapFile(all.map((data, i) => ({data, tsSec: 1_700_000_000, tsNsec: i * 1000}))))
    const events: PbxEvent[] = []
    const output: Output = {
      begin() {},
      write: (e) => {
        events.push(e)
      },
      blocked: false,
      closed: false,
      drain: async () => {},
      end: async () => {},
    }
    await run({sources: fileSources([file]), protocols: [dns], limits: makeLimits(), outputs: [output]})
    expect(events).toHaveLength(1)
    const e = events[0] as {status: string; dns: Record<string, unknown>; destination: {bytes: number}; source: {bytes: number}}
    expect(e.status).toBe('OK')
    expect(e.dns.answers_count).toBe(20)
    expect((e.dns.answers as unknown[]).length).toBe(20)
    expect(e.dns.opt).toEqual({version: '0', do: true, ext_rcode: 'NOERROR', udp_size: 4096})
    expect([e.source.bytes, e.destination.bytes]).toEqual([qFull.length, resp.length])
  })
})
