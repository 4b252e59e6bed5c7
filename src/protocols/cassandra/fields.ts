/**
 * The Cassandra protocol's schema: Packetbeat's cassandra fields
 * (packetbeat/protos/cassandra/_meta/fields.yml) plus trace_id, and the common method / query.
 * Single source for CSV columns and `pbx fields`.
 */
import type {FieldSpec} from '../../event/types.js'

const k = (name: string, description: string): FieldSpec => ({name: `cassandra.${name}`, type: 'keyword', description})
const l = (name: string, description: string): FieldSpec => ({name: `cassandra.${name}`, type: 'long', description})
const b = (name: string, description: string): FieldSpec => ({name: `cassandra.${name}`, type: 'boolean', description})
const ka = (name: string, description: string): FieldSpec => ({name: `cassandra.${name}`, type: 'keyword', description, array: true})

const headers = (side: 'request' | 'response'): FieldSpec[] => [
  k(`${side}.headers.version`, `Protocol version of the ${side} frame ("3", "4", "5")`),
  k(`${side}.headers.flags`, 'Frame flags: Default, or Compress, Tracing, CustomPayload, Warning, UseBeta joined with "|"'),
  l(`${side}.headers.stream`, 'Stream id; a response carries the stream id of its request (EVENT pushes: -1)'),
  k(`${side}.headers.op`, 'Opcode name (QUERY, RESULT, ...)'),
  l(`${side}.headers.length`, 'Body length as the frame header gives it (compressed length when compressed)'),
]

const meta = (p: string, what: string): FieldSpec[] => [
  k(`${p}.keyspace`, `Keyspace of the ${what} (global table spec, else the first column's)`),
  k(`${p}.table`, `Table of the ${what} (global table spec, else the first column's)`),
  k(`${p}.flags`, 'Metadata flags: GlobalTableSpec, HasMorePages, NoMetaData, MetadataChanged joined with "|"'),
  l(`${p}.col_count`, 'Number of columns'),
  {name: `cassandra.${p}.pkey_columns`, type: 'long', description: 'Indexes of the partition key columns among the bound variables (v4+)', array: true},
  k(`${p}.paging_state`, 'Paging state (hex) to send back for the next page'),
]

const schemaChange = (p: string): FieldSpec[] => [
  k(`${p}.change`, 'CREATED, UPDATED or DROPPED'),
  k(`${p}.keyspace`, 'Keyspace changed'),
  k(`${p}.table`, 'Table changed (target TABLE)'),
  k(`${p}.object`, 'Name of the table or type changed'),
  k(`${p}.target`, 'KEYSPACE, TABLE, TYPE, FUNCTION or AGGREGATE'),
  k(`${p}.name`, 'Function or aggregate name'),
  ka(`${p}.args`, 'Argument types (CQL) of the function or aggregate'),
]

export const fields: FieldSpec[] = [
  {name: 'method', type: 'keyword', description: 'Opcode of the request (QUERY, EXECUTE, PREPARE, BATCH, STARTUP, ...; EVENT for a push)'},
  {name: 'query', type: 'keyword', description: 'CQL text of a QUERY / PREPARE, of an EXECUTE whose PREPARE is in the capture, or the statements of a BATCH joined with "; "'},
  b('no_request', 'A server push (EVENT): there is no request'),
  ...headers('request'),
  k('request.query', 'The CQL text the client sent (QUERY, PREPARE; EXECUTE and BATCH resolved through prepared ids)'),
  ...headers('response'),
  k('response.result.type', 'Result kind: void, rows, setKeyspace, prepared, schemaChanged'),
  l('response.result.rows.num_rows', 'Rows in this result (page)'),
  ...meta('response.result.rows.meta', 'rows'),
  k('response.result.keyspace', 'Keyspace set by USE (setKeyspace)'),
  ...schemaChange('response.result.schema_change'),
  k('response.result.prepared.prepared_id', 'Prepared statement id (hex)'),
  ...meta('response.result.prepared.req_meta', 'bound variables'),
  ...meta('response.result.prepared.resp_meta', 'result set'),
  {name: 'cassandra.response.supported', type: 'object', description: 'SUPPORTED: startup options the server supports (option -> values)'},
  k('response.authentication.class', 'AUTHENTICATE: class name of the server authenticator'),
  ka('response.warnings', 'Warnings the server sent with the response (Warning flag)'),
  k('response.trace_id', 'Tracing session id of a traced request (Tracing flag)'),
  k('response.event.type', 'Pushed event type: TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE'),
  k('response.event.change', 'NEW_NODE, REMOVED_NODE, UP, DOWN'),
  k('response.event.host', 'Address of the node the event is about'),
  l('response.event.port', 'Port of the node the event is about'),
  ...schemaChange('response.event.schema_change'),
  l('response.error.code', 'Error code'),
  k('response.error.msg', 'Error message'),
  k('response.error.type', 'Error type (errSyntax, errInvalid, errUnavailable, ...); status is Error'),
  k('response.error.details.read_consistency', 'Consistency level of the failed request'),
  l('response.error.details.required', 'Replicas required (Unavailable)'),
  l('response.error.details.alive', 'Replicas alive (Unavailable)'),
  l('response.error.details.received', 'Replicas that acknowledged (timeouts, failures)'),
  l('response.error.details.blockfor', 'Replicas whose acknowledgement was required'),
  k('response.error.details.write_type', 'Type of the write that timed out or failed'),
  b('response.error.details.data_present', 'The replica asked for data responded (read timeout / failure)'),
  k('response.error.details.keyspace', 'Keyspace (already exists, function failure)'),
  k('response.error.details.table', 'Table (already exists)'),
  k('response.error.details.stmt_id', 'Unknown prepared statement id (hex; Unprepared)'),
  l('response.error.details.num_failures', 'Replicas that failed (read / write failure)'),
  k('response.error.details.function', 'The failed function'),
  ka('response.error.details.arg_types', 'Argument types of the failed function'),
]
