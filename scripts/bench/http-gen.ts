/**
 * HTTP/1.1 keep-alive traffic for the benchmark: browser-like requests of about 200-400 bytes and
 * responses from ~100 bytes to a few KB (log-uniform, a thin tail to 32 KB), some chunked, the
 * larger ones spanning several segments. Deterministic for a given Rng.
 */
import type {Msg, TcpDialogue} from './capture-gen.js'
import type {Rng} from './rng.js'

const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'curl/8.5.0',
  'python-requests/2.32.3',
  'okhttp/4.12.0',
]
const HOSTS = ['www.example.com', 'api.example.com', 'static.example.net', 'shop.example.org', 'intranet.local:8080']
const TYPES = ['text/html; charset=utf-8', 'application/json', 'text/css', 'application/javascript', 'image/png']
const DATE = 'Tue, 14 Nov 2023 22:13:20 GMT'

/** Printable filler that response bodies are cut from (HTML-ish text, so it compresses like text). */
function filler(rng: Rng, n: number): Buffer {
  const words = ['<div class="item">', '</div>', '<a href="/p/', '">', 'lorem', 'ipsum', 'dolor', 'sit', 'amet', '\n']
  let s = ''
  while (s.length < n) s += rng.pick(words) + rng.word(rng.int(1, 8)) + ' '
  return Buffer.from(s.slice(0, n), 'latin1')
}

export class HttpGen {
  private readonly body: Buffer

  constructor(private readonly rng: Rng) {
    this.body = filler(rng, 64 * 1024)
  }

  /** One connection's dialogue: `exchanges` requests on one keep-alive connection. */
  dialogue(port: number, exchanges: number): TcpDialogue {
    const host = this.rng.pick(HOSTS)
    const agent = this.rng.pick(AGENTS)
    const cookie = this.rng.chance(0.5) ? `session=${this.rng.word(32)}; theme=dark` : ''
    return {
      port,
      exchanges,
      opening: (): Msg[] => [],
      exchange: () => this.exchange(host, agent, cookie),
    }
  }

  private exchange(host: string, agent: string, cookie: string): {request: Buffer; response: Buffer} {
    const r = this.rng
    const x = r.next()
    const method = x < 0.85 ? 'GET' : x < 0.95 ? 'POST' : x < 0.98 ? 'HEAD' : 'PUT'
    const path =
      r.next() < 0.5
        ? `/api/v1/items/${r.int(1, 99999)}?page=${r.int(1, 20)}&sort=${r.pick(['asc', 'desc'])}`
        : `/static/${r.pick(['js', 'css', 'img'])}/${r.word(8)}.${r.word(10)}.${r.pick(['js', 'css', 'png'])}`
    let head =
      `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${agent}\r\n` +
      `Accept: ${r.pick(['*/*', 'application/json', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'])}\r\n` +
      'Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n'
    if (cookie) head += `Cookie: ${cookie}\r\n`
    if (r.chance(0.3)) head += `Referer: https://${host}/\r\n`
    let reqBody = ''
    if (method === 'POST' || method === 'PUT') {
      reqBody = `{"id":${r.int(1, 1e6)},"name":"${r.word(r.int(4, 40))}","qty":${r.int(1, 9)}}`
      head += `Content-Type: application/json\r\nContent-Length: ${reqBody.length}\r\n`
    }
    const request = Buffer.from(`${head}\r\n${reqBody}`, 'latin1')

    const y = r.next()
    let status = method === 'POST' ? 201 : 200
    let reason = method === 'POST' ? 'Created' : 'OK'
    if (y > 0.8) [status, reason] = y < 0.87 ? [304, 'Not Modified'] : y < 0.93 ? [404, 'Not Found'] : y < 0.97 ? [301, 'Moved Permanently'] : [500, 'Internal Server Error']
    const noBody = method === 'HEAD' || status === 304
    const size = status === 200 || status === 201 ? (r.chance(0.05) ? r.int(8192, 32768) : r.logInt(100, 6000)) : r.int(60, 400)
    const chunked = !noBody && status === 200 && r.chance(0.15)
    let rh =
      `HTTP/1.1 ${status} ${reason}\r\nServer: nginx/1.24.0\r\nDate: ${DATE}\r\nContent-Type: ${r.pick(TYPES)}\r\n` +
      `Connection: keep-alive\r\nCache-Control: max-age=${r.int(0, 86400)}\r\n`
    if (status === 200 && r.chance(0.4)) rh += `ETag: "${r.word(16)}"\r\n`
    if (status === 301) rh += `Location: https://${host}/new${path}\r\n`
    if (noBody) {
      if (method === 'HEAD') rh += `Content-Length: ${size}\r\n`
      return {request, response: Buffer.from(`${rh}\r\n`, 'latin1')}
    }
    const off = r.int(0, this.body.length - size)
    const body = this.body.subarray(off, off + size)
    if (!chunked) {
      rh += `Content-Length: ${size}\r\n\r\n`
      return {request, response: Buffer.concat([Buffer.from(rh, 'latin1'), body])}
    }
    const parts: Buffer[] = [Buffer.from(`${rh}Transfer-Encoding: chunked\r\n\r\n`, 'latin1')]
    for (let p = 0; p < size; ) {
      const n = Math.min(size - p, r.int(256, 4096))
      parts.push(Buffer.from(`${n.toString(16)}\r\n`, 'latin1'), body.subarray(p, p + n), Buffer.from('\r\n', 'latin1'))
      p += n
    }
    parts.push(Buffer.from('0\r\n\r\n', 'latin1'))
    return {request, response: Buffer.concat(parts)}
  }
}
