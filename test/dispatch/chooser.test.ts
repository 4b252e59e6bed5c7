import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {pcapFile, TcpConversation} from '../support/synth/packets.js'
import {analyzeToNdjson} from '../helpers/analyze-to-string.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-dispatch-'))

async function run(frames: Parameters<typeof pcapFile>[0], protocols: Record<string, Record<string, unknown>> = {}) {
  const f = path.join(tmp, `c${Math.random().toString(36).slice(2)}.pcap`)
  writeFileSync(f, pcapFile(frames))
  const {text} = await analyzeToNdjson([f], {}, protocols)
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

describe('protocol selection', () => {
  it('finds HTTP by content on an unknown port even when the request arrives a byte per segment', async () => {
    const c = new TcpConversation({client: '10.9.0.1', server: '10.9.0.2', clientPort: 45000, serverPort: 9999, mss: 1})
    c.handshake()
    const firstDataFrame = c.frames.length + 1
    c.send('client', 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
    c.send('server', 'HTTP/1.1 204 No Content\r\n\r\n')
    c.close()
    const evs = await run(c.frames)
    expect(evs).toHaveLength(1)
    expect(evs[0].url.original).toBe('/slow')
    expect(evs[0].http.response.status_code).toBe(204)
    // the transaction starts at the first byte of the request, not where detection decided
    expect(evs[0].pbx.frames[0]).toBe(firstDataFrame)
    expect(evs[0].source.bytes).toBe('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'.length)
  })

  it('leaves a connection alone when no protocol recognises it', async () => {
    const c = new TcpConversation({client: '10.9.0.1', server: '10.9.0.2', clientPort: 45001, serverPort: 9998})
    c.handshake().send('client', Buffer.alloc(300, 0xab)).send('server', Buffer.alloc(100, 0xcd)).close()
    expect(await run(c.frames)).toEqual([])
  })

  it('gives a configured port to the configured protocol', async () => {
    const c = new TcpConversation({client: '10.9.0.1', server: '10.9.0.2', clientPort: 45002, serverPort: 7000})
    c.handshake().send('client', '*1\r\n$4\r\nPING\r\n').send('server', '+PONG\r\n').close()
    const evs = await run(c.frames, {redis: {ports: [7000]}})
    expect(evs.map((e) => [e.type, e.method])).toEqual([['redis', 'PING']])
  })
})
