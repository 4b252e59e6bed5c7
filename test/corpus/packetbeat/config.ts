/**
 * Packetbeat test configuration -> pbx run options, and the up-front "not applicable" tables.
 *
 * Packetbeat's system tests render one config template in which every protocol is enabled on its
 * default ports (expectations key `packetbeat_default_ports`) unless the test overrides
 * `<proto>_ports`, and Packetbeat selects a protocol by port only. We mirror that: every pbx
 * protocol gets `protocolOptions[<name>].ports` = the test's ports or Packetbeat's defaults (the
 * dispatcher honours configured ports before its own defaults), and content detection is switched
 * off (a copy of each Protocol without `detect`), so pbx parses exactly the connections Packetbeat
 * parsed. pbx's detection is exercised by the tshark-oracle corpus suite, not here.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {protocols as registry} from '../../../src/protocols/registry.js'
import type {Protocol} from '../../../src/protocols/types.js'
import type {RunOptions} from './run.js'

/** Packetbeat protocol name -> pbx protocol name, where they differ. */
const PB_TO_PBX: Record<string, string> = {dhcp: 'dhcpv4'}

/** Packetbeat protocols pbx has no parser for: their tests are counted as not applicable. None today. */
export const UNIMPLEMENTED_PROTOCOLS: readonly string[] = []

/**
 * Config keys that make a whole test not applicable (the facts assert the key's effect, which pbx
 * has no counterpart for). `flows` is applicable once `pbx analyze --flows` exists.
 */
export const NA_TEST_KEYS: Record<string, string> = {
  processors:
    'pbx has no processors stage (drop_event/drop_fields/include_fields): the facts assert what the processors removed or kept',
  flows: '`pbx analyze` has no --flows flag yet (src/commands/analyze.ts): flow records are not part of the CLI output',
}

/**
 * Config keys that make only the facts on the listed fields not applicable (the option changes
 * those fields; other facts of the same test still hold for pbx). A field matches when the fact's
 * field equals it or lies under it.
 */
export const NA_KEY_FIELDS: Record<string, {fields: string[]; why: string}> = {
  include_mime: {
    fields: ['http.request.mime_type', 'http.response.mime_type'],
    why: "Packetbeat's include_mime sniffs the body's MIME type; pbx reports the declared Content-Type (without parameters)",
  },
}

/**
 * Packetbeat test config keys that are pbx protocol options of the same name and meaning
 * (`<proto>_<option>` -> protocolOptions[proto][option]), passed through as they are.
 */
export const PASSED_OPTIONS: Record<string, string[]> = {
  http: [
    'send_headers',
    'send_all_headers',
    'split_cookie',
    'real_ip_header',
    'hide_keywords',
    'redact_authorization',
    'redact_headers',
    'send_request',
    'send_response',
    'include_body_for',
    'include_request_body_for',
    'include_response_body_for',
    'decode_body',
    'max_message_size',
  ],
  dns: ['include_authorities', 'include_additionals', 'send_request', 'send_response'],
  tls: ['send_certificates', 'include_raw_certificates', 'fingerprints'],
  thrift: ['transport_type'],
  cassandra: ['send_request', 'send_response', 'send_request_header', 'send_response_header', 'compressor', 'ignored_ops'],
}

/**
 * Packetbeat's thrift tests name IDL files of its own test tree (tests/files/*.thrift), which the
 * corpus does not carry: pbx's test fixtures in ./thrift/ declare the same services, functions and
 * parameter names (written for pbx; see their headers).
 */
const THRIFT_IDL_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'thrift')

/** Protocols whose send_request / send_response are implemented (`request` / `response` fields). */
const RAW_TEXT: ReadonlySet<string> = new Set(['http', 'dns', 'thrift'])

/**
 * Fields pbx deliberately does not emit, in every test: facts on them are not applicable.
 * (Absence facts on them would hold vacuously, so they are not counted as passes either.)
 */
export const NA_FIELDS: Record<string, string> = {
  tags: 'agent-level tags (agent_tags) are a shipper feature pbx does not have',
  proc: 'process enrichment (procs_enabled) needs a live host; pbx reads captures',
}

/**
 * Config keys that do not change any fact pbx is checked on (accepted and ignored), with why.
 * Anything else unknown makes the test fail loudly so a new key gets classified.
 */
export const IGNORED_KEYS: Record<string, string> = {
  shutdown_timeout: 'how long Packetbeat waits before exiting; pbx flushes at end of input',
  iface_device: 'live capture device; the test reads a pcap',
  input_plugins: 'obsolete Packetbeat input setting',
  procs_enabled: 'process enrichment; its facts (proc fields) are not applicable',
  agent_tags: 'its facts (tags) are not applicable',
  http_transaction_timeout:
    'Packetbeat expires unmatched requests on a wall-clock timer; pbx flushes them at end of input (capture clock) - same events',
  memcache_udp_transaction_timeout: 'as http_transaction_timeout: pbx flushes at end of input',
  amqp_send_request: 'affects only `request` (not applicable)',
  mysql_max_rows: 'bounds the rows of `response` (pbx implements it, test/config/db-raw-text.test.ts); no fact checked here reads `response`; num_rows still counts all rows',
  mysql_max_row_length: 'bounds each row of `response` (implemented; no fact checked here reads `response`)',
  pgsql_max_rows: 'bounds the rows of `response` (implemented; no fact checked here reads `response`); num_rows still counts all rows',
  pgsql_max_row_length: 'bounds each row of `response` (implemented; no fact checked here reads `response`)',
  mongodb_max_docs: 'bounds the documents of `response` (implemented; no fact checked here reads `response`)',
  mongodb_max_doc_length: 'bounds each document of `response` (implemented; no fact checked here reads `response`)',
  tls_include_detailed_fields: 'false removes tls.detailed.*; that golden case selects no tls.detailed field',
}

/** True when `pbx analyze` exposes flow records. */
export function flowsWired(root: string): boolean {
  const src = readFileSync(path.join(root, 'src/commands/analyze.ts'), 'utf8')
  return /\bflows\s*:\s*Flags\./.test(src)
}

/** Packetbeat port override values may be strings ("9200"). */
function portList(v: unknown): number[] {
  if (!Array.isArray(v)) throw new Error(`ports must be a list, got ${JSON.stringify(v)}`)
  return v.map((x) => {
    const n = typeof x === 'string' ? Number(x) : x
    if (!Number.isInteger(n)) throw new Error(`bad port ${JSON.stringify(x)}`)
    return n as number
  })
}

const truthy = (v: unknown) => v === true || v === 1

/** A copy of the protocol that selects connections by port only, as Packetbeat does. */
function portOnly(p: Protocol): Protocol {
  return {
    ...p,
    tcp: p.tcp ? {ports: p.tcp.ports, create: p.tcp.create} : undefined,
    udp: p.udp ? {ports: p.udp.ports, clientPorts: p.udp.clientPorts, create: p.udp.create} : undefined,
  }
}

export interface Mapped {
  run: RunOptions
  /** Keys that decide test-level applicability (present in NA_TEST_KEYS). */
  naTestKeys: string[]
  /** Fields not applicable because of the test's config, with why. */
  naFields: Map<string, string>
  /** Keys we did not recognise (the test fails on these). */
  unknown: string[]
}

export function mapConfig(overrides: Record<string, unknown>, defaultPorts: Record<string, number[]>): Mapped {
  const protocolOptions: Record<string, Record<string, unknown>> = {}
  for (const p of registry) protocolOptions[p.name] = {}
  for (const [pb, ports] of Object.entries(defaultPorts)) {
    const name = PB_TO_PBX[pb] ?? pb
    if (protocolOptions[name]) protocolOptions[name].ports = [...ports]
  }
  const naTestKeys: string[] = []
  const naFields = new Map<string, string>()
  const unknown: string[] = []
  let flows = false
  const thriftOff: string[] = []
  for (const [key, value] of Object.entries(overrides)) {
    // the template's thrift_no_send_request / _response render send_request / send_response: false
    const off = /^thrift_no_(send_request|send_response)$/.exec(key)
    if (off) {
      if (truthy(value)) thriftOff.push(off[1])
      continue
    }
    if (key === 'thrift_idl_files') {
      protocolOptions.thrift.idl_files = (value as string[]).map((f) => path.join(THRIFT_IDL_DIR, path.basename(f)))
      continue
    }
    const portKey = /^(\w+?)_ports$/.exec(key)
    if (portKey) {
      const name = PB_TO_PBX[portKey[1]] ?? portKey[1]
      if (protocolOptions[name]) protocolOptions[name].ports = portList(value)
      // Ports of protocols pbx does not implement change nothing for pbx.
      continue
    }
    const opt = /^([a-z0-9]+)_(\w+)$/.exec(key)
    if (opt && PASSED_OPTIONS[opt[1]]?.includes(opt[2])) {
      // Python truthy ints (1) are the YAML booleans the template renders.
      protocolOptions[opt[1]][opt[2]] = value === 1 ? true : value === 0 ? false : value
      continue
    }
    const raw = /^([a-z0-9]+)_send_(request|response)$/.exec(key)
    if (raw) {
      // "<non-literal>": the test computes the value; facts on the raw text cannot be mapped.
      if (RAW_TEXT.has(raw[1]) && value !== '<non-literal>') protocolOptions[raw[1]][`send_${raw[2]}`] = truthy(value) || value === 'true'
      else naFields.set(raw[2], `${key}: ${RAW_TEXT.has(raw[1]) ? 'value computed by the test (<non-literal>)' : `pbx does not implement ${raw[1]} send_${raw[2]} (the raw \`${raw[2]}\` text)`}`)
      continue
    }
    if (key === 'flows') {
      flows = truthy(value)
      naTestKeys.push(key)
      continue
    }
    if (key in NA_TEST_KEYS) {
      naTestKeys.push(key)
      continue
    }
    const na = NA_KEY_FIELDS[key]
    if (na) {
      for (const f of na.fields) naFields.set(f, `${key}: ${na.why}`)
      continue
    }
    if (key in IGNORED_KEYS) continue
    if (UNIMPLEMENTED_PROTOCOLS.some((p) => key.startsWith(`${p}_`))) continue
    unknown.push(key)
  }
  for (const k of thriftOff) protocolOptions.thrift[k] = false
  return {
    run: {protocols: registry.map(portOnly), protocolOptions, flows},
    naTestKeys,
    naFields,
    unknown,
  }
}
