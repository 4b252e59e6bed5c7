/**
 * Flow records (`--flows`): one `type: "flow"` event per TCP connection, per UDP 5-tuple flow and per
 * ICMP/ICMPv6 flow (address pair and echo identifier: ../reassembly/icmp-flows.ts),
 * shaped like Packetbeat's flow events (packetbeat/flows: flow.id, flow.final, per-side packets and
 * bytes, event.type ["connection","end"] on the last record, event.action "network_flow") with
 * Zeek conn.log extras under pbx.flow (history, end reason, TCP flags, payload bytes).
 *
 * Wiring: `analyze({..., observer: createFlowObserver({periodSec})})`. The pipeline calls the
 * returned factory once per input file with its emit(); the TCP reassembler and the UDP flow
 * table then call the ConnObserver hooks (contract in ../reassembly/conn.ts):
 *   opened(c) once, packet(c, dir, p) per packet AFTER c's counters were updated, closed(c, reason,
 *   at) once when the record leaves its table (TCP: after a 5 s capture-time linger following
 *   FIN/RST, so trailing ACKs are counted; or idle timeout, eviction, end of input);
 * and end() is called once after the dispatcher's end (every conn is closed by then; anything left
 * is flushed here with reason 'eof').
 *
 * Records:
 *   - final (flow.final true): emitted from closed(), in the order the tables close conns (capture
 *     order; at end of input, creation order: TCP first, then UDP). Counters are the conn's own.
 *   - interim (flow.final false, only with periodSec > 0): Packetbeat-style cumulative reports of
 *     every open flow, in creation order, each time capture time crosses a period boundary. The
 *     clock is the timestamp of the packets handed to packet(); the report is made when the first
 *     packet at or past a boundary arrives and describes each flow as of the last packet BEFORE it
 *     (a per-flow snapshot taken at the end of every packet() call; the crossing packet itself
 *     is not counted). Boundaries lie on a grid of period multiples: epoch-aligned when the period
 *     is whole seconds (periodSec 10 -> ...:00, :10, :20), else anchored at the first packet's
 *     second. When a packet jumps over several boundaries (nothing captured in between), one
 *     report is made, not one per skipped boundary. Flows that had no packet before the boundary
 *     (opened by the crossing packet) are not reported. A flow whose idle timeout falls between a
 *     boundary and the crossing packet is closed by the table's sweep before that packet reaches
 *     us, so it gets its final record but no interim one for that boundary.
 *
 * Memory: one FlowState per conn currently in the tables (12 numbers and a lazily built id);
 * nothing is kept per packet and nothing is allocated per packet. Strings and event objects are
 * built per emitted record only.
 */
import {createHash} from 'node:crypto'
import type {DecodedPacket} from '../decode/types.js'
import type {Transaction} from '../event/types.js'
import type {Conn, ConnObserver} from '../reassembly/conn.js'
import type {Dir, EndReason, Moment} from '../reassembly/types.js'
import {networkDirection} from '../util/ip.js'

export {fields} from './fields.js'

export interface FlowOptions {
  /**
   * Seconds of capture time between interim records (Packetbeat's `flows.period`); 0 or absent:
   * final records only. Must be a finite number >= 0.
   */
  periodSec?: number
}

/** What the factory returns: the ConnObserver plus end() (AnalyzeOptions.observer's shape). */
export interface FlowObserver extends ConnObserver {
  /** End of input of this file: flushes any flow still open (reason 'eof'). Call once. */
  end(): void
  /** Flows currently tracked (for tests and memory checks). */
  readonly open: number
}

/** TCP flag letters in header bit order: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG, ECE, CWR. */
const FLAG_LETTERS = 'FSRPAUEC'
const NS_PER_SEC = 1_000_000_000

/**
 * Builds the observer factory for AnalyzeOptions.observer. Throws RangeError on an invalid period
 * (a configuration error, raised before any input is read).
 */
export function createFlowObserver(opts: FlowOptions = {}): (emit: (t: Transaction) => void) => FlowObserver {
  const periodSec = opts.periodSec ?? 0
  if (!Number.isFinite(periodSec) || periodSec < 0) throw new RangeError(`flow period must be a non-negative number of seconds, got ${periodSec}`)
  const periodNs = Math.round(periodSec * NS_PER_SEC)
  if (periodSec > 0 && periodNs < 1) throw new RangeError(`flow period ${periodSec} s is shorter than 1 ns`)
  return (emit) => new Flows(emit, periodNs)
}

/**
 * Per-flow state. The snapshot fields hold the conn's counters as of the end of the last packet()
 * call (interim records) or of closed() (final records).
 */
class FlowState {
  id: string | null = null
  pk0 = 0
  pk1 = 0
  ib0 = 0
  ib1 = 0
  pb0 = 0
  pb1 = 0
  fl0 = 0
  fl1 = 0
  lastSec = 0
  lastNsec = 0
  lastFrame = 0
  histLen = 0

  constructor(readonly conn: Conn) {}

  /** Copies the conn's counters (numbers only, no allocation). */
  snap(): void {
    const c = this.conn
    this.pk0 = c.pk0
    this.pk1 = c.pk1
    this.ib0 = c.ib0
    this.ib1 = c.ib1
    this.pb0 = c.pb0
    this.pb1 = c.pb1
    this.fl0 = c.fl0
    this.fl1 = c.fl1
    this.lastSec = c.lastSec
    this.lastNsec = c.lastNsec
    this.lastFrame = c.lastFrame
    this.histLen = c.history.length
  }
}

class Flows implements FlowObserver {
  /** Open flows in creation order (Map keeps insertion order: interim reports follow it). */
  private readonly states = new Map<Conn, FlowState>()
  /** Period grid origin (seconds) and next boundary (ns after the origin); set by the first packet. */
  private baseSec = Number.NaN
  private nextNs = 0

  constructor(
    private readonly emit: (t: Transaction) => void,
    private readonly periodNs: number,
  ) {}

  get open(): number {
    return this.states.size
  }

  opened(c: Conn): void {
    this.states.set(c, new FlowState(c))
  }

  packet(c: Conn, _dir: Dir, p: DecodedPacket): void {
    if (this.periodNs === 0) return
    this.clock(p.tsSec, p.tsNsec)
    let st = this.states.get(c)
    if (st === undefined) {
      // Not announced by opened() (contract says it always is): track it from here on.
      st = new FlowState(c)
      this.states.set(c, st)
    }
    st.snap()
  }

  closed(c: Conn, reason: EndReason, _at: Moment): void {
    let st = this.states.get(c)
    if (st === undefined) st = new FlowState(c)
    else this.states.delete(c)
    st.snap()
    this.emit(this.record(st, true, endReason(c, reason)))
  }

  end(): void {
    for (const st of this.states.values()) {
      st.snap()
      this.emit(this.record(st, true, 'eof'))
    }
    this.states.clear()
  }

  /** Advances the period clock to a packet's time; reports every open flow at a boundary crossing. */
  private clock(sec: number, nsec: number): void {
    const period = this.periodNs
    if (Number.isNaN(this.baseSec)) {
      const wholeSec = period % NS_PER_SEC === 0 ? period / NS_PER_SEC : 0
      this.baseSec = wholeSec > 0 ? sec - (((sec % wholeSec) + wholeSec) % wholeSec) : sec
    }
    // Exact integer arithmetic for spans under ~104 days (2^53 ns) after the grid origin.
    const off = (sec - this.baseSec) * NS_PER_SEC + nsec
    if (off < this.nextNs) return
    if (this.nextNs > 0) this.report()
    this.nextNs = (Math.floor(off / period) + 1) * period
  }

  /** Interim records of every flow that had packets before the boundary, in creation order. */
  private report(): void {
    for (const st of this.states.values()) {
      if (st.pk0 + st.pk1 === 0) continue
      this.emit(this.record(st, false, null))
    }
  }

  /** Builds the Transaction of one record from the state's snapshot (called per record only). */
  private record(st: FlowState, final: boolean, reason: EndReason | null): Transaction {
    const c = st.conn
    if (st.id === null) st.id = flowId(c)
    const flow: Record<string, unknown> = {
      payload_bytes: {source: st.pb0, destination: st.pb1},
    }
    if (reason !== null) flow.end_reason = reason
    const history = st.histLen === c.history.length ? c.history : c.history.slice(0, st.histLen)
    if (history !== '') flow.history = history
    if (c.transport === 'tcp') flow.tcp_flags = {source: flagLetters(st.fl0), destination: flagLetters(st.fl1)}
    const network = {
      transport: c.transport,
      type: c.ipVersion === 4 ? 'ipv4' : 'ipv6',
      community_id: c.communityId,
      direction: networkDirection(c.clientIp, c.serverIp),
      packets: st.pk0 + st.pk1,
      bytes: st.ib0 + st.ib1,
    }
    const source: Record<string, unknown> = {packets: st.pk0}
    const destination: Record<string, unknown> = {packets: st.pk1}
    if (c.clientMacHi >= 0) source.mac = macText(c.clientMacHi, c.clientMacLo)
    if (c.serverMacHi >= 0) destination.mac = macText(c.serverMacHi, c.serverMacLo)
    const flowFields: Record<string, unknown> = {id: st.id, final}
    // Always a list (one typed column in ClickHouse/DuckDB); Packetbeat writes a bare id for one tag.
    if (c.vlan >= 0) flowFields.vlan = c.vlanInner >= 0 ? [c.vlan, c.vlanInner] : [c.vlan]
    return {
      type: 'flow',
      conn: c,
      status: 'OK',
      startSec: c.firstSec,
      startNsec: c.firstNsec,
      startFrame: c.firstFrame,
      endSec: st.lastSec,
      endNsec: st.lastNsec,
      endFrame: st.lastFrame,
      requestBytes: st.ib0,
      responseBytes: st.ib1,
      fields: {
        // build.ts makes source/destination (and the client/server copies) from the conn with
        // requestBytes/responseBytes (here the IP bytes) and adds these keys; `network` replaces
        // its default wholesale (no network.protocol: a flow is not an application protocol).
        source,
        destination,
        network,
        flow: flowFields,
        pbx: {flow},
      },
      event: {type: final ? ['connection', 'end'] : ['connection'], action: 'network_flow'},
    }
  }
}

/**
 * 'error' only says the protocol handler failed (the reassembler then stops following the close);
 * tell the real end from the flags where they show it.
 */
function endReason(c: Conn, reason: EndReason): EndReason {
  if (reason !== 'error' || c.transport !== 'tcp') return reason
  const f0 = c.fl0
  const f1 = c.fl1
  if (((f0 | f1) & 0x04) !== 0) return 'rst'
  if ((f0 & f1 & 0x01) !== 0) return 'fin'
  return reason
}

/** "08:00:27:3d:25:4e" from the top 16 and low 32 bits of a MAC address (Packetbeat's format). */
function macText(hi: number, lo: number): string {
  const h = (n: number) => (n & 0xff).toString(16).padStart(2, '0')
  return `${h(hi >>> 8)}:${h(hi)}:${h(lo >>> 24)}:${h(lo >>> 16)}:${h(lo >>> 8)}:${h(lo)}`
}

function flagLetters(bits: number): string {
  let s = ''
  for (let i = 0; i < 8; i++) if ((bits & (1 << i)) !== 0) s += FLAG_LETTERS[i]
  return s
}

/**
 * Stable flow id (once per flow): SHA-1 over transport, client ip/port, server ip/port, the first
 * packet's time and its frame number, first 15 bytes as base64url (20 characters). The same capture
 * always gives the same ids; a reused 5-tuple gets a new id, also when the new connection starts at
 * the same capture time (a SYN right after mid-stream data).
 */
export function flowId(c: Conn): string {
  const key = `${c.transport}|${c.clientIp}|${c.clientPort}|${c.serverIp}|${c.serverPort}|${c.firstSec}.${String(c.firstNsec).padStart(9, '0')}|${c.firstFrame}`
  return createHash('sha1').update(key).digest().subarray(0, 15).toString('base64url')
}
