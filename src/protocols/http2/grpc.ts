/**
 * gRPC message framing inside the DATA of one stream direction (gRPC over HTTP/2,
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): each message is a 1-byte
 * compressed flag, a 4-byte big-endian length and that many bytes. Messages may span DATA frames
 * and a frame may hold several messages, so the counter is a small state machine fed with every
 * DATA fragment in order. Only counts and sizes are kept, never message bytes.
 */

export class GrpcCounter {
  messages = 0
  /** Sum of the message lengths (without the 5-byte prefixes). */
  bytes = 0
  compressed = 0
  /** Prefix bytes still to read (5 at a message boundary) and the prefix read so far. */
  private prefixLeft = 5
  private len = 0
  /** Message bytes still to skip. */
  private bodyLeft = 0

  push(p: Buffer, start: number, end: number): void {
    let i = start
    while (i < end) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, end - i)
        this.bodyLeft -= n
        i += n
        continue
      }
      const b = p[i++]!
      if (this.prefixLeft === 5) {
        if (b & 1) this.compressed++
        this.len = 0
      } else {
        this.len = this.len * 256 + b
      }
      if (--this.prefixLeft === 0) {
        this.messages++
        this.bytes += this.len
        this.bodyLeft = this.len
        this.prefixLeft = 5
      }
    }
  }

  /** Whether the data ended inside a message (a truncated last message). */
  get partial(): boolean {
    return this.bodyLeft > 0 || this.prefixLeft !== 5
  }
}

/** Service and method of a gRPC `:path` ("/package.Service/Method"); null when it is not one. */
export function splitGrpcPath(path: string): [string, string] | null {
  if (path.length < 4 || path.charCodeAt(0) !== 0x2f) return null
  const slash = path.indexOf('/', 1)
  if (slash <= 1 || slash === path.length - 1 || path.indexOf('/', slash + 1) >= 0) return null
  return [path.slice(1, slash), path.slice(slash + 1)]
}

/** grpc-message is percent-encoded (PROTOCOL-HTTP2.md); undecodable text is kept as sent. */
export function decodeGrpcMessage(s: string): string {
  if (s.indexOf('%') < 0) return s
  try {
    return decodeURIComponent(Buffer.from(s, 'latin1').toString('utf8'))
  } catch {
    return s
  }
}
