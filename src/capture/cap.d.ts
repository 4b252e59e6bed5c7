/**
 * The parts of the `cap` npm package (0.2.1, an optional native dependency) that pbx uses. Types
 * only: src/capture/live.ts loads the module lazily with createRequire, so nothing else ever loads
 * the native build. Behaviour below is read from cap's src/binding.cc.
 */
import type {EventEmitter} from 'node:events'

export interface CapAddress {
  addr?: string
  netmask?: string
  broadaddr?: string
  dstaddr?: string
}

export interface CapDevice {
  name: string
  description?: string
  /** IPv4 and IPv6 addresses only. */
  addresses: CapAddress[]
  flags?: 'PCAP_IF_LOOPBACK'
}

/**
 * One capture handle. open() runs pcap_create/pcap_activate/pcap_setfilter synchronously and
 * throws an Error with libpcap's message (pcap_geterr) when any step fails; it returns the link
 * type as a name ('ETHERNET', 'NULL', 'RAW', 'LINKTYPE_LINUX_SLL', 'IEEE802_11_RADIO') or
 * 'Unknown linktype N' with the DLT number. Packets are then emitted as 'packet' events from a
 * libuv poll callback, one pcap_dispatch() at a time: the packet's bytes are copied into the
 * `buffer` given to open() (the same buffer every time, so valid only during the event), and the
 * pcap header (timestamp, original length) is NOT passed on. There is no binding for pcap_stats.
 */
export interface CapHandle extends EventEmitter {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string
  /** Stops capturing; safe inside a 'packet' listener (libpcap closes after the dispatch loop). */
  close(): boolean
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this
  /** Not in cap 0.2.1; used when a build provides it (pcap_stats). */
  stats?: () => {ps_recv: number; ps_drop: number; ps_ifdrop: number}
}

export interface CapModule {
  Cap: {
    new (): CapHandle
    deviceList(): CapDevice[]
    findDevice(ip?: string): string | undefined
  }
}
