/**
 * MySQL event fields (Packetbeat's names where Packetbeat has one; pbx.* extras otherwise). The
 * single source for CSV columns and `pbx fields`. Common fields (method, query, path, ...) are in
 * src/event/fields.ts.
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'request', type: 'text', description: 'The SQL text of the request (only with send_request), at most limits.maxCapturedMessageBytes characters.'},
  {name: 'response', type: 'text', description: 'The first result set of a COM_QUERY as CSV (only with send_response, as Packetbeat): a header line of column names, then at most max_rows rows (default 10), each cut at max_row_length characters (default 1024); NULL written NULL, newlines as \\n; at most limits.maxCapturedMessageBytes characters. Binary-protocol rows (COM_STMT_EXECUTE) are not rendered.'},
  {name: 'params', type: 'keyword', array: true, description: 'Parameter values of a COM_STMT_EXECUTE, as text, in order (Packetbeat\'s field): integers in decimal (unsigned when flagged), FLOAT/DOUBLE as shortest decimals, strings/blobs/decimals as sent, DATE/DATETIME/TIMESTAMP as "Y/M/D h:m:s" unpadded (Packetbeat\'s form), TIME as [-]H:MM:SS[.ffffff], NULL as "NULL"; together at most limits.maxCapturedMessageBytes characters. Needs the statement\'s COM_STMT_PREPARE in the capture and parameter types bound by this or an earlier execute.'},
  {name: 'mysql.affected_rows', type: 'long', description: 'Rows affected (OK packet), of the last statement; 0 on any other successful response (a result set), as Packetbeat.'},
  {name: 'mysql.insert_id', type: 'long', description: 'Last insert id (OK packet); 0 on any other successful response, as Packetbeat.'},
  {name: 'mysql.num_fields', type: 'long', description: 'Columns of the (first) result set, or of a prepared statement.'},
  {name: 'mysql.num_rows', type: 'long', description: 'Rows returned, summed over all result sets (rows are counted, not stored).'},
  {name: 'mysql.error_code', type: 'long', description: 'Error code of an ERR packet.'},
  {name: 'mysql.error_message', type: 'text', description: 'Error message of an ERR packet, as "<SQLSTATE>: <message>" (Packetbeat\'s form).'},
  {name: 'pbx.query_fingerprint', type: 'keyword', description: 'Normalised query (literals as ?, IN lists collapsed); see src/util/sql-fingerprint.ts.'},
  {name: 'pbx.mysql.command', type: 'keyword', description: 'Protocol command (COM_QUERY, COM_STMT_EXECUTE, ...) or LOGIN.'},
  {name: 'pbx.mysql.statement_id', type: 'long', description: 'Prepared statement id (COM_STMT_PREPARE response, COM_STMT_EXECUTE/CLOSE/...).'},
  {name: 'pbx.mysql.sql_state', type: 'keyword', description: 'SQLSTATE of an ERR packet.'},
  {name: 'pbx.mysql.result_sets', type: 'long', description: 'Result sets of a multi-result response, when more than one.'},
  {name: 'pbx.mysql.user', type: 'keyword', description: 'User name from the handshake response (or COM_CHANGE_USER) of this connection.'},
  {name: 'pbx.mysql.database', type: 'keyword', description: 'Current database: from the handshake response, then COM_INIT_DB.'},
  {name: 'pbx.mysql.server_version', type: 'keyword', description: 'Server version string from the server greeting.'},
]
