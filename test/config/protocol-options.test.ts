/**
 * Options of protocols added after the config layer (amqp, thrift, cassandra, ...) reach their
 * sessions through a packetbeat.yml: the config knows every protocol of the registry.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {pbx} from '../helpers/run-cli.js'

const dir = mkdtempSync(path.join(tmpdir(), 'pbx-protoopts-'))

function run(sample: string, yml: string): {events: Record<string, unknown>[]; stderr: string} {
  const cfg = path.join(dir, `${Math.random().toString(36).slice(2)}.yml`)
  writeFileSync(cfg, yml)
  const r = pbx(['analyze', `samples/${sample}`, '-c', cfg, '--format', 'ndjson'])
  expect(r.status, r.stderr).toBe(0)
  return {events: r.stdout.trim().split('\n').map((l) => JSON.parse(l)), stderr: r.stderr}
}

describe('amqp options from a packetbeat.yml', () => {
  it('hide_connection_information: false reports the connection set-up methods', () => {
    const base = run('amqp/amqp.pcap', 'packetbeat.protocols:\n- type: amqp\n  ports: [5672]\n')
    const shown = run('amqp/amqp.pcap', 'packetbeat.protocols:\n- type: amqp\n  ports: [5672]\n  hide_connection_information: false\n')
    expect(base.stderr).not.toContain('not supported')
    expect(base.events.some((e) => e.method === 'connection.open')).toBe(false)
    expect(shown.events.some((e) => e.method === 'connection.open')).toBe(true)
    expect(shown.events.length).toBeGreaterThan(base.events.length)
  })
  it('a wrong value names the key', () => {
    const cfg = path.join(dir, 'bad.yml')
    writeFileSync(cfg, 'packetbeat.protocols:\n- type: amqp\n  max_body_length: lots\n')
    const r = pbx(['analyze', 'samples/amqp/amqp.pcap', '-c', cfg, '--format', 'ndjson'])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('max_body_length')
  })
})
