/**
 * pbx's libpcap binding (src/capture/native/pcap_binding.c) used directly, on loopback as root:
 * the record format, one call per wakeup, the buffer kept alive by the binding, close() inside the
 * callback, pcap_stats, and errors with libpcap's text and a code. Fails (never skips) when the
 * environment cannot capture.
 */
import dgram from 'node:dgram'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'
import {describe, expect, it} from 'vitest'
import {loadPcap} from '../../src/capture/live.js'
import {RECORD_HEADER, recordBytes} from '../../src/capture/native/types.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const options = {snaplen: 65535, promisc: false, immediate: false, bufferSize: 4 << 20, timeoutMs: 10, nano: true}

/** Sends `n` UDP datagrams "pbx-<i>" to 127.0.0.1:port, a few at a time. */
async function send(port: number, n: number): Promise<void> {
  const s = dgram.createSocket('udp4')
  for (let i = 0; i < n; i++) {
    await new Promise<void>((r, f) => s.send(`pbx-${i}`, port, '127.0.0.1', (e) => (e ? f(e) : r())))
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 1))
  }
  s.close()
}

describe('libpcap binding on lo', () => {
  it('writes records (time, lengths, bytes) into a buffer it keeps alive, calls once per wakeup, and closes inside its callback', async () => {
    const pcap = loadPcap()
    const port = 40000 + (process.pid % 20000)
    const h = new pcap.Pcap('lo', options)
    h.setFilter(`udp dst port ${port}`)
    expect(h.datalink()).toBe(1)
    expect(h.nano).toBe(true)
    // The only strong reference to the buffer is the binding's: garbage collection must not free it.
    let weak: WeakRef<Buffer> | undefined
    ;(() => {
      const b = Buffer.alloc(1 << 20)
      weak = new WeakRef(b)
      h.setBuffer(b, 0)
    })()
    const payloads: string[] = []
    let calls = 0
    let pos = 0
    const before = Date.now()
    const done = new Promise<{recv: number; drop: number; ifdrop: number}>((resolve) => {
      h.start((packets, end) => {
        calls++
        gc()
        const buf = weak?.deref()
        if (buf === undefined) throw new Error('the buffer the binding writes into was garbage-collected')
        for (let k = 0; k < packets; k++) {
          const u = new Uint32Array(buf.buffer, buf.byteOffset + pos, 4)
          const ms = u[0] * 1000 + u[1] / 1e6
          expect(ms).toBeGreaterThanOrEqual(before - 1000)
          expect(ms).toBeLessThanOrEqual(Date.now() + 1000)
          expect(u[1]).toBeLessThan(1e9)
          expect(u[3]).toBe(u[2]) // small datagrams: nothing cut
          const frame = buf.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + u[2])
          payloads.push(frame.subarray(42).toString()) // Ethernet 14 + IPv4 20 + UDP 8
          pos += recordBytes(u[2])
        }
        expect(end).toBe(pos)
        if (payloads.length >= 200) {
          const st = h.stats()
          h.close()
          h.close() // idempotent
          resolve(st)
        }
      })
    })
    await new Promise((r) => setTimeout(r, 20))
    gc()
    await send(port, 200)
    const st = await done
    expect(payloads).toEqual(Array.from({length: 200}, (_, i) => `pbx-${i}`))
    expect(calls).toBeLessThan(200) // batches, not one call per packet (sent in bursts of 50)
    expect(st.drop).toBe(0)
    expect(st.ifdrop).toBe(0)
    expect(st.recv).toBeGreaterThanOrEqual(200)
    expect(() => h.datalink()).toThrow(/closed/)
    // Control: once closed, the binding's reference is gone and the same collection frees the buffer.
    await new Promise((r) => setTimeout(r, 0))
    gc()
    await new Promise((r) => setTimeout(r, 0))
    expect(weak?.deref()).toBeUndefined()
  })

  it('reports errors with libpcap\'s text and a code', () => {
    const pcap = loadPcap()
    expect(() => new pcap.Pcap('nosuch0', options)).toThrow(expect.objectContaining({code: 'NODEV'}))
    const h = new pcap.Pcap('lo', options)
    expect(() => h.setFilter('tcp port')).toThrow(expect.objectContaining({code: 'FILTER', message: "can't parse filter expression: syntax error"}))
    expect(() => h.setBuffer(Buffer.alloc(8), 9)).toThrow(/offset/)
    h.close()
    expect(pcap.libVersion()).toMatch(/^libpcap version \d/)
    expect(pcap.findAllDevs().find((d) => d.name === 'lo')).toMatchObject({loopback: true, addresses: expect.arrayContaining([expect.objectContaining({addr: '127.0.0.1'})])})
  })
})
