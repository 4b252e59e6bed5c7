/**
 * A small Thrift IDL reader for the `idl_files` option: it learns the names the wire does not
 * carry — which service declares a function, the names of a function's parameters and declared
 * exceptions, and the field names of structs, unions and exceptions (so nested values can be named
 * too). It is not a compiler: constants, enums, typedefs' targets, annotations and default values
 * are read only far enough to be skipped.
 *
 * Contract: parseIdl(text, file) never throws; what it cannot read is reported in `errors`
 * ("file:line: ...") and the reader skips to the next top-level declaration. The tokenizer is a
 * single forward scan (no regular expressions, no backtracking); nesting of skipped values and
 * type arguments is bounded by MAX_NESTING, declarations by MAX_DECLS; skipped groups are matched
 * by a counter, so any input is read in linear time. loadIdlFiles() reads files (a clear Error naming the path when one cannot be read)
 * and caches the merged result per list of paths, so every connection of a run shares one Idl.
 */
import {readFileSync} from 'node:fs'

/** A type as declared: a base type, a named (struct/enum/typedef) type, or a container. */
export type IdlType =
  | {kind: 'base'; name: string}
  | {kind: 'named'; name: string}
  | {kind: 'list' | 'set'; elem: IdlType}
  | {kind: 'map'; key: IdlType; val: IdlType}

export interface IdlField {
  id: number
  name: string
  type: IdlType
}

/** Fields of a struct, union, exception, argument list or throws list, by field id. */
export type IdlStruct = Map<number, IdlField>

export interface IdlFunction {
  service: string
  name: string
  oneway: boolean
  params: IdlStruct
  throws: IdlStruct
  /** The reply struct: field 0 `success` of the return type, then the throws fields. */
  reply: IdlStruct
}

export interface Idl {
  /** Function name -> declaration (the first service declaring the name wins). */
  functions: Map<string, IdlFunction>
  /** `Service:function` (multiplexed names) -> declaration. */
  qualified: Map<string, IdlFunction>
  /** Struct / union / exception name (without include prefix) -> fields. */
  structs: Map<string, IdlStruct>
  /** Typedef name -> the type it stands for. */
  typedefs: Map<string, IdlType>
  errors: string[]
}

const MAX_NESTING = 32
const MAX_DECLS = 100_000
const BASE = new Set(['bool', 'byte', 'i8', 'i16', 'i32', 'i64', 'double', 'string', 'binary', 'uuid', 'slist', 'void'])

export function emptyIdl(): Idl {
  return {functions: new Map(), qualified: new Map(), structs: new Map(), typedefs: new Map(), errors: []}
}

interface Tok {
  /** 'id' identifier (dots allowed), 'num', 'str', 'p' punctuation, 'eof'. */
  k: 'id' | 'num' | 'str' | 'p' | 'eof'
  v: string
  line: number
}

class Lexer {
  private i = 0
  private line = 1
  private peeked: Tok | null = null

  constructor(private readonly s: string) {}

  peek(): Tok {
    if (this.peeked === null) this.peeked = this.scan()
    return this.peeked
  }

  next(): Tok {
    const t = this.peek()
    this.peeked = null
    return t
  }

  private scan(): Tok {
    const s = this.s
    for (;;) {
      if (this.i >= s.length) return {k: 'eof', v: '', line: this.line}
      const c = s.charCodeAt(this.i)
      if (c === 10) {
        this.line++
        this.i++
      } else if (c === 32 || c === 9 || c === 13) this.i++
      else if (c === 35 || (c === 47 && s.charCodeAt(this.i + 1) === 47)) {
        while (this.i < s.length && s.charCodeAt(this.i) !== 10) this.i++
      } else if (c === 47 && s.charCodeAt(this.i + 1) === 42) {
        this.i += 2
        while (this.i < s.length && !(s.charCodeAt(this.i) === 42 && s.charCodeAt(this.i + 1) === 47)) {
          if (s.charCodeAt(this.i) === 10) this.line++
          this.i++
        }
        this.i += 2
      } else break
    }
    const line = this.line
    const start = this.i
    const c = s.charCodeAt(start)
    if (isIdStart(c)) {
      while (this.i < s.length && isIdPart(s.charCodeAt(this.i))) this.i++
      return {k: 'id', v: s.slice(start, this.i), line}
    }
    if ((c >= 48 && c <= 57) || ((c === 45 || c === 43) && isDigit(s.charCodeAt(start + 1)))) {
      this.i++
      while (this.i < s.length && (isIdPart(s.charCodeAt(this.i)) || s.charCodeAt(this.i) === 43 || s.charCodeAt(this.i) === 45)) this.i++
      return {k: 'num', v: s.slice(start, this.i), line}
    }
    if (c === 34 || c === 39) {
      this.i++
      while (this.i < s.length && s.charCodeAt(this.i) !== c) {
        if (s.charCodeAt(this.i) === 92) this.i++
        else if (s.charCodeAt(this.i) === 10) this.line++
        this.i++
      }
      this.i++
      return {k: 'str', v: s.slice(start + 1, Math.min(this.i - 1, s.length)), line}
    }
    this.i++
    return {k: 'p', v: s[start]!, line}
  }
}

const isDigit = (c: number) => c >= 48 && c <= 57
const isIdStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
const isIdPart = (c: number) => isIdStart(c) || isDigit(c) || c === 46

/** Reads one IDL file's text into `into` (merging), reporting problems in into.errors. */
export function parseIdl(text: string, file: string, into: Idl = emptyIdl()): Idl {
  const lx = new Lexer(text)
  const err = (t: Tok, m: string) => {
    if (into.errors.length < 100) into.errors.push(`${file}:${t.line}: ${m}`)
  }
  const isP = (v: string) => {
    const t = lx.peek()
    return t.k === 'p' && t.v === v
  }
  const eat = (v: string) => {
    if (isP(v)) {
      lx.next()
      return true
    }
    return false
  }
  const sep = () => eat(',') || eat(';')

  /** Skips one value token, or a balanced bracket group (annotations, constant values). */
  const skipBalanced = () => {
    const t = lx.peek()
    if (t.k === 'eof') return
    if (!(t.k === 'p' && (t.v === '(' || t.v === '[' || t.v === '{'))) {
      lx.next()
      return
    }
    let depth = 0
    for (;;) {
      const u = lx.next()
      if (u.k === 'eof') return
      if (u.k === 'p' && (u.v === '(' || u.v === '[' || u.v === '{')) depth++
      else if (u.k === 'p' && (u.v === ')' || u.v === ']' || u.v === '}')) {
        depth--
        if (depth === 0) return
      }
    }
  }

  const type = (depth: number): IdlType | null => {
    const t = lx.next()
    if (t.k !== 'id') {
      err(t, `expected a type, found ${JSON.stringify(t.v)}`)
      return null
    }
    let out: IdlType | null
    if ((t.v === 'list' || t.v === 'set' || t.v === 'map') && isP('<')) {
      lx.next()
      if (depth >= MAX_NESTING) {
        err(t, 'type nested too deeply')
        return null
      }
      const a = type(depth + 1)
      if (a === null) return null
      if (t.v === 'map') {
        if (!eat(',')) {
          err(lx.peek(), 'expected "," in map<K, V>')
          return null
        }
        const b = type(depth + 1)
        if (b === null) return null
        out = {kind: 'map', key: a, val: b}
      } else out = {kind: t.v, elem: a}
      if (!eat('>')) {
        err(lx.peek(), 'expected ">"')
        return null
      }
    } else out = BASE.has(t.v) ? {kind: 'base', name: t.v} : {kind: 'named', name: t.v}
    if (isP('(')) skipBalanced() // type annotations
    return out
  }

  /** A field list up to `close`: `[id:] [required|optional] Type name [= value] [(annotations)] [,;]`. */
  const fields = (close: string): IdlStruct => {
    const out: IdlStruct = new Map()
    let implicit = 0
    for (let n = 0; n < MAX_DECLS; n++) {
      const t = lx.peek()
      if (t.k === 'eof') {
        err(t, `unexpected end of file, expected "${close}"`)
        return out
      }
      if (eat(close)) return out
      let id: number | undefined
      if (t.k === 'num') {
        lx.next()
        id = Number(t.v)
        if (!eat(':')) err(lx.peek(), 'expected ":" after the field id')
      }
      const q = lx.peek()
      if (q.k === 'id' && (q.v === 'required' || q.v === 'optional')) lx.next()
      const ty = type(0)
      const name = lx.next()
      if (ty === null || name.k !== 'id') {
        if (ty !== null) err(name, `expected a field name, found ${JSON.stringify(name.v)}`)
        // skip to the next separator or the close
        while (lx.peek().k !== 'eof' && !isP(close) && !sep()) lx.next()
        continue
      }
      if (eat('=')) skipBalanced()
      if (isP('(')) skipBalanced()
      sep()
      // Fields without an id get negative ids counting down, as the Thrift compiler assigns them.
      const fid = id !== undefined && Number.isInteger(id) ? id : --implicit
      if (!out.has(fid)) out.set(fid, {id: fid, name: name.v, type: ty})
    }
    return out
  }

  const service = (nameTok: Tok) => {
    if (lx.peek().k === 'id' && lx.peek().v === 'extends') {
      lx.next()
      lx.next()
    }
    if (!eat('{')) {
      err(lx.peek(), `expected "{" after service ${nameTok.v}`)
      return
    }
    for (let n = 0; n < MAX_DECLS; n++) {
      const t = lx.peek()
      if (t.k === 'eof') {
        err(t, `unexpected end of file in service ${nameTok.v}`)
        return
      }
      if (eat('}')) return
      let oneway = false
      if (t.k === 'id' && t.v === 'oneway') {
        lx.next()
        oneway = true
      }
      const ret = type(0)
      const fname = lx.next()
      if (ret === null || fname.k !== 'id' || !eat('(')) {
        err(fname, `expected a function declaration in service ${nameTok.v}`)
        while (lx.peek().k !== 'eof' && !isP('}') && !sep()) lx.next()
        continue
      }
      const params = fields(')')
      let throws: IdlStruct = new Map()
      if (lx.peek().k === 'id' && lx.peek().v === 'throws') {
        lx.next()
        if (eat('(')) throws = fields(')')
      }
      if (isP('(')) skipBalanced()
      sep()
      const reply: IdlStruct = new Map([[0, {id: 0, name: 'success', type: ret}]])
      for (const [k, v] of throws) if (k !== 0) reply.set(k, v)
      const fn: IdlFunction = {service: nameTok.v, name: fname.v, oneway, params, throws, reply}
      if (!into.functions.has(fname.v)) into.functions.set(fname.v, fn)
      into.qualified.set(`${nameTok.v}:${fname.v}`, fn)
    }
  }

  for (let n = 0; n < MAX_DECLS; n++) {
    const t = lx.next()
    if (t.k === 'eof') break
    if (t.k !== 'id') {
      if (!(t.k === 'p' && (t.v === ';' || t.v === ','))) err(t, `unexpected ${JSON.stringify(t.v)}`)
      continue
    }
    switch (t.v) {
      case 'include':
      case 'cpp_include':
        lx.next()
        break
      case 'namespace':
        lx.next()
        lx.next()
        break
      case 'typedef': {
        const ty = type(0)
        const name = lx.next()
        if (ty !== null && name.k === 'id') into.typedefs.set(name.v, ty)
        if (isP('(')) skipBalanced()
        sep()
        break
      }
      case 'const':
        type(0)
        lx.next()
        if (eat('=')) skipBalanced()
        sep()
        break
      case 'enum':
      case 'senum':
        lx.next()
        if (isP('{')) skipBalanced()
        if (isP('(')) skipBalanced()
        break
      case 'struct':
      case 'union':
      case 'exception': {
        const name = lx.next()
        if (name.k !== 'id' || !eat('{')) {
          err(name, `expected a name and "{" after ${t.v}`)
          break
        }
        const f = fields('}')
        into.structs.set(name.v, f)
        if (isP('(')) skipBalanced()
        break
      }
      case 'service': {
        const name = lx.next()
        if (name.k !== 'id') {
          err(name, 'expected a service name')
          break
        }
        service(name)
        break
      }
      default:
        err(t, `unexpected ${JSON.stringify(t.v)}`)
    }
  }
  return into
}

/** The struct fields a declared type names (following typedefs, dropping include prefixes). */
export function structOf(idl: Idl, t: IdlType | undefined): IdlStruct | undefined {
  for (let hops = 0; t !== undefined && t.kind === 'named' && hops < 8; hops++) {
    const dot = t.name.lastIndexOf('.')
    const name = dot >= 0 ? t.name.slice(dot + 1) : t.name
    const s = idl.structs.get(name)
    if (s !== undefined) return s
    t = idl.typedefs.get(name)
  }
  return undefined
}

/** Follows typedefs so containers declared through one keep their element types. */
export function resolveType(idl: Idl, t: IdlType | undefined): IdlType | undefined {
  for (let hops = 0; t !== undefined && t.kind === 'named' && hops < 8; hops++) {
    const dot = t.name.lastIndexOf('.')
    const next = idl.typedefs.get(dot >= 0 ? t.name.slice(dot + 1) : t.name)
    if (next === undefined) return t
    t = next
  }
  return t
}

const cache = new Map<string, Idl>()

/**
 * Reads and merges the IDL files (cached by the list of paths). Throws an Error naming the path
 * when a file cannot be read; syntax problems are collected in the result's `errors`.
 */
export function loadIdlFiles(paths: readonly string[]): Idl {
  const key = paths.join('\u0000')
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const idl = emptyIdl()
  for (const p of paths) {
    let text: string
    try {
      text = readFileSync(p, 'utf8')
    } catch (e) {
      throw new Error(`cannot read Thrift IDL file ${p}: ${(e as Error).message}`)
    }
    parseIdl(text, p, idl)
  }
  cache.set(key, idl)
  return idl
}

/**
 * The declaration of the function a message names: `Service:function` (TMultiplexedProtocol)
 * by service and name, else by the part after the colon, else by the plain name.
 */
export function findFunction(idl: Idl, name: string): IdlFunction | undefined {
  const q = idl.qualified.get(name)
  if (q !== undefined) return q
  const colon = name.indexOf(':')
  return idl.functions.get(colon >= 0 ? name.slice(colon + 1) : name)
}
