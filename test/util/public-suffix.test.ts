import {describe, expect, it} from 'vitest'
import {questionDomainFields} from '../../src/protocols/dns/matcher.js'
import {PublicSuffixCache} from '../../src/util/public-suffix.js'

describe('public suffix lookups', () => {
  const c = new PublicSuffixCache(100)
  it('splits a name into subdomain, registered domain and public suffix', () => {
    expect(c.lookup('www.shop.example.co.uk')).toEqual({registeredDomain: 'example.co.uk', topLevelDomain: 'co.uk', subdomain: 'www.shop'})
    expect(c.lookup('example.com')).toEqual({registeredDomain: 'example.com', topLevelDomain: 'com', subdomain: null})
    // private section of the list (as Go's x/net/publicsuffix, which Packetbeat uses)
    expect(c.lookup('a.b.github.io')).toEqual({registeredDomain: 'b.github.io', topLevelDomain: 'github.io', subdomain: 'a'})
    // no listed suffix: the last label is the suffix (the list's default rule)
    expect(c.lookup('host.corp.internal')).toEqual({registeredDomain: 'corp.internal', topLevelDomain: 'internal', subdomain: 'host'})
  })
  it('is case-insensitive and keeps the case of the name; one trailing dot is ignored', () => {
    expect(c.lookup('WWW.Example.CO.UK.')).toEqual({registeredDomain: 'Example.CO.UK', topLevelDomain: 'CO.UK', subdomain: 'WWW'})
  })
  it('has no registered domain for a public suffix, an IP literal, a single label or an empty label', () => {
    for (const n of ['co.uk', 'github.io', '192.0.2.1', 'localhost', '', '.', 'a..example.com']) expect(c.lookup(n).registeredDomain, n).toBeNull()
    expect(c.lookup('co.uk').topLevelDomain).toBe('co.uk')
  })
  it('caches at most maxEntries names (two generations)', () => {
    const small = new PublicSuffixCache(4)
    const names = ['a.example.com', 'b.example.com', 'A.EXAMPLE.COM', 'c.example.com', 'd.example.com', 'e.example.com', 'a.example.com']
    for (const n of names) {
      small.lookup(n)
      expect(small.size).toBeLessThanOrEqual(4)
    }
    expect(small.size).toBeGreaterThanOrEqual(2)
    expect(small.lookup('A.Example.com')).toEqual({registeredDomain: 'Example.com', topLevelDomain: 'com', subdomain: 'A'})
    expect(new PublicSuffixCache(0).lookup('x.example.org').registeredDomain).toBe('example.org')
  })
})

describe('dns.question domain fields (Packetbeat semantics)', () => {
  const c = new PublicSuffixCache(10)
  const q = (name: string) => {
    const o: Record<string, unknown> = {name}
    questionDomainFields(o, name, c)
    return o
  }
  it('sets registered_domain, etld_plus_one, top_level_domain and subdomain', () => {
    expect(q('www.example.co.uk')).toEqual({name: 'www.example.co.uk', registered_domain: 'example.co.uk', etld_plus_one: 'example.co.uk', top_level_domain: 'co.uk', subdomain: 'www'})
    expect(q('example.com')).toEqual({name: 'example.com', registered_domain: 'example.com', etld_plus_one: 'example.com', top_level_domain: 'com'})
  })
  it('a public suffix with one dot is its own registered domain; other names without one get no fields', () => {
    expect(q('co.uk')).toEqual({name: 'co.uk', registered_domain: 'co.uk', etld_plus_one: 'co.uk', top_level_domain: 'uk'})
    expect(q('localhost')).toEqual({name: 'localhost'})
    expect(q('.')).toEqual({name: '.'})
    expect(q('1.0.0.127.in-addr.arpa')).toMatchObject({registered_domain: '127.in-addr.arpa', top_level_domain: 'in-addr.arpa', subdomain: '1.0.0'})
  })
})
