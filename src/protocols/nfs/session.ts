/**
 * The NFS sessions: NfsTcpSession (a TCP connection: one RecordFramer per direction, ./parser.ts)
 * and NfsUdpSession (a UDP flow: one RPC message per datagram, RFC 5531 section 10 / RFC 1813
 * section 3.2). Both read each message's RPC header and hand it to the connection's one NfsMatcher
 * (./matcher.ts). On TCP a gap drops the open record of that direction and the framer
 * resynchronises; a record that is not an RPC message makes it resynchronise too. On UDP a
 * datagram that is not an RPC message is skipped with a note, and calls older than
 * limits.udpTransactionTimeoutSec are emitted unanswered as datagrams arrive.
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler, UdpHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {NfsMatcher} from './matcher.js'
import {newHeader, readHeader, RecordFramer, type RecordSink} from './parser.js'
import {Xdr} from './xdr.js'

const side = (dir: Dir) => (dir === 0 ? 'client' : 'server')

export class NfsTcpSession implements StreamHandler {
  private readonly m: NfsMatcher
  private readonly framers: [RecordFramer, RecordFramer]
  private readonly x = new Xdr()
  private readonly h = newHeader()
  private ended = false
  /** The delivery being parsed: the time of a record's last byte. */
  private now: Moment = {frame: 0, tsSec: 0, tsNsec: 0}

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.m = new NfsMatcher(conn, ctx)
    this.framers = [new RecordFramer(this.sink(0), ctx.limits.maxMessageBytes), new RecordFramer(this.sink(1), ctx.limits.maxMessageBytes)]
  }

  private sink(dir: Dir): RecordSink {
    return {
      record: (buf, off, len, wire, cut, start) => {
        const x = this.x.reset(buf, off, off + len)
        if (!readHeader(x, this.h)) {
          this.ctx.stats.bad('nfs: record is not an RPC message')
          this.m.note(note('nfs.not_rpc', `a ${wire}-byte record in the ${side(dir)} stream is not an RPC message: resynchronised`))
          this.framers[dir].gap()
          return
        }
        this.m.message(dir, this.h, x, wire, cut, start, this.now)
      },
      skipped: (n, why) => {
        if (n <= 0) return
        this.ctx.stats.bad('nfs: ' + why)
        this.m.note(note('nfs.not_rpc', `${n} bytes skipped in the ${side(dir)} stream (${why})`))
      },
    }
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.ended) return
    this.now = at
    this.framers[dir].data(bytes, at)
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    if (this.ended) return
    this.framers[dir].gap()
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${side(dir)} stream`))
  }

  end(_reason: EndReason, _at: Moment): void {
    if (this.ended) return
    this.ended = true
    for (const d of [0, 1] as const) {
      const f = this.framers[d]
      if (f.pending > 0) {
        this.ctx.stats.bad('nfs: incomplete record at end of stream')
        this.m.note(note('tcp.end_inside_message', `incomplete record at end of stream (${f.pending} bytes, ${side(d)})`))
      }
      f.clear()
    }
    this.m.end()
  }
}

export class NfsUdpSession implements UdpHandler {
  private readonly m: NfsMatcher
  private readonly x = new Xdr()
  private readonly h = newHeader()

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.m = new NfsMatcher(conn, ctx)
  }

  datagram(dir: Dir, payload: Buffer, at: Moment): void {
    this.m.expire(at)
    const x = this.x.reset(payload, 0, payload.length)
    if (!readHeader(x, this.h)) {
      this.ctx.stats.bad('nfs: datagram is not an RPC message')
      this.m.note(note('nfs.not_rpc', `a ${payload.length}-byte datagram from the ${side(dir)} is not an RPC message: skipped`))
      return
    }
    this.m.message(dir, this.h, x, payload.length, 0, at, at)
  }

  end(_at: Moment): void {
    this.m.end()
  }
}
