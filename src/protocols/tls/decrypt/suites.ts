/**
 * The record protection of the cipher suites pbx can decrypt, by IANA code point. Key exchange
 * does not matter here: the key log gives the master secret (TLS 1.2) or the traffic secrets
 * (TLS 1.3), whatever the exchange was (RSA, DHE, ECDHE, PSK).
 *
 * TLS 1.2 AEAD (RFC 5288 GCM, RFC 6655 CCM): 4-byte implicit salt from the key block + 8-byte
 * explicit nonce at the start of each fragment. ChaCha20-Poly1305 (RFC 7905): 12-byte IV from the key
 * block XOR the sequence number, no explicit part. CBC (RFC 5246 §6.2.3.2): explicit IV per record,
 * HMAC over the plaintext (or over the ciphertext with encrypt_then_mac, RFC 7366).
 */
import type {HashName} from './kdf.js'

export type Mode = 'gcm' | 'ccm' | 'chacha' | 'cbc'

export interface SuiteSpec {
  /** Node cipher name (createDecipheriv). */
  cipher: string
  mode: Mode
  keyLen: number
  /** AEAD tag length (16, or 8 for *_CCM_8); 0 for CBC. */
  tagLen: number
  /** CBC only: block size (= explicit IV length). */
  blockLen: number
  /** CBC only: HMAC hash and its output length. */
  mac: 'sha1' | 'sha256' | 'sha384' | null
  macLen: number
  /** TLS 1.2 PRF hash / TLS 1.3 HKDF hash. */
  hash: HashName
}

const gcm = (keyLen: number, hash: HashName): SuiteSpec => ({
  cipher: `aes-${keyLen * 8}-gcm`,
  mode: 'gcm',
  keyLen,
  tagLen: 16,
  blockLen: 0,
  mac: null,
  macLen: 0,
  hash,
})
const ccm = (keyLen: number, tagLen: number): SuiteSpec => ({
  cipher: `aes-${keyLen * 8}-ccm`,
  mode: 'ccm',
  keyLen,
  tagLen,
  blockLen: 0,
  mac: null,
  macLen: 0,
  hash: 'sha256',
})
const chacha: SuiteSpec = {cipher: 'chacha20-poly1305', mode: 'chacha', keyLen: 32, tagLen: 16, blockLen: 0, mac: null, macLen: 0, hash: 'sha256'}
const cbc = (cipher: string, keyLen: number, blockLen: number, mac: 'sha1' | 'sha256' | 'sha384'): SuiteSpec => ({
  cipher,
  mode: 'cbc',
  keyLen,
  tagLen: 0,
  blockLen,
  mac,
  macLen: mac === 'sha1' ? 20 : mac === 'sha256' ? 32 : 48,
  hash: mac === 'sha384' ? 'sha384' : 'sha256',
})
const aes128sha = cbc('aes-128-cbc', 16, 16, 'sha1')
const aes256sha = cbc('aes-256-cbc', 32, 16, 'sha1')
const aes128sha256 = cbc('aes-128-cbc', 16, 16, 'sha256')
const aes256sha256 = cbc('aes-256-cbc', 32, 16, 'sha256')
const aes256sha384 = cbc('aes-256-cbc', 32, 16, 'sha384')
const des3sha = cbc('des-ede3-cbc', 24, 8, 'sha1')

/** TLS 1.2 suites (also valid for their DTLS twins, which pbx does not decrypt). */
export const SUITES_12: ReadonlyMap<number, SuiteSpec> = new Map<number, SuiteSpec>([
  // AES-GCM: RSA, DHE_RSA, DHE_DSS, PSK, DHE_PSK, RSA_PSK, ECDHE_ECDSA, ECDHE_RSA
  ...[0x009c, 0x009e, 0x00a2, 0x00a8, 0x00aa, 0x00ac, 0xc02b, 0xc02f].map((c): [number, SuiteSpec] => [c, gcm(16, 'sha256')]),
  ...[0x009d, 0x009f, 0x00a3, 0x00a9, 0x00ab, 0x00ad, 0xc02c, 0xc030].map((c): [number, SuiteSpec] => [c, gcm(32, 'sha384')]),
  // ChaCha20-Poly1305 (RFC 7905)
  ...[0xcca8, 0xcca9, 0xccaa, 0xccab, 0xccac, 0xccad, 0xccae].map((c): [number, SuiteSpec] => [c, chacha]),
  // AES-CCM (RFC 6655, RFC 7251)
  ...[0xc09c, 0xc09e, 0xc0a4, 0xc0a6, 0xc0ac].map((c): [number, SuiteSpec] => [c, ccm(16, 16)]),
  ...[0xc09d, 0xc09f, 0xc0a5, 0xc0a7, 0xc0ad].map((c): [number, SuiteSpec] => [c, ccm(32, 16)]),
  ...[0xc0a0, 0xc0a2, 0xc0a8, 0xc0ae].map((c): [number, SuiteSpec] => [c, ccm(16, 8)]),
  ...[0xc0a1, 0xc0a3, 0xc0a9, 0xc0af].map((c): [number, SuiteSpec] => [c, ccm(32, 8)]),
  // AES-CBC with HMAC-SHA1: RSA, DHE_DSS, DHE_RSA, ECDHE_ECDSA, ECDHE_RSA, PSK
  ...[0x002f, 0x0032, 0x0033, 0xc009, 0xc013, 0x008c].map((c): [number, SuiteSpec] => [c, aes128sha]),
  ...[0x0035, 0x0038, 0x0039, 0xc00a, 0xc014, 0x008d].map((c): [number, SuiteSpec] => [c, aes256sha]),
  // AES-CBC with HMAC-SHA256 / SHA384
  ...[0x003c, 0x0040, 0x0067, 0xc023, 0xc027, 0x00ae].map((c): [number, SuiteSpec] => [c, aes128sha256]),
  ...[0x003d, 0x006a, 0x006b].map((c): [number, SuiteSpec] => [c, aes256sha256]),
  ...[0xc024, 0xc028, 0x00af].map((c): [number, SuiteSpec] => [c, aes256sha384]),
  // 3DES-EDE-CBC with HMAC-SHA1
  ...[0x000a, 0x0013, 0x0016, 0xc008, 0xc012].map((c): [number, SuiteSpec] => [c, des3sha]),
])

/** TLS 1.3 suites (RFC 8446 §B.4). */
export const SUITES_13: ReadonlyMap<number, SuiteSpec> = new Map<number, SuiteSpec>([
  [0x1301, gcm(16, 'sha256')],
  [0x1302, gcm(32, 'sha384')],
  [0x1303, chacha],
  [0x1304, ccm(16, 16)],
  [0x1305, ccm(16, 8)],
])
