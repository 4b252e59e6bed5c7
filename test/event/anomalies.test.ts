/**
 * The anomaly code table (src/event/anomalies.ts) is a public contract: it must list exactly the
 * codes the code base uses, each documented. Codes are found in src/ by their only spellings:
 * note('code' ...), and `AnomalyCode` values written as a literal ('code' as the first argument of
 * a typed helper). A code that is used but not in the table does not compile (AnomalyCode); this
 * test catches the other direction (a code kept in the table after its last use went away) and
 * undocumented or malformed entries.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ANOMALIES, type AnomalyCode, hasNote, note, uniqueNotes} from '../../src/event/anomalies.js'
import {newTransaction} from '../../src/event/transaction.js'
import {buildEvent} from '../../src/event/build.js'
import type {ConnInfo} from '../../src/reassembly/types.js'

const SRC = path.join(import.meta.dirname, '../../src')

function files(dir: string): string[] {
  const out: string[] = []
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f)
    if (statSync(p).isDirectory()) out.push(...files(p))
    else if (p.endsWith('.ts')) out.push(p)
  }
  return out
}

/** Every quoted string in src/ (outside the table itself) that has the shape of a code and is one. */
function usedCodes(): Set<string> {
  const used = new Set<string>()
  const table = path.join(SRC, 'event/anomalies.ts')
  const quoted = /'([a-z0-9]+\.[a-z0-9_]+)'/g
  for (const f of files(SRC)) {
    if (f === table) continue
    const text = readFileSync(f, 'utf8')
    for (const m of text.matchAll(quoted)) if (Object.hasOwn(ANOMALIES, m[1]!)) used.add(m[1]!)
    // note('x.y') with an unknown code would not compile; check the spelling anyway
    for (const m of text.matchAll(/\bnote\('([^']+)'/g)) used.add(m[1]!)
  }
  return used
}

describe('anomaly code table', () => {
  const codes = Object.keys(ANOMALIES)

  it('is exactly the set of codes used in src/', () => {
    expect([...usedCodes()].sort()).toEqual([...codes].sort())
  })

  it('documents every code: stable name, a description and a default text', () => {
    for (const c of codes) {
      expect(c, c).toMatch(/^(tcp|udp|limit|http|http2|dns|tls|mysql|pgsql|mongodb|redis|memcache|icmp|dhcpv4|amqp|sip|nfs|thrift|cassandra)\.[a-z0-9_]+$/)
      const a = ANOMALIES[c as AnomalyCode]
      expect(a.description.length, c).toBeGreaterThan(20)
      expect(a.description.endsWith('.'), c).toBe(true)
      expect(a.text.length, c).toBeGreaterThan(0)
    }
  })

  it('names every protocol-specific code after a registered protocol or a shared prefix', async () => {
    const {protocols} = await import('../../src/protocols/registry.js')
    const prefixes = new Set(['tcp', 'udp', 'limit', ...protocols.map((p) => p.name)])
    for (const c of codes) expect(prefixes.has(c.split('.')[0]!), c).toBe(true)
  })
})

describe('notes', () => {
  it('shares one object per code for the default text, a new one for a given text', () => {
    expect(note('tcp.gap')).toBe(note('tcp.gap'))
    expect(note('tcp.gap').text).toBe(ANOMALIES['tcp.gap'].text)
    const n = note('tcp.gap', 'gap of 5 bytes')
    expect(n).toEqual({code: 'tcp.gap', text: 'gap of 5 bytes'})
    expect(hasNote([n], note('tcp.gap', 'gap of 5 bytes'))).toBe(true)
    expect(hasNote([n], note('tcp.gap'))).toBe(false)
    expect(hasNote(null, n)).toBe(false)
  })

  it('uniqueNotes drops repeated texts, first kept, codes with them', () => {
    const a = note('http.no_response')
    const b = note('tcp.gap', 'gap in body')
    const list = [a, b, note('tcp.gap', 'gap in body'), a]
    expect(uniqueNotes(list)).toEqual([a, b])
    const single = [a]
    expect(uniqueNotes(single)).toBe(single)
  })
})

describe('newTransaction', () => {
  const conn: ConnInfo = {id: 1, transport: 'tcp', ipVersion: 4, clientIp: '10.0.0.1', serverIp: '10.0.0.2', clientPort: 5, serverPort: 80, communityId: '1:x', roleBy: 'syn'}

  it('fills the common fields, copies the Moments and puts codes beside the notes', () => {
    const at = {frame: 9, tsSec: 20, tsNsec: 5}
    const t = newTransaction({
      type: 'http',
      conn,
      status: 'Error',
      start: {frame: 3, tsSec: 10, tsNsec: 1},
      end: at,
      requestBytes: 7,
      responseBytes: 0,
      fields: {http: {}},
      notes: [note('http.no_response'), note('tcp.gap', 'gap in body')],
      method: 'GET',
      query: undefined,
    })
    at.frame = 99 // a reused Moment changing later must not change the transaction
    expect(t).toEqual({
      type: 'http',
      conn,
      status: 'Error',
      startSec: 10,
      startNsec: 1,
      startFrame: 3,
      endSec: 20,
      endNsec: 5,
      endFrame: 9,
      requestBytes: 7,
      responseBytes: 0,
      fields: {http: {}},
      method: 'GET',
      notes: ['no response', 'gap in body'],
      anomalies: ['http.no_response', 'tcp.gap'],
    })
    expect('query' in t).toBe(false)
    const ev = buildEvent(t, {precision: 'us'}) as {notes: string[]; pbx: {anomalies: string[]; frames: number[]}}
    expect(ev.notes).toEqual(['no response', 'gap in body'])
    expect(ev.pbx).toEqual({frames: [3, 9], anomalies: ['http.no_response', 'tcp.gap']})
  })

  it('leaves notes, anomalies and unset members out', () => {
    const m = {frame: 1, tsSec: 1, tsNsec: 0}
    const t = newTransaction({type: 'dns', conn, status: 'OK', start: m, end: m, requestBytes: 1, responseBytes: 2, fields: {}, notes: [], sentByServer: false})
    expect(Object.keys(t).sort()).toEqual(['conn', 'endFrame', 'endNsec', 'endSec', 'fields', 'requestBytes', 'responseBytes', 'startFrame', 'startNsec', 'startSec', 'status', 'type'])
    expect((buildEvent(t, {precision: 'us'}) as {pbx: unknown}).pbx).toEqual({frames: [1, 1]})
  })
})
