import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {makeLimits} from '../../src/limits.js'
import {SummaryOutput} from '../../src/output/summary/index.js'
import {TextWriter} from '../../src/output/writer.js'
import {Stats} from '../../src/stats.js'

function ev(type: string, status: string, durationNs: number, reqBytes: number, respBytes: number, extra: Record<string, unknown> = {}) {
  return {
    type,
    status,
    event: {duration: durationNs},
    source: {ip: '10.0.0.1', port: 1000, bytes: reqBytes},
    destination: {ip: '10.0.0.2', port: 53, bytes: respBytes},
    network: {bytes: reqBytes + respBytes},
    ...extra,
  }
}

function render(events: Record<string, unknown>[]): string {
  const out = new SummaryOutput(new TextWriter(new PassThrough(), 'test'), false, makeLimits(), {color: false})
  for (const e of events) out.write(e)
  return out.render({files: [], stats: new Stats(), captures: [], errors: []})
}

describe('SummaryOutput', () => {
  it('computes latency only over answered transactions', () => {
    const text = render([
      ev('dns', 'OK', 2_000_000, 40, 80),
      ev('dns', 'OK', 2_000_000, 40, 80),
      ev('dns', 'Error', 0, 40, 0, {notes: ['no response']}),
      ev('dns', 'Error', 0, 0, 80, {notes: ['response without request']}),
    ])
    const row = text.split('\n').find((l) => l.trim().startsWith('dns'))!
    expect(row.split(/\s+/).filter(Boolean)).toEqual(['dns', '4', '2', '2', '0', '2.0ms', '2.0ms', '2.0ms', '2.0ms', '360', 'B'])
    expect(text).toContain('dns: no response')
  })

  it('escapes terminal control sequences from packet data', () => {
    const text = render([ev('http', 'OK', 1000, 10, 10, {query: 'GET /\x1b[2J\x1b]0;owned\x07'})])
    expect(text).not.toContain('\x1b')
    expect(text).toContain('GET /\\x1b[2J\\x1b]0;owned\\x07')
  })
})
