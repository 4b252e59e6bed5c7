/**
 * STARTTLS has no transactions of its own: the upgraded connection's TLS session emits them
 * (through openInner), and this matcher adds the pbx.starttls fields to each.
 */
import type {Transaction} from '../../event/types.js'
import type {ProtocolContext} from '../types.js'
import type {Upgrade} from './parser.js'

export function upgradedEmit(ctx: ProtocolContext, u: Upgrade, frame: number): (t: Transaction) => void {
  return (t) => {
    const pbx = (t.fields.pbx as Record<string, unknown> | undefined) ?? {}
    pbx.starttls = {protocol: u.kind, command: u.command, frame}
    t.fields.pbx = pbx
    ctx.emit(t)
  }
}
