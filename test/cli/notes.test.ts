import {describe, expect, it} from 'vitest'
import {ANOMALIES} from '../../src/event/anomalies.js'
import {pbx} from '../helpers/run-cli.js'

describe('pbx notes', () => {
  it('lists every anomaly code with its description (--json)', () => {
    const r = pbx(['notes', '--json'])
    expect(r.status).toBe(0)
    const list = JSON.parse(r.stdout) as {code: string; description: string; text: string}[]
    expect(list.map((x) => x.code)).toEqual(Object.keys(ANOMALIES).sort())
    const gap = list.find((x) => x.code === 'tcp.gap')
    expect(gap?.description).toMatch(/never captured/)
    expect(gap?.text).toBe('gap in the TCP stream')
  })

  it('prints a table: one line per code, code first', () => {
    const r = pbx(['notes'])
    expect(r.status).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines.length).toBe(Object.keys(ANOMALIES).length)
    expect(lines.some((l) => /^limit\.pending_requests\s+More than limits\.maxPendingRequests/.test(l))).toBe(true)
  })
})
