/**
 * SOCKS handshake messages (SOCKS4 and 4a: the NEC/OpenSSH protocol notes; SOCKS5: RFC 1928, with
 * username/password sub-negotiation RFC 1929). Pure functions over the bytes held so far; each
 * returns the message and its length, 0 while incomplete, or -1 when the bytes are not that message.
 * Never throws; reads only inside `b`.
 */

export type Parsed<T> = {len: number; v: T} | 0 | -1

export interface Socks4Request {
  command: number
  port: number
  /** Dotted IPv4, or the 4a host name. */
  host: string
  user: string
  v4a: boolean
}

const MAX_NAME = 255

function cstr(b: Buffer, from: number): number {
  const end = Math.min(b.length, from + MAX_NAME + 1)
  for (let i = from; i < end; i++) if (b[i] === 0) return i
  return end - from > MAX_NAME ? -1 : 0
}

/** SOCKS4/4a request: VN=4, CD, DSTPORT, DSTIP, USERID NUL [, HOST NUL when DSTIP is 0.0.0.x]. */
export function socks4Request(b: Buffer): Parsed<Socks4Request> {
  if (b.length < 1) return 0
  if (b[0] !== 4) return -1
  if (b.length < 2) return 0
  if (b[1] !== 1 && b[1] !== 2) return -1
  if (b.length < 9) return 0
  const port = b.readUInt16BE(2)
  const v4a = b[4] === 0 && b[5] === 0 && b[6] === 0 && b[7] !== 0
  const u = cstr(b, 8)
  if (u <= 0) return u === 0 ? 0 : -1
  const user = b.toString('latin1', 8, u)
  if (!v4a) return {len: u + 1, v: {command: b[1]!, port, host: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, user, v4a}}
  const h = cstr(b, u + 1)
  if (h <= 0) return h === 0 ? 0 : -1
  return {len: h + 1, v: {command: b[1]!, port, host: b.toString('latin1', u + 1, h), user, v4a}}
}

/** SOCKS4 reply: VN=0, CD (90 granted, 91..93 refused), 6 ignored bytes; v = granted. */
export function socks4Reply(b: Buffer): Parsed<boolean> {
  if (b.length < 1) return 0
  if (b[0] !== 0) return -1
  if (b.length < 8) return 0
  if (b[1]! < 90 || b[1]! > 93) return -1
  return {len: 8, v: b[1] === 90}
}

/** SOCKS5 method selection request: VER=5, NMETHODS (1..255), METHODS. */
export function socks5Greeting(b: Buffer): Parsed<number[]> {
  if (b.length < 1) return 0
  if (b[0] !== 5) return -1
  if (b.length < 2) return 0
  const n = b[1]!
  if (n === 0) return -1
  if (b.length < 2 + n) return 0
  return {len: 2 + n, v: [...b.subarray(2, 2 + n)]}
}

/** Two-byte reply {version, value}: the SOCKS5 method choice (5, method) or RFC 1929 status (1, status). */
export function twoByte(b: Buffer, version: number): Parsed<number> {
  if (b.length < 1) return 0
  if (b[0] !== version) return -1
  if (b.length < 2) return 0
  return {len: 2, v: b[1]!}
}

/** RFC 1929 request: VER=1, ULEN, UNAME, PLEN, PASSWD; v = the user name (the password is skipped). */
export function socks5Auth(b: Buffer): Parsed<string> {
  if (b.length < 1) return 0
  if (b[0] !== 1) return -1
  if (b.length < 2) return 0
  const ul = b[1]!
  if (b.length < 3 + ul) return 0
  const pl = b[2 + ul]!
  if (b.length < 3 + ul + pl) return 0
  return {len: 3 + ul + pl, v: b.toString('latin1', 2, 2 + ul)}
}

export interface Socks5Address {
  /** CMD of a request, REP of a reply. */
  code: number
  host: string
  port: number
}

/** SOCKS5 request or reply: VER=5, CMD/REP, RSV, ATYP (1 IPv4, 3 name, 4 IPv6), ADDR, PORT. */
export function socks5Message(b: Buffer): Parsed<Socks5Address> {
  if (b.length < 1) return 0
  if (b[0] !== 5) return -1
  if (b.length < 5) return 0
  const atyp = b[3]!
  let p = 4
  let host: string
  if (atyp === 1) {
    if (b.length < p + 4 + 2) return 0
    host = `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`
    p += 4
  } else if (atyp === 3) {
    const l = b[p]!
    if (b.length < p + 1 + l + 2) return 0
    host = b.toString('latin1', p + 1, p + 1 + l)
    p += 1 + l
  } else if (atyp === 4) {
    if (b.length < p + 16 + 2) return 0
    const parts: string[] = []
    for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(p + i).toString(16))
    host = `[${parts.join(':')}]`
    p += 16
  } else return -1
  return {len: p + 2, v: {code: b[1]!, host, port: b.readUInt16BE(p)}}
}

export const COMMANDS: Record<number, string> = {1: 'connect', 2: 'bind', 3: 'udp_associate'}
