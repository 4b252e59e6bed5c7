/**
 * STARTTLS: plaintext mail/chat/file-transfer protocols that switch to TLS in the middle of the
 * connection (SMTP STARTTLS RFC 3207, IMAP STARTTLS RFC 3501 §6.2.1, POP3 STLS RFC 2595, FTP AUTH TLS
 * RFC 4217, XMPP <starttls/> RFC 6120 §5, LDAP StartTLS extended operation RFC 4511 §4.14). The plaintext part is not analysed; the upgrade command
 * and its positive reply are recognised, and from the byte after the reply the connection is a TLS
 * session (handshake fields, JA3/JA4, decryption with keys), opened through
 * ProtocolContext.openInner. Its event gets `pbx.starttls.*` (./fields.ts); no event of its own.
 */
import type {Protocol} from '../types.js'
import {fields} from './fields.js'
import {StarttlsSession} from './session.js'

export const protocol: Protocol = {
  name: 'starttls',
  fields,
  tcp: {
    // SMTP, submission, IMAP, POP3, FTP, XMPP client and server, LDAP
    ports: [25, 587, 143, 110, 21, 5222, 5269, 389],
    create: (conn, ctx) => new StarttlsSession(conn, ctx),
  },
}
