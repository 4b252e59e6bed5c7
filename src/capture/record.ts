/**
 * RecordPacket: the one Packet object a CaptureParser reuses for every record (contract in
 * ./types.ts). Besides the Packet fields it says where the record's bytes lie without making a view
 * of them: buf[start, start + caplen), where buf is the pushed chunk or the parser's scratch buffer
 * (valid only during the sink call, like `data`). `data`, the Buffer view of the contract, is made
 * on first access only, so a sink that reads the record in place (the Decoder) saves one Buffer
 * object per packet; any other sink sees an ordinary Packet.
 */
import type {Packet} from './types.js'

const EMPTY = Buffer.alloc(0)

export class RecordPacket implements Packet {
  frame = 0
  tsSec = 0
  tsNsec = 0
  linkType = 0
  origLen = 0
  offset = 0
  /** The buffer holding the record's bytes, at [start, start + caplen). */
  buf: Buffer = EMPTY
  start = 0
  caplen = 0
  private view: Buffer | null = EMPTY

  /** Points the packet at a record's bytes (framers call this once per record). */
  setBytes(buf: Buffer, start: number, caplen: number): void {
    this.buf = buf
    this.start = start
    this.caplen = caplen
    this.view = null
  }

  get data(): Buffer {
    if (this.view === null) this.view = this.buf.subarray(this.start, this.start + this.caplen)
    return this.view
  }

  set data(b: Buffer) {
    this.buf = b
    this.start = 0
    this.caplen = b.length
    this.view = b
  }
}
