/**
 * Small synthetic captures for the check/diff tests: HTTP exchanges with chosen paths, statuses and
 * server delays, built with test/support/synth.
 */
import {pcapFile, TcpConversation} from '../support/synth/packets.js'

export interface Exchange {
  path: string
  status?: number
  /** Seconds between request and response. */
  delay?: number
  method?: string
}

/** One keep-alive connection per server port; exchanges in order. */
export function httpCapture(exchanges: readonly Exchange[], o: {server?: string; port?: number; clientPort?: number} = {}): Buffer {
  const c = new TcpConversation({client: '10.1.0.1', server: o.server ?? '10.1.0.2', clientPort: o.clientPort ?? 40001, serverPort: o.port ?? 80})
  c.handshake()
  for (const e of exchanges) {
    c.send('client', `${e.method ?? 'GET'} ${e.path} HTTP/1.1\r\nHost: shop.example\r\n\r\n`)
    if (e.delay) c.wait(e.delay)
    const status = e.status ?? 200
    c.send('server', `HTTP/1.1 ${status} X\r\nContent-Length: 2\r\n\r\nok`)
  }
  c.close()
  return pcapFile(c.frames)
}

/** A shop run: item pages (numeric ids), a uuid route, one slow search. */
export function shopRun(o: {slowSearch?: number; errors?: number; extraPath?: string; clientPort?: number} = {}): Buffer {
  const ex: Exchange[] = []
  for (let i = 0; i < 20; i++) ex.push({path: `/items/${100 + i}`, delay: 0.002})
  ex.push({path: '/orders/7f1c0e1a-3b2d-4c5e-9f60-123456789abc', delay: 0.003})
  ex.push({path: '/search?q=x', delay: o.slowSearch ?? 0.01})
  for (let i = 0; i < (o.errors ?? 0); i++) ex.push({path: '/pay', status: 503, delay: 0.001})
  if (o.extraPath) ex.push({path: o.extraPath, delay: 0.001})
  return httpCapture(ex, {clientPort: o.clientPort})
}
