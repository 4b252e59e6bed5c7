/**
 * SIP's hand-written and RE2 grammars agree with the JavaScript patterns they replace, on crafted
 * edge cases and on thousands of random strings rich in each pattern's special characters. The
 * reference patterns live here only: the engine runs none on packet data.
 */
import {describe, expect, it} from 'vitest'
import {uriTransport} from '../../../src/protocols/sip/matcher.js'
import {isRequestStart, isStatusStart, numberThenWord, params, parseAuth, parseUri, parseVia, requestLine, statusLine, type Via} from '../../../src/protocols/sip/parser.js'
import {samples, SPACES} from '../../support/regex-samples.js'

function agree(strings: string[], ours: (s: string) => unknown, ref: (s: string) => unknown): void {
  for (const s of strings) expect([s, ours(s)]).toEqual([s, ref(s)])
}
const groups = (m: RegExpExecArray | null) => (m === null ? undefined : m.slice(1))

describe('SIP grammars agree with the regular expressions they replace', () => {
  it('start lines: detection, status line and request line', () => {
    const crafted = [
      'SIP/2.0 200 OK', 'SIP/2.0 200', 'SIP/2.0 200 ', 'SIP/2.0 700 x', 'SIP/2.0 099 x', 'SIP/2.0 1000', 'SIP/2.0 20', 'SIP/2.1 486 Busy', 'SIP/2.0 200 a\rb',
      'SIP/2.0 200  x', 'INVITE sip:a@b SIP/2.0', 'INVITE  SIP/2.0', 'INVITE sip:a b SIP/2.0', 'I sip:a SIP/2.0', 'ABCDEFGHIJKLMNOPQ x SIP/2.0', 'ABCDEFGHIJKLMNOP x SIP/2.0',
      'invite x SIP/2.0', 'REGISTER x SIP/2.0 ', 'AB SIP/2.0', 'AB  SIP/2.0', 'A.B x SIP/1.0', 'X-1 x SIP/2.0', 'AB x\u00a0y SIP/2.0', 'AB x SIP/2.0\r', '',
    ]
    const xs = samples(crafted, ['SIP/2.0', ' ', 'SIP/', '2.0', '1', '2', '6', '7', '0', '.', 'INVITE', 'a', 'AB', '!', '~', '`', "'", '-', '\r', '\u00a0', '\t', 'sip:x'], 6000, 7)
    agree(xs, isStatusStart, (s) => /^SIP\/2\.0 [1-6]\d\d /.test(`${s} `))
    agree(xs, isRequestStart, (s) => /^[A-Z]{2,16} \S+ SIP\/2\.0$/.test(s))
    agree(xs, statusLine, (s) => groups(/^SIP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(s)))
    agree(xs, requestLine, (s) => groups(/^([A-Za-z!%*_+`'~.-]+) (\S+) SIP\/(\d\.\d)$/.exec(s)))
  })
  it('a number then a word (CSeq, rtpmap)', () => {
    const xs = samples(['1 INVITE', '1  INVITE x', '1', '1 ', ' 1 A', 'a 1', '12\tB', '1\u3000B', '1B'], ['1', '0', ' ', 'A', 'b', ...SPACES], 4000, 6)
    agree(xs, (s) => numberThenWord(s), (s) => groups(/^(\d+)\s+(\S+)/.exec(s)))
    const rx = xs.map((s) => `rtpmap:${s}`)
    agree(rx, (s) => (s.startsWith('rtpmap:') ? numberThenWord(s, 7)?.[1] : undefined), (s) => /^rtpmap:\d+\s+(\S+)/.exec(s)?.[1])
  })
  it('URI: scheme, user, host, port', () => {
    const ref = (s: string) => {
      const u: Record<string, unknown> = {original: s}
      const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?>]*)(?::(\d+))?/.exec(s)
      if (m === null) return u
      u.scheme = m[1].toLowerCase()
      if (m[2] !== undefined && m[2] !== '') u.username = m[2].split(':')[0]
      if (u.scheme === 'tel') {
        u.username = m[3]
        return u
      }
      if (m[3] !== '') u.host = m[3]
      if (m[4] !== undefined) u.port = Number(m[4])
      return u
    }
    const crafted = ['sip:alice@example.com:5060;transport=tcp', 'sips:[::1]:5061', 'sip:[::1', 'sip:[]', 'tel:+1555', 'sip:a:pw@h', 'sip:@h', 'sip:h:', 'sip:h:x', '1sip:h', 'sip', 'sip:a@b@c', 'SIP:H>', 'sip:h?x=1', 'x+.-:y']
    const xs = samples(crafted, ['sip', 'tel', ':', '@', ';', '?', '>', '[', ']', '1', '5060', 'a', 'H', '.', '+', '-', ' ', '\n'], 6000, 8)
    agree(xs, parseUri, ref)
  })
  it('Via: transport, sent-by and parameters', () => {
    const ref = (s: string) => {
      const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^:;\s]+)(?::(\d+))?(.*)$/.exec(s.split(',')[0].trim())
      if (m === null) return {}
      const v: Via = {transport: m[1].toUpperCase(), host: m[2]}
      if (m[3] !== undefined) v.port = Number(m[3])
      const p = params(m[4])
      if (p.has('branch')) v.branch = p.get('branch')
      if (p.has('received')) v.received = p.get('received')
      if (p.has('rport') && p.get('rport') !== '') v.rport = p.get('rport')
      return v
    }
    const crafted = [
      'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1', 'SIP / 2.0 / TCP host;rport', 'SIP/2.0/UDP [::1]:5060', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP h:', 'SIP/2.0/UDP h:x',
      'SIP/2.0/UDP', 'SIP/2.0/UDPh', 'SIP/2.0/UDP\u00a0h', 'SIP/2.0/UDP h;a\rb', 'SIP/2.0/UDP h;a\u2028b', 'SIP/2.0/U1 h', 'SIP/2.0/UDP h , SIP/2.0/TCP x',
    ]
    const xs = samples(crafted, ['SIP', '/', '2.0', 'UDP', 'tcp', ' ', '\t', ...SPACES, 'h', '[', ']', ':', ';', '5060', ',', 'branch=x', 'received=1', 'rport', '='], 3000, 9)
    const sentBy = samples([], [' ', '\t', ...SPACES, 'h', '[', ']', ':', ';', '5060', ',', 'branch=x', 'received=', '"', 'rport', '=', '\r'], 4000, 7)
    agree([...xs, ...sentBy.map((t) => `SIP/2.0/UDP${t}`), ...sentBy.map((t) => `SIP / 2.0 /tls ${t}`)], parseVia, ref)
  })
  it('auth parameters: token or quoted string with escapes', () => {
    const ref = (s: string) => {
      const sp = s.indexOf(' ')
      const out = new Map<string, string>()
      const re = /([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)/g
      const rest = sp < 0 ? '' : s.slice(sp + 1)
      for (let m = re.exec(rest); m !== null; m = re.exec(rest)) out.set(m[1].toLowerCase(), m[2].replace(/^"(.*)"$/, '$1'))
      return {scheme: sp < 0 ? s : s.slice(0, sp), params: out}
    }
    const crafted = [
      'Digest username="alice", realm="x", nonce="a\\"b", uri="sip:h", response="1"', 'Digest a=', 'Digest a="unclosed', 'Digest a="x\\', 'Digest a="x\\\ny"',
      'Digest a="x\\\ry" b=1', 'Digest a = b,c=d', 'Digest =x a=b', 'Digest a=b c', 'Digest a="x\ny"', 'Digest a=\u00a0b', 'Digest A=1,a=2', 'Digest',
    ]
    const xs = samples(crafted, ['Digest ', 'a', 'B', '_', '-', '1', '=', '"', '\\', ',', ' ', '\n', '\r', '\u2028', '\u00a0', '\t', 'x'], 6000, 12)
    agree(xs, (s) => parseAuth(s), ref)
  })
  it('Contact transport parameter in the URI', () => {
    const xs = samples([';transport=tcp', ';TRANSPORT=Udp;x', ';transport=;transport=tls', ';transport=>', 'sip:a;transport=ws?x', ';transport', 'x;transport=a>b'], [';', 'transport=', 'TRANSPORT=', 'tcp', '>', '?', '=', 'İ', 'a'], 4000, 6)
    agree(xs, uriTransport, (s) => /;transport=([^;>?]+)/i.exec(s)?.[1])
  })
})
