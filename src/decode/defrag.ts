/**
 * IPv4 (RFC 791 section 3.2, RFC 815) and IPv6 (RFC 8200 section 4.5) fragment reassembly.
 *
 * Keying: IPv4 fragments belong together when (source, destination, protocol, identification)
 * match (RFC 791). IPv6 fragments when (source, destination, identification) match: RFC 8200
 * section 4.5 does not include the Next Header, and only the offset-0 fragment's Next Header is used,
 * so the IPv6 key uses protocol 0 and the transport protocol comes from the offset-0 fragment.
 *
 * Overlaps: FIRST DATA WINS (the policy of classic BSD stacks and of Wireshark's default). A byte
 * offset that already holds data keeps it; a later fragment only fills the holes it covers. The
 * first fragment with MF=0 / M=0 fixes the datagram's length; a later "last" fragment with another
 * end, or data past the known end, is ignored for those bytes and counted as
 * 'ipvN: inconsistent fragment'. (RFC 5722 tells IPv6 hosts to drop overlapping datagrams; an
 * analyzer prefers to show what most receivers would have seen.)
 *
 * Ownership: fragment bytes are COPIED into the set (they outlive the packet that carried them).
 * When a set completes, its data is laid out in a scratch buffer owned by this object and exposed
 * as `datagram`, a view valid until the next call to add() (the Decoder hands it to its sink and
 * is done with it before the next packet).
 *
 * Bounds (src/limits.ts): at most `maxFragmentSets` incomplete sets (the oldest is evicted),
 * at most `maxFragmentSetBytes` data bytes per set (the set is dropped), and a set older than
 * `fragmentTimeoutSec` of CAPTURE time (measured from its first fragment) is dropped when the next
 * fragment arrives. Every fragment that was held and then discarded counts in
 * stats.fragmentsDropped; the bound reached counts in stats.limit(name).
 */
import type {Limits} from '../limits.js'
import type {Stats} from '../stats.js'
import type {DecodedPacket} from './types.js'

/** One contiguous run of fragment data, [start, end) in datagram data offsets. */
interface Piece {
  start: number
  end: number
  /** Copy of the bytes (owned by the set). */
  data: Buffer
}

class FragSet {
  /** Capture time (seconds) of the first fragment; timeouts count from here. */
  readonly created: number
  /** Sorted by start, never overlapping (first data wins). */
  readonly pieces: Piece[] = []
  /** Data bytes held (sum of piece lengths). */
  held = 0
  /** Data length of the datagram, known once a last fragment (MF=0) arrived; -1 before. */
  total = -1
  /** Fragments received into this set. */
  count = 0
  /** IP bytes of those fragments (each one's IP total length). */
  wireBytes = 0
  /** Transport protocol (IPv6: Next Header of the offset-0 fragment's fragment header); -1 until seen. */
  proto = -1
  /** Header length of the offset-0 fragment (IPv4 header; IPv6 header + unfragmentable part). */
  headerLen = 0

  constructor(
    readonly key: string,
    readonly version: 4 | 6,
    created: number,
  ) {
    this.created = created
  }
}

const BAD_INCONSISTENT = ['', '', '', '', 'ipv4: inconsistent fragment', '', 'ipv6: inconsistent fragment']
const BAD_TOO_LONG = ['', '', '', '', 'ipv4: fragment beyond 65535 bytes', '', 'ipv6: fragment beyond 65535 bytes']
const BAD_TIMEOUT = ['', '', '', '', 'ipv4: fragment set timed out', '', 'ipv6: fragment set timed out']
const BAD_AT_END = [
  '',
  '',
  '',
  '',
  'ipv4: fragment set incomplete at end of input',
  '',
  'ipv6: fragment set incomplete at end of input',
]

export class Defragmenter {
  /** Incomplete sets in creation order (Map iteration order), so the oldest is first. */
  private readonly sets = new Map<string, FragSet>()
  private scratch: Buffer = Buffer.alloc(0)

  /** After add() returned true: the reassembled data (transport header onwards). */
  datagram: Buffer = Buffer.alloc(0)
  /** After add() returned true: the transport protocol / next header of the datagram. */
  proto = 0
  /** After add() returned true: the header length of the offset-0 fragment. */
  headerLen = 0
  /** After add() returned true: fragments the datagram was received in, and their IP bytes. */
  wirePackets = 0
  wireBytes = 0

  constructor(
    private readonly limits: Limits,
    private readonly stats: Stats,
  ) {}

  /** Incomplete sets currently held (for tests and diagnostics). */
  get pending(): number {
    return this.sets.size
  }

  /**
   * Adds one fragment (the caller has counted it in stats.fragments).
   * @param ip addresses and capture time are read from here (src0..dst3, ipVersion, tsSec, tsNsec)
   * @param keyProto IPv4 protocol field; 0 for IPv6 (see keying above)
   * @param offset fragment offset in BYTES (header value * 8)
   * @param more the MF / M flag
   * @param data fragment data (a view; copied here as needed)
   * @param headerLen bytes of header before the data in this fragment (used from the offset-0 one)
   * @param nextProto protocol of the data (IPv4: = keyProto; IPv6: the fragment header's Next Header)
   * @param wireLen this fragment's IP bytes on the wire (header + data), summed into `wireBytes`
   * @returns true when this fragment completed its datagram: `datagram`, `proto`, `headerLen` are set.
   */
  add(
    ip: DecodedPacket,
    keyProto: number,
    id: number,
    offset: number,
    more: boolean,
    data: Buffer,
    headerLen: number,
    nextProto: number,
    wireLen = headerLen + data.length,
  ): boolean {
    const v = ip.ipVersion
    const now = ip.tsSec + ip.tsNsec / 1e9
    this.expire(now)
    let end = offset + data.length
    if (end > 65535) {
      // RFC 791 / RFC 8200: a datagram cannot exceed 65535 bytes (the "ping of death" shape).
      this.stats.bad(BAD_TOO_LONG[v])
      return false
    }
    // Fragments are rare; a string key per fragment is acceptable (the bytes are copied anyway).
    const key = `${v}|${ip.src0}|${ip.src1}|${ip.src2}|${ip.src3}|${ip.dst0}|${ip.dst1}|${ip.dst2}|${ip.dst3}|${keyProto}|${id}`
    let set = this.sets.get(key)
    if (set === undefined) {
      if (this.limits.maxFragmentSets <= 0) {
        this.stats.limit('maxFragmentSets')
        this.stats.fragmentsDropped++
        return false
      }
      while (this.sets.size >= this.limits.maxFragmentSets) {
        const oldest = this.sets.values().next().value as FragSet
        this.drop(oldest)
        this.stats.limit('maxFragmentSets')
      }
      set = new FragSet(key, v, now)
      this.sets.set(key, set)
    }
    set.count++
    set.wireBytes += wireLen
    if (offset === 0 && set.proto < 0) {
      set.proto = nextProto
      set.headerLen = headerLen
    }
    if (!more) {
      const maxHeld = set.pieces.length > 0 ? set.pieces[set.pieces.length - 1].end : 0
      if (set.total < 0 && maxHeld <= end) set.total = end
      else if (set.total !== end) this.stats.bad(BAD_INCONSISTENT[v])
    }
    if (set.total >= 0 && end > set.total) {
      this.stats.bad(BAD_INCONSISTENT[v])
      end = set.total
    }
    if (!this.fill(set, offset, end, data)) return false
    if (set.total < 0 || set.held !== set.total || set.proto < 0) return false

    // Complete: lay the pieces out in the scratch buffer (grown on demand, never beyond the set bound).
    this.sets.delete(set.key)
    if (this.scratch.length < set.total) {
      this.scratch = Buffer.allocUnsafe(Math.min(Math.max(set.total, this.scratch.length * 2, 2048), 65535))
    }
    for (const p of set.pieces) p.data.copy(this.scratch, p.start)
    this.datagram = this.scratch.subarray(0, set.total)
    this.proto = set.proto
    this.headerLen = set.headerLen
    this.wirePackets = set.count
    this.wireBytes = set.wireBytes
    return true
  }

  /** End of input: every incomplete set is dropped and counted. */
  end(): void {
    for (const set of this.sets.values()) {
      this.stats.fragmentsDropped += set.count
      this.stats.bad(BAD_AT_END[set.version])
    }
    this.sets.clear()
  }

  /**
   * Copies the parts of [start, end) that no piece covers yet (first data wins). Returns false when
   * the set was dropped for exceeding maxFragmentSetBytes.
   */
  private fill(set: FragSet, start: number, end: number, data: Buffer): boolean {
    const pieces = set.pieces
    let cursor = start
    let i = 0
    // Skip pieces entirely before the new range.
    while (i < pieces.length && pieces[i].end <= cursor) i++
    while (cursor < end) {
      const next = i < pieces.length ? pieces[i] : undefined
      if (next !== undefined && next.start <= cursor) {
        // Covered by existing data: keep it, move past.
        cursor = next.end
        i++
        continue
      }
      const holeEnd = next === undefined ? end : Math.min(end, next.start)
      const n = holeEnd - cursor
      if (set.held + n > this.limits.maxFragmentSetBytes) {
        this.stats.limit('maxFragmentSetBytes')
        this.drop(set)
        return false
      }
      // COPY: the fragment's bytes must outlive the packet.
      const copy = Buffer.allocUnsafe(n)
      data.copy(copy, 0, cursor - start, holeEnd - start)
      pieces.splice(i, 0, {start: cursor, end: holeEnd, data: copy})
      set.held += n
      i++
      cursor = holeEnd
    }
    return true
  }

  private drop(set: FragSet): void {
    this.stats.fragmentsDropped += set.count
    this.sets.delete(set.key)
  }

  /**
   * Drops sets whose first fragment is older than the timeout. Sets are visited in creation order
   * and the walk stops at the first young one; when the capture clock steps backwards a younger set
   * may shield an older one until it expires itself (bounded by maxFragmentSets regardless).
   */
  private expire(now: number): void {
    const timeout = this.limits.fragmentTimeoutSec
    for (const set of this.sets.values()) {
      if (now - set.created <= timeout) break
      this.stats.bad(BAD_TIMEOUT[set.version])
      this.drop(set)
    }
  }
}
