/**
 * DNS and TLS against the tshark oracle, capture by capture (../shared/corpus, read in place).
 *
 * Every capture with an oracle is analyzed ONCE, in-process, at collection time; DNS and TLS keys
 * are computed from that single run. A test is generated for each capture whose oracle has DNS
 * messages or TLS sessions, or where pbx emits dns/tls events.
 *
 * DNS transaction key: "id qname qtype rcode" (qname lower-case without trailing dot, qtype and
 * rcode as mnemonics, "-" for no response), the oracle's pairing being tshark's response_in links.
 * DNS answer key (only for transactions matched on both sides, response present):
 * "<transaction key> => name type ttl data".
 * TLS session key: "sni version ja3 cipher" ("-" where absent; the oracle's sessions with a
 * ClientHello, as tools/conformance.mjs counts them).
 *
 * Keys are compared as multisets. Differences where pbx is right, tshark is wrong, or pbx has a
 * known limitation are recorded in ./dns-tls-exceptions.ts with the reason; the test asserts
 * each recorded difference is still exactly the difference.
 */
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {cipherName} from '../../src/protocols/tls/names.js'
import {analyzeToNdjson} from '../helpers/analyze-to-string.js'
import {ROOT} from '../helpers/run-cli.js'
import {DNS_ANSWER_EXCEPTIONS, DNS_EXCEPTIONS, type Exception, TLS_EXCEPTIONS} from './dns-tls-exceptions.js'

const CORPUS = path.resolve(ROOT, '../shared/corpus')
const CAPTURE = /\.(pcap|pcapng|cap)$/
const oracleOf = (p: string) => p.replace(CAPTURE, '.expected.json')

function captures(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const p = path.join(dir, d.name)
      if (d.isDirectory()) return captures(p)
      return CAPTURE.test(d.name) && existsSync(oracleOf(p)) ? [p] : []
    })
}

type Ev = Record<string, any>

// ---- normalisation ------------------------------------------------------------------------

const QTYPE: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS',
  12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 24: 'SIG', 25: 'KEY',
  28: 'AAAA', 29: 'LOC', 30: 'NXT', 33: 'SRV', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 39: 'DNAME', 41: 'OPT', 43: 'DS',
  44: 'SSHFP', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA',
  59: 'CDS', 60: 'CDNSKEY', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 249: 'TKEY', 250: 'TSIG', 251: 'IXFR',
  252: 'AXFR', 255: 'ANY', 256: 'URI', 257: 'CAA',
}
const RCODE: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN',
  7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE',
}
/**
 * tshark's negotiated_version (hex) -> pbx's tls.version (DTLS: the number, with tls.version_protocol
 * "dtls"); other values (drafts) stay as hex.
 */
const TLSV: Record<string, string> = {
  '0x0300': '3.0',
  '0x0301': '1.0',
  '0x0302': '1.1',
  '0x0303': '1.2',
  '0x0304': '1.3',
  '0xfeff': '1.0',
  '0xfefd': '1.2',
  '0xfefc': '1.3',
}

/** qtype as a mnemonic where known, else RFC 3597's TYPEnnn; numbers and TYPEnnn both accepted. */
function qtype(t: unknown): string {
  if (t == null) return '-'
  const m = /^(?:TYPE)?(\d+)$/i.exec(String(t))
  return m ? (QTYPE[Number(m[1])] ?? `TYPE${m[1]}`) : String(t).toUpperCase()
}
/**
 * A domain name for comparison. Normalisations (formatting only): case folded (names are
 * case-insensitive, RFC 4343); a trailing dot dropped (pbx prints names without it); tshark's
 * "<Root>" and pbx's "." both become "." (the root name).
 */
function dname(s: unknown): string {
  if (s == null) return ''
  const t = String(s).trim()
  if (t === '<Root>' || t === '.' || t === '') return t === '' ? '' : '.'
  return t.toLowerCase().replace(/\.$/, '')
}
const rcode = (r: unknown) => (r == null ? '-' : (RCODE[Number(r)] ?? String(r)))
/** A <character-string> as pbx prints it (RFC 1035 §5.1 master-file quoting of `"` and `\`). */
const quote = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`
const asList = (v: unknown): string[] => (v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)])

/**
 * tshark's answer data (a map of its dns.* fields) rewritten in pbx's presentation format, for the
 * types where that is a pure re-arrangement; "*" (not compared) for the others. Normalisations:
 * tshark's decimal strings become numbers, hex digests lose their ':' separators and are compared
 * case-insensitively (the whole data string is lower-cased on both sides: this also folds name case).
 */
function oracleData(type: number, d: Record<string, any> | undefined): string {
  if (!COMPARED_DATA.has(type)) return '*'
  if (!d) return '?'
  const f = (k: string) => d[`dns.${k}`]
  const n = (k: string) => String(Number.parseInt(String(f(k)), 10))
  switch (type) {
    case 1:
      return String(f('a'))
    case 28:
      return String(f('aaaa'))
    case 2:
      return dname(f('ns'))
    case 5:
      return dname(f('cname'))
    case 12:
      return dname(f('ptr.domain_name'))
    case 15:
      return `${n('mx.preference')} ${dname(f('mx.mail_exchange'))}`
    case 16:
      return asList(f('txt')).map(quote).join(' ')
    case 99:
      return asList(f('spf')).map(quote).join(' ')
    case 13:
      return `${quote(String(f('hinfo.cpu')))} ${quote(String(f('hinfo.os')))}`
    case 6:
      return [
        dname(f('soa.mname')),
        dname(f('soa.rname')),
        ...['serial_number', 'refresh_interval', 'retry_interval', 'expire_limit', 'minimum_ttl'].map((k) => n(`soa.${k}`)),
      ].join(' ')
    case 33:
      return `${n('srv.priority')} ${n('srv.weight')} ${n('srv.port')} ${dname(f('srv.target'))}`
    case 257: {
      const tag = Object.keys(d).find((k) => k.startsWith('dns.caa.') && k !== 'dns.caa.flags')
      return tag ? `${Number.parseInt(String(f('caa.flags')), 16)} ${tag.slice(8)} ${quote(String(d[tag]))}` : '?'
    }
    case 43:
      return `${Number.parseInt(String(f('ds.key_id')), 16)} ${n('ds.algorithm')} ${n('ds.digest_type')} ${String(f('ds.digest')).replace(/:/g, '')}`
    default:
      return '*'
  }
}
const COMPARED_DATA = new Set([1, 28, 2, 5, 12, 15, 16, 99, 13, 6, 33, 257, 43])
const typeNumber = (t: unknown): number | undefined => {
  const m = /^(?:TYPE)?(\d+)$/i.exec(String(t))
  if (m) return Number(m[1])
  const e = Object.entries(QTYPE).find(([, v]) => v === String(t).toUpperCase())
  return e ? Number(e[0]) : undefined
}
/** pbx answer data: name-valued types go through dname(); the others are compared as printed. */
function pbxData(type: number | undefined, data: unknown): string {
  if (type === undefined || !COMPARED_DATA.has(type)) return '*'
  const s = data == null ? '?' : String(data)
  if (type === 2 || type === 5 || type === 12) return dname(s)
  if (type === 15 || type === 33) {
    const parts = s.split(' ')
    parts[parts.length - 1] = dname(parts[parts.length - 1])
    return parts.join(' ')
  }
  if (type === 6) {
    const parts = s.split(' ')
    parts[0] = dname(parts[0])
    parts[1] = dname(parts[1])
    return parts.join(' ')
  }
  return s
}
const answerKey = (name: string, type: string, ttl: unknown, data: string) =>
  `${name} ${type} ${ttl ?? '-'} ${data}`.toLowerCase()

// ---- keys -----------------------------------------------------------------------------------

interface Keys {
  tx: string[]
  /** transaction key -> answer keys of each transaction with that key (responses only) */
  answers: Map<string, string[][]>
}

function oracleDns(o: any): Keys {
  const msgs: any[] = o.dns?.messages ?? []
  const qs = msgs.filter((m) => !m.is_response)
  const rs = msgs.filter((m) => m.is_response)
  const rByFrame = new Map(rs.map((r) => [r.frame, r]))
  const used = new Set<any>()
  const keys: Keys = {tx: [], answers: new Map()}
  const add = (id: unknown, qname: unknown, qt: unknown, r: any) => {
    const k = `${id} ${dname(qname)} ${qtype(qt)} ${r ? rcode(r.rcode) : '-'}`
    keys.tx.push(k)
    if (!r) return
    const ans = (r.answers ?? []).map((a: any) => {
      // mDNS SRV answers carry no `name` field: the owner name is the summary's prefix
      const name = a.name ?? String(a.summary ?? '').split(':')[0]
      return answerKey(dname(name), qtype(a.type), a.ttl, oracleData(a.type, a.data))
    })
    keys.answers.set(k, [...(keys.answers.get(k) ?? []), ans])
  }
  for (const q of qs) {
    const r = q.response_in != null ? rByFrame.get(q.response_in) : undefined
    if (r) used.add(r)
    add(q.id, q.qname, q.qtype, r)
  }
  for (const r of rs) if (!used.has(r)) add(r.id, r.qname, r.qtype, r)
  return keys
}

function pbxDns(events: Ev[]): Keys {
  const keys: Keys = {tx: [], answers: new Map()}
  for (const e of events) {
    if (e.type !== 'dns') continue
    const d = e.dns ?? {}
    const k = `${d.id ?? '-'} ${dname(d.question?.name)} ${qtype(d.question?.type)} ${d.response_code ?? '-'}`
    keys.tx.push(k)
    if (d.response_code == null) continue
    const ans = (d.answers ?? []).map((a: any) =>
      answerKey(dname(a.name), qtype(a.type), a.ttl, pbxData(typeNumber(a.type), a.data)),
    )
    keys.answers.set(k, [...(keys.answers.get(k) ?? []), ans])
  }
  return keys
}

/**
 * Answer keys of the transactions matched on both sides: for a transaction key present n times on
 * one side and m on the other, the first min(n, m) with a response are compared (in capture order).
 */
function answerKeys(want: Keys, got: Keys): {want: string[]; got: string[]} {
  const w: string[] = []
  const g: string[] = []
  for (const [k, wl] of want.answers) {
    const gl = got.answers.get(k)
    if (!gl) continue
    for (let i = 0; i < Math.min(wl.length, gl.length); i++) {
      w.push(...wl[i].map((a) => `${k} => ${a}`))
      g.push(...gl[i].map((a) => `${k} => ${a}`))
    }
  }
  return {want: w, got: g}
}

function oracleTls(o: any): string[] {
  return (o.tls?.sessions ?? [])
    .filter((s: any) => s.client_hellos > 0)
    .map((s: any) => {
      const v = s.negotiated_version == null ? '-' : (TLSV[s.negotiated_version] ?? s.negotiated_version)
      // tshark gives the cipher code; pbx its IANA name: translated with pbx's own name table
      // (a pure lookup, so a wrong table entry would not show here; unknown codes print as 0xNNNN)
      const c = s.cipher == null ? '-' : cipherName(Number.parseInt(s.cipher, 16))
      return `${dname(s.sni) || '-'} ${v} ${s.ja3 ?? '-'} ${c}`
    })
}

function pbxTls(events: Ev[]): string[] {
  return events
    .filter((e) => e.type === 'tls')
    .map((e) => {
      const t = e.tls ?? {}
      return `${dname(t.client?.server_name) || '-'} ${t.version ?? '-'} ${t.client?.ja3 ?? '-'} ${t.cipher ?? '-'}`
    })
}

function diff(want: string[], got: string[]): {missing: string[]; extra: string[]} {
  const left = new Map<string, number>()
  for (const k of want) left.set(k, (left.get(k) ?? 0) + 1)
  const extra: string[] = []
  for (const k of got) {
    const n = left.get(k) ?? 0
    if (n > 0) left.set(k, n - 1)
    else extra.push(k)
  }
  const missing = [...left].flatMap(([k, n]) => Array<string>(n).fill(k))
  return {missing: missing.sort(), extra: extra.sort()}
}

// ---- one analyze run per capture, at collection time ----------------------------------------

interface Row {
  rel: string
  exitCode: number
  eventsOk: boolean
  dns: {want: string[]; got: string[]}
  ans: {want: string[]; got: string[]}
  tls: {want: string[]; got: string[]}
}

const all = existsSync(CORPUS) ? captures(CORPUS) : []
const rows: Row[] = []
for (const file of all) {
  const oracle = JSON.parse(readFileSync(oracleOf(file), 'utf8'))
  const {text, result} = await analyzeToNdjson([file])
  const events: Ev[] = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
  const od = oracleDns(oracle)
  const pd = pbxDns(events)
  const row: Row = {
    rel: path.relative(CORPUS, file),
    exitCode: result.exitCode,
    eventsOk: result.events === events.length,
    dns: {want: od.tx, got: pd.tx},
    ans: answerKeys(od, pd),
    tls: {want: oracleTls(oracle), got: pbxTls(events)},
  }
  if (row.dns.want.length + row.dns.got.length + row.tls.want.length + row.tls.got.length > 0) rows.push(row)
}

const totals = {
  dns: {oracle: 0, pbx: 0, matched: 0, exceptions: 0},
  'dns answers': {oracle: 0, pbx: 0, matched: 0, exceptions: 0},
  tls: {oracle: 0, pbx: 0, matched: 0, exceptions: 0},
}
/** PBX_DUMP_DIFFS=file writes every difference found (for maintaining the exceptions table). */
const dump: Record<string, Record<string, {missing: string[]; extra: string[]}>> = {dns: {}, 'dns answers': {}, tls: {}}

/** Tallies one protocol's comparison; returns the assertion to make once all three are tallied. */
function compare(proto: keyof typeof totals, rel: string, keys: {want: string[]; got: string[]}, table: Record<string, Exception>) {
  const d = diff(keys.want, keys.got)
  const t = totals[proto]
  t.oracle += keys.want.length
  t.pbx += keys.got.length
  t.matched += keys.got.length - d.extra.length
  if (d.missing.length + d.extra.length) dump[proto][rel] = d
  const exception = table[rel]
  if (exception) t.exceptions += exception.missing.length + exception.extra.length
  return () => {
    if (exception) {
      // the exception must still describe reality: pbx differs from tshark exactly as recorded
      expect(d, exception.why).toEqual({missing: [...exception.missing].sort(), extra: [...exception.extra].sort()})
    } else {
      expect(d, `pbx vs tshark ${proto} in ${rel}`).toEqual({missing: [], extra: []})
    }
  }
}

describe('corpus: DNS and TLS against tshark', () => {
  it('covers the corpus captures that carry DNS or TLS', () => {
    expect(all.length).toBeGreaterThan(400)
    expect(rows.filter((r) => r.dns.want.length > 0).length).toBeGreaterThan(70)
    expect(rows.filter((r) => r.tls.want.length > 0).length).toBeGreaterThan(80)
  })

  it('has no stale exception entries (each names a capture with DNS or TLS content)', () => {
    const rels = new Set(rows.map((r) => r.rel))
    for (const table of [DNS_EXCEPTIONS, DNS_ANSWER_EXCEPTIONS, TLS_EXCEPTIONS]) {
      for (const k of Object.keys(table)) expect(rels.has(k), k).toBe(true)
    }
  })

  for (const row of rows) {
    it(row.rel, () => {
      expect(row.eventsOk).toBe(true)
      expect([0, 3, 4]).toContain(row.exitCode)
      const checks = [
        compare('dns', row.rel, row.dns, DNS_EXCEPTIONS),
        compare('dns answers', row.rel, row.ans, DNS_ANSWER_EXCEPTIONS),
        compare('tls', row.rel, row.tls, TLS_EXCEPTIONS),
      ]
      for (const c of checks) c()
    })
  }

  afterAll(() => {
    for (const [p, t] of Object.entries(totals)) {
      console.log(`corpus ${p}: oracle ${t.oracle}, pbx ${t.pbx}, matched ${t.matched}, exceptions ${t.exceptions} (recorded differing keys)`)
    }
    if (process.env.PBX_DUMP_DIFFS) writeFileSync(process.env.PBX_DUMP_DIFFS, JSON.stringify(dump, null, 1))
  })
})
