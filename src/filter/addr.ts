/**
 * Literal parsing for filter expressions, with libpcap's rules: numbers are decimal, 0x-hex or
 * 0-octal and fit in 32 bits; IPv4 literals may be short (`10.1` = 10.1.0.0 with a /16 mask when
 * used as a host or net); IPv6 literals follow RFC 4291 text form (with an optional trailing
 * dotted quad, no zone index); MAC literals take libpcap's forms. Each parser returns null when the
 * text is not of its kind and throws a reason string when it is of its kind but invalid.
 */

/** libpcap's number syntax. null: not a number at all. Throws a reason string when out of range. */
export function parseNumber(text: string): number | null {
  let v: number
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) v = Number.parseInt(text.slice(2), 16)
  else if (/^0[0-9]+$/.test(text)) {
    if (/[89]/.test(text)) throw `number ${text} contains non-octal digit`
    v = Number.parseInt(text, 8)
  } else if (/^[0-9]+$/.test(text)) v = Number.parseInt(text, 10)
  else return null
  if (v > 0xffffffff) throw `number ${text} overflows 32 bits`
  return v
}

/** A dotted IPv4 literal of 2 to 4 parts: its value left-aligned and the number of bits given. */
export interface Dotted {
  value: number
  bits: number
}

export function parseDotted(text: string): Dotted | null {
  if (!/^[0-9]+(\.[0-9]+){1,3}$/.test(text)) return null
  const parts = text.split('.')
  let v = 0
  for (const p of parts) {
    const n = Number.parseInt(p, 10)
    if (n > 255) throw `invalid IPv4 address "${text}"`
    v = v * 256 + n
  }
  const bits = parts.length * 8
  return {value: bits === 32 ? v : v * 2 ** (32 - bits), bits}
}

/** 16 bytes, or null when `text` is not an IPv6 literal. */
export function parseIPv6(text: string): Uint8Array | null {
  if (!text.includes(':')) return null
  const out = new Uint8Array(16)
  let head = text
  let tail = ''
  const dbl = text.indexOf('::')
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return null
    head = text.slice(0, dbl)
    tail = text.slice(dbl + 2)
  }
  const groups = (s: string): number[] | null => {
    if (s === '') return []
    const out: number[] = []
    const parts = s.split(':')
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]
      if (i === parts.length - 1 && p.includes('.')) {
        const d = parseDottedQuad(p)
        if (d === null) return null
        out.push(d >>> 16, d & 0xffff)
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(Number.parseInt(p, 16))
      else return null
    }
    return out
  }
  const h = groups(head)
  const t = groups(tail)
  if (h === null || t === null) return null
  if (dbl < 0 ? h.length !== 8 : h.length + t.length > 7) return null
  // A dotted quad may only end the address.
  if (dbl >= 0 && head.includes('.')) return null
  const all = dbl < 0 ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t]
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >>> 8
    out[2 * i + 1] = all[i] & 0xff
  }
  return out
}

function parseDottedQuad(s: string): number | null {
  if (!/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(s)) return null
  let v = 0
  for (const p of s.split('.')) {
    const n = Number.parseInt(p, 10)
    if (n > 255) return null
    v = v * 256 + n
  }
  return v
}

/**
 * libpcap's MAC forms: six 1-2 digit hex groups separated by `:`, `-` or `.`; three 4-digit
 * groups separated by `.`; or 12 hex digits.
 */
export function parseMac(text: string): Uint8Array | null {
  let parts: string[]
  if (/^[0-9a-fA-F]{1,2}([:.-])[0-9a-fA-F]{1,2}(\1[0-9a-fA-F]{1,2}){4}$/.test(text)) parts = text.split(/[:.-]/)
  else if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4}){2}$/.test(text) || /^[0-9a-fA-F]{12}$/.test(text)) {
    const h = text.replace(/\./g, '')
    parts = [0, 2, 4, 6, 8, 10].map((i) => h.slice(i, i + 2))
  } else return null
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)))
}

export function formatIPv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.')
}

export function formatIPv6(b: Uint8Array): string {
  const g: string[] = []
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16))
  return g.join(':')
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':')
}
