/**
 * A synthetic capture for report and summary tests and the README screenshot: HTTP traffic to two
 * services over a minute (fast 200s on numbered routes, some 404s, one 4.5 s `GET /slow` answered
 * 500, one connection reset mid-response), DNS queries with NOERROR and NXDOMAIN answers and,
 * with `hostile`, a request whose URL and Host carry `<script>` markup.
 */
import {pcapFile, type SynthFrame, TcpConversation, udpFrame} from './synth/packets.js'

const START = 1_764_000_000

function dnsName(name: string): Buffer {
  const parts = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]))
  return Buffer.concat([...parts, Buffer.from([0])])
}

/** A DNS query (A, IN) or its answer with `rcode` (0 NOERROR with one A record, 3 NXDOMAIN). */
function dnsMessage(id: number, name: string, answer: null | {rcode: number}): Buffer {
  const h = Buffer.alloc(12)
  h.writeUInt16BE(id, 0)
  h.writeUInt16BE(answer === null ? 0x0100 : 0x8180 | answer.rcode, 2)
  h.writeUInt16BE(1, 4)
  const withRecord = answer !== null && answer.rcode === 0
  h.writeUInt16BE(withRecord ? 1 : 0, 6)
  const q = Buffer.concat([dnsName(name), Buffer.from([0, 1, 0, 1])])
  if (!withRecord) return Buffer.concat([h, q])
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7])
  return Buffer.concat([h, q, rr])
}

function response(status: number, phrase: string, body: string): string {
  return `HTTP/1.1 ${status} ${phrase}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`
}

export interface SyntheticOptions {
  hostile?: boolean
}

export function syntheticCapture(o: SyntheticOptions = {}): Buffer {
  const frames: SynthFrame[] = []
  let port = 41000
  const conv = (server: string, serverPort: number, atSec: number) =>
    new TcpConversation({client: '10.1.0.5', server, clientPort: port++, serverPort, startSec: START + Math.floor(atSec), startNsec: Math.round((atSec % 1) * 1e9), stepNs: 200_000})
  // api.example: 10.2.0.10:8080, numbered routes, latencies growing with the route number.
  for (let i = 0; i < 40; i++) {
    const c = conv('10.2.0.10', 8080, i * 1.4)
    c.handshake()
    for (let k = 0; k < 3; k++) {
      const id = 100 + ((i * 7 + k) % 23)
      const path = k === 2 ? `/api/orders/${id}` : `/api/users/${id}`
      c.send('client', `GET ${path} HTTP/1.1\r\nHost: api.example\r\nUser-Agent: synth\r\n\r\n`)
      c.wait(0.002 + ((i * 13 + k * 5) % 17) * 0.004)
      if (i % 9 === 4 && k === 1) c.send('server', response(404, 'Not Found', 'no such user'))
      else c.send('server', response(200, 'OK', `{"id":${id}}`))
    }
    c.close()
    frames.push(...c.frames)
  }
  // The slow failure the summary must show as a row.
  const slow = conv('10.2.0.10', 8080, 21.3)
  slow.handshake().send('client', 'GET /slow HTTP/1.1\r\nHost: api.example\r\n\r\n').wait(4.5)
  slow.send('server', response(500, 'Internal Server Error', 'boom')).close()
  frames.push(...slow.frames)
  // static.example: 10.2.0.20:80, fast files; one connection reset before the response.
  for (let i = 0; i < 12; i++) {
    const c = conv('10.2.0.20', 80, 3 + i * 4.5)
    c.handshake().send('client', `GET /static/app-${i}.js HTTP/1.1\r\nHost: static.example\r\n\r\n`).wait(0.0008 + i * 0.0002)
    if (i === 7) c.rst('server')
    else c.send('server', response(200, 'OK', 'x'.repeat(1200 + i * 100))).close()
    frames.push(...c.frames)
  }
  if (o.hostile) {
    const c = conv('10.2.0.30', 80, 30)
    c.handshake()
      .send('client', 'GET /<script>alert("pwned")</script>?q=<img/src=x/onerror=alert(1)> HTTP/1.1\r\nHost: <script>evil()</script>\r\n\r\n')
      .wait(0.01)
      .send('server', response(500, '<b>Bad</b>', '<script>'))
      .close()
    frames.push(...c.frames)
  }
  // DNS: 30 lookups, every fifth one NXDOMAIN.
  for (let i = 0; i < 30; i++) {
    const name = i % 5 === 3 ? `missing-${i}.example` : i % 2 ? 'api.example' : 'static.example'
    const t = START + i * 2
    const sport = 53000 + i
    frames.push({data: udpFrame({src: '10.1.0.5', dst: '10.0.0.53', srcPort: sport, dstPort: 53, payload: dnsMessage(i + 1, name, null)}), tsSec: t, tsNsec: 0})
    frames.push({
      data: udpFrame({src: '10.0.0.53', dst: '10.1.0.5', srcPort: 53, dstPort: sport, payload: dnsMessage(i + 1, name, {rcode: i % 5 === 3 ? 3 : 0})}),
      tsSec: t,
      tsNsec: 300_000 + (i % 7) * 250_000,
    })
  }
  frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)
  return pcapFile(frames)
}
