/**
 * ICMP/ICMPv6 messages -> transactions, for the whole run (one matcher, fed by ./session.ts).
 *
 * - Request/reply types (echo, timestamp, information, address mask; ICMPv6 echo and node
 *   information) are paired by (version, request source, request destination, id, seq): a reply
 *   from B to A answers the pending request from A to B with the same id and seq.
 * - Error reports (unreachable, source quench, time exceeded, parameter problem; v6 1-4) are single
 *   events with status Error; other single messages (redirect, unknown types) are single events
 *   with status OK. Link housekeeping (neighbour/router discovery, MLD) is not reported.
 * - A request unanswered after udpTransactionTimeoutSec of capture time (checked on every ICMP
 *   packet) or at end of input: status Error, note "no response". A reply with no request:
 *   status Error, note "response without request". A repeated request (same key) closes the
 *   earlier one as unanswered.
 * - source.bytes / destination.bytes are the ICMP message length minus the 8-byte header
 *   (Packetbeat's count: the echo data).
 *
 * Each event carries its own ConnInfo (transport icmp / ipv6-icmp, ports 0) oriented from the
 * requester (or the sender of a single message); the address strings and the Community ID
 * (type/code as ports, src/util/community-id.ts) are built once per event, not per packet.
 * Memory: pending requests are bounded by limits.maxConnections (they are conversations of their
 * own, run-wide rather than per connection, so not limits.maxPendingRequests nor the shared
 * PendingQueue); beyond it the oldest is emitted as unanswered (note `icmp.pending_limit`).
 */
import type {DecodedPacket} from '../../decode/types.js'
import {communityId} from '../../util/community-id.js'
import {ipToString} from '../../util/ip.js'
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {Status, Transaction} from '../../event/types.js'
import type {ConnInfo} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {type IcmpHeader, isError, message, requestFor} from './parser.js'

interface Pending {
  key: string
  version: 4 | 6
  proto: number
  s: [number, number, number, number]
  d: [number, number, number, number]
  type: number
  code: number
  id: number
  seq: number
  sec: number
  nsec: number
  frame: number
  bytes: number
}

let connIds = 0

function keyOf(version: number, a0: number, a1: number, a2: number, a3: number, b0: number, b1: number, b2: number, b3: number, id: number, seq: number): string {
  return `${version}|${a0}|${a1}|${a2}|${a3}|${b0}|${b1}|${b2}|${b3}|${id}|${seq}`
}

const NO_RESPONSE = note('icmp.no_response')

export class IcmpMatcher {
  private readonly pending = new Map<string, Pending>()

  constructor(private readonly ctx: ProtocolContext) {}

  /** A request message `h` of packet `p`; `bytes` is its ICMP length minus the 8-byte header. */
  request(p: DecodedPacket, h: IcmpHeader, bytes: number): void {
    const v = p.ipVersion
    const key = keyOf(v, p.src0, p.src1, p.src2, p.src3, p.dst0, p.dst1, p.dst2, p.dst3, h.id, h.seq)
    const old = this.pending.get(key)
    if (old !== undefined) {
      this.pending.delete(key)
      this.unanswered(old, note('icmp.repeated'))
    }
    if (this.pending.size >= this.ctx.limits.maxConnections) {
      const oldest = this.pending.values().next().value as Pending
      this.pending.delete(oldest.key)
      this.ctx.stats.limit('maxConnections')
      this.unanswered(oldest, note('icmp.pending_limit'))
    }
    this.pending.set(key, {
      key,
      version: v,
      proto: p.proto,
      s: [p.src0, p.src1, p.src2, p.src3],
      d: [p.dst0, p.dst1, p.dst2, p.dst3],
      type: h.type,
      code: h.code,
      id: h.id,
      seq: h.seq,
      sec: p.tsSec,
      nsec: p.tsNsec,
      frame: p.frame,
      bytes,
    })
  }

  /** A reply message `h` of packet `p`. */
  reply(p: DecodedPacket, h: IcmpHeader, bytes: number): void {
    const v = p.ipVersion
    const key = keyOf(v, p.dst0, p.dst1, p.dst2, p.dst3, p.src0, p.src1, p.src2, p.src3, h.id, h.seq)
    const req = this.pending.get(key)
    if (req !== undefined) {
      this.pending.delete(key)
      const t = this.tx(req.version, req.proto, req.s, req.d, req.type, req.code, req.sec, req.nsec, req.frame, p.tsSec, p.tsNsec, p.frame, 'OK', req.bytes, bytes)
      this.fill(t, req.version, req.type, req.code, h.type, h.code, req.id, req.seq)
      this.ctx.emit(t)
      return
    }
    // reply without request: oriented from the (missing) requester, i.e. reply dst -> src
    this.ctx.stats.unmatchedResponses++
    const t = this.tx(v, p.proto, [p.dst0, p.dst1, p.dst2, p.dst3], [p.src0, p.src1, p.src2, p.src3], requestFor(v, h.type), h.code, p.tsSec, p.tsNsec, p.frame, p.tsSec, p.tsNsec, p.frame, 'Error', 0, bytes, [note('icmp.unmatched_response')])
    this.fill(t, v, -1, 0, h.type, h.code, h.id, h.seq)
    this.ctx.emit(t)
  }

  /** A single message: an error report, a redirect, or an unknown type. */
  single(p: DecodedPacket, h: IcmpHeader, bytes: number): void {
    const v = p.ipVersion
    const status: Status = isError(v, h.type) ? 'Error' : 'OK'
    const t = this.tx(v, p.proto, [p.src0, p.src1, p.src2, p.src3], [p.dst0, p.dst1, p.dst2, p.dst3], h.type, h.code, p.tsSec, p.tsNsec, p.frame, p.tsSec, p.tsNsec, p.frame, status, bytes, 0)
    this.fill(t, v, h.type, h.code, -1, 0, -1, 0)
    this.ctx.emit(t)
  }

  /** Emits requests older than udpTransactionTimeoutSec (capture time) as unanswered. */
  expire(sec: number, nsec: number): void {
    if (this.pending.size === 0) return
    const limit = this.ctx.limits.udpTransactionTimeoutSec
    for (const p of this.pending.values()) {
      if (sec - p.sec + (nsec - p.nsec) / 1e9 <= limit) break // insertion order = capture order
      this.pending.delete(p.key)
      this.unanswered(p, NO_RESPONSE)
    }
  }

  private unanswered(p: Pending, n: Note): void {
    this.ctx.stats.unmatchedRequests++
    const t = this.tx(p.version, p.proto, p.s, p.d, p.type, p.code, p.sec, p.nsec, p.frame, p.sec, p.nsec, p.frame, 'Error', p.bytes, 0, [n])
    this.fill(t, p.version, p.type, p.code, -1, 0, p.id, p.seq)
    this.ctx.emit(t)
  }

  /** End of input: every pending request is emitted unanswered. */
  end(): void {
    for (const p of this.pending.values()) this.unanswered(p, NO_RESPONSE)
    this.pending.clear()
  }

  private tx(
    version: 4 | 6,
    proto: number,
    s: readonly number[],
    d: readonly number[],
    type: number,
    code: number,
    sSec: number,
    sNsec: number,
    sFrame: number,
    eSec: number,
    eNsec: number,
    eFrame: number,
    status: Status,
    requestBytes: number,
    responseBytes: number,
    notes?: Note[],
  ): Transaction {
    const conn: ConnInfo = {
      id: ++connIds,
      transport: version === 4 ? 'icmp' : 'ipv6-icmp',
      ipVersion: version,
      clientIp: ipToString(version, s[0], s[1], s[2], s[3]),
      serverIp: ipToString(version, d[0], d[1], d[2], d[3]),
      clientPort: 0,
      serverPort: 0,
      communityId: communityId(version, proto, s[0], s[1], s[2], s[3], d[0], d[1], d[2], d[3], type, code),
      roleBy: 'first-packet',
    }
    return newTransaction({
      type: 'icmp',
      conn,
      status,
      start: {tsSec: sSec, tsNsec: sNsec, frame: sFrame},
      end: {tsSec: eSec, tsNsec: eNsec, frame: eFrame},
      requestBytes,
      responseBytes,
      fields: {},
      notes,
    })
  }

  /** icmp.* fields; a type of -1 leaves that half out. id -1: no pbx.icmp ids. */
  private fill(t: Transaction, version: 4 | 6, qType: number, qCode: number, rType: number, rCode: number, id: number, seq: number): void {
    const icmp: Record<string, unknown> = {version}
    if (qType >= 0) icmp.request = {type: qType, code: qCode, message: message(version, qType, qCode)}
    if (rType >= 0) icmp.response = {type: rType, code: rCode, message: message(version, rType, rCode)}
    t.fields.icmp = icmp
    if (id >= 0) t.fields.pbx = {icmp: {id, seq}}
  }
}
