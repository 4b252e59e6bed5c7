/**
 * Key derivation for TLS record decryption. Pure functions over Node's crypto HMAC; called once
 * per connection (key block, traffic keys) or per KeyUpdate, never per record.
 *
 * - TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label + seed), hash = SHA-256 or the suite's hash.
 * - HKDF-Expand (RFC 5869 §2.3) and HKDF-Expand-Label (RFC 8446 §7.1): the TLS 1.3 key schedule
 *   below the traffic secrets, which an NSS key log gives directly (so no Extract and no
 *   transcript hash is needed here).
 */
import {createHmac} from 'node:crypto'

export type HashName = 'sha256' | 'sha384'

export const HASH_LEN: Record<HashName, number> = {sha256: 32, sha384: 48}

/** P_hash of RFC 5246 §5: HMAC chain A(i) = HMAC(secret, A(i-1)), output HMAC(secret, A(i) + seed). */
export function pHash(hash: HashName, secret: Buffer, seed: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length)
  let a = seed
  let filled = 0
  while (filled < length) {
    a = createHmac(hash, secret).update(a).digest()
    const block = createHmac(hash, secret).update(a).update(seed).digest()
    filled += block.copy(out, filled)
  }
  return out
}

/** PRF(secret, label, seed) of RFC 5246 §5 (TLS 1.2). */
export function prf12(hash: HashName, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  return pHash(hash, secret, Buffer.concat([Buffer.from(label, 'latin1'), seed]), length)
}

/**
 * TLS 1.2 key block (RFC 5246 §6.3): PRF(master_secret, "key expansion", server_random +
 * client_random), cut into client/server MAC keys, client/server write keys, client/server IVs.
 */
export function keyBlock12(hash: HashName, master: Buffer, clientRandom: Buffer, serverRandom: Buffer, length: number): Buffer {
  return prf12(hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), length)
}

/** HKDF-Expand (RFC 5869 §2.3). */
export function hkdfExpand(hash: HashName, prk: Buffer, info: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length)
  let t = Buffer.alloc(0)
  let filled = 0
  for (let i = 1; filled < length; i++) {
    t = createHmac(hash, prk).update(t).update(info).update(Buffer.from([i])).digest()
    filled += t.copy(out, filled)
  }
  return out
}

/**
 * HKDF-Expand-Label (RFC 8446 §7.1): info = uint16 length, opaque label<7..255> = "tls13 " +
 * label, opaque context<0..255>.
 */
export function hkdfExpandLabel(hash: HashName, secret: Buffer, label: string, context: Buffer, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1')
  const info = Buffer.alloc(2 + 1 + full.length + 1 + context.length)
  info.writeUInt16BE(length, 0)
  info[2] = full.length
  full.copy(info, 3)
  info[3 + full.length] = context.length
  context.copy(info, 4 + full.length)
  return hkdfExpand(hash, secret, info, length)
}

/** Traffic key and IV from a TLS 1.3 traffic secret (RFC 8446 §7.3). */
export function trafficKeys13(hash: HashName, secret: Buffer, keyLen: number): {key: Buffer; iv: Buffer} {
  const empty = Buffer.alloc(0)
  return {key: hkdfExpandLabel(hash, secret, 'key', empty, keyLen), iv: hkdfExpandLabel(hash, secret, 'iv', empty, 12)}
}

/** The next application traffic secret after a KeyUpdate (RFC 8446 §7.2). */
export function nextTrafficSecret13(hash: HashName, secret: Buffer): Buffer {
  return hkdfExpandLabel(hash, secret, 'traffic upd', Buffer.alloc(0), HASH_LEN[hash])
}
