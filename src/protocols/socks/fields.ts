/**
 * The socks protocol's fields. A SOCKS handshake is not an event of its own: when the proxy grants
 * a CONNECT, the tunnel's bytes are a connection of their own (protocol chosen by content: TLS,
 * HTTP, ...) and every event of it carries these fields. A refused or unfinished handshake emits
 * nothing (counted in the run's statistics).
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'pbx.socks.version', type: 'keyword', description: 'SOCKS version of the handshake that opened this tunnel: 4, 4a or 5.'},
  {name: 'pbx.socks.command', type: 'keyword', description: 'SOCKS command: connect (bind and udp_associate are not followed).'},
  {name: 'pbx.socks.target', type: 'keyword', description: 'Destination asked of the proxy, host:port (an IP address or a name for SOCKS4a/5).'},
  {name: 'pbx.socks.user', type: 'keyword', description: 'SOCKS4 user id or SOCKS5 user name (RFC 1929; the password is never kept), when sent.'},
  {name: 'pbx.socks.frame', type: 'long', description: 'Frame of the proxy reply that granted the request; the bytes after it are the tunnel.'},
]
