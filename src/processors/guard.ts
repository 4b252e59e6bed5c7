/**
 * Per-event time limit for scripts without node:vm's `timeout` option. That option starts a
 * watchdog for every call (about 130 us each on the reference machine, far more than the event
 * costs), so scripts are instead instrumented once, at compile time: a call to the guard `__pbx_t()`
 * is inserted into the condition of every `while`, `do ... while` and three-part `for` loop, and at
 * the start of every `function` body and `=> {` body. The guard reads the clock every 1024 calls and
 * throws once the event's deadline has passed; after that it throws on every call, so a script that
 * catches the error inside a loop still leaves the loop at its next condition. for-in/for-of loops
 * walk finite collections and are not instrumented; runaway recursion ends in a RangeError.
 *
 * The rewrite inserts text on the same line only, so line numbers in errors stay those of the
 * source. The scanner understands strings, template literals, comments and regular expression
 * literals; if its result does not compile, the caller falls back to vm's timeout (correct, slower).
 */

export const GUARD_NAME = '__pbx_t'

const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await'])

interface Frame {
  close: string
  kind: 'plain' | 'while' | 'for' | 'if' | 'fnparams' | 'tmpl'
  /** Positions of `;` directly inside a `for (...)`. */
  semis?: number[]
  open?: number
}

/** Returns the instrumented source (see the file comment). */
export function instrumentLoops(src: string): string {
  const ins: [number, string][] = []
  const stack: Frame[] = []
  let i = 0
  const n = src.length
  /** Last significant token: 'word:<w>', 'num', or the punctuator. */
  let prev = ''
  let pendingKeyword: 'while' | 'for' | 'if' | 'function' | '' = ''
  let awaitBody = false

  const isIdStart = (c: string) => /[A-Za-z_$\u0080-\uffff]/.test(c)
  const isId = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c)

  const skipString = (q: string) => {
    i++
    while (i < n && src[i] !== q) {
      if (src[i] === '\\') i++
      i++
    }
    i++
  }
  /** Scans template text from i (just after ` or after the closing } of ${...}). */
  const scanTemplate = () => {
    while (i < n) {
      const c = src[i]
      if (c === '\\') {
        i += 2
        continue
      }
      if (c === '`') {
        i++
        return
      }
      if (c === '$' && src[i + 1] === '{') {
        stack.push({close: '}', kind: 'tmpl'})
        i += 2
        prev = '{'
        return
      }
      i++
    }
  }
  const skipRegex = () => {
    i++
    let inClass = false
    while (i < n) {
      const c = src[i]
      if (c === '\\') {
        i += 2
        continue
      }
      if (c === '\n') return
      if (inClass) {
        if (c === ']') inClass = false
      } else if (c === '[') inClass = true
      else if (c === '/') {
        i++
        break
      }
      i++
    }
    while (i < n && isId(src[i])) i++
  }

  while (i < n) {
    const c = src[i]
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++
      continue
    }
    if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2)
      i = e < 0 ? n : e + 2
      continue
    }
    if (c === '"' || c === "'") {
      skipString(c)
      prev = 'str'
      continue
    }
    if (c === '`') {
      i++
      scanTemplate()
      if (prev !== '{') prev = 'str'
      continue
    }
    if (c === '/') {
      const word = prev.startsWith('word:') ? prev.slice(5) : null
      const divides = prev === 'num' || prev === 'str' || prev === ')' || prev === ']' || prev === '}' || (word !== null && !REGEX_AFTER_WORD.has(word))
      if (!divides) {
        skipRegex()
        prev = 'str'
        continue
      }
    }
    if (isIdStart(c)) {
      let e = i + 1
      while (e < n && isId(src[e])) e++
      const w = src.slice(i, e)
      i = e
      // `x.while` is a property, not a keyword.
      if (prev !== '.' && (w === 'while' || w === 'for' || w === 'if' || w === 'function')) pendingKeyword = w
      prev = `word:${w}`
      continue
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      while (i < n && /[0-9A-Za-z_.]/.test(src[i])) i++
      prev = 'num'
      continue
    }
    // Punctuators.
    if (c === '=' && src[i + 1] === '>') {
      i += 2
      prev = '=>'
      awaitBody = true
      continue
    }
    if (c === '(') {
      const f: Frame = {close: ')', kind: 'plain', open: i}
      if (pendingKeyword === 'while') f.kind = 'while'
      else if (pendingKeyword === 'for') {
        f.kind = 'for'
        f.semis = []
      } else if (pendingKeyword === 'if') f.kind = 'if'
      else if (pendingKeyword === 'function') f.kind = 'fnparams'
      pendingKeyword = ''
      awaitBody = false
      stack.push(f)
      if (f.kind === 'while') ins.push([i + 1, `${GUARD_NAME}() && (`])
      i++
      prev = '('
      continue
    }
    if (c === '{') {
      if (awaitBody) ins.push([i + 1, `${GUARD_NAME}();`])
      awaitBody = false
      pendingKeyword = pendingKeyword === 'function' ? '' : pendingKeyword
      stack.push({close: '}', kind: 'plain'})
      i++
      prev = '{'
      continue
    }
    if (c === '[') {
      stack.push({close: ']', kind: 'plain'})
      i++
      prev = '['
      continue
    }
    if (c === ')' || c === ']' || c === '}') {
      const f = stack.pop()
      i++
      if (f?.kind === 'tmpl') {
        scanTemplate()
        prev = 'str'
        continue
      }
      if (f?.kind === 'while') ins.push([i - 1, ')'])
      else if (f?.kind === 'for' && f.semis!.length === 2) {
        const [a, b] = f.semis!
        const cond = src.slice(a + 1, b).trim()
        if (cond === '') ins.push([a + 1, ` ${GUARD_NAME}()`])
        else {
          ins.push([a + 1, ` ${GUARD_NAME}() && (`])
          ins.push([b, ')'])
        }
      } else if (f?.kind === 'fnparams') awaitBody = true
      // After the head of if/while/for a statement starts: a `/` there begins a regex literal.
      prev = f?.kind === 'if' || f?.kind === 'while' || f?.kind === 'for' ? 'head' : c
      continue
    }
    if (c === ';') {
      const top = stack[stack.length - 1]
      if (top?.kind === 'for') top.semis!.push(i)
    }
    if (pendingKeyword !== 'function') pendingKeyword = ''
    if (awaitBody && c !== '\n') awaitBody = false
    prev = c
    i++
  }
  if (ins.length === 0) return src
  ins.sort((a, b) => a[0] - b[0])
  let out = ''
  let last = 0
  for (const [pos, text] of ins) {
    out += src.slice(last, pos) + text
    last = pos
  }
  return out + src.slice(last)
}

/** The guard state of one processor: the deadline of the current event. */
export class Guard {
  private deadline = 0
  private count = 0
  private expired = false
  constructor(readonly timeoutMs: number) {}

  /** Arms the guard for one event (or `ms` for loading). */
  start(ms = this.timeoutMs): void {
    this.deadline = performance.now() + ms
    this.count = 0
    this.expired = false
  }

  /** The function scripts call as __pbx_t(). */
  readonly tick = (): boolean => {
    if (this.expired || ((++this.count & 1023) === 0 && performance.now() > this.deadline)) {
      this.expired = true
      throw new Error(`Script execution timed out after ${this.timeoutMs}ms`)
    }
    return true
  }
}
