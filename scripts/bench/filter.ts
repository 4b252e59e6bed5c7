/**
 * Cost of the compiled --filter predicate per packet: `npx tsx scripts/bench/filter.ts [capture...]`.
 *
 * Loads the frames of the given captures (default: a mix of Ethernet, VLAN, SLL, NULL and IPv6
 * captures of the public corpus, or synthetic TCP frames when the corpus is absent) into memory,
 * then runs each expression over them repeatedly and prints nanoseconds per packet (best of 5), by
 * the wall clock and by process CPU time (the second is the fairer figure on a shared machine).
 * The loop itself (array walk, property reads) is included in the figure.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {readCapture} from '../../src/capture/reader.js'
import {LinkType} from '../../src/capture/types.js'
import {compileFilter} from '../../src/filter/index.js'
import {makeLimits} from '../../src/limits.js'
import {Stats} from '../../src/stats.js'
import {TcpConversation} from '../../test/support/synth/packets.js'

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus')
const DEFAULT_FILES = [
  'zeek/wikipedia.pcap',
  'zeek/var-services-std-ports.pcap',
  'zeek/http-vlan-0.pcap',
  'packetbeat/http_minitwit.pcap',
  'packetbeat/mysql_with_whitespaces.pcap',
  'arkime/v6-http.pcap',
].map((f) => path.join(existsSync(CORPUS) ? CORPUS : '/work/shared/corpus', f))

interface Frame {
  data: Buffer
  linkType: number
  origLen: number
}

async function load(files: string[]): Promise<Frame[]> {
  const frames: Frame[] = []
  for (const f of files) {
    await readCapture(f, {packet: (p) => frames.push({data: Buffer.from(p.data), linkType: p.linkType, origLen: p.origLen})}, {limits: makeLimits(), stats: new Stats()})
  }
  return frames
}

function synthetic(): Frame[] {
  const c = new TcpConversation({client: '10.0.0.1', server: '10.0.0.2', serverPort: 80})
  c.handshake().send('client', Buffer.alloc(300, 1)).send('server', Buffer.alloc(3000, 2)).close()
  return c.frames.map((f) => ({data: f.data, linkType: LinkType.ETHERNET, origLen: f.data.length}))
}

const files = process.argv.slice(2)
let frames = await load(files.length > 0 ? files : DEFAULT_FILES.filter((f) => existsSync(f)))
if (frames.length === 0) frames = synthetic()
const ROUNDS = Math.max(1, Math.ceil(2_000_000 / frames.length))
const types = new Map<number, number>()
for (const f of frames) types.set(f.linkType, (types.get(f.linkType) ?? 0) + 1)
console.log(`${frames.length} frames (link types ${[...types].map(([lt, n]) => `${lt}:${n}`).join(' ')}), ${ROUNDS} rounds`)

for (const expr of ['tcp port 80', 'tcp', 'host 10.0.0.1 or net 192.168.0.0/16', 'not (udp port 53 or 5353) and ip6 net 2001:db8::/32', 'vlan and tcp port 80']) {
  const f = compileFilter(expr)
  let best = Number.POSITIVE_INFINITY
  let bestCpu = Number.POSITIVE_INFINITY
  let hits = 0
  for (let rep = 0; rep < 5; rep++) {
    hits = 0
    const c0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < frames.length; i++) {
        const fr = frames[i]
        if (f.match(fr.data, fr.linkType, fr.origLen)) hits++
      }
    }
    const ns = Number(process.hrtime.bigint() - t0) / (ROUNDS * frames.length)
    const c = process.cpuUsage(c0)
    const cpuNs = ((c.user + c.system) * 1000) / (ROUNDS * frames.length)
    if (ns < best) best = ns
    if (cpuNs < bestCpu) bestCpu = cpuNs
  }
  console.log(`${expr.padEnd(52)} ${best.toFixed(1).padStart(6)} ns/packet wall, ${bestCpu.toFixed(1).padStart(6)} CPU  (${hits / ROUNDS} of ${frames.length} match)`)
}
