import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {protocol} from '../../../src/protocols/memcache/index.js'
import type {Moment} from '../../../src/reassembly/types.js'
import {collector, comparable, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'

const t = (s: string) => Buffer.from(s, 'latin1')

/** A binary protocol message (memcached BinaryProtocolRevamped header). */
function bin(magic: number, opcode: number, opts: {key?: string; extras?: Buffer; value?: Buffer; opaque?: number; status?: number} = {}): Buffer {
  const key = t(opts.key ?? '')
  const extras = opts.extras ?? Buffer.alloc(0)
  const value = opts.value ?? Buffer.alloc(0)
  const h = Buffer.alloc(24)
  h[0] = magic
  h[1] = opcode
  h.writeUInt16BE(key.length, 2)
  h[4] = extras.length
  h.writeUInt16BE(opts.status ?? 0, 6)
  h.writeUInt32BE(extras.length + key.length + value.length, 8)
  h.writeUInt32BE(opts.opaque ?? 0, 12)
  return Buffer.concat([h, extras, key, value])
}
const u32s = (...v: number[]) => Buffer.concat(v.map((x) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(x)
  return b
}))

const textSession: Step[] = [
  {dir: 0, bytes: t('set cnt 2 0 1\r\n1\r\n'), t: 1},
  {dir: 1, bytes: t('STORED\r\n'), t: 1.1},
  {dir: 0, bytes: t('incr cnt 2\r\nget x k1 k2 y\r\n'), t: 2},
  {dir: 1, bytes: t('3\r\nVALUE k1 0 3\r\nabc\r\nVALUE k2 5 2 99\r\nde\r\nEND\r\n'), t: 2.1},
  {dir: 0, bytes: t('delete nokey noreply\r\ndelete k1\r\nstats\r\n'), t: 3},
  {dir: 1, bytes: t('NOT_FOUND\r\nSTAT pid 1\r\nSTAT uptime 2\r\nEND\r\n'), t: 3.1},
  {dir: 0, bytes: t('bogus\r\nversion\r\n'), t: 4},
  {dir: 1, bytes: t('ERROR\r\nVERSION 1.6.21\r\n'), t: 4.1},
  {dir: 0, bytes: t('quit\r\n'), t: 5},
]

function run(steps: Step[], cuts?: (n: number) => number[], limits = {}) {
  const c = collector(limits)
  const h = protocol.tcp!.create(fakeConn('tcp', 11211), c.ctx)
  drive(h, steps, cuts)
  return c
}

const mc = (x: {fields: Record<string, unknown>}) => x.fields.memcache as Record<string, Record<string, unknown>>

describe('memcache text protocol', () => {
  const whole = run(textSession)
  it('builds Packetbeat-shaped transactions', () => {
    const o = whole.out
    expect(o.map((x) => [mc(x).request.command, x.status])).toEqual([
      ['set', 'OK'],
      ['incr', 'OK'],
      ['get', 'OK'],
      ['delete', 'OK'],
      ['delete', 'Error'],
      ['stats', 'OK'],
      ['bogus', 'Error'],
      ['version', 'OK'],
      ['quit', 'OK'],
    ])
    expect(mc(o[0])).toEqual({
      protocol_type: 'text',
      request: {command: 'set', type: 'Store', keys: ['cnt'], count_values: 1, bytes: 1, flags: 2, exptime: 0},
      response: {command: 'STORED', type: 'Success'},
    })
    expect(o[0].event).toEqual({action: 'memcache.store'})
    expect(mc(o[1]).response).toEqual({command: 'COUNTER', type: 'Counter', value: 3})
    expect(mc(o[2]).request.keys).toEqual(['x', 'k1', 'k2', 'y'])
    expect(mc(o[2]).response).toEqual({command: 'VALUE', type: 'Load', keys: ['k1', 'k2'], count_values: 2, bytes: 5, flags: 0})
    expect(o[2].responseBytes).toBe(45)
    expect(mc(o[3]).request.noreply).toBe(true)
    expect(mc(o[3]).response).toBeUndefined()
    expect(mc(o[4]).response.type).toBe('Fail')
    expect(mc(o[5]).response).toEqual({command: 'STAT', type: 'Stats', count_values: 2})
    // An unknown command is still a request: its ERROR reply keeps the FIFO order intact.
    expect(mc(o[6])).toEqual({protocol_type: 'text', request: {command: 'bogus', type: 'UNKNOWN'}, response: {command: 'ERROR', type: 'Fail'}})
    expect(mc(o[7]).response.version).toBe('1.6.21')
    expect(whole.stats.malformed.size).toBe(0)
  })

  it('gives identical transactions when split at every byte offset', () => {
    const want = comparable(whole.out)
    const total = Math.max(...textSession.map((s) => s.bytes.length))
    for (let k = 1; k < total; k++) expect(comparable(run(textSession, (n) => (k < n ? [k] : [])).out), `split ${k}`).toEqual(want)
    expect(comparable(run(textSession, (n) => Array.from({length: n - 1}, (_, i) => i + 1)).out)).toEqual(want)
  })
})

const binSession: Step[] = [
  {dir: 0, bytes: bin(0x80, 0x01, {key: 'cnt', extras: u32s(2, 0), value: t('1'), opaque: 1}), t: 1},
  {dir: 1, bytes: bin(0x81, 0x01, {opaque: 1}), t: 1.1},
  // three quiet gets and a noop: only the hit is answered, then the noop
  {dir: 0, bytes: Buffer.concat([bin(0x80, 0x0d, {key: 'a', opaque: 2}), bin(0x80, 0x0d, {key: 'cnt', opaque: 3}), bin(0x80, 0x0a, {opaque: 4})]), t: 2},
  {dir: 1, bytes: Buffer.concat([bin(0x81, 0x0d, {key: 'cnt', extras: u32s(2), value: t('1'), opaque: 3}), bin(0x81, 0x0a, {opaque: 4})]), t: 2.1},
  {dir: 0, bytes: bin(0x80, 0x05, {key: 'cnt', extras: Buffer.concat([u32s(0, 2, 0, 0), u32s(0xffffffff)]), opaque: 5}), t: 3},
  {dir: 1, bytes: bin(0x81, 0x05, {value: Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]), opaque: 5}), t: 3.1},
  {dir: 0, bytes: bin(0x80, 0x00, {key: 'zz', opaque: 6}), t: 4},
  {dir: 1, bytes: bin(0x81, 0x00, {value: t('Not found'), status: 1, opaque: 6}), t: 4.1},
  {dir: 0, bytes: bin(0x80, 0x10, {opaque: 7}), t: 5},
  {dir: 1, bytes: Buffer.concat([bin(0x81, 0x10, {key: 'pid', value: t('1'), opaque: 7}), bin(0x81, 0x10, {key: 'up', value: t('2'), opaque: 7}), bin(0x81, 0x10, {opaque: 7})]), t: 5.1},
]

describe('memcache binary protocol', () => {
  const whole = run(binSession)
  it('pairs by opaque, completes quiet requests silently, collects stats', () => {
    const o = whole.out
    expect(o.map((x) => [mc(x).request.opcode, x.status])).toEqual([
      ['Set', 'OK'],
      ['GetKQ', 'OK'],
      ['GetKQ', 'OK'],
      ['No-op', 'OK'],
      ['Increment', 'OK'],
      ['Get', 'Error'],
      ['Stat', 'OK'],
    ])
    expect(mc(o[0]).request).toMatchObject({command: 'set', type: 'Store', keys: ['cnt'], flags: 2, exptime: 0, bytes: 1, count_values: 1, opaque: 1})
    expect(mc(o[0]).response).toMatchObject({status: 'Success', opaque: 1, command: 'set', type: 'Store'})
    expect(mc(o[1]).response).toBeUndefined()
    expect(o[1].notes).toEqual(['quiet request: no response (success or miss)'])
    expect(mc(o[2]).response).toMatchObject({keys: ['cnt'], bytes: 1, count_values: 1, flags: 2})
    expect(mc(o[4]).request).toMatchObject({delta: 2, initial: 0, exptime: 0xffffffff})
    expect(mc(o[4]).response.value).toBe(3)
    expect(mc(o[5]).response).toMatchObject({status: 'Key not found', status_code: 1, error_msg: 'Not found'})
    expect(mc(o[6]).response).toMatchObject({type: 'Stats', count_values: 2})
    expect(whole.stats.unmatchedRequests + whole.stats.unmatchedResponses).toBe(0)
  })

  it('gives identical transactions when split at every byte offset', () => {
    const want = comparable(whole.out)
    const total = Math.max(...binSession.map((s) => s.bytes.length))
    for (let k = 1; k < total; k++) expect(comparable(run(binSession, (n) => (k < n ? [k] : [])).out), `split ${k}`).toEqual(want)
    expect(comparable(run(binSession, (n) => Array.from({length: n - 1}, (_, i) => i + 1)).out)).toEqual(want)
  })

  it('rejects bodies beyond maxMessageBytes and resynchronises after a gap', () => {
    const c = collector({maxMessageBytes: 100})
    const h = protocol.tcp!.create(fakeConn('tcp', 11211), c.ctx)
    const at: Moment = {frame: 1, tsSec: 1, tsNsec: 0}
    h.data(0, bin(0x80, 0x01, {key: 'k', extras: u32s(0, 0), value: Buffer.alloc(200), opaque: 1}), at)
    h.data(0, t('get a\r\n').subarray(0, 3), at)
    h.gap(0, 10, at)
    h.data(0, t('get b\r\n'), at)
    h.data(1, t('END\r\n'), at)
    h.end('fin', at)
    expect(c.stats.malformed.get('memcache: body larger than maxMessageBytes')).toBe(1)
    expect(c.out.map((x) => [mc(x).request.keys, x.status])).toEqual([[['b'], 'OK']])
    expect(c.out[0].notes).toEqual(['malformed request skipped: body larger than maxMessageBytes', 'gap: 10 bytes missing in the client stream'])
  })
})

describe('memcache over UDP', () => {
  const frame = (id: number, seq: number, count: number, body: Buffer) => {
    const h = Buffer.alloc(8)
    h.writeUInt16BE(id, 0)
    h.writeUInt16BE(seq, 2)
    h.writeUInt16BE(count, 4)
    return Buffer.concat([h, body])
  }
  it('pairs by request id, reassembles multi-datagram replies, times out', () => {
    const c = collector({udpTransactionTimeoutSec: 10})
    const h = protocol.udp!.create(fakeConn('udp', 11211), c.ctx)
    const at: Moment = {frame: 1, tsSec: 100, tsNsec: 0}
    h.datagram(0, frame(1, 0, 1, t('get k\r\n')), at)
    h.datagram(0, frame(2, 0, 1, t('set a 0 0 1 noreply\r\nx\r\n')), at)
    h.datagram(0, frame(3, 0, 1, t('get lost\r\n')), at)
    at.frame = 2
    h.datagram(1, frame(1, 1, 2, t('yz\r\nEND\r\n')), at)
    h.datagram(1, frame(1, 0, 2, t('VALUE k 0 6\r\nabcd')), at)
    h.datagram(1, frame(9, 0, 1, t('STORED\r\n')), at)
    at.tsSec = 120
    at.frame = 3
    h.datagram(1, t('short'), at)
    h.end(at)
    expect(c.out.map((x) => [mc(x).request?.command, x.status, x.notes])).toEqual([
      ['set', 'OK', undefined],
      ['get', 'OK', undefined],
      [undefined, 'Error', ['response without request']],
      ['get', 'Error', ['no response']],
      [undefined, undefined, undefined],
    ].slice(0, 4))
    expect(mc(c.out[1]).response).toMatchObject({keys: ['k'], bytes: 6, count_values: 1})
    expect(c.stats.malformed.get('memcache: UDP datagram shorter than the frame header')).toBe(1)
  })
})

describe('memcache hostile input', () => {
  it('never throws on random bytes in random chunks (TCP and UDP)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 0, max: 1}), fc.uint8Array({maxLength: 80}))), (chunks) => {
        const c = collector({maxMessageBytes: 2000})
        const h = protocol.tcp!.create(fakeConn('tcp', 11211), c.ctx)
        const u = protocol.udp!.create(fakeConn('udp', 11211), c.ctx)
        const at: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
        for (const [d, b] of chunks) {
          at.frame++
          const buf = Buffer.from(b)
          if (buf.length > 0 && buf[0] < 40) buf[0] = 0x80 + (buf[0] & 1)
          h.data(d as 0 | 1, buf, at)
          u.datagram(d as 0 | 1, buf, at)
        }
        h.end('eof', at)
        u.end(at)
      }),
      {numRuns: 300},
    )
  })
})

describe('memcache bad data chunk', () => {
  it('pairs the storage command with CLIENT_ERROR and the leftover line with ERROR', () => {
    const c = run([
      {dir: 0, bytes: t('set badlen 0 0 3\r\nabcdef\r\n'), t: 1},
      {dir: 1, bytes: t('CLIENT_ERROR bad data chunk\r\nERROR\r\n'), t: 1.1},
      {dir: 0, bytes: t('get badlen\r\n'), t: 2},
      {dir: 1, bytes: t('END\r\n'), t: 2.1},
    ])
    expect(c.out.map((x) => [mc(x).request.command, mc(x).response.command, x.status, x.notes ?? null])).toEqual([
      ['set', 'CLIENT_ERROR', 'Error', ['bad data chunk: data block not terminated by CRLF']],
      ['f', 'ERROR', 'Error', null],
      ['get', 'END', 'OK', null],
    ])
    expect(mc(c.out[0]).request.keys).toEqual(['badlen'])
    expect(mc(c.out[0]).response.error_msg).toBe('bad data chunk')
    expect(c.stats.unmatchedResponses).toBe(0)
  })
})
