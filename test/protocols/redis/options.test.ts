/** redis protocol options: queue_max_messages / queue_max_bytes (Packetbeat's). */
import {describe, expect, it} from 'vitest'
import {protocol} from '../../../src/protocols/redis/index.js'
import {collector, drive, fakeConn, type Step} from '../../helpers/stream-harness.js'

const b = (s: string) => Buffer.from(s, 'latin1')
const cmd = (...args: string[]) => b(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''))

/** Four pipelined GETs, then their four replies. */
const steps: Step[] = [
  {dir: 0, bytes: Buffer.concat(['a', 'b', 'c', 'd'].map((k) => cmd('GET', k))), t: 1},
  {dir: 1, bytes: b('$1\r\nA\r\n$1\r\nB\r\n$1\r\nC\r\n$1\r\nD\r\n'), t: 2},
]

function run(options: Record<string, unknown>) {
  const c = collector({}, options)
  drive(protocol.tcp!.create(fakeConn(), c.ctx), steps)
  return {out: c.out.map((t) => [t.query, t.status, t.anomalies ?? []]), stats: c.stats}
}

describe('redis options', () => {
  it('unset: every request is answered in order', () => {
    expect(run({}).out.map((x) => x[1])).toEqual(['OK', 'OK', 'OK', 'OK'])
  })
  it('queue_max_messages: beyond it the oldest waiting request is emitted unanswered', () => {
    const r = run({queue_max_messages: 2})
    expect(r.out.slice(0, 2)).toEqual([
      ['GET a', 'Error', ['limit.pending_requests']],
      ['GET b', 'Error', ['limit.pending_requests']],
    ])
    // the replies then pair with what is left (FIFO, as Packetbeat): two answered, two unmatched replies
    expect(r.out.filter((x) => x[1] === 'OK').map((x) => x[0])).toEqual(['GET c', 'GET d'])
    expect(r.stats.limitsHit.has('maxPendingRequests')).toBe(true)
  })
  it('queue_max_bytes: the request bytes waiting are bounded the same way', () => {
    const one = cmd('GET', 'a').length
    const r = run({queue_max_bytes: one * 2})
    expect(r.out.filter((x) => (x[2] as string[]).includes('limit.pending_requests')).map((x) => x[0])).toEqual(['GET a', 'GET b'])
  })
})
