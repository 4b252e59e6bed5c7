/**
 * Synthetic MongoDB peers for scripts/samples/make-mongodb.sh: no MongoDB server is packaged for
 * Debian, so this process runs a scripted server (canned replies, keyed by command name) and a
 * client that talk over a real loopback TCP connection, which the shell script captures. Every
 * message follows the wire protocol spec (OP_MSG opCode 2013 with kind-0 body and kind-1 document
 * sequences; the legacy OP_QUERY 2004 / OP_REPLY 1 handshake that drivers still send first).
 * Usage: npx tsx scripts/samples/mongodb-peers.ts PORT
 */
import net from 'node:net'
import {BSON, type Document, Long} from 'bson'

const port = Number(process.argv[2] ?? 17017)
const OP_REPLY = 1
const OP_QUERY = 2004
const OP_MSG = 2013
const MORE_TO_COME = 1 << 1

function header(len: number, requestId: number, responseTo: number, op: number): Buffer {
  const h = Buffer.alloc(16)
  h.writeInt32LE(len, 0)
  h.writeInt32LE(requestId, 4)
  h.writeInt32LE(responseTo, 8)
  h.writeInt32LE(op, 12)
  return h
}

function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])])
}

/** OP_MSG: flagBits, a kind-0 body, then optional kind-1 sequences (identifier + documents). */
function opMsg(requestId: number, responseTo: number, body: Document, seqs: [string, Document[]][] = [], flags = 0): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4), Buffer.from([0]), Buffer.from(BSON.serialize(body))]
  parts[0].writeUInt32LE(flags, 0)
  for (const [id, docs] of seqs) {
    const payload = Buffer.concat([cstring(id), ...docs.map((d) => BSON.serialize(d))])
    const size = Buffer.alloc(4)
    size.writeInt32LE(payload.length + 4, 0)
    parts.push(Buffer.from([1]), size, payload)
  }
  const rest = Buffer.concat(parts)
  return Buffer.concat([header(16 + rest.length, requestId, responseTo, OP_MSG), rest])
}

function opQuery(requestId: number, ns: string, query: Document): Buffer {
  const flags = Buffer.alloc(4)
  const skipReturn = Buffer.alloc(8)
  skipReturn.writeInt32LE(0, 0)
  skipReturn.writeInt32LE(-1, 4)
  const rest = Buffer.concat([flags, cstring(ns), skipReturn, BSON.serialize(query)])
  return Buffer.concat([header(16 + rest.length, requestId, 0, OP_QUERY), rest])
}

function opReply(requestId: number, responseTo: number, docs: Document[]): Buffer {
  const fixed = Buffer.alloc(20)
  fixed.writeInt32LE(8, 0) // responseFlags: AwaitCapable
  fixed.writeBigInt64LE(0n, 4) // cursorID
  fixed.writeInt32LE(0, 12) // startingFrom
  fixed.writeInt32LE(docs.length, 16) // numberReturned
  const rest = Buffer.concat([fixed, ...docs.map((d) => BSON.serialize(d))])
  return Buffer.concat([header(16 + rest.length, requestId, responseTo, OP_REPLY), rest])
}

const hello = {ismaster: true, maxBsonObjectSize: 16777216, maxMessageSizeBytes: 48000000, maxWireVersion: 21, minWireVersion: 0, readOnly: false, ok: 1}
const item = (id: number, name: string, price: number) => ({_id: id, name, price})

/** The server's canned reply to one OP_MSG body (or undefined: moreToCome, no reply). */
function reply(cmd: Document): Document {
  const name = Object.keys(cmd)[0]
  switch (name) {
    case 'insert':
      return {n: 3, ok: 1}
    case 'find':
      if (cmd.filter && '$bogus' in cmd.filter) return {ok: 0, errmsg: 'unknown top level operator: $bogus', code: 2, codeName: 'BadValue'}
      return {cursor: {firstBatch: [item(1, 'apple', 1.5), item(2, 'pear', 2.25)], id: Long.fromNumber(7215539105932), ns: 'shop.items'}, ok: 1}
    case 'getMore':
      return {cursor: {nextBatch: [item(3, 'fig', 3)], id: Long.ZERO, ns: 'shop.items'}, ok: 1}
    case 'update':
      return {n: 1, nModified: 1, ok: 1}
    case 'delete':
      return {n: 0, ok: 1}
    case 'count':
      return {n: 3, ok: 1}
    default:
      return {ok: 1}
  }
}

function serve(sock: net.Socket): void {
  let buf = Buffer.alloc(0)
  let nextId = 1000
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d])
    while (buf.length >= 16 && buf.length >= buf.readInt32LE(0)) {
      const len = buf.readInt32LE(0)
      const msg = buf.subarray(0, len)
      buf = buf.subarray(len)
      const reqId = msg.readInt32LE(4)
      const op = msg.readInt32LE(12)
      if (op === OP_QUERY) {
        sock.write(opReply(nextId++, reqId, [hello]))
      } else if (op === OP_MSG) {
        const flags = msg.readUInt32LE(16)
        const body = BSON.deserialize(msg.subarray(21, 21 + msg.readInt32LE(21)))
        if (!(flags & MORE_TO_COME)) sock.write(opMsg(nextId++, reqId, reply(body)))
      }
    }
  })
}

const server = net.createServer(serve)
server.listen(port, '127.0.0.1', async () => {
  const c = net.connect(port, '127.0.0.1')
  await new Promise((r) => c.once('connect', r))
  let id = 1
  const pause = () => new Promise((r) => setTimeout(r, 50))
  const send = async (b: Buffer) => {
    c.write(b)
    await pause()
  }
  c.on('data', () => {})
  await send(opQuery(id++, 'admin.$cmd', {isMaster: 1, client: {driver: {name: 'pbx-sample', version: '1.0'}}}))
  await send(opMsg(id++, 0, {insert: 'items', ordered: true, $db: 'shop'}, [['documents', [item(1, 'apple', 1.5), item(2, 'pear', 2.25), item(3, 'fig', 3)]]]))
  await send(opMsg(id++, 0, {find: 'items', filter: {price: {$gt: 1}}, batchSize: 2, $db: 'shop'}))
  await send(opMsg(id++, 0, {getMore: Long.fromNumber(7215539105932), collection: 'items', batchSize: 2, $db: 'shop'}))
  await send(opMsg(id++, 0, {update: 'items', updates: [{q: {name: 'pear'}, u: {$set: {price: 5}}}], $db: 'shop'}))
  await send(opMsg(id++, 0, {delete: 'items', deletes: [{q: {name: 'kiwi'}, limit: 1}], $db: 'shop'}))
  await send(opMsg(id++, 0, {find: 'items', filter: {$bogus: 1}, $db: 'shop'}))
  await send(opMsg(id++, 0, {insert: 'log', writeConcern: {w: 0}, $db: 'shop'}, [['documents', [{msg: 'fire and forget'}]]], MORE_TO_COME))
  await send(opMsg(id++, 0, {count: 'items', query: {}, $db: 'shop'}))
  await send(opMsg(id++, 0, {ping: 1, $db: 'admin'}))
  c.end()
  await pause()
  server.close()
})
