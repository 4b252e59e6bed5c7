import {describe, expect, it} from 'vitest'
import {terminalSafe} from '../../src/util/sanitize.js'

describe('terminalSafe', () => {
  it('escapes ANSI escape sequences, C0/C1 controls and DEL', () => {
    const s = terminalSafe('GET /\x1b[2J\x1b]0;pwned\x07 \x9b31m\x7f\r\n')
    expect(s).toBe('GET /\\x1b[2J\\x1b]0;pwned\\x07 \\x9b31m\\x7f\\x0d\\x0a')
    expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
  })

  it('leaves printable text, including non-ASCII, alone and bounds the length', () => {
    expect(terminalSafe('café ☕ /a?b=c')).toBe('café ☕ /a?b=c')
    expect(terminalSafe('x'.repeat(300), 10)).toBe('xxxxxxxxxx…')
  })
})
