/**
 * Test-side record protection (the encrypting half, written from RFC 8446 §5.2-5.3, RFC 5288,
 * RFC 7905, RFC 5246 §6.2.3.2 and RFC 7366), used to build protected records for the decryptor.
 */
import {createCipheriv, createHmac} from 'node:crypto'

const seqBuf = (seq: number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(seq))
  return b
}
const xorIv = (iv: Buffer, seq: number) => {
  const n = Buffer.from(iv)
  const s = seqBuf(seq)
  for (let i = 0; i < 8; i++) n[4 + i]! ^= s[i]!
  return n
}
function aead(cipher: string, key: Buffer, nonce: Buffer, aad: Buffer, plain: Buffer, tagLen = 16): Buffer {
  const c = createCipheriv(cipher as 'aes-128-gcm', key, nonce, {authTagLength: tagLen})
  if (cipher.endsWith('ccm')) (c as unknown as {setAAD(a: Buffer, o: object): void}).setAAD(aad, {plaintextLength: plain.length})
  else c.setAAD(aad)
  const ct = Buffer.concat([c.update(plain), c.final()])
  return Buffer.concat([ct, c.getAuthTag()])
}

/** TLS 1.3 record fragment: AEAD(content || type || zeros(pad)). */
export function seal13(cipher: string, key: Buffer, iv: Buffer, seq: number, type: number, content: Buffer, pad = 0, tagLen = 16): Buffer {
  const inner = Buffer.concat([content, Buffer.from([type]), Buffer.alloc(pad)])
  const len = inner.length + tagLen
  const aad = Buffer.from([23, 3, 3, len >> 8, len & 0xff])
  return aead(cipher, key, xorIv(iv, seq), aad, inner, tagLen)
}

const ad12 = (seq: number, type: number, len: number) => Buffer.concat([seqBuf(seq), Buffer.from([type, 3, 3, len >> 8, len & 0xff])])

/** TLS 1.2 AES-GCM/CCM fragment: explicit nonce (8) || ciphertext || tag. */
export function seal12Gcm(cipher: string, key: Buffer, salt: Buffer, seq: number, type: number, content: Buffer, tagLen = 16): Buffer {
  const explicit = Buffer.alloc(8, seq + 0x40)
  return Buffer.concat([explicit, aead(cipher, key, Buffer.concat([salt, explicit]), ad12(seq, type, content.length), content, tagLen)])
}

/** TLS 1.2 ChaCha20-Poly1305 fragment (RFC 7905). */
export function seal12Chacha(key: Buffer, iv: Buffer, seq: number, type: number, content: Buffer): Buffer {
  return aead('chacha20-poly1305', key, xorIv(iv, seq), ad12(seq, type, content.length), content)
}

/** TLS 1.2 CBC fragment: IV || E(content || MAC || padding) or, with etm, IV || E(content || padding) || MAC. */
export function seal12Cbc(
  cipher: string,
  block: number,
  mac: string,
  macKey: Buffer,
  key: Buffer,
  seq: number,
  type: number,
  content: Buffer,
  etm: boolean,
): Buffer {
  const iv = Buffer.alloc(block, seq + 0x11)
  const m = etm ? Buffer.alloc(0) : createHmac(mac, macKey).update(ad12(seq, type, content.length)).update(content).digest()
  const body = Buffer.concat([content, m])
  const padLen = block - ((body.length + 1) % block)
  const plain = Buffer.concat([body, Buffer.alloc(padLen + 1, padLen)])
  const c = createCipheriv(cipher, key, iv)
  c.setAutoPadding(false)
  const ct = Buffer.concat([iv, c.update(plain), c.final()])
  if (!etm) return ct
  return Buffer.concat([ct, createHmac(mac, macKey).update(ad12(seq, type, ct.length)).update(ct).digest()])
}
