/**
 * The reassembly stage's contract (modelled on gopacket/reassembly).
 *
 * For every TCP connection the reassembler sees, it asks the StreamFactory for a StreamHandler
 * once, when the connection is first seen. That handler then receives, per direction:
 *   data(dir, bytes, at)  zero or more times: bytes in sequence order, no byte twice;
 *   gap(dir, n, at)       where n bytes are missing (never captured, or dropped at a bound);
 * and finally exactly one end(reason, at). No call follows end().
 *
 * Ownership: `bytes` is a view valid only during the call (it may point into the capture chunk or
 * into the reassembler's out-of-order store). `at` is a reused object: read its fields during the
 * call, copy the numbers if they must be kept. A handler must not throw; if it does, the connection
 * is ended with reason 'error' and the exception is counted (the one catch at a session boundary).
 *
 * Direction: 0 = client to server, 1 = server to client. The client is the sender of a SYN
 * (without ACK); else the receiver of a SYN-ACK; else, for connections picked up mid-stream, the
 * side whose port is not a known service port (or the higher port); `Conn.roleBy` records which.
 */

import type {DecodedPacket} from '../decode/types.js'
import type {TunnelInfo} from '../decode/tunnel.js'

export type Dir = 0 | 1

/** A point in capture time, with the frame that carried it. Reused; copy the fields to keep them. */
export interface Moment {
  frame: number
  tsSec: number
  tsNsec: number
}

/**
 * Where the transactions being emitted right now sit in the one-thread order, below the frame
 * being handled (the engine knows the frame; ../engine/engine.ts). The reassemblers write it just
 * before they end a stream or flush a table, so that a run split over workers (src/run/parallel.ts)
 * can merge the workers' transactions back into exactly the one-thread order:
 *   within a frame: idle sweep of open conns (EmitPhase.SWEEP_OPEN, sub = the conn's lastFrame),
 *   of lingering closed ones (SWEEP_CLOSED, sub = lastFrame), then the packet itself (PACKET, 0);
 *   at end of input: TCP conns (END_TCP, sub = firstFrame), UDP flows (END_UDP, sub = firstFrame),
 *   IP-protocol handlers (END_IP, 0), the observer (END_OBSERVER, 0).
 * A conn's lastFrame orders the sweep exactly as the activity lists do (every packet of a conn
 * sets it and moves the conn to its list's tail), and its firstFrame orders conns by creation.
 */
export interface EmitOrder {
  phase: number
  sub: number
}

export const EmitPhase = {
  SWEEP_OPEN: 1,
  SWEEP_CLOSED: 2,
  PACKET: 3,
  END_DECODE: 0,
  END_TCP: 1,
  END_UDP: 2,
  END_IP: 3,
  END_OBSERVER: 4,
} as const

export type EndReason = 'fin' | 'rst' | 'timeout' | 'eof' | 'evicted' | 'error'

/**
 * One transport conversation (a TCP connection, or a UDP 5-tuple flow), oriented client -> server.
 * Strings (ips, community id) are computed once, lazily, per connection.
 */
export interface ConnInfo {
  readonly id: number
  /** 'icmp' / 'ipv6-icmp' only for conversations built by the ICMP protocol (ports are then 0). */
  readonly transport: 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp'
  readonly ipVersion: 4 | 6
  readonly clientIp: string
  readonly serverIp: string
  readonly clientPort: number
  readonly serverPort: number
  /** Community ID v1 (seed 0) of this conversation. */
  readonly communityId: string
  /** How client and server were told apart. */
  readonly roleBy: 'syn' | 'synack' | 'port' | 'first-packet'
  /**
   * The tunnel the conversation's first packet arrived in (outer addresses oriented client ->
   * server; see src/decode/tunnel.ts), absent when it was not tunneled. Copied once, when the
   * connection opens.
   */
  readonly tunnel?: TunnelInfo
}

export interface StreamHandler {
  data(dir: Dir, bytes: Buffer, at: Moment): void
  gap(dir: Dir, nbytes: number, at: Moment): void
  end(reason: EndReason, at: Moment): void
}

/**
 * The handler of one UDP flow (see ./udp.ts for the call order): datagrams in capture order, then
 * exactly one end().
 */
export interface UdpHandler {
  /** One datagram of this flow. `payload` is valid only during the call. */
  datagram(dir: Dir, payload: Buffer, at: Moment): void
  /** The flow ended (idle timeout on capture time, or end of input). Flush pending requests. */
  end(at: Moment): void
  /**
   * Optional: true when the handler holds nothing that a new handler of the same flow would not
   * (no pending request, no carried note), so that end() would emit nothing. Asked after each
   * datagram; when true the flow drops the handler without calling end() and opens a new one at
   * its next datagram (an idle DNS flow then costs its Conn record only).
   */
  idle?(): boolean
  /**
   * Optional, with unpark: asked after a datagram of a young flow (see ./udp.ts) that is not idle.
   * True when the handler's whole state fits in `st` (a reused object: one string and three
   * numbers, written by the handler); the flow then drops the handler without calling end() and
   * keeps `st` in a flat record. The handler's next call is never made: at the flow's next
   * datagram, or when it ends, open(conn) is asked for a new handler of the same flow (a Conn with
   * the same fields) and its unpark(st) gets the state back before any other call. False: nothing
   * was taken, the handler stays.
   */
  park?(st: ParkedState): boolean
  /** Takes back what park() wrote (see park); called at most once, before any other call. */
  unpark?(st: Readonly<ParkedState>): void
}

/** A parked UdpHandler's state (UdpHandler.park): what the handler needs, in its own encoding. */
export interface ParkedState {
  text: string
  n0: number
  n1: number
  n2: number
}

/** Sees whole IP packets of the given IP protocols (ICMP, ICMPv6, ...). One instance per run. */
export interface IpHandler {
  packet(p: DecodedPacket): void
  /** End of input: flush everything pending. */
  end(at: Moment): void
}

export interface StreamFactory {
  /**
   * Called once per connection, at its first payload-carrying packet or at its SYN. Without a
   * ConnObserver a connection that is its client's SYN so far (./half-open.ts) is opened at its
   * next other packet (SYN-ACK, ACK, RST, ...), as it was at the SYN; one that never has another
   * (a SYN scan or flood) is never opened, so its handler sees nothing (not even end).
   * Return null to ignore the connection's bytes (it is still tracked for flows and statistics).
   */
  open(conn: ConnInfo): StreamHandler | null
  /**
   * Who is the client of a connection picked up without its handshake (no SYN seen), from the
   * protocols' declared server ports, as UdpRoleHint answers: 1 = the sender of the first packet,
   * -1 = its receiver, 0 = no opinion (the service-port rule applies). Optional.
   */
  role?(srcPort: number, dstPort: number): -1 | 0 | 1
}

/**
 * Who is the client of a new UDP flow, from protocol port knowledge the reassembler does not have
 * (given by the dispatch stage): 1 = the sender of the first datagram, -1 = its receiver, 0 = no
 * opinion (the reassembler then applies its service-port rule). Called once per new flow.
 */
export type UdpRoleHint = (srcPort: number, dstPort: number) => -1 | 0 | 1
