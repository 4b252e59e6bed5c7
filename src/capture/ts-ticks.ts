/**
 * Exact conversion of a pcapng 64-bit timestamp (a tick count split into two unsigned 32-bit
 * halves, pcapng draft section 4.3) into whole seconds plus nanoseconds, without BigInt.
 *
 * A nanosecond-resolution tick count today is about 1.7e18, far above 2^53, so a plain
 * `hi * 2**32 + lo` loses the low digits. Instead the 64-bit value is divided by long division in
 * 16-bit digits: every partial dividend stays below divisor * 2^16, which is exact in a double as
 * long as the divisor is below 2^37.
 *
 * Results are written into the module-level `ticksOut` object (no allocation per call). Callers read
 * `ticksOut.sec` / `ticksOut.nsec` immediately after the call; the object is overwritten by the next.
 */

/** Output of the last `ticksToTime` call. */
export const ticksOut = {sec: 0, nsec: 0}

/** A decoded if_tsresol value: 10^-exp (binary=false) or 2^-exp (binary=true) seconds per tick. */
export interface TickResolution {
  binary: boolean
  exp: number
}

// Quotient of the last divmod64 call, as two unsigned 32-bit halves.
let qHi = 0
let qLo = 0

/**
 * Divides the unsigned 64-bit value (hi, lo) by d (1 <= d < 2^37). Leaves the quotient in qHi/qLo
 * and returns the remainder.
 */
function divmod64(hi: number, lo: number, d: number): number {
  let x = hi >>> 16
  const q3 = Math.floor(x / d) // x < 2^16: exact
  let r = x - q3 * d
  x = r * 65536 + (hi & 0xffff)
  let q2 = Math.floor(x / d)
  r = x - q2 * d
  if (r < 0) {
    q2--
    r += d
  }
  x = r * 65536 + (lo >>> 16)
  let q1 = Math.floor(x / d)
  r = x - q1 * d
  if (r < 0) {
    q1--
    r += d
  }
  x = r * 65536 + (lo & 0xffff)
  let q0 = Math.floor(x / d)
  r = x - q0 * d
  if (r < 0) {
    q0--
    r += d
  }
  qHi = q3 * 65536 + q2
  qLo = q1 * 65536 + q0
  return r
}

const POW10: number[] = []
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p)

/** Largest decimal exponent whose power is a safe divmod64 divisor (10^11 < 2^37). */
const MAX_DIV_EXP = 11
/** 5^9: 10^9 = 5^9 * 2^9, used to scale binary fractions exactly. */
const FIVE_POW_9 = 1953125
const TWO_32 = 4294967296

/**
 * Converts ticks (hi, lo: unsigned 32-bit halves) at the given resolution into ticksOut.sec
 * (floor of seconds) and ticksOut.nsec (floor of the fraction in nanoseconds, 0..999_999_999).
 * Exact for every 64-bit input whose second count is below 2^53.
 */
export function ticksToTime(hi: number, lo: number, res: TickResolution): void {
  const exp = res.exp
  if (res.binary) {
    binaryTicks(hi, lo, exp)
    return
  }
  if (exp <= 9) {
    const unit = POW10[exp]
    if (hi < 0x200000) {
      // t < 2^53: exact in a double; correct the float quotient by at most one.
      const t = hi * TWO_32 + lo
      let sec = Math.floor(t / unit)
      let rem = t - sec * unit
      if (rem < 0) {
        sec--
        rem += unit
      } else if (rem >= unit) {
        sec++
        rem -= unit
      }
      ticksOut.sec = sec
      ticksOut.nsec = rem * POW10[9 - exp]
      return
    }
    const rem = divmod64(hi, lo, unit)
    ticksOut.sec = qHi * TWO_32 + qLo
    ticksOut.nsec = rem * POW10[9 - exp]
    return
  }
  // Finer than a nanosecond: floor to whole nanoseconds first (floor(floor(t/a)/b) = floor(t/(ab))).
  let e = exp - 9
  let h = hi
  let l = lo
  while (e > 0) {
    const step = Math.min(e, MAX_DIV_EXP)
    divmod64(h, l, POW10[step])
    h = qHi
    l = qLo
    e -= step
  }
  const nsec = divmod64(h, l, 1e9)
  ticksOut.sec = qHi * TWO_32 + qLo
  ticksOut.nsec = nsec
}

/** 2^-exp resolution: seconds are the high bits, the fraction is scaled by 10^9 / 2^exp exactly. */
function binaryTicks(hi: number, lo: number, exp: number): void {
  let sec: number
  let remHi: number
  let remLo: number
  if (exp === 0) {
    ticksOut.sec = hi * TWO_32 + lo
    ticksOut.nsec = 0
    return
  }
  if (exp < 32) {
    const div = 2 ** exp
    sec = hi * 2 ** (32 - exp) + Math.floor(lo / div)
    remHi = 0
    remLo = lo % div
  } else if (exp < 64) {
    const div = 2 ** (exp - 32)
    sec = Math.floor(hi / div)
    remHi = hi % div
    remLo = lo
  } else {
    sec = 0
    remHi = hi
    remLo = lo
  }
  // nsec = floor(rem * 10^9 / 2^exp) = floor(rem * 5^9 / 2^(exp-9)).
  if (remHi === 0 && exp <= 32) {
    // rem < 2^32, rem * 5^9 < 2^53: exact.
    const p = remLo * FIVE_POW_9
    ticksOut.nsec = exp >= 9 ? Math.floor(p / 2 ** (exp - 9)) : p * 2 ** (9 - exp)
  } else {
    // rem * 5^9 = a * 2^32 + b, a = remHi * 5^9, b = remLo * 5^9 (both < 2^53).
    const a = remHi * FIVE_POW_9
    const b = remLo * FIVE_POW_9
    const bHigh = Math.floor(b / TWO_32)
    const bLow = b - bHigh * TWO_32
    const x = a + bHigh // rem * 5^9 = x * 2^32 + bLow, x < 2^53 for exp < 85
    const s = exp - 9 // >= 24 here
    ticksOut.nsec =
      s >= 32 ? Math.floor(x / 2 ** (s - 32)) : x * 2 ** (32 - s) + Math.floor(bLow / 2 ** s)
  }
  ticksOut.sec = sec
}

/** Decodes the raw if_tsresol option byte (pcapng section 4.2): high bit set = power of two. */
export function decodeTsresol(raw: number): TickResolution {
  return (raw & 0x80) !== 0 ? {binary: true, exp: raw & 0x7f} : {binary: false, exp: raw}
}

/** Whether a resolution is finer than one microsecond (decides CaptureInfo.precision). */
export function finerThanMicro(res: TickResolution): boolean {
  return res.binary ? res.exp >= 20 : res.exp > 6
}
