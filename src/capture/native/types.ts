/**
 * The API of pbx's libpcap binding (pcap_binding.c, built to build/Release/pbx_pcap.node by
 * build.cjs). Types only: src/capture/live.ts loads the addon lazily with createRequire, so nothing
 * else ever loads it. Semantics are stated in pcap_binding.c's header comment.
 */

export interface PcapAddress {
  addr: string
  netmask?: string
  broadaddr?: string
  dstaddr?: string
}

export interface PcapDevice {
  name: string
  description?: string
  /** IPv4 and IPv6 addresses only. */
  addresses: PcapAddress[]
  loopback: boolean
  up: boolean
  running: boolean
}

export interface PcapOpenOptions {
  /** pcap_set_snaplen (1..262144). */
  snaplen: number
  /** pcap_set_promisc. */
  promisc: boolean
  /** pcap_set_immediate_mode (on Linux: TPACKET_V2, one snaplen-sized slot per packet). */
  immediate: boolean
  /** pcap_set_buffer_size, bytes. */
  bufferSize: number
  /** pcap_set_timeout, ms (on Linux with TPACKET_V3: how long a partly filled block waits). */
  timeoutMs: number
  /** Ask for nanosecond timestamps (pcap_set_tstamp_precision); `Pcap.nano` says what was granted. */
  nano: boolean
}

/** Errors thrown by the binding carry one of these codes and libpcap's text as the message. */
export type PcapErrorCode = 'PERM' | 'NODEV' | 'FILTER' | 'PCAP'

export interface PcapHandle {
  /** Timestamps are nanoseconds (else microseconds, written as nanoseconds). */
  readonly nano: boolean
  /** The snapshot length in force: no record's captured length exceeds it. */
  readonly snaplen: number
  setFilter(expression: string): void
  /** DLT_* of the handle. */
  datalink(): number
  /** Where the next records are written: `buf` from `offset` on (the binding references `buf`). */
  setBuffer(buf: Buffer, offset: number): void
  /** Starts polling; `onBatch` runs once per wakeup with the records written and the offset after them. */
  start(onBatch: (packets: number, end: number, error?: string) => void): void
  stats(): {recv: number; drop: number; ifdrop: number}
  /** Idempotent; allowed inside onBatch. */
  close(): void
}

export interface PcapModule {
  Pcap: new (device: string, options: PcapOpenOptions) => PcapHandle
  findAllDevs(): PcapDevice[]
  libVersion(): string
}

/** Bytes of a record's header: seconds, nanoseconds, captured length, original length (u32 each, host order). */
export const RECORD_HEADER = 16

/** The bytes a record of `caplen` captured bytes takes (header, data padded to 4). */
export function recordBytes(caplen: number): number {
  return RECORD_HEADER + ((caplen + 3) & ~3)
}
