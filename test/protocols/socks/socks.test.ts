/**
 * SOCKS (src/protocols/socks): SOCKS4, 4a and 5 (with RFC 1929 authentication) handshakes; a granted
 * CONNECT hands every later byte to an inner connection chosen by content, however the segments
 * are split; refusals, other commands and garbage open nothing.
 */
import {describe, expect, it} from 'vitest'
import {detect, protocol} from '../../../src/protocols/socks/index.js'
import {tunnelEmit} from '../../../src/protocols/socks/matcher.js'
import {runInner, type Seg, splits} from '../../helpers/segment-harness.js'

const ch = Buffer.from([0x16, 3, 1, 0, 5, 1, 0, 0, 1, 9])
const sh = Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0])
const b = (...x: (number | string)[]) => Buffer.concat(x.map((v) => (typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from([v]))))

const v5: Seg[] = [
  {dir: 0, bytes: b(5, 2, 0, 2)},
  {dir: 1, bytes: b(5, 2)},
  {dir: 0, bytes: b(1, 5, 'alice', 3, 'pw!')},
  {dir: 1, bytes: b(1, 0)},
  {dir: 0, bytes: b(5, 1, 0, 3, 14, 'www.google.com', 1, 0xbb)},
  {dir: 1, bytes: Buffer.concat([b(5, 0, 0, 1, 10, 0, 0, 1, 0x04, 0x38), sh])},
  {dir: 0, bytes: ch},
]
const v4a: Seg[] = [
  {dir: 0, bytes: b(4, 1, 0, 80, 0, 0, 0, 1, 'bob', 0, 'example.org', 0)},
  {dir: 1, bytes: b(0, 90, 0, 0, 0, 0, 0, 0)},
  {dir: 0, bytes: ch},
  {dir: 1, bytes: sh},
]

describe('SOCKS', () => {
  it('SOCKS5 with username/password: the tunnel bytes go to an inner connection, at every split', () => {
    for (const [name, split] of splits(v5)) {
      const {out, inner} = runInner(protocol, v5, split)
      expect(out, name).toEqual([])
      expect(inner.opened, name).toEqual([{self: 'socks', prefer: undefined}])
      expect(inner.bytes[0].equals(ch), name).toBe(true)
      expect(inner.bytes[1].equals(sh), name).toBe(true)
    }
  })

  it('SOCKS4a: the host name is the target, at every split', () => {
    for (const [name, split] of splits(v4a)) {
      const {inner} = runInner(protocol, v4a, split)
      expect(inner.bytes[0].equals(ch), name).toBe(true)
      expect(inner.bytes[1].equals(sh), name).toBe(true)
    }
  })

  it('the inner events carry pbx.socks (never the password)', () => {
    const got: unknown[] = []
    const emit = tunnelEmit({emit: (t: {fields: Record<string, unknown>}) => got.push(t.fields.pbx)} as never, {
      version: '5',
      command: 'connect',
      target: 'www.google.com:443',
      user: 'alice',
      frame: 6,
    })
    emit({fields: {}} as never)
    expect(got).toEqual([{socks: {version: '5', command: 'connect', target: 'www.google.com:443', user: 'alice', frame: 6}}])
  })

  it('a refusal, a BIND, a bad auth status or garbage opens nothing', () => {
    const refused: Seg[] = [v4a[0] as Seg, {dir: 1, bytes: b(0, 91, 0, 0, 0, 0, 0, 0)}, v4a[2] as Seg]
    const bind: Seg[] = [{dir: 0, bytes: b(5, 1, 0)}, {dir: 1, bytes: b(5, 0)}, {dir: 0, bytes: b(5, 2, 0, 1, 1, 2, 3, 4, 0, 80)}, {dir: 1, bytes: b(5, 0, 0, 1, 1, 2, 3, 4, 0, 80)}]
    const authFail: Seg[] = [...v5.slice(0, 3), {dir: 1, bytes: b(1, 1)}, ...v5.slice(4)]
    const garbage: Seg[] = [{dir: 0, bytes: Buffer.from('GET / HTTP/1.1\r\n\r\n')}, {dir: 1, bytes: sh}]
    for (const s of [refused, bind, authFail, garbage]) {
      const {inner, stats} = runInner(protocol, s)
      expect(inner.opened).toEqual([])
      expect([...stats.malformed.keys()].some((k) => k.startsWith('socks: '))).toBe(true)
    }
  })

  it('detects SOCKS5 greetings and SOCKS4 CONNECTs from the client only', () => {
    expect(detect(b(5, 1, 0), 0)).toBe(true)
    expect(detect(b(5, 2, 0, 2), 0)).toBe(true)
    expect(detect(b(5, 1, 0), 1)).toBe(false)
    expect(detect(b(5, 1, 0, 0x16), 0)).toBe(false)
    expect(detect(b(4, 1, 0, 80, 1, 2, 3, 4, 'u', 0), 0)).toBe(true)
    expect(detect(b(4, 1, 0, 80, 1, 2, 3, 4, 0xff, 0), 0)).toBe(false)
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe(false)
  })
})
