/**
 * Every bound pbx places on memory or work lives here, in one object, so that a user can see and
 * change all of them (`--limit name=value`, or `limits:` in the config file) and so that no stage
 * invents a bound of its own. Reaching a bound never aborts a run: the stage degrades (drops,
 * flushes, turns bytes into a gap) and leaves a note on the event and a counter in the run's stats.
 */
export interface Limits {
  /** Largest capture record accepted (caplen); larger records are a corrupt-file error. */
  maxRecordBytes: number
  /** Out-of-order TCP bytes buffered for one connection (both directions together). */
  tcpOooBytesPerConn: number
  /** Out-of-order TCP bytes buffered across all connections. */
  tcpOooBytesTotal: number
  /** Out-of-order segments held for one direction of a connection. */
  tcpOooSegmentsPerDir: number
  /** Open TCP connections tracked at once; the oldest idle one is flushed when exceeded. */
  maxConnections: number
  /** A TCP connection with no packet for this many seconds of capture time is closed. */
  tcpIdleTimeoutSec: number
  /** A UDP flow (5-tuple) with no datagram for this many seconds of capture time is ended. */
  udpFlowIdleTimeoutSec: number
  /** A UDP request with no answer within this many seconds of capture time is emitted alone. */
  udpTransactionTimeoutSec: number
  /** Incomplete IP fragment sets held at once. */
  maxFragmentSets: number
  /** Bytes held for one fragment set (a datagram cannot exceed 65535 + header anyway). */
  maxFragmentSetBytes: number
  /** A fragment set not completed within this many seconds of capture time is dropped. */
  fragmentTimeoutSec: number
  /** Largest application message header block (HTTP header section, ...) buffered. */
  maxHeaderBytes: number
  /** Largest application message buffered whole (a DNS-over-TCP message, a MySQL packet, ...). */
  maxMessageBytes: number
  /** Requests waiting for a response on one connection (pipelining). */
  maxPendingRequests: number
  /** Body bytes decompressed to count decoded sizes (gzip/deflate); the rest is counted as a note. */
  maxDecodedBodyBytes: number
  /**
   * Bytes of one message kept as text when an option asks for payloads (send_request,
   * send_response, include_body_for, ...: the raw `request` / `response` fields and body contents);
   * the rest is counted, not kept. A protocol's max_message_size option can only lower it.
   * Packetbeat's max_message_size default (10 MiB).
   */
  maxCapturedMessageBytes: number
  /** Distinct keys kept by each summary top-N table (space-saving counter beyond that). */
  summaryTopKeys: number
  /**
   * Tunnel layers (VXLAN, GRE, MPLS, GTP-U, IP-in-IP, ...) opened in one packet; a packet nested
   * deeper is counted as malformed ('tunnel: nesting deeper than maxTunnelDepth') and not delivered.
   */
  maxTunnelDepth: number
  /**
   * Largest HPACK dynamic table an HTTP/2 encoder may use, whatever SETTINGS_HEADER_TABLE_SIZE its
   * peer announced (bytes as RFC 7541 section 4.1 counts them); a larger table size update stops
   * header decoding of that direction.
   */
  http2MaxHeaderTableBytes: number
  /**
   * Largest DTLS handshake message reassembled from its fragments (also at most maxMessageBytes).
   * Fragments are held as they arrive, never allocated at the length a header claims; a message
   * claiming more is noted (limit.dtls_handshake_bytes) and skipped. Real hellos and certificate
   * chains stay well under the default (128 KiB); up to 8 messages per direction are held.
   */
  dtlsMaxHandshakeMessageBytes: number
  /** NFSv4 COMPOUND operations listed per call (nfs.ops); the rest are counted in a note. */
  nfsMaxCompoundOps: number
  /**
   * Distinct host names whose public-suffix lookup (dns.question.registered_domain, the
   * registered_domain processor) is cached; the oldest is evicted beyond that. 0: no cache.
   */
  publicSuffixCacheEntries: number
  /**
   * `pbx live`: bytes of captured packets held between libpcap and the pipeline while the pipeline
   * is busy or an output is blocked (each packet takes 16 bytes plus its length rounded up to 4).
   * Allocated in 4 MiB blocks as the queue grows, kept until the capture ends. Packets arriving
   * while it is full are dropped and counted (`dropped (pbx queue full)` in the summary).
   */
  liveQueueBytes: number
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxRecordBytes: 256 * 1024,
  tcpOooBytesPerConn: 4 * 1024 * 1024,
  tcpOooBytesTotal: 64 * 1024 * 1024,
  tcpOooSegmentsPerDir: 2048,
  maxConnections: 100_000,
  tcpIdleTimeoutSec: 300,
  udpFlowIdleTimeoutSec: 60,
  udpTransactionTimeoutSec: 10,
  maxFragmentSets: 4096,
  maxFragmentSetBytes: 65535 + 60,
  fragmentTimeoutSec: 30,
  maxHeaderBytes: 64 * 1024,
  maxMessageBytes: 16 * 1024 * 1024,
  maxPendingRequests: 1024,
  maxDecodedBodyBytes: 8 * 1024 * 1024,
  maxCapturedMessageBytes: 10 * 1024 * 1024,
  summaryTopKeys: 10_000,
  maxTunnelDepth: 4,
  http2MaxHeaderTableBytes: 64 * 1024,
  dtlsMaxHandshakeMessageBytes: 128 * 1024,
  nfsMaxCompoundOps: 128,
  publicSuffixCacheEntries: 10_000,
  liveQueueBytes: 64 * 1024 * 1024,
})

/** Merges user overrides (already parsed to numbers) over the defaults; unknown names are an error. */
export function makeLimits(overrides: Record<string, number> = {}): Limits {
  const out: Limits = {...DEFAULT_LIMITS}
  for (const [k, v] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, k)) {
      throw new Error(`unknown limit "${k}"; known limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}`)
    }
    if (!Number.isFinite(v) || v < 0) throw new Error(`limit ${k} must be a non-negative number, got ${v}`)
    ;(out as unknown as Record<string, number>)[k] = v
  }
  return out
}
