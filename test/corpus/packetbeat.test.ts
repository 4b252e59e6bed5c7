/**
 * A second oracle: Packetbeat's own system-test expectations
 * (../shared/corpus/packetbeat/packetbeat_test_expectations.json: what beats'
 * packetbeat/tests/system/test_*.py assert for each pcap, summarised as data).
 *
 * For every test of a pcap whose protocol pbx implements, pbx runs in-process with the test's
 * Packetbeat configuration mapped onto pbx's (./packetbeat/config.ts: per-protocol ports, port-only
 * protocol selection, send_headers) and every applicable fact is evaluated with the semantics of
 * the Python assertion (./packetbeat/facts.ts). One `it` per pcap/test.
 *
 * Not applicable, decided up front from the tables in ./packetbeat/config.ts (never by outcome):
 *   - tests of protocols pbx does not implement (UNIMPLEMENTED_PROTOCOLS);
 *   - tests configured with a key in NA_TEST_KEYS (processors; flows until the CLI has --flows);
 *   - facts on a field in NA_FIELDS (raw request/response text, bodies, agent tags, proc) or on a
 *     field the test's config changes in a way pbx does not implement (NA_KEY_FIELDS).
 * Packetbeat's golden cases (key `golden`: selected fields of every event) are turned into the same
 * facts (event_count, field Eq, field_len for "name(count)") and run as tests named "golden: ...".
 *
 * Events Packetbeat by design does not publish are set aside first by the named rules of
 * ./packetbeat/alignments.ts (counts asserted per test). Facts that pbx fails for a recorded reason
 * are in ./packetbeat/exceptions.ts; the test asserts each still fails exactly as recorded. A
 * summary line (applicable / passed / exceptions / not applicable) is printed at the end.
 *
 * PB_RECORD=1 prints, instead of failing, the failing facts and set-aside counts as JSON (to review
 * and classify by hand into the tables; never to copy blindly).
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {ROOT} from '../helpers/run-cli.js'
import {ALIGN, align} from './packetbeat/alignments.js'
import {flowsWired, mapConfig, NA_FIELDS, NA_TEST_KEYS, UNIMPLEMENTED_PROTOCOLS} from './packetbeat/config.js'
import {EXCEPTIONS} from './packetbeat/exceptions.js'
import {evaluate, type Fact, factFields, factLabel} from './packetbeat/facts.js'
import {type Ev, runPbx} from './packetbeat/run.js'

const DIR = path.resolve(ROOT, '../shared/corpus/packetbeat')
const EXPECTATIONS = path.join(DIR, 'packetbeat_test_expectations.json')
const RECORD = process.env.PB_RECORD === '1'

interface PbTest {
  test: string
  config_overrides: Record<string, unknown>
  facts: Fact[]
  event_types_read?: string[] | null
}
interface Golden {
  golden_case: string
  config_overrides: Record<string, unknown>
  event_count: number
  events_selected_fields: Record<string, unknown>[]
}
interface Expectations {
  packetbeat_default_ports: Record<string, number[]>
  pcaps: Record<string, {tests?: PbTest[]; golden?: Golden[]; pcap_not_in_corpus?: string}>
}

/** A golden case as facts: the event count, then every selected field of every event. */
function goldenTest(g: Golden): PbTest {
  const facts: Fact[] = [{kind: 'event_count', op: 'Eq', value: g.event_count}]
  g.events_selected_fields.forEach((ev, i) => {
    for (const [k, v] of Object.entries(ev)) {
      const count = /^(.+)\(count\)$/.exec(k)
      facts.push(count ? {kind: 'field_len', event: i, field: count[1], op: 'Eq', value: v} : {kind: 'field', event: i, field: k, op: 'Eq', value: v})
    }
  })
  return {test: `golden: ${g.golden_case}`, config_overrides: g.config_overrides, facts}
}

/** Why a fact is not applicable, or undefined. A field matches a table entry at or under it. */
function factNa(f: Fact, configNa: Map<string, string>): string | undefined {
  for (const field of factFields(f)) {
    for (const [name, why] of Object.entries(NA_FIELDS)) if (field === name || field.startsWith(`${name}.`)) return `field ${name}: ${why}`
    for (const [name, why] of configNa) if (field === name || field.startsWith(`${name}.`)) return `config ${why}`
  }
  return undefined
}

/** Not-applicable facts per reason (printed after the summary). */
const naReasons = new Map<string, number>()
const naCount = (why: string, n: number) => naReasons.set(why, (naReasons.get(why) ?? 0) + n)

const counts = {
  tests: 0,
  testsNa: 0,
  applicable: 0,
  passed: 0,
  normalised: 0,
  setAside: 0,
  exceptions: {} as Record<string, number>,
  na: 0,
}
const recorded: Record<string, unknown> = {}

const exp: Expectations | null = existsSync(EXPECTATIONS) ? JSON.parse(readFileSync(EXPECTATIONS, 'utf8')) : null
const FLOWS = flowsWired(ROOT)

describe('packetbeat system-test expectations', () => {
  it('are present beside the project with their pcaps', () => {
    expect(exp).not.toBeNull()
    expect(Object.keys(exp?.pcaps ?? {}).length).toBeGreaterThan(100)
  })
  if (!exp) return

  for (const [pcap, entry] of Object.entries(exp.pcaps)) {
    const file = path.join(DIR, pcap)
    for (const t of [...(entry.tests ?? []), ...(entry.golden ?? []).map(goldenTest)]) {
      const id = `${pcap} :: ${t.test}`
      counts.tests++
      const mapped = mapConfig(t.config_overrides, exp.packetbeat_default_ports)
      const proto = UNIMPLEMENTED_PROTOCOLS.find((p) => pcap.includes(p) || Object.keys(t.config_overrides).some((k) => k.startsWith(`${p}_`)))
      const naKeys = mapped.naTestKeys.filter((k) => !(k === 'flows' && FLOWS))
      const testNa = proto
        ? `protocol ${proto} is not implemented by pbx`
        : !existsSync(file)
          ? `pcap not in the corpus (${entry.pcap_not_in_corpus ?? 'missing'})`
          : naKeys.length > 0
            ? naKeys.map((k) => `${k}: ${NA_TEST_KEYS[k]}`).join('; ')
            : undefined
      if (testNa) {
        counts.testsNa++
        counts.na += t.facts.length
        naCount(`whole test: ${testNa.split(':')[0]}`, t.facts.length)
        continue
      }

      it(id, async () => {
        expect(mapped.unknown, 'unclassified Packetbeat config keys: add them to ./packetbeat/config.ts').toEqual([])
        let all: Ev[] = await runPbx(file, mapped.run)
        if (t.event_types_read) all = all.filter((e) => t.event_types_read?.includes(e.type))
        const {kept: events, dropped} = align(id, all)
        const groups = EXCEPTIONS[id] ?? []
        const failures: string[] = []
        const stale: string[] = []
        const seen = new Set<string>()
        const local = {applicable: 0, passed: 0, normalised: 0, na: 0, naWhy: [] as string[], exceptions: {} as Record<string, number>}
        for (const f of t.facts) {
          const na = factNa(f, mapped.naFields)
          if (na) {
            local.na++
            local.naWhy.push(na.split(':')[0])
            continue
          }
          local.applicable++
          const label = factLabel(f)
          const out = evaluate(f, events)
          const group = groups.find((g) => Object.hasOwn(g.facts, label))
          if (group) {
            seen.add(label)
            const want = group.facts[label]
            if (out.ok) stale.push(`${label}: now passes (remove the exception)`)
            else if (JSON.stringify(out.got) !== JSON.stringify(want)) stale.push(`${label}: pbx now has ${JSON.stringify(out.got)}, recorded ${JSON.stringify(want)}`)
            else local.exceptions[group.reason] = (local.exceptions[group.reason] ?? 0) + 1
            continue
          }
          if (out.ok) {
            local.passed++
            if (out.normalised) local.normalised++
          } else failures.push(`${label}: pbx has ${JSON.stringify(out.got)}`)
        }
        for (const g of groups) {
          for (const label of Object.keys(g.facts)) if (!seen.has(label)) stale.push(`${label}: recorded exception matches no applicable fact`)
          for (const f of g.instead ?? []) {
            const out = evaluate(f, events)
            if (!out.ok) stale.push(`instead-fact ${factLabel(f)} fails: pbx has ${JSON.stringify(out.got)}`)
          }
        }
        const wantDropped = ALIGN[id] ?? {}
        if (RECORD) {
          if (failures.length > 0 || stale.length > 0 || JSON.stringify(dropped) !== JSON.stringify(wantDropped)) {
            recorded[id] = {failures, stale, dropped}
          }
          return
        }
        expect(dropped, `events set aside for ${id} (./packetbeat/alignments.ts ALIGN)`).toEqual(wantDropped)
        if (stale.length > 0) throw new Error(`stale exceptions for ${id}:\n${stale.join('\n')}`)
        if (failures.length > 0) throw new Error(`facts pbx fails for ${id} (${events.length} events):\n${failures.join('\n')}`)
        counts.applicable += local.applicable
        counts.passed += local.passed
        counts.normalised += local.normalised
        counts.na += local.na
        for (const w of local.naWhy) naCount(w, 1)
        counts.setAside += Object.values(dropped).reduce((a, b) => a + b, 0)
        for (const [r, n] of Object.entries(local.exceptions)) counts.exceptions[r] = (counts.exceptions[r] ?? 0) + n
      })
    }
  }

  afterAll(() => {
    if (RECORD) console.log(JSON.stringify(recorded, null, 1))
    const ex = Object.entries(counts.exceptions)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ')
    console.log(
      `packetbeat expectations: ${counts.tests} tests (${counts.tests - counts.testsNa} run, ${counts.testsNa} not applicable); ` +
        `facts: ${counts.applicable} applicable, ${counts.passed} passed (${counts.normalised} after ms-truncating pbx's timestamps), ` +
        `exceptions ${ex || 'none'}; ${counts.na} not applicable; ${counts.setAside} pbx events set aside by alignment rules`,
    )
    console.log(`not applicable: ${[...naReasons].map(([w, n]) => `${w} ${n}`).join('; ')}`)
  })
})
