/**
 * PostgreSQL event fields (Packetbeat's names where Packetbeat has one; pbx.* extras otherwise). The
 * single source for CSV columns and `pbx fields`. Common fields (method, query, ...) are in
 * src/event/fields.ts.
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'request', type: 'text', description: 'The SQL text of the request (only with send_request), at most limits.maxCapturedMessageBytes characters.'},
  {name: 'response', type: 'text', description: 'The last result set as CSV (only with send_response, as Packetbeat): a header line of column names, then at most max_rows rows (default 10), each cut at max_row_length characters (default 1024); NULL written NULL; at most limits.maxCapturedMessageBytes characters.'},
  {name: 'pgsql.num_fields', type: 'long', description: 'Columns of the last result set (RowDescription) of the query; absent when no statement returned one.'},
  {name: 'pgsql.num_rows', type: 'long', description: 'Rows of the last result set (its CommandComplete count, or the DataRows counted when the tag has none); without a result set, the last statement\'s count. Extended protocol: the rows of the Execute.'},
  {name: 'pgsql.error_code', type: 'keyword', description: 'SQLSTATE of an ErrorResponse (field C).'},
  {name: 'pgsql.error_message', type: 'text', description: 'Message of an ErrorResponse (field M).'},
  {name: 'pgsql.error_severity', type: 'keyword', description: 'Severity of an ErrorResponse (field V, else S).'},
  {name: 'pbx.query_fingerprint', type: 'keyword', description: 'Normalised query (literals as ?, IN lists collapsed); see src/util/sql-fingerprint.ts.'},
  {name: 'pbx.pgsql.command_tag', type: 'keyword', description: 'Tag of the last CommandComplete ("SELECT 5", "INSERT 0 1", ...).'},
  {name: 'pbx.pgsql.statements', type: 'long', description: 'CommandCompletes of a multi-statement simple query, when more than one.'},
  {name: 'pbx.pgsql.copy_messages', type: 'long', description: 'CopyData messages of a COPY (either direction), counted not stored.'},
  {name: 'pbx.pgsql.notices', type: 'long', description: 'NoticeResponses received during the transaction.'},
  {name: 'pbx.pgsql.user', type: 'keyword', description: 'User from the StartupMessage of this connection.'},
  {name: 'pbx.pgsql.database', type: 'keyword', description: 'Database from the StartupMessage of this connection.'},
  {name: 'pbx.pgsql.application_name', type: 'keyword', description: 'application_name from the StartupMessage of this connection.'},
  {name: 'pbx.pgsql.server_version', type: 'keyword', description: 'server_version ParameterStatus of this connection.'},
]
