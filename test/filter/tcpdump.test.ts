/**
 * The compiled predicate against tcpdump (libpcap 1.10) on real captures of the public corpus.
 *
 * For every expression and every group of corpus files of one link type, tcpdump reads the group
 * (`-V list`) and writes the frames its BPF program accepts (`-w -`); those records are located in
 * the group's frame sequence (an in-order subsequence match on wire length and bytes, exact
 * because a filter cannot tell identical records apart; a prefix match, because libpcap cuts records
 * longer than the file's snaplen down to it) and the frame numbers compared with the
 * frames the predicate accepts when fed the records as pbx's own reader delivers them.
 *
 * Where libpcap refuses an expression for a link type (e.g. `vlan` on Linux SLL, "expression
 * rejects all packets"), the predicate must match nothing in that group.
 *
 * Needs tcpdump and the corpus (../shared/corpus; CI has both): without either, every test here
 * fails with a message saying what is missing, instead of being skipped.
 */
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CaptureParser, readCapture} from '../../src/capture/reader.js'
import {makeLimits} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'
import {CORPUS} from '../../scripts/fuzz/sources.js'
import {compileFilter} from '../../src/filter/index.js'
import {PcapWriter} from '../../test/support/synth/pcap-writer.js'
import {ipv4, nullBE, syntheticCaptures, tcpUdp} from './frames.js'

// Beside the main checkout (../shared/corpus); a worktree elsewhere falls back to the shared path.
const CORPUS_DIR = existsSync(CORPUS) ? CORPUS : '/work/shared/corpus'
const HAVE_TCPDUMP = spawnSync('tcpdump', ['--version']).status === 0

/** Throws, naming what is missing, unless tcpdump and the corpus are there. */
function requireTools(): void {
  if (!HAVE_TCPDUMP) throw new Error('tcpdump is not installed (apt-get install tcpdump): these tests compare --filter with it and are not skipped')
  if (!existsSync(CORPUS_DIR)) throw new Error(`the corpus is missing (${CORPUS_DIR}): these tests read its captures and are not skipped`)
}

/** Captures (< 2 MB each) chosen for their link types, VLAN tags, IPv6, fragments and truncation. */
const FILES = [
  // Ethernet, 802.1Q, Q-in-Q, 802.1ad
  'arkime/dns-update.pcap',
  'arkime/dot1ad.pcap',
  'arkime/mongo.pcap',
  'arkime/twovlan.pcap',
  'arkime/mysql-tls.pcap',
  'arkime/no-syn-ack.pcap',
  'packetbeat/802.1q-q-in-q-icmp.pcap',
  'packetbeat/http_over_vlan.pcap',
  'packetbeat/icmp/icmp4_ping_over_vlan.pcap',
  'packetbeat/icmp/icmp6_ping_over_vlan.pcap',
  'tcpdump/ipv4_tcp_http_xml.pcap',
  'zeek/http-qinq-0.pcap',
  'zeek/http-vlan-0.pcap',
  'zeek/icmp_dot1q.pcap',
  'zeek/mixed-vlan-mpls.pcap',
  'zeek/dns/dns_notify2.pcap',
  'zeek/pppoe-over-qinq.pcap',
  // Ethernet, IPv6 (extension headers, fragments), IPv4 fragments, ARP, truncated snaplen
  'arkime/http-100-continue.pcap',
  'arkime/v6-http.pcap',
  'arkime/wireshark-dtls12.pcap',
  'packetbeat/icmp/icmp6_ping.pcap',
  'packetbeat/ipv6_thrift.pcap',
  'packetbeat/dns_google_com.pcap',
  'packetbeat/dhcp.pcap',
  'zeek/dns-edns-ecs.pcap',
  'zeek/dns/mdns.pcap',
  'zeek/ipv6-fragmented-dns.pcap',
  'zeek/ipv6-hbh-routing0.pcap',
  'zeek/ipv6-http-atomic-frag.pcap',
  'zeek/ipv6-mobility-dst-opts.pcap',
  'zeek/ipv4/fragmented-1.pcap',
  'zeek/ipv4/fragmented-2.pcap',
  'zeek/ipv4/fragmented-3.pcap',
  'zeek/ipv4/fragmented-4.pcap',
  'zeek/ipv4/fragmented-syn.pcap',
  'zeek/wikipedia.pcap',
  'zeek/raw_packets.pcap',
  'zeek/var-services-std-ports.pcap',
  'zeek/communityid/tcp.pcap',
  'zeek/tcp/truncated-header.pcap',
  'zeek/trunc/trunc-hdr.pcap',
  'zeek/http/get-to-ssh-server.pcap',
  'zeek/http/cooper-grill-dvwa.pcapng',
  'gopacket/pcapng-le/test001.pcapng',
  'gopacket/pcapng-be/test010.pcapng',
  // Linux SLL, SLL2
  'packetbeat/amqp_channel_error.pcap',
  'packetbeat/http_minitwit.pcap',
  'packetbeat/nfs4_close.pcap',
  'tcpdump/tcp-handshake-nano.pcap',
  'tcpdump/resp_2_inline.pcap',
  'zeek/linux_dlt_sll2.pcap',
  'zeek/tls/openjdk-25.0.2-zeek.org.pcap',
  // NULL (BSD loopback, IPv4 and IPv6)
  'arkime/http-empty-useragent.pcap',
  'arkime/tls-alpn-h2.pcap',
  'gopacket/test_loopback.pcap',
  'packetbeat/http_100_continue.pcap',
  'packetbeat/http_post_json.pcap',
  'packetbeat/mysql_connection.pcap',
  'zeek/redis/pubsub.pcap',
  // RAW, IPV4
  'zeek/dns/ech.pcap',
  'zeek/tcp/payload-syn.pcap',
  'zeek/tls/ml-dsa-44-cert.pcap',
  'zeek/tcp/timeout-with-pings.pcap',
  'zeek/http/basic-auth-with-colon.pcap',
  'zeek/dns/dns_extended_rcode.pcap',
]

const EXPRESSIONS = [
  'tcp',
  'udp',
  'icmp',
  'icmp6',
  'ip',
  'ip6',
  'arp',
  'sctp',
  'tcp port 80',
  'port 53',
  'tcp port 80 or 443 or 8080',
  'src port 80',
  'portrange 1-1023',
  'not tcp',
  'host 127.0.0.1',
  'src and dst net 127.0.0.0/8',
  'net 10.0.0.0/8 or net 192.168.0.0 mask 255.255.0.0',
  'net 141.142',
  'host ::1',
  'net fe80::/10',
  'vlan',
  'vlan and tcp',
  'tcp and vlan',
  'vlan and vlan',
  'vlan 101 and vlan 600',
  'tcp or vlan and udp',
  'less 60 or greater 1400',
  'ether host ff:ff:ff:ff:ff:ff',
  '(tcp or udp) and not (port 53 or 80)',
  'host 164.1.123.163 and udp port 123',
  // Equal precedence: (port 80 or 53) and udp.
  'port 80 or 53 and udp',
  'host 10.0.0.2 and not 10.0.0.1',
  'rarp or arp src 192.168.1.1',
  'ip6 proto 0 or ip6 net ::1/128',
]

/** Expressions that match no frame by libpcap's semantics (and so must match none here). */
const SELECT_NOTHING = new Set([
  // `vlan` shifts only what FOLLOWS it: this asks for type 0x0800 and 0x8100 at the same offset.
  'tcp and vlan',
])

/**
 * libpcap behaviour deliberately not copied: these frames are left out of the comparison for the
 * listed expressions ('all': every one), and at least one expression must really differ on them
 * (so that a stale entry fails).
 */
const EXCEPTIONS: {file: string; frames: number[]; expressions: string[] | 'all'; reason: string}[] = [
  {
    file: 'synthetic-null-le.pcap',
    frames: [-1],
    expressions: 'all',
    reason:
      'DLT_NULL carries the address family in the byte order of the machine that captured; libpcap reads it in the ' +
      "file's byte order, which the predicate is not given (it sees only frame bytes and the link type), so it " +
      'accepts either order. Here a big-endian AF_INET in a little-endian file: libpcap says "not IP", pbx says IPv4.',
  },
]

interface Frame {
  file: string
  /** 1-based frame number within its file. */
  frame: number
  linkType: number
  data: Buffer
  origLen: number
  /** The file's snaplen: libpcap cuts longer records down to it. */
  snaplen: number
}

async function loadFile(file: string, label: string): Promise<{frames: Frame[]; linkTypes: number[]}> {
  const frames: Frame[] = []
  const stats = new Stats()
  const info = await readCapture(
    file,
    {packet: (p) => frames.push({file: label, frame: p.frame, linkType: p.linkType, data: Buffer.from(p.data), origLen: p.origLen, snaplen: 0})},
    {limits: makeLimits(), stats},
  )
  if (info === null) throw new Error(`${file}: no capture header`)
  for (const f of frames) f.snaplen = info.snaplen
  return {frames, linkTypes: info.linkTypes}
}

/** Records of a pcap (tcpdump's -w output), parsed with pbx's own parser. */
function records(buf: Buffer): {data: Buffer; origLen: number}[] {
  const out: {data: Buffer; origLen: number}[] = []
  if (buf.length === 0) return out
  const parser = new CaptureParser('tcpdump-output', {packet: (p) => out.push({data: Buffer.from(p.data), origLen: p.origLen})}, makeLimits(), new Stats(), () => {})
  parser.push(buf)
  parser.end()
  return out
}

/** Whether tcpdump's output record `rec` is frame `f` (cut to the file's snaplen by libpcap if longer). */
function sameRecord(f: Frame, rec: {data: Buffer; origLen: number}): boolean {
  if (f.origLen !== rec.origLen) return false
  if (f.data.length === rec.data.length) return f.data.equals(rec.data)
  return f.data.length > f.snaplen && rec.data.length === f.snaplen && rec.data.equals(f.data.subarray(0, f.snaplen))
}

function run(args: string[]): Promise<{status: number | null; stdout: Buffer; stderr: string}> {
  return new Promise((resolve, reject) => {
    const p = spawn('tcpdump', args, {cwd: CORPUS_DIR})
    const out: Buffer[] = []
    let err = ''
    p.stdout.on('data', (b: Buffer) => out.push(b))
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString()
    })
    p.on('error', reject)
    p.on('close', (status) => resolve({status, stdout: Buffer.concat(out), stderr: err}))
  })
}

/** tcpdump's selection for one group, as frame indices into `frames`; or its error message. */
async function tcpdumpSelects(listFile: string, frames: Frame[], expr: string): Promise<number[] | string> {
  const r = await run(['-V', listFile, '-w', '-', expr])
  if (r.status !== 0) return r.stderr.trim().split('\n').pop() ?? 'tcpdump failed'
  const out: number[] = []
  let j = 0
  for (const rec of records(r.stdout)) {
    while (j < frames.length && !sameRecord(frames[j], rec)) j++
    if (j === frames.length) throw new Error(`${expr}: a record tcpdump selected is not among the frames pbx read`)
    out.push(j++)
  }
  return out
}

const label = (f: Frame) => `${f.file}#${f.frame}`

describe('--filter selects the frames tcpdump selects', () => {
  /** Frames per group of files of one link type (one tcpdump run per group and expression). */
  const groups = new Map<string, Frame[]>()
  const lists = new Map<string, string>()
  /** Frame labels left out per expression ('*': all). */
  const excluded = new Map<string, Set<string>>()
  const differed = new Set<string>()
  let dir = ''

  beforeAll(async () => {
    requireTools()
    dir = mkdtempSync(path.join(tmpdir(), 'pbx-filter-'))
    // Run as root, tcpdump drops to its own user after opening the first file of a -V list.
    chmodSync(dir, 0o755)
    const files = new Map<string, string[]>()
    const add = async (file: string, label: string, key: (lt: number) => string) => {
      const {frames, linkTypes} = await loadFile(file, label)
      if (linkTypes.length !== 1) throw new Error(`${label}: pick single-interface captures (libpcap reads no others)`)
      const k = key(linkTypes[0])
      groups.set(k, [...(groups.get(k) ?? []), ...frames])
      files.set(k, [...(files.get(k) ?? []), file])
    }
    for (const rel of FILES) await add(path.join(CORPUS_DIR, rel), rel, (lt) => `link type ${lt}`)
    for (const c of syntheticCaptures()) {
      const w = new PcapWriter({linkType: c.linkType, bigEndian: c.name === 'null-be', snaplen: 65535})
      const data = c.name === 'null-le' ? [...c.frames, {data: nullBE(2, ipv4(tcpUdp(1, 53), {proto: 17})), wireLen: 36}] : c.frames
      data.forEach((f, i) => {
        w.add(1700000000 + i, 0, f.data, f.wireLen)
      })
      const file = path.join(dir, `synthetic-${c.name}.pcap`)
      writeFileSync(file, w.toBuffer())
      // tcpdump compiles once per link type of a -V list, for the first file's byte order, which
      // decides how it reads DLT_NULL's address family: a big-endian file needs its own run.
      await add(file, `synthetic-${c.name}.pcap`, (lt) => `link type ${lt}${c.name === 'null-be' ? ' big-endian' : ''}`)
    }
    for (const [k, fs] of files) {
      const list = path.join(dir, `${k.replace(/ /g, '-')}.txt`)
      writeFileSync(list, `${fs.join('\n')}\n`)
      lists.set(k, list)
    }
    for (const e of EXCEPTIONS) {
      const n = [...groups.values()].flat().filter((f) => f.file === e.file).length
      for (const x of e.expressions === 'all' ? ['*'] : e.expressions) {
        const set = excluded.get(x) ?? new Set<string>()
        for (const fr of e.frames) set.add(`${e.file}#${fr < 0 ? n + 1 + fr : fr}`)
        excluded.set(x, set)
      }
    }
  })
  afterAll(() => {
    if (dir !== '') rmSync(dir, {recursive: true, force: true})
  })

  it('the sample covers every link type the filter supports and a thousand frames', () => {
    const lts = new Set([...groups.values()].map((g) => g[0].linkType))
    expect([...lts].sort((a, b) => a - b)).toEqual([0, 1, 101, 108, 113, 228, 229, 276])
    expect([...groups.values()].reduce((n, g) => n + g.length, 0)).toBeGreaterThan(1000)
  })

  for (const expr of EXPRESSIONS) {
    it(expr, async () => {
      const filter = compileFilter(expr)
      const keys = [...groups.keys()]
      const answers = await Promise.all(keys.map((k) => tcpdumpSelects(lists.get(k)!, groups.get(k)!, expr)))
      const skip = new Set([...(excluded.get('*') ?? []), ...(excluded.get(expr) ?? [])])
      let selected = 0
      for (const [g, key] of keys.entries()) {
        const frames = groups.get(key)!
        const ours: string[] = []
        for (const f of frames) if (filter.match(f.data, f.linkType, f.origLen)) ours.push(label(f))
        const theirs = answers[g]
        if (typeof theirs === 'string') {
          // libpcap refuses the expression on this link type: pbx must match nothing there.
          expect({group: key, tcpdump: theirs, pbx: ours}).toEqual({group: key, tcpdump: theirs, pbx: []})
          continue
        }
        const want = theirs.map((i) => label(frames[i]))
        for (const l of skip) if (want.includes(l) !== ours.includes(l)) differed.add(l)
        expect({group: key, frames: ours.filter((l) => !skip.has(l))}).toEqual({group: key, frames: want.filter((l) => !skip.has(l))})
        selected += ours.length
      }
      // Every expression should select something somewhere, or the comparison proves little.
      if (!SELECT_NOTHING.has(expr)) expect(selected).toBeGreaterThan(0)
    })
  }

  it('every exception is still a real difference', () => {
    for (const set of excluded.values()) for (const l of set) expect(differed).toContain(l)
  })
})

/** Syntax cases where pbx and libpcap must agree on accepting or rejecting the expression. */
const SYNTAX = [
  'host 1.2.3.4 or (5.6.7.8 and not 9.9.9.9)',
  'host 1.2.3.4 or (5.6.7.8 or host 9.9.9.9)',
  'host 1.2.3.4 and ((5.6.7.8))',
  'host 1.2.3.4 and (not (5.6.7.8))',
  'host 1.2.3.4 and (tcp or 5.6.7.8)',
  'host 1.2.3.4 and ((tcp))',
  '(host 1.2.3.4) or 5.6.7.8',
  'port 1 and (host 1.2.3.4) or 5.6.7.8',
  'tcp or 1.2.3.4',
  'vlan 100 or 200',
  'less 5 or 6',
  '1.2.3.4',
  'not 1.2.3.4',
  'src 80',
  'dst or src host 1.2.3.4',
  'src and dst net 10.0.0.0/8',
  'src or tcp',
  'host (not 1.2.3.4)',
  'net 10/8',
  'net 10.0.0.1/8',
  'net 10.0.0.0/33',
  'net 10.1.2.3 mask 255.0.255.0',
  'host 10.0.0.0/8',
  'src 10.0.0.0/8',
  'host 1.2.3',
  'host 1.2.3.256',
  'host foo',
  'host ::1/128',
  'net 2001:db8::1/32',
  'net 2001:db8::/129',
  'ip6 host 1.2.3.4',
  'ip host ::1',
  'tcp host 1.2.3.4',
  'ip port 80',
  'icmp6 port 1',
  'port 1-2',
  'port 99999',
  'port 080',
  'portrange 10-5',
  'vlan 4096',
  'less',
  'ether host 1.2.3.4',
  'ether net 1:2:3:4:5:6',
  'host aa:bb:cc:dd:ee:ff',
  'ether host aabb.ccdd.eeff',
  'ether src host 010203040506',
  'ether',
  'src proto 6',
  'tcp proto 6',
  'TCP',
  'tcp tcp',
  '()',
  'tcp port',
  'host 4294967296',
  'ip6 host ::1%eth0',
  'host fe80::1::2',
  'host 1:2:3:4:5:6:7:8:9',
]

/** Expressions libpcap accepts that pbx rejects on purpose. */
const SYNTAX_DIVERGENCES = [
  {expr: 'tcp port http', reason: 'service names would need /etc/services; pbx takes port numbers only'},
  {expr: 'host localhost', reason: 'host names would need DNS at run time; pbx takes IP literals only'},
  {expr: 'portrange 1-2-3', reason: 'libpcap reads this as a range; pbx rejects it as a typo'},
  {expr: 'proto 256', reason: 'libpcap compiles a test that can never match; pbx reports it'},
  {expr: 'tcp[13] & 2 != 0', reason: 'byte-offset arithmetic is outside the supported subset'},
  {expr: 'ip broadcast', reason: 'broadcast/multicast are outside the supported subset'},
]

describe('--filter accepts the expressions libpcap accepts', () => {
  beforeAll(requireTools)
  const file = path.join(CORPUS_DIR, 'packetbeat/http_over_vlan.pcap')
  // libpcap's optimizer refuses a filter that can never match ("expression rejects all packets",
  // e.g. `tcp and vlan`); that is a valid expression matching nothing, for pbx as for the test above.
  const libpcapAccepts = async (expr: string) => {
    const r = await run(['-d', '-r', file, expr])
    return r.status === 0 || r.stderr.includes('expression rejects all packets')
  }
  const pbxAccepts = (expr: string) => {
    try {
      compileFilter(expr)
      return true
    } catch {
      return false
    }
  }

  it('agree on every syntax case', async () => {
    const cases = SYNTAX
    const lib = await Promise.all(cases.map(libpcapAccepts))
    expect(cases.map((c) => `${c}: ${pbxAccepts(c)}`)).toEqual(cases.map((c, i) => `${c}: ${lib[i]}`))
    // The sample is not one-sided.
    expect(lib.filter((ok) => !ok).length).toBeGreaterThan(30)
    expect(lib.filter((ok) => ok).length).toBeGreaterThan(10)
  })

  it('the deliberate divergences are accepted by libpcap and rejected by pbx', async () => {
    for (const d of SYNTAX_DIVERGENCES) {
      expect({expr: d.expr, libpcap: await libpcapAccepts(d.expr), pbx: pbxAccepts(d.expr)}).toEqual({expr: d.expr, libpcap: true, pbx: false})
    }
  })
})
