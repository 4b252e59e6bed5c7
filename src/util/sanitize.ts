/**
 * Terminal safety: strings from packet data may hold control characters and ANSI escape sequences
 * that would move the cursor, recolour or retitle a user's terminal. Every such character is shown
 * as a visible \xNN escape instead. Used by the human summary (NDJSON is escaped by JSON itself).
 */
// C0 controls, DEL and C1 controls (which include the 8-bit CSI 0x9b).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

export function terminalSafe(s: string, maxLen = 200): string {
  const t = s.length > maxLen ? s.slice(0, maxLen) + '…' : s
  return t.replace(CONTROL, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'))
}
