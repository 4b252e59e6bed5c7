/**
 * Runs one fuzz input through pbx, in-process and synchronously, and reports what went wrong.
 *
 * - runCapture(bytes): the whole pipeline (CaptureParser push API -> Engine (decoder, reassembly, protocol choice) with
 *   every registered protocol and the flows observer -> buildEvent -> JSON.stringify), like
 *   src/pipeline/analyze.ts but on an in-memory Buffer with no file I/O. A CaptureError is the
 *   documented outcome for a damaged capture (not a failure); any other throw is.
 * - runStream(input): one protocol handler fed a direction-tagged event list directly through the
 *   StreamHandler / UdpHandler / IpHandler interface, the way Zeek's fuzzers feed one analyzer.
 *
 * Protocol handlers are wrapped so that an exception is recorded (with its stack) before it
 * propagates: the reassembler's session-boundary catch would otherwise turn it into a silent
 * `tcp: handler threw` counter. Any such exception is a failure, as is a detect() that throws.
 * Stream bytes are handed over in a scratch buffer that is scribbled over after each call, so a
 * handler that keeps a view past the call (contract violation) sees garbage, as it would in the
 * real pipeline when the capture chunk is reused.
 */
import {CaptureParser} from '../../src/capture/parser.js'
import {CaptureError} from '../../src/capture/types.js'
import type {DecodedPacket} from '../../src/decode/types.js'
import {buildEvent} from '../../src/event/build.js'
import {createFlowObserver} from '../../src/flows/index.js'
import type {Limits} from '../../src/limits.js'
import {Engine} from '../../src/engine/engine.js'
import type {ConnInfo, Dir, EndReason, IpHandler, Moment, StreamHandler, UdpHandler} from '../../src/reassembly/types.js'
import type {Transaction} from '../../src/event/types.js'
import type {Protocol, ProtocolContext} from '../../src/protocols/types.js'
import {Stats} from '../../src/stats.js'

/** One exception raised by pbx code while running an input. */
export interface FuzzError {
  /** Where it surfaced: 'pipeline', or '<protocol>.<method>'. */
  where: string
  message: string
  stack: string
}

export interface RunResult {
  errors: FuzzError[]
  transactions: number
  stats: Stats
  /** The capture was rejected as damaged (CaptureError): expected for corrupted captures. */
  captureError?: string
}

function toFuzzError(where: string, e: unknown): FuzzError {
  const err = e instanceof Error ? e : new Error(String(e))
  return {where, message: `${err.name}: ${err.message}`, stack: (err.stack ?? '').split('\n').slice(0, 12).join('\n')}
}

/** Records exceptions of wrapped handlers; the first few are kept. */
class ErrorLog {
  readonly errors: FuzzError[] = []
  add(where: string, e: unknown): void {
    if (this.errors.length < 8) this.errors.push(toFuzzError(where, e))
  }
}

class WrappedStream implements StreamHandler {
  constructor(
    private readonly inner: StreamHandler,
    private readonly name: string,
    private readonly log: ErrorLog,
  ) {}
  data(dir: Dir, bytes: Buffer, at: Moment): void {
    try {
      this.inner.data(dir, bytes, at)
    } catch (e) {
      this.log.add(`${this.name}.data`, e)
      throw e
    }
  }
  gap(dir: Dir, n: number, at: Moment): void {
    try {
      this.inner.gap(dir, n, at)
    } catch (e) {
      this.log.add(`${this.name}.gap`, e)
      throw e
    }
  }
  end(reason: EndReason, at: Moment): void {
    try {
      this.inner.end(reason, at)
    } catch (e) {
      this.log.add(`${this.name}.end`, e)
      throw e
    }
  }
}

class WrappedUdp implements UdpHandler {
  constructor(
    private readonly inner: UdpHandler,
    private readonly name: string,
    private readonly log: ErrorLog,
  ) {}
  datagram(dir: Dir, payload: Buffer, at: Moment): void {
    try {
      this.inner.datagram(dir, payload, at)
    } catch (e) {
      this.log.add(`${this.name}.datagram`, e)
      throw e
    }
  }
  end(at: Moment): void {
    try {
      this.inner.end(at)
    } catch (e) {
      this.log.add(`${this.name}.udp-end`, e)
      throw e
    }
  }
}

class WrappedIp implements IpHandler {
  constructor(
    private readonly inner: IpHandler,
    private readonly name: string,
    private readonly log: ErrorLog,
  ) {}
  packet(p: DecodedPacket): void {
    try {
      this.inner.packet(p)
    } catch (e) {
      this.log.add(`${this.name}.packet`, e)
      throw e
    }
  }
  end(at: Moment): void {
    try {
      this.inner.end(at)
    } catch (e) {
      this.log.add(`${this.name}.ip-end`, e)
      throw e
    }
  }
}

function wrapDetect(name: string, log: ErrorLog, d: ((b: Buffer, dir: Dir) => boolean) | undefined) {
  if (d === undefined) return undefined
  return (b: Buffer, dir: Dir): boolean => {
    try {
      return d(b, dir)
    } catch (e) {
      log.add(`${name}.detect`, e)
      return false
    }
  }
}

/** The same protocol with every handler and detect() wrapped to record exceptions into `log`. */
function wrapProtocol(p: Protocol, log: ErrorLog): Protocol {
  const n = p.name
  return {
    name: n,
    fields: p.fields,
    tcp: p.tcp && {
      ports: p.tcp.ports,
      detect: wrapDetect(`${n}.tcp`, log, p.tcp.detect?.bind(p.tcp)),
      create: (c, ctx) => {
        try {
          return new WrappedStream(p.tcp!.create(c, ctx), `${n}.tcp`, log)
        } catch (e) {
          log.add(`${n}.tcp.create`, e)
          throw e
        }
      },
    },
    udp: p.udp && {
      ports: p.udp.ports,
      detect: wrapDetect(`${n}.udp`, log, p.udp.detect?.bind(p.udp)),
      create: (c, ctx) => {
        try {
          return new WrappedUdp(p.udp!.create(c, ctx), `${n}.udp`, log)
        } catch (e) {
          log.add(`${n}.udp.create`, e)
          throw e
        }
      },
    },
    ip: p.ip && {
      protos: p.ip.protos,
      create: (ctx) => new WrappedIp(p.ip!.create(ctx), `${n}.ip`, log),
    },
  }
}

/** Event stage + serialisation of one transaction; a throw here is a failure of that stage. */
function consume(t: Transaction, log: ErrorLog): void {
  try {
    JSON.stringify(buildEvent(t, {precision: 'ns'}))
  } catch (e) {
    log.add(`event(${t.type})`, e)
  }
}

export interface CaptureRunOptions {
  protocols: readonly Protocol[]
  limits: Limits
  /** Push the input in chunks of this many bytes (0 = one chunk) to exercise straddling records. */
  chunk?: number
  flows?: boolean
}

/** The whole pipeline on an in-memory capture. Never throws: exceptions are returned. */
export function runCapture(bytes: Buffer, o: CaptureRunOptions): RunResult {
  const log = new ErrorLog()
  const stats = new Stats()
  let transactions = 0
  const emit = (t: Transaction) => {
    transactions++
    stats.transactions++
    consume(t, log)
  }
  const wrapped = o.protocols.map((p) => wrapProtocol(p, log))
  let captureError: string | undefined
  try {
    const observer = o.flows === false ? undefined : createFlowObserver({periodSec: 10})(emit)
    const engine = new Engine({protocols: wrapped, limits: o.limits, stats, emit, observer})
    const parser = new CaptureParser('fuzz', engine, o.limits, stats)
    try {
      const step = o.chunk && o.chunk > 0 ? o.chunk : bytes.length
      for (let off = 0; off < bytes.length; off += step) parser.push(bytes.subarray(off, Math.min(bytes.length, off + step)))
      parser.end()
    } catch (e) {
      if (e instanceof CaptureError) captureError = e.message
      else throw e
    }
    engine.end()
    observer?.end()
  } catch (e) {
    log.add('pipeline', e)
  }
  return {errors: log.errors, transactions, stats, captureError}
}

// ------------------------------------------------------------------------------ stream inputs

/** One step of a direction-tagged stream. `dt` advances the capture clock (ms) before the step. */
export type StreamEvent =
  | {k: 'data'; dir: Dir; bytes: Buffer; dt: number}
  | {k: 'gap'; dir: Dir; n: number; dt: number}

export interface StreamInput {
  protocol: string
  /** Which interface of the protocol is driven. */
  transport: 'tcp' | 'udp' | 'ip'
  events: StreamEvent[]
  /** How a TCP stream ends. */
  end: EndReason
  /** Server port of the fake connection (the protocol's first port, or any). */
  serverPort: number
}

let connIds = 0

function fakeConn(transport: 'tcp' | 'udp', serverPort: number): ConnInfo {
  return {
    id: ++connIds,
    transport,
    ipVersion: 4,
    clientIp: '10.0.0.1',
    serverIp: '10.0.0.2',
    clientPort: 40000,
    serverPort,
    communityId: '1:fuzz',
    roleBy: 'syn',
  }
}

function fakeIpPacket(proto: number, dir: Dir, payload: Buffer, at: Moment): DecodedPacket {
  const a = 0x0a000001
  const b = 0x0a000002
  return {
    frame: at.frame,
    tsSec: at.tsSec,
    tsNsec: at.tsNsec,
    ipVersion: proto === 58 ? 6 : 4,
    src0: dir === 0 ? a : b,
    src1: 0,
    src2: 0,
    src3: dir === 0 ? 1 : 2,
    dst0: dir === 0 ? b : a,
    dst1: 0,
    dst2: 0,
    dst3: dir === 0 ? 2 : 1,
    proto,
    ipLength: payload.length + 20,
    wirePackets: 1,
    wireBytes: payload.length + 20,
    vlan: -1,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    tcpFlags: 0,
    window: 0,
    payload,
    payloadTruncated: 0,
  }
}

const scratch = {buf: Buffer.allocUnsafe(64 * 1024)}

/** A view of a copy of `b` in the reused scratch buffer (scribbled over after the call). */
function lend(b: Buffer): Buffer {
  if (scratch.buf.length < b.length) scratch.buf = Buffer.allocUnsafe(Math.max(b.length, scratch.buf.length * 2))
  b.copy(scratch.buf, 0)
  return scratch.buf.subarray(0, b.length)
}

function scribble(n: number): void {
  scratch.buf.fill(0xee, 0, n)
}

/** Feeds a stream input to its protocol's handler. Never throws: exceptions are returned. */
export function runStream(s: StreamInput, protocols: readonly Protocol[], limits: Limits): RunResult {
  const log = new ErrorLog()
  const stats = new Stats()
  let transactions = 0
  const p = protocols.find((x) => x.name === s.protocol)
  if (p === undefined) {
    log.add('harness', new Error(`unknown protocol ${s.protocol}`))
    return {errors: log.errors, transactions, stats}
  }
  const ctx: ProtocolContext = {
    limits,
    stats,
    options: {},
    emit: (t) => {
      transactions++
      consume(t, log)
    },
    // Inner connections (STARTTLS, SOCKS, HTTP CONNECT): the preferred protocol, else TLS, so the
    // bytes after an upgrade are parsed too (the pipeline would choose by content).
    openInner: (conn, o) => {
      const q = protocols.find((x) => x.name === (o.prefer ?? 'tls') && x.name !== o.self)
      return q?.tcp ? q.tcp.create(conn, {...ctx, emit: o.emit}) : null
    },
  }
  const at: Moment = {frame: 0, tsSec: 1_700_000_000, tsNsec: 0}
  const tick = (dtMs: number) => {
    at.frame++
    const ns = at.tsNsec + Math.round((dtMs % 1000) * 1e6)
    at.tsSec += Math.floor(dtMs / 1000) + Math.floor(ns / 1e9)
    at.tsNsec = ns % 1e9
  }
  const name = `${p.name}.${s.transport}`
  let where = `${name}.create`
  try {
    if (s.transport === 'tcp' && p.tcp) {
      const h = p.tcp.create(fakeConn('tcp', s.serverPort), ctx)
      let detects = 0
      for (const e of s.events) {
        tick(e.dt)
        if (e.k === 'data') {
          if (p.tcp.detect && detects++ < 4) {
            where = `${name}.detect`
            p.tcp.detect(lend(e.bytes), e.dir)
          }
          where = `${name}.data`
          h.data(e.dir, lend(e.bytes), at)
          scribble(e.bytes.length)
        } else {
          where = `${name}.gap`
          h.gap(e.dir, e.n, at)
        }
      }
      where = `${name}.end`
      tick(1)
      h.end(s.end, at)
    } else if (s.transport === 'udp' && p.udp) {
      const h = p.udp.create(fakeConn('udp', s.serverPort), ctx)
      for (const e of s.events) {
        tick(e.dt)
        if (e.k !== 'data') continue
        if (p.udp.detect) {
          where = `${name}.detect`
          p.udp.detect(lend(e.bytes), e.dir)
        }
        where = `${name}.datagram`
        h.datagram(e.dir, lend(e.bytes), at)
        scribble(e.bytes.length)
      }
      where = `${name}.end`
      tick(1)
      h.end(at)
    } else if (s.transport === 'ip' && p.ip) {
      const h = p.ip.create(ctx)
      const protos = p.ip.protos
      let i = 0
      for (const e of s.events) {
        tick(e.dt)
        if (e.k !== 'data') continue
        where = `${name}.packet`
        h.packet(fakeIpPacket(protos[i++ % protos.length], e.dir, lend(e.bytes), at))
        scribble(e.bytes.length)
      }
      where = `${name}.end`
      tick(1)
      h.end(at)
    } else {
      log.add('harness', new Error(`${p.name} has no ${s.transport} interface`))
    }
  } catch (e) {
    log.add(where, e)
  }
  return {errors: log.errors, transactions, stats}
}
