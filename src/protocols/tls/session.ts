/**
 * The TLS session: the one StreamHandler of a connection (data/gap per direction, then one end()).
 * One RecordParser per direction (./parser.ts) frames the records and feeds the matcher
 * (./matcher.ts), which turns each TLS session's handshake into a transaction. A direction whose
 * parser gave up (SSLv2 framing, a fatal framing error) is ignored from then on.
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {TlsMatcher} from './matcher.js'
import {RecordParser} from './parser.js'

export class TlsSession implements StreamHandler {
  private readonly parsers: [RecordParser, RecordParser]
  private readonly m: TlsMatcher
  private ended = false

  constructor(conn: ConnInfo, ctx: ProtocolContext) {
    this.m = new TlsMatcher(conn, ctx)
    const max = ctx.limits.maxMessageBytes
    this.parsers = [new RecordParser(0, this.m, max), new RecordParser(1, this.m, max)]
    this.m.attach(this.parsers)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    const p = this.parsers[dir]
    if (p.dead) return
    this.m.delivered(dir, bytes.length)
    p.push(bytes, at)
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    const p = this.parsers[dir]
    if (p.dead) return
    this.m.gap(dir, nbytes, at)
    p.gap()
  }

  end(_reason: EndReason, _at: Moment): void {
    if (this.ended) return
    this.ended = true
    this.m.end()
  }
}
