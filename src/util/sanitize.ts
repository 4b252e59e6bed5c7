/**
 * Output safety for text made of packet data: strings from packets may hold control characters
 * and ANSI escape sequences that would move the cursor, recolour or retitle a user's terminal, or
 * break a line-oriented file. Every such character is shown as a visible \xNN escape instead. Used
 * by the human summary (terminalSafe) and by CSV cells (escapeControls); NDJSON is escaped by JSON
 * itself. A backslash is left as it is, so the escape is for reading, not a reversible encoding.
 */
// C0 controls (tab, CR and LF included), DEL and C1 controls (which include the 8-bit CSI 0x9b).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/

const hex = (c: string) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')

/** `s` with every C0, DEL and C1 control character written as \xNN; the same string when there is none. */
export function escapeControls(s: string): string {
  return HAS_CONTROL.test(s) ? s.replace(CONTROL, hex) : s
}

/** escapeControls, after cutting `s` to maxLen characters (then ending it with '…'). */
export function terminalSafe(s: string, maxLen = 200): string {
  return escapeControls(s.length > maxLen ? s.slice(0, maxLen) + '…' : s)
}
