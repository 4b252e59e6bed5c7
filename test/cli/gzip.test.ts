/**
 * gzip inputs that are not one clean member (issue 12), as users run them: nothing decompressed is
 * thrown away. Trailing bytes after the data are ignored (exit 0, counted in the statistics); a
 * failed CRC-32 analyzes everything and then exits 4 naming the decompressed offset; concatenated
 * members are one capture.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gzipSync} from 'node:zlib'
import {beforeAll, describe, expect, it} from 'vitest'
import {pbx} from '../helpers/run-cli.js'
import {pcapFile, TcpConversation} from '../support/synth/packets.js'

const N = 1000
let tmp: string
let pcap: Buffer

/** `n` keep-alive HTTP exchanges on one connection, with bodies that compress poorly (~150 KB gzip). */
function httpCapture(n: number): Buffer {
  const c = new TcpConversation({client: '10.2.0.1', server: '10.2.0.2', clientPort: 40002, serverPort: 80})
  c.handshake()
  let x = 7
  for (let i = 0; i < n; i++) {
    let body = ''
    for (let k = 0; k < 200; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      body += String.fromCharCode(97 + ((x >>> 24) % 26))
    }
    c.send('client', `GET /item/${i} HTTP/1.1\r\nHost: shop.example\r\n\r\n`)
    c.send('server', `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  }
  c.close()
  return pcapFile(c.frames)
}

function write(name: string, content: Buffer): string {
  const p = path.join(tmp, name)
  writeFileSync(p, content)
  return p
}

const ndjson = (f: string) => {
  const r = pbx(['analyze', f, '--format', 'ndjson'])
  return {...r, events: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as {type: string; url?: {path?: string}})}
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'pbx-gzip-'))
  pcap = httpCapture(N)
})

describe('pbx analyze on damaged or unusual gzip files', () => {
  it('baseline: the clean gzip file has all transactions', () => {
    const r = ndjson(write('clean.pcap.gz', gzipSync(pcap)))
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.events).toHaveLength(N)
  })

  it('trailing garbage after the gzip data: every transaction, exit 0, counted in the summary', () => {
    const f = write('trailing.pcap.gz', Buffer.concat([gzipSync(pcap), Buffer.from('this is not gzip\n')]))
    const r = ndjson(f)
    expect(r.status).toBe(0)
    expect(r.events).toHaveLength(N)
    expect(r.events[N - 1].url?.path).toBe(`/item/${N - 1}`)
    const s = pbx(['analyze', f])
    expect(s.status).toBe(0)
    expect(s.stdout).toContain('gzip: bytes after the end of the compressed data ignored')
  })

  it('a small file with trailing garbage keeps its transactions too', () => {
    const r = ndjson(write('small-trailing.pcap.gz', Buffer.concat([gzipSync(httpCapture(3)), Buffer.alloc(1, 0x41)])))
    expect(r.status).toBe(0)
    expect(r.events).toHaveLength(3)
  })

  it('bad CRC-32: every transaction, then exit 4 naming the decompressed end of the member', () => {
    const gz = gzipSync(pcap)
    gz[gz.length - 8] ^= 0xff
    const r = ndjson(write('badcrc.pcap.gz', gz))
    expect(r.events).toHaveLength(N)
    expect(r.status).toBe(4)
    expect(r.stderr).toContain(`capture damaged at byte offset ${pcap.length}: gzip member 1 (decompressed bytes 0..${pcap.length}) fails its CRC-32 check`)
    expect(r.stderr).toContain('offset counts decompressed bytes')
  })

  it('concatenated members (split mid-record) are read as one capture', () => {
    const cut = Math.floor(pcap.length / 3) + 5
    const r = ndjson(write('members.pcap.gz', Buffer.concat([gzipSync(pcap.subarray(0, cut)), gzipSync(pcap.subarray(cut))])))
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.events).toHaveLength(N)
  })

  it('truncated gzip: the transactions before the cut, then exit 4 with a decompressed offset', () => {
    const gz = gzipSync(pcap)
    const r = ndjson(write('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length * 0.75))))
    expect(r.status).toBe(4)
    expect(r.events.length).toBeGreaterThan(N * 0.7)
    expect(r.events.length).toBeLessThan(N)
    const m = /capture damaged at byte offset (\d+): gzip data truncated: the file ends inside the compressed data of member 1/.exec(r.stderr)
    expect(m).not.toBeNull()
    expect(Number(m![1])).toBeGreaterThan(pcap.length * 0.7)
  })
})
