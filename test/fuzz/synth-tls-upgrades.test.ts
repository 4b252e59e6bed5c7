/**
 * The fuzzer's synthetic SOCKS, STARTTLS (SMTP, IMAP, POP3, FTP, XMPP, LDAP) and DTLS streams
 * (scripts/fuzz/sources.ts) are valid before mutation: run unmutated they give TLS sessions and no
 * exception or malformed count, so mutations start from streams that reach the deep code.
 */
import {describe, expect, it} from 'vitest'
import {runStream} from '../../scripts/fuzz/harness.js'
import {SYNTH_KINDS, synthStream} from '../../scripts/fuzz/sources.js'
import {DEFAULT_LIMITS} from '../../src/limits.js'
import {protocols} from '../../src/protocols/registry.js'

describe('fuzz sources: TLS upgrades and DTLS', () => {
  for (const name of ['socks/tcp', 'starttls/tcp', 'tls/udp']) {
    it(`${name} streams are valid and most yield a TLS session`, () => {
      const k = SYNTH_KINDS.findIndex((x) => `${x.protocol}/${x.transport}` === name)
      expect(k).toBeGreaterThanOrEqual(0)
      let sessions = 0
      const ports = new Set<number>()
      for (let seed = 1; seed <= 60; seed++) {
        const s = synthStream(k, seed)
        ports.add(s.serverPort)
        const r = runStream(s, protocols, DEFAULT_LIMITS)
        expect(r.errors).toEqual([])
        // SOCKS refusals are generated on purpose and counted as such; nothing else is malformed
        expect([...r.stats.malformed.keys()].filter((m) => !m.startsWith('socks: malformed or refused'))).toEqual([])
        sessions += r.transactions
      }
      expect(sessions).toBeGreaterThan(30)
      if (name === 'starttls/tcp') expect([...ports].sort((a, b) => a - b)).toEqual([21, 25, 110, 143, 389, 5222])
    })
  }
})
