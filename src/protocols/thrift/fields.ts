/**
 * The Thrift protocol's schema: Packetbeat's thrift fields (packetbeat/protos/thrift/_meta/fields.yml)
 * plus the common method / query / request / response and pbx's protocol and transport. Single
 * source for CSV columns and `pbx fields`.
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'method', type: 'keyword', description: 'The method name as sent (a multiplexed call keeps its "Service:" prefix)'},
  {name: 'query', type: 'keyword', description: 'The call as text: method and parameters, "add(1: 1, 2: 1)" (as Packetbeat)'},
  {
    name: 'thrift.params',
    type: 'text',
    description:
      'The call parameters as text, "(1: \\"hello\\", 2: 42)": field ids, or names from idl_files; strings quoted (non-printable binary as hex), at most string_max_size bytes each and collection_max_size elements per list, set, map and struct, then "..."; "*" for strings with obfuscate_strings',
  },
  {name: 'thrift.service', type: 'keyword', description: 'The service declaring the method in idl_files (or the prefix of a multiplexed "Service:method" name)'},
  {name: 'thrift.return_value', type: 'text', description: 'The reply\'s return value (field 0) as text; "" for a void method. Absent for oneway calls, without a reply, and with capture_reply false'},
  {name: 'thrift.exceptions', type: 'text', description: 'The declared exceptions of a reply (its fields other than 0) as struct text, or the TApplicationException of an exception message; status Error'},
  {name: 'thrift.protocol', type: 'keyword', description: 'Wire protocol: binary or compact'},
  {name: 'thrift.transport', type: 'keyword', description: 'Transport: socket (unframed) or framed'},
  {name: 'request', type: 'text', description: 'The call as text (only with send_request): the query'},
  {name: 'response', type: 'text', description: 'The reply as text (only with send_response): the return value, or "Exceptions: " and the exceptions'},
]
