/**
 * The Thrift session: the one StreamHandler of a connection (call order: ../../reassembly/types.ts).
 * One MessageReader per direction (./parser.ts) hands whole messages to the connection's matcher
 * (./matcher.ts). A gap drops the partial message of that direction and resynchronises on the
 * next message header; a gap in the server direction ends the calls waiting for a reply.
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {ThriftMatcher} from './matcher.js'
import {thriftOptions} from './options.js'
import {MessageReader, type MessageSink} from './parser.js'

export class ThriftSession implements StreamHandler {
  private readonly m: ThriftMatcher
  private readonly readers: [MessageReader, MessageReader]
  private ended = false

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    const o = thriftOptions(ctx.options)
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
    this.readers[dir].data(bytes, at)
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    if (this.ended) return
    this.readers[dir].gap()
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`))
    if (dir === 1) this.m.flush(note('thrift.no_response', 'no response (gap in the server stream)'))
  }

  end(_reason: EndReason, _at: Moment): void {
    if (this.ended) return
    this.ended = true
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
