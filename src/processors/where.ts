/**
 * The one-line condition form for the command line (`--where`), compiled to the same condition
 * mapping as the YAML form and then by compileCondition, so both have one semantics.
 *
 * Grammar (keywords are case-sensitive; `&&`, `||`, `!` may replace and, or, not):
 *
 *   expr   := and ("or" and)*
 *   and    := unary ("and" unary)*
 *   unary  := "not" unary | "(" expr ")" | test
 *   test   := "has" FIELD ("," FIELD)*             has_fields
 *           | FIELD ("=="|"!=") VALUE              equals / not equals
 *           | FIELD ("<"|"<="|">"|">=") NUMBER     range
 *           | FIELD "contains" STRING              contains
 *           | FIELD "~" STRING                     regexp (RE2, found anywhere in the value)
 *           | FIELD "in" NETS                      network; NETS := NET ("," NET)* or "(" NET, ... ")"
 *   FIELD  := letters, digits, "_", "@", "-", "." (a dotted ECS or legacy name)
 *   VALUE  := NUMBER | STRING | true | false | WORD  (a bare word is a string: type == http)
 *   STRING := "..." or '...' (backslash escapes \" \' \\ \n \t)
 *   NET    := a CIDR (10.0.0.0/8, fd00::/8), an address, or a class (private, public, loopback, ...)
 *
 * `network in NETS` (the pseudo-field `network`) matches when source.ip or destination.ip is in NETS.
 * Examples:
 *   http.response.status_code >= 500 and type == "http"
 *   source.ip in 10.0.0.0/8, 192.168.0.0/16 or not network in private
 *   has http.request.headers and url.path ~ "^/api/"
 *
 * Errors are WhereSyntaxError: a message with the column, then the expression and a caret under it.
 */
import {compileCondition} from './conditions.js'
import {FieldResolver} from './legacy.js'
import {type Condition, ProcessorConfigError} from './types.js'

export class WhereSyntaxError extends ProcessorConfigError {
  override name = 'WhereSyntaxError'
  constructor(
    readonly source: string,
    readonly column: number,
    readonly reason: string,
    label = '--where',
  ) {
    super(`${label}: ${reason} at column ${column + 1}\n  ${source}\n  ${' '.repeat(column)}^`)
  }
}

const FIELD_CHAR = /[A-Za-z0-9_@.-]/
const NET_CHAR = /[A-Za-z0-9_.:/]/
const KEYWORDS = new Set(['and', 'or', 'not', 'has', 'contains', 'in', 'true', 'false'])

class Parser {
  pos = 0
  constructor(
    readonly src: string,
    readonly label: string,
  ) {}

  err(reason: string, at = this.pos): never {
    throw new WhereSyntaxError(this.src, at, reason, this.label)
  }

  ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++
  }

  /** Whether the next word is `kw` (not followed by a field character); consumes it if so. */
  word(kw: string): boolean {
    this.ws()
    if (!this.src.startsWith(kw, this.pos)) return false
    const after = this.src[this.pos + kw.length]
    if (after !== undefined && FIELD_CHAR.test(after) && /[a-z]/.test(kw[0])) return false
    this.pos += kw.length
    return true
  }

  peekWordText(): string {
    this.ws()
    let e = this.pos
    while (e < this.src.length && FIELD_CHAR.test(this.src[e])) e++
    return this.src.slice(this.pos, e)
  }

  field(): string {
    this.ws()
    const start = this.pos
    const w = this.peekWordText()
    if (w === '' || /^[0-9.-]/.test(w)) this.err(this.pos >= this.src.length ? 'expected a field name, found the end' : 'expected a field name', start)
    if (KEYWORDS.has(w)) this.err(`expected a field name, found the keyword "${w}"`, start)
    this.pos += w.length
    return w
  }

  string(): string {
    this.ws()
    const q = this.src[this.pos]
    if (q !== '"' && q !== "'") this.err('expected a quoted string')
    const start = this.pos
    let out = ''
    this.pos++
    while (this.pos < this.src.length) {
      const c = this.src[this.pos++]
      if (c === q) return out
      if (c === '\\') {
        const e = this.src[this.pos++]
        if (e === undefined) break
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e
      } else out += c
    }
    this.err('unterminated string', start)
  }

  value(): string | number | boolean {
    this.ws()
    const c = this.src[this.pos]
    if (c === undefined) this.err('expected a value, found the end')
    if (c === '"' || c === "'") return this.string()
    const start = this.pos
    const w = this.peekWordText()
    if (w === '') this.err('expected a value (a number, a "string", true or false)')
    this.pos += w.length
    if (w === 'true') return true
    if (w === 'false') return false
    if (/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(w)) return Number(w)
    if (KEYWORDS.has(w)) this.err(`expected a value, found the keyword "${w}"`, start)
    return w
  }

  number(): number {
    this.ws()
    const start = this.pos
    const v = this.value()
    if (typeof v !== 'number') this.err('expected a number', start)
    return v
  }

  net(): string {
    this.ws()
    const start = this.pos
    while (this.pos < this.src.length && NET_CHAR.test(this.src[this.pos])) this.pos++
    if (this.pos === start) this.err('expected a network (a CIDR such as 10.0.0.0/8, or a class such as private)')
    return this.src.slice(start, this.pos)
  }

  nets(): {list: string[]; at: number} {
    this.ws()
    const at = this.pos
    const paren = this.src[this.pos] === '('
    if (paren) this.pos++
    const list = [this.net()]
    for (;;) {
      this.ws()
      if (this.src[this.pos] !== ',') break
      this.pos++
      list.push(this.net())
    }
    if (paren) {
      this.ws()
      if (this.src[this.pos] !== ')') this.err('expected ")" closing the network list')
      this.pos++
    }
    return {list, at}
  }

  expr(): unknown {
    const parts = [this.and()]
    while (this.word('or') || this.word('||')) parts.push(this.and())
    return parts.length === 1 ? parts[0] : {or: parts}
  }

  and(): unknown {
    const parts = [this.unary()]
    while (this.word('and') || this.word('&&')) parts.push(this.unary())
    return parts.length === 1 ? parts[0] : {and: parts}
  }

  unary(): unknown {
    if (this.word('not')) return {not: this.unary()}
    this.ws()
    if (this.src[this.pos] === '!' && this.src[this.pos + 1] !== '=') {
      this.pos++
      return {not: this.unary()}
    }
    if (this.src[this.pos] === '(') {
      const open = this.pos
      this.pos++
      const e = this.expr()
      this.ws()
      if (this.src[this.pos] !== ')') this.err(`expected ")" to close the "(" at column ${open + 1}`)
      this.pos++
      return e
    }
    return this.test()
  }

  test(): unknown {
    if (this.word('has')) {
      const list = [this.field()]
      for (;;) {
        this.ws()
        if (this.src[this.pos] !== ',') break
        this.pos++
        list.push(this.field())
      }
      return {has_fields: list}
    }
    const fieldAt = this.pos
    const f = this.field()
    this.ws()
    const opAt = this.pos
    for (const op of ['==', '!=', '<=', '>=', '<', '>', '~', '=']) {
      if (!this.src.startsWith(op, this.pos)) continue
      if (op === '=') this.err('"=" is not an operator; use "==" to compare')
      this.pos += op.length
      if (op === '==' || op === '!=') {
        const v = this.value()
        const eq = {equals: {[f]: v}}
        return op === '==' ? eq : {not: eq}
      }
      if (op === '~') return {regexp: {[f]: this.string()}}
      const key = {'<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte'}[op]
      return {range: {[`${f}.${key}`]: this.number()}}
    }
    if (this.word('contains')) return {contains: {[f]: this.string()}}
    if (this.word('in')) {
      const {list} = this.nets()
      if (f === 'network') return {or: [{network: {'source.ip': list}}, {network: {'destination.ip': list}}]}
      return {network: {[f]: list}}
    }
    if (this.pos >= this.src.length) this.err(`expected an operator after "${f}" (==, !=, <, <=, >, >=, ~, contains, in), found the end`, opAt)
    void fieldAt
    this.err(`expected an operator after "${f}" (==, !=, <, <=, >, >=, ~, contains, in)`, opAt)
  }
}

/** Parses a one-line condition into the YAML condition mapping it stands for. */
export function parseWhere(src: string, label = '--where'): unknown {
  const p = new Parser(src, label)
  p.ws()
  if (p.pos >= src.length) p.err('empty condition')
  const cfg = p.expr()
  p.ws()
  if (p.pos < src.length) p.err(src[p.pos] === ')' ? 'unbalanced ")"' : 'expected "and", "or" or the end')
  return cfg
}

/**
 * Compiles a one-line condition. Semantic errors (a bad CIDR, a bad RE2 pattern) are reported as
 * ProcessorConfigError with the label; legacy field names warn through `warn` as in the YAML form.
 */
export function compileWhere(src: string, warn: (msg: string) => void, label = '--where', fields = new FieldResolver(warn)): Condition {
  return compileCondition(parseWhere(src, label), label, fields)
}
