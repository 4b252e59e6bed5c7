/**
 * A live capture source on libpcap, through the optional native `cap` package (`pbx live`).
 *
 * Loading: `cap` is loaded lazily, with createRequire, the first time a LiveSource checks, reads
 * or lists interfaces, so `pbx analyze` never loads it and a machine without its native build runs
 * everything else. A missing build is a LiveError of kind 'not-built'.
 *
 * Contract (see ./source.ts): check() opens the interface once (with the BPF filter) and closes
 * it again, so that a missing build, missing privileges, an unknown interface or an invalid filter
 * are reported before any output is opened; probe() reports the same as a CaptureError. read()
 * opens the interface again, calls ctx.onInfo, prints nothing, and delivers every packet libpcap
 * hands over to the sink, one at a time, in arrival order; the Packet object and its bytes (a view
 * of one reused buffer) are valid only during the call.
 *
 * Receive queue: cap's packet callback only stamps the packet and copies it, packed, into a
 * PacketQueue (blocks of QUEUE_BLOCK_BYTES, reused); the pipeline runs over the queue in passes of
 * at most PASS_MS of wall time between reads of libpcap. libpcap's ring has one 64 KiB slot per
 * packet on lo (snaplen 65535, immediate mode: a 32 MiB ring holds ~500 packets, a few ms at
 * 100,000 packets/s), so handling each packet inside the callback lost packets whenever the
 * pipeline paused for longer than that; the queue holds ~100,000 typical packets in 64 MiB. While
 * ctx.afterChunk's promise is pending (outputs blocked) the pipeline waits and the queue absorbs
 * the packets; when the queue is full, arriving packets are dropped and counted in
 * stats.liveQueueDropped (pbx's own drops, shown in the summary). ctx.afterChunk is called every
 * CHUNK_MS of wall time while packets arrive. read() resolves with the CaptureInfo right after the --count-th
 * packet, or when stop() is called (SIGINT, --duration elapsed, every output's reader gone) and
 * the packets libpcap already holds have been read (see stop()).
 *
 * Clock: cap's 'packet' event does not pass libpcap's pcap_pkthdr (cap 0.2.1, src/binding.cc,
 * EmitPacket copies the bytes and emits (caplen, truncated) only), so the kernel timestamp is out
 * of reach. This is the one place in pbx where the capture clock is the receipt time: each packet
 * is stamped when its event reaches JavaScript, with the wall clock read once at open and advanced
 * by the monotonic high-resolution clock (performance.now(), the clock behind process.hrtime), in
 * nanoseconds; stamps never go backwards. The original length is not passed on either: origLen is
 * the captured length (libpcap's snaplen here is cap's fixed 65535 bytes).
 *
 * Drops: cap 0.2.1 has no binding for pcap_stats, so packets the kernel dropped because pbx did
 * not read them in time (ps_drop) are reported as `stats.liveDropped` only when the binding offers
 * a stats() method, and stay null ("not reported") otherwise. Packets the interface dropped are
 * read as libpcap itself computes ps_ifdrop on Linux: the change of rx_missed_errors +
 * rx_fifo_errors in /sys/class/net/IF/statistics over the capture (`stats.liveIfDropped`; null
 * where that is not readable, e.g. the `any` device).
 */
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {performance} from 'node:perf_hooks'
import type {CapDevice, CapHandle, CapModule} from './cap.js'
import type {PcapngWriter} from './pcapng-writer.js'
import type {CaptureSource, SourceContext} from './source.js'
import {CaptureError, type CaptureInfo, LinkType, type Packet, type PacketSink} from './types.js'

/** cap's fixed snaplen (pcap_set_snaplen(65535) in its open()); also the size of our buffer. */
export const LIVE_SNAPLEN = 65535
/** Default libpcap buffer (pcap_set_buffer_size): room for bursts while JavaScript is busy. */
export const LIVE_BUFFER_BYTES = 128 * 1024 * 1024
/** libpcap buffer of the handle check() opens and closes again. */
const CHECK_BUFFER_BYTES = 1024 * 1024
/** How long stop() keeps reading what libpcap already holds before it closes the handle. */
const STOP_DRAIN_MS = 20
/** Wall-clock period of ctx.afterChunk during a live capture. */
const CHUNK_MS = 50
/** Receive queue: packets copied out of libpcap's ring wait here, packed, in blocks of this size. */
const QUEUE_BLOCK_BYTES = 4 * 1024 * 1024
/** Records per queue block at most (small packets). */
const QUEUE_BLOCK_RECORDS = 32 * 1024
/** Queue blocks at most (64 MiB of packets): past that, arriving packets are dropped and counted. */
const QUEUE_BLOCKS = 16
/** Wall-clock budget of one pass of the pipeline over queued packets before libpcap is read again. */
const PASS_MS = 2

export const CAP_NOT_BUILT = 'live capture needs the optional native module "cap", which is not built here: install libpcap-dev (Debian/Ubuntu; libpcap-devel on Fedora) and run `npm rebuild cap`'
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

let capModule: CapModule | null = null
let capLoadError: string | null = null

/**
 * Loads `cap` once (its native build); throws LiveError('not-built') when it is missing. The
 * environment variable PBX_CAP_MODULE names another module with the same API instead (tests use
 * it to stand in for a missing build).
 */
export function loadCap(): CapModule {
  if (capModule !== null) return capModule
  if (capLoadError === null) {
    try {
      capModule = createRequire(import.meta.url)(process.env.PBX_CAP_MODULE || 'cap') as CapModule
      return capModule
    } catch (e) {
      capLoadError = (e as Error).message.split('\n')[0]
    }
  }
  throw new LiveError(`${CAP_NOT_BUILT} (${capLoadError})`, 'not-built')
}

/** The interfaces libpcap can open (pcap_findalldevs). Throws LiveError when cap is missing. */
export function listInterfaces(): CapDevice[] {
  const cap = loadCap()
  try {
    return cap.Cap.deviceList()
  } catch (e) {
    throw new LiveError(`cannot list interfaces: ${(e as Error).message}`, 'open')
  }
}

/** One line per interface: name, addresses, description (the `--list` format). */
export function formatInterfaces(devs: readonly CapDevice[]): string {
  const width = Math.max(4, ...devs.map((d) => d.name.length))
  return devs
    .map((d) => {
      const addrs = d.addresses.map((a) => a.addr).filter((a): a is string => a !== undefined)
      const desc = [d.flags === 'PCAP_IF_LOOPBACK' ? 'loopback' : '', d.description ?? ''].filter(Boolean).join(', ')
      return `${d.name.padEnd(width)}  ${addrs.length > 0 ? addrs.join(' ') : '-'}${desc ? `  (${desc})` : ''}`
    })
    .join('\n')
}

/** cap's link type name (or "Unknown linktype N" with the DLT) as a LINKTYPE_* number. */
export function linkTypeOf(name: string): number {
  switch (name) {
    case 'ETHERNET':
      return LinkType.ETHERNET
    case 'NULL':
      return LinkType.NULL
    case 'RAW':
      return LinkType.RAW
    case 'LINKTYPE_LINUX_SLL':
      return LinkType.LINUX_SLL
    case 'IEEE802_11_RADIO':
      return 127
  }
  const m = /^Unknown linktype (\d+)$/.exec(name)
  // DLT and LINKTYPE numbers agree except for a few legacy values; DLT_RAW (12/14 on some
  // systems) is decoded under either number.
  return m ? Number(m[1]) : -1
}

/** Sum of the interface-drop counters libpcap uses for ps_ifdrop on Linux, or null. */
function interfaceDrops(device: string): number | null {
  if (!/^[\w.:@-]+$/.test(device)) return null
  let total = 0
  for (const stat of ['rx_missed_errors', 'rx_fifo_errors']) {
    try {
      total += Number.parseInt(readFileSync(`/sys/class/net/${device}/statistics/${stat}`, 'utf8'), 10) || 0
    } catch {
      return null
    }
  }
  return total
}

/**
 * Every cap handle pbx creates stays reachable until the process ends, and one whose open() threw
 * is never closed. cap 0.2.1 (src/binding.cc) never uv_close()s its poll watcher: close() only
 * stops it, so when a closed handle is garbage-collected its memory is freed while libuv still
 * links the watcher into the loop's handle queue, and the heap is corrupted later (seen as a
 * segfault under load). After an open() that failed past pcap_create (activate, filter) the watcher
 * was never initialised, and close() or the destructor would stop garbage and crash at once. A
 * process opens at most two handles (check and read), so keeping them costs nothing.
 */
const pinnedHandles: CapHandle[] = []

function newHandle(cap: CapModule): CapHandle {
  const h = new cap.Cap()
  pinnedHandles.push(h)
  return h
}

/** Classifies libpcap's open() error into the message pbx shows. */
function openError(device: string, e: unknown, cap: CapModule): LiveError {
  const msg = (e as Error).message ?? String(e)
  if (/permission|not permitted|EPERM|EACCES/i.test(msg)) return new LiveError(`${device}: ${NEEDS_PRIVILEGE} (libpcap: ${msg})`, 'permission')
  if (/no such device|doesn't exist|does not exist|ENODEV|ENXIO/i.test(msg)) return noDevice(device, cap)
  if (/syntax error|filter|parse|expression/i.test(msg)) return new LiveError(`--filter: ${msg}`, 'filter')
  return new LiveError(`${device}: cannot capture: ${msg}`, 'open')
}

function noDevice(device: string, cap: CapModule): LiveError {
  let names = ''
  try {
    names = cap.Cap.deviceList()
      .map((d) => d.name)
      .join(', ')
  } catch {
    // listing needs the same privileges; the short message stands
  }
  return new LiveError(`no such interface "${device}"${names ? `; available: ${names}` : ''} (see \`pbx live --list\`)`, 'no-device')
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
      const cap = loadCap()
      const devices = cap.Cap.deviceList()
      if (!devices.some((d) => d.name === this.opts.device)) {
        this.checked = noDevice(this.opts.device, cap)
        return this.checked
      }
      const h = newHandle(cap)
      try {
        // A small buffer: this handle only validates (a large ring takes the kernel seconds to set up).
        this.linkType = linkTypeOf(h.open(this.opts.device, this.opts.filter ?? '', CHECK_BUFFER_BYTES, Buffer.alloc(64)))
        h.close()
      } catch (e) {
        // never close() a handle whose open() failed (see pinnedHandles)
        this.checked = openError(this.opts.device, e, cap)
      }
    } catch (e) {
      this.checked = e instanceof LiveError ? e : new LiveError(String(e), 'open')
    }
    return this.checked
  }

  probe(): CaptureError | null {
    const e = this.check()
    return e === null ? null : new CaptureError(this.name, 0, e.message, 'io')
  }

  private bufferBytes(): number {
    return this.opts.bufferBytes ?? LIVE_BUFFER_BYTES
  }

  read(sink: PacketSink, ctx: SourceContext): Promise<CaptureInfo | null> {
    const err = this.check()
    if (err !== null) return Promise.reject(new CaptureError(this.name, 0, err.message, 'io'))
    if (this.stopped) return Promise.resolve(null)
    const cap = loadCap()
    const handle = newHandle(cap)
    const buf = Buffer.alloc(LIVE_SNAPLEN)
    let linkType: number
    try {
      linkType = linkTypeOf(handle.open(this.opts.device, this.opts.filter ?? '', this.bufferBytes(), buf))
    } catch (e) {
      return Promise.reject(new CaptureError(this.name, 0, openError(this.opts.device, e, cap).message, 'io'))
    }
    const info: CaptureInfo = {format: 'live', gzip: false, precision: 'ns', linkTypes: [linkType], snaplen: LIVE_SNAPLEN}
    ctx.onInfo(info)
    const stats = ctx.stats
    const ifDrops0 = interfaceDrops(this.opts.device)
    const tee = this.tee
    const limit = this.opts.count ?? Number.POSITIVE_INFINITY
    const p: Packet = {frame: 0, tsSec: 0, tsNsec: 0, linkType, data: buf, origLen: 0, offset: 0}
    // One view of `buf` per packet length seen, made once and reused: no allocation per packet.
    const views: (Buffer | undefined)[] = new Array(LIVE_SNAPLEN + 1)

    // The clock (see the file comment): wall time at open, advanced by the monotonic clock.
    const wall0 = Date.now()
    const mono0 = performance.now()
    const baseSec = Math.floor(wall0 / 1000)
    const baseNs = (wall0 - baseSec * 1000) * 1e6

    // "Chunks" of a live capture are wall-clock slices: afterChunk runs every CHUNK_MS when packets
    // arrived, never per packet or per poll wakeup (on a quiet link each packet is its own wakeup).
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

    const queue = new PacketQueue()
    let scheduled = false
    const out = Buffer.alloc(LIVE_SNAPLEN)
    /** Hands the oldest queued packet to the pipeline; false when the queue is empty or --count was reached. */
    const deliverOne = (): boolean => {
      if (p.frame >= limit) return false
      const n = queue.shift(out, p)
      if (n < 0) return false
      p.frame++
      p.data = views[n] ??= out.subarray(0, n)
      p.origLen = n
      stats.packets++
      stats.bytes += n
      bytes += n
      if (tee !== null) tee.packet(p.tsSec, p.tsNsec, p.data, n)
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

    return new Promise<CaptureInfo | null>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const chunks = setInterval(endOfChunk, CHUNK_MS)
      chunks.unref()
      this.finish = () => {
        if (timer !== undefined) clearTimeout(timer)
        clearInterval(chunks)
        try {
          const st = handle.stats?.()
          if (st !== undefined) {
            stats.liveDropped = (stats.liveDropped ?? 0) + st.ps_drop
            if (ifDrops0 === null) stats.liveIfDropped = (stats.liveIfDropped ?? 0) + st.ps_ifdrop
          }
        } catch {
          // statistics are best effort; the capture itself is complete
        }
        handle.close()
        deliverRest()
        const ifDrops1 = ifDrops0 === null ? null : interfaceDrops(this.opts.device)
        if (ifDrops0 !== null && ifDrops1 !== null) stats.liveIfDropped = (stats.liveIfDropped ?? 0) + Math.max(0, ifDrops1 - ifDrops0)
        tee?.flush()
        resolve(info)
      }
      handle.on('packet', (nbytes: number) => {
        if (this.stopped) return
        const ns = baseNs + Math.round((performance.now() - mono0) * 1e6)
        const carry = Math.floor(ns / 1e9)
        if (!queue.push(buf, nbytes, baseSec + carry, ns - carry * 1e9)) stats.liveQueueDropped++
        else if (!scheduled && !draining) {
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
   * STOP_DRAIN_MS later (one more poll of its buffer), and nothing is lost to the stop itself.
   * Idempotent; before read() it makes read() resolve at once.
   */
  stop(): void {
    if (this.stopped || this.stopping) return
    this.stopping = true
    if (this.finish === null) this.stopped = true
    else setTimeout(() => this.end(), STOP_DRAIN_MS)
  }

  /** Closes the handle now (--count reached, or after stop()'s drain). */
  private end(): void {
    if (this.stopped) return
    this.stopped = true
    const f = this.finish
    this.finish = null
    f?.()
  }
}

/**
 * Packets waiting between libpcap and the pipeline (see the file comment): bytes packed into
 * blocks of QUEUE_BLOCK_BYTES with their lengths and times alongside, first in first out. Blocks
 * are allocated once and reused; at most QUEUE_BLOCKS exist, after which push() refuses.
 */
export class PacketQueue {
  private readonly blocks: QueueBlock[] = []
  private readonly free: QueueBlock[] = []
  private total = 0
  length = 0

  constructor(
    private readonly maxBlocks = QUEUE_BLOCKS,
    private readonly blockBytes = QUEUE_BLOCK_BYTES,
  ) {}

  /** Copies src[0, n) in with its time; false (nothing kept) when the queue is full. */
  push(src: Buffer, n: number, sec: number, nsec: number): boolean {
    let b = this.blocks.length > 0 ? this.blocks[this.blocks.length - 1] : undefined
    if (b === undefined || b.pos + n > b.buf.length || b.count === b.lens.length) {
      b = this.free.pop()
      if (b === undefined) {
        if (this.total >= this.maxBlocks) return false
        this.total++
        b = newBlock(Math.max(this.blockBytes, n))
      }
      this.blocks.push(b)
    }
    src.copy(b.buf, b.pos, 0, n)
    const i = b.count++
    b.lens[i] = n
    b.secs[i] = sec
    b.nsecs[i] = nsec
    b.pos += n
    this.length++
    return true
  }

  /** Moves the oldest packet's bytes to dst (its time to p); returns its length, or -1 when empty. */
  shift(dst: Buffer, p: {tsSec: number; tsNsec: number}): number {
    let b = this.blocks[0]
    // A block read to its end goes back to the free list once a later block takes the packets.
    while (b !== undefined && b.read === b.count && this.blocks.length > 1) {
      this.recycle()
      b = this.blocks[0]
    }
    if (b === undefined || b.read === b.count) return -1
    const i = b.read++
    const n = b.lens[i]
    b.buf.copy(dst, 0, b.readPos, b.readPos + n)
    b.readPos += n
    p.tsSec = b.secs[i]
    p.tsNsec = b.nsecs[i]
    this.length--
    if (b.read === b.count) {
      if (this.blocks.length > 1) this.recycle()
      else b.pos = b.readPos = b.count = b.read = 0
    }
    return n
  }

  private recycle(): void {
    const b = this.blocks.shift()!
    b.pos = b.readPos = b.count = b.read = 0
    this.free.push(b)
  }
}

interface QueueBlock {
  buf: Buffer
  pos: number
  readPos: number
  count: number
  read: number
  lens: Uint32Array
  secs: Float64Array
  nsecs: Uint32Array
}

function newBlock(bytes: number): QueueBlock {
  return {
    buf: Buffer.allocUnsafe(bytes),
    pos: 0,
    readPos: 0,
    count: 0,
    read: 0,
    lens: new Uint32Array(QUEUE_BLOCK_RECORDS),
    secs: new Float64Array(QUEUE_BLOCK_RECORDS),
    nsecs: new Uint32Array(QUEUE_BLOCK_RECORDS),
  }
}
