/**
 * The DNS sessions: DnsTcpSession (the StreamHandler of a TCP connection: one matcher, one framer
 * per direction, see ./parser.ts) and DnsUdpSession (the UdpHandler of a UDP flow, also mDNS 5353
 * and LLMNR 5355: one datagram is one message). Both feed one DnsMatcher (./matcher.ts).
 */
import {note} from '../../event/anomalies.js'
import type {ConnInfo, Dir, EndReason, Moment, ParkedState, StreamHandler, UdpHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {DnsMatcher} from './matcher.js'
import {Framer, St} from './parser.js'

/** DNS over TCP: one matcher per connection, one framer per direction. */
export class DnsTcpSession implements StreamHandler {
  private readonly matcher: DnsMatcher
  private readonly framers: [Framer, Framer]
  private ended = false

  constructor(conn: ConnInfo, ctx: ProtocolContext) {
    this.matcher = new DnsMatcher(conn, ctx)
    this.framers = [new Framer(this.matcher, ctx), new Framer(this.matcher, ctx)]
  }

  data(dir: Dir, bytes: Buffer, at: Moment): void {
    this.framers[dir].data(bytes, at)
  }

  gap(dir: Dir, nbytes: number, _at: Moment): void {
    this.framers[dir].gap(nbytes)
  }

  end(_reason: EndReason, _at: Moment): void {
    if (this.ended) return
    this.ended = true
    for (const f of this.framers) {
      if (f.st === St.Body || (f.st === St.Len && f.lenHave > 0)) this.matcher.note(note('tcp.end_inside_message'))
    }
    this.matcher.end()
  }
}

/** DNS over UDP (also mDNS 5353, LLMNR 5355): one matcher per flow. */
export class DnsUdpSession implements UdpHandler {
  private readonly matcher: DnsMatcher

  constructor(conn: ConnInfo, ctx: ProtocolContext) {
    this.matcher = new DnsMatcher(conn, ctx)
  }

  datagram(_dir: Dir, payload: Buffer, at: Moment): void {
    this.matcher.message(payload, 0, payload.length, at)
  }

  end(at: Moment): void {
    this.matcher.expire(at)
    this.matcher.end()
  }

  idle(): boolean {
    return this.matcher.idle()
  }

  /** A flow whose one pending query is all it holds parks it (DnsMatcher.park). */
  park(st: ParkedState): boolean {
    return this.matcher.park(st)
  }

  unpark(st: Readonly<ParkedState>): void {
    this.matcher.unpark(st)
  }
}
