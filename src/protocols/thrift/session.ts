/**
 * The Thrift session: the one StreamHandler of a connection (call order: ../../reassembly/types.ts).
 * One MessageReader per direction (./parser.ts) hands whole messages to the connection's matcher
 * (./matcher.ts). A gap drops the partial message of that direction and resynchronises on the
 * next message header; a gap in the server direction ends the calls waiting for a reply.
 *
 * Port 9090 is shared with much else (Prometheus, TLS services, ...): when the first bytes of a
 * connection cannot start a Thrift message (sniff() says no, within the transport_type /
 * protocol_type options), the connection is handed to the protocol content detection picks
 * (ProtocolContext.openInner, thrift itself excluded) and every later callback goes there.
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {ThriftMatcher} from './matcher.js'
import {thriftOptions} from './options.js'
import {MessageReader, type MessageSink, SNIFF_NO, type Sniffed, sniff} from './parser.js'

export class ThriftSession implements StreamHandler {
  private readonly m: ThriftMatcher
  private readonly readers: [MessageReader, MessageReader]
  private ended = false
  /** undefined: the first bytes are still to come; null: Thrift; else the handler they went to. */
  private other: StreamHandler | null | undefined = undefined
  private readonly framed: boolean | undefined
  private readonly compact: boolean | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    const o = thriftOptions(ctx.options)
    this.framed = o.framed
    this.compact = o.compact
    this.m = new ThriftMatcher(conn, ctx, o)
    const framing = (dir: Dir) => ({
      framed: o.framed,
      compact: o.compact,
      // capture_reply only concerns what the server sends
      captureReply: dir === 0 || o.captureReply,
      render: o.render,
      idl: o.idl,
      maxMessage: ctx.limits.maxMessageBytes,
    })
    this.readers = [new MessageReader(this.sink(0), framing(0)), new MessageReader(this.sink(1), framing(1))]
  }

  private sink(dir: Dir): MessageSink {
    return {
      message: (msg, at) => this.m.message(msg, at),
      bad: (why) => {
        this.ctx.stats.bad('thrift: ' + why)
        this.m.note(note(why.includes('limits.maxMessageBytes') ? 'limit.message_bytes' : 'thrift.malformed', `${why} (${dir === 0 ? 'client' : 'server'} stream)`))
      },
    }
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.ended) return
    if (this.other === undefined) {
      const sn: Sniffed = {framed: false, compact: false}
      this.other = null
      if (sniff(bytes, 0, this.framed, this.compact, sn) === SNIFF_NO) {
        this.other = this.ctx.openInner?.(this.conn, {self: 'thrift', emit: (t) => this.ctx.emit(t)}) ?? null
      }
    }
    if (this.other !== null) {
      this.other.data(dir, bytes, at)
      return
    }
    this.readers[dir].data(bytes, at)
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (this.ended) return
    if (this.other) {
      this.other.gap(dir, nbytes, at)
      return
    }
    this.readers[dir].gap()
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`))
    if (dir === 1) this.m.flush(note('thrift.no_response', 'no response (gap in the server stream)'))
  }

  end(reason: EndReason, at: Moment): void {
    if (this.ended) return
    this.ended = true
    if (this.other) {
      this.other.end(reason, at)
      return
    }
    for (const d of [0, 1] as const) {
      const r = this.readers[d]
      if (r.pending > 0) {
        this.ctx.stats.bad('thrift: incomplete message at end of stream')
        this.m.note(note('tcp.end_inside_message', `incomplete message at end of stream (${r.pending} bytes, ${d === 0 ? 'client' : 'server'})`))
        r.clear()
      }
    }
    this.m.flush(note('thrift.no_response'))
  }
}
