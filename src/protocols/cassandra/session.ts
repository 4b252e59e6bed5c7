/**
 * The Cassandra session: the one StreamHandler of a connection (call order:
 * ../../reassembly/types.ts). One Framer per direction (./parser.ts) hands whole envelopes to the
 * connection's matcher (./matcher.ts), which tells the session when the handshake switched the
 * connection to v5 framing. A gap drops the partial frame of that direction and resynchronises; a
 * gap in the server direction ends the requests waiting for a response.
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, EndReason, Moment, StreamHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {CassandraMatcher} from './matcher.js'
import {type EnvelopeSink, Framer} from './parser.js'

const SIDE = ['client', 'server'] as const

export class CassandraSession implements StreamHandler {
  private readonly m: CassandraMatcher
  private readonly framers: [Framer, Framer]
  private ended = false

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.m = new CassandraMatcher(conn, ctx, (lz4) => {
      this.framers[0].useV5(lz4)
      this.framers[1].useV5(lz4)
    })
    const max = ctx.limits.maxMessageBytes
    this.framers = [new Framer(this.sink(0), false, max), new Framer(this.sink(1), true, max)]
  }

  private sink(dir: Dir): EnvelopeSink {
    return {
      envelope: (h, buf, off, at, end) => this.m.envelope(dir === 1, h, buf, off, at, end),
      bad: (fault, why) => {
        this.ctx.stats.bad(`cassandra: ${fault}`)
        const text = `${why} (${SIDE[dir]} stream)`
        this.m.note(fault === 'bad_crc' ? note('cassandra.bad_crc', text) : fault === 'decompress' ? note('cassandra.decompress_failed', text) : note('cassandra.malformed', `${text}: resynchronised`))
      },
    }
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    if (this.ended) return
    this.framers[dir].data(bytes, at)
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    if (this.ended) return
    this.framers[dir].gap()
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${SIDE[dir]} stream`))
    if (dir === 1) this.m.flush(note('cassandra.no_response', 'no response (gap in the server stream)'))
  }

  end(_reason: EndReason, _at: Moment): void {
    if (this.ended) return
    this.ended = true
    for (const d of [0, 1] as const) {
      const f = this.framers[d]
      if (f.pending > 0) {
        this.ctx.stats.bad('cassandra: incomplete frame at end of stream')
        this.m.note(note('tcp.end_inside_message', `incomplete frame at end of stream (${f.pending} bytes, ${SIDE[d]})`))
        f.clear()
      }
    }
    this.m.flush(note('cassandra.no_response'))
  }
}
