/**
 * Public suffix list lookups (registered domain, eTLD, subdomain of a host name) for the dns
 * protocol's `dns.question.*` domain fields and the `registered_domain` processor.
 *
 * The list is the `tldts` package's copy of publicsuffix.org, ICANN and private sections both (as
 * Go's golang.org/x/net/publicsuffix that Packetbeat uses); a name under no listed suffix takes
 * its last label as the suffix (the list's default `*` rule). tldts is loaded on the first lookup,
 * not when this module is imported, so a run that never looks a name up pays nothing for it.
 *
 * Lookups are case-insensitive; the parts returned are cut from the name as given (case kept), so
 * `WWW.Example.COM` gives `Example.COM`. One trailing dot is ignored. IP address literals and
 * names that are themselves a public suffix have no registered domain.
 *
 * Results are cached per distinct lower-cased name in a cache of at most `maxEntries` names
 * (limits.publicSuffixCacheEntries); the older half is dropped when it is full.
 */
import {createRequire} from 'node:module'

export interface DomainParts {
  /** eTLD+1 (`example.co.uk`), or null when there is none (the name is a public suffix, an IP, ...). */
  registeredDomain: string | null
  /** The public suffix (`co.uk`), or null. */
  topLevelDomain: string | null
  /** What precedes the registered domain (`www.shop`), or null when nothing does. */
  subdomain: string | null
}

interface Tldts {
  parse(
    host: string,
    o: {allowPrivateDomains: boolean; extractHostname: boolean; validateHostname: boolean; mixedInputs: boolean},
  ): {domain: string | null; publicSuffix: string | null; isIp: boolean | null}
}

let tldts: Tldts | undefined

function lib(): Tldts {
  if (tldts === undefined) tldts = createRequire(import.meta.url)('tldts') as Tldts
  return tldts
}

const PARSE_OPTIONS = {allowPrivateDomains: true, extractHostname: false, validateHostname: false, mixedInputs: false}
const NONE: DomainParts = Object.freeze({registeredDomain: null, topLevelDomain: null, subdomain: null})

/** The lower-case parts of a lower-case name without trailing dot (no cache). */
function lookupLower(name: string): DomainParts {
  if (name === '' || name.startsWith('.') || name.includes('..')) return NONE
  const r = lib().parse(name, PARSE_OPTIONS)
  if (r.isIp === true) return NONE
  const suffix = r.publicSuffix
  const domain = r.domain
  if (domain === null || domain === '') return {registeredDomain: null, topLevelDomain: suffix || null, subdomain: null}
  const sub = name.length > domain.length + 1 ? name.slice(0, name.length - domain.length - 1) : null
  return {registeredDomain: domain, topLevelDomain: suffix || null, subdomain: sub}
}

/**
 * Bounded cache of lookups, keyed by the lower-cased name: two generations of at most
 * maxEntries / 2 names each; when the young one is full it becomes the old one and the previous
 * old one is dropped (O(1), no per-entry eviction scan). A hit in the old generation moves up.
 */
export class PublicSuffixCache {
  private young = new Map<string, DomainParts>()
  private old = new Map<string, DomainParts>()
  private readonly half: number

  constructor(maxEntries: number) {
    this.half = Math.floor(maxEntries / 2)
  }

  /** The parts of `host` (see the module comment); never throws. */
  lookup(host: string): DomainParts {
    let name = host.endsWith('.') ? host.slice(0, -1) : host
    const lower = name.toLowerCase()
    let parts = this.young.get(lower)
    if (parts === undefined) {
      parts = this.old.get(lower) ?? lookupLower(lower)
      if (this.half > 0) {
        if (this.young.size >= this.half) {
          this.old = this.young
          this.young = new Map()
        }
        this.young.set(lower, parts)
      }
    }
    if (lower === name || parts === NONE) return parts
    // Same length (ASCII lower-casing): cut the parts from the name as given.
    if (lower.length !== name.length) name = lower
    const cut = (s: string | null) => (s === null ? null : name.slice(name.length - s.length))
    return {
      registeredDomain: cut(parts.registeredDomain),
      topLevelDomain: cut(parts.topLevelDomain),
      subdomain: parts.subdomain === null ? null : name.slice(0, parts.subdomain.length),
    }
  }

  /** Names held (both generations; at most maxEntries). */
  get size(): number {
    return this.young.size + this.old.size
  }
}

const shared = new Map<number, PublicSuffixCache>()

/** The cache shared by every user in this process with the same bound (lookups are pure). */
export function sharedPublicSuffixCache(maxEntries: number): PublicSuffixCache {
  let c = shared.get(maxEntries)
  if (c === undefined) {
    c = new PublicSuffixCache(maxEntries)
    shared.set(maxEntries, c)
  }
  return c
}
