import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {detectTcp, detectUdp} from '../../../src/protocols/memcache/index.js'
import {detect as redisDetect} from '../../../src/protocols/redis/index.js'
import {analyzeToNdjson} from '../../helpers/analyze-to-string.js'
import {pcapFile, type SynthFrame, TcpConversation, udpFrame} from '../../support/synth/packets.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-mcdetect-'))
const t = (s: string) => Buffer.from(s, 'latin1')

async function events(frames: SynthFrame[]) {
  const f = path.join(tmp, `c${Math.random().toString(36).slice(2)}.pcap`)
  writeFileSync(f, pcapFile(frames))
  const {text} = await analyzeToNdjson([f])
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

function binReq(opcode: number, key: string, opaque: number, magic = 0x80, status = 0): Buffer {
  const h = Buffer.alloc(24 + key.length)
  h[0] = magic
  h[1] = opcode
  h.writeUInt16BE(key.length, 2)
  h.writeUInt16BE(status, 6)
  h.writeUInt32BE(key.length, 8)
  h.writeUInt32BE(opaque, 12)
  h.write(key, 24, 'latin1')
  return h
}

/** UDP frame header (memcached protocol.txt): request id, sequence 0, 1 datagram, reserved. */
const udpHeader = (id: number) => Buffer.from([id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0])

describe('memcache on a non-default port', () => {
  it('text TCP is memcache, not Redis (no events from data lines)', async () => {
    const c = new TcpConversation({client: '10.1.0.1', server: '10.1.0.2', clientPort: 41000, serverPort: 12000})
    c.handshake()
      .send('client', 'set foo 0 0 3\r\nabc\r\n')
      .send('server', 'STORED\r\n')
      .send('client', 'get foo\r\n')
      .send('server', 'VALUE foo 0 3\r\nabc\r\nEND\r\n')
      .close()
    const evs = await events(c.frames)
    expect(evs.map((e) => [e.type, e.memcache.request.command, e.status])).toEqual([
      ['memcache', 'set', 'OK'],
      ['memcache', 'get', 'OK'],
    ])
  })

  it('binary TCP is memcache', async () => {
    const c = new TcpConversation({client: '10.1.0.1', server: '10.1.0.2', clientPort: 41001, serverPort: 12001})
    c.handshake().send('client', binReq(0x00, 'k1', 7)).send('server', binReq(0x00, '', 7, 0x81, 1)).close()
    const evs = await events(c.frames)
    expect(evs.map((e) => [e.type, e.memcache.request.opcode])).toEqual([['memcache', 'Get']])
  })

  it('UDP with the 8-byte frame header is memcache', async () => {
    const cli = {src: '10.1.0.1', dst: '10.1.0.2', srcPort: 41002, dstPort: 12002}
    const srv = {src: '10.1.0.2', dst: '10.1.0.1', srcPort: 12002, dstPort: 41002}
    const frames: SynthFrame[] = [
      {data: udpFrame({...cli, payload: Buffer.concat([udpHeader(5), t('get foo\r\n')])}), tsSec: 1_700_000_000, tsNsec: 0},
      {data: udpFrame({...srv, payload: Buffer.concat([udpHeader(5), t('VALUE foo 0 3\r\nabc\r\nEND\r\n')])}), tsSec: 1_700_000_000, tsNsec: 1000},
    ]
    const evs = await events(frames)
    expect(evs.map((e) => [e.type, e.network.transport, e.memcache.request.command, e.memcache.response.count_values])).toEqual([
      ['memcache', 'udp', 'get', 1],
    ])
  })

  it('detectors accept memcache and reject look-alikes', () => {
    expect(detectTcp(t('set foo 0 0 3\r\nabc\r\n'), 0)).toBe(true)
    expect(detectTcp(t('gets a b c\r\n'), 0)).toBe(true)
    expect(detectTcp(t('VALUE foo 0 3\r\nabc\r\n'), 1)).toBe(true)
    expect(detectTcp(binReq(0x01, 'k', 1), 0)).toBe(true)
    expect(detectTcp(t('GET / HTTP/1.1\r\n'), 0)).toBe(false)
    expect(detectTcp(t('set foo bar\r\n'), 0)).toBe(false)
    expect(detectTcp(binReq(0x01, 'k', 1, 0x81), 0)).toBe(false) // response magic from the client
    expect(detectUdp(Buffer.concat([udpHeader(1), t('stats\r\n')]), 0)).toBe(true)
    expect(detectUdp(Buffer.concat([Buffer.from([0, 1, 0, 1, 0, 1, 0, 0]), t('stats\r\n')]), 0)).toBe(false) // seq >= count
  })
})

describe('Redis inline detection is strict', () => {
  it('declines memcache command lines and data lines', () => {
    expect(redisDetect(t('set foo 0 0 3\r\nabc\r\n'), 0)).toBe(false)
    expect(redisDetect(t('get foo\r\n'), 0)).toBe(false)
    expect(redisDetect(t('abc\r\n'), 0)).toBe(false)
    expect(redisDetect(t('SET foo bar EX\r\n'), 0)).toBe(false)
    expect(redisDetect(t('SELECT x\r\n'), 0)).toBe(false)
  })
  it('still takes well-formed inline commands', () => {
    expect(redisDetect(t('PING\r\n'), 0)).toBe(true)
    expect(redisDetect(t('SET foo bar EX 10 NX\r\n'), 0)).toBe(true)
    expect(redisDetect(t('GET foo\r\n'), 0)).toBe(true)
    expect(redisDetect(t('SELECT 1\r\n'), 0)).toBe(true)
  })
})
