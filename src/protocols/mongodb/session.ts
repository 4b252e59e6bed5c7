/**
 * The MongoDB session: the one StreamHandler of a connection (call order: ../../reassembly/types.ts,
 * data/gap per direction, then one end()). It frames messages per direction (./parser.ts) and hands
 * them to the matcher (./matcher.ts). Framing errors and gaps drop the rest of the current segment;
 * parsing restarts at the next segment whose first 16 bytes look like a header (messages usually
 * start a segment).
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, Moment, StreamHandler} from '../../reassembly/types.js'
import {StreamBuffer} from '../../util/stream-buffer.js'
import type {ProtocolContext} from '../types.js'
import {MongoMatcher} from './matcher.js'
import {rawTextOptions} from '../shared/result-text.js'
import {BAD, NEED, newParseState, type ParseState, parseMessage, plausibleHeader, SKIP} from './parser.js'

export class MongoSession implements StreamHandler {
  private readonly bufs = [new StreamBuffer(), new StreamBuffer()]
  private readonly need = [0, 0]
  private readonly lost = [false, false]
  private readonly st: ParseState
  private readonly m: MongoMatcher
  private unknownOpcodeSeen = false

  constructor(
    conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    const raw = rawTextOptions(ctx.options, ctx.limits, 'max_docs', 'max_doc_length', {rows: 10, length: 5000})
    this.st = newParseState(ctx.limits.maxMessageBytes, raw.sendResponse ? raw : null)
    this.m = new MongoMatcher(conn, ctx, raw.sendRequest)
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    const sb = this.bufs[dir]
    if (this.lost[dir]) {
      // Resynchronising: wait for a segment that starts with a plausible header.
      if (!plausibleHeader(bytes, 0, this.ctx.limits.maxMessageBytes)) return
      this.lost[dir] = false
    }
    const carried = sb.pending
    if (carried > 0 && carried + bytes.length < this.need[dir]) {
      sb.view(bytes)
      return
    }
    const buf = sb.view(bytes)
    let off = 0
    while (off < buf.length) {
      const r = parseMessage(buf, off, this.st, dir === 0)
      if (r === NEED) {
        this.need[dir] = this.st.need
        break
      }
      if (r === BAD) {
        this.ctx.stats.bad('mongodb: ' + this.st.reason)
        this.m.note(note('mongodb.bad_header', `malformed ${dir === 0 ? 'request' : 'reply'} header (${this.st.reason}); skipped to the next segment`))
        this.lost[dir] = true
        off = buf.length
        break
      }
      const inCarry = off < carried
      if (r === SKIP) {
        if (!this.unknownOpcodeSeen) {
          // Counted once per connection (a flood of unknown opcodes is one anomaly).
          this.unknownOpcodeSeen = true
          this.ctx.stats.bad('mongodb: unknown opcode')
          this.m.note(note('mongodb.unknown_opcode', `unknown opcode ${buf.readInt32LE(off + 12)} skipped`))
        }
        off += buf.readInt32LE(off)
        continue
      }
      const msg = this.st.msg!
      if (dir === 0) this.m.onRequest(msg, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
      else this.m.onReply(msg, at)
      off = r
      this.need[dir] = 0
    }
    if (off < buf.length) {
      const inCarry = off < carried
      sb.keep(buf, off, inCarry ? sb.sec : at.tsSec, inCarry ? sb.nsec : at.tsNsec, inCarry ? sb.frame : at.frame)
    } else sb.clear()
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    this.bufs[dir].clear()
    this.need[dir] = 0
    this.lost[dir] = true
    this.m.note(note('tcp.gap', `gap: ${nbytes} bytes missing in the ${dir === 0 ? 'client' : 'server'} stream`))
  }

  end(_reason: string, _at: Moment): void {
    for (const d of [0, 1] as const) {
      if (this.bufs[d].pending > 0) {
        this.ctx.stats.bad('mongodb: incomplete message at end of stream')
        this.m.note(note('tcp.end_inside_message', `incomplete ${d === 0 ? 'request' : 'reply'} at end of stream`))
        this.bufs[d].clear()
      }
    }
    this.m.end()
  }
}
