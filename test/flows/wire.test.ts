/**
 * Flow records end to end (synthetic Ethernet captures through the Engine): MAC addresses and VLAN
 * ids of the first packet, ICMP/ICMPv6 flows keyed by echo identifier, and IP fragments counted as
 * they were on the wire.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {FileSource} from '../../src/capture/source.js'
import {Engine} from '../../src/engine/engine.js'
import {buildEvent} from '../../src/event/build.js'
import type {Transaction} from '../../src/event/types.js'
import {createFlowObserver} from '../../src/flows/index.js'
import {makeLimits} from '../../src/limits.js'
import {protocols} from '../../src/protocols/registry.js'
import {Stats} from '../../src/stats.js'
import {EtherType, ethernet, fragmentIpv4, icmpEcho, ipv4, ipv6, pcapFile, udp, udpFrame} from '../support/synth/packets.js'

const dir = mkdtempSync(path.join(tmpdir(), 'pbx-flows-wire-'))

async function flows(frames: Buffer[]): Promise<Record<string, any>[]> {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.pcap`)
  writeFileSync(file, pcapFile(frames))
  const out: Transaction[] = []
  const limits = makeLimits()
  const stats = new Stats()
  const emit = (t: Transaction) => out.push(t)
  const engine = new Engine({protocols, limits, stats, emit, observer: createFlowObserver({})(emit)})
  await new FileSource(file).read(engine, {limits, stats, onInfo: () => {}, afterChunk: () => {}})
  engine.end()
  return out.filter((t) => t.type === 'flow').map((t) => buildEvent(t, {precision: 'us'}) as Record<string, any>)
}

const A = '192.168.1.1'
const B = '192.168.1.2'
const MAC_A = '08:00:27:3d:25:4e'
const MAC_B = '1c:af:f7:70:ed:7c'

describe('flow records on the wire', () => {
  it('carry the first packet MACs (oriented) and its VLAN ids, [outer, inner] for Q-in-Q', async () => {
    const q = (srcMac: string, dstMac: string, src: string, dst: string, sp: number, dp: number) =>
      udpFrame({src, dst, srcPort: sp, dstPort: dp, payload: Buffer.from('x'), srcMac, dstMac, vlan: [101, 600], vlanTpids: [0x88a8, 0x8100]})
    const [f] = await flows([q(MAC_A, MAC_B, A, B, 40000, 9999), q(MAC_B, MAC_A, B, A, 9999, 40000)])
    expect(f.source).toMatchObject({ip: A, mac: MAC_A, packets: 1})
    expect(f.destination).toMatchObject({ip: B, mac: MAC_B, packets: 1})
    expect(f.flow.vlan).toEqual([101, 600])
    const [single] = await flows([udpFrame({src: A, dst: B, srcPort: 1234, dstPort: 9999, payload: Buffer.from('y'), vlan: [10]})])
    expect(single.flow.vlan).toEqual([10])
    const [none] = await flows([udpFrame({src: A, dst: B, srcPort: 1234, dstPort: 9999, payload: Buffer.from('y')})])
    expect(none.flow.vlan).toBeUndefined()
  })

  it('make ICMP and ICMPv6 echo flows per identifier, the requester as source', async () => {
    const e4 = (src: string, dst: string, type: number, id: number) =>
      ethernet({etherType: EtherType.IPV4, payload: ipv4({src, dst, proto: 1, payload: icmpEcho(type, id, 1, Buffer.alloc(8))})})
    const v6a = 'fd00::1'
    const v6b = '2001:db8::2'
    const e6 = (src: string, dst: string, type: number, id: number) =>
      ethernet({etherType: EtherType.IPV6, payload: ipv6({src, dst, nextHeader: 58, payload: icmpEcho(type, id, 1, Buffer.alloc(8), {src, dst})})})
    const fs = await flows([e4(A, B, 8, 7), e4(B, A, 0, 7), e4(A, B, 8, 9), e6(v6a, v6b, 128, 3), e6(v6b, v6a, 129, 3)])
    expect(fs.length).toBe(3)
    const [f7, f9, f6] = fs
    expect(f7.network).toMatchObject({transport: 'icmp', packets: 2, bytes: 2 * 36, direction: 'internal'})
    expect(f7.source).toMatchObject({ip: A, packets: 1, bytes: 36})
    expect(f7.source.port).toBeUndefined()
    expect(f9.network.packets).toBe(1)
    expect(f6.network).toMatchObject({transport: 'ipv6-icmp', packets: 2, direction: 'outbound'})
    expect(f6.source.ip).toBe(v6a)
    expect(f7.network.community_id).toMatch(/^1:/)
  })

  it('count each IPv4 fragment of a datagram, with its own header, as the wire carried it', async () => {
    const dgram = ipv4({src: A, dst: B, proto: 17, id: 77, payload: udp({srcPort: 5000, dstPort: 9999, payload: Buffer.alloc(3000, 1)}, A, B)})
    const frags = fragmentIpv4(dgram, 1500)
    expect(frags.length).toBe(3)
    const [f] = await flows(frags.map((p) => ethernet({etherType: EtherType.IPV4, payload: p})))
    expect(f.source.packets).toBe(3)
    expect(f.source.bytes).toBe(frags.reduce((n, p) => n + p.length, 0))
    expect(f.source.bytes).toBe(dgram.length + 2 * 20)
  })
})
