/**
 * Capture-clock time helpers. Times are (seconds, nanoseconds) pairs of plain numbers: seconds fit a
 * double exactly for any plausible date, nanoseconds within a second are 0..999_999_999, and a
 * difference in nanoseconds is exact for spans under ~104 days (2^53 ns). No BigInt on the hot path.
 */
import type {TsPrecision} from '../capture/types.js'

/** Nanoseconds from (s0, n0) to (s1, n1); negative when the clock went backwards. */
export function diffNs(s0: number, n0: number, s1: number, n1: number): number {
  return (s1 - s0) * 1e9 + (n1 - n0)
}

/** Seconds as a double, for timeouts and rates (not for printing). */
export function toSeconds(sec: number, nsec: number): number {
  return sec + nsec / 1e9
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n

/**
 * RFC 3339 UTC with 6 (microsecond sources) or 9 (nanosecond sources) fractional digits, e.g.
 * 2013-11-25T14:55:58.382163Z. Built per event, not per packet. The day part is cached because
 * consecutive events almost always fall on the same UTC day.
 */
let cachedDay = Number.NaN
let cachedDayStr = ''
export function rfc3339(sec: number, nsec: number, precision: TsPrecision): string {
  const day = Math.floor(sec / 86400)
  if (day !== cachedDay) {
    const d = new Date(day * 86400_000)
    const y = d.getUTCFullYear()
    const ys = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : (y < 0 ? '-' : '+') + String(Math.abs(y)).padStart(6, '0')
    cachedDayStr = `${ys}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T`
    cachedDay = day
  }
  const s = sec - day * 86400
  const hh = Math.floor(s / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = s % 60
  const frac = precision === 'ns' ? String(nsec).padStart(9, '0') : String(Math.floor(nsec / 1000)).padStart(6, '0')
  return `${cachedDayStr}${pad2(hh)}:${pad2(mm)}:${pad2(ss)}.${frac}Z`
}
