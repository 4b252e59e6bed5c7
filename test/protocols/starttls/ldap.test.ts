/**
 * LDAP StartTLS (RFC 4511 §4.14) in the starttls protocol: an ExtendedRequest naming
 * 1.3.6.1.4.1.1466.20037 and its success ExtendedResponse (same messageID, resultCode 0) switch the
 * connection to TLS from the next byte, however the segments are split; a failure does not.
 */
import {describe, expect, it} from 'vitest'
import {ldapMessage} from '../../../src/protocols/starttls/parser.js'
import {protocol} from '../../../src/protocols/starttls/index.js'
import {runInner, type Seg, splits} from '../../helpers/segment-harness.js'

const oid = Buffer.from('1.3.6.1.4.1.1466.20037', 'latin1')
const startTls = (id: number) => Buffer.concat([Buffer.from([0x30, 0x1d, 0x02, 0x01, id, 0x77, 0x18, 0x80, 0x16]), oid])
const extResp = (id: number, code: number) => Buffer.from([0x30, 0x0c, 0x02, 0x01, id, 0x78, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00])
// anonymous simple bind (v3) and its success
const bind = Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00])
const bindOk = Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00])
const ch = Buffer.from([0x16, 3, 1, 0, 5, 1, 0, 0, 1, 9])
const sh = Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0])

describe('LDAP StartTLS', () => {
  it('parses the two messages of the exchange', () => {
    expect(ldapMessage(startTls(2))).toMatchObject({len: 31, id: 2, op: 0x77, name: '1.3.6.1.4.1.1466.20037'})
    expect(ldapMessage(extResp(2, 0))).toMatchObject({len: 14, id: 2, op: 0x78, resultCode: 0})
    expect(ldapMessage(startTls(2).subarray(0, 10))).toBe(0)
    expect(ldapMessage(Buffer.from('GET / HTTP/1.1'))).toBe(-1)
  })

  it('switches to TLS after the success response, at every split', () => {
    const segs: Seg[] = [
      {dir: 0, bytes: bind},
      {dir: 1, bytes: bindOk},
      {dir: 0, bytes: startTls(2)},
      {dir: 1, bytes: extResp(2, 0)},
      {dir: 0, bytes: ch},
      {dir: 1, bytes: sh},
    ]
    const glued: Seg[] = [{dir: 0, bytes: Buffer.concat([bind, startTls(2)])}, {dir: 1, bytes: Buffer.concat([bindOk, extResp(2, 0), sh])}, {dir: 0, bytes: ch}]
    for (const s of [segs, glued]) {
      for (const [name, split] of splits(s)) {
        const {inner} = runInner(protocol, s, split, 389)
        expect(inner.opened, name).toEqual([{self: 'starttls', prefer: 'tls'}])
        expect(inner.bytes[0].equals(ch), name).toBe(true)
        expect(inner.bytes[1].equals(sh), name).toBe(true)
      }
    }
  })

  it('a refused StartTLS (resultCode 2) or another messageID does not switch', () => {
    for (const resp of [extResp(2, 2), extResp(3, 0)]) {
      const {inner} = runInner(protocol, [{dir: 0, bytes: startTls(2)}, {dir: 1, bytes: resp}, {dir: 0, bytes: ch}], undefined, 389)
      expect(inner.opened).toEqual([])
    }
  })
})
