/**
 * Flow test helpers: an observer wired to a real TcpReassembler and UdpFlows, whose records are
 * turned into events by the real event builder (nanosecond precision) and collected.
 */
import {type BuildOptions, buildEvent} from '../../src/event/build.js'
import {createFlowObserver, type FlowObserver, type FlowOptions} from '../../src/flows/index.js'
import type {Limits} from '../../src/limits.js'
import type {Moment} from '../../src/reassembly/types.js'
import {TcpReassembler} from '../../src/reassembly/tcp.js'
import {UdpFlows} from '../../src/reassembly/udp.js'
import {Stats} from '../../src/stats.js'
import {limits, Recorder} from '../reassembly/helpers.js'

/** The parts of a flow event the tests read. */
export interface FlowEvent {
  '@timestamp': string
  type: string
  status: string
  event: {kind: string; category: string[]; type: string[]; dataset: string; action: string; start: string; end: string; duration: number}
  source: {ip: string; port: number; packets: number; bytes: number}
  destination: {ip: string; port: number; packets: number; bytes: number}
  client: {ip: string; port: number; bytes: number; packets: number}
  server: {ip: string; port: number; bytes: number; packets: number}
  network: {transport: string; type: string; community_id: string; packets: number; bytes: number; protocol?: string}
  flow: {id: string; final: boolean}
  pbx: {
    frames: [number, number]
    flow: {end_reason?: string; history?: string; tcp_flags?: {source: string; destination: string}; payload_bytes: {source: number; destination: number}}
  }
}

export interface Rig {
  events: FlowEvent[]
  obs: FlowObserver
  tcp: TcpReassembler
  udp: UdpFlows
  stats: Stats
  rec: Recorder
  /** End of input as the pipeline does it: tcp.end, udp.end, observer.end. */
  finish(at: Moment): void
}

export function rig(opts: FlowOptions = {}, over: Partial<Limits> = {}): Rig {
  const events: FlowEvent[] = []
  const build: BuildOptions = {precision: 'ns'}
  const obs = createFlowObserver(opts)((t) => events.push(buildEvent(t, build) as unknown as FlowEvent))
  const stats = new Stats()
  const lim = limits(over)
  const rec = new Recorder()
  const tcp = new TcpReassembler(rec, lim, stats, obs)
  const udp = new UdpFlows(() => null, lim, stats, obs)
  return {
    events,
    obs,
    tcp,
    udp,
    stats,
    rec,
    finish(at: Moment) {
      tcp.end(at)
      udp.end(at)
      obs.end()
    },
  }
}

/** A Moment at capture time t (seconds). */
export function at(t: number, frame = 0): Moment {
  return {frame, tsSec: Math.floor(t), tsNsec: Math.round((t - Math.floor(t)) * 1e9)}
}
