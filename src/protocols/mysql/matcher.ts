/**
 * MySQL connection state: handshake, authentication, then commands matched to their responses.
 *
 * ./session.ts receives the stream (data/gap per direction in order, then one end(); dir 0 is the
 * client) through one MysqlFramer per direction; packets reach `client()` / `server()` in order.
 * Requests wait in the shared PendingQueue (limits.maxPendingRequests).
 *
 * Transactions: one per client command (COM_QUERY, COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_PING,
 * COM_INIT_DB, ...). Commands that have no response (COM_QUIT, COM_STMT_CLOSE,
 * COM_STMT_SEND_LONG_DATA) are emitted as soon as they are read, status OK. A failed login (ERR
 * during authentication) is an Error transaction with method LOGIN; a successful login emits
 * nothing (the user and database are put on every later event as pbx.mysql.user / .database).
 * Multi-results (SERVER_MORE_RESULTS_EXISTS): one transaction; num_rows is the sum over result
 * sets, num_fields that of the first result set, affected_rows/insert_id those of the last OK,
 * pbx.mysql.result_sets the count when above one.
 * SSL Request (a short handshake response with CLIENT_SSL): every later byte goes to a TLS handler
 * (../shared/tls-switch.ts) whose event carries pbx.starttls.protocol "mysql"; no mysql transaction.
 * Where none can be opened, TLS or compression negotiated: parsing stops; one transaction (method 'TLS' or
 * 'COMPRESS') carries a note, and the stats count it.
 * Gaps: the message in progress is dropped; a response in progress is emitted with the rows seen so
 * far and a note; that direction is then ignored until it can be resynchronised (the server at the
 * next client command, the client after the server finished answering).
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {ConnInfo} from '../../reassembly/types.js'
import {PendingQueue} from '../shared/pending-queue.js'
import {bounded, type RawTextOptions, ResultText, rawTextOptions} from '../shared/result-text.js'
import type {ProtocolContext} from '../types.js'
import type {MysqlSession} from './session.js'
import {fingerprint} from '../../util/sql-fingerprint.js'
import {
  CLIENT_COMPRESS,
  CLIENT_DEPRECATE_EOF,
  CLIENT_MYSQL,
  CLIENT_PROTOCOL_41,
  CLIENT_QUERY_ATTRIBUTES,
  COMMANDS,
  columnName,
  columnTable,
  eofStatus,
  type HandshakeResponse,
  MARIADB_CLIENT_CACHE_METADATA,
  parseErr,
  parseGreeting,
  parseHandshakeResponse,
  parseOk,
  type PreparedStatement,
  executeParams,
  queryAttributesEnd,
  Reader,
  SERVER_MORE_RESULTS_EXISTS,
  sqlMethod,
  textRow,
} from './parser.js'

enum Phase {
  /** Nothing seen yet: a greeting, a handshake response or a command may come. */
  Start = 0,
  /** Greeting seen, waiting for the client's handshake response. */
  Greeted = 1,
  /** Handshake response sent; auth exchange until OK / ERR. */
  Auth = 2,
  Command = 3,
  /** TLS, compression or an undecodable stream: bytes are ignored. */
  Stopped = 4,
}

/** Response state of the request at the head of the queue. */
enum Rs {
  First = 0,
  Columns = 1,
  ColumnsEof = 2,
  Rows = 3,
  PrepParams = 4,
  PrepParamsEof = 5,
  PrepColumns = 6,
  PrepColumnsEof = 7,
  /** LOCAL INFILE: the client sends the file; then OK/ERR. */
  Infile = 8,
  Done = 9,
}

interface Req {
  cmd: number
  method: string
  query?: string
  stmtId?: number
  /** COM_STMT_EXECUTE parameter values as text. */
  params?: string[]
  startSec: number
  startNsec: number
  startFrame: number
  endSec: number
  endNsec: number
  endFrame: number
  reqBytes: number
  respBytes: number
  status: 'OK' | 'Error'
  notes?: Note[]
  rs: Rs
  /** Column definitions still to read (result set or prepare response). */
  left: number
  numFields?: number
  numRows: number
  resultSets: number
  affectedRows?: number
  insertId?: number
  errCode?: number
  errMsg?: string
  sqlState?: string
  path?: string
  prepParams: number
  prepCols: number
  prepId?: number
  /** True once any response byte was seen. */
  answered: boolean
  /** send_response: the first result set of a COM_QUERY, as text (../shared/result-text.ts). */
  text?: ResultText
  /** Column names of that result set while its definitions are read. */
  colNames?: string[]
}

const PATH_MAX = 256

/**
 * The state of one connection and the matching of its packets (fed by ./session.ts, whose framers
 * and per-direction resynchronisation state it steers through `s`).
 */
export class MysqlMatcher {
  private readonly r = new Reader(Buffer.alloc(0))
  private phase = Phase.Start
  private serverCaps = 0
  private clientCaps = 0
  private deprecateEof = false
  private queryAttrs = false
  private protocol41 = true
  /** MariaDB extended capabilities from the greeting (0 for MySQL or when not seen). */
  private serverExtCaps = 0
  /** Both sides set MARIADB_CLIENT_CACHE_METADATA: column count packets carry "metadata follows". */
  private cacheMeta = false
  private serverVersion?: string
  private user?: string
  private database?: string
  /** Prepared statement id -> SQL text, parameter count and types (bounded by
   * limits.maxPendingRequests, oldest dropped). */
  private readonly stmts = new Map<number, PreparedStatement>()
  private readonly queue: PendingQueue<Req>
  /** Login exchange (start time, bytes) for a LOGIN transaction on failure. */
  private login: Req | null = null
  /** send_request / send_response, max_rows / max_row_length (Packetbeat defaults 10 / 1024). */
  private readonly raw: RawTextOptions

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
    private readonly s: MysqlSession,
  ) {
    this.raw = rawTextOptions(ctx.options, ctx.limits, 'max_rows', 'max_row_length', {rows: 10, length: 1024})
    this.queue = new PendingQueue<Req>(ctx.limits, ctx.stats, (old, n) => {
      this.note(old, n)
      this.ctx.stats.unmatchedRequests++
      old.status = 'Error'
      this.emit(old)
    })
  }

  /** Parsing stopped for good (TLS, compression, end of connection): the session drops bytes. */
  get stopped(): boolean {
    return this.phase === Phase.Stopped
  }

  /** Requests waiting for (the rest of) a response. */
  get pendingCount(): number {
    return this.queue.length
  }

  /** `nbytes` of the server stream were lost: the response in progress is emitted as it is. */
  responseGap(nbytes: number): void {
    const h = this.queue.shift()
    if (h) {
      this.note(h, note('tcp.gap', `packet loss while capturing the response (${nbytes} bytes)`))
      this.finish(h)
    }
  }

  /** End of connection: everything still queued is emitted. */
  end(): void {
    for (const q of this.queue.drain()) {
      if (q.answered) this.note(q, note('mysql.response_incomplete'))
      else {
        this.note(q, note('mysql.no_response'))
        this.ctx.stats.unmatchedRequests++
      }
      q.status = 'Error'
      this.emit(q)
    }
    if (this.login && this.phase === Phase.Auth) {
      // login exchange cut short: report it as an error
      this.note(this.login, note('mysql.auth_incomplete'))
      this.login.status = 'Error'
      this.emit(this.login)
    }
    this.login = null
    this.phase = Phase.Stopped
  }

  // --- client packets ------------------------------------------------------------------------

  client(p: Buffer, seq: number, total: number, truncated: boolean): void {
    const bytes = total + 4 * (1 + Math.floor(total / 0xffffff))
    this.clientMessage(p, seq, bytes, truncated)
    // the next client message starts in this call or, if later, data() records its start
    const s = this.s.msgStart[0] as [number, number, number]
    s[0] = this.s.at.tsSec
    s[1] = this.s.at.tsNsec
    s[2] = this.s.at.frame
  }

  private clientMessage(p: Buffer, seq: number, bytes: number, truncated: boolean): void {
    if (this.phase === Phase.Start || this.phase === Phase.Greeted) {
      if (seq === 1 || this.phase === Phase.Greeted) {
        const hr = parseHandshakeResponse(p, this.r)
        if (hr) {
          this.handshakeResponse(hr, bytes)
          return
        }
      }
      if (seq !== 0) {
        this.bad('mysql: unexpected client packet before handshake')
        return
      }
      this.phase = Phase.Command
    }
    if (this.phase === Phase.Auth) {
      if (this.login) this.login.reqBytes += bytes
      return
    }
    if (this.phase !== Phase.Command) return
    const head = this.queue.peek()
    if (head && head.rs === Rs.Infile) {
      head.reqBytes += bytes
      return
    }
    if (seq !== 0 || p.length === 0) {
      // part of a request we do not model (e.g. auth data after COM_CHANGE_USER)
      const last = this.queue.last()
      if (last) last.reqBytes += bytes
      return
    }
    this.command(p, bytes, truncated)
  }

  private handshakeResponse(hr: HandshakeResponse, bytes: number): void {
    this.clientCaps = hr.capabilities
    const both = this.serverCaps === 0 ? this.clientCaps : this.serverCaps & this.clientCaps
    this.deprecateEof = (both & CLIENT_DEPRECATE_EOF) !== 0
    this.queryAttrs = this.serverCaps !== 0 && (both & CLIENT_QUERY_ATTRIBUTES) !== 0
    this.protocol41 = (both & CLIENT_PROTOCOL_41) !== 0
    // MariaDB extended capabilities apply only when CLIENT_MYSQL is unset on both sides
    const extBoth = this.serverCaps === 0 ? hr.extCapabilities : this.serverExtCaps & hr.extCapabilities
    this.cacheMeta = (both & CLIENT_MYSQL) === 0 && (extBoth & MARIADB_CLIENT_CACHE_METADATA) !== 0
    if (hr.sslRequest) {
      this.phase = Phase.Stopped
      // the bytes after this packet are TLS (its event says so in pbx.starttls); a TLS handler
      // that cannot be opened leaves a transaction to say why the connection is opaque.
      if (this.s.switchToTls(this.s.at.frame)) return
      const t = this.newReq(0, 'TLS', 0)
      t.reqBytes = bytes
      this.note(t, note('mysql.tls'))
      this.ctx.stats.bad('mysql: TLS, not parsed')
      this.emit(t)
      this.phase = Phase.Stopped
      return
    }
    if (hr.user) this.user = hr.user
    if (hr.database) this.database = hr.database
    this.login = this.newReq(0, 'LOGIN', 0)
    this.login.reqBytes = bytes
    this.phase = Phase.Auth
  }

  private command(p: Buffer, bytes: number, truncated: boolean): void {
    const cmd = p[0] as number
    const name = COMMANDS[cmd]
    if (name === undefined) {
      this.bad('mysql: unknown command')
      return
    }
    const q = this.newReq(cmd, name, bytes)
    let text: string | undefined
    switch (cmd) {
      case 0x03: {
        // COM_QUERY; with CLIENT_QUERY_ATTRIBUTES the text follows the attributes
        let at = 1
        if (this.queryAttrs) {
          at = queryAttributesEnd(p, this.r)
          if (at < 0) {
            this.bad('mysql: undecodable query attributes', q)
            at = p.length
          }
        }
        text = p.toString('utf8', at)
        break
      }
      case 0x16: // COM_STMT_PREPARE
        text = p.toString('utf8', 1)
        break
      case 0x11: {
        // COM_CHANGE_USER: user NUL-terminated first
        const r = this.r.reset(p)
        r.u8()
        const u = r.cstr()
        if (u) this.user = u
        break
      }
      case 0x02: // COM_INIT_DB
        this.database = p.toString('utf8', 1)
        q.query = `USE ${this.database}`
        break
      case 0x17: // COM_STMT_EXECUTE: stmt id (4)
      case 0x18: // COM_STMT_SEND_LONG_DATA
      case 0x19: // COM_STMT_CLOSE
      case 0x1a: // COM_STMT_RESET
      case 0x1c: {
        // COM_STMT_FETCH
        if (p.length >= 5) {
          const id = p.readUInt32LE(1)
          q.stmtId = id
          const st = this.stmts.get(id)
          if (st !== undefined) {
            q.query = st.sql
            if (cmd === 0x17) {
              q.method = sqlMethod(st.sql) || name
              this.params(q, p, st, truncated)
            }
          } else if (cmd === 0x17) this.note(q, note('mysql.unknown_statement', `statement ${id} was not prepared in this capture`))
          if (cmd === 0x19) this.stmts.delete(id)
        } else this.bad('mysql: short statement command', q)
        break
      }
    }
    if (text !== undefined) {
      q.query = text
      q.method = sqlMethod(text) || name
      if (truncated) this.note(q, note('limit.message_bytes', 'query truncated (limits.maxMessageBytes)'))
    }
    if (cmd === 0x01 || cmd === 0x18 || cmd === 0x19) {
      // no response expected (COM_QUIT: the server closes; the others by definition)
      this.emit(q)
      return
    }
    this.queue.push(q)
    if (this.s.lost[1] && this.queue.length === 1) {
      // server resynchronised at the start of its next message
      this.s.lost[1] = false
      this.s.framers[1].reset()
    }
  }

  // --- server packets ------------------------------------------------------------------------

  server(p: Buffer, seq: number, total: number, _truncated: boolean): void {
    const bytes = total + 4 * (1 + Math.floor(total / 0xffffff))
    const first = p.length > 0 ? (p[0] as number) : -1
    if (this.phase === Phase.Start) {
      const g = seq === 0 ? parseGreeting(p, this.r) : null
      if (g) {
        this.serverVersion = g.serverVersion
        this.serverCaps = g.capabilities
        this.serverExtCaps = g.extCapabilities
        this.phase = Phase.Greeted
        return
      }
      if (first === 0xff && seq === 0) {
        // "Host is not allowed to connect": an ERR instead of the greeting
        const t = this.newReq(0, 'LOGIN', 0, true)
        t.respBytes = bytes
        this.applyErr(t, p)
        this.emit(t)
        return
      }
      // Mid-stream: a server packet with nothing to answer.
      this.orphan(bytes)
      return
    }
    if (this.phase === Phase.Greeted) return
    if (this.phase === Phase.Auth) {
      const l = this.login
      if (l) {
        l.respBytes += bytes
        this.touch(l)
      }
      if (first === 0x00) {
        // OK: logged in. Compression starts after this packet when both sides asked for it.
        this.login = null
        this.phase = Phase.Command
        if (this.serverCaps & this.clientCaps & CLIENT_COMPRESS) {
          const t = this.newReq(0, 'COMPRESS', 0, true)
          this.note(t, note('mysql.compressed'))
          this.ctx.stats.bad('mysql: compressed, not parsed')
          this.emit(t)
          this.phase = Phase.Stopped
        }
      } else if (first === 0xff && l) {
        this.applyErr(l, p)
        this.emit(l)
        this.login = null
        this.phase = Phase.Command
      }
      // 0x01 AuthMoreData, 0xfe AuthSwitchRequest: the exchange goes on
      return
    }
    if (this.phase !== Phase.Command) return
    const q = this.queue.peek()
    if (!q) {
      this.orphan(bytes)
      return
    }
    q.respBytes += bytes
    q.answered = true
    this.touch(q)
    this.response(q, p, first, total)
    if (q.rs === Rs.Done) {
      this.queue.shift()
      this.s.framers[1].skipBodies = false
      this.emit(q)
    }
  }

  private response(q: Req, p: Buffer, first: number, total: number): void {
    const eofLike = first === 0xfe && total < 9
    switch (q.rs) {
      case Rs.First:
        if (first === 0xff) {
          this.applyErr(q, p)
          q.rs = Rs.Done
          return
        }
        if (first === 0x00 && q.cmd === 0x16) {
          // COM_STMT_PREPARE_OK: id(4) columns(2) params(2) filler warnings
          if (p.length < 9) {
            this.bad('mysql: short COM_STMT_PREPARE_OK', q)
            q.rs = Rs.Done
            return
          }
          const id = p.readUInt32LE(1)
          q.prepId = id
          q.stmtId = id
          q.prepCols = p.readUInt16LE(5)
          q.prepParams = p.readUInt16LE(7)
          q.numFields = q.prepCols
          this.remember(id, q.query ?? '', q.prepParams)
          this.prepNext(q, Rs.First)
          return
        }
        if (q.cmd === 0x11) {
          // COM_CHANGE_USER: an authentication exchange (AuthSwitchRequest, AuthMoreData) until OK
          if (first === 0x00) q.rs = Rs.Done
          return
        }
        if (first === 0xfe && total < 7) {
          // EOF_Packet (COM_SET_OPTION, COM_DEBUG, ...)
          q.rs = (eofStatus(p) & SERVER_MORE_RESULTS_EXISTS) !== 0 ? Rs.First : Rs.Done
          return
        }
        if (first === 0x00 || (first === 0xfe && (eofLike || (this.deprecateEof && total < 0xffffff)))) {
          this.ok(q, p)
          return
        }
        if (first === 0xfb && (q.cmd === 0x03 || q.cmd === 0x17)) {
          q.rs = Rs.Infile
          return
        }
        if (q.cmd === 0x09 || q.cmd === 0x12 || q.cmd === 0x1e) {
          // COM_STATISTICS: a human-readable string; binlog dumps: not modelled
          q.rs = Rs.Done
          return
        }
        if (q.cmd === 0x04) {
          // COM_FIELD_LIST: column definitions until EOF
          q.rs = Rs.Columns
          q.left = Number.MAX_SAFE_INTEGER
          this.response(q, p, first, total)
          return
        }
        if (q.cmd === 0x1c) {
          q.rs = Rs.Rows
          this.s.framers[1].skipBodies = true
          this.response(q, p, first, total)
          return
        }
        {
          this.r.reset(p)
          const n = this.r.lenenc()
          if (this.r.bad || n <= 0) {
            this.bad('mysql: bad column count', q)
            q.rs = Rs.Done
            return
          }
          q.resultSets++
          q.numFields ??= n
          q.left = n
          q.rs = Rs.Columns
          if (this.raw.sendResponse && q.cmd === 0x03 && q.resultSets === 1) {
            q.text = new ResultText(this.raw)
            q.colNames = []
          }
          // MARIADB_CLIENT_CACHE_METADATA: a "metadata follows" byte after the count (MariaDB docs,
          // "Result Set Packets" / column count packet). 0: no column definitions; the EOF that
          // ends them (unless CLIENT_DEPRECATE_EOF) or the rows come next. A count packet without
          // the byte is taken as "metadata follows".
          if (this.cacheMeta && this.r.left >= 1 && this.r.u8() === 0) {
            q.left = 0
            if (this.deprecateEof) this.startRows(q)
            else q.rs = Rs.ColumnsEof
          }
        }
        return
      case Rs.Columns:
        if (first === 0xff) {
          this.applyErr(q, p)
          q.rs = Rs.Done
          return
        }
        if (eofLike && q.cmd === 0x04) {
          q.rs = Rs.Done
          return
        }
        if (q.colNames !== undefined && q.colNames.length < (q.numFields ?? 0)) q.colNames.push(columnName(p, this.r))
        if (q.path === undefined || q.path.length < PATH_MAX) {
          const t = columnTable(p, this.r)
          if (t && (q.path === undefined || !q.path.split(', ').includes(t))) q.path = q.path ? `${q.path}, ${t}` : t
        }
        if (--q.left === 0) {
          if (this.deprecateEof) this.startRows(q)
          else q.rs = Rs.ColumnsEof
        }
        return
      case Rs.ColumnsEof:
        if (first === 0xff) {
          this.applyErr(q, p)
          q.rs = Rs.Done
          return
        }
        if (!eofLike) this.bad('mysql: missing EOF after column definitions', q)
        this.startRows(q)
        if (!eofLike) {
          this.response(q, p, first, total)
          return
        }
        return
      case Rs.Rows:
        if (first === 0xff) {
          this.applyErr(q, p)
          this.s.framers[1].skipBodies = false
          q.rs = Rs.Done
          return
        }
        if (first === 0xfe && (total < 9 || (this.deprecateEof && total < 0xffffff))) {
          this.s.framers[1].skipBodies = false
          const status = total < 9 && !this.deprecateEof ? eofStatus(p) : (parseOk(p, this.r, this.protocol41)?.status ?? 0)
          q.rs = (status & SERVER_MORE_RESULTS_EXISTS) !== 0 ? Rs.First : Rs.Done
          return
        }
        q.numRows++
        if (q.text !== undefined && q.resultSets === 1 && q.text.wantsRows && p.length === total) {
          q.text.addRow(textRow(p, this.r))
          if (!q.text.wantsRows) this.s.framers[1].skipBodies = true
        }
        return
      case Rs.PrepParams:
      case Rs.PrepColumns:
        if (--q.left === 0) {
          this.prepNext(q, q.rs)
          return
        }
        return
      case Rs.PrepParamsEof:
      case Rs.PrepColumnsEof:
        if (!eofLike) this.bad('mysql: missing EOF in prepare response', q)
        this.prepNext(q, q.rs)
        return
      case Rs.Infile:
        // the server's final OK/ERR after the file was sent
        if (first === 0x00) {
          this.ok(q, p)
          return
        }
        if (first === 0xff) this.applyErr(q, p)
        q.rs = Rs.Done
        return
      default:
        return
    }
  }

  /**
   * The rows of a result set follow: their bodies are skipped by the framer unless send_response
   * still wants rows of this one (then the framer delivers them whole).
   */
  private startRows(q: Req): void {
    q.rs = Rs.Rows
    if (q.text !== undefined && q.colNames !== undefined) {
      q.text.setColumns(q.colNames)
      q.colNames = undefined
    }
    this.s.framers[1].skipBodies = !(q.text !== undefined && q.resultSets === 1 && q.text.wantsRows)
  }

  /** Next part of a COM_STMT_PREPARE response after `from`. */
  private prepNext(q: Req, from: Rs): void {
    const eof = !this.deprecateEof
    if (from === Rs.First && q.prepParams > 0) {
      q.left = q.prepParams
      q.rs = Rs.PrepParams
      return
    }
    if (from === Rs.PrepParams && eof) {
      q.rs = Rs.PrepParamsEof
      return
    }
    if ((from === Rs.First || from === Rs.PrepParams || from === Rs.PrepParamsEof) && q.prepCols > 0) {
      q.left = q.prepCols
      q.rs = Rs.PrepColumns
      return
    }
    if (from === Rs.PrepColumns && eof) {
      q.rs = Rs.PrepColumnsEof
      return
    }
    q.rs = Rs.Done
  }

  private ok(q: Req, p: Buffer): void {
    const ok = parseOk(p, this.r, this.protocol41)
    if (!ok) {
      this.bad('mysql: malformed OK packet', q)
      q.rs = Rs.Done
      return
    }
    q.affectedRows = ok.affectedRows
    q.insertId = ok.insertId
    q.rs = (ok.status & SERVER_MORE_RESULTS_EXISTS) !== 0 ? Rs.First : Rs.Done
  }

  private applyErr(q: Req, p: Buffer): void {
    q.status = 'Error'
    const e = parseErr(p, this.r)
    if (!e) {
      this.bad('mysql: malformed ERR packet', q)
      return
    }
    q.errCode = e.code
    // Packetbeat's form: "<SQLSTATE>: <message>"
    q.errMsg = e.sqlState ? `${e.sqlState}: ${e.message}` : e.message
    if (e.sqlState) q.sqlState = e.sqlState
  }

  private orphan(bytes: number): void {
    const t = this.newReq(0, '', 0, true)
    t.respBytes = bytes
    t.status = 'Error'
    this.note(t, note('mysql.unmatched_response'))
    this.ctx.stats.unmatchedResponses++
    this.emit(t)
    // ignore the rest of this response: resynchronise at the next client command
    this.s.lost[1] = true
    this.s.framers[1].reset()
  }

  /** The parameter values of a COM_STMT_EXECUTE into q.params (see executeParams). */
  private params(q: Req, p: Buffer, st: PreparedStatement, truncated: boolean): void {
    const out: string[] = []
    const err = executeParams(p, this.r, st, this.queryAttrs, this.raw.maxChars, out)
    if (err !== undefined) {
      if (truncated) this.note(q, note('limit.message_bytes', 'parameters truncated (limits.maxMessageBytes)'))
      else this.bad(`mysql: ${err}`, q)
    }
    if (out.length > 0) q.params = out
  }

  private remember(id: number, sql: string, numParams: number): void {
    if (this.stmts.size >= Math.max(1, this.ctx.limits.maxPendingRequests) && !this.stmts.has(id)) {
      const oldest = this.stmts.keys().next().value
      if (oldest !== undefined) this.stmts.delete(oldest)
      this.ctx.stats.limit('maxPendingRequests')
    }
    this.stmts.set(id, {sql, numParams})
  }

  // --- helpers -------------------------------------------------------------------------------

  /** A request starting at the current client message (or, `fromServer`, at the current packet). */
  private newReq(cmd: number, method: string, bytes: number, fromServer = false): Req {
    const s = this.s.msgStart[0] as [number, number, number]
    const at = this.s.at
    const own = !fromServer && s[2] !== 0
    return {
      cmd,
      method,
      startSec: own ? s[0] : at.tsSec,
      startNsec: own ? s[1] : at.tsNsec,
      startFrame: own ? s[2] : at.frame,
      endSec: at.tsSec,
      endNsec: at.tsNsec,
      endFrame: at.frame,
      reqBytes: bytes,
      respBytes: 0,
      status: 'OK',
      rs: Rs.First,
      left: 0,
      numRows: 0,
      resultSets: 0,
      prepParams: 0,
      prepCols: 0,
      answered: false,
    }
  }

  private touch(q: Req): void {
    q.endSec = this.s.at.tsSec
    q.endNsec = this.s.at.tsNsec
    q.endFrame = this.s.at.frame
  }

  private note(q: Req, n: Note): void {
    if (!q.notes) q.notes = []
    if (q.notes.length < 16) q.notes.push(n)
  }

  /** Counts `reason` in the stats and, given `q`, notes it there (code mysql.malformed). */
  private bad(reason: string, q?: Req): void {
    this.ctx.stats.bad(reason)
    if (q) this.note(q, note('mysql.malformed', reason.startsWith('mysql: ') ? reason.slice(7) : reason))
  }

  private finish(q: Req): void {
    this.s.framers[1].skipBodies = false
    this.emit(q)
  }

  private emit(q: Req): void {
    const mysql: Record<string, unknown> = {}
    // Every answered, successful response carries both, 0 when no OK packet said otherwise (a
    // result set), as Packetbeat publishes them.
    const okResponse = q.answered && q.status === 'OK'
    if (q.affectedRows !== undefined || okResponse) mysql.affected_rows = q.affectedRows ?? 0
    if (q.insertId !== undefined || okResponse) mysql.insert_id = q.insertId ?? 0
    if (q.numFields !== undefined) mysql.num_fields = q.numFields
    if (q.resultSets > 0 || q.numRows > 0) mysql.num_rows = q.numRows
    if (q.errCode !== undefined) mysql.error_code = q.errCode
    if (q.errMsg !== undefined) mysql.error_message = q.errMsg
    const pbxMysql: Record<string, unknown> = {}
    if (q.cmd !== 0 || q.method === 'LOGIN') pbxMysql.command = q.method === 'LOGIN' ? 'LOGIN' : `COM_${COMMANDS[q.cmd]}`
    if (q.stmtId !== undefined) pbxMysql.statement_id = q.stmtId
    if (q.sqlState !== undefined) pbxMysql.sql_state = q.sqlState
    if (q.resultSets > 1) pbxMysql.result_sets = q.resultSets
    if (this.user !== undefined) pbxMysql.user = this.user
    if (this.database !== undefined) pbxMysql.database = this.database
    if (this.serverVersion !== undefined) pbxMysql.server_version = this.serverVersion
    const pbx: Record<string, unknown> = {}
    if (q.query !== undefined && q.cmd !== 0x02) pbx.query_fingerprint = fingerprint(q.query, 'mysql')
    pbx.mysql = pbxMysql
    const fields: Record<string, unknown> = {}
    if (Object.keys(mysql).length > 0) fields.mysql = mysql
    fields.pbx = pbx
    if (q.params !== undefined) fields.params = q.params
    if (this.raw.sendRequest && q.query !== undefined) fields.request = bounded(q.query, this.raw.maxChars)
    if (q.text !== undefined) {
      const t = q.text.text()
      if (t !== undefined) fields.response = t
    }
    this.ctx.emit(
      newTransaction({
        type: 'mysql',
        conn: this.conn,
        status: q.status,
        start: {tsSec: q.startSec, tsNsec: q.startNsec, frame: q.startFrame},
        end: {tsSec: q.endSec, tsNsec: q.endNsec, frame: q.endFrame},
        requestBytes: q.reqBytes,
        responseBytes: q.respBytes,
        fields,
        method: q.method || undefined,
        query: q.query,
        path: q.path,
        notes: q.notes,
      }),
    )
  }
}
