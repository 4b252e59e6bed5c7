/**
 * A Packetbeat configuration, --where and --filter driving a real run through `pbx analyze`.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {pbx, ROOT} from '../helpers/run-cli.js'

const SAMPLE = 'samples/http/nginx.pcap'
const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-cfgrun-'))
const golden = readFileSync(path.join(ROOT, 'samples/http/nginx.ndjson'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))

/** The design document's configuration, verbatim. */
const DESIGN = `packetbeat.inputs:
- type: sniffer
  interface: eth0
  protocols:
    - http
packetbeat.processors:
- name: response_time
  type: script
  condition:
    has_fields: ["http.response.code"]
  fields:
    response_time:
      script: >
        if (event.Get("http.response.code") >= 200 && event.Get("http.response.code") < 300) {
          var responseTime = event.Get("http.response.time");
          event.Put("response_time", responseTime);
        }
packetbeat.output.elasticsearch:
  hosts: ["localhost:9200"]
`

describe('configuration in a run', () => {
  it("runs the design document's configuration offline: response_time on exactly the 2xx HTTP events", () => {
    const cfg = path.join(tmp, 'design.yml')
    writeFileSync(cfg, DESIGN)
    const r = pbx(['analyze', SAMPLE, '-c', cfg, '--format', 'ndjson'])
    expect(r.status).toBe(0)
    const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(evs).toHaveLength(golden.length)
    for (const [i, ev] of evs.entries()) {
      const code = golden[i].http.response.status_code
      if (code >= 200 && code < 300) expect(ev.response_time).toBe(golden[i].event.duration / 1e6)
      else expect(ev).not.toHaveProperty('response_time')
    }
    expect(evs.filter((e) => 'response_time' in e).length).toBeGreaterThan(3)
    // one warning per legacy name, naming the ECS field
    expect(r.stderr).toMatch(/"http\.response\.code" is a legacy Packetbeat field name; pbx reads the ECS field "http\.response\.status_code"/)
    expect(r.stderr.match(/legacy Packetbeat field/g)).toHaveLength(2)
  })

  it('keeps only the events --where selects, and reports a bad condition with a caret, exit 2', () => {
    const r = pbx(['analyze', SAMPLE, '-f', 'ndjson', '--where', 'http.response.status_code >= 400'])
    expect(r.status).toBe(0)
    const codes = r.stdout.trim().split('\n').map((l) => JSON.parse(l).http.response.status_code)
    expect(codes).toEqual(golden.map((e) => e.http.response.status_code).filter((c: number) => c >= 400))
    const bad = pbx(['analyze', SAMPLE, '--where', 'http.response.status_code >>= 400'])
    expect(bad.status).toBe(2)
    expect(bad.stderr.split('\n').slice(1, 3)).toEqual(['  http.response.status_code >>= 400', expect.stringMatching(/^ +\^$/)])
  })

  it('applies --filter before decoding and reports a bad expression with a caret, exit 2', () => {
    const none = pbx(['analyze', SAMPLE, '-f', 'ndjson', '--filter', 'udp'])
    expect(none.status).toBe(0)
    expect(none.stdout).toBe('')
    const all = pbx(['analyze', SAMPLE, '-f', 'ndjson', '--filter', 'tcp port 18080 and host 127.0.0.1'])
    expect(all.stdout.trim().split('\n')).toHaveLength(golden.length)
    const bad = pbx(['analyze', SAMPLE, '--filter', 'tcp port http'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toBe('pbx: bad --filter: expected a port number after "port"\n  tcp port http\n           ^\n')
  })

  it('sends events to the outputs of the file when the command line names none', () => {
    const out = path.join(tmp, 'cfg-out')
    const cfg = path.join(tmp, 'file-out.yml')
    writeFileSync(cfg, `output.file:\n  path: ${out}\n  filename: events\n`)
    const r = pbx(['analyze', SAMPLE, '-c', cfg])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/Transactions: 13/)
    expect(readFileSync(path.join(out, 'events'), 'utf8').trim().split('\n')).toHaveLength(golden.length)
  })
})

describe('packetbeat.interfaces when reading a file', () => {
  it('is ignored with one note; ignored service sections are noted too', () => {
    const cfg = path.join(tmp, 'ifaces.yml')
    writeFileSync(cfg, 'packetbeat.interfaces.device: any\npacketbeat.interfaces.snaplen: 65535\nlogging.level: debug\npacketbeat.protocols:\n- type: http\n  ports: [18080]\n')
    const r = pbx(['analyze', SAMPLE, '-c', cfg, '--format', 'ndjson'])
    expect(r.status).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(golden.length)
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('pbx: note:'))
    expect(notes).toEqual([
      'pbx: note: packetbeat.interfaces is used by live capture (pbx live); reading capture files ignores it',
      'pbx: note: accepted and ignored (no meaning for offline analysis): logging.level',
    ])
  })
})
