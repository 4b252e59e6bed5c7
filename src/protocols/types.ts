/**
 * The protocol plugin contract. A protocol is a folder src/protocols/<name>/ with one fixed shape:
 *   index.ts    registration: exports `const protocol: Protocol` (name, fields, ports, detect,
 *               create), registered by one line in ../registry.ts. No per-connection state.
 *   session.ts  the per-connection (TCP), per-flow (UDP) or per-run (IP) state: the ONE place that
 *               receives the reassembly callbacks (StreamHandler data/gap/end, UdpHandler
 *               datagram/end, IpHandler packet/end, ../reassembly/types.ts). It owns the parsers
 *               and hands their messages to the matcher.
 *   parser.ts   bytes -> messages (push-style, split-anywhere safe, bounded by ../limits).
 *   matcher.ts  messages -> transactions: request/response pairing, with unanswered requests in
 *               the shared PendingQueue (./shared/pending-queue.ts, limits.maxPendingRequests)
 *               and every Transaction made by the shared builder (../event/transaction.ts).
 *   fields.ts   the protocol's schema: FieldSpec[] (single source for CSV columns, store mappings
 *               and `pbx fields`).
 * Helper files for one concern (codec.ts, names.ts, inflate.ts, certificate.ts, bson-walk.ts, ...)
 * may sit beside them. Every note is made with note(code) from ../event/anomalies.ts, whose table
 * holds every code. Tests live in test/protocols/<name>/, golden samples in samples/<name>/.
 *
 * A protocol imports only shared modules: this file, ./shared, ../event, ../util, ../limits,
 * ../stats, ../reassembly/types, ../decode/types - never the pipeline or another protocol.
 */
import type {FieldSpec, Transaction} from '../event/types.js'
import type {Limits} from '../limits.js'
import type {ConnInfo, Dir, IpHandler, StreamHandler, UdpHandler} from '../reassembly/types.js'
import type {Stats} from '../stats.js'

/** What the pipeline gives every protocol instance. */
export interface ProtocolContext {
  readonly limits: Limits
  readonly stats: Stats
  /** Protocol options from config (`protocols.<name>.*`), e.g. {send_headers: true}. */
  readonly options: Readonly<Record<string, unknown>>
  /** Hand a finished transaction to the event stage. Synchronous; `t` may be kept by the callee. */
  emit(t: Transaction): void
  /**
   * Opens the handler of a protocol carried inside this one (decrypted TLS application data, the
   * bytes after a STARTTLS): the protocol named by `prefer` when it is selected, else the one the
   * dispatch stage would pick by content (every selected protocol's tcp.detect except `self`, on
   * the first inner bytes). Its transactions go to `emit` (the caller's, so it can add its own
   * fields) instead of the event stage. null: nothing selected could be tried. Absent where there
   * is no dispatch stage (unit tests): the caller then parses nothing inside.
   */
  openInner?(conn: ConnInfo, o: InnerOptions): StreamHandler | null
}

export interface InnerOptions {
  /** The calling protocol's name (never chosen for the inner bytes). */
  self: string
  /** A protocol known from the outer one (TLS ALPN "http/1.1" -> "http"); tried first. */
  prefer?: string
  emit(t: Transaction): void
}

export interface Protocol {
  /** Lower-case name, used as `type`, `network.protocol` and in `--protocols`. */
  name: string
  fields: FieldSpec[]
  /**
   * Checks this protocol's options (`protocols.<name>.*`) before any input is read, reading any
   * files they name: errors (each naming its key) end the run with a usage error, warnings are
   * printed. Called once per run for a protocol that has options; must not throw.
   */
  checkOptions?(options: Readonly<Record<string, unknown>>): {errors: string[]; warnings: string[]}
  tcp?: {
    /** Server ports that select this protocol without looking at the bytes. */
    ports: number[]
    /**
     * Content detection for connections on other ports: called with the first payload bytes seen
     * (in either direction) until it answers true or the connection is given to another protocol.
     * Must be cheap and must not throw.
     */
    detect?(data: Buffer, dir: Dir): boolean
    /**
     * Ports only this protocol's servers listen on (NFS: 2049). A connection picked up without its
     * handshake with such a port on one side only has its server there, even when the other side's
     * port is a service port too (NFS clients bind ports below 1024).
     */
    serverPorts?: number[]
    create(conn: ConnInfo, ctx: ProtocolContext): StreamHandler
  }
  udp?: {
    ports: number[]
    /**
     * Ports only this protocol's clients send from (DHCP: 68). A new flow with such a port on one
     * side has its client there, whatever the first datagram's direction (RFC 2131 section 4.1).
     */
    clientPorts?: number[]
    /** As tcp.serverPorts, for a new flow, whatever the first datagram's direction. */
    serverPorts?: number[]
    detect?(data: Buffer, dir: Dir): boolean
    create(conn: ConnInfo, ctx: ProtocolContext): UdpHandler
  }
  ip?: {
    /** IP protocol numbers (IpProto.ICMP, ...). */
    protos: number[]
    create(ctx: ProtocolContext): IpHandler
  }
}
