/**
 * Plausible wire bytes for the mixed benchmark capture, encoded here so the benchmark does not
 * depend on the protocol parsers it measures: DNS over UDP (RFC 1035), TLS 1.3 handshakes
 * (ClientHello / ServerHello records, RFC 8446), MySQL (protocol 10 greeting, login, COM_QUERY
 * with result sets), PostgreSQL (v3 startup, simple Query), Redis (RESP2), memcache (text
 * protocol), MongoDB (OP_MSG with BSON). Deterministic for a given Rng.
 */
import {Long, serialize} from 'bson'
import type {Msg, TcpDialogue} from './capture-gen.js'
import type {Rng} from './rng.js'

const lat = (s: string) => Buffer.from(s, 'latin1')

function u16(v: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(v)
  return b
}

function u24(v: number): Buffer {
  return Buffer.from([(v >> 16) & 255, (v >> 8) & 255, v & 255])
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(v >>> 0)
  return b
}

function rand(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = rng.int(0, 255)
  return b
}

const NAMES = ['www', 'api', 'cdn', 'mail', 'static', 'img', 'auth', 'login', 'update', 'telemetry']
const ZONES = ['example.com', 'example.net', 'example.org', 'internal.corp', 'cloudprovider.io']

// ------------------------------------------------------------------------------------------ DNS

/** RFC 1035 §4.1: header, one question, answers with a compression pointer to the question name. */
export function dnsDialogue(rng: Rng, exchanges: number): TcpDialogue {
  return {
    port: 53,
    exchanges,
    opening: () => [],
    exchange: () => {
      const id = rng.int(0, 0xffff)
      const name = `${rng.pick(NAMES)}${rng.int(1, 50)}.${rng.pick(ZONES)}`
      const qtype = rng.pick([1, 1, 1, 28, 28, 5, 15, 16])
      const qname = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), lat(l)])), Buffer.from([0])])
      const question = Buffer.concat([qname, u16(qtype), u16(1)])
      const query = Buffer.concat([u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), question])
      const nx = rng.chance(0.05)
      const answers: Buffer[] = []
      if (!nx) {
        const n = qtype === 1 || qtype === 28 ? rng.int(1, 4) : 1
        for (let i = 0; i < n; i++) {
          let rdata: Buffer
          if (qtype === 1) rdata = Buffer.from([93, 184, rng.int(0, 255), rng.int(1, 254)])
          else if (qtype === 28) rdata = Buffer.concat([Buffer.from([0x20, 0x01, 0x0d, 0xb8]), rand(rng, 12)])
          else if (qtype === 15) rdata = Buffer.concat([u16(10), Buffer.from([4]), lat('mail'), Buffer.from([0xc0, 12])])
          else if (qtype === 16) rdata = Buffer.concat([Buffer.from([22]), lat(`v=spf1 -all ${rng.word(9)}`)])
          else rdata = Buffer.concat([Buffer.from([5]), lat('alias'), Buffer.from([0xc0, 12])])
          answers.push(Buffer.concat([Buffer.from([0xc0, 12]), u16(qtype), u16(1), u32(rng.int(30, 86400)), u16(rdata.length), rdata]))
        }
      }
      const flags = nx ? 0x8183 : 0x8180
      const response = Buffer.concat([u16(id), u16(flags), u16(1), u16(answers.length), u16(0), u16(0), question, ...answers])
      return {request: query, response}
    },
  }
}

// ------------------------------------------------------------------------------------------ TLS

function record(type: number, body: Buffer, version = 0x0303): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(version), u16(body.length), body])
}

function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body])
}

function ext(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(body.length), body])
}

/** RFC 8446 §4.1.2 ClientHello with SNI, groups, signature algorithms, ALPN, versions, key share. */
export function clientHello(rng: Rng, sni: string): Buffer {
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
  const name = lat(sni)
  const exts = Buffer.concat([
    ext(0, Buffer.concat([u16(name.length + 3), Buffer.from([0]), u16(name.length), name])),
    ext(23, Buffer.alloc(0)),
    ext(65281, Buffer.from([0])),
    ext(10, Buffer.concat([u16(8), u16(0x001d), u16(0x0017), u16(0x0018), u16(0x0019)])),
    ext(11, Buffer.from([1, 0])),
    ext(35, Buffer.alloc(0)),
    ext(16, Buffer.concat([u16(12), Buffer.from([2]), lat('h2'), Buffer.from([8]), lat('http/1.1')])),
    ext(13, Buffer.concat([u16(16), ...[0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601].map(u16)])),
    ext(43, Buffer.concat([Buffer.from([4]), u16(0x0304), u16(0x0303)])),
    ext(45, Buffer.from([1, 1])),
    ext(51, Buffer.concat([u16(36), u16(0x001d), u16(32), rand(rng, 32)])),
  ])
  const body = Buffer.concat([
    u16(0x0303),
    rand(rng, 32),
    Buffer.from([32]),
    rand(rng, 32),
    u16(suites.length * 2),
    ...suites.map(u16),
    Buffer.from([1, 0]),
    u16(exts.length),
    exts,
  ])
  return record(22, handshake(1, body), 0x0301)
}

/** ServerHello (TLS 1.3 via supported_versions), ChangeCipherSpec, then encrypted handshake records. */
export function serverFlight(rng: Rng): Buffer {
  const exts = Buffer.concat([ext(43, u16(0x0304)), ext(51, Buffer.concat([u16(0x001d), u16(32), rand(rng, 32)]))])
  const body = Buffer.concat([u16(0x0303), rand(rng, 32), Buffer.from([32]), rand(rng, 32), u16(0x1301), Buffer.from([0]), u16(exts.length), exts])
  return Buffer.concat([record(22, handshake(2, body)), record(20, Buffer.from([1])), record(23, rand(rng, rng.int(2500, 4200)))])
}

export function tlsDialogue(rng: Rng, exchanges: number): TcpDialogue {
  const sni = `${rng.pick(NAMES)}.${rng.pick(ZONES)}`
  return {
    port: 443,
    exchanges,
    opening: (): Msg[] => [
      {side: 'client', data: clientHello(rng, sni)},
      {side: 'server', data: serverFlight(rng)},
      {side: 'client', data: Buffer.concat([record(20, Buffer.from([1])), record(23, rand(rng, 53))])},
    ],
    exchange: () => ({request: record(23, rand(rng, rng.int(100, 600))), response: record(23, rand(rng, rng.logInt(100, 9000)))}),
  }
}

// ---------------------------------------------------------------------------------------- MySQL

function lenenc(n: number): Buffer {
  if (n < 251) return Buffer.from([n])
  if (n < 0x10000) return Buffer.from([0xfc, n & 255, n >> 8])
  return Buffer.from([0xfd, n & 255, (n >> 8) & 255, n >> 16])
}

function lenencStr(s: string): Buffer {
  const b = lat(s)
  return Buffer.concat([lenenc(b.length), b])
}

/** A MySQL packet: 3-byte little-endian length, sequence id, payload. */
function myPacket(seq: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([payload.length & 255, (payload.length >> 8) & 255, payload.length >> 16, seq & 255]), payload])
}

function le16(v: number): Buffer {
  return Buffer.from([v & 255, v >> 8])
}

function le32(v: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v >>> 0)
  return b
}

const TABLES = ['users', 'orders', 'products', 'sessions', 'events', 'invoices']

export function mysqlDialogue(rng: Rng, exchanges: number): TcpDialogue {
  // CLIENT_LONG_PASSWORD|FOUND_ROWS|LONG_FLAG|CONNECT_WITH_DB|PROTOCOL_41|TRANSACTIONS|SECURE_CONNECTION|PLUGIN_AUTH
  const caps = 0x1 | 0x2 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x80000
  const ok = (seq: number, affected: number) => myPacket(seq, Buffer.concat([Buffer.from([0]), lenenc(affected), lenenc(0), le16(2), le16(0)]))
  const eof = (seq: number) => myPacket(seq, Buffer.concat([Buffer.from([0xfe]), le16(0), le16(2)]))
  return {
    port: 3306,
    exchanges,
    opening: (): Msg[] => {
      const greeting = Buffer.concat([
        Buffer.from([10]),
        lat('8.0.36\0'),
        le32(rng.int(1, 1e6)),
        rand(rng, 8),
        Buffer.from([0]),
        le16(0xffff),
        Buffer.from([255]),
        le16(2),
        le16(0xdfff),
        Buffer.from([21]),
        Buffer.alloc(10),
        rand(rng, 12),
        Buffer.from([0]),
        lat('caching_sha2_password\0'),
      ])
      const login = Buffer.concat([
        le32(caps),
        le32(16 * 1024 * 1024),
        Buffer.from([255]),
        Buffer.alloc(23),
        lat('app\0'),
        Buffer.from([32]),
        rand(rng, 32),
        lat('shop\0'),
        lat('caching_sha2_password\0'),
      ])
      return [
        {side: 'server', data: myPacket(0, greeting)},
        {side: 'client', data: myPacket(1, login)},
        {side: 'server', data: ok(2, 0)},
      ]
    },
    exchange: () => {
      const t = rng.pick(TABLES)
      if (rng.chance(0.3)) {
        const q = `UPDATE ${t} SET updated_at = NOW(), status = '${rng.word(6)}' WHERE id = ${rng.int(1, 1e6)}`
        return {request: myPacket(0, Buffer.concat([Buffer.from([3]), lat(q)])), response: ok(1, rng.int(0, 3))}
      }
      if (rng.chance(0.03)) {
        const q = `SELECT * FROM ${t}_archive WHERE id = ${rng.int(1, 1e6)}`
        const err = Buffer.concat([Buffer.from([0xff]), le16(1146), lat('#42S02'), lat(`Table 'shop.${t}_archive' doesn't exist`)])
        return {request: myPacket(0, Buffer.concat([Buffer.from([3]), lat(q)])), response: myPacket(1, err)}
      }
      const cols = ['id', 'name', 'email', 'created_at'].slice(0, rng.int(2, 4))
      const nrows = rng.logInt(1, 60)
      const q = `SELECT ${cols.join(', ')} FROM ${t} WHERE account_id = ${rng.int(1, 5000)} ORDER BY id LIMIT ${nrows}`
      let seq = 1
      const out: Buffer[] = [myPacket(seq++, lenenc(cols.length))]
      for (const c of cols) {
        const def = Buffer.concat([
          lenencStr('def'),
          lenencStr('shop'),
          lenencStr(t),
          lenencStr(t),
          lenencStr(c),
          lenencStr(c),
          Buffer.from([0x0c]),
          le16(255),
          le32(c === 'id' ? 11 : 255),
          Buffer.from([c === 'id' ? 3 : 253]),
          le16(0),
          Buffer.from([0]),
          le16(0),
        ])
        out.push(myPacket(seq++, def))
      }
      out.push(eof(seq++))
      for (let i = 0; i < nrows; i++) {
        out.push(myPacket(seq++, Buffer.concat(cols.map((c) => lenencStr(c === 'id' ? String(rng.int(1, 1e6)) : rng.word(rng.int(5, 30)))))))
      }
      out.push(eof(seq++))
      return {request: myPacket(0, Buffer.concat([Buffer.from([3]), lat(q)])), response: Buffer.concat(out)}
    },
  }
}

// ----------------------------------------------------------------------------------- PostgreSQL

/** A v3 backend/frontend message: type byte, int32 length (itself included), body. */
function pg(type: string, body: Buffer): Buffer {
  return Buffer.concat([lat(type), u32(body.length + 4), body])
}

const cstr = (s: string) => lat(`${s}\0`)

export function pgsqlDialogue(rng: Rng, exchanges: number): TcpDialogue {
  return {
    port: 5432,
    exchanges,
    opening: (): Msg[] => {
      const params = Buffer.concat([cstr('user'), cstr('app'), cstr('database'), cstr('shop'), Buffer.from([0])])
      const startup = Buffer.concat([u32(params.length + 8), u32(196608), params])
      const server = Buffer.concat([
        pg('R', u32(0)),
        pg('S', Buffer.concat([cstr('server_version'), cstr('16.2')])),
        pg('S', Buffer.concat([cstr('client_encoding'), cstr('UTF8')])),
        pg('S', Buffer.concat([cstr('DateStyle'), cstr('ISO, MDY')])),
        pg('K', Buffer.concat([u32(rng.int(1, 99999)), u32(rng.int(0, 0xffffffff))])),
        pg('Z', lat('I')),
      ])
      return [
        {side: 'client', data: startup},
        {side: 'server', data: server},
      ]
    },
    exchange: () => {
      const t = rng.pick(TABLES)
      if (rng.chance(0.3)) {
        const q = `UPDATE ${t} SET status = '${rng.word(6)}' WHERE id = ${rng.int(1, 1e6)}`
        return {request: pg('Q', cstr(q)), response: Buffer.concat([pg('C', cstr(`UPDATE ${rng.int(0, 2)}`)), pg('Z', lat('I'))])}
      }
      if (rng.chance(0.03)) {
        const q = `SELECT * FROM ${t}_old`
        const e = Buffer.concat([cstr('SERROR'), cstr('VERROR'), cstr('C42P01'), cstr(`Mrelation "${t}_old" does not exist`), Buffer.from([0])])
        return {request: pg('Q', cstr(q)), response: Buffer.concat([pg('E', e), pg('Z', lat('I'))])}
      }
      const cols = ['id', 'name', 'email'].slice(0, rng.int(1, 3))
      const nrows = rng.logInt(1, 60)
      const q = `SELECT ${cols.join(', ')} FROM ${t} WHERE account_id = ${rng.int(1, 5000)} LIMIT ${nrows}`
      const desc = Buffer.concat([
        u16(cols.length),
        ...cols.map((c) => Buffer.concat([cstr(c), u32(16384), u16(1), u32(c === 'id' ? 23 : 25), u16(c === 'id' ? 4 : 0xffff), u32(0xffffffff), u16(0)])),
      ])
      const rows: Buffer[] = []
      for (let i = 0; i < nrows; i++) {
        const vals = cols.map((c) => lat(c === 'id' ? String(rng.int(1, 1e6)) : rng.word(rng.int(5, 30))))
        rows.push(pg('D', Buffer.concat([u16(vals.length), ...vals.flatMap((v) => [u32(v.length), v])])))
      }
      return {request: pg('Q', cstr(q)), response: Buffer.concat([pg('T', desc), ...rows, pg('C', cstr(`SELECT ${nrows}`)), pg('Z', lat('I'))])}
    },
  }
}

// ---------------------------------------------------------------------------------------- Redis

function resp(args: string[]): Buffer {
  return lat(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`)
}

export function redisDialogue(rng: Rng, exchanges: number): TcpDialogue {
  return {
    port: 6379,
    exchanges,
    opening: () => [],
    exchange: () => {
      const key = `user:${rng.int(1, 99999)}:${rng.pick(['profile', 'cart', 'session', 'views'])}`
      const x = rng.next()
      if (x < 0.45) {
        if (rng.chance(0.15)) return {request: resp(['GET', key]), response: lat('$-1\r\n')}
        const v = rng.word(rng.logInt(5, 2000))
        return {request: resp(['GET', key]), response: lat(`$${v.length}\r\n${v}\r\n`)}
      }
      if (x < 0.75) return {request: resp(['SET', key, rng.word(rng.logInt(5, 1000)), 'EX', '3600']), response: lat('+OK\r\n')}
      if (x < 0.85) return {request: resp(['INCR', `counter:${rng.int(1, 100)}`]), response: lat(`:${rng.int(1, 1e6)}\r\n`)}
      if (x < 0.97) {
        const n = rng.int(1, 8)
        const parts: string[] = []
        for (let i = 0; i < n; i++) parts.push(`$5\r\nfield\r\n$${8}\r\n${rng.word(8)}\r\n`)
        return {request: resp(['HGETALL', key]), response: lat(`*${n * 2}\r\n${parts.join('')}`)}
      }
      return {request: resp(['LPUSH', key]), response: lat("-ERR wrong number of arguments for 'lpush' command\r\n")}
    },
  }
}

// ------------------------------------------------------------------------------------- memcache

export function memcacheDialogue(rng: Rng, exchanges: number): TcpDialogue {
  return {
    port: 11211,
    exchanges,
    opening: () => [],
    exchange: () => {
      const key = `obj:${rng.int(1, 99999)}`
      const x = rng.next()
      if (x < 0.55) {
        if (rng.chance(0.2)) return {request: lat(`get ${key}\r\n`), response: lat('END\r\n')}
        const v = rng.word(rng.logInt(5, 3000))
        return {request: lat(`get ${key}\r\n`), response: lat(`VALUE ${key} 0 ${v.length}\r\n${v}\r\nEND\r\n`)}
      }
      if (x < 0.85) {
        const v = rng.word(rng.logInt(5, 2000))
        return {request: lat(`set ${key} 0 3600 ${v.length}\r\n${v}\r\n`), response: lat('STORED\r\n')}
      }
      if (x < 0.95) return {request: lat(`delete ${key}\r\n`), response: lat(rng.chance(0.7) ? 'DELETED\r\n' : 'NOT_FOUND\r\n')}
      return {request: lat(`incr hits:${rng.int(1, 50)} 1\r\n`), response: lat(`${rng.int(1, 1e6)}\r\n`)}
    },
  }
}

// -------------------------------------------------------------------------------------- MongoDB

/** OP_MSG (opcode 2013): 16-byte header, flagBits, one kind-0 section holding the command document. */
function opMsg(requestId: number, responseTo: number, doc: Record<string, unknown>): Buffer {
  const body = serialize(doc)
  const len = 16 + 4 + 1 + body.length
  const h = Buffer.alloc(21)
  h.writeInt32LE(len, 0)
  h.writeInt32LE(requestId, 4)
  h.writeInt32LE(responseTo, 8)
  h.writeInt32LE(2013, 12)
  h.writeUInt32LE(0, 16)
  h[20] = 0
  return Buffer.concat([h, Buffer.from(body.buffer, body.byteOffset, body.length)])
}

export function mongoDialogue(rng: Rng, exchanges: number): TcpDialogue {
  let reqId = rng.int(1, 1e6)
  return {
    port: 27017,
    exchanges,
    opening: () => [],
    exchange: () => {
      const id = reqId++
      const coll = rng.pick(TABLES)
      if (rng.chance(0.3)) {
        const doc = {_id: rng.int(1, 1e9), name: rng.word(12), qty: rng.int(1, 9), tags: [rng.word(4), rng.word(5)]}
        return {
          request: opMsg(id, 0, {insert: coll, documents: [doc], ordered: true, $db: 'shop'}),
          response: opMsg(rng.int(1, 1e6), id, {n: 1, ok: 1}),
        }
      }
      const n = rng.logInt(1, 40)
      const docs = []
      for (let i = 0; i < n; i++) docs.push({_id: rng.int(1, 1e9), name: rng.word(rng.int(5, 20)), email: `${rng.word(8)}@example.com`, age: rng.int(18, 90)})
      return {
        request: opMsg(id, 0, {find: coll, filter: {age: {$gt: rng.int(18, 60)}}, limit: n, $db: 'shop'}),
        response: opMsg(rng.int(1, 1e6), id, {cursor: {firstBatch: docs, id: Long.fromNumber(0), ns: `shop.${coll}`}, ok: 1}),
      }
    },
  }
}
