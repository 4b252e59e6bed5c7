/**
 * Capture-clock time helpers. Times are (seconds, nanoseconds) pairs of plain numbers: seconds fit a
 * double exactly for any plausible date, nanoseconds within a second are 0..999_999_999, and a
 * difference in nanoseconds is exact for spans under ~104 days (2^53 ns). No BigInt on the hot path.
 */
/** Timestamp precision of a capture, which decides how many fractional digits events print. */
export type TsPrecision = 'us' | 'ns'

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

/** Sets cachedDayStr ("YYYY-MM-DDT", or "+YYYYYY-MM-DDT" outside years 0..9999) for `day`. */
function dayPart(day: number): string {
  if (day !== cachedDay) {
    const d = new Date(day * 86400_000)
    const y = d.getUTCFullYear()
    const ys = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : (y < 0 ? '-' : '+') + String(Math.abs(y)).padStart(6, '0')
    cachedDayStr = `${ys}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T`
    cachedDay = day
  }
  return cachedDayStr
}

export function rfc3339(sec: number, nsec: number, precision: TsPrecision): string {
  const day = Math.floor(sec / 86400)
  const dayStr = dayPart(day)
  const s = sec - day * 86400
  const hh = Math.floor(s / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = s % 60
  const frac = precision === 'ns' ? String(nsec).padStart(9, '0') : String(Math.floor(nsec / 1000)).padStart(6, '0')
  return `${dayStr}${pad2(hh)}:${pad2(mm)}:${pad2(ss)}.${frac}Z`
}

/** Room rfc3339Into needs: "+YYYYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" is 33 bytes (an invalid date's "+000NaN-NaN-NaNT" day 35). */
export const RFC3339_MAX_BYTES = 40

/**
 * rfc3339(sec, nsec, precision) written as ASCII bytes into `buf` at `pos`, without building a
 * string (the NDJSON hot path); returns the position after it. The caller guarantees
 * RFC3339_MAX_BYTES of room. Returns -1, having written nothing, for the times rfc3339 would print
 * unusually (fractional seconds, nanoseconds outside 0..999_999_999): the caller then writes the
 * string form.
 */
export function rfc3339Into(buf: Uint8Array, pos: number, sec: number, nsec: number, precision: TsPrecision): number {
  if (!Number.isInteger(sec) || !Number.isInteger(nsec) || nsec < 0 || nsec > 999_999_999) return -1
  const day = Math.floor(sec / 86400)
  const dayStr = dayPart(day)
  for (let i = 0; i < dayStr.length; i++) buf[pos++] = dayStr.charCodeAt(i)
  const s = sec - day * 86400
  const hh = Math.floor(s / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = s % 60
  buf[pos] = 48 + ((hh / 10) | 0)
  buf[pos + 1] = 48 + (hh % 10)
  buf[pos + 2] = 58 // ':'
  buf[pos + 3] = 48 + ((mm / 10) | 0)
  buf[pos + 4] = 48 + (mm % 10)
  buf[pos + 5] = 58
  buf[pos + 6] = 48 + ((ss / 10) | 0)
  buf[pos + 7] = 48 + (ss % 10)
  buf[pos + 8] = 46 // '.'
  pos += 9
  let f = precision === 'ns' ? nsec : Math.floor(nsec / 1000)
  const digits = precision === 'ns' ? 9 : 6
  for (let i = digits - 1; i >= 0; i--) {
    buf[pos + i] = 48 + (f % 10)
    f = (f / 10) | 0
  }
  pos += digits
  buf[pos++] = 90 // 'Z'
  return pos
}

/**
 * The capture clock as seen by a table that expires entries: the latest packet time so far (a
 * packet from the past never moves it back) and a gate that opens at most once per second of
 * capture time, so idle sweeps cost nothing on most packets.
 */
export class SweepClock {
  private sec = Number.NEGATIVE_INFINITY
  private nsec = 0
  private nextSweepSec = Number.NEGATIVE_INFINITY

  /** Advances the clock to this packet's time; true when a sweep is due (then `now` is current). */
  tick(tsSec: number, tsNsec: number): boolean {
    if (tsSec > this.sec || (tsSec === this.sec && tsNsec > this.nsec)) {
      this.sec = tsSec
      this.nsec = tsNsec
    }
    if (this.sec < this.nextSweepSec) return false
    this.nextSweepSec = this.sec + 1
    return true
  }

  /** Latest capture time, in seconds (for comparisons with timeouts). */
  get now(): number {
    return this.sec + this.nsec / 1e9
  }

  /** Latest capture time as (seconds, nanoseconds); seconds are -Infinity before the first tick. */
  get latestSec(): number {
    return this.sec
  }

  get latestNsec(): number {
    return this.nsec
  }
}
