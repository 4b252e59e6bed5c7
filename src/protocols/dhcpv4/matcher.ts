/**
 * DHCPv4 messages -> events. Decision: ONE EVENT PER MESSAGE, as Packetbeat's dhcpv4 does. A
 * DISCOVER/REQUEST usually travels 0.0.0.0:68 -> 255.255.255.255:67 while its OFFER/ACK travels
 * server:67 -> yiaddr (or broadcast):68, i.e. in a different UDP flow, and a UdpHandler sees one
 * flow only; pairing by transaction id would need cross-flow state the contract does not offer.
 *
 * Orientation: the flow's ConnInfo (client = the port-68 side as the UDP stage orients it), so
 * client.* and server.* equal Packetbeat's; replies set `sentByServer` so that source.* is the
 * server, as in Packetbeat. requestBytes is the payload of a message sent
 * client -> server (dir 0), responseBytes of one sent server -> client (dir 1).
 * Status: OK, except NAK and DECLINE (a refused lease) and malformed messages: Error.
 */
import type {ConnInfo, Dir, Moment, UdpHandler} from '../../reassembly/types.js'
import type {Status, Transaction} from '../../event/types.js'
import type {ProtocolContext} from '../types.js'
import {decodeDhcp} from './parser.js'

export class DhcpHandler implements UdpHandler {
  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {}

  datagram(dir: Dir, payload: Buffer, at: Moment): void {
    const d = decodeDhcp(payload)
    const notes: string[] = []
    let status: Status = 'OK'
    let fields: Record<string, unknown>
    if (d === null) {
      this.ctx.stats.bad('dhcpv4: message shorter than the 236-byte BOOTP header')
      notes.push(`message of ${payload.length} bytes shorter than the BOOTP header`)
      status = 'Error'
      fields = {}
    } else {
      for (const e of d.errors) {
        this.ctx.stats.bad(`dhcpv4: ${e.replace(/^option \d+: /, 'option: ')}`)
        notes.push(e)
      }
      if (d.messageType === 6 || d.messageType === 4) status = 'Error'
      fields = {dhcpv4: d.fields}
    }
    const t: Transaction = {
      type: 'dhcpv4',
      conn: this.conn,
      status,
      startSec: at.tsSec,
      startNsec: at.tsNsec,
      startFrame: at.frame,
      endSec: at.tsSec,
      endNsec: at.tsNsec,
      endFrame: at.frame,
      requestBytes: dir === 0 ? payload.length : 0,
      responseBytes: dir === 1 ? payload.length : 0,
      fields,
    }
    const mt = (d?.fields.option as Record<string, unknown> | undefined)?.message_type
    if (typeof mt === 'string') t.method = mt.toUpperCase()
    if (dir === 1) t.sentByServer = true
    if (notes.length > 0) t.notes = notes
    this.ctx.emit(t)
  }

  end(_at: Moment): void {
    // nothing pending: every message was emitted when it arrived
  }
}
