/**
 * The few ClientHello/ServerHello facts decryption needs, read from a handshake message body
 * (RFC 5246 §7.4.1, RFC 8446 §4.1.2-3): random, negotiated version (supported_versions, 43),
 * cipher suite, encrypt_then_mac (22), and whether the ServerHello is a HelloRetryRequest. Bounds
 * are checked; a malformed body gives undefined. Called once per hello, not per record.
 */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex')

export interface ServerHelloFacts {
  random: Buffer
  version: number
  cipherSuite: number
  encryptThenMac: boolean
  helloRetryRequest: boolean
}

/** Client random: bytes 2..34 of a ClientHello body (copied: it outlives the parse). */
export function clientHelloRandom(body: Buffer): Buffer | undefined {
  return body.length >= 34 ? Buffer.from(body.subarray(2, 34)) : undefined
}

export function serverHelloFacts(body: Buffer): ServerHelloFacts | undefined {
  if (body.length < 38) return undefined
  let version = body.readUInt16BE(0)
  const random = Buffer.from(body.subarray(2, 34))
  const sidLen = body[34]!
  let p = 35 + sidLen
  if (p + 3 > body.length) return undefined
  const cipherSuite = body.readUInt16BE(p)
  p += 3 // suite + compression
  let encryptThenMac = false
  if (p + 2 <= body.length) {
    const end = p + 2 + body.readUInt16BE(p)
    if (end > body.length) return undefined
    p += 2
    while (p + 4 <= end) {
      const type = body.readUInt16BE(p)
      const len = body.readUInt16BE(p + 2)
      p += 4
      if (p + len > end) return undefined
      if (type === 43 && len === 2) version = body.readUInt16BE(p)
      else if (type === 22) encryptThenMac = true
      p += len
    }
  }
  return {random, version, cipherSuite, encryptThenMac, helloRetryRequest: random.equals(HRR_RANDOM)}
}
