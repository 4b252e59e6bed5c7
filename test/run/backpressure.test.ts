/**
 * Output backpressure reaches the reader: while nobody reads pbx's output, pbx stops reading its
 * input (after at most a chunk or so), so memory stays flat when stdout is slow.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Writable} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {makeLimits} from '../../src/limits.js'
import {NdjsonOutput} from '../../src/output/ndjson/index.js'
import {TextWriter} from '../../src/output/writer.js'
import {run} from '../../src/run/run.js'
import {fileSources} from '../../src/capture/source.js'
import {protocols} from '../../src/protocols/registry.js'
import {pcapFile, TcpConversation} from '../support/synth/packets.js'

describe('backpressure', () => {
  it('pauses reading while the output is not drained, and resumes when it is', async () => {
    const c = new TcpConversation({client: '10.2.0.1', server: '10.2.0.2', clientPort: 40100, serverPort: 80})
    c.handshake()
    const n = 30000
    for (let i = 0; i < n; i++) {
      c.send('client', `GET /r/${i} HTTP/1.1\r\nHost: h\r\n\r\n`)
      c.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    }
    c.close()
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pbx-bp-')), 'many.pcap')
    writeFileSync(file, pcapFile(c.frames))

    // A sink that accepts nothing until released: every write callback is held back.
    const held: (() => void)[] = []
    let released = false
    let bytes = 0
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length
        if (released) cb()
        else held.push(cb)
      },
    })
    const output = new NdjsonOutput(new TextWriter(sink, 'slow'), false)
    const running = run({sources: fileSources([file]), protocols: [...protocols], limits: makeLimits(), outputs: [output]})
    // give the pipeline time to run ahead if it were going to
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const written = bytes
    // It stopped early: far less than the whole output was produced while the sink was blocked.
    expect(held.length).toBeGreaterThan(0)
    expect(written).toBeLessThan(5 * 1024 * 1024)
    released = true
    for (const cb of held.splice(0)) cb()
    const result = await running
    expect(result.events).toBe(n)
    // the whole output is several times what was produced while blocked
    expect(bytes).toBeGreaterThan(written * 4)
  })
})
