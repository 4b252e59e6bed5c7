/**
 * TLS (SSL 3.0 .. TLS 1.3, plus the SSLv2-compatible ClientHello) over TCP and DTLS over UDP
 * (./dtls.ts): handshake metadata, JA3/JA3S/JA4,
 * server certificate summary, alerts. One transaction per TLS session (see ./matcher.ts).
 *
 * Options (`protocols.tls.*`): send_certificates, include_raw_certificates, fingerprints (see
 * tlsOptions in ./matcher.ts).
 */
import {fields} from './fields.js'
import {DtlsSession, detectDtls} from './dtls.js'
import {TlsSession} from './session.js'
import {plausibleRecordHeader} from './parser.js'
import type {Dir} from '../../reassembly/types.js'
import type {Protocol} from '../types.js'

/**
 * Content detection: a handshake record (type 22, version 3.0..3.4, length <= 2^14+2048) whose
 * first handshake message, when visible, is a ClientHello (from the client) or ServerHello; or an
 * SSLv2-format CLIENT-HELLO offering SSL 2.0..TLS 1.3. Never throws; reads at most 6 bytes.
 */
export function detect(data: Buffer, dir: Dir): boolean {
  if (data.length >= 5 && data[0] === 22 && plausibleRecordHeader(data, 0)) {
    const len = (data[3]! << 8) | data[4]!
    if (len < 4) return false
    if (data.length < 6) return true
    return data[5] === (dir === 0 ? 1 : 2)
  }
  if (dir === 0 && data.length >= 5 && (data[0]! & 0x80) !== 0 && data[2] === 1) {
    const v = (data[3]! << 8) | data[4]!
    const len = ((data[0]! & 0x7f) << 8) | data[1]!
    return (v === 0x0002 || (v >= 0x0300 && v <= 0x0304)) && len >= 9
  }
  return false
}

export const protocol: Protocol = {
  name: 'tls',
  fields,
  tcp: {
    ports: [443, 993, 995, 465, 636, 853, 8443, 5061, 990, 992, 994],
    detect,
    create: (conn, ctx) => new TlsSession(conn, ctx),
  },
  udp: {
    // DTLS (./dtls.ts): the test port of OpenSSL/wolfSSL examples and CoAP over DTLS; 443/udp and
    // WebRTC ports by content (443/udp is mostly QUIC, which is not DTLS)
    ports: [4433, 5684],
    detect: detectDtls,
    create: (conn, ctx) => new DtlsSession(conn, ctx),
  },
}
