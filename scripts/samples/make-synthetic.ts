/**
 * Makes the synthetic HTTP samples: captures that real loopback traffic cannot produce (loss,
 * reordering, mid-stream pickup, IPv6 in VLANs, nanosecond pcapng). Deterministic: the same bytes
 * every run. Usage: npx tsx scripts/samples/make-synthetic.ts   (then `npm run golden:update` and
 * review the .ndjson files beside them).
 */
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {gzipSync} from 'node:zlib'
import {TcpFlag} from '../../src/decode/types.js'
import {PcapngWriter} from '../../test/support/synth/pcap-writer.js'
import {pcapFile, type SynthFrame, TcpConversation} from '../../test/support/synth/packets.js'

const OUT = path.resolve(import.meta.dirname, '../../samples/http')

const req = (p: string, host = 'shop.example', extra = '') => `GET ${p} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: pbx-synth\r\n${extra}\r\n`
const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`

/** Out-of-order delivery, a retransmission and sequence numbers that wrap past 2^32. */
function reorder(): SynthFrame[] {
  const c = new TcpConversation({client: '192.0.2.10', server: '192.0.2.80', clientPort: 50123, serverPort: 80, clientIsn: 0xfffffff0, serverIsn: 0xffffff00, mss: 100})
  c.handshake()
  c.send('client', req('/a'))
  c.send('server', ok('x'.repeat(250)))
  // swap the second and third response segments
  const f = c.frames
  const n = f.length
  ;[f[n - 2], f[n - 1]] = [f[n - 1], f[n - 2]]
  c.send('client', req('/b'))
  const before = c.nextSeq('server')
  c.send('server', ok('retransmitted'))
  // the same response segment again: a retransmission must not duplicate bytes
  const resp = Buffer.from(ok('retransmitted'), 'latin1')
  c.segment('server', {flags: TcpFlag.ACK | TcpFlag.PSH, payload: resp, seq: before})
  c.close()
  return c.frames
}

/** A connection picked up mid-stream (no handshake), and a segment lost inside a response body. */
function midstreamGap(): SynthFrame[] {
  const c = new TcpConversation({client: '198.51.100.7', server: '198.51.100.8', clientPort: 41000, serverPort: 8080, mss: 200})
  // no handshake: the capture starts while the connection is open
  c.send('client', req('/first'))
  c.send('server', ok('y'.repeat(600)))
  // drop the second segment of that response: a gap inside the body
  const f = c.frames
  f.splice(f.length - 3, 1)
  c.send('client', req('/second'))
  c.send('server', ok('after the gap'))
  c.send('client', req('/unanswered'))
  c.rst('client')
  return c.frames
}

/** IPv6 inside two VLAN tags, chunked response with trailers, POST with a body, pipelining. */
function ipv6Vlan(): SynthFrame[] {
  const c = new TcpConversation({client: '2001:db8::10', server: '2001:db8::80', clientPort: 52000, serverPort: 80, vlan: [100, 200], stepNs: 1_234_567})
  c.handshake()
  c.send('client', 'POST /api/items?id=7 HTTP/1.1\r\nHost: [2001:db8::80]\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"name":"x"}\n')
  c.send('server', 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n')
  c.send('client', req('/p1', '[2001:db8::80]') + req('/p2', '[2001:db8::80]') + 'HEAD /p3 HTTP/1.1\r\nHost: [2001:db8::80]\r\n\r\n')
  c.send('server', ok('one') + 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n' + 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n')
  c.close('server')
  return c.frames
}

function writePcapng(file: string, frames: SynthFrame[]): void {
  const w = new PcapngWriter()
  const ifx = w.addInterface(1, {tsresol: 9})
  for (const fr of frames) w.addEnhanced(ifx, fr.tsSec, fr.tsNsec, fr.data)
  writeFileSync(file, w.toBuffer())
}

writeFileSync(path.join(OUT, 'reorder-wrap.pcap'), pcapFile(reorder()))
writeFileSync(path.join(OUT, 'midstream-gap.pcap.gz'), gzipSync(pcapFile(midstreamGap(), {nanosecond: true}), {mtime: 0} as never))
writePcapng(path.join(OUT, 'ipv6-vlan-chunked.pcapng'), ipv6Vlan())
console.log(`wrote samples to ${OUT}`)
