/**
 * ProtocolChooser.openInner (ProtocolContext.openInner): the protocol inside another one is the
 * preferred one when selected, else found by content among the others; its events go to the
 * caller's emit.
 */
import {describe, expect, it} from 'vitest'
import {ProtocolChooser} from '../../src/dispatch/chooser.js'
import type {Transaction} from '../../src/event/types.js'
import {makeLimits} from '../../src/limits.js'
import {protocols, protocolByName} from '../../src/protocols/registry.js'
import type {Protocol, ProtocolContext} from '../../src/protocols/types.js'
import type {ConnInfo, Moment} from '../../src/reassembly/types.js'
import {Stats} from '../../src/stats.js'

const conn = {clientIp: '10.0.0.1', serverIp: '10.0.0.2', clientPort: 40000, serverPort: 443} as unknown as ConnInfo
const at: Moment = {frame: 1, tsSec: 1, tsNsec: 0}

function chooser(list: readonly Protocol[], outer: Transaction[]) {
  const limits = makeLimits()
  const stats = new Stats()
  const ctx = (_p: Protocol): ProtocolContext => ({limits, stats, options: {}, emit: (t) => outer.push(t)})
  return new ProtocolChooser(list, ctx)
}

describe('openInner', () => {
  it('detects HTTP by content (never the calling protocol) and sends its transactions to the given emit', () => {
    const outer: Transaction[] = []
    const inner: Transaction[] = []
    const h = chooser(protocols, outer).openInner(conn, {self: 'tls', emit: (t) => inner.push(t)})
    expect(h).not.toBeNull()
    h!.data(0, Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\n'), at)
    h!.data(1, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), at)
    h!.end('fin', at)
    expect(inner.map((t) => [t.type, t.path])).toEqual([['http', '/a']])
    expect(outer).toEqual([])
  })

  it('uses the preferred protocol without looking at the bytes, if it is selected', () => {
    const inner: Transaction[] = []
    const redisOnly = chooser([protocolByName('redis')!, protocolByName('http')!], [])
    const h = redisOnly.openInner(conn, {self: 'tls', prefer: 'redis', emit: (t) => inner.push(t)})
    h!.data(0, Buffer.from('*1\r\n$4\r\nPING\r\n'), at)
    h!.data(1, Buffer.from('+PONG\r\n'), at)
    h!.end('fin', at)
    expect(inner.map((t) => t.type)).toEqual(['redis'])
    // not selected: falls back to detection; nothing but the caller selected: null
    const onlyTls = chooser([protocolByName('tls')!], [])
    expect(onlyTls.openInner(conn, {self: 'tls', prefer: 'http', emit: () => {}})).toBeNull()
  })
})
