import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {pbx} from '../helpers/run-cli.js'

const SAMPLE = 'samples/thrift/thrift.pcap'

describe('pbx analyze with protocols.thrift options', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pbx-thrift-cli-'))
  const cfg = (name: string, text: string) => {
    const f = path.join(dir, name)
    writeFileSync(f, text)
    return f
  }

  it('reads idl_files and the rendering options from the config', () => {
    const idl = cfg('calc.thrift', 'struct Person { 1: string name, 2: i32 age, 3: list<string> tags, 4: map<string, i32> facts }\nservice Calc { i32 add(1: i32 a, 2: i32 b), string describe(1: Person who) }\n')
    const c = cfg('ok.yml', `protocols:\n  thrift:\n    idl_files: [${idl}]\n    collection_max_size: 1\n    obfuscate_strings: true\n`)
    const r = pbx(['analyze', SAMPLE, '--config', c, '--format', 'ndjson'])
    expect(r.status).toBe(0)
    const ev = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    const add = ev.find((e) => e.method === 'add')
    expect(add.thrift).toMatchObject({service: 'Calc', params: '(a: 40, ...)'})
    const d = ev.find((e) => e.method === 'describe')
    expect(d.thrift.params).toBe('(who: (name: "*", ...))')
  })

  it('rejects bad option values and unreadable IDL files, naming the key (exit 2)', () => {
    const c = cfg('bad.yml', `protocols:\n  thrift:\n    transport_type: udp\n    idl_files: [${path.join(dir, 'nope.thrift')}]\n`)
    const r = pbx(['analyze', SAMPLE, '--config', c, '--format', 'ndjson'])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('thrift.transport_type: "udp" is not socket or framed')
    expect(r.stderr).toContain(`thrift.idl_files: cannot read Thrift IDL file ${path.join(dir, 'nope.thrift')}`)
    expect(r.stdout).toBe('')
  })
})
