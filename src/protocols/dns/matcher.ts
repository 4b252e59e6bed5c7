/**
 * DNS queries -> transactions, per UDP flow or TCP connection.
 *
 * Pairing: a response answers the pending query with the same (id, first question name
 * (case-insensitive), type, class); when either side has no question section (zone-transfer
 * continuations, inverse queries) the oldest pending query with that id. The QR bit, not the direction, tells queries from responses.
 *
 * Decisions (documented in the fields' descriptions and the README of this folder):
 * - Retransmitted query (same key while one is pending): the earlier copy is emitted at once with
 *   status Error and the note "no response before the query was retransmitted" (Packetbeat does
 *   the same), and the new copy waits for the response. tshark links the response to one copy and
 *   leaves the other unanswered, so both tools report two transactions.
 * - Zone transfers (AXFR/IXFR query): every response message with the query's id is folded into
 *   ONE transaction: answers are concatenated, answers_count/authorities_count/additionals_count
 *   and response bytes are sums, event.end is the last message. The transaction is emitted when
 *   the closing SOA arrives (the second SOA for AXFR), at end(), or when the pending bound is hit.
 * - A response with no query: emitted alone, status Error, note "response without request".
 * - rcode != NOERROR: status Error (as Packetbeat).
 * - A query with no response: emitted at end() or, for UDP, once transaction_timeout (option; else
 *   limits.udpTransactionTimeoutSec) seconds of capture time have passed since it (checked on every datagram of the flow and at end()), with
 *   status Error and the note "no response".
 *
 * Memory: a pending TCP query keeps its decoded message (strings, no views); a pending UDP query
 * only its bytes (a one-byte string), decoded again when it is emitted. Queries wait in the
 * shared PendingQueue keyed by (id, question): at most limits.maxPendingRequests per flow, beyond
 * that the oldest is emitted as unanswered (note `limit.pending_requests`, ctx.stats.limit). Records listed per section are capped at MAX_LISTED_RECORDS (counts stay
 * exact; a note says the list was cut) - Limits has no field for this, so it is a constant here.
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {Status} from '../../event/types.js'
import type {ConnInfo, Moment, ParkedState} from '../../reassembly/types.js'
import {type PublicSuffixCache, sharedPublicSuffixCache} from '../../util/public-suffix.js'
import {PendingQueue} from '../shared/pending-queue.js'
import type {ProtocolContext} from '../types.js'
import {type DnsMessage, type DnsRecord, decodeMessage, fullRcode} from './codec.js'
import {className, opcodeName, rcodeName, typeName} from './names.js'

export const MAX_LISTED_RECORDS = 1000

/**
 * A query waiting for its response. Over TCP it keeps the decoded message; over UDP (where many
 * flows may each hold an unanswered query until eviction) only the message bytes as a one-byte
 * string plus what matching reads (id, question count), decoded again when the transaction is
 * emitted (queryOf).
 */
interface Pending {
  key: string
  query: DnsMessage | undefined
  raw: string | undefined
  id: number
  questions: number
  startSec: number
  startNsec: number
  startFrame: number
  bytes: number
  notes: Note[] | undefined
  /** Zone transfer in progress: the folded response so far. */
  xfr?: Folded
}

interface Folded {
  msg: DnsMessage
  endSec: number
  endNsec: number
  endFrame: number
  bytes: number
  answers: number
  authorities: number
  additionals: number
  soaSeen: number
  cut: boolean
}

/** Key of a queued query for PendingQueue (no closure per matcher). */
const pendingKey = (p: Pending): string => p.key

/** The pending query's message (decoded again from its bytes when only those were kept). */
function queryOf(p: Pending): DnsMessage {
  if (p.query !== undefined) return p.query
  const raw = Buffer.from(p.raw ?? '', 'latin1')
  return (decodeMessage(raw, 0, raw.length) as {message: DnsMessage}).message
}

function keyOf(m: DnsMessage): string {
  const q = m.questions[0]
  return q === undefined ? `${m.id}` : `${m.id}|${q.name.toLowerCase()}|${q.type}|${q.class}`
}

function isTransfer(m: DnsMessage): boolean {
  const t = m.questions[0]?.type
  return t === 252 || t === 251
}

function recordsOut(list: DnsRecord[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (const r of list) out.push({name: r.name, type: typeName(r.type), class: className(r.class), ttl: r.ttl, data: r.data})
  return out
}

/**
 * A message as text, in the layout of Packetbeat's dnsToString: "ID n; QR query|response; OPCODE x;
 * FLAGS rd ra ...; RCODE x; QUESTION class C, type T, name; ANSWER name: ttl n, class C, type T,
 * data; ...; AUTHORITY ...; ADDITIONAL ..." (record data as in dns.answers.data), at most `max`
 * characters.
 */
export function messageText(m: DnsMessage, max: number): string {
  const flags: string[] = []
  if (m.aa) flags.push('aa')
  if (m.tc) flags.push('tc')
  if (m.rd) flags.push('rd')
  if (m.ra) flags.push('ra')
  if (m.ad) flags.push('ad')
  if (m.cd) flags.push('cd')
  const parts = [`ID ${m.id}; QR ${m.qr ? 'response' : 'query'}; OPCODE ${opcodeName(m.opcode)}; FLAGS ${flags.join(' ')}; RCODE ${rcodeName(fullRcode(m))}`]
  if (m.questions.length > 0) parts.push(`QUESTION ${m.questions.map((q) => `class ${className(q.class)}, type ${typeName(q.type)}, ${q.name}`).join('; ')}`)
  const rrs = (l: DnsRecord[]) => l.map((r) => `${r.name}: ttl ${r.ttl}, class ${className(r.class)}, type ${typeName(r.type)}, ${r.data}`).join('; ')
  if (m.answers.length > 0) parts.push(`ANSWER ${rrs(m.answers)}`)
  if (m.authorities.length > 0) parts.push(`AUTHORITY ${rrs(m.authorities)}`)
  if (m.additionals.length > 0) parts.push(`ADDITIONAL ${rrs(m.additionals)}`)
  const t = parts.join('; ')
  return t.length > max ? t.slice(0, max) : t
}

/**
 * The question's domain fields as Packetbeat sets them: registered_domain and etld_plus_one (the
 * same value, no trailing dot: the eTLD+1), top_level_domain (the public suffix, `co.uk`) and
 * subdomain (what precedes the registered domain). A name that is itself a public suffix with one
 * dot (`co.uk`, `github.io`) is its own registered domain and its last label the top-level domain,
 * as Packetbeat does; other names with no registered domain (`localhost`, IP literals, the root)
 * get none of these fields.
 */
export function questionDomainFields(q: Record<string, unknown>, name: string, psl: PublicSuffixCache): void {
  const p = psl.lookup(name)
  if (p.registeredDomain !== null) {
    q.registered_domain = p.registeredDomain
    q.etld_plus_one = p.registeredDomain
    if (p.topLevelDomain !== null) q.top_level_domain = p.topLevelDomain
    if (p.subdomain !== null) q.subdomain = p.subdomain
    return
  }
  const dot = name.indexOf('.')
  if (dot > 0 && dot < name.length - 1 && name.indexOf('.', dot + 1) < 0 && p.topLevelDomain !== null) {
    q.registered_domain = name
    q.etld_plus_one = name
    q.top_level_domain = name.slice(dot + 1)
  }
}

const NO_RESPONSE = note('dns.no_response')

/** A decoding error of ./codec.ts as a note: compression-pointer faults have their own code. */
function codecNote(text: string): Note {
  return note(text.includes('compression pointer') ? 'dns.bad_compression' : 'dns.malformed', text)
}

export class DnsMatcher {
  private readonly pending: PendingQueue<Pending, string>
  private readonly isUdp: boolean
  /** Notes waiting for the next emitted transaction (gaps in a TCP stream). */
  private carryNotes: Note[] | undefined
  /**
   * include_authorities / include_additionals: list those records (the counts are always there).
   * pbx lists them unless the option is false (Packetbeat's default is false; pbx's output does not
   * change with an unset option).
   */
  private readonly listAuthorities: boolean
  private readonly listAdditionals: boolean
  /** send_request / send_response: the messages as text in `request` / `response` (messageText). */
  private readonly sendRequest: boolean
  private readonly sendResponse: boolean
  private readonly psl: PublicSuffixCache

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
  ) {
    this.isUdp = conn.transport === 'udp'
    this.listAuthorities = ctx.options.include_authorities !== false
    this.listAdditionals = ctx.options.include_additionals !== false
    this.sendRequest = ctx.options.send_request === true
    this.sendResponse = ctx.options.send_response === true
    this.psl = sharedPublicSuffixCache(ctx.limits.publicSuffixCacheEntries)
    this.pending = new PendingQueue<Pending, string>(ctx.limits, ctx.stats, (old, n) => this.flushPending(old, n), pendingKey)
  }

  /** Nothing pending and no note carried: end() would emit nothing (UdpHandler.idle). */
  idle(): boolean {
    return this.pending.length === 0 && this.carryNotes === undefined
  }

  /**
   * UdpHandler.park: when all the matcher holds is one UDP query with no notes, writes it to `st`
   * (text: the query bytes as kept, n0/n1/n2: its start seconds, nanoseconds and frame) and
   * answers true; the matcher is then dropped. Else false, nothing written.
   */
  park(st: ParkedState): boolean {
    if (this.carryNotes !== undefined || this.pending.length !== 1) return false
    const p = this.pending.peek() as Pending
    if (p.raw === undefined || p.notes !== undefined || p.xfr !== undefined) return false
    st.text = p.raw
    st.n0 = p.startSec
    st.n1 = p.startNsec
    st.n2 = p.startFrame
    return true
  }

  /**
   * UdpHandler.unpark: the query park() wrote, pending again as it was (its message decoded once
   * here: matching needs its key, and the transaction it ends in reads it).
   */
  unpark(st: Readonly<ParkedState>): void {
    const raw = Buffer.from(st.text, 'latin1')
    const m = (decodeMessage(raw, 0, raw.length) as {message: DnsMessage}).message
    this.pending.push({
      key: keyOf(m),
      query: m,
      raw: st.text,
      id: m.id,
      questions: m.questions.length,
      startSec: st.n0,
      startNsec: st.n1,
      startFrame: st.n2,
      bytes: raw.length,
      notes: undefined,
    })
  }

  /** Adds a note to the next transaction emitted (e.g. a message lost in a TCP gap). */
  note(n: Note): void {
    ;(this.carryNotes ??= []).push(n)
  }

  /**
   * One whole DNS message in buf[offset, end). `wireBytes` is what it cost on the wire (the
   * message length; TCP callers pass the same, the 2-byte prefix is not counted, like Packetbeat).
   * `buf` is only read during the call.
   */
  message(buf: Buffer, offset: number, end: number, at: Moment): void {
    if (this.isUdp) this.expire(at)
    const d = decodeMessage(buf, offset, end)
    if (d === null) {
      this.ctx.stats.bad('dns: message shorter than the 12-byte header')
      this.note(note('dns.short_message'))
      return
    }
    const m = d.message
    const size = end - offset
    for (const e of m.errors) this.ctx.stats.bad(`dns: ${withoutSection(e)}`)
    if (!m.qr) this.onQuery(m, size, at, this.isUdp ? buf.toString('latin1', offset, end) : undefined)
    else this.onResponse(m, size, at)
  }

  /** `raw`: the message bytes as a latin1 string, kept instead of `m` when given. */
  private onQuery(m: DnsMessage, size: number, at: Moment, raw: string | undefined): void {
    const key = keyOf(m)
    const old = this.pending.get(key)
    if (old !== undefined) {
      this.pending.remove(old)
      this.flushPending(old, note('dns.retransmitted'))
    }
    const notes = m.errors.length > 0 ? m.errors.map((e) => codecNote(`malformed query: ${e}`)) : undefined
    this.pending.push({
      key,
      query: raw === undefined ? m : undefined,
      raw,
      id: m.id,
      questions: m.questions.length,
      startSec: at.tsSec,
      startNsec: at.tsNsec,
      startFrame: at.frame,
      bytes: size,
      notes,
    })
  }

  private findFor(m: DnsMessage): Pending | undefined {
    if (m.questions.length > 0) {
      const p = this.pending.get(keyOf(m))
      if (p !== undefined) return p
    }
    // no question on one side (zone-transfer continuations, inverse queries, mDNS): first with the id
    for (const p of this.pending) {
      if (p.id === m.id && (m.questions.length === 0 || p.questions === 0 || p.xfr)) return p
    }
    return undefined
  }

  private onResponse(m: DnsMessage, size: number, at: Moment): void {
    const p = this.findFor(m)
    const errNotes = m.errors.map((e) => codecNote(`malformed response: ${e}`))
    if (p === undefined) {
      this.ctx.stats.unmatchedResponses++
      errNotes.unshift(note('dns.unmatched_response'))
      this.emit(undefined, m, at.tsSec, at.tsNsec, at.frame, at.tsSec, at.tsNsec, at.frame, 0, size, errNotes)
      return
    }
    if (errNotes.length > 0) (p.notes ??= []).push(...errNotes)
    if (!this.isUdp && isTransfer(queryOf(p))) {
      this.fold(p, m, size, at)
      return
    }
    this.pending.remove(p)
    this.emit(queryOf(p), m, p.startSec, p.startNsec, p.startFrame, at.tsSec, at.tsNsec, at.frame, p.bytes, size, p.notes)
  }

  /** Zone transfer: adds one response message to the transfer's transaction. */
  private fold(p: Pending, m: DnsMessage, size: number, at: Moment): void {
    let f = p.xfr
    if (f === undefined) {
      f = p.xfr = {msg: m, endSec: 0, endNsec: 0, endFrame: 0, bytes: 0, answers: 0, authorities: 0, additionals: 0, soaSeen: 0, cut: false}
    } else {
      const room = MAX_LISTED_RECORDS - f.msg.answers.length
      if (m.answers.length > room) f.cut = true
      for (let i = 0; i < m.answers.length && i < room; i++) f.msg.answers.push(m.answers[i])
      if (m.rcode !== 0 && f.msg.rcode === 0) f.msg.rcode = m.rcode
    }
    f.endSec = at.tsSec
    f.endNsec = at.tsNsec
    f.endFrame = at.frame
    f.bytes += size
    f.answers += m.ancount
    f.authorities += m.nscount
    f.additionals += m.arcount
    for (const r of m.answers) if (r.type === 6) f.soaSeen++
    if (f.msg.answers.length > MAX_LISTED_RECORDS) {
      f.msg.answers.length = MAX_LISTED_RECORDS
      f.cut = true
    }
    // AXFR ends with the second SOA (RFC 5936 2.2); IXFR likewise ends with the zone's SOA again.
    const done = m.rcode !== 0 || f.soaSeen >= 2 || (queryOf(p).questions[0]?.type === 251 && f.soaSeen === 1 && m.answers.length === 1)
    if (done) {
      this.pending.remove(p)
      this.emitFolded(p)
    }
  }

  private emitFolded(p: Pending): void {
    const f = p.xfr as Folded
    const notes = p.notes ?? []
    if (f.cut) notes.push(note('dns.records_cut', `zone transfer answers listed: first ${MAX_LISTED_RECORDS}`))
    f.msg.ancount = f.answers
    f.msg.nscount = f.authorities
    f.msg.arcount = f.additionals
    this.emit(queryOf(p), f.msg, p.startSec, p.startNsec, p.startFrame, f.endSec, f.endNsec, f.endFrame, p.bytes, f.bytes, notes)
  }

  private flushPending(p: Pending, reason: Note): void {
    if (p.xfr !== undefined) {
      ;(p.notes ??= []).push(note('dns.transfer_incomplete'))
      this.emitFolded(p)
      return
    }
    this.ctx.stats.unmatchedRequests++
    const notes = p.notes ?? []
    notes.unshift(reason)
    this.emit(queryOf(p), undefined, p.startSec, p.startNsec, p.startFrame, p.startSec, p.startNsec, p.startFrame, p.bytes, 0, notes)
  }

  /**
   * UDP: emits queries older than the transaction_timeout option (seconds of capture time), else
   * limits.udpTransactionTimeoutSec, as unanswered.
   */
  expire(at: Moment): void {
    if (this.pending.length === 0) return
    const tt = this.ctx.options.transaction_timeout
    const limit = typeof tt === 'number' && tt > 0 ? tt : this.ctx.limits.udpTransactionTimeoutSec
    for (let p = this.pending.peek(); p !== undefined; p = this.pending.peek()) {
      const age = at.tsSec - p.startSec + (at.tsNsec - p.startNsec) / 1e9
      if (age <= limit) break // insertion order is capture order
      this.pending.shift()
      this.flushPending(p, NO_RESPONSE)
    }
  }

  /** End of the flow/connection: everything pending is emitted. */
  end(): void {
    for (const p of this.pending.drain()) this.flushPending(p, NO_RESPONSE)
    if (this.carryNotes) {
      // notes with no transaction left to carry them are still counted in the stats by the caller
      this.carryNotes = undefined
    }
  }

  /** The transaction's fields: {dns}, plus `request` / `response` text when asked for. */
  private raw(dns: Record<string, unknown>, q: DnsMessage | undefined, r: DnsMessage | undefined): Record<string, unknown> {
    const f: Record<string, unknown> = {dns}
    const max = this.ctx.limits.maxCapturedMessageBytes
    if (this.sendRequest && q !== undefined) f.request = messageText(q, max)
    if (this.sendResponse && r !== undefined) f.response = messageText(r, max)
    return f
  }

  private emit(
    q: DnsMessage | undefined,
    r: DnsMessage | undefined,
    startSec: number,
    startNsec: number,
    startFrame: number,
    endSec: number,
    endNsec: number,
    endFrame: number,
    reqBytes: number,
    respBytes: number,
    notes: Note[] | undefined,
  ): void {
    const m = (r ?? q) as DnsMessage
    const question = (q ?? m).questions[0] ?? m.questions[0]
    const dns: Record<string, unknown> = {}
    dns.type = r ? 'answer' : 'query'
    dns.id = m.id
    dns.op_code = opcodeName(m.opcode)
    dns.flags = {
      authoritative: m.aa,
      recursion_available: m.ra,
      recursion_desired: m.rd,
      truncated_response: m.tc,
      authentic_data: m.ad,
      checking_disabled: m.cd,
    }
    const hf: string[] = []
    if (m.aa) hf.push('AA')
    if (m.tc) hf.push('TC')
    if (m.rd) hf.push('RD')
    if (m.ra) hf.push('RA')
    if (m.ad) hf.push('AD')
    if (m.cd) hf.push('CD')
    dns.header_flags = hf
    let status: Status = 'OK'
    if (r) {
      const rc = fullRcode(r)
      dns.response_code = rcodeName(rc)
      if (rc !== 0) status = 'Error'
    } else status = 'Error'
    if (q === undefined) status = 'Error'
    let method: string | undefined
    let query: string | undefined
    let resource: string | undefined
    if (question) {
      const type = typeName(question.type)
      const cls = className(question.class)
      const dq: Record<string, unknown> = {name: question.name, type, class: cls}
      questionDomainFields(dq, question.name, this.psl)
      dns.question = dq
      method = opcodeName(m.opcode)
      query = `class ${cls}, type ${type}, ${question.name}`
      resource = question.name
    }
    dns.answers_count = m.ancount
    if (m.answers.length > 0) dns.answers = recordsOut(m.answers.length > MAX_LISTED_RECORDS ? m.answers.slice(0, MAX_LISTED_RECORDS) : m.answers)
    dns.authorities_count = m.nscount
    if (this.listAuthorities && m.authorities.length > 0) dns.authorities = recordsOut(m.authorities.slice(0, MAX_LISTED_RECORDS))
    dns.additionals_count = m.arcount
    if (this.listAdditionals && m.additionals.length > 0) dns.additionals = recordsOut(m.additionals.slice(0, MAX_LISTED_RECORDS))
    if (r) {
      const ips: string[] = []
      // malformed A/AAAA data is in RFC 3597 form (backslash-hash): not an address
      for (const a of r.answers) if ((a.type === 1 || a.type === 28) && !a.data.startsWith('\\#')) ips.push(a.data)
      if (ips.length > 0) dns.resolved_ip = ips
    }
    const opt = m.opt ?? q?.opt
    if (opt) {
      const o: Record<string, unknown> = {
        version: String(opt.version),
        do: opt.do,
        ext_rcode: rcodeName(opt.extRcode << 4),
        udp_size: opt.udpSize,
      }
      Object.assign(o, opt.options)
      dns.opt = o
    }
    if (this.carryNotes) {
      notes = notes ? [...this.carryNotes, ...notes] : this.carryNotes
      this.carryNotes = undefined
    }
    this.ctx.emit(
      newTransaction({
        type: 'dns',
        conn: this.conn,
        status,
        start: {tsSec: startSec, tsNsec: startNsec, frame: startFrame},
        end: {tsSec: endSec, tsNsec: endNsec, frame: endFrame},
        requestBytes: reqBytes,
        responseBytes: respBytes,
        fields: this.raw(dns, q, r),
        method,
        query,
        resource,
        notes,
      }),
    )
  }
}

/** An error text without its leading "<section>: " (lower-case letters, colon, space), when it has one. */
export function withoutSection(e: string): string {
  let i = 0
  while (i < e.length && e.charCodeAt(i) >= 0x61 && e.charCodeAt(i) <= 0x7a) i++
  return i > 0 && e.startsWith(': ', i) ? e.slice(i + 2) : e
}
