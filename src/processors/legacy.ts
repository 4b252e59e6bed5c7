/**
 * The one table of legacy Packetbeat field names (6.x and earlier, before the move to ECS in 7.0)
 * and the ECS names pbx emits. Conditions, processors and scripts resolve a field name through
 * `FieldResolver.resolve` once, when they are compiled; per event only the resolved getter runs.
 * Each legacy name produces one warning per compilation (per resolver) naming the ECS field.
 *
 * Two kinds of entries:
 *   - renames: the same value under a new name (`http.response.code` -> `http.response.status_code`).
 *   - derived: a value computed from ECS fields. `responsetime` and `http.response.time` are the
 *     transaction's response time in milliseconds, `event.duration / 1e6` (event.duration is end
 *     minus start in nanoseconds; the result may have a fraction, e.g. 0.687 for 687000 ns). Old
 *     Packetbeat wrote `responsetime` as an integer number of milliseconds; pbx keeps the fraction
 *     because captures are microsecond-precise. Derived names can be read, not written: writing one
 *     (rename `to`, script Put) uses the name literally.
 *
 * Sources: Packetbeat 6.x fields.common.yml / protocol fields.yml and the 7.0 ECS migration
 * (ecs-migration.yml in elastic/beats).
 */
import type {EventAccessor} from './types.js'

export interface LegacyRename {
  kind: 'rename'
  ecs: string
}
export interface LegacyDerived {
  kind: 'derived'
  /** What the warning says the value is made of. */
  ecs: string
  get(ev: EventAccessor): unknown
}
export type LegacyEntry = LegacyRename | LegacyDerived

const responseTimeMs: LegacyDerived = {
  kind: 'derived',
  ecs: 'event.duration / 1e6 (milliseconds)',
  get(ev) {
    const d = ev.get('event.duration')
    return typeof d === 'number' ? d / 1e6 : undefined
  },
}

const rename = (ecs: string): LegacyRename => ({kind: 'rename', ecs})

/** Legacy name -> ECS. Keep sorted by area; every entry is documented in docs/packetbeat.md. */
export const LEGACY_FIELDS: ReadonlyMap<string, LegacyEntry> = new Map<string, LegacyEntry>([
  // Common transaction fields (fields.common.yml, 6.x)
  ['responsetime', responseTimeMs],
  ['bytes_in', rename('source.bytes')],
  ['bytes_out', rename('destination.bytes')],
  ['client_ip', rename('client.ip')],
  ['client_port', rename('client.port')],
  ['client_proc', rename('client.process.name')],
  ['client_cmdline', rename('client.process.args')],
  ['client_server', rename('client.domain')],
  ['ip', rename('server.ip')],
  ['port', rename('server.port')],
  ['proc', rename('server.process.name')],
  ['cmdline', rename('server.process.args')],
  ['server', rename('server.domain')],
  ['real_ip', rename('network.forwarded_ip')],
  ['transport', rename('network.transport')],
  ['direction', rename('network.direction')],
  // HTTP
  ['http.response.code', rename('http.response.status_code')],
  ['http.response.phrase', rename('http.response.status_phrase')],
  ['http.response.time', responseTimeMs],
  ['http.request.params', rename('url.query')],
  ['http.request.body', rename('http.request.body.content')],
  ['http.response.body', rename('http.response.body.content')],
  ['http.content_length', rename('http.response.body.bytes')],
  // Flows (6.x flow events)
  ['flow_id', rename('flow.id')],
  ['final', rename('flow.final')],
  ['start_time', rename('event.start')],
  ['last_time', rename('event.end')],
  ['vlan', rename('network.vlan.id')],
  ['source.stats.net_bytes_total', rename('source.bytes')],
  ['source.stats.net_packets_total', rename('source.packets')],
  ['dest.ip', rename('destination.ip')],
  ['dest.port', rename('destination.port')],
  ['dest.mac', rename('destination.mac')],
  ['dest.stats.net_bytes_total', rename('destination.bytes')],
  ['dest.stats.net_packets_total', rename('destination.packets')],
])

/** A field name as compiled: where to read it and where a write goes. */
export interface FieldRef {
  /** The name as written in the configuration. */
  readonly name: string
  /** The ECS path read and written (the name itself when it is not legacy or is derived). */
  readonly path: string
  /** Whether the value is computed (read-only). */
  readonly derived: boolean
  get(ev: EventAccessor): unknown
}

export class FieldResolver {
  private readonly warned = new Set<string>()
  private readonly cache = new Map<string, FieldRef>()
  constructor(private readonly warn: (msg: string) => void) {}

  /** Resolves `name` (legacy or ECS) once; warns the first time a legacy name is seen. */
  resolve(name: string, where: string): FieldRef {
    const hit = this.cache.get(name)
    if (hit) {
      this.warnOnce(name, where)
      return hit
    }
    const entry = LEGACY_FIELDS.get(name)
    let ref: FieldRef
    if (entry === undefined) {
      const path = name
      ref = {name, path, derived: false, get: (ev) => ev.get(path)}
    } else if (entry.kind === 'rename') {
      const path = entry.ecs
      ref = {name, path, derived: false, get: (ev) => ev.get(path)}
    } else {
      ref = {name, path: name, derived: true, get: entry.get}
    }
    this.cache.set(name, ref)
    this.warnOnce(name, where)
    return ref
  }

  private warnOnce(name: string, where: string): void {
    const entry = LEGACY_FIELDS.get(name)
    if (entry === undefined || this.warned.has(name)) return
    this.warned.add(name)
    this.warn(
      entry.kind === 'rename'
        ? `${where}: "${name}" is a legacy Packetbeat field name; pbx reads the ECS field "${entry.ecs}"`
        : `${where}: "${name}" is a legacy Packetbeat field; pbx computes it as ${entry.ecs}`,
    )
  }
}
