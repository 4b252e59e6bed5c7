/**
 * CQL peers for scripts/samples/make-cassandra.sh: Debian packages no Cassandra server, so this
 * process runs a small scripted CQL server (canned replies chosen by opcode and query text) and a
 * client that talk the native protocol over real loopback TCP connections, which the shell script
 * captures. The frames are made by ./cql-wire.ts after native_protocol_v4/v5.spec.
 * Connections: (1) v4 uncompressed: OPTIONS, STARTUP, REGISTER, USE, CREATE TABLE, INSERT,
 * SELECT, PREPARE / EXECUTE, BATCH, two pipelined queries answered out of order, a syntax error,
 * an unavailable error, a traced query with a warning, a STATUS_CHANGE push; (2) v4 with LZ4
 * frame bodies; (3) v4 with Snappy; (4) v5 with LZ4 v5 framing, including a query split over two
 * outer frames.
 * Usage: npx tsx scripts/samples/cassandra-peers.ts PORT
 */
import net from 'node:net'
import {lz4Block, lz4Body, snappyBody} from '../../src/protocols/cassandra/decompress.js'
import * as w from './cql-wire.js'

const port = Number(process.argv[2] ?? 9042)
const {OPS} = w
const PREPARED_ID = Buffer.from('5d8a7c2e91b04f36a1e2c3d4e5f60718', 'hex')

interface Frame {
  version: number
  flags: number
  stream: number
  op: number
  body: Buffer
}

/** Splits a byte stream into legacy envelopes (and v5 outer frames once `v5` is set). */
class Reader {
  buf: Buffer = Buffer.alloc(0)
  v5 = false
  lz4 = false
  private inner: Buffer = Buffer.alloc(0)
  push(b: Buffer): Frame[] {
    this.buf = Buffer.concat([this.buf, b])
    const out: Frame[] = []
    for (;;) {
      if (!this.v5) {
        if (this.buf.length < 9) break
        const len = this.buf.readUInt32BE(5)
        if (this.buf.length < 9 + len) break
        out.push(...this.envelopes(this.buf.subarray(0, 9 + len)))
        this.buf = this.buf.subarray(9 + len)
        continue
      }
      const hl = this.lz4 ? 8 : 6
      if (this.buf.length < hl) break
      const lo = this.buf.readUInt32LE(0)
      const plen = this.lz4 ? lo & 0x1ffff : (this.buf[0] | (this.buf[1] << 8) | (this.buf[2] << 16)) & 0x1ffff
      if (this.buf.length < hl + plen + 4) break
      const raw = this.lz4 ? ((lo >>> 17) | (this.buf[4] << 15)) & 0x1ffff : 0
      let payload = this.buf.subarray(hl, hl + plen)
      if (raw > 0) payload = lz4Block(this.buf, hl, hl + plen, raw, 1 << 20) as Buffer
      this.inner = Buffer.concat([this.inner, payload])
      this.buf = this.buf.subarray(hl + plen + 4)
      for (;;) {
        if (this.inner.length < 9) break
        const len = this.inner.readUInt32BE(5)
        if (this.inner.length < 9 + len) break
        out.push(...this.envelopes(this.inner.subarray(0, 9 + len)))
        this.inner = this.inner.subarray(9 + len)
      }
    }
    return out
  }
  private envelopes(e: Buffer): Frame[] {
    return [{version: e[0] & 0x7f, flags: e[1], stream: e.readInt16BE(2), op: e[4], body: Buffer.from(e.subarray(9))}]
  }
}

type Algo = 'lz4' | 'snappy' | ''
const compress = (algo: Algo, b: Buffer) => (algo === 'lz4' ? w.lz4FrameBody(b) : w.snappyCompress(b))
const decompress = (algo: Algo, b: Buffer) => (algo === 'lz4' ? lz4Body(b, 0, b.length, 1 << 24) : snappyBody(b, 0, b.length, 1 << 24)) as Buffer

/** Wraps envelopes for the wire: legacy (compressed bodies when negotiated) or one v5 frame. */
function send(sock: net.Socket, r: Reader, algo: Algo, version: number, response: boolean, frames: {flags?: number; stream: number; op: number; body: Buffer}[]): void {
  if (r.v5) {
    const payload = Buffer.concat(frames.map((f) => w.envelope(version, response, f.flags ?? 0, f.stream, f.op, f.body)))
    sock.write(w.v5Frame(payload, true, r.lz4))
    return
  }
  const out = frames.map((f) => {
    const z = algo !== '' && f.op !== OPS.STARTUP && f.op !== OPS.OPTIONS && f.op !== OPS.SUPPORTED
    return w.envelope(version, response, (f.flags ?? 0) | (z ? 1 : 0), f.stream, f.op, z ? compress(algo, f.body) : f.body)
  })
  sock.write(Buffer.concat(out))
}

function startServer(): net.Server {
  return net.createServer((sock) => {
    const r = new Reader()
    let algo: Algo = ''
    let held: Frame | null = null
    sock.on('data', (chunk) => {
      for (const f of r.push(chunk)) {
        const body = f.flags & 1 && f.version < 5 ? decompress(algo, f.body) : f.body
        const reply = (op: number, b: Buffer, flags = 0) => send(sock, r, algo, f.version, true, [{flags, stream: f.stream, op, body: b}])
        switch (f.op) {
          case OPS.OPTIONS:
            reply(OPS.SUPPORTED, w.multimap({CQL_VERSION: ['3.4.6'], COMPRESSION: ['lz4', 'snappy'], PROTOCOL_VERSIONS: ['3/v3', '4/v4', '5/v5']}))
            break
          case OPS.STARTUP: {
            const c = body.toString('latin1')
            const next: Algo = c.includes('lz4') ? 'lz4' : c.includes('snappy') ? 'snappy' : ''
            reply(OPS.READY, Buffer.alloc(0))
            if (f.version >= 5) {
              r.v5 = true
              r.lz4 = next === 'lz4'
            } else algo = next
            break
          }
          case OPS.REGISTER:
            reply(OPS.READY, Buffer.alloc(0))
            setTimeout(() => send(sock, r, algo, f.version, true, [{stream: -1, op: OPS.EVENT, body: w.statusEvent('UP', [127, 0, 0, 2], 9042)}]), 30)
            break
          case OPS.PREPARE:
            reply(OPS.RESULT, w.preparedResult(PREPARED_ID, 'shop', 'items', 'name', f.version))
            break
          case OPS.EXECUTE:
            reply(OPS.RESULT, w.rowsResult('shop', 'items', ['name', 'price'], [['pear', '2.25']]))
            break
          case OPS.BATCH:
            reply(OPS.RESULT, w.voidResult())
            break
          case OPS.QUERY: {
            const q = body.toString('utf8', 4, 4 + body.readInt32BE(0))
            const answer = (): [number, Buffer, number?] => {
              if (q.startsWith('USE ')) return [OPS.RESULT, w.setKeyspaceResult('shop')]
              if (q.startsWith('CREATE TABLE')) return [OPS.RESULT, w.schemaChangeResult('CREATED', 'TABLE', 'shop', 'items')]
              if (q.startsWith('INSERT')) return [OPS.RESULT, w.voidResult()]
              if (q.startsWith('SELEKT')) return [OPS.ERROR, w.errorBody(0x2000, "line 1:0 no viable alternative at input 'SELEKT' ([SELEKT]...)")]
              if (q.includes('QUORUM')) return [OPS.ERROR, w.errorBody(0x1000, 'Cannot achieve consistency level QUORUM', Buffer.concat([w.u16(4), w.i32(2), w.i32(1)]))]
              if (q.includes('ALLOW FILTERING'))
                return [OPS.RESULT, Buffer.concat([Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex'), w.strList(['Aggregation query used without partition key']), w.rowsResult('shop', 'items', ['count'], [['3']])]), 0x02 | 0x08]
              const n = Number(/LIMIT (\d+)/.exec(q)?.[1] ?? 3)
              return [OPS.RESULT, w.rowsResult('shop', 'items', ['name', 'price'], Array.from({length: n}, (_, i) => [`item-${i}`, `${i + 1}.50`]))]
            }
            const [op, b, flags] = answer()
            if (q.includes('/* slow */')) {
              held = f
              break
            }
            reply(op, b, flags ?? 0)
            if (held !== null) {
              const h = held
              held = null
              send(sock, r, algo, h.version, true, [{stream: h.stream, op: OPS.RESULT, body: w.rowsResult('shop', 'items', ['name'], [['slow-1'], ['slow-2']])}])
            }
            break
          }
        }
      }
    })
    sock.on('error', () => {})
  })
}

/** A client that sends its requests in order and waits for the expected number of responses. */
async function client(steps: {frames: {op: number; body: Buffer; flags?: number; stream: number}[]; expect: number; split?: boolean}[], version: number, algo: Algo, v5Lz4?: boolean): Promise<void> {
  const sock = net.connect(port, '127.0.0.1')
  await new Promise((res) => sock.once('connect', res))
  const r = new Reader()
  let got = 0
  let waiting: (() => void) | null = null
  let useAlgo: Algo = ''
  sock.on('data', (chunk) => {
    for (const f of r.push(chunk)) {
      if (f.op === OPS.READY && v5Lz4 !== undefined && !r.v5) {
        r.v5 = true
        r.lz4 = v5Lz4
      }
      if (f.op === OPS.READY && algo !== '') useAlgo = algo
      if (f.op !== OPS.EVENT) got++
    }
    if (waiting) waiting()
  })
  for (const s of steps) {
    const want = got + s.expect
    if (s.split && r.v5) {
      // one envelope over two non-self-contained outer frames
      const env = Buffer.concat(s.frames.map((f) => w.envelope(version, false, f.flags ?? 0, f.stream, f.op, f.body)))
      const half = Math.floor(env.length / 2)
      sock.write(Buffer.concat([w.v5Frame(env.subarray(0, half), false, r.lz4), w.v5Frame(env.subarray(half), false, r.lz4)]))
    } else send(sock, r, useAlgo, version, false, s.frames)
    while (got < want) await new Promise<void>((res) => (waiting = res))
    await new Promise((res) => setTimeout(res, 20))
  }
  await new Promise((res) => setTimeout(res, 60))
  sock.end()
  await new Promise((res) => sock.once('close', res))
}

const q = (stream: number, text: string, version = 4, flags = 0) => ({stream, op: OPS.QUERY, body: w.queryBody(text, version), flags})
const startup = (compression?: string) => ({stream: 0, op: OPS.STARTUP, body: w.strMap({CQL_VERSION: '3.0.0', DRIVER_NAME: 'pbx-sample', ...(compression ? {COMPRESSION: compression} : {})})})

async function main(): Promise<void> {
  const server = startServer()
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', res))
  const batch = Buffer.concat([w.u8(0), w.u16(2), w.u8(0), w.lstr("INSERT INTO items (name, price) VALUES ('fig', 3.0)"), w.u16(0), w.u8(1), w.shortBytes(PREPARED_ID), w.u16(1), w.bytes(Buffer.from('fig')), w.u16(1), w.u8(0)])
  await client(
    [
      {frames: [{stream: 0, op: OPS.OPTIONS, body: Buffer.alloc(0)}], expect: 1},
      {frames: [startup()], expect: 1},
      {frames: [{stream: 1, op: OPS.REGISTER, body: w.strList(['STATUS_CHANGE', 'SCHEMA_CHANGE'])}], expect: 1},
      {frames: [q(2, 'USE shop')], expect: 1},
      {frames: [q(3, 'CREATE TABLE items (name text PRIMARY KEY, price decimal)')], expect: 1},
      {frames: [q(4, "INSERT INTO items (name, price) VALUES ('pear', 2.25)")], expect: 1},
      {frames: [q(5, 'SELECT name, price FROM items LIMIT 3')], expect: 1},
      {frames: [{stream: 6, op: OPS.PREPARE, body: w.lstr('SELECT name, price FROM items WHERE name = ?')}], expect: 1},
      {frames: [{stream: 7, op: OPS.EXECUTE, body: w.executeBody(PREPARED_ID, ['pear'])}], expect: 1},
      {frames: [{stream: 8, op: OPS.BATCH, body: batch}], expect: 1},
      {frames: [q(9, 'SELECT name FROM items /* slow */'), q(10, 'SELECT name, price FROM items LIMIT 1')], expect: 2},
      {frames: [q(11, 'SELEKT * FROM items')], expect: 1},
      {frames: [q(12, 'SELECT * FROM items /* QUORUM */')], expect: 1},
      {frames: [q(13, 'SELECT count(*) FROM items ALLOW FILTERING', 4, 0x02)], expect: 1},
    ],
    4,
    '',
  )
  for (const algo of ['lz4', 'snappy'] as const) {
    await client(
      [
        {frames: [startup(algo)], expect: 1},
        {frames: [q(64, 'SELECT name, price FROM items LIMIT 40')], expect: 1},
        {frames: [q(128, "INSERT INTO items (name, price) VALUES ('plum', 1.75)")], expect: 1},
      ],
      4,
      algo,
    )
  }
  await client(
    [
      {frames: [{stream: 0, op: OPS.STARTUP, body: w.strMap({CQL_VERSION: '3.0.0', COMPRESSION: 'lz4'})}], expect: 1},
      {frames: [q(1, 'SELECT name, price FROM items LIMIT 5', 5), q(2, 'USE shop', 5)], expect: 2},
      {frames: [q(3, `SELECT name FROM items WHERE name IN (${Array.from({length: 400}, (_, i) => `'n${i}'`).join(', ')})`, 5)], expect: 1, split: true},
    ],
    5,
    '',
    true,
  )
  server.close()
}

void main()
