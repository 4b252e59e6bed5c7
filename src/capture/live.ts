/**
 * A live capture source on libpcap, through pbx's own Node-API binding (`pbx live`;
 * src/capture/native: pcap_binding.c, built by `npm ci` or `npm run build:native`).
 *
 * Loading: the addon is loaded lazily, with createRequire, the first time a LiveSource checks,
 * reads or lists interfaces, so `pbx analyze` never loads it and a machine without its build runs
 * everything else. A missing build is a LiveError of kind 'not-built'.
 *
 * Contract (see ./source.ts): check() opens the interface once (with the BPF filter) and closes
 * it again, so that a missing build, missing privileges, an unknown interface or an invalid filter
 * are reported before any output is opened; probe() reports the same as a CaptureError. read()
 * opens the interface again, calls ctx.onInfo, prints nothing, and delivers every packet libpcap
 * hands over to the sink, one at a time, in arrival order; the Packet object and its bytes (a view
 * of one reused buffer) are valid only during the call.
 *
 * Receive path: libpcap runs without immediate mode (on Linux TPACKET_V3: packets packed into the
 * ring's blocks, a block handed over when full or after LIVE_TIMEOUT_MS), non-blocking, its fd
 * polled on the event loop. On each wakeup the binding copies every packet libpcap holds, with
 * its pcap header, straight into the PacketQueue's current block and calls JavaScript once; the
 * pipeline runs over the queue in passes of at most PASS_MS of wall time between wakeups. While
 * ctx.afterChunk's promise is pending (outputs blocked) the pipeline waits and the queue absorbs
 * the packets (64 MiB); when the queue is full, arriving packets are dropped and counted in
 * stats.liveQueueDropped (pbx's own drops, shown in the summary). ctx.afterChunk is called every
 * CHUNK_MS of wall time while packets arrive. read() resolves with the CaptureInfo right after the
 * --count-th packet, or when stop() is called (SIGINT, --duration elapsed, every output's reader
 * gone) and the packets libpcap already holds have been read (see stop()).
 *
 * Clock: libpcap's packet timestamp (the kernel's, nanoseconds where libpcap grants them, else
 * microseconds), and the original length from the pcap header.
 *
 * Drops: libpcap's pcap_stats at the end of the capture: ps_drop (packets the kernel dropped
 * because pbx did not read them in time) is `stats.liveDropped`, ps_ifdrop (dropped by the
 * interface or driver) `stats.liveIfDropped`; both sit beside stats.liveQueueDropped in the summary.
 */
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'
import {type PcapDevice, type PcapHandle, type PcapModule, RECORD_HEADER, recordBytes} from './native/types.js'
import type {PcapngWriter} from './pcapng-writer.js'
import type {CaptureSource, SourceContext} from './source.js'
import {CaptureError, type CaptureInfo, LinkType, type Packet, type PacketSink} from './types.js'

/** libpcap's snaplen for live capture (lo's MTU is 65536); also the size of the packet buffer. */
export const LIVE_SNAPLEN = 65535
/** Default libpcap buffer (pcap_set_buffer_size): room for bursts while JavaScript is busy. */
export const LIVE_BUFFER_BYTES = 128 * 1024 * 1024
/** pcap_set_timeout: the longest a packet waits in a partly filled ring block before pbx sees it. */
export const LIVE_TIMEOUT_MS = 10
/** libpcap buffer of the handle check() opens and closes again. */
const CHECK_BUFFER_BYTES = 1024 * 1024
/** How long stop() keeps reading what libpcap already holds before it closes the handle (> LIVE_TIMEOUT_MS). */
const STOP_DRAIN_MS = 5 * LIVE_TIMEOUT_MS
/** Wall-clock period of ctx.afterChunk during a live capture. */
const CHUNK_MS = 50
/** Receive queue: blocks the binding writes packets into, packed with their headers. */
const QUEUE_BLOCK_BYTES = 4 * 1024 * 1024
/** Queue blocks at most (64 MiB of packets): past that, arriving packets are dropped and counted. */
const QUEUE_BLOCKS = 16
/** Wall-clock budget of one pass of the pipeline over queued packets before libpcap is read again. */
const PASS_MS = 2

/** The addon as built by src/capture/native/build.cjs, seen from src/capture (tsx, vitest) and dist/capture. */
const ADDON_PATHS = ['./native/build/Release/pbx_pcap.node', '../../src/capture/native/build/Release/pbx_pcap.node']

export const NOT_BUILT =
  'live capture needs pbx\'s libpcap binding, which is not built here: install libpcap-dev (Debian/Ubuntu; libpcap-devel on Fedora) and a C compiler, then run `npm run build:native`'
export const NEEDS_PRIVILEGE =
  'capturing needs root or CAP_NET_RAW (e.g. `sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))`)'

export type LiveErrorKind = 'not-built' | 'permission' | 'no-device' | 'filter' | 'open'

/** Why live capture cannot start; `message` is the line shown to the user. */
export class LiveError extends Error {
  override name = 'LiveError'
  constructor(
    message: string,
    readonly kind: LiveErrorKind,
  ) {
    super(message)
  }
}

let pcapModule: PcapModule | null = null
let loadError: string | null = null

/**
 * Loads the addon once; throws LiveError('not-built') when it is missing. The environment
 * variable PBX_PCAP_MODULE names another module with the same API instead (tests use it to stand
 * in for a missing build).
 */
export function loadPcap(): PcapModule {
  if (pcapModule !== null) return pcapModule
  if (loadError === null) {
    const require = createRequire(import.meta.url)
    const override = process.env.PBX_PCAP_MODULE
    const path = override || ADDON_PATHS.map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p))
    if (path === undefined) loadError = 'src/capture/native/build/Release/pbx_pcap.node does not exist'
    else {
      try {
        pcapModule = require(path) as PcapModule
        return pcapModule
      } catch (e) {
        loadError = (e as Error).message.split('\n')[0]
      }
    }
  }
  throw new LiveError(`${NOT_BUILT} (${loadError})`, 'not-built')
}

/** The interfaces libpcap can open (pcap_findalldevs). Throws LiveError when the addon is missing. */
export function listInterfaces(): PcapDevice[] {
  const pcap = loadPcap()
  try {
    return pcap.findAllDevs()
  } catch (e) {
    throw new LiveError(`cannot list interfaces: ${(e as Error).message}`, 'open')
  }
}

/** One line per interface: name, addresses, description (the `--list` format). */
export function formatInterfaces(devs: readonly PcapDevice[]): string {
  const width = Math.max(4, ...devs.map((d) => d.name.length))
  return devs
    .map((d) => {
      const addrs = d.addresses.map((a) => a.addr)
      const desc = [d.loopback ? 'loopback' : '', d.description ?? ''].filter(Boolean).join(', ')
      return `${d.name.padEnd(width)}  ${addrs.length > 0 ? addrs.join(' ') : '-'}${desc ? `  (${desc})` : ''}`
    })
    .join('\n')
}

/**
 * libpcap's DLT_* as a LINKTYPE_* number: they agree except for a few legacy values, of which
 * DLT_RAW (12, or 14 on OpenBSD) is the one a capture interface reports.
 */
export function linkTypeOf(dlt: number): number {
  return dlt === 12 || dlt === 14 ? LinkType.RAW : dlt
}

/** libpcap's open or filter error as the message pbx shows. */
function openError(device: string, e: unknown): LiveError {
  const msg = (e as Error).message ?? String(e)
  switch ((e as {code?: string}).code) {
    case 'PERM':
      return new LiveError(`${device}: ${NEEDS_PRIVILEGE} (libpcap: ${msg})`, 'permission')
    case 'NODEV':
      return noDevice(device)
    case 'FILTER':
      return new LiveError(`--filter: ${msg}`, 'filter')
  }
  return new LiveError(`${device}: cannot capture: ${msg}`, 'open')
}

function noDevice(device: string): LiveError {
  let names = ''
  try {
    names = loadPcap()
      .findAllDevs()
      .map((d) => d.name)
      .join(', ')
  } catch {
    // the short message stands
  }
  return new LiveError(`no such interface "${device}"${names ? `; available: ${names}` : ''} (see \`pbx live --list\`)`, 'no-device')
}

/** Opens `device` with the filter; throws LiveError. */
function openHandle(device: string, filter: string, bufferSize: number): PcapHandle {
  const pcap = loadPcap()
  let h: PcapHandle
  try {
    h = new pcap.Pcap(device, {snaplen: LIVE_SNAPLEN, promisc: true, immediate: false, bufferSize, timeoutMs: LIVE_TIMEOUT_MS, nano: true})
  } catch (e) {
    throw openError(device, e)
  }
  try {
    if (filter !== '') h.setFilter(filter)
  } catch (e) {
    h.close()
    throw openError(device, e)
  }
  return h
}

export interface LiveOptions {
  /** Interface name as libpcap knows it (`pbx live --list`). */
  device: string
  /** BPF filter in pcap-filter syntax, compiled by libpcap ('' or undefined: everything). */
  filter?: string
  /** Stop after this many packets (--count). */
  count?: number
  /** Stop after this many seconds of wall time (--duration). */
  durationSec?: number
  /** libpcap's buffer size in bytes. */
  bufferBytes?: number
  /** Called once the interface is open and packets are being captured (e.g. to tell the user). */
  onStart?: (linkType: number) => void
}

export class LiveSource implements CaptureSource {
  readonly name: string
  readonly size = undefined
  /** LINKTYPE_* learnt by check() (before read()), -1 before. */
  linkType = -1
  /** Raw packets are also written here (--write); set before read(). */
  tee: PcapngWriter | null = null
  private checked: LiveError | null | undefined
  private stopped = false
  private stopping = false
  private finish: (() => void) | null = null

  constructor(readonly opts: LiveOptions) {
    this.name = opts.device
  }

  /**
   * Opens the interface with the filter and closes it again: null when capture can start, else the
   * reason. Caches its answer.
   */
  check(): LiveError | null {
    if (this.checked !== undefined) return this.checked
    this.checked = null
    try {
      // A small buffer: this handle only validates (a large ring takes the kernel a while to set up).
      const h = openHandle(this.opts.device, this.opts.filter ?? '', CHECK_BUFFER_BYTES)
      this.linkType = linkTypeOf(h.datalink())
      h.close()
    } catch (e) {
      this.checked = e instanceof LiveError ? e : new LiveError(String(e), 'open')
    }
    return this.checked
  }

  probe(): CaptureError | null {
    const e = this.check()
    return e === null ? null : new CaptureError(this.name, 0, e.message, 'io')
  }

  read(sink: PacketSink, ctx: SourceContext): Promise<CaptureInfo | null> {
    const err = this.check()
    if (err !== null) return Promise.reject(new CaptureError(this.name, 0, err.message, 'io'))
    if (this.stopped) return Promise.resolve(null)
    let handle: PcapHandle
    try {
      handle = openHandle(this.opts.device, this.opts.filter ?? '', this.opts.bufferBytes ?? LIVE_BUFFER_BYTES)
    } catch (e) {
      return Promise.reject(new CaptureError(this.name, 0, (e as Error).message, 'io'))
    }
    const linkType = linkTypeOf(handle.datalink())
    const info: CaptureInfo = {format: 'live', gzip: false, precision: handle.nano ? 'ns' : 'us', linkTypes: [linkType], snaplen: handle.snaplen}
    ctx.onInfo(info)
    const stats = ctx.stats
    const tee = this.tee
    const limit = this.opts.count ?? Number.POSITIVE_INFINITY
    const out = Buffer.alloc(handle.snaplen)
    const p: Packet = {frame: 0, tsSec: 0, tsNsec: 0, linkType, data: out, origLen: 0, offset: 0}
    // One view of `out` per packet length seen, made once and reused: no allocation per packet.
    const views: (Buffer | undefined)[] = new Array(handle.snaplen + 1)

    // "Chunks" of a live capture are wall-clock slices: afterChunk runs every CHUNK_MS when packets
    // arrived, never per packet or per wakeup (on a quiet link each packet is its own wakeup).
    let bytes = 0
    let chunkBytes = 0
    let draining = false
    const drained = () => {
      draining = false
      resume()
    }
    const endOfChunk = () => {
      if (this.stopped || draining || bytes === chunkBytes) return
      chunkBytes = bytes
      const r = ctx.afterChunk(bytes)
      if (r !== undefined) {
        draining = true
        r.then(drained, drained)
      }
    }

    const queue = new PacketQueue(recordBytes(handle.snaplen))
    let scheduled = false
    /** Hands the oldest queued packet to the pipeline; false when the queue is empty or --count was reached. */
    const deliverOne = (): boolean => {
      if (p.frame >= limit) return false
      const n = queue.shift(out, p)
      if (n < 0) return false
      p.frame++
      p.data = views[n] ??= out.subarray(0, n)
      stats.packets++
      stats.bytes += n
      bytes += n
      if (tee !== null) tee.packet(p.tsSec, p.tsNsec, p.data, p.origLen)
      sink.packet(p)
      if (p.frame >= limit) this.end()
      return true
    }
    /** One pass over the queue (at most PASS_MS), then back to the event loop so libpcap is read. */
    const pass = () => {
      scheduled = false
      if (this.stopped || draining) return
      const t0 = performance.now()
      for (let i = 1; deliverOne(); i++) {
        if ((i & 63) === 0 && performance.now() - t0 >= PASS_MS) {
          scheduled = true
          setImmediate(pass)
          return
        }
        if (this.stopped || draining) return
      }
    }
    const resume = () => {
      if (!scheduled && !this.stopped && queue.length > 0) {
        scheduled = true
        setImmediate(pass)
      }
    }
    /** What was captured before the end is handed over first (not after --count). */
    const deliverRest = () => {
      while (deliverOne());
    }

    return new Promise<CaptureInfo | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const chunks = setInterval(endOfChunk, CHUNK_MS)
      chunks.unref()
      let failure: string | undefined
      this.finish = () => {
        if (timer !== undefined) clearTimeout(timer)
        clearInterval(chunks)
        try {
          const st = handle.stats()
          stats.liveDropped = (stats.liveDropped ?? 0) + st.drop
          stats.liveIfDropped = (stats.liveIfDropped ?? 0) + st.ifdrop
        } catch {
          // statistics are best effort; the capture itself is complete
        }
        handle.close()
        deliverRest()
        tee?.flush()
        if (failure === undefined) resolve(info)
        else reject(new CaptureError(this.name, 0, `capture failed: ${failure}`, 'io'))
      }
      let target = queue.target()
      handle.setBuffer(target.buf, target.end)
      handle.start((packets, end, error) => {
        stats.liveQueueDropped += queue.wrote(packets, end)
        if (error !== undefined) {
          failure = error
          this.end()
          return
        }
        if (this.stopped) return
        const next = queue.target()
        if (next !== target || next.end !== end) handle.setBuffer(next.buf, next.end)
        target = next
        if (!scheduled && !draining && queue.length > 0) {
          scheduled = true
          setImmediate(pass)
        }
      })
      if (this.opts.durationSec !== undefined) timer = setTimeout(() => this.stop(), this.opts.durationSec * 1000)
      this.opts.onStart?.(linkType)
    })
  }

  /**
   * Ends the capture (SIGINT, --duration, outputs gone); read() resolves. The packets libpcap
   * already holds were captured before the stop, so they are read first: the handle is closed
   * STOP_DRAIN_MS later (longer than libpcap's timeout, so a partly filled ring block is handed
   * over), and nothing is lost to the stop itself. Idempotent; before read() it makes read()
   * resolve at once.
   */
  stop(): void {
    if (this.stopped || this.stopping) return
    this.stopping = true
    if (this.finish === null) this.stopped = true
    else setTimeout(() => this.end(), STOP_DRAIN_MS)
  }

  /** Closes the handle now (--count reached, a capture error, or after stop()'s drain). */
  private end(): void {
    if (this.stopped) return
    this.stopped = true
    const f = this.finish
    this.finish = null
    f?.()
  }
}

/**
 * Packets waiting between libpcap and the pipeline (see the file comment), first in first out:
 * blocks of records in the binding's format (./native/types.ts: a 16-byte header of four host-order
 * u32 - seconds, nanoseconds, captured length, original length - then the bytes, padded to 4).
 * The writer (the binding) writes into target() from its `end` and reports with wrote(); blocks
 * are allocated on demand, at most `maxBlocks`, and reused. When all are in use, target() is a
 * scratch block whose records wrote() counts as dropped.
 */
export class PacketQueue {
  private readonly blocks: QueueBlock[] = []
  private readonly free: QueueBlock[] = []
  private readonly discard: QueueBlock
  private total = 0
  private writing: QueueBlock | null = null
  /** Packets queued. */
  length = 0

  /** `maxRecord`: the largest record the writer may write (recordBytes(snaplen)). */
  constructor(
    private readonly maxRecord: number,
    private readonly maxBlocks = QUEUE_BLOCKS,
    private readonly blockBytes = QUEUE_BLOCK_BYTES,
  ) {
    this.discard = newBlock(Math.max(maxRecord, 4096))
  }

  /** The block the writer writes into next, from its `end`: it has room for one record of maxRecord bytes. */
  target(): QueueBlock {
    const w = this.writing
    if (w !== null && w !== this.discard) {
      // Read to its end and the only block: start it over instead of taking another.
      if (w.readPos === w.end && this.blocks.length === 1) w.end = w.readPos = 0
      if (w.buf.length - w.end >= this.maxRecord) return w
    }
    let b = this.free.pop()
    if (b === undefined && this.total < this.maxBlocks) {
      this.total++
      b = newBlock(Math.max(this.blockBytes, this.maxRecord))
    }
    if (b === undefined) {
      this.discard.end = 0
      this.writing = this.discard
      return this.discard
    }
    this.blocks.push(b)
    this.writing = b
    return b
  }

  /** The writer wrote `packets` records into target() up to `end`; returns how many of them were dropped. */
  wrote(packets: number, end: number): number {
    const w = this.writing
    if (w === null) return packets
    w.end = end
    if (w === this.discard) return packets
    this.length += packets
    return 0
  }

  /**
   * Moves the oldest packet's bytes to dst and its header to p (tsSec, tsNsec, origLen); returns
   * its captured length, or -1 when the queue is empty.
   */
  shift(dst: Buffer, p: {tsSec: number; tsNsec: number; origLen: number}): number {
    let b = this.blocks[0]
    // A block read to its end goes back to the free list once the writer has moved on.
    while (b !== undefined && b.readPos === b.end && b !== this.writing) {
      this.blocks.shift()
      b.end = b.readPos = 0
      this.free.push(b)
      b = this.blocks[0]
    }
    if (b === undefined || b.readPos === b.end) return -1
    const w = b.readPos >>> 2
    const n = b.u32[w + 2]
    p.tsSec = b.u32[w]
    p.tsNsec = b.u32[w + 1]
    p.origLen = b.u32[w + 3]
    const from = b.readPos + RECORD_HEADER
    b.buf.copy(dst, 0, from, from + n)
    b.readPos += recordBytes(n)
    this.length--
    return n
  }
}

interface QueueBlock {
  buf: Buffer
  /** The same memory as u32 (host order): record headers are read through it. */
  u32: Uint32Array
  /** Where the writer writes next. */
  end: number
  readPos: number
}

function newBlock(bytes: number): QueueBlock {
  const buf = Buffer.alloc((bytes + 3) & ~3)
  return {buf, u32: new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2), end: 0, readPos: 0}
}
