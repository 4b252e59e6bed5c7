/**
 * Test certificate fixture (DER, base64). Made once at test-writing time with:
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
 *     -subj "/C=US/O=pbx test/CN=test.pbx.example" -set_serial 0x1234ABCD \
 *     -addext "subjectAltName=DNS:test.pbx.example,DNS:alt.pbx.example" -keyout k.pem -out c.pem
 *   openssl x509 -in c.pem -outform DER | base64
 * (private key discarded). Facts from `openssl x509 -noout -dates -fingerprint -sha1 -serial`:
 */
export const CERT_NOT_BEFORE = '2026-11-28T22:00:41Z'
export const CERT_NOT_AFTER = '2036-11-25T22:00:41Z'
export const CERT_SHA1 = '76DB98FC144020B5A57C6EE944A1C6200AC87766'
/** 0x1234ABCD in decimal. */
export const CERT_SERIAL = '305441741'
export const CERT_DER = Buffer.from(
  'MIIB6TCCAZCgAwIBAgIEEjSrzTAKBggqhkjOPQQDAjA7MQswCQYDVQQGEwJVUzERMA8GA1UECgwIcGJ4IHRlc3QxGTAXBgNVBAMM' +
  'EHRlc3QucGJ4LmV4YW1wbGUwHhcNMjYxMTI4MjIwMDQxWhcNMzYxMTI1MjIwMDQxWjA7MQswCQYDVQQGEwJVUzERMA8GA1UECgwI' +
  'cGJ4IHRlc3QxGTAXBgNVBAMMEHRlc3QucGJ4LmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASLO6FnxU0BLwa0kMPn' +
  'CB3vwYjsWoNRVjCaUVoUjgmYFkMBo+O2CXhT5Rcrr/hBMvw6UlAIP55WW2hX3r44tfjPo4GBMH8wHQYDVR0OBBYEFBymFFgMK20E' +
  '6ax8ChxkQqBrW+IbMB8GA1UdIwQYMBaAFBymFFgMK20E6ax8ChxkQqBrW+IbMA8GA1UdEwEB/wQFMAMBAf8wLAYDVR0RBCUwI4IQ' +
  'dGVzdC5wYnguZXhhbXBsZYIPYWx0LnBieC5leGFtcGxlMAoGCCqGSM49BAMCA0cAMEQCIAzKnviWdGXjEaGxJ4T2la42X6E2FNC0' +
  'jwgKq7yr6XPnAiACrkrrlDPywocxfMfFKgjMuOp5D5aQ7uVdVzewmOa+Rw=='
  , 'base64')
