/**
 * A growable byte arena for outputs that keep serialised records as views until a server took
 * them (Elasticsearch bulk bodies, ClickHouse rows): begin(), writes through room(n) / arena / pos
 * (the ByteSink shape JsonBytes and TextWriter share), then record() returns the record's bytes as
 * a view. Bytes once written are never overwritten: when an arena is full a fresh one is taken and
 * the record's start is copied over, so every view handed out stays valid; an arena is freed by the
 * GC once no view of it is left (memory is bounded by the records the caller still holds).
 */

/** Where a serialiser writes bytes: guarantee room(n), write arena[pos..pos+n), advance pos. */
export interface ByteSink {
  arena: Buffer
  pos: number
  room(n: number): void
}

const ARENA_BYTES = 1024 * 1024

export class ByteArena implements ByteSink {
  arena: Buffer = Buffer.allocUnsafe(ARENA_BYTES)
  pos = 0
  private recordStart = 0

  /** Starts a record at the current position. */
  begin(): void {
    this.recordStart = this.pos
  }

  room(n: number): void {
    if (this.pos + n <= this.arena.length) return
    const old = this.arena
    const len = this.pos - this.recordStart
    this.arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, 2 * (len + n)))
    old.copy(this.arena, 0, this.recordStart, this.pos)
    this.recordStart = 0
    this.pos = len
  }

  /** Copies `b` in. */
  bytes(b: Uint8Array): void {
    this.room(b.length)
    this.arena.set(b, this.pos)
    this.pos += b.length
  }

  /** Encodes `s` as UTF-8. */
  text(s: string): void {
    this.room(s.length * 3)
    this.pos += this.arena.write(s, this.pos)
  }

  /** The bytes written since begin(), as a view (valid for good, see the module comment). */
  record(): Buffer {
    const b = this.arena.subarray(this.recordStart, this.pos)
    this.recordStart = this.pos
    return b
  }

  /** Drops the bytes written since begin(). */
  abort(): void {
    this.pos = this.recordStart
  }
}
