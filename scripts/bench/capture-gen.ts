/**
 * Synthetic capture generation for the benchmark: many TCP conversations (and UDP flows) run at
 * once and their exchanges are interleaved into one classic pcap file, written through the
 * streaming PcapWriter (1 MiB buffer, synchronous writes), so memory does not grow with the size of
 * the capture. Frames carry a global capture clock (5-20 us apart), not the per-conversation clock.
 *
 * Anomalies, so that reassembly does real work: within one multi-segment send, two adjacent data
 * segments are swapped with probability `reorder`; any data segment is sent a second time (same
 * sequence number and bytes, after the rest of its send) with probability `retransmit`.
 */
import {closeSync, openSync, renameSync} from 'node:fs'
import {fileSink, PcapWriter} from '../../test/support/synth/pcap-writer.js'
import {type Side, TcpConversation, udpFrame} from '../../test/support/synth/packets.js'
import type {Rng} from './rng.js'

/** Application bytes of one message, from one side. */
export interface Msg {
  side: Side
  data: Buffer
}

/** A TCP application protocol as the generator sees it: a server port, an opening, exchanges. */
export interface TcpDialogue {
  port: number
  /** Messages right after the TCP handshake (greetings, logins, TLS handshake), in order. */
  opening(): Msg[]
  /** One request and its response (the response may be empty: no reply). */
  exchange(): {request: Buffer; response: Buffer}
  /** How many exchanges this connection carries. */
  exchanges: number
}

export interface Perturbation {
  reorder: number
  retransmit: number
}

export interface GenCounters {
  packets: number
  bytes: number
  sessions: number
  exchanges: number
  reordered: number
  retransmitted: number
}

/** A conversation that produces its frames one step (one message) at a time. */
export interface Session {
  /** Appends the next step's frames to `out`; returns false once the session has closed. */
  step(out: Buffer[]): boolean
  /** Brings the session to an orderly end (pending response, then close). */
  finish(out: Buffer[]): void
}

/** Client address and port for the n-th session: unique 4-tuples over 10.1.0.0/16. */
export function clientOf(n: number): {ip: string; port: number} {
  const host = n % 65000
  return {ip: `10.1.${(host >> 8) & 255}.${(host & 255) || 1}`, port: 20000 + (Math.floor(n / 65000) % 40000)}
}

export class TcpSession implements Session {
  private readonly conv: TcpConversation
  private phase: 'syn' | 'open' | 'request' | 'response' | 'closed' = 'syn'
  private readonly opening: Msg[]
  private openingAt = 0
  private left: number
  private pending: Buffer | null = null

  constructor(
    private readonly d: TcpDialogue,
    n: number,
    server: string,
    private readonly rng: Rng,
    private readonly pert: Perturbation,
    private readonly c: GenCounters,
  ) {
    const cl = clientOf(n)
    this.conv = new TcpConversation({
      client: cl.ip,
      server,
      clientPort: cl.port,
      serverPort: d.port,
      clientIsn: rng.int(0, 0xffffffff),
      serverIsn: rng.int(0, 0xffffffff),
    })
    this.opening = d.opening()
    this.left = d.exchanges
  }

  step(out: Buffer[]): boolean {
    switch (this.phase) {
      case 'syn':
        this.conv.handshake()
        this.take(out)
        this.phase = this.opening.length > 0 ? 'open' : 'request'
        return true
      case 'open': {
        const m = this.opening[this.openingAt++]
        this.send(m.side, m.data, out)
        if (this.openingAt >= this.opening.length) this.phase = 'request'
        return true
      }
      case 'request': {
        if (this.left <= 0) {
          this.close(out)
          return false
        }
        const x = this.d.exchange()
        this.send('client', x.request, out)
        this.pending = x.response
        this.phase = 'response'
        return true
      }
      case 'response':
        if (this.pending !== null && this.pending.length > 0) this.send('server', this.pending, out)
        this.pending = null
        this.c.exchanges++
        this.left--
        this.phase = 'request'
        return true
      case 'closed':
        return false
    }
  }

  finish(out: Buffer[]): void {
    if (this.phase === 'closed') return
    if (this.phase === 'response') this.step(out)
    if (this.phase !== 'syn') this.close(out)
  }

  private close(out: Buffer[]): void {
    this.conv.close(this.rng.chance(0.7) ? 'client' : 'server')
    this.take(out)
    this.phase = 'closed'
    this.c.sessions++
  }

  /** Data from `side` (split at the MSS), perturbed, then a pure ACK from the receiver. */
  private send(side: Side, data: Buffer, out: Buffer[]): void {
    this.conv.send(side, data)
    const segs = this.conv.drain().map((f) => f.data)
    if (segs.length >= 2 && this.rng.chance(this.pert.reorder)) {
      const i = this.rng.int(0, segs.length - 2)
      const t = segs[i]
      segs[i] = segs[i + 1]
      segs[i + 1] = t
      this.c.reordered++
    }
    const n = segs.length
    for (let i = 0; i < n; i++) {
      if (this.rng.chance(this.pert.retransmit)) {
        segs.push(segs[i])
        this.c.retransmitted++
      }
    }
    for (const s of segs) out.push(s)
    this.conv.ack(side === 'client' ? 'server' : 'client')
    this.take(out)
  }

  private take(out: Buffer[]): void {
    for (const f of this.conv.drain()) out.push(f.data)
  }
}

/** A UDP request/response flow (DNS): `exchanges` query/answer pairs from one client port. */
export class UdpSession implements Session {
  private left: number
  private pending: Buffer | null = null
  private readonly client: {ip: string; port: number}

  constructor(
    private readonly d: TcpDialogue,
    n: number,
    private readonly server: string,
    private readonly c: GenCounters,
  ) {
    this.client = clientOf(n)
    this.left = d.exchanges
  }

  step(out: Buffer[]): boolean {
    const cl = this.client
    if (this.pending !== null) {
      out.push(udpFrame({src: this.server, dst: cl.ip, srcPort: this.d.port, dstPort: cl.port, payload: this.pending}))
      this.pending = null
      this.c.exchanges++
      if (--this.left <= 0) {
        this.c.sessions++
        return false
      }
      return true
    }
    const x = this.d.exchange()
    out.push(udpFrame({src: cl.ip, dst: this.server, srcPort: cl.port, dstPort: this.d.port, payload: x.request}))
    this.pending = x.response
    return true
  }

  finish(out: Buffer[]): void {
    if (this.pending !== null) this.step(out)
  }
}

export interface GenerateOptions {
  path: string
  packets: number
  /** Sessions open at once (interleaved). */
  concurrency: number
  rng: Rng
  /** Creates the n-th session (n counts from 0). */
  newSession: (n: number) => Session
}

/**
 * Writes about `packets` frames (the sessions still open when the budget is reached are finished
 * properly, which adds a few frames) to `path` (via a temporary name, renamed when complete).
 */
export function generateCapture(o: GenerateOptions, c: GenCounters): void {
  const tmp = `${o.path}.tmp`
  const fd = openSync(tmp, 'w')
  const w = new PcapWriter({onFlush: fileSink(fd), snaplen: 262144})
  let sec = 1_700_000_000
  let nsec = 0
  const rng = o.rng
  const buf: Buffer[] = []
  const flush = () => {
    for (const f of buf) {
      w.add(sec, nsec, f)
      c.packets++
      c.bytes += f.length
      nsec += rng.int(5_000, 20_000)
      if (nsec >= 1e9) {
        sec++
        nsec -= 1e9
      }
    }
    buf.length = 0
  }
  const active: Session[] = []
  let made = 0
  for (;;) {
    while (active.length < o.concurrency) active.push(o.newSession(made++))
    const i = rng.int(0, active.length - 1)
    const more = active[i].step(buf)
    flush()
    if (!more) {
      active[i] = active[active.length - 1]
      active.pop()
    }
    // Leave room for closing what is open (response + ACK + FIN/FIN/ACK, roughly).
    if (c.packets + active.length * 6 >= o.packets) break
  }
  for (const s of active) {
    s.finish(buf)
    flush()
  }
  w.finish()
  closeSync(fd)
  renameSync(tmp, o.path)
}
