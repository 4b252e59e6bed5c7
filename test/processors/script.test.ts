import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import type {PbxEvent} from '../../src/event/build.js'
import {compileProcessors, type ProcessorCounters, runChainOn} from '../../src/processors/index.js'
import {getPath} from '../../src/processors/path.js'
import {allSampleEvents, sampleEvents} from './samples.js'

const DESIGN = `
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
`

describe('the design document script', () => {
  it('adds response_time (ms) to exactly the 2xx HTTP events', () => {
    const warnings: string[] = []
    const counters: ProcessorCounters = {}
    const chain = compileProcessors(parse(DESIGN)['packetbeat.processors'], 'packetbeat.processors', (m) => warnings.push(m), {counters})
    const events = allSampleEvents()
    let twoXx = 0
    for (const ev of events) {
      const code = getPath(ev, 'http.response.status_code')
      const is2xx = ev.type === 'http' && typeof code === 'number' && code >= 200 && code < 300
      if (is2xx) twoXx++
      expect(runChainOn(chain, ev)).toBe(true)
      if (is2xx) expect(ev.response_time).toBe((getPath(ev, 'event.duration') as number) / 1e6)
      else expect(ev).not.toHaveProperty('response_time')
    }
    expect(twoXx).toBe(10) // nginx 7, ipv6-vlan-chunked 3
    expect(counters).toEqual({})
    expect(warnings).toEqual([
      'packetbeat.processors[0].fields.response_time: "http.response.code" is a legacy Packetbeat field name; pbx reads the ECS field "http.response.status_code"',
      'packetbeat.processors[0].fields.response_time: "http.response.time" is a legacy Packetbeat field; pbx computes it as event.duration / 1e6 (milliseconds)',
    ])
  })
  it('a returned value goes into the field', () => {
    const chain = compileProcessors([{type: 'script', fields: {ms: {script: 'return event.Get("responsetime")'}, ok: 'return event.Get("status") === "OK"'}}], 'p', () => {})
    const [ev] = sampleEvents('http/nginx.ndjson')
    runChainOn(chain, ev)
    expect(ev.ms).toBe(0.687)
    expect(ev.ok).toBe(true)
  })
})

describe('Beats script form', () => {
  const one = (body: Record<string, unknown>, counters: ProcessorCounters = {}) => compileProcessors([{script: body}], 'processors', () => {}, {counters})
  it('event API: Get/Put/Delete/Rename/Tag/AppendTo, params via register', () => {
    const chain = one({
      lang: 'javascript',
      params: {suffix: '!'},
      source: `
        var suffix;
        function register(params) { suffix = params.suffix; }
        function process(event) {
          var old = event.Put("http.response.status_phrase", event.Get("http.response.phrase") + suffix);
          event.Put("old", old);
          event.Delete("user_agent.original");
          event.Rename("url.path", "p");
          event.Tag("a"); event.Tag("a"); event.Tag("b");
          event.AppendTo("list", 1); event.AppendTo("list", 2);
          event.Put("missing", event.Get("no.such.field"));
        }`,
    })
    const [ev] = sampleEvents('http/nginx.ndjson')
    expect(runChainOn(chain, ev)).toBe(true)
    expect(getPath(ev, 'http.response.status_phrase')).toBe('OK!')
    expect(ev.old).toBe('OK')
    expect(ev.user_agent).toBeUndefined()
    expect(ev.p).toBe('/index.html')
    expect(ev.tags).toEqual(['a', 'b'])
    expect(ev.list).toEqual([1, 2])
    expect(ev.missing).toBeNull()
  })
  it('Cancel drops the event', () => {
    const chain = one({source: 'function process(e) { if (e.Get("status") !== "OK") e.Cancel() }'})
    expect(sampleEvents('http/nginx.ndjson').filter((e) => runChainOn(chain, e))).toHaveLength(8)
  })
  it('file and files are read relative to baseDir', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pbx-script-'))
    writeFileSync(path.join(dir, 'a.js'), 'function helper(e) { e.Tag("from-a") }\n')
    writeFileSync(path.join(dir, 'b.js'), 'function process(e) { helper(e) }\n')
    const chain = compileProcessors([{script: {files: ['a.js', 'b.js']}}], 'processors', () => {}, {baseDir: dir})
    const [ev] = sampleEvents('http/nginx.ndjson')
    runChainOn(chain, ev)
    expect(ev.tags).toEqual(['from-a'])
    expect(() => compileProcessors([{script: {file: 'nope.js'}}], 'processors', () => {}, {baseDir: dir})).toThrow('processors[0].script.file: cannot read')
  })
  it('an exception counts processor.script_error, notes the line, tags, and the event goes on', () => {
    const counters: ProcessorCounters = {}
    const chain = one({tag: 'mine', source: 'function process(event) {\n  var x = 1;\n  event.Put("before", x);\n  null.boom;\n}'}, counters)
    const evs = sampleEvents('http/nginx.ndjson').slice(0, 3)
    expect(evs.filter((e) => runChainOn(chain, e))).toHaveLength(3)
    expect(counters).toEqual({'processor.script_error': 3})
    const ev = evs[0]
    expect(getPath(ev, 'pbx.anomalies')).toEqual(['processor.script_error'])
    expect(ev.notes).toHaveLength(1)
    expect((ev.notes as string[])[0]).toMatch(/^processors\[0\]\.script \(tag mine\): script failed: TypeError: .*\(processors\[0\]\.script\.source line 4\)$/)
    expect(ev.tags).toEqual(['_js_exception'])
    expect(ev.before).toBe(1) // changes before the error stay, as in Beats
  })
  it('drop_on_error drops a failing event', () => {
    const chain = one({drop_on_error: true, source: 'function process(e) { throw new Error("no") }'})
    expect(sampleEvents('http/nginx.ndjson').filter((e) => runChainOn(chain, e))).toHaveLength(0)
  })
  it('a per-event time limit stops an endless loop; the next event runs normally', () => {
    const counters: ProcessorCounters = {}
    const chain = one({timeout: '50ms', source: 'function process(e) { if (e.Get("status") === "Error") { for (;;) {} } e.Tag("ok") }'}, counters)
    const evs = sampleEvents('http/nginx.ndjson').slice(0, 3) // OK, Error, OK
    const t0 = Date.now()
    for (const e of evs) runChainOn(chain, e)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(counters['processor.script_error']).toBe(1)
    expect((evs[1].notes as string[]).at(-1)).toContain('timed out')
    expect(evs[0].tags).toEqual(['ok'])
    expect(evs[2].tags).toEqual(['ok'])
  })
  it('design form: an error names the processor and the body line', () => {
    const counters: ProcessorCounters = {}
    const chain = compileProcessors([{name: 'rt', type: 'script', fields: {x: {script: 'var a = 1\nundefinedFn()'}}}], 'packetbeat.processors', () => {}, {counters})
    const [ev] = sampleEvents('http/nginx.ndjson')
    expect(runChainOn(chain, ev)).toBe(true)
    expect((ev.notes as string[])[0]).toBe('packetbeat.processors[0] (rt): script failed: ReferenceError: undefinedFn is not defined (packetbeat.processors[0].fields.x.script line 2)')
    expect(counters['processor.script_error']).toBe(1)
  })
  it('scripts have no require, process or timers', () => {
    const chain = one({source: 'function process(e) { e.Put("t", [typeof require, typeof setTimeout, typeof globalThis.process].join()) }'})
    const ev: PbxEvent = {}
    runChainOn(chain, ev)
    expect(ev.t).toBe('undefined,undefined,function') // globalThis.process is the script's own process()
  })
  it.each([
    [{source: 'function nope() {}'}, 'processors[0].script: the script must define a function process(event)'],
    [{source: 'function process( {'}, 'processors[0].script: the script does not load: SyntaxError'],
    [{lang: 'python', source: 'x'}, 'processors[0].script.lang: only javascript is supported'],
    [{}, 'processors[0].script: set exactly one of source, file and files'],
    [{source: 'function process(e){}', timeout: 'soon'}, 'processors[0].script.timeout: expected a duration'],
    [{source: 'function process(e){}', sourcee: 1}, 'processors[0].script.sourcee: unknown option'],
  ])('config error %j', (body, msg) => {
    expect(() => one(body)).toThrow(msg)
  })
})

describe('legacy names in scripts', () => {
  it('warns for a legacy field name read through event.Get, not for the same word as a value', () => {
    const warnings: string[] = []
    compileProcessors([{type: 'script', fields: {a: {script: 'return event.Get("responsetime") > 1 ? "server" : "port"'}}}], 'processors', (m) => warnings.push(m))
    expect(warnings).toEqual(['processors[0].fields.a: "responsetime" is a legacy Packetbeat field; pbx computes it as event.duration / 1e6 (milliseconds)'])
  })
})
