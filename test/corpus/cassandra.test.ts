/**
 * Cassandra against tshark, capture by capture (the CQL captures of ../shared/corpus, read in
 * place). The oracle files beside the captures count CQL frames but do not list them, so tshark's
 * CQL dissector is run here (CI installs tshark) and its PDUs are paired the way the protocol pairs
 * them: a response answers the pending request with the same stream id; EVENT pushes (stream -1)
 * stand alone. Key per transaction: "<request op> <stream> <response op>" ("-" for an absent
 * half), compared as multisets with pbx's cassandra events. Plus the number of requests and
 * responses pbx reports per capture equals tshark's.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {opName} from '../../src/protocols/cassandra/codec.js'
import {analyzeToNdjson} from '../helpers/analyze-to-string.js'
import {ROOT} from '../helpers/run-cli.js'

const DIR = path.resolve(ROOT, '../shared/corpus/packetbeat/cassandra/v4')
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort() : []

function tsharkKeys(file: string): {keys: string[]; requests: number; responses: number} {
  const out = execFileSync('tshark', ['-r', file, '-Y', 'cql', '-T', 'fields', '-E', 'occurrence=a', '-E', 'separator=\t', '-e', 'cql.version', '-e', 'cql.stream', '-e', 'cql.opcode'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  const pending = new Map<number, string>()
  const keys: string[] = []
  let requests = 0
  let responses = 0
  for (const line of out.split('\n').filter(Boolean)) {
    const [v, s, o] = line.split('\t').map((c) => c.split(','))
    v.forEach((ver, i) => {
      const stream = Number(s[i])
      const op = opName(Number(o[i]))
      if ((Number(ver) & 0x80) === 0) {
        requests++
        const old = pending.get(stream)
        if (old !== undefined) keys.push(`${old} ${stream} -`)
        pending.set(stream, op)
        return
      }
      responses++
      if (stream < 0) {
        keys.push(`- ${stream} ${op}`)
        return
      }
      const q = pending.get(stream)
      pending.delete(stream)
      keys.push(`${q ?? '-'} ${stream} ${op}`)
    })
  }
  for (const [stream, op] of pending) keys.push(`${op} ${stream} -`)
  return {keys: keys.sort(), requests, responses}
}

describe('cassandra vs tshark', () => {
  it('has the corpus CQL captures', () => {
    expect(files.length).toBeGreaterThanOrEqual(9)
  })
  for (const f of files) {
    it(f, async () => {
      const file = path.join(DIR, f)
      const {text} = await analyzeToNdjson([file])
      const evs = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((e) => e.type === 'cassandra')
      const got = evs
        .map((e) => {
          const c = e.cassandra
          const stream = c.request?.headers.stream ?? c.response?.headers.stream
          return `${c.request?.headers.op ?? '-'} ${stream} ${c.response?.headers.op ?? '-'}`
        })
        .sort()
      const want = tsharkKeys(file)
      expect(got).toEqual(want.keys)
      expect(evs.filter((e) => e.cassandra.request).length).toBe(want.requests)
      expect(evs.filter((e) => e.cassandra.response).length).toBe(want.responses)
      expect(evs.flatMap((e) => e.pbx?.anomalies ?? [])).toEqual([])
    })
  }
})
