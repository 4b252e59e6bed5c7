/**
 * PostgreSQL connection state: startup (SSLRequest, StartupMessage, authentication), then simple and
 * extended query cycles matched to their responses.
 *
 * ./session.ts receives the stream (data/gap per direction in order, then one end(); dir 0 =
 * client) through one PgFramer per direction; messages reach `client()` / `server()` in order.
 *
 * Model: the client's requests form "cycles", each ended by exactly one ReadyForQuery ('Z') from the
 * server: a simple Query ('Q'), an extended batch up to Sync ('S'), a FunctionCall, or the startup.
 * Cycles are queued in order (the extended protocol pipelines) in the shared PendingQueue
 * (limits.maxPendingRequests); server messages go to the oldest.
 * Transactions:
 * - simple Query: one transaction for the whole query string, even when it holds several
 *   statements: num_fields and num_rows are those of the last result set (the last statement with
 *   a RowDescription: its columns, and its CommandComplete tag's count, else the DataRows counted);
 *   with no result set, num_rows is the last statement's count and num_fields is absent - one
 *   statement's figures, never a sum over different result sets -,
 *   pbx.pgsql.statements the number of CommandCompletes when above one, pbx.pgsql.command_tag the
 *   last tag (the same statement). ReadyForQuery ends it.
 * - extended batch: one transaction per Execute, carrying the text of the statement its portal was
 *   bound to (Parse -> Bind -> Execute; named statements and portals kept per connection, bounded
 *   by limits.maxPendingRequests). Parse/Bind/Describe bytes before an Execute count as that
 *   Execute's request, Sync and ReadyForQuery bytes as the last Execute's. An Execute skipped by the
 *   server after an earlier error in the batch is emitted as Error with a note. A batch without
 *   Execute (a Parse/Describe/Sync preparing a statement) emits nothing unless it failed (then one
 *   Error transaction with the Parse text).
 * - startup: nothing on success (user, database and application_name go on later events as
 *   pbx.pgsql.*); an ErrorResponse during startup is an Error transaction with method LOGIN.
 * - SSLRequest answered 'S' (or GSSENCRequest answered 'G'): parsing stops; one transaction (method
 *   TLS / GSSENC) with a note. Answered 'N': the startup continues in clear.
 * - Bytes: every message of the cycle except the closing ReadyForQuery (as Packetbeat; Packetbeat
 *   also leaves out ParseComplete/BindComplete, pbx counts them).
 * - NoticeResponse, NotificationResponse and ParameterStatus are not transactions: notices are
 *   counted in pbx.pgsql.notices of the transaction in progress; the others are ignored (the
 *   server_version parameter is kept and put on events).
 * - COPY: CopyData messages of either side are counted (pbx.pgsql.copy_messages), never stored.
 */
import {type Note, note} from '../../event/anomalies.js'
import {newTransaction} from '../../event/transaction.js'
import type {ConnInfo} from '../../reassembly/types.js'
import {fingerprint} from '../../util/sql-fingerprint.js'
import {PendingQueue} from '../shared/pending-queue.js'
import {bounded, type RawTextOptions, ResultText, rawTextOptions} from '../shared/result-text.js'
import type {ProtocolContext} from '../types.js'
import type {PgsqlSession} from './session.js'
import {
  CANCEL_REQUEST,
  Cursor,
  GSSENC_REQUEST,
  dataRowCells,
  parseErrorFields,
  rowDescriptionNames,
  SSL_REQUEST,
  sqlMethod,
  tagRows,
} from './parser.js'

interface Tx {
  method: string
  query?: string
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
  numFields?: number
  numRows: number
  /** DataRows of the statement in progress. */
  stmtRows: number
  /** The statement in progress had a RowDescription. */
  stmtFields: boolean
  /** A statement of this simple Query returned a result set (RowDescription). */
  resultSet: boolean
  statements: number
  tag?: string
  errCode?: string
  errMsg?: string
  errSeverity?: string
  copy: number
  notices: number
  answered: boolean
  /** send_response: the last result set, as text (../shared/result-text.ts). */
  text?: ResultText
}

enum Kind {
  Simple = 0,
  Extended = 1,
  Startup = 2,
  Ssl = 3,
}

interface Cycle {
  kind: Kind
  txs: Tx[]
  /** Index of the transaction the server is answering (extended). */
  cur: number
  /** Parse/Bind/Describe seen since the last Execute (their bytes go to the next Execute). */
  pre: Tx | null
  /** Sync (or the Query) was read: no more client messages belong to this cycle. */
  closed: boolean
  failed: boolean
  /** Text of the last Parse of the cycle, for a failed cycle without Execute. */
  parseText?: string
}

const NO_RESPONSE = note('pgsql.no_response')

const ASYNC = new Set([0x4e /* N */, 0x41 /* A */, 0x53 /* S */])

/**
 * The state of one connection and the matching of its messages (fed by ./session.ts, whose framers
 * and per-direction resynchronisation state it steers through `s`).
 */
export class PgsqlMatcher {
  private readonly c = new Cursor(Buffer.alloc(0))
  /** Parsing stopped for good (TLS/GSSENC accepted, end of connection): the session drops bytes. */
  stopped = false
  /** Cycles waiting for their ReadyForQuery, oldest first. */
  private readonly queue: PendingQueue<Cycle>
  /** Extended cycle still receiving client messages (no Sync yet). */
  private open: Cycle | null = null
  /** Statement name -> SQL text, portal name -> SQL text (bounded; see class comment). */
  private readonly stmts = new Map<string, string>()
  private readonly portals = new Map<string, string>()
  private user?: string
  private database?: string
  private app?: string
  private serverVersion?: string
  private orphaned = false
  /** send_request / send_response, max_rows / max_row_length (Packetbeat defaults 10 / 1024). */
  private readonly raw: RawTextOptions

  constructor(
    private readonly conn: ConnInfo,
    private readonly ctx: ProtocolContext,
    private readonly s: PgsqlSession,
  ) {
    this.raw = rawTextOptions(ctx.options, ctx.limits, 'max_rows', 'max_row_length', {rows: 10, length: 1024})
    this.queue = new PendingQueue<Cycle>(ctx.limits, ctx.stats, (old, n) => {
      for (const t of old.txs) this.note(t, n)
      this.finishCycle(old, null)
    })
  }

  /** `nbytes` of the server stream were lost: the cycle being answered is emitted as it is. */
  responseGap(nbytes: number): void {
    const cy = this.queue.shift()
    if (cy) this.finishCycle(cy, note('tcp.gap', `packet loss while capturing the response (${nbytes} bytes)`))
  }

  /** End of connection: every queued cycle is emitted. */
  end(): void {
    const left = this.queue.drain()
    if (!this.stopped) {
      for (const cy of left) this.finishCycle(cy, null, true)
    }
    this.open = null
    this.stopped = true
  }

  // --- client --------------------------------------------------------------------------------

  client(type: number, body: Buffer, total: number, truncated: boolean): void {
    const bytes = total + (type === 0 ? 4 : 5)
    this.clientMessage(type, body, bytes, truncated)
    this.s.mark()
  }

  private clientMessage(type: number, body: Buffer, bytes: number, truncated: boolean): void {
    const c = this.c
    if (type === 0) {
      this.startup(body, bytes)
      return
    }
    this.orphaned = false
    switch (type) {
      case 0x51: {
        // Q: simple query
        this.closeOpen()
        const q = body.length > 0 && body[body.length - 1] === 0 ? body.toString('utf8', 0, body.length - 1) : body.toString('utf8')
        const tx = this.newTx(sqlMethod(q) || 'QUERY', bytes)
        tx.query = q
        if (truncated) this.note(tx, note('limit.message_bytes', 'query truncated (limits.maxMessageBytes)'))
        this.push({kind: Kind.Simple, txs: [tx], cur: 0, pre: null, closed: true, failed: false})
        return
      }
      case 0x50: {
        // P: Parse — statement name, query, parameter types
        const cy = this.extended()
        c.reset(body)
        const name = c.cstr()
        const q = c.cstr()
        if (c.bad && !truncated) this.bad('pgsql: malformed Parse')
        this.remember(this.stmts, name, q)
        cy.parseText = q
        this.preTx(cy, bytes)
        return
      }
      case 0x42: {
        // B: Bind — portal, statement, ...
        const cy = this.extended()
        c.reset(body)
        const portal = c.cstr()
        const stmt = c.cstr()
        const text = this.stmts.get(stmt)
        if (text !== undefined) this.remember(this.portals, portal, text)
        else this.portals.delete(portal)
        this.preTx(cy, bytes)
        return
      }
      case 0x44: // D: Describe
      case 0x48: // H: Flush
        this.preTx(this.extended(), bytes)
        return
      case 0x43: {
        // C: Close 'S' statement / 'P' portal
        const cy = this.extended()
        c.reset(body)
        const what = c.u8()
        const name = c.cstr()
        if (what === 0x53) this.stmts.delete(name)
        else if (what === 0x50) this.portals.delete(name)
        this.preTx(cy, bytes)
        return
      }
      case 0x45: {
        // E: Execute — portal name, max rows
        const cy = this.extended()
        c.reset(body)
        const portal = c.cstr()
        const text = this.portals.get(portal)
        const tx = cy.pre ?? this.newTx('EXECUTE', 0)
        cy.pre = null
        tx.reqBytes += bytes
        if (text !== undefined) {
          tx.query = text
          tx.method = sqlMethod(text) || 'EXECUTE'
        } else this.note(tx, note('pgsql.unknown_portal', `portal "${portal}" was not bound in this capture`))
        if (portal === '') this.portals.delete('') // the unnamed portal lives until the next Bind/Sync
        cy.txs.push(tx)
        return
      }
      case 0x53: {
        // S: Sync — ends the extended cycle
        const cy = this.open ?? this.extended()
        const last = cy.txs[cy.txs.length - 1]
        if (last) last.reqBytes += bytes
        else this.preTx(cy, bytes)
        cy.closed = true
        this.open = null
        return
      }
      case 0x46: {
        // F: FunctionCall — answered by FunctionCallResponse + ReadyForQuery
        this.closeOpen()
        this.push({kind: Kind.Simple, txs: [this.newTx('FUNCTION_CALL', bytes)], cur: 0, pre: null, closed: true, failed: false})
        return
      }
      case 0x64: // d CopyData
      case 0x63: // c CopyDone
      case 0x66: {
        // f CopyFail
        const tx = this.current()
        if (tx) {
          tx.reqBytes += bytes
          if (type === 0x64) tx.copy++
        }
        return
      }
      case 0x70: {
        // p: password / SASL / GSS response, during startup
        const cy = this.queue.last()
        const tx = cy?.kind === Kind.Startup ? cy.txs[0] : undefined
        if (tx) tx.reqBytes += bytes
        return
      }
      case 0x58: // X: Terminate
        return
      default:
        this.bad('pgsql: unknown client message')
        this.s.lost[0] = true
        this.s.framers[0].reset()
    }
  }

  private startup(body: Buffer, bytes: number): void {
    if (body.length < 4) {
      this.bad('pgsql: short startup message')
      return
    }
    const code = body.readUInt32BE(0)
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      const tx = this.newTx(code === SSL_REQUEST ? 'TLS' : 'GSSENC', bytes)
      this.push({kind: Kind.Ssl, txs: [tx], cur: 0, pre: null, closed: true, failed: false})
      this.s.framers[1].singleByte = true
      this.s.framers[0].untyped = true // the StartupMessage follows if the answer is 'N'
      return
    }
    if (code === CANCEL_REQUEST) {
      this.emit(this.newTx('CANCEL', bytes))
      return
    }
    if (code >>> 16 !== 3) {
      this.bad('pgsql: unsupported protocol version')
      return
    }
    const c = this.c.reset(body)
    c.pos = 4
    while (c.pos < body.length) {
      const k = c.cstr()
      if (k === '' || c.bad) break
      const v = c.cstr()
      if (k === 'user') this.user = v
      else if (k === 'database') this.database = v
      else if (k === 'application_name') this.app = v
    }
    this.push({kind: Kind.Startup, txs: [this.newTx('LOGIN', bytes)], cur: 0, pre: null, closed: true, failed: false})
  }

  // --- server --------------------------------------------------------------------------------

  server(type: number, body: Buffer, total: number, truncated: boolean): void {
    const cy = this.queue.peek()
    if (cy?.kind === Kind.Ssl && total === 0 && body.length === 0 && (type === 0x53 || type === 0x4e || type === 0x47)) {
      this.queue.shift()
      const tx = cy.txs[0] as Tx
      tx.respBytes += 1
      this.touch(tx)
      if (type === 0x4e) return // 'N': continue in clear (the StartupMessage follows)
      this.note(tx, note('pgsql.encrypted', `${tx.method} accepted: encrypted traffic is not parsed`))
      this.ctx.stats.bad(`pgsql: ${tx.method}, not parsed`)
      this.emit(tx)
      this.stopped = true
      return
    }
    const bytes = total + 5
    if (!cy) {
      if (ASYNC.has(type) || type === 0x5a) return // notices, notifications, parameters; a stray 'Z'
      if (!this.orphaned) {
        this.orphaned = true
        const tx = this.newTx('', 0, true)
        tx.respBytes = bytes
        tx.status = 'Error'
        this.note(tx, note('pgsql.unmatched_response'))
        this.ctx.stats.unmatchedResponses++
        this.emit(tx)
      }
      return
    }
    const tx = this.target(cy)
    if (tx) {
      // ReadyForQuery closes the cycle; like Packetbeat, its bytes are not counted in the response
      if (type !== 0x5a) tx.respBytes += bytes
      tx.answered = true
      this.touch(tx)
    }
    const c = this.c
    switch (type) {
      case 0x5a: // Z ReadyForQuery: the cycle is over
        this.s.framers[1].keepRows = false
        this.queue.shift()
        this.finishCycle(cy, null)
        return
      case 0x54: // T RowDescription
        if (tx && body.length >= 2) {
          tx.numFields = body.readInt16BE(0)
          tx.stmtFields = true
          if (this.raw.sendResponse) {
            tx.text ??= new ResultText(this.raw)
            tx.text.setColumns(rowDescriptionNames(body, c))
            this.s.framers[1].keepRows = tx.text.wantsRows
          }
        }
        return
      case 0x44: // D DataRow (body skipped by the framer unless send_response wants rows)
        if (tx) {
          tx.stmtRows++
          if (tx.text !== undefined && body.length > 0 && !truncated && tx.text.wantsRows) {
            tx.text.addRow(dataRowCells(body, c))
            if (!tx.text.wantsRows) this.s.framers[1].keepRows = false
          }
        }
        return
      case 0x43: {
        // C CommandComplete
        this.s.framers[1].keepRows = false
        if (!tx) return
        c.reset(body)
        const tag = c.cstr()
        const n = tagRows(tag)
        const rows = n >= 0 ? n : tx.stmtRows
        if (cy.kind === Kind.Simple) {
          // The query's last result set (a statement with a RowDescription) describes the
          // transaction; while no statement returned one, the latest statement's count does.
          if (tx.stmtFields) {
            tx.numRows = rows
            tx.resultSet = true
          } else if (!tx.resultSet) tx.numRows = rows
        } else tx.numRows += rows
        tx.stmtRows = 0
        tx.stmtFields = false
        tx.statements++
        tx.tag = tag
        if (cy.kind === Kind.Extended) cy.cur++
        return
      }
      case 0x49: // I EmptyQueryResponse
      case 0x73: // s PortalSuspended
        if (tx) {
          tx.numRows += tx.stmtRows
          tx.stmtRows = 0
        }
        if (cy.kind === Kind.Extended) cy.cur++
        return
      case 0x45: {
        // E ErrorResponse
        const e = parseErrorFields(body, c)
        const t = tx ?? this.failedPre(cy)
        if (t.errCode === undefined) {
          t.status = 'Error'
          if (e.code !== undefined) t.errCode = e.code
          if (e.message !== undefined) t.errMsg = e.message
          if (e.severity !== undefined) t.errSeverity = e.severity
        }
        if (cy.kind === Kind.Extended) {
          cy.failed = true
          t.numRows += t.stmtRows
          t.stmtRows = 0
        }
        if (cy.kind === Kind.Startup) {
          // the server closes the connection after a startup error
          this.queue.shift()
          this.emit(t)
        }
        return
      }
      case 0x4e: // N NoticeResponse
        if (tx) tx.notices++
        return
      case 0x53: {
        // S ParameterStatus
        c.reset(body)
        const k = c.cstr()
        const v = c.cstr()
        if (k === 'server_version') this.serverVersion = v
        return
      }
      case 0x64: // d CopyData (server -> client: COPY TO STDOUT)
        if (tx) tx.copy++
        return
      default:
        // R auth, K key data, 1/2/3 Parse/Bind/CloseComplete, n NoData, t ParameterDescription,
        // G/H/W copy responses, c CopyDone, A notification, V function result, v negotiate
        return
    }
  }

  /** The transaction a server message belongs to. */
  private target(cy: Cycle): Tx | null {
    if (cy.kind !== Kind.Extended) return cy.txs[0] ?? null
    return cy.txs[cy.cur] ?? cy.txs[cy.txs.length - 1] ?? cy.pre
  }

  /** The Tx to carry an error of a cycle that has no Execute yet (Parse error). */
  private failedPre(cy: Cycle): Tx {
    if (!cy.pre) cy.pre = this.newTx('', 0)
    const t = cy.pre
    if (cy.parseText !== undefined && t.query === undefined) {
      t.query = cy.parseText
      t.method = sqlMethod(cy.parseText) || 'PARSE'
    }
    t.answered = true
    this.touch(t)
    return t
  }

  /** Emits a cycle's transactions; `loss` is a note for the transaction in progress (a gap). */
  private finishCycle(cy: Cycle, loss: Note | null, atEnd = false): void {
    if (this.open === cy) this.open = null
    if (cy.kind === Kind.Startup || cy.kind === Kind.Ssl) {
      // success emits nothing; a startup cut short by a gap or the end of the capture is reported
      const tx = cy.txs[0] as Tx
      // (a client that closes after an authentication request, as psql does to ask for a password,
      // is not an error: nothing is emitted)
      if (loss || (atEnd && !tx.answered)) {
        this.note(tx, loss ?? NO_RESPONSE)
        if (!tx.answered) this.ctx.stats.unmatchedRequests++
        tx.status = 'Error'
        this.emit(tx)
      }
      return
    }
    const n = cy.txs.length
    for (let i = 0; i < n; i++) {
      const tx = cy.txs[i] as Tx
      tx.numRows += tx.stmtRows
      tx.stmtRows = 0
      if (loss && i === Math.min(cy.cur, n - 1)) this.note(tx, loss)
      if (!tx.answered) {
        tx.status = 'Error'
        if (cy.failed) this.note(tx, note('pgsql.not_executed'))
        else if (atEnd || loss) {
          this.note(tx, NO_RESPONSE)
          this.ctx.stats.unmatchedRequests++
        } else this.note(tx, NO_RESPONSE)
      }
      this.emit(tx)
    }
    if (n === 0 && cy.pre && (cy.pre.status === 'Error' || (!cy.pre.answered && cy.parseText !== undefined && atEnd))) {
      const t = cy.pre
      if (t.query === undefined && cy.parseText !== undefined) {
        t.query = cy.parseText
        t.method = sqlMethod(cy.parseText) || 'PARSE'
      }
      if (!t.answered) {
        t.status = 'Error'
        this.note(t, NO_RESPONSE)
        this.ctx.stats.unmatchedRequests++
      }
      this.emit(t)
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  /** The open extended cycle, created (and queued) if needed. */
  private extended(): Cycle {
    if (this.open) return this.open
    const cy: Cycle = {kind: Kind.Extended, txs: [], cur: 0, pre: null, closed: false, failed: false}
    this.open = cy
    this.push(cy)
    return cy
  }

  private closeOpen(): void {
    if (this.open) {
      this.open.closed = true
      this.open = null
    }
  }

  private preTx(cy: Cycle, bytes: number): void {
    if (!cy.pre) cy.pre = this.newTx('', 0)
    cy.pre.reqBytes += bytes
  }

  /** The transaction the client's CopyData belongs to: the one the server is answering. */
  private current(): Tx | null {
    const cy = this.queue.peek()
    return cy ? this.target(cy) : null
  }

  private push(cy: Cycle): void {
    this.queue.push(cy)
    if (this.s.lost[1] && this.queue.length === 1) {
      this.s.lost[1] = false
      this.s.framers[1].reset()
    }
  }

  private remember(m: Map<string, string>, k: string, v: string): void {
    if (!m.has(k) && m.size >= Math.max(1, this.ctx.limits.maxPendingRequests)) {
      const oldest = m.keys().next().value
      if (oldest !== undefined) m.delete(oldest)
      this.ctx.stats.limit('maxPendingRequests')
    }
    m.delete(k)
    m.set(k, v)
  }

  private newTx(method: string, bytes: number, fromServer = false): Tx {
    const s = this.s.msgStart
    const own = !fromServer && s[2] !== 0
    const at = this.s.at
    return {
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
      numRows: 0,
      stmtFields: false,
      resultSet: false,
      stmtRows: 0,
      statements: 0,
      copy: 0,
      notices: 0,
      answered: false,
    }
  }

  private touch(t: Tx): void {
    t.endSec = this.s.at.tsSec
    t.endNsec = this.s.at.tsNsec
    t.endFrame = this.s.at.frame
  }

  private note(t: Tx, n: Note): void {
    if (!t.notes) t.notes = []
    if (t.notes.length < 16) t.notes.push(n)
  }

  private bad(reason: string): void {
    this.ctx.stats.bad(reason)
  }

  private emit(q: Tx): void {
    const pgsql: Record<string, unknown> = {}
    if (q.numFields !== undefined) pgsql.num_fields = q.numFields
    if (q.statements > 0 || q.numRows > 0) pgsql.num_rows = q.numRows
    if (q.errCode !== undefined) pgsql.error_code = q.errCode
    if (q.errMsg !== undefined) pgsql.error_message = q.errMsg
    if (q.errSeverity !== undefined) pgsql.error_severity = q.errSeverity
    const x: Record<string, unknown> = {}
    if (q.tag !== undefined) x.command_tag = q.tag
    if (q.statements > 1) x.statements = q.statements
    if (q.copy > 0) x.copy_messages = q.copy
    if (q.notices > 0) x.notices = q.notices
    if (this.user !== undefined) x.user = this.user
    if (this.database !== undefined) x.database = this.database
    if (this.app !== undefined) x.application_name = this.app
    if (this.serverVersion !== undefined) x.server_version = this.serverVersion
    const pbx: Record<string, unknown> = {}
    if (q.query !== undefined) pbx.query_fingerprint = fingerprint(q.query, 'pgsql')
    pbx.pgsql = x
    const fields: Record<string, unknown> = {}
    if (Object.keys(pgsql).length > 0) fields.pgsql = pgsql
    fields.pbx = pbx
    if (this.raw.sendRequest && q.query !== undefined) fields.request = bounded(q.query, this.raw.maxChars)
    if (q.text !== undefined) {
      const t = q.text.text()
      if (t !== undefined) fields.response = t
    }
    this.ctx.emit(
      newTransaction({
        type: 'pgsql',
        conn: this.conn,
        status: q.status,
        start: {tsSec: q.startSec, tsNsec: q.startNsec, frame: q.startFrame},
        end: {tsSec: q.endSec, tsNsec: q.endNsec, frame: q.endFrame},
        requestBytes: q.reqBytes,
        responseBytes: q.respBytes,
        fields,
        method: q.method || undefined,
        query: q.query,
        notes: q.notes,
      }),
    )
  }
}
