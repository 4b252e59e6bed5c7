/**
 * The AMQP session: the one StreamHandler of a connection (call order: ../../reassembly/types.ts).
 * One Framer per direction (./parser.ts) hands whole frames to the connection's matcher
 * (./matcher.ts). A gap drops the partial frame of that direction and resynchronises on the next
 * well-formed frame; messages whose frames were lost are reported incomplete, and a gap in the
 * server direction ends the requests waiting for a reply.
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {AmqpMatcher} from './matcher.js'
import {Framer, type FrameSink} from './parser.js'

export class AmqpSession implements StreamHandler {
  private readonly m: AmqpMatcher
  private readonly framers: [Framer, Framer]
  private ended = false

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.m = new AmqpMatcher(conn, ctx)
    this.framers = [new Framer(this.sink(0), ctx.limits.maxMessageBytes), new Framer(this.sink(1), ctx.limits.maxMessageBytes)]
  }

  private sink(dir: Dir): FrameSink {
    return {
      frame: (type, channel, buf, off, size, at) => this.m.frame(dir, type, channel, buf, off, size, at),
      bad: (why) => {
        this.ctx.stats.bad('amqp: ' + why)
        this.m.note(note('amqp.malformed', `${why} (${dir === 0 ? 'client' : 'server'} stream): resynchronised`))
      },
    }
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.ended) return
    this.framers[dir].data(bytes, at)
  }

  gap(dir: Dir, nbytes: number, at: Moment): void {
    if (this.ended) return
    this.framers[dir].gap()
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`))
    if (dir === 1) this.m.flush(at, note('amqp.no_response', 'no response (gap in the server stream)'))
    else this.m.flush(at, note('amqp.no_response', 'no response (gap in the client stream)'), 0)
  }

  end(_reason: EndReason, at: Moment): void {
    if (this.ended) return
    this.ended = true
    for (const d of [0, 1] as const) {
      const f = this.framers[d]
      if (f.pending > 0) {
        this.ctx.stats.bad('amqp: incomplete frame at end of stream')
        this.m.note(note('tcp.end_inside_message', `incomplete frame at end of stream (${f.pending} bytes, ${d === 0 ? 'client' : 'server'})`))
        f.clear()
      }
    }
    this.m.flush(at, note('amqp.no_response'))
  }
}
