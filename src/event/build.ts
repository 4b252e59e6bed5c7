/**
 * Transaction -> ECS event (the NDJSON contract of ../shared/SCHEMA.md).
 *
 * Called once per emitted transaction (never per packet). Keys are inserted in one fixed order so
 * that the same capture always serialises to byte-identical NDJSON. Fields that do not apply are
 * left out, never null.
 */
import type {TsPrecision} from '../capture/types.js'
import type {Transaction} from '../protocols/types.js'
import {diffNs, rfc3339} from '../util/time.js'

export type PbxEvent = Record<string, unknown>

export interface BuildOptions {
  precision: TsPrecision
  /** Input file name, set when several files are read in one run (`pbx.file`). */
  file?: string
}

export function buildEvent(t: Transaction, o: BuildOptions): PbxEvent {
  const c = t.conn
  const start = rfc3339(t.startSec, t.startNsec, o.precision)
  const end = rfc3339(t.endSec, t.endNsec, o.precision)
  const hasPorts = c.transport === 'tcp' || c.transport === 'udp'
  const src: Record<string, unknown> = {ip: c.clientIp}
  const dst: Record<string, unknown> = {ip: c.serverIp}
  if (hasPorts) {
    src.port = c.clientPort
    dst.port = c.serverPort
  }
  src.bytes = t.requestBytes
  dst.bytes = t.responseBytes
  // A protocol may add to (never replace) the endpoints, e.g. destination.domain from TLS SNI.
  const fs = t.fields.source as Record<string, unknown> | undefined
  const fd = t.fields.destination as Record<string, unknown> | undefined
  if (fs) for (const k of Object.keys(fs)) if (!(k in src)) src[k] = fs[k]
  if (fd) for (const k of Object.keys(fd)) if (!(k in dst)) dst[k] = fd[k]

  const ev: PbxEvent = {
    '@timestamp': start,
    type: t.type,
    status: t.status,
  }
  const event: Record<string, unknown> = {
    kind: 'event',
    category: ['network'],
    type: ['connection', 'protocol'],
    dataset: t.type,
    start,
    end,
    duration: Math.max(0, diffNs(t.startSec, t.startNsec, t.endSec, t.endNsec)),
  }
  if (t.event) Object.assign(event, t.event)
  ev.event = event
  ev.source = t.sentByServer ? dst : src
  ev.destination = t.sentByServer ? src : dst
  ev.client = {...src}
  ev.server = {...dst}
  ev.network = {
    transport: c.transport,
    type: c.ipVersion === 4 ? 'ipv4' : 'ipv6',
    protocol: t.type,
    community_id: c.communityId,
    bytes: t.requestBytes + t.responseBytes,
  }
  if (t.method !== undefined) ev.method = t.method
  if (t.query !== undefined) ev.query = t.query
  if (t.resource !== undefined) ev.resource = t.resource
  if (t.path !== undefined) ev.path = t.path
  let pbxExtra: Record<string, unknown> | undefined
  for (const k of Object.keys(t.fields)) {
    const v = t.fields[k]
    if (v === undefined || k === 'source' || k === 'destination') continue
    if (k === 'pbx') pbxExtra = v as Record<string, unknown>
    else ev[k] = v
  }
  if (t.notes && t.notes.length > 0) ev.notes = t.notes
  const pbx: Record<string, unknown> = {frames: [t.startFrame, t.endFrame]}
  if (o.file !== undefined) pbx.file = o.file
  if (pbxExtra) Object.assign(pbx, pbxExtra)
  ev.pbx = pbx
  return ev
}
