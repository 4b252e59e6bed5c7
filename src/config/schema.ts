/**
 * What pbx knows of a packetbeat.yml: the protocol option names per protocol with their types, the
 * Packetbeat protocols pbx has no parser for, the service sections accepted and ignored, and the
 * output types the outputs work implements. docs/packetbeat.md lists the same, for users.
 */
import {protocols} from '../protocols/registry.js'

/**
 * Value types of options. Values are normalised: booleans (YAML 1.1 words accepted) become
 * booleans, durations become seconds, `ports` a list of integers 0..65535.
 */
export type OptType = 'bool' | 'int' | 'duration' | 'string' | 'strings' | 'ports' | 'bool|strings' | 'mapping'

/** Options every protocol takes (besides `type`/`enabled`, `processors`, `fields`, `fields_under_root`, `tags`). */
export const COMMON_PROTOCOL_OPTIONS: Record<string, OptType> = {
  ports: 'ports',
  send_request: 'bool',
  send_response: 'bool',
  transaction_timeout: 'duration',
}

/** Accepted on every protocol, with no effect on offline analysis (Elasticsearch routing, ...). */
export const IGNORED_PROTOCOL_OPTIONS = new Set(['index', 'pipeline', 'keep_null', 'interface'])

export const PROTOCOL_OPTIONS: Record<string, Record<string, OptType>> = {
  http: {
    send_headers: 'bool|strings',
    send_all_headers: 'bool',
    include_body_for: 'strings',
    include_request_body_for: 'strings',
    include_response_body_for: 'strings',
    decode_body: 'bool',
    split_cookie: 'bool',
    real_ip_header: 'string',
    hide_keywords: 'strings',
    redact_authorization: 'bool',
    redact_headers: 'strings',
    max_message_size: 'int',
  },
  dns: {include_authorities: 'bool', include_additionals: 'bool'},
  tls: {keylog_file: 'string', send_certificates: 'bool', include_raw_certificates: 'bool', include_detailed_fields: 'bool', fingerprints: 'strings'},
  mysql: {max_rows: 'int', max_row_length: 'int', statement_timeout: 'duration'},
  pgsql: {max_rows: 'int', max_row_length: 'int'},
  mongodb: {max_docs: 'int', max_doc_length: 'int'},
  redis: {queue_max_bytes: 'int', queue_max_messages: 'int'},
  memcache: {parseunknown: 'bool', maxvalues: 'int', maxbytespervalue: 'int', udptransactiontimeout: 'int'},
  cassandra: {send_request_header: 'bool', send_response_header: 'bool', compressor: 'string', ignored_ops: 'strings'},
  icmp: {},
  dhcpv4: {},
  thrift: {
    transport_type: 'string',
    protocol_type: 'string',
    idl_files: 'strings',
    string_max_size: 'int',
    collection_max_size: 'int',
    drop_after_n_struct_fields: 'int',
    obfuscate_strings: 'bool',
    capture_reply: 'bool',
  },
  amqp: {parse_headers: 'bool', parse_arguments: 'bool', hide_connection_information: 'bool', max_body_length: 'int'},
  starttls: {},
}

/**
 * Protocol names pbx analyses: every protocol of the registry (src/protocols/registry.ts), so a
 * protocol added there is configurable at once; those without an entry above take only the common
 * options.
 */
export const PBX_PROTOCOLS: readonly string[] = protocols.map((p) => p.name)
for (const name of PBX_PROTOCOLS) PROTOCOL_OPTIONS[name] ??= {}

/** Packetbeat's protocol analyzers, by the names its configuration uses. */
const PACKETBEAT_PROTOCOLS = ['amqp', 'cassandra', 'dhcpv4', 'dns', 'http', 'icmp', 'memcache', 'mongodb', 'mysql', 'nfs', 'pgsql', 'redis', 'sip', 'thrift', 'tls']

/** Packetbeat protocols pbx has no parser for (none today): accepted, named in the unsupported warning. */
export const PACKETBEAT_ONLY_PROTOCOLS: ReadonlySet<string> = new Set(PACKETBEAT_PROTOCOLS.filter((n) => !PBX_PROTOCOLS.includes(n)))

/** Top-level sections of a Beat's configuration that mean nothing offline: accepted, listed as ignored. */
export const IGNORED_SECTIONS = new Set([
  'setup',
  'logging',
  'monitoring',
  'path',
  'name',
  'queue',
  'http',
  'xpack',
  'cloud',
  'migration',
  'keystore',
  'seccomp',
  'max_procs',
  'timestamp',
  'instrumentation',
  'features',
  'gc_percent',
  'ilm',
  'filebeat',
  'management',
])

/** Keys under `packetbeat.` accepted and ignored (process monitoring, live-capture plumbing). */
export const IGNORED_PACKETBEAT_KEYS = new Set(['procs', 'ignore_outgoing', 'shutdown_timeout', 'npcap', 'overwrite_pipelines'])

/** `packetbeat.interfaces` options (used by live capture; noted and ignored for files). */
export const INTERFACE_OPTIONS: Record<string, OptType> = {
  device: 'string',
  type: 'string',
  snaplen: 'int',
  bpf_filter: 'string',
  buffer_size_mb: 'int',
  with_vlans: 'bool',
  ignore_outgoing: 'bool',
  auto_promisc_mode: 'bool',
  internal_networks: 'strings',
  poll_default_route: 'duration',
  fanout_group: 'int',
  metrics_interval: 'duration',
  enable_af_packet_stats: 'bool',
  id: 'string',
}

/** Output types the outputs work implements (kept raw); others warn "not supported yet". */
export const SUPPORTED_OUTPUTS = new Set(['elasticsearch', 'clickhouse', 'file', 'console', 'duckdb', 'parquet'])

/** Keys whose values are secrets: never printed by `pbx config check`. */
export const SECRET_KEY = /^(password|passwd|pass|api_key|apikey|secret|secret_access_key|access_token|token|key_passphrase|credentials|private_key)$/i
