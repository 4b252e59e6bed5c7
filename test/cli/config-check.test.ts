import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import {pbx} from '../helpers/run-cli.js'

const fx = (name: string) => path.join('test/config/fixtures', name)

describe('pbx config check', () => {
  it('prints the effective configuration of the reference layout, secrets redacted, warnings on stderr', () => {
    const r = pbx(['config', 'check', fx('reference.yml')])
    expect(r.status).toBe(0)
    const doc = parse(r.stdout)
    expect(doc.protocols.http.ports).toEqual([80, 8080, 8000, 5000, 8002])
    expect(doc.outputs.elasticsearch.password).toBe('<redacted>')
    expect(doc.outputs.elasticsearch.api_key).toBe('<redacted>')
    expect(doc.limits.maxConnections).toBe(100000)
    expect(r.stdout).not.toContain('changeme')
    expect(r.stderr).toContain('pbx: warning: config test/config/fixtures/reference.yml: not supported, ignored: processors[0].else[0].add_host_metadata (processor add_host_metadata)')
    expect(r.stderr).not.toContain('(protocol amqp)')
    expect(r.stderr).toContain('pbx: note: accepted and ignored')
  })
  it('the design document config is valid, with two legacy-name warnings', () => {
    const r = pbx(['config', 'check', fx('design.yml')])
    expect(r.status).toBe(0)
    expect(r.stderr.match(/pbx: warning: /g)).toHaveLength(2)
    expect(parse(r.stdout).protocols.dns.enabled).toBe(false)
  })
  it('exits 2 on a wrong value, naming the key, the value and what was expected', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pbx-cfg-'))
    const f = path.join(dir, 'bad.yml')
    writeFileSync(f, 'packetbeat.protocols:\n- type: http\n  enabled: maybe\n')
    const r = pbx(['config', 'check', f])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`pbx: config ${f}: packetbeat.protocols[0].enabled: expected a boolean (true/false, yes/no, on/off), got "maybe"\n`)
  })
  it('exits 2 on a missing file', () => {
    const r = pbx(['config', 'check', '/nonexistent/packetbeat.yml'])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('cannot read config /nonexistent/packetbeat.yml')
  })
})
