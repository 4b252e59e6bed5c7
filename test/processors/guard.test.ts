import vm from 'node:vm'
import {describe, expect, it} from 'vitest'
import {Guard, instrumentLoops} from '../../src/processors/guard.js'
import {compileProcessors, type ProcessorCounters, runChainOn} from '../../src/processors/index.js'

describe('instrumentLoops', () => {
  it.each([
    ['while (x) y()', 'while (__pbx_t() && (x)) y()'],
    ['do { a() } while (b)', 'do { a() } while (__pbx_t() && (b))'],
    ['for (;;) {}', 'for (; __pbx_t();) {}'],
    ['for (let i = 0; i < 3; i++) f(i)', 'for (let i = 0; __pbx_t() && ( i < 3); i++) f(i)'],
    ['for (const k of xs) f(k)', 'for (const k of xs) f(k)'],
    ['function f(a, b = g(1)) { return a }', 'function f(a, b = g(1)) {__pbx_t(); return a }'],
    ['const f = (a) => { return a }', 'const f = (a) => {__pbx_t(); return a }'],
    ['const f = a => ({a})', 'const f = a => ({a})'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: script source containing a template literal
    ['var s = "while (x)"; // for (;;)\n/* while(1) */ x = `for (;;) ${"while(y)"}`', 'var s = "while (x)"; // for (;;)\n/* while(1) */ x = `for (;;) ${"while(y)"}`'],
    ['x = /while(a)/g.test(s); y = a / b / c', 'x = /while(a)/g.test(s); y = a / b / c'],
    ['o.while = 1; o.for(1)', 'o.while = 1; o.for(1)'],
    ['if (a) { while (b) {} }', 'if (a) { while (__pbx_t() && (b)) {} }'],
    ['if (x) /for(;;)/.test(s); y = (a) / 2', 'if (x) /for(;;)/.test(s); y = (a) / 2'],
    ['while (x) /while(1)/.test(s)', 'while (__pbx_t() && (x)) /while(1)/.test(s)'],
  ])('%j', (src, want) => {
    expect(instrumentLoops(src)).toBe(want)
  })
  it('keeps line numbers', () => {
    const src = 'function process(e) {\n  for (;;) {\n    while (1) {}\n  }\n}\n'
    expect(instrumentLoops(src).split('\n')).toHaveLength(src.split('\n').length)
  })
})

describe('the guard stops runaway scripts', () => {
  const cases = [
    'while (true) {}',
    'for (;;) {}',
    'do {} while (true)',
    'for (;;) { try { for (;;) {} } catch (e) {} }',
    'function spin() { for (var i = 0; i < 1e12; i++) {} } spin()',
    'const f = (n) => { return n < 2 ? n : f(n - 1) + f(n - 2) }; f(60)',
  ]
  it.each(cases)('%s', (body) => {
    const counters: ProcessorCounters = {}
    const chain = compileProcessors([{script: {timeout: '30ms', source: `function process(e) { ${body} }`}}], 'p', () => {}, {counters})
    const ev: Record<string, unknown> = {}
    const t0 = Date.now()
    expect(runChainOn(chain, ev)).toBe(true)
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(counters['processor.script_error']).toBe(1)
    expect((ev.notes as string[])[0]).toContain('timed out after 30ms')
  })
  it('the guard throws only after the deadline', () => {
    const g = new Guard(10_000)
    g.start()
    for (let i = 0; i < 5000; i++) expect(g.tick()).toBe(true)
    const ctx = vm.createContext({t: g.tick})
    expect(vm.runInContext('var n = 0; while (t() && n < 3000) n++; n', ctx)).toBe(3000)
  })
})
