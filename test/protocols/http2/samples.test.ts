/**
 * The HTTP/2 and gRPC samples (scripts/samples/make-http2.sh, make-grpc.sh) against tshark's
 * dissection (tshark is installed on the machine; `-d tcp.port==P,http2` because the samples use
 * ports tshark does not assign to HTTP/2): for every stream, pbx's method, :path, :authority and
 * :status are tshark's decoded header values (so HPACK, Huffman and the dynamic table agree), and for
 * gRPC streams grpc-status and the number and sizes of the length-prefixed messages per direction.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ROOT} from '../../helpers/run-cli.js'

const SAMPLES: [string, number][] = [
  ['samples/http2/nginx-h2c', 18082],
  ['samples/grpc/grpc', 18084],
]

type J = Record<string, unknown>
const arr = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x])

interface TsStream {
  blocks: [Record<string, string>[], Record<string, string>[]]
  messages: [number[], number[]]
}

/** tshark's view: per "clientPort/streamId", the decoded header blocks and gRPC message lengths per side. */
function tshark(file: string, port: number): Map<string, TsStream> {
  const out = execFileSync('tshark', ['-r', file, '-d', `tcp.port==${port},http2`, '-Y', 'http2', '-T', 'json', '--no-duplicate-keys'], {
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString()
  const streams = new Map<string, TsStream>()
  for (const pkt of JSON.parse(out) as J[]) {
    const layers = (pkt._source as J).layers as J
    const tcp = layers.tcp as J
    const src = Number(arr(tcp['tcp.srcport'] as string)[0])
    const dir = src === port ? 1 : 0
    const client = dir === 0 ? src : Number(arr(tcp['tcp.dstport'] as string)[0])
    const get = (id: string) => {
      const k = `${client}/${id}`
      let s = streams.get(k)
      if (s === undefined) streams.set(k, (s = {blocks: [[], []], messages: [[], []]}))
      return s
    }
    for (const h2 of arr(layers.http2 as J | J[])) {
      for (const st of arr(h2['http2.stream'] as J | J[])) {
        if (st['http2.type'] !== '1' && st['http2.type'] !== '5') continue
        const block: Record<string, string> = {}
        for (const h of arr(st['http2.header'] as J | J[])) {
          const name = h['http2.header.name'] as string
          if (!(name in block)) block[name] = (h['http2.header.value'] as string | undefined) ?? ''
        }
        get(st['http2.streamid'] as string).blocks[dir].push(block)
      }
    }
    // gRPC messages: tshark lists them per packet; the stream of each is the DATA frame's.
    const grpc = arr(layers.grpc as J | J[])
    if (grpc.length > 0) {
      const dataStreams: string[] = []
      for (const h2 of arr(layers.http2 as J | J[])) {
        for (const st of arr(h2['http2.stream'] as J | J[])) if (st['http2.type'] === '0') dataStreams.push(st['http2.streamid'] as string)
      }
      // All messages of one packet belong to one stream in these samples (checked).
      expect(new Set(dataStreams).size).toBeLessThanOrEqual(1)
      for (const g of grpc) for (const len of arr(g['grpc.message_length'] as string | string[])) get(dataStreams[0]!).messages[dir].push(Number(len))
    }
  }
  return streams
}

describe('http2 samples against tshark', () => {
  for (const [base, port] of SAMPLES) {
    it(path.basename(base), () => {
      const events = readFileSync(path.join(ROOT, `${base}.ndjson`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      const ts = tshark(path.join(ROOT, `${base}.pcap`), port)
      const keys = events.map((e) => `${e.source.port}/${e.pbx.http2.stream_id}`)
      // Every stream tshark saw headers on is one pbx event, and the other way round.
      expect([...keys].sort()).toEqual([...ts.keys()].filter((k) => !k.endsWith('/0')).sort())
      for (const [i, e] of events.entries()) {
        const t = ts.get(keys[i]!)!
        const req = t.blocks[0][0]!
        const resp = t.blocks[1][0]!
        expect(e.http.request.method, keys[i]).toBe(req[':method'])
        expect(e.url.original, keys[i]).toBe(req[':path'])
        expect(`${e.url.domain}:${e.url.port}`, keys[i]).toBe(req[':authority'])
        expect(e.http.response.status_code, keys[i]).toBe(Number(resp[':status']))
        if (e.grpc !== undefined) {
          const last = t.blocks[1][t.blocks[1].length - 1]!
          expect(e.grpc.status_code, keys[i]).toBe(Number(last['grpc-status']))
          const sum = (a: number[]) => a.reduce((s, x) => s + x, 0)
          expect([e.grpc.request.messages, e.grpc.request.message_bytes], keys[i]).toEqual([t.messages[0].length, sum(t.messages[0])])
          expect([e.grpc.response.messages, e.grpc.response.message_bytes], keys[i]).toEqual([t.messages[1].length, sum(t.messages[1])])
        }
      }
      if (base.endsWith('grpc')) expect(events.filter((e) => e.grpc !== undefined)).toHaveLength(events.length)
    })
  }
})
