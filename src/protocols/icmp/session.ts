/**
 * The ICMP session: the one IpHandler of the run (ICMP and ICMPv6 packets, see ./index.ts). It
 * reads each message's header (./parser.ts), leaves out link housekeeping, and hands requests,
 * replies and single messages to the matcher (./matcher.ts), which first expires old requests.
 */
import type {DecodedPacket} from '../../decode/types.js'
import type {IpHandler, Moment} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {IcmpMatcher} from './matcher.js'
import {type IcmpHeader, isHousekeeping, isReply, isRequest, readIcmp} from './parser.js'

export class IcmpSession implements IpHandler {
  private readonly m: IcmpMatcher
  /** The header of the packet being handled (reused). */
  private readonly h: IcmpHeader = {type: 0, code: 0, id: 0, seq: 0}

  constructor(private readonly ctx: ProtocolContext) {
    this.m = new IcmpMatcher(ctx)
  }

  packet(p: DecodedPacket): void {
    this.m.expire(p.tsSec, p.tsNsec)
    const v = p.ipVersion
    if ((v === 4 && p.proto !== 1) || (v === 6 && p.proto !== 58)) return
    const h = this.h
    if (!readIcmp(p.payload, h)) {
      this.ctx.stats.bad('icmp: message shorter than 4 bytes')
      return
    }
    const bytes = Math.max(0, p.payload.length + p.payloadTruncated - 8)
    if (isHousekeeping(v, h.type)) return
    if (isRequest(v, h.type)) {
      if (p.payload.length < 8) this.ctx.stats.bad('icmp: request shorter than 8 bytes')
      this.m.request(p, h, bytes)
    } else if (isReply(v, h.type)) this.m.reply(p, h, bytes)
    else this.m.single(p, h, bytes)
  }

  end(_at: Moment): void {
    this.m.end()
  }
}
