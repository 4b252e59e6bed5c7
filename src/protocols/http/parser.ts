/**
 * HTTP/1.x message parser (RFC 9112), push-style and incremental: one HttpParser per direction of
 * a connection (requests on dir 0, responses on dir 1). Bytes may be split at any offset; the
 * result does not depend on where.
 *
 * Call contract (mirrors the StreamHandler contract of ../../reassembly/types.ts):
 *   push(bytes, at)  zero or more times, bytes in stream order;
 *   gap(n)           where n bytes of the stream are missing;
 *   end(reason)      exactly once, last. Nothing is called after end().
 * `bytes` is a view valid only during push(): the parser copies only what must outlive the call
 * (a start line + header section that spans several calls, into one reusable per-parser buffer
 * bounded by limits.maxHeaderBytes). `at` is a reused Moment; its numbers are copied.
 *
 * Output goes to ParserHooks: onHead() when a message's header section is complete (before any
 * body byte), onMessage() when the message is complete (or cut short: see its notes). Bodies are
 * counted, never stored; a gzip/deflate body is streamed through a counter to learn its decoded size.
 *
 * Tokens (method, header names) are ASCII and decoded as latin1. Text (request-target, status
 * phrase, header values) is decoded as UTF-8 with every byte that is not well-formed UTF-8 written
 * as \xNN (../shared/text.ts): any byte sequence from the wire maps to a string, visibly, without
 * U+FFFD loss, exceptions or Latin-1 mojibake. No regular expression is applied to wire data.
 *
 * Anomalies never throw: they increment ctx.stats.bad('http: <reason>') and leave a note on the
 * message concerned (or, when that message was dropped, on the next message of this direction).
 */
import type {Limits} from '../../limits.js'
import type {Stats} from '../../stats.js'
import type {EndReason, Moment} from '../../reassembly/types.js'
import {type AnomalyCode, hasNote, type Note, note} from '../../event/anomalies.js'
import {codingOf, DecodedCounter} from './inflate.js'
import {utf8Escaped} from '../shared/text.js'

const GAP_IN_BODY = note('tcp.gap', 'gap in body')

const LF = 0x0a
const CR = 0x0d
const SP = 0x20
const HT = 0x09

enum St {
  /** Between messages: skipping empty lines (RFC 9112 §2.2), waiting for a start line. */
  Start,
  /** Inside a start line + header section. */
  Head,
  /** Discarding the rest of a line (after an over-long head), then back to Start. */
  SkipLine,
  /** Content-Length body: `remaining` bytes left. */
  BodyLen,
  /** Chunked body (RFC 9112 §7.1): chunk-size [chunk-ext] CRLF. */
  ChunkSize,
  /** Chunk data: `remaining` bytes left. */
  ChunkData,
  /** The CRLF that ends chunk data. */
  ChunkCrlf,
  /** Trailer section after the last chunk (RFC 9112 §7.1.2), up to an empty line. */
  Trailer,
  /** Response body delimited by the connection close (RFC 9112 §6.3 rule 8). */
  BodyClose,
  /** After a CONNECT request: bytes wait for the response to decide tunnel or not; not parsed. */
  Hold,
  /** Tunnel (CONNECT 2xx) or switched protocol (101): bytes are no longer HTTP; not parsed. */
  Tunnel,
}

const HTTP_SLASH = Buffer.from('HTTP/', 'latin1')

/** Whether the bytes at `pos` are (a prefix of, if fewer) "HTTP/": a status line may follow. */
function statusLinePrefix(d: Buffer, pos: number): boolean {
  const n = Math.min(5, d.length - pos)
  for (let i = 0; i < n; i++) if (d[pos + i] !== HTTP_SLASH[i]) return false
  return true
}

/**
 * Request methods known to pbx (RFC 9110 §9, WebDAV, common extensions): used by detection, and
 * to accept a request line whose version is missing or malformed (unknown tokens are not taken for
 * a request then).
 */
export const METHODS: ReadonlySet<string> = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH',
  'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH', 'MKACTIVITY', 'CHECKOUT', 'MERGE', 'PURGE',
  'LINK', 'UNLINK', 'MKCALENDAR', 'ACL', 'BIND', 'REBIND', 'UNBIND', 'VERSION-CONTROL', 'QUERY',
  'CCM_POST', // Cisco CallManager
])

enum Line {
  Bad,
  Ok,
  Simple,
}

export interface HttpHeader {
  /** Lower-cased field name. */
  name: string
  /** Field value with surrounding whitespace removed; obs-fold continuations joined by one SP. */
  value: string
}

/**
 * The header fields anything in pbx reads (HttpMessage.header() in the matcher, body framing in
 * this parser). Unless the parser keeps all headers (send_headers), only these become strings: the
 * others are recognised from their bytes and skipped. A new header() lookup must add its name here.
 */
export const USED_HEADERS: readonly string[] = [
  'host',
  'user-agent',
  'referer',
  'authorization',
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'upgrade',
]

/**
 * Strings looked up by their bytes, so that a token seen on the wire costs no decode nor string:
 * by length, the candidate strings and their latin1 bytes (lower-cased when `fold`).
 */
interface TextTable {
  readonly fold: boolean
  readonly names: (string[] | undefined)[]
  readonly bytes: (Buffer[] | undefined)[]
}

function textTable(list: Iterable<string>, fold: boolean): TextTable {
  const names: string[][] = []
  const bytes: Buffer[][] = []
  for (const n of list) {
    const k = fold ? n.toLowerCase() : n
    ;(names[k.length] ??= []).push(k)
    ;(bytes[k.length] ??= []).push(Buffer.from(k, 'latin1'))
  }
  return {fold, names, bytes}
}

/**
 * The string of `t` that v[s, e) spells, or null. With t.fold, ASCII letters compare
 * case-insensitively, which for latin1 text is what toLowerCase() compares: no other latin1
 * character lower-cases into ASCII.
 */
function knownText(t: TextTable, v: Buffer, s: number, e: number): string | null {
  const cands = t.bytes[e - s]
  if (cands === undefined) return null
  const n = e - s
  next: for (let c = 0; c < cands.length; c++) {
    const want = cands[c]
    for (let i = 0; i < n; i++) {
      let b = v[s + i]
      if (t.fold && b >= 0x41 && b <= 0x5a) b |= 0x20
      if (b !== want[i]) continue next
    }
    return t.names[n]![c]
  }
  return null
}

const USED_TEXT = textTable(USED_HEADERS, true)
const USED_SET: ReadonlySet<string> = new Set(USED_HEADERS)

/** The USED_HEADERS name that v[s, e) spells (ASCII case-insensitively), or null. */
function usedHeader(v: Buffer, s: number, e: number): string | null {
  return knownText(USED_TEXT, v, s, e)
}

/** Field names common enough that their lower-cased strings are kept ready (send_headers). */
const COMMON_TEXT = textTable(
  [
    ...USED_HEADERS,
    'accept', 'accept-encoding', 'accept-language', 'accept-ranges', 'age', 'cache-control', 'connection', 'cookie',
    'date', 'etag', 'expires', 'keep-alive', 'last-modified', 'location', 'origin', 'pragma', 'server', 'set-cookie',
    'vary', 'via', 'x-forwarded-for', 'x-real-ip', 'x-powered-by', 'x-request-id', 'content-language',
    'access-control-allow-origin', 'strict-transport-security', 'if-modified-since', 'if-none-match', 'range',
    'content-range', 'proxy-authorization', 'www-authenticate', 'dnt', 'upgrade-insecure-requests',
  ],
  true,
)

/** Lower-cased field name of v[s, e) (latin1). */
function headerName(v: Buffer, s: number, e: number): string {
  return knownText(COMMON_TEXT, v, s, e) ?? v.toString('latin1', s, e).toLowerCase()
}

/** Method tokens (case-sensitive, RFC 9110 §9.1). */
const METHOD_TEXT = textTable(METHODS, false)

/** Reason phrases common enough to be kept ready (RFC 9110 §15). */
const PHRASE_TEXT = textTable(
  [
    'OK', 'Created', 'Accepted', 'No Content', 'Partial Content', 'Moved Permanently', 'Found', 'See Other',
    'Not Modified', 'Temporary Redirect', 'Permanent Redirect', 'Bad Request', 'Unauthorized', 'Forbidden',
    'Not Found', 'Method Not Allowed', 'Conflict', 'Gone', 'Too Many Requests', 'Internal Server Error',
    'Not Implemented', 'Bad Gateway', 'Service Unavailable', 'Gateway Timeout', 'Continue', 'Switching Protocols',
  ],
  false,
)

/** One HTTP message. Allocated once per message (never per packet); owned by the hooks after onMessage. */
export class HttpMessage {
  method = ''
  /** Request-target as sent (UTF-8, invalid bytes as \xNN). */
  target = ''
  /** '1.0', '1.1' (from HTTP/x.y). */
  version = ''
  statusCode = 0
  statusPhrase = ''
  /** The header fields in order: all of them, or only USED_HEADERS (see HttpParser's keepAllHeaders). */
  readonly headers: HttpHeader[] = []
  /** Content-Length when present and valid, else -1. */
  contentLength = -1
  /** Bytes of the message on the wire: start line + headers + body framing + body + trailers. */
  bytes = 0
  /** Body bytes on the wire after de-chunking (and before content decoding); gaps not included. */
  bodyBytes = 0
  /** Decoded body size for gzip/deflate bodies, -1 when not decoded. */
  decodedBytes = -1
  notes: Note[] | null = null
  /** The message ended cleanly (false when cut by a gap, a bound or the connection end). */
  complete = false
  /** The response switched the connection away from HTTP (101, CONNECT 2xx). */
  tunnel = false
  /** An HTTP/0.9 simple response (RFC 1945 §6): no status line nor headers; statusCode stays 0. */
  simple = false
  /** Start line + header section as sent (latin1), only when the CapturePolicy keeps heads. */
  head: string | null = null
  /** Copies of the body bytes kept (de-chunked, still content-coded), only when the policy asked. */
  bodyParts: Buffer[] | null = null
  /** Body bytes that may still be kept. */
  bodyKeep = 0
  /** Body bytes were seen beyond what was kept (or lost in a gap): the kept body is partial. */
  bodyCut = false
  startSec = 0
  startNsec = 0
  startFrame = 0
  endSec = 0
  endNsec = 0
  endFrame = 0

  constructor(readonly isRequest: boolean) {}

  /** First value of a header (names are lower-case); undefined when absent. */
  header(name: string): string | undefined {
    for (const h of this.headers) if (h.name === name) return h.value
    return undefined
  }

  /** Adds `n` unless a note with its text is already there. */
  note(n: Note): void {
    if (this.notes === null) this.notes = [n]
    else if (!hasNote(this.notes, n)) this.notes.push(n)
  }
}

/**
 * What of a message's bytes is kept beyond counting (send_request / send_response /
 * include_body_for). Asked by the parser; the bytes kept are copies (they outlive push()).
 */
export interface CapturePolicy {
  /** Keep the head text of every message of this direction (HttpMessage.head). */
  readonly keepHead: boolean
  /** Body bytes to keep for `m` (0: none). Asked once, when its header section is complete. */
  bodyBytes(m: HttpMessage): number
}

export interface ParserHooks {
  /** A message's start line and header section are complete; no body byte has been seen yet. */
  onHead(p: HttpParser, m: HttpMessage): void
  /** The message is finished (complete or cut short). `m` is handed over. */
  onMessage(p: HttpParser, m: HttpMessage): void
  /** For a response head: the method of the request this response answers, if known. */
  requestMethod(): string | undefined
  /**
   * For a response: the version of the request it answers, if known. '0.9' (a simple request)
   * lets a response that does not start with "HTTP/" be read as an HTTP/0.9 simple response: no
   * status line, no headers, the body up to the connection's end.
   */
  requestVersion?(): string | undefined
}

export class HttpParser {
  private st: St = St.Start
  private msg: HttpMessage | null = null
  /** Copy of head bytes that spanned push() calls (grows up to limits.maxHeaderBytes, reused). */
  private headBuf: Buffer | null = null
  private headLen = 0
  /** Index in the current push() view of the first head byte not yet copied into headBuf. */
  private seg = 0
  /** Offset of the head's first byte in the buffer the latest headView() returned. */
  private viewOff = 0
  /** Head offset where the current line starts, and the number of complete lines so far. */
  private lineStart = 0
  private lineNo = 0
  /** Field lines of the current head: well-formed ones so far, whether the latest was kept (obs-fold). */
  private fields = 0
  private lastKept = false
  /** After a gap or garbage: lines are discarded until one is a plausible start line. */
  private resyncing = false
  private skipped = 0
  /** Notes for the next message of this direction (its predecessor was dropped). */
  private pending: Note[] | null = null
  private remaining = 0
  /** Chunk-size line parsing: digits seen, inside chunk-ext, bytes of the line so far. */
  private chunkDigits = 0
  private chunkInExt = false
  private lineBytes = 0
  private lastByte = 0
  /** Trailer section bytes so far (bounded by maxHeaderBytes). */
  private trailerBytes = 0
  private decoder: DecodedCounter | null = null
  /** What follows the current message: Start, Hold or Tunnel. */
  private after: St = St.Start
  /** Moment of the latest push(), copied: the end of a message cut by a gap or the connection end. */
  private lastSec = 0
  private lastNsec = 0
  private lastFrame = 0
  /** Bytes seen after the parser stopped (tunnel, hold) and not handed to tunnelSink. */
  unparsedBytes = 0
  /** Once set (a protocol switch taken over, ./upgrade.ts), receives the bytes after a tunnel starts. */
  tunnelSink: ((bytes: Buffer, at: Moment) => void) | null = null

  /**
   * @param keepAllHeaders true: every header field becomes an HttpHeader (send_headers needs them);
   *   false: only USED_HEADERS do, the others are checked (notes, stats) but not turned into strings.
   */
  constructor(
    readonly isRequest: boolean,
    private readonly limits: Limits,
    private readonly stats: Stats,
    private readonly hooks: ParserHooks,
    private readonly keepAllHeaders = true,
    private readonly capture: CapturePolicy | null = null,
  ) {}

  /** Feeds bytes in stream order. `data` is a view valid only during the call. */
  push(data: Buffer, at: Moment): void {
    this.lastSec = at.tsSec
    this.lastNsec = at.tsNsec
    this.lastFrame = at.frame
    const end = data.length
    let pos = 0
    while (pos < end) {
      switch (this.st) {
        case St.Start: {
          const b = data[pos]
          if (b === CR || b === LF) {
            if (this.resyncing) this.skipped++
            pos++
            break
          }
          this.beginMessage(at)
          if (!this.isRequest && !this.resyncing && this.hooks.requestVersion?.() === '0.9' && !statusLinePrefix(data, pos)) {
            // HTTP/0.9 simple response to a simple request: all bytes to the end are its body.
            const m = this.msg!
            m.simple = true
            m.version = '0.9'
            this.hooks.onHead(this, m)
            this.startBody(m, undefined)
            this.st = St.BodyClose
            break
          }
          this.st = St.Head
          break
        }
        case St.Head:
          pos = this.head(data, pos)
          break
        case St.SkipLine: {
          const lf = data.indexOf(LF, pos)
          if (lf === -1) {
            this.skipped += end - pos
            pos = end
          } else {
            this.skipped += lf + 1 - pos
            pos = lf + 1
            this.st = St.Start
          }
          break
        }
        case St.BodyLen: {
          const n = Math.min(this.remaining, end - pos)
          this.body(data, pos, n)
          pos += n
          this.remaining -= n
          if (this.remaining === 0) this.finish(true)
          break
        }
        case St.ChunkSize:
          pos = this.chunkSize(data, pos)
          break
        case St.ChunkData: {
          const n = Math.min(this.remaining, end - pos)
          this.body(data, pos, n)
          pos += n
          this.remaining -= n
          if (this.remaining === 0) {
            this.st = St.ChunkCrlf
            this.lineBytes = 0
          }
          break
        }
        case St.ChunkCrlf: {
          const b = data[pos]
          const m = this.msg!
          if (b === CR && this.lineBytes === 0) {
            this.lineBytes = 1
            m.bytes++
            pos++
          } else if (b === LF) {
            m.bytes++
            pos++
            this.startChunkLine()
          } else {
            // Lenient: chunk data not followed by CRLF; read on as if a chunk-size line began here.
            this.bad(m, 'http.bad_chunk', 'missing CRLF after chunk data')
            this.startChunkLine()
          }
          break
        }
        case St.Trailer:
          pos = this.trailer(data, pos)
          break
        case St.BodyClose: {
          const n = end - pos
          this.body(data, pos, n)
          pos = end
          break
        }
        case St.Hold:
        case St.Tunnel:
          if (this.st === St.Tunnel && this.tunnelSink !== null) this.tunnelSink(pos === 0 ? data : data.subarray(pos), at)
          else this.unparsedBytes += end - pos
          pos = end
          break
      }
    }
  }

  /** `n` bytes of this direction were never seen (RFC-free territory: we degrade, see notes). */
  gap(n: number): void {
    const m = this.msg
    switch (this.st) {
      case St.Start:
      case St.SkipLine:
        if (!this.resyncing) this.addPending(note('tcp.gap', `gap of ${n} bytes before this message`))
        this.stats.bad('http: gap between messages')
        this.resync()
        break
      case St.Head:
        if (!this.resyncing) this.stats.bad('http: gap in headers')
        if (this.salvageable()) {
          // The start line was read: report the message with the header lines seen so far rather
          // than lose it (tshark and Zeek report such truncated messages too); its length is unknown.
          this.truncatedHead(note('tcp.gap', 'gap in headers: message truncated'))
        } else {
          if (!this.resyncing) this.addPending(note('tcp.gap', 'gap in headers: previous message dropped, resynchronised'))
          this.dropHead()
        }
        this.resync()
        break
      case St.BodyLen:
      case St.ChunkData:
        this.bodyGap(m!)
        if (n < this.remaining) {
          this.remaining -= n
        } else if (this.st === St.BodyLen) {
          const over = n > this.remaining
          this.finish(false)
          if (over) this.resync()
        } else if (n === this.remaining) {
          this.remaining = 0
          this.st = St.ChunkCrlf
          this.lineBytes = 0
        } else {
          this.finish(false)
          this.resync()
        }
        break
      case St.ChunkSize:
      case St.ChunkCrlf:
      case St.Trailer:
        this.bodyGap(m!)
        this.finish(false)
        this.resync()
        break
      case St.BodyClose:
        this.bodyGap(m!)
        break
      case St.Hold:
      case St.Tunnel:
        break
    }
  }

  /** The connection ended: a close-delimited body is complete, anything else partial is cut short. */
  end(reason: EndReason): void {
    const m = this.msg
    switch (this.st) {
      case St.Head:
        if (!this.resyncing) this.stats.bad('http: connection ended inside headers')
        if (this.salvageable()) this.truncatedHead(note('tcp.end_inside_message', 'connection ended inside headers'))
        else this.dropHead()
        break
      case St.BodyClose:
        if (reason !== 'fin') m!.note(note('http.body_end_by_close', `body ended by connection ${reason}`))
        this.finish(true)
        break
      case St.BodyLen:
      case St.ChunkSize:
      case St.ChunkData:
      case St.ChunkCrlf:
      case St.Trailer:
        this.bad(m!, 'tcp.end_inside_message', 'connection ended inside body')
        this.finish(false)
        break
      default:
        break
    }
    this.st = St.Tunnel
  }

  /** Called by the matcher when a CONNECT was answered 2xx or a 101 was seen: stop parsing. */
  enterTunnel(): void {
    if (this.st === St.Hold || this.st === St.Start) this.st = St.Tunnel
    else this.after = St.Tunnel
  }

  /** Called by the matcher when a held CONNECT was refused: parse again from here on. */
  release(): void {
    if (this.st === St.Hold) {
      if (this.unparsedBytes > 0) {
        this.addPending(note('http.unparsed_after_connect', `${this.unparsedBytes} bytes sent after CONNECT before its refusal were not parsed`))
        this.unparsedBytes = 0
      }
      this.st = St.Start
    } else if (this.after === St.Hold) {
      this.after = St.Start
    }
  }

  // --- start line and header section --------------------------------------------------------

  private beginMessage(at: Moment): void {
    const m = new HttpMessage(this.isRequest)
    m.startSec = at.tsSec
    m.startNsec = at.tsNsec
    m.startFrame = at.frame
    this.msg = m
    this.headLen = 0
    this.lineStart = 0
    this.lineNo = 0
  }

  /** Scans head bytes from `pos`; returns the new position. */
  private head(data: Buffer, pos: number): number {
    const end = data.length
    const max = this.limits.maxHeaderBytes
    this.seg = pos
    while (pos < end) {
      // Each field line is parsed here, once, in place, as soon as its LF is found.
      let lf = data.indexOf(LF, pos)
      if (lf === -1) lf = end
      const stop = lf === end ? end : lf + 1
      const total = this.headLen + (stop - this.seg)
      if (total > max) return this.overflow(data, pos)
      if (lf === end) {
        this.copyHead(data, this.seg, end)
        return end
      }
      const lineLen = total - 1 - this.lineStart
      const prev = lf > this.seg ? data[lf - 1] : this.headLen > 0 ? this.headBuf![this.headLen - 1] : 0
      const from = pos
      pos = lf + 1
      if (this.lineNo === 0) {
        const view = this.headView(data, pos)
        const vo = this.viewOff
        const kind = this.startLine(view, vo, lineLen)
        if (kind === Line.Bad) {
          // Not a start line: drop it and look at the next line.
          if (!this.resyncing) {
            this.stats.bad(this.isRequest ? 'http: bad request line' : 'http: bad status line')
            this.resyncing = true
          }
          this.skipped += total
          this.msg = null
          this.headLen = 0
          this.st = St.Start
          return pos
        }
        if (this.resyncing) {
          this.resyncing = false
          if (this.skipped > 0) this.addPending(note('http.resync', `resynchronised: ${this.skipped} bytes skipped before this message`))
          this.skipped = 0
        }
        if (this.pending !== null) {
          for (const n of this.pending) this.msg!.note(n)
          this.pending = null
        }
        if (kind === Line.Simple) {
          // HTTP/0.9 simple request: the request line is the whole message.
          const m = this.msg!
          m.bytes = total
          if (this.capture?.keepHead) m.head = view.toString('latin1', vo, vo + total)
          this.hooks.onHead(this, m)
          this.finish(true)
          return pos
        }
        this.lineNo = 1
        this.lineStart = total
        this.fields = 0
        this.lastKept = false
      } else if (lineLen === 0 || (lineLen === 1 && prev === CR)) {
        this.headComplete(data, pos, total)
        return pos
      } else {
        if (this.lineStart >= this.headLen) {
          // The whole line is in `data`, from `from`.
          this.fieldLine(this.msg!, data, from, lf)
        } else {
          // The line began in an earlier push(): parse it from the copied head.
          const v = this.headView(data, pos)
          this.fieldLine(this.msg!, v, this.viewOff + this.lineStart, this.viewOff + total - 1)
        }
        this.lineNo++
        this.lineStart = total
      }
    }
    this.copyHead(data, this.seg, end)
    return end
  }

  /**
   * The buffer holding the head so far contiguously, which starts at its offset this.viewOff: the
   * caller's `data` when nothing was copied yet (no subarray is made), else headBuf with the bytes
   * up to `upTo` appended.
   */
  private headView(data: Buffer, upTo: number): Buffer {
    if (this.headLen === 0) {
      this.viewOff = this.seg
      return data
    }
    this.copyHead(data, this.seg, upTo)
    this.seg = upTo
    this.viewOff = 0
    return this.headBuf!
  }

  /** Copies head bytes that must outlive this push() call (the head spans calls). */
  private copyHead(data: Buffer, from: number, to: number): void {
    const n = to - from
    if (n <= 0) return
    const need = this.headLen + n
    let buf = this.headBuf
    if (buf === null || buf.length < need) {
      let size = buf === null ? 1024 : buf.length * 2
      while (size < need) size *= 2
      size = Math.min(size, Math.max(this.limits.maxHeaderBytes, need))
      const grown = Buffer.allocUnsafe(size)
      if (buf !== null && this.headLen > 0) buf.copy(grown, 0, 0, this.headLen)
      this.headBuf = buf = grown
    }
    data.copy(buf, this.headLen, from, to)
    this.headLen = need
    this.seg = to
  }

  /**
   * The header section exceeds limits.maxHeaderBytes. A message whose start line was read is
   * emitted with the field lines complete before the limit and a limit.header_bytes note (no body:
   * its framing may be in the headers not read); otherwise it is dropped with a note on the next
   * message. Either way parsing skips to a new line and resynchronises.
   */
  private overflow(data: Buffer, pos: number): number {
    if (this.msg !== null && this.lineNo > 0 && !this.resyncing) {
      this.stats.bad('http: header section exceeds maxHeaderBytes')
      this.stats.limit('maxHeaderBytes')
      // The complete lines before the limit (at most maxHeaderBytes) end at lineStart; the part of
      // the current line already copied (when the head spans calls) counts as skipped.
      this.copyHead(data, this.seg, pos)
      this.skipped += this.headLen - this.lineStart
      this.headLen = this.lineStart
      this.truncatedHead(note('limit.header_bytes', 'header section exceeds maxHeaderBytes: later headers and the body not read'))
      this.headLen = 0
      this.resyncing = true
      this.st = St.SkipLine
      return pos
    }
    if (!this.resyncing) {
      this.stats.bad('http: header section exceeds maxHeaderBytes')
      this.stats.limit('maxHeaderBytes')
      this.addPending(note('limit.header_bytes', 'previous message dropped: header section exceeds maxHeaderBytes'))
      this.resyncing = true
    }
    this.skipped += this.headLen + (pos - this.seg)
    this.dropHead()
    this.st = St.SkipLine
    return pos
  }

  private dropHead(): void {
    this.msg = null
    this.headLen = 0
  }

  /**
   * Parses a request-line (RFC 9112 §3) or status-line (§4) of `len` bytes (CR included, LF not).
   * Returns Line.Bad, Line.Ok, or Line.Simple for an HTTP/0.9 simple request ("GET /path", RFC 1945
   * §4.1: no version, no header section). Outside resync the request line is read as tshark and
   * Zeek read it: method SP target [SP version], the target ending at the next space, a missing or
   * malformed version only noted. While resynchronising only a strict line is accepted
   * (method SP target SP HTTP/1.x), so that body bytes are not taken for a message.
   */
  private startLine(v: Buffer, o: number, len: number): Line {
    let e = o + len
    while (e > o && (v[e - 1] === CR || v[e - 1] === SP || v[e - 1] === HT)) e--
    const m = this.msg!
    const strict = this.resyncing
    if (this.isRequest) {
      let i = o
      while (i < e && isTchar(v[i])) i++
      if (i > o && i === e && !strict && knownText(METHOD_TEXT, v, o, i) !== null) {
        // "OPTIONS" alone on the line: a known method without target or version, read as tshark
        // reads it (a request whose header section follows).
        m.method = knownText(METHOD_TEXT, v, o, i)!
        this.bad(m, 'http.bad_request_line', 'request line without request-target')
        return Line.Ok
      }
      if (i === o || i >= e || v[i] !== SP) return Line.Bad
      let ts = i + 1
      while (ts < e && v[ts] === SP) ts++
      let te = ts
      while (te < e && v[te] !== SP) te++
      for (let k = ts; k < te; k++) if (v[k] < 0x20 || v[k] === 0x7f) return Line.Bad
      let vs = te
      while (vs < e && v[vs] === SP) vs++
      const ver = parseVersion(v, vs, e)
      const known = knownText(METHOD_TEXT, v, o, i)
      if (ver === '' && (strict || known === null)) return Line.Bad
      if (strict && te === ts) return Line.Bad
      m.method = known ?? v.toString('latin1', o, i)
      m.target = utf8Escaped(v, ts, te)
      if (ver !== '') {
        m.version = ver
        return Line.Ok
      }
      if (vs === e) {
        m.version = '0.9'
        return Line.Simple
      }
      this.bad(m, 'http.bad_version', 'bad HTTP version in request line')
      return Line.Ok
    }
    // HTTP-version SP status-code SP [reason-phrase]
    if (e - o < 12 || v[o + 8] !== SP) return Line.Bad
    const ver = parseVersion(v, o, o + 8)
    if (ver === '') return Line.Bad
    const d0 = v[o + 9] - 0x30
    const d1 = v[o + 10] - 0x30
    const d2 = v[o + 11] - 0x30
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return Line.Bad
    if (e - o > 12 && v[o + 12] !== SP) return Line.Bad
    m.version = ver
    m.statusCode = d0 * 100 + d1 * 10 + d2
    let ps = o + 13
    while (ps < e && v[ps] === SP) ps++
    m.statusPhrase = ps < e ? (knownText(PHRASE_TEXT, v, ps, e) ?? utf8Escaped(v, ps, e)) : ''
    return Line.Ok
  }

  /**
   * Can the head cut short here still be reported? Yes once its start line was read; and also
   * when the cut falls inside the start line (a snaplen-truncated packet) if what was seen reads
   * as a start line (leniently, known methods only). Not while resynchronising.
   */
  private salvageable(): boolean {
    if (this.msg === null || this.resyncing) return false
    if (this.lineNo > 0) return true
    if (this.headBuf === null || this.headLen === 0) return false
    const kind = this.startLine(this.headBuf, 0, this.headLen)
    if (kind === Line.Bad) return false
    if (kind === Line.Simple) this.msg.version = ''
    this.lineStart = this.headLen
    return true
  }

  /**
   * The head of `total` bytes is complete, its last byte before data[upTo] (its field lines were
   * parsed as they came): keeps its text when asked and picks the body.
   */
  private headComplete(data: Buffer, upTo: number, total: number): void {
    const m = this.msg!
    m.bytes = total
    if (this.capture?.keepHead) {
      const v = this.headView(data, upTo)
      m.head = v.toString('latin1', this.viewOff, this.viewOff + total)
    }
    this.selectBody(m)
  }

  /**
   * A head cut short (gap, connection end) after its start line: the message is handed over with
   * the complete field lines seen so far (already parsed; a partial head is always copied into
   * headBuf at the end of a push), with a note. No body is read: its framing may be unknown.
   */
  private truncatedHead(n: Note): void {
    const m = this.msg!
    m.bytes = this.headLen
    if (this.capture?.keepHead && this.headBuf !== null) m.head = this.headBuf.toString('latin1', 0, this.headLen)
    m.note(n)
    this.hooks.onHead(this, m)
    this.finish(false)
  }

  /**
   * One field line (RFC 9112 §5) of a head, v[p, lf) with `lf` its LF, not the empty line. Only
   * the names and values of kept fields become strings.
   */
  private fieldLine(m: HttpMessage, v: Buffer, p: number, lf: number): void {
    let e = lf
    if (e > p && v[e - 1] === CR) e--
    const first = v[p]
    let colon = p
    while (colon < e && v[colon] !== 0x3a) colon++
    if (first === SP || first === HT) {
      // obs-fold (RFC 9112 §5.2): replace the fold with one SP and append to the previous value.
      const hs = m.headers
      if (this.fields > 0) {
        if (this.lastKept) {
          const h = hs[hs.length - 1]
          const cont = trimmed(v, p, e)
          if (cont !== '') h.value = h.value === '' ? cont : h.value + ' ' + cont
        }
        this.bad(m, 'http.obs_fold', 'obsolete header line folding')
      } else {
        this.bad(m, 'http.bad_header', 'bad header line')
      }
    } else if (colon === e || colon === p) {
      this.bad(m, 'http.bad_header', 'bad header line')
    } else {
      let ne = colon
      while (ne > p && (v[ne - 1] === SP || v[ne - 1] === HT)) ne--
      if (ne !== colon) this.bad(m, 'http.bad_header', 'whitespace before colon in header')
      const name = this.keepAllHeaders ? headerName(v, p, ne) : usedHeader(v, p, ne)
      this.fields++
      this.lastKept = name !== null
      // Values of the fields pbx reads repeat (Content-Length aside): they go through the cache.
      if (name !== null) m.headers.push({name, value: trimmed(v, colon + 1, e, name !== 'content-length' && USED_SET.has(name))})
    }
  }

  /** RFC 9112 §6.3: how long is the body of this message. */
  private selectBody(m: HttpMessage): void {
    let te: string | undefined
    let cl: string | undefined
    let ce: string | undefined
    for (const h of m.headers) {
      if (h.name === 'transfer-encoding') te = te === undefined ? h.value : te + ', ' + h.value
      else if (h.name === 'content-length') {
        if (cl !== undefined && cl !== h.value) this.bad(m, 'http.bad_content_length', 'conflicting content-length headers')
        cl = cl ?? h.value
      } else if (h.name === 'content-encoding') ce = h.value
    }
    if (cl !== undefined) {
      m.contentLength = parseContentLength(cl)
      if (m.contentLength < 0) this.bad(m, 'http.bad_content_length', 'bad content-length')
    }
    this.after = St.Start
    this.hooks.onHead(this, m)
    let noBody = false
    let closeDelimited = false
    if (!this.isRequest) {
      const method = this.hooks.requestMethod()
      const code = m.statusCode
      if (code === 101) {
        m.tunnel = true
        this.after = St.Tunnel
        noBody = true
      } else if (method === 'CONNECT' && code >= 200 && code < 300) {
        m.tunnel = true
        this.after = St.Tunnel
        noBody = true
      } else if (code < 200 || code === 204 || code === 304 || method === 'HEAD') {
        noBody = true
      }
    } else if (m.method === 'CONNECT') {
      this.after = St.Hold
    }
    if (noBody) {
      this.finish(true)
      return
    }
    if (te !== undefined) {
      if (cl !== undefined) this.bad(m, 'http.te_and_cl', 'both transfer-encoding and content-length')
      if (lastCodingIsChunked(te)) {
        this.startBody(m, ce)
        this.startChunkLine()
        return
      }
      if (this.isRequest) {
        // RFC 9112 §6.3 rule 4: a request cannot be close-delimited; the length is unknown.
        this.bad(m, 'http.bad_transfer_encoding', 'request transfer-encoding without chunked')
        this.finish(false)
        this.resync()
        return
      }
      closeDelimited = true
    } else if (m.contentLength > 0) {
      this.startBody(m, ce)
      this.remaining = m.contentLength
      this.st = St.BodyLen
      return
    } else if (m.contentLength === 0 || this.isRequest) {
      // Requests without Content-Length or Transfer-Encoding have no body (§6.3 rule 7); a bad
      // Content-Length on a request leaves the length unknown: resynchronise on the next message.
      const badLen = cl !== undefined && m.contentLength < 0
      this.finish(!badLen)
      if (badLen) this.resync()
      return
    } else {
      closeDelimited = true
    }
    if (closeDelimited) {
      this.startBody(m, ce)
      this.st = St.BodyClose
    }
  }

  // --- bodies ------------------------------------------------------------------------------

  private startBody(m: HttpMessage, contentEncoding: string | undefined): void {
    const coding = codingOf(contentEncoding)
    this.decoder = coding === null ? null : new DecodedCounter(coding, this.limits.maxDecodedBodyBytes)
    m.decodedBytes = coding === null ? -1 : 0
    if (this.capture !== null) {
      const keep = this.capture.bodyBytes(m)
      if (keep > 0) {
        m.bodyKeep = keep
        m.bodyParts = []
      }
    }
  }

  private body(data: Buffer, pos: number, n: number): void {
    const m = this.msg!
    m.bytes += n
    m.bodyBytes += n
    if (this.decoder !== null && n > 0) this.decoder.feed(data, pos, n)
    if (m.bodyParts !== null && n > 0) {
      // Copied: the view is valid only during push(), the body outlives it.
      const k = Math.min(n, m.bodyKeep)
      if (k > 0) {
        m.bodyParts.push(Buffer.from(data.subarray(pos, pos + k)))
        m.bodyKeep -= k
      }
      if (k < n) m.bodyCut = true
    }
  }

  private bodyGap(m: HttpMessage): void {
    if (m.bodyParts !== null) m.bodyCut = true
    if (!hasNote(m.notes, GAP_IN_BODY)) this.stats.bad('http: gap in body')
    m.note(GAP_IN_BODY)
    if (this.decoder !== null) {
      this.decoder.stop()
      this.decoder = null
      m.decodedBytes = -1
      m.note(note('http.decoded_size_unknown'))
    }
  }

  private startChunkLine(): void {
    this.st = St.ChunkSize
    this.remaining = 0
    this.chunkDigits = 0
    this.chunkInExt = false
    this.lineBytes = 0
  }

  /** chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1, §7.1.1: extensions are ignored). */
  private chunkSize(data: Buffer, pos: number): number {
    const m = this.msg!
    const end = data.length
    const max = this.limits.maxHeaderBytes
    while (pos < end) {
      const b = data[pos]
      pos++
      m.bytes++
      this.lineBytes++
      if (b === LF) {
        if (this.chunkDigits === 0) return this.badChunk(m, pos)
        if (this.remaining === 0) {
          this.st = St.Trailer
          this.trailerBytes = 0
          this.lineBytes = 0
          this.lastByte = 0
        } else {
          this.st = St.ChunkData
        }
        return pos
      }
      if (this.lineBytes > max) return this.badChunk(m, pos)
      if (this.chunkInExt) continue
      const d = hexValue(b)
      if (d >= 0) {
        this.remaining = this.remaining * 16 + d
        this.chunkDigits++
        if (this.remaining > 2 ** 48) return this.badChunk(m, pos)
      } else if (this.chunkDigits > 0 && (b === 0x3b || b === SP || b === HT || b === CR)) {
        this.chunkInExt = true
      } else {
        return this.badChunk(m, pos)
      }
    }
    return pos
  }

  private badChunk(m: HttpMessage, pos: number): number {
    this.bad(m, 'http.bad_chunk', 'bad chunk size line')
    this.finish(false)
    this.resync()
    return pos
  }

  /** trailer-section CRLF (RFC 9112 §7.1.2): counted, not parsed. */
  private trailer(data: Buffer, pos: number): number {
    const m = this.msg!
    const end = data.length
    while (pos < end) {
      const lf = data.indexOf(LF, pos)
      const stop = lf === -1 ? end : lf + 1
      const n = stop - pos
      m.bytes += n
      this.trailerBytes += n
      if (this.trailerBytes > this.limits.maxHeaderBytes) {
        this.bad(m, 'limit.header_bytes', 'trailer section exceeds maxHeaderBytes')
        this.stats.limit('maxHeaderBytes')
        this.finish(false)
        this.resyncing = true
        this.st = St.SkipLine
        return stop
      }
      if (lf === -1) {
        this.lineBytes += n
        this.lastByte = data[end - 1]
        return end
      }
      const lineLen = this.lineBytes + (lf - pos)
      const prev = lf > pos ? data[lf - 1] : this.lastByte
      pos = stop
      this.lineBytes = 0
      this.lastByte = 0
      if (lineLen === 0 || (lineLen === 1 && prev === CR)) {
        this.finish(true)
        return pos
      }
    }
    return pos
  }

  // --- message end, resync, notes -------------------------------------------------------------

  /** Hands the current message to the hooks; `clean` false when it was cut short. */
  private finish(clean: boolean): void {
    const m = this.msg!
    this.msg = null
    m.complete = clean
    m.endSec = this.lastSec
    m.endNsec = this.lastNsec
    m.endFrame = this.lastFrame
    const d = this.decoder
    if (d !== null) {
      this.decoder = null
      d.stop()
      m.decodedBytes = d.decoded
      if (d.unavailable) {
        m.decodedBytes = -1
      } else if (d.failed) {
        this.bad(m, 'http.bad_compressed_body', 'malformed compressed body')
      } else if (d.capped) {
        this.stats.limit('maxDecodedBodyBytes')
        m.note(note('limit.decoded_body_bytes'))
      }
    }
    this.st = this.after
    this.after = St.Start
    this.hooks.onMessage(this, m)
  }

  /** Forget message framing and look for the next plausible start line. */
  private resync(): void {
    this.resyncing = true
    this.msg = null
    this.headLen = 0
    this.st = St.Start
  }

  private addPending(n: Note): void {
    if (this.pending === null) this.pending = [n]
    else this.pending.push(n)
  }

  /** Counts `reason` in the stats and notes it on `m` under `code`. */
  private bad(m: HttpMessage, code: AnomalyCode, reason: string): void {
    this.stats.bad('http: ' + reason)
    m.note(note(code, reason))
  }
}

// --- byte helpers (no regular expressions on wire data) -----------------------------------------

/** tchar (RFC 9110 §5.6.2). */
function isTchar(b: number): boolean {
  if (b >= 0x61 && b <= 0x7a) return true
  if (b >= 0x41 && b <= 0x5a) return true
  if (b >= 0x30 && b <= 0x39) return true
  switch (b) {
    case 0x21:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x27:
    case 0x2a:
    case 0x2b:
    case 0x2d:
    case 0x2e:
    case 0x5e:
    case 0x5f:
    case 0x60:
    case 0x7c:
    case 0x7e:
      return true
  }
  return false
}

/** "HTTP/1.x" in v[s, e) -> "1.x", else ''. Only major version 1 is HTTP/1 framing. */
function parseVersion(v: Buffer, s: number, e: number): string {
  if (e - s !== 8) return ''
  if (v[s] !== 0x48 || v[s + 1] !== 0x54 || v[s + 2] !== 0x54 || v[s + 3] !== 0x50 || v[s + 4] !== 0x2f) return ''
  if (v[s + 5] !== 0x31 || v[s + 6] !== 0x2e) return ''
  const minor = v[s + 7]
  if (minor < 0x30 || minor > 0x39) return ''
  return minor === 0x31 ? '1.1' : minor === 0x30 ? '1.0' : '1.' + String.fromCharCode(minor)
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10
  return -1
}

/**
 * Text of v[s, e) without leading/trailing SP / HT (UTF-8, invalid bytes as \xNN: ../shared/text.ts),
 * through VALUE_CACHE when `cached`.
 */
function trimmed(v: Buffer, s: number, e: number, cached = false): string {
  while (s < e && (v[s] === SP || v[s] === HT)) s++
  while (e > s && (v[e - 1] === SP || v[e - 1] === HT)) e--
  if (s === e) return ''
  return cached ? VALUE_CACHE.text(v, s, e) : utf8Escaped(v, s, e)
}

/**
 * Recently decoded texts by their bytes: header values repeat across messages and connections
 * (Host, User-Agent, Content-Type), and a hit costs one byte comparison instead of a decode and a
 * new string. Direct-mapped (a slot per hash of the length and a few sampled bytes; a miss takes
 * the slot over), fixed size (SLOTS x MAX_BYTES bytes, shared by every parser), texts longer than
 * MAX_BYTES are not kept. text() returns exactly what utf8Escaped() returns for the same bytes.
 */
class TextCache {
  private static readonly SLOTS = 256
  private static readonly MAX_BYTES = 160
  private readonly slab = Buffer.alloc(TextCache.SLOTS * TextCache.MAX_BYTES)
  private readonly lens = new Int32Array(TextCache.SLOTS)
  private readonly strs: string[] = new Array<string>(TextCache.SLOTS).fill('')

  text(v: Buffer, s: number, e: number): string {
    const n = e - s
    const max = TextCache.MAX_BYTES
    if (n > max) return utf8Escaped(v, s, e)
    let h = Math.imul(n, 0x9e3779b1)
    h = Math.imul(h ^ v[s], 0x01000193)
    h = Math.imul(h ^ v[e - 1], 0x01000193)
    h = Math.imul(h ^ v[s + (n >> 1)], 0x01000193)
    h = Math.imul(h ^ v[s + (n >> 2)], 0x01000193)
    h = Math.imul(h ^ v[e - 1 - (n >> 2)], 0x01000193)
    const slot = (h ^ (h >>> 15)) & (TextCache.SLOTS - 1)
    const o = slot * max
    const slab = this.slab
    if (this.lens[slot] === n) {
      let i = 0
      while (i < n && slab[o + i] === v[s + i]) i++
      if (i === n) return this.strs[slot]
    }
    const t = utf8Escaped(v, s, e)
    v.copy(slab, o, s, e)
    this.lens[slot] = n
    this.strs[slot] = t
    return t
  }
}

const VALUE_CACHE = new TextCache()

/**
 * Content-Length = 1*DIGIT (RFC 9110 §8.6); a list of identical values ("5, 5") is accepted as the
 * RFC allows. Returns -1 when invalid or beyond 2^53.
 */
export function parseContentLength(s: string): number {
  let value = -1
  let cur = -1
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2c
    if (c >= 0x30 && c <= 0x39) {
      cur = cur < 0 ? c - 0x30 : cur * 10 + (c - 0x30)
      if (cur > Number.MAX_SAFE_INTEGER) return -1
    } else if (c === 0x2c) {
      if (cur < 0) return -1
      if (value >= 0 && value !== cur) return -1
      value = cur
      cur = -1
    } else if (c !== SP && c !== HT) {
      return -1
    }
  }
  return value
}

/** Transfer-Encoding: is chunked the final coding (RFC 9112 §6.1)? */
function lastCodingIsChunked(te: string): boolean {
  const comma = te.lastIndexOf(',')
  let last = (comma === -1 ? te : te.slice(comma + 1)).trim().toLowerCase()
  const semi = last.indexOf(';')
  if (semi !== -1) last = last.slice(0, semi).trim()
  return last === 'chunked'
}
