/**
 * The DHCPv4 session: the UdpHandler of one flow. Every datagram is one message and one event
 * (./matcher.ts says why); nothing is pending at the end.
 */
import type {ConnInfo, Dir, Moment, UdpHandler} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {DhcpMatcher} from './matcher.js'

export class DhcpSession implements UdpHandler {
  private readonly m: DhcpMatcher

  constructor(conn: ConnInfo, ctx: ProtocolContext) {
    this.m = new DhcpMatcher(conn, ctx)
  }

  datagram(dir: Dir, payload: Buffer, at: Moment): void {
    this.m.message(dir, payload, at)
  }

  end(_at: Moment): void {
    // nothing pending: every message was emitted when it arrived
  }
}
