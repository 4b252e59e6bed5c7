/**
 * DHCPv4 messages -> events (each datagram of ./session.ts). Decision: ONE EVENT PER MESSAGE, as Packetbeat's dhcpv4 does. A
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
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo, Dir, Moment} from '../../reassembly/types.js'
import type {ProtocolContext} from '../types.js'
import {decodeDhcp} from './parser.js'

export class DhcpMatcher {
  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {}

  /** One message (a whole datagram, sent in direction `dir`): one event. */
  message(dir: Dir, payload: Buffer, at: Moment): void {
    const d = decodeDhcp(payload)
    const notes: Note[] = []
    let status: Status = 'OK'
    let fields: Record<string, unknown>
    if (d === null) {
      this.ctx.stats.bad('dhcpv4: message shorter than the 236-byte BOOTP header')
      notes.push(note('dhcpv4.short_message', `message of ${payload.length} bytes shorter than the BOOTP header`))
      status = 'Error'
      fields = {}
    } else {
      for (const e of d.errors) {
        this.ctx.stats.bad(`dhcpv4: ${withoutOptionCode(e)}`)
        notes.push(note('dhcpv4.malformed', e))
      }
      if (d.messageType === 6 || d.messageType === 4) status = 'Error'
      fields = {dhcpv4: d.fields}
    }
    const mt = (d?.fields.option as Record<string, unknown> | undefined)?.message_type
    this.ctx.emit(
      newTransaction({
        type: 'dhcpv4',
        conn: this.conn,
        status,
        start: at,
        end: at,
        requestBytes: dir === 0 ? payload.length : 0,
        responseBytes: dir === 1 ? payload.length : 0,
        fields,
        method: typeof mt === 'string' ? mt.toUpperCase() : undefined,
        sentByServer: dir === 1,
        notes,
      }),
    )
  }
}

/** An error text with a leading "option <code>: " written as "option: " (the code is counted apart). */
export function withoutOptionCode(e: string): string {
  if (!e.startsWith('option ')) return e
  let i = 7
  while (i < e.length && e.charCodeAt(i) >= 0x30 && e.charCodeAt(i) <= 0x39) i++
  return i > 7 && e.startsWith(': ', i) ? `option: ${e.slice(i + 2)}` : e
}
