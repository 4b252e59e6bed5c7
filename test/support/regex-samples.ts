/** Inputs for differential tests of hand-written matchers against the regular expressions they replace. */

/** Crafted strings, then `n` random ones of up to `len` pieces of `alphabet` (fixed seed). */
export function samples(crafted: string[], alphabet: string[], n = 3000, len = 10): string[] {
  let seed = 12345
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed >>> 8
  }
  const random = Array.from({length: n}, () => Array.from({length: rnd() % (len + 1)}, () => alphabet[rnd() % alphabet.length]).join(''))
  return [...crafted, ...random]
}

/** Whitespace and line terminators JavaScript's \s and `.` care about, plus look-alikes. */
export const SPACES = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u200a', '\u200b', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u0085']
