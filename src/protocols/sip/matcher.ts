/**
 * SIP messages -> events. As Packetbeat does, every SIP message is one event (sip.type request or
 * response, event.duration 0): a SIP transaction (RFC 3261 17) has any number of provisional
 * responses, INVITE's ACK for a 2xx is a transaction of its own, and a proxy or UAS may send
 * requests in both directions of one flow, so no single request/response pair stands for it.
 *
 * Transactions are still tracked (RFC 3261 17.1.3 / 17.2.3: top Via branch + CSeq method; ACK and
 * CANCEL match the INVITE's branch): a request is queued (PendingQueue, keyed); a response is
 * matched against it and, when final (>= 200), ends it. A response that matches no request gets
 * the note sip.unmatched_response; a request retransmitted while pending gets sip.retransmission;
 * requests still without a final response at the end count as unmatched requests (stats). The
 * event of a message sent by the flow's server side is marked sentByServer (source/destination
 * are then the sender and receiver).
 *
 * Status: Error for responses >= 500 (server and global failures); OK otherwise (4xx challenges
 * such as 401/407 are part of normal flows, as Packetbeat reports them).
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {ConnInfo, Dir, Moment} from '../../reassembly/types.js'
import {isDigits, startsWithIgnoreCase} from '../shared/chars.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {type NameAddr, numberThenWord, parseAuth, parseNameAddr, parseSdp, parseUri, parseVia, type SipMessage, type SipUri} from './parser.js'

interface Pending {
  key: string
  final: boolean
}

export class SipMatcher {
  private readonly pending: PendingQueue<Pending, string>
  private carry: Note[] | undefined

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.pending = new PendingQueue<Pending, string>(
      ctx.limits,
      ctx.stats,
      () => {
        ctx.stats.unmatchedRequests++
      },
      (p) => p.key,
    )
  }

  note(n: Note): void {
    if (this.carry === undefined) this.carry = []
    if (this.carry.length < 16) this.carry.push(n)
  }

  message(dir: Dir, m: SipMessage, buf: Buffer, bytes: number, at: Moment): void {
    const notes: Note[] = []
    for (const b of m.bad) {
      this.ctx.stats.bad('sip: ' + b)
      notes.push(note('sip.malformed', b))
    }
    const sip: Record<string, unknown> = {}
    const user: Record<string, unknown> = {}
    sip.type = m.isRequest ? 'request' : 'response'
    sip.version = m.version
    if (m.isRequest) {
      sip.method = m.method
      sip.uri = uriFields(parseUri(m.uri!))
    } else {
      sip.code = m.code
      if (m.phrase !== '') sip.status = m.phrase
    }
    const h = m.headers
    const callId = h.get('call-id')
    if (callId !== undefined) sip.call_id = callId
    const cseq = h.get('cseq')
    let cseqMethod = ''
    if (cseq !== undefined) {
      const cm = numberThenWord(cseq)
      if (cm !== undefined) {
        cseqMethod = cm[1].toUpperCase()
        sip.cseq = {code: Number(cm[0]), method: cseqMethod}
      } else notes.push(note('sip.malformed', `bad CSeq: ${cseq.slice(0, 40)}`))
    }
    let branch = ''
    const viaText = h.get('via')
    if (viaText !== undefined) {
      const v = parseVia(viaText)
      const via: Record<string, unknown> = {original: viaText}
      if (v.transport !== undefined) via.transport = v.transport.toLowerCase()
      if (v.host !== undefined) via.sent_by = v.port !== undefined ? {address: v.host, port: v.port} : {address: v.host}
      if (v.received !== undefined) via.received = {address: v.received}
      if (v.rport !== undefined) via.rport = Number(v.rport)
      if (v.branch !== undefined) {
        via.branch = v.branch
        branch = v.branch
      }
      sip.via = via
    }
    for (const k of ['from', 'to'] as const) {
      const t = h.get(k)
      if (t !== undefined) sip[k] = nameAddrFields(parseNameAddr(t), false)
    }
    const contact = h.get('contact')
    if (contact !== undefined && contact !== '*') sip.contact = nameAddrFields(parseNameAddr(contact), true)
    const cl = h.get('content-length')
    if (cl !== undefined && isDigits(cl)) sip.content_length = Number(cl)
    const ct = h.get('content-type')
    if (ct !== undefined) sip.content_type = ct
    const mf = h.get('max-forwards')
    if (mf !== undefined && isDigits(mf)) sip.max_forwards = Number(mf)
    const ua = h.get('user-agent') ?? h.get('server')
    if (ua !== undefined) sip.user_agent = {original: ua}
    const acc = h.get('accept')
    if (acc !== undefined) sip.accept = acc
    for (const k of ['allow', 'supported'] as const) {
      const v = h.get(k)
      if (v !== undefined) sip[k] = v.split(',').map((x) => x.trim()).filter((x) => x !== '').slice(0, 32)
    }
    const auth = h.get('authorization') ?? h.get('proxy-authorization') ?? h.get('www-authenticate') ?? h.get('proxy-authenticate')
    if (auth !== undefined) {
      const a = parseAuth(auth)
      const af: Record<string, unknown> = {scheme: a.scheme}
      const realm = a.params.get('realm')
      if (realm !== undefined) af.realm = realm
      const uri = a.params.get('uri')
      if (uri !== undefined) af.uri = uriFields(parseUri(uri))
      sip.auth = af
      const un = a.params.get('username')
      if (un !== undefined && un !== '') user.name = un
    }
    const pi = h.get('p-asserted-identity') ?? h.get('p-preferred-identity')
    if (pi !== undefined) sip.private = {uri: uriFields(parseNameAddr(pi).uri)}
    if (m.bodyLen > 0 && ct !== undefined && startsWithIgnoreCase(ct, 'application/sdp')) {
      const sdp = parseSdp(buf.toString('utf8', m.bodyOff, m.bodyOff + Math.min(m.bodyLen, 64 * 1024)))
      const s: Record<string, unknown> = {}
      if (sdp.version !== undefined) s.version = sdp.version
      if (sdp.owner !== undefined) s.owner = sdp.owner
      if (sdp.sessionName !== undefined) s.session = {name: sdp.sessionName}
      if (sdp.connection !== undefined) s.connection = sdp.connection
      if (sdp.start !== undefined) s.start = sdp.start
      if (sdp.stop !== undefined) s.stop = sdp.stop
      if (sdp.media.length > 0) s.media = sdp.media
      sip.sdp = s
    }

    // transaction tracking (RFC 3261 17.1.3): branch + CSeq method; ACK / CANCEL match their INVITE
    if (branch !== '' && cseqMethod !== '') {
      const txMethod = cseqMethod === 'ACK' || cseqMethod === 'CANCEL' ? 'INVITE' : cseqMethod
      const key = `${branch} ${txMethod}`
      if (m.isRequest) {
        if (m.method === cseqMethod && cseqMethod !== 'ACK' && cseqMethod !== 'CANCEL') {
          if (this.pending.get(key) !== undefined) notes.push(note('sip.retransmission'))
          else this.pending.push({key, final: false})
        }
      } else {
        const key2 = `${branch} ${cseqMethod}`
        const p = this.pending.get(key2)
        if (p === undefined) {
          if (!this.seenFinal.has(key2)) {
            this.ctx.stats.unmatchedResponses++
            notes.push(note('sip.unmatched_response'))
          } else notes.push(note('sip.retransmission'))
        } else if ((m.code ?? 0) >= 200) {
          this.pending.remove(p)
          this.remember(key2)
        }
      }
    }
    if (this.carry !== undefined) {
      notes.push(...this.carry)
      this.carry = undefined
    }
    const st = {tsSec: at.tsSec, tsNsec: at.tsNsec, frame: at.frame}
    const fields: Record<string, unknown> = {sip}
    if (user.name !== undefined) fields.user = user
    this.ctx.emit(
      newTransaction({
        type: 'sip',
        conn: this.conn,
        status: !m.isRequest && (m.code ?? 0) >= 500 ? 'Error' : 'OK',
        start: st,
        end: st,
        requestBytes: dir === 0 ? bytes : 0,
        responseBytes: dir === 1 ? bytes : 0,
        fields,
        notes,
        method: m.isRequest ? m.method : cseqMethod !== '' ? cseqMethod : undefined,
        sentByServer: dir === 1,
        event: {action: m.isRequest ? `sip-${m.method!.toLowerCase()}` : 'sip-response'},
      }),
    )
  }

  /** Keys of transactions that got a final response (bounded), to tell retransmitted responses apart. */
  private readonly seenFinal = new Set<string>()
  private remember(k: string): void {
    if (this.seenFinal.size >= 1024) this.seenFinal.delete(this.seenFinal.values().next().value as string)
    this.seenFinal.add(k)
  }

  end(): void {
    for (const _ of this.pending.drain()) this.ctx.stats.unmatchedRequests++
  }
}

function uriFields(u: SipUri): Record<string, unknown> {
  const o: Record<string, unknown> = {original: u.original}
  if (u.scheme !== undefined) o.scheme = u.scheme
  if (u.username !== undefined) o.username = u.username
  if (u.host !== undefined) o.host = u.host
  if (u.port !== undefined) o.port = u.port
  return o
}

function nameAddrFields(n: NameAddr, contact: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  if (n.display !== undefined) o.display_info = n.display
  o.uri = uriFields(n.uri)
  const tag = n.params.get('tag')
  if (!contact && tag !== undefined) o.tag = tag
  if (contact) {
    const tr = n.params.get('transport') ?? uriTransport(n.uri.original)
    if (tr !== undefined) o.transport = tr.toLowerCase()
    const ex = n.params.get('expires')
    if (ex !== undefined) o.expires = ex
    const q = n.params.get('q')
    if (q !== undefined) o.q = q
  }
  return o
}

/** The first non-empty `;transport=` value (name any case) in a URI: the group of `/;transport=([^;>?]+)/i`. */
export function uriTransport(uri: string): string | undefined {
  for (let i = uri.indexOf(';'); i !== -1; i = uri.indexOf(';', i + 1)) {
    if (!startsWithIgnoreCase(uri, ';transport=', i)) continue
    let j = i + 11
    while (j < uri.length && uri[j] !== ';' && uri[j] !== '>' && uri[j] !== '?') j++
    if (j > i + 11) return uri.slice(i + 11, j)
  }
  return undefined
}
