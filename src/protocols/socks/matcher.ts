/**
 * SOCKS has no transactions of its own: the tunnel's protocol emits them (through openInner), and
 * this matcher adds the pbx.socks fields to each.
 */
import type {Transaction} from '../../event/types.js'
import type {ProtocolContext} from '../types.js'

export interface SocksTunnel {
  version: '4' | '4a' | '5'
  command: string
  target: string
  user?: string
  frame: number
}

export function tunnelEmit(ctx: ProtocolContext, s: SocksTunnel): (t: Transaction) => void {
  return (t) => {
    const pbx = (t.fields.pbx as Record<string, unknown> | undefined) ?? {}
    pbx.socks = {...s}
    t.fields.pbx = pbx
    ctx.emit(t)
  }
}
