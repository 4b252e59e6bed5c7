/**
 * Text from protocol bytes: UTF-8 where it is well formed, every byte that is not part of a
 * well-formed sequence (RFC 3629 section 4: no overlongs, no surrogates, nothing above U+10FFFF)
 * written as the four characters `\xNN` - visible and lossless, where a plain UTF-8 decode would put
 * U+FFFD (lossy) and a Latin-1 decode would turn valid UTF-8 into mojibake ("bidi\u00e2\u0080\u00ae").
 * A backslash in the data is kept as is (as Python's "backslashreplace"), so `\xNN` is only
 * unambiguous for data without backslashes. Pure ASCII takes one scan and one latin1 decode.
 */

const HEX = '0123456789abcdef'

/** Length of the well-formed UTF-8 sequence starting at buf[i] (< e), or 0 when it is not one. */
function seqLen(buf: Buffer, i: number, e: number): number {
  const b = buf[i]
  if (b < 0x80) return 1
  const cont = (k: number): boolean => i + k < e && (buf[i + k] & 0xc0) === 0x80
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0
  if (b >= 0xe0 && b <= 0xef) {
    if (i + 1 >= e) return 0
    const b1 = buf[i + 1]
    if (b === 0xe0 && b1 < 0xa0) return 0 // overlong
    if (b === 0xed && b1 > 0x9f) return 0 // UTF-16 surrogates
    return cont(1) && cont(2) ? 3 : 0
  }
  if (b >= 0xf0 && b <= 0xf4) {
    if (i + 1 >= e) return 0
    const b1 = buf[i + 1]
    if (b === 0xf0 && b1 < 0x90) return 0 // overlong
    if (b === 0xf4 && b1 > 0x8f) return 0 // above U+10FFFF
    return cont(1) && cont(2) && cont(3) ? 4 : 0
  }
  return 0
}

/** buf[s, e) as UTF-8 with invalid bytes escaped as `\xNN` (see the file comment). */
export function utf8Escaped(buf: Buffer, s = 0, e = buf.length): string {
  let i = s
  while (i < e && buf[i] < 0x80) i++
  if (i === e) return buf.toString('latin1', s, e)
  let out = ''
  let run = s
  while (i < e) {
    if (buf[i] < 0x80) {
      i++
      continue
    }
    const n = seqLen(buf, i, e)
    if (n > 0) {
      i += n
      continue
    }
    if (i > run) out += buf.toString('utf8', run, i)
    const b = buf[i]
    out += '\\x' + HEX[b >> 4] + HEX[b & 15]
    i++
    run = i
  }
  if (e > run) out += buf.toString('utf8', run, e)
  return out
}
