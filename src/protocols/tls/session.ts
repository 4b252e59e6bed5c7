/**
 * The TLS session: the one StreamHandler of a connection (data/gap per direction, then one end()).
 * One RecordParser per direction (./parser.ts) frames the records and feeds the matcher
 * (./matcher.ts), which turns each TLS session's handshake into a transaction. A direction whose
 * parser gave up (SSLv2 framing, a fatal framing error) is ignored from then on.
 */
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {keyLogOf, SessionDecryption} from './decryption.js'
import {TlsMatcher} from './matcher.js'
import {RecordParser} from './parser.js'

export class TlsSession implements StreamHandler {
  private readonly parsers: [RecordParser, RecordParser]
  private readonly m: TlsMatcher
  /** Only when the run has a key log (./decryption.ts). */
  private readonly dec: SessionDecryption | null
  private ended = false

  constructor(conn: ConnInfo, ctx: ProtocolContext) {
    this.m = new TlsMatcher(conn, ctx)
    const max = ctx.limits.maxMessageBytes
    this.parsers = [new RecordParser(0, this.m, max), new RecordParser(1, this.m, max)]
    const keylog = keyLogOf(ctx)
    this.dec = keylog === undefined ? null : new SessionDecryption(conn, ctx, keylog, this.m)
    this.m.attach(this.parsers, this.dec)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    const p = this.parsers[dir]
    if (!p.dead) {
      this.m.delivered(dir, bytes.length)
      p.push(bytes, at)
    }
    // after the parser: a ServerHello in this chunk starts the decryptor for the records after it
    this.dec?.data(dir, bytes, at)
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    this.dec?.gap(dir, at)
    const p = this.parsers[dir]
    if (p.dead) return
    this.m.gap(dir, nbytes, at)
    p.gap()
  }

  end(reason: EndReason, at: Moment): void {
    if (this.ended) return
    this.ended = true
    this.dec?.end(reason, at)
    this.m.end()
  }
}
