/**
 * The starttls protocol's fields: they appear on the TLS event of a connection that was upgraded
 * (type tls), not on an event of their own.
 */
import type {FieldSpec} from '../../event/types.js'

export const fields: FieldSpec[] = [
  {name: 'pbx.starttls.protocol', type: 'keyword', description: 'The plaintext protocol the TLS session started in: smtp, imap, pop3, ftp, xmpp, ldap, pgsql (SSLRequest answered S) or mysql (SSL Request packet).'},
  {name: 'pbx.starttls.command', type: 'keyword', description: 'The upgrade command as sent (STARTTLS, a1 STARTTLS, STLS, AUTH TLS, <starttls/>, ExtendedRequest 1.3.6.1.4.1.1466.20037, SSLRequest, SSL Request), bounded to 64 characters.'},
  {name: 'pbx.starttls.frame', type: 'long', description: 'Frame of the positive reply, after which the connection is TLS.'},
]
