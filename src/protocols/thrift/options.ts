/**
 * The thrift protocol's options (`protocols.thrift.*`, Packetbeat's names and defaults):
 *   transport_type      socket | framed (absent: detected per direction)
 *   protocol_type       binary | compact (absent: detected per direction)
 *   string_max_size     200   bytes of a string rendered, then "..."
 *   collection_max_size 15    elements of a list, set, map or struct rendered, then "..."
 *   drop_after_n_struct_fields 500  a struct with more fields: the texts are left out (a note)
 *   obfuscate_strings   false strings rendered as "*"
 *   capture_reply       true  false: replies are only walked (no return value / exceptions)
 *   send_request, send_response  false: Packetbeat's `request` / `response` texts
 *   idl_files           []    Thrift IDL files naming services, parameters and fields (./idl.ts)
 * thriftOptions() never throws; checkThriftOptions() is the run layer's validation (bad values
 * and unreadable IDL files as messages naming the key).
 */
import type {RenderOptions} from './codec.js'
import {emptyIdl, type Idl, loadIdlFiles} from './idl.js'

export interface ThriftOptions {
  framed: boolean | undefined
  compact: boolean | undefined
  render: RenderOptions
  captureReply: boolean
  sendRequest: boolean
  sendResponse: boolean
  idl: Idl | null
}

const cache = new WeakMap<object, ThriftOptions>()

function idlFiles(o: Readonly<Record<string, unknown>>): string[] {
  const v = o.idl_files
  if (typeof v === 'string') return [v]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/** Reads the options (cached per options object: every connection of a run shares them). */
export function thriftOptions(o: Readonly<Record<string, unknown>>): ThriftOptions {
  const hit = cache.get(o)
  if (hit !== undefined) return hit
  const int = (k: string, d: number) => {
    const v = o[k]
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : d
  }
  const bool = (k: string, d: boolean) => (typeof o[k] === 'boolean' ? (o[k] as boolean) : d)
  const files = idlFiles(o)
  let idl: Idl | null = null
  if (files.length > 0) {
    try {
      idl = loadIdlFiles(files)
    } catch {
      // checkThriftOptions() reported it before the run; a run without it parses unnamed
      idl = emptyIdl()
    }
  }
  const r: ThriftOptions = {
    framed: o.transport_type === 'framed' ? true : o.transport_type === 'socket' ? false : undefined,
    compact: o.protocol_type === 'compact' ? true : o.protocol_type === 'binary' ? false : undefined,
    render: {
      stringMaxSize: int('string_max_size', 200),
      collectionMaxSize: int('collection_max_size', 15),
      dropAfterNStructFields: int('drop_after_n_struct_fields', 500),
      obfuscateStrings: bool('obfuscate_strings', false),
    },
    captureReply: bool('capture_reply', true),
    sendRequest: bool('send_request', false),
    sendResponse: bool('send_response', false),
    idl,
  }
  cache.set(o, r)
  return r
}

/**
 * Problems with the options, each naming its key (`thrift.transport_type: ...`), and the IDL
 * syntax problems as warnings. Reads the IDL files (the result is cached for the run).
 */
export function checkThriftOptions(o: Readonly<Record<string, unknown>>): {errors: string[]; warnings: string[]} {
  const errors: string[] = []
  const warnings: string[] = []
  if (o.transport_type !== undefined && o.transport_type !== 'socket' && o.transport_type !== 'framed') {
    errors.push(`thrift.transport_type: ${JSON.stringify(o.transport_type)} is not socket or framed`)
  }
  if (o.protocol_type !== undefined && o.protocol_type !== 'binary' && o.protocol_type !== 'compact') {
    errors.push(`thrift.protocol_type: ${JSON.stringify(o.protocol_type)} is not binary or compact`)
  }
  const files = idlFiles(o)
  if (files.length > 0) {
    try {
      const idl = loadIdlFiles(files)
      for (const e of idl.errors) warnings.push(`thrift.idl_files: ${e}`)
    } catch (e) {
      errors.push(`thrift.idl_files: ${(e as Error).message}`)
    }
  }
  return {errors, warnings}
}
